package text

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// renderTags are the only markup Render emits; every '<' in its output must
// start one of them.
var renderTags = []string{
	"<p>", "</p>", "<br />", `<a href="`, "</a>", `<span class="`, "<span>", "</span>",
}

// renderAttrs are the only attributes Render emits.
var renderAttrs = map[string]bool{"href": true, "class": true, "target": true, "rel": true, "translate": true}

// fuzzOptions resolve every mention and link every tag, so that fuzzing
// exercises all of Render's markup.
var fuzzOptions = RenderOptions{
	Mention: func(m MentionRef) (ResolvedMention, bool) {
		if m.Username == "nobody" {
			return ResolvedMention{}, false
		}
		return ResolvedMention{Username: m.Username, Domain: m.Domain, URL: "https://" + m.Domain + "/@" + m.Username}, true
	},
	TagURL: func(tag string) string { return "https://herald.example/tags/" + tag },
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"", "hello", "@alice @bob@remote.example #tag https://example.com/a?b=c&d=e",
		"<script>alert(1)</script>", "a\n\nb\nc", "(https://x.example/a_(b)).", "#123 #日本語 a@b.c",
		"https://example.com/" + strings.Repeat("x", 40), "\"'<>&", "@" + strings.Repeat("a", 31),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Render(s, fuzzOptions)
		_ = Parse(s)
		// Each URL adds at most 23; everything else can only shrink.
		if n := Length(s); n < 0 || n > utf8.RuneCountInString(s)+urlLength*strings.Count(strings.ToLower(s), "http") {
			t.Errorf("Length(%q) = %d", s, n)
		}
		if strings.Contains(strings.ToLower(out), "<script") {
			t.Fatalf("Render(%q) contains <script: %s", s, out)
		}
		for i := 0; i < len(out); i++ {
			if out[i] != '<' {
				continue
			}
			ok := false
			for _, tag := range renderTags {
				if strings.HasPrefix(out[i:], tag) {
					ok = true
					break
				}
			}
			if !ok {
				t.Fatalf("Render(%q): unexpected markup at %d: %s", s, i, out)
			}
		}
		// Tags are balanced and carry only Render's attributes.
		var stack []string
		z := html.NewTokenizer(strings.NewReader(out))
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				break
			}
			tok := z.Token()
			switch tt {
			case html.StartTagToken:
				stack = append(stack, tok.Data)
				fallthrough
			case html.SelfClosingTagToken:
				for _, a := range tok.Attr {
					if !renderAttrs[a.Key] {
						t.Fatalf("Render(%q): attribute %s: %s", s, a.Key, out)
					}
				}
			case html.EndTagToken:
				if len(stack) == 0 || stack[len(stack)-1] != tok.Data {
					t.Fatalf("Render(%q): unbalanced </%s>: %s", s, tok.Data, out)
				}
				stack = stack[:len(stack)-1]
			}
		}
		if len(stack) != 0 {
			t.Fatalf("Render(%q): unclosed %v: %s", s, stack, out)
		}
	})
}

func FuzzSanitizeRemote(f *testing.F) {
	for _, s := range xssVectors {
		f.Add(s)
	}
	f.Add(`<p><span class="h-card"><a href="https://r.example/@bob" class="u-url mention">@<span>bob</span></a></span></p>`)
	f.Add(`<h2>t</h2><ol start="2" reversed><li value="3">x</li></ol><pre><code>a &lt; b</code></pre>`)
	f.Fuzz(func(t *testing.T, s string) {
		out := SanitizeRemote(s)
		// Text content may legitimately read "javascript:" or "data:" (a
		// post about them), so the patterns are checked where they could
		// act: as elements in the raw output (text is escaped, so a raw
		// "<script" can only be markup), and as attributes, which the
		// tokenizer below and checkWellFormed restrict to the allowed names
		// (no style, no on…) with allowed href schemes, classes and fixed
		// rel/target values.
		lower := strings.ToLower(out)
		for _, p := range []string{"<script", "<style", "<iframe", "<svg", "<img", "<object", "<embed", "<form", "<base", "<meta", "<link", "<math"} {
			if strings.Contains(lower, p) {
				t.Fatalf("SanitizeRemote(%q) contains %q: %s", s, p, out)
			}
		}
		z := html.NewTokenizer(strings.NewReader(out))
		for z.Next() != html.ErrorToken {
			for _, a := range z.Token().Attr {
				v := strings.ToLower(a.Val)
				if strings.HasPrefix(a.Key, "on") || a.Key == "style" ||
					strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "data:") || strings.HasPrefix(v, "vbscript:") {
					t.Fatalf("SanitizeRemote(%q): attribute %s=%q: %s", s, a.Key, a.Val, out)
				}
			}
		}
		checkWellFormed(t, out)
		_ = PlainText(s)
		_ = SanitizeName(s, 30)
	})
}
