package text

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// remoteAttrs are the attributes SanitizeRemote may emit, per element.
var remoteAttrs = map[string]map[string]bool{
	"p": {}, "br": {}, "del": {}, "pre": {}, "code": {}, "em": {}, "strong": {}, "b": {}, "i": {}, "u": {},
	"ul": {}, "blockquote": {},
	"span": {"class": true},
	"a":    {"href": true, "class": true, "rel": true, "target": true},
	"ol":   {"start": true, "reversed": true},
	"li":   {"value": true},
}

// checkWellFormed tokenizes out (SanitizeRemote output) and checks that it
// holds only allowed elements and attributes with safe values, and that
// every element opened is closed in order.
func checkWellFormed(t *testing.T, out string) {
	t.Helper()
	var stack []string
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			allowed, ok := remoteAttrs[tok.Data]
			if !ok {
				t.Errorf("disallowed element <%s> in %s", tok.Data, out)
				continue
			}
			for _, a := range tok.Attr {
				if !allowed[a.Key] {
					t.Errorf("disallowed attribute %s on <%s> in %s", a.Key, tok.Data, out)
					continue
				}
				switch a.Key {
				case "href":
					if !safeHref(a.Val) {
						t.Errorf("unsafe href %q in %s", a.Val, out)
					}
				case "class":
					for _, c := range strings.Fields(a.Val) {
						if !allowedClassRE.MatchString(c) {
							t.Errorf("disallowed class %q in %s", c, out)
						}
					}
				case "rel":
					if a.Val != "nofollow noopener" && a.Val != "tag nofollow noopener" {
						t.Errorf("rel %q in %s", a.Val, out)
					}
				case "target":
					if a.Val != "_blank" {
						t.Errorf("target %q in %s", a.Val, out)
					}
				case "start", "value":
					if !integerRE.MatchString(a.Val) {
						t.Errorf("%s=%q in %s", a.Key, a.Val, out)
					}
				case "reversed":
					if a.Val != "" {
						t.Errorf("reversed=%q in %s", a.Val, out)
					}
				}
			}
			if tok.Data == "a" {
				if !hasAttr(tok, "href") || !hasAttr(tok, "rel") || !hasAttr(tok, "target") {
					t.Errorf("<a> without href, rel and target in %s", out)
				}
			}
			if tt == html.StartTagToken && tok.Data != "br" {
				stack = append(stack, tok.Data)
			}
		case html.EndTagToken:
			if len(stack) == 0 || stack[len(stack)-1] != tok.Data {
				t.Errorf("unbalanced </%s> (open %v) in %s", tok.Data, stack, out)
				return
			}
			stack = stack[:len(stack)-1]
		case html.CommentToken, html.DoctypeToken:
			t.Errorf("comment or doctype in %s", out)
		}
	}
	if len(stack) != 0 {
		t.Errorf("unclosed %v in %s", stack, out)
	}
}

func hasAttr(tok html.Token, key string) bool {
	for _, a := range tok.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}
