package text

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// allowedSchemes are the href schemes remote links may use (Mastodon's list).
var allowedSchemes = []string{
	"http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini",
}

var (
	// remotePolicyP is the first pass of SanitizeRemote: bluemonday keeps
	// the allowed elements and attributes and drops unsafe URLs. The second
	// pass (rewriteRemote) renames, filters and balances what is left. It is
	// made on first use (remotePolicy; an idle server sanitises nothing),
	// not with sync.OnceValue: that instantiation for *bluemonday.Policy
	// made the linker keep bluemonday's unused CSS handlers (120 KB).
	remotePolicyOnce sync.Once
	remotePolicyP    *bluemonday.Policy

	// allowedClassRE is one class name that remote HTML may keep:
	// microformats (h-*, p-*, u-*, dt-*, e-*) and the classes Mastodon's own
	// markup relies on.
	allowedClassRE = regexp.MustCompile(`^(?:(?:h|p|u|dt|e)-[A-Za-z0-9_-]+|mention|hashtag|ellipsis|invisible)$`)
	// integerRE is an <ol start> or <li value>.
	integerRE = regexp.MustCompile(`^[0-9]{1,9}$`)
	// reversedRE is the value of the boolean <ol reversed> attribute.
	reversedRE = regexp.MustCompile(`(?i)^(?:reversed)?$`)
)

func newRemotePolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements(
		"p", "br", "span", "a", "del", "pre", "code", "em", "strong", "b", "i", "u",
		"ul", "ol", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6",
	)
	p.AllowAttrs("class").OnElements("span", "a")
	p.AllowAttrs("href", "rel").OnElements("a")
	p.AllowAttrs("start").Matching(integerRE).OnElements("ol")
	p.AllowAttrs("reversed").Matching(reversedRE).OnElements("ol")
	p.AllowAttrs("value").Matching(integerRE).OnElements("li")
	p.AllowURLSchemes(allowedSchemes...)
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	// Besides bluemonday's defaults (script, style, iframe, object, …), drop
	// the content of foreign and inert markup rather than leak it as text.
	p.SkipElementsContent("svg", "math", "template", "xmp", "plaintext")
	return p
}

// SanitizeRemote cleans HTML from other servers down to the set Mastodon
// allows:
//
//	p, br, span (class), a (href, rel, class), del, pre, code, em, strong,
//	b, i, u, ul, ol (start, reversed), li (value), blockquote
//
// h1–h6 become <p><strong>…</strong></p>. Classes survive only when they are
// microformats (h-*, p-*, u-*, dt-*, e-*) or mention, hashtag, ellipsis,
// invisible. Links keep only http, https, dat, dweb, ipfs, ipns, ssb,
// gopher, xmpp, magnet and gemini hrefs, and all get rel="nofollow noopener"
// (plus "tag" when the remote had it) and target="_blank"; a link whose href
// was dropped becomes a <span>. Everything else — scripts, styles, event
// handlers, frames, images, forms, embedded objects, other URL schemes,
// however encoded — is removed, and the result is well-formed: every element
// opened is closed, in order.
func SanitizeRemote(s string) string {
	if s == "" {
		return ""
	}
	return rewriteRemote(remotePolicy().Sanitize(s))
}

// openElem is an element rewriteRemote has opened: the end-tag name that
// closes it and the markup that does.
type openElem struct {
	name, close string
}

// rewriteRemote is the second pass of SanitizeRemote over bluemonday's
// output. It only ever emits the allowed elements and attributes, escaping
// everything itself, so it is a whitelist on its own.
func rewriteRemote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8 + 64)
	var stackBuf [16]openElem
	stack := stackBuf[:0]
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			for i := len(stack) - 1; i >= 0; i-- {
				b.WriteString(stack[i].close)
			}
			return b.String()

		case html.TextToken:
			t := z.Text()
			if len(t) == 0 {
				continue
			}
			txt := string(t)
			if strings.IndexByte(txt, 0) >= 0 {
				txt = strings.ReplaceAll(txt, "\x00", "")
			}
			attrEscaper.WriteString(&b, txt)

		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			var e openElem
			switch tag := string(name); tag {
			case "br":
				b.WriteString("<br />")
				continue
			case "h1", "h2", "h3", "h4", "h5", "h6":
				b.WriteString("<p><strong>")
				e = openElem{"h", "</strong></p>"}
			case "p", "del", "pre", "code", "em", "strong", "b", "i", "u", "ul", "blockquote":
				b.WriteString("<" + tag + ">")
				e = openElem{tag, "</" + tag + ">"}
			case "ol":
				b.WriteString("<ol")
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					switch string(k) {
					case "start":
						if integerRE.Match(v) {
							b.WriteString(` start="` + string(v) + `"`)
						}
					case "reversed":
						b.WriteString(` reversed=""`)
					}
				}
				b.WriteString(">")
				e = openElem{"ol", "</ol>"}
			case "li":
				b.WriteString("<li")
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "value" && integerRE.Match(v) {
						b.WriteString(` value="` + string(v) + `"`)
					}
				}
				b.WriteString(">")
				e = openElem{"li", "</li>"}
			case "span":
				var class string
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "class" {
						class = filterClasses(string(v))
					}
				}
				writeSpanOpen(&b, class)
				e = openElem{"span", "</span>"}
			case "a":
				var href, class, rel string
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					switch string(k) {
					case "href":
						href = string(v)
					case "class":
						class = filterClasses(string(v))
					case "rel":
						rel = string(v)
					}
				}
				if !safeHref(href) {
					// Like Mastodon, a link to nowhere safe is just text.
					writeSpanOpen(&b, class)
					e = openElem{"a", "</span>"}
					break
				}
				b.WriteString(`<a href="`)
				attrEscaper.WriteString(&b, strings.TrimSpace(href))
				b.WriteString(`"`)
				if class != "" {
					b.WriteString(` class="` + class + `"`)
				}
				b.WriteString(` rel="`)
				if hasRelTag(rel) {
					b.WriteString("tag ")
				}
				b.WriteString(`nofollow noopener" target="_blank">`)
				e = openElem{"a", "</a>"}
			default:
				continue
			}
			if tt == html.SelfClosingTagToken {
				// "<p/>" is no empty element in HTML, but treat it as one
				// rather than leave it open.
				b.WriteString(e.close)
				continue
			}
			stack = append(stack, e)

		case html.EndTagToken:
			name, _ := z.TagName()
			key := string(name)
			if len(key) == 2 && key[0] == 'h' && '1' <= key[1] && key[1] <= '6' {
				key = "h"
			}
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].name != key {
					continue
				}
				// Close what was left open inside it too.
				for j := len(stack) - 1; j >= i; j-- {
					b.WriteString(stack[j].close)
				}
				stack = stack[:i]
				break
			}
		}
	}
}

func writeSpanOpen(b *strings.Builder, class string) {
	if class == "" {
		b.WriteString("<span>")
		return
	}
	b.WriteString(`<span class="` + class + `">`)
}

// filterClasses keeps the allowed class names of a class attribute. The
// names it keeps contain nothing that needs escaping.
func filterClasses(v string) string {
	fields := strings.Fields(v)
	kept := fields[:0]
	for _, f := range fields {
		if allowedClassRE.MatchString(f) {
			kept = append(kept, f)
		}
	}
	return strings.Join(kept, " ")
}

// hasRelTag reports whether a rel attribute holds "tag".
func hasRelTag(rel string) bool {
	for _, f := range strings.Fields(rel) {
		if strings.EqualFold(f, "tag") {
			return true
		}
	}
	return false
}

// safeHref reports whether href (already decoded) is an absolute URL with an
// allowed scheme and no whitespace or control characters anywhere, so that
// no browser can read a different scheme into it.
func safeHref(href string) bool {
	href = strings.TrimSpace(href)
	colon := strings.IndexByte(href, ':')
	if colon <= 0 {
		return false
	}
	for _, r := range href {
		if r <= ' ' || r == 0x7f || r == utf8.RuneError || unicode.IsControl(r) || unicode.IsSpace(r) {
			return false
		}
	}
	scheme := strings.ToLower(href[:colon])
	for _, s := range allowedSchemes {
		if scheme == s {
			return true
		}
	}
	return false
}

// plainBlocks are the elements whose start and end break a line in
// PlainText.
var plainBlocks = map[string]bool{
	"p": true, "div": true, "li": true, "ul": true, "ol": true, "blockquote": true,
	"pre": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"tr": true, "table": true, "dl": true, "dt": true, "dd": true, "hr": true,
	"section": true, "article": true, "header": true, "footer": true, "aside": true,
	"nav": true, "figure": true, "figcaption": true, "details": true, "summary": true,
	"address": true,
}

// plainSkip are the elements whose content is no text for a reader.
var plainSkip = map[string]bool{
	"script": true, "style": true, "template": true, "title": true, "head": true,
	"noscript": true, "iframe": true, "object": true, "svg": true, "math": true,
}

// PlainText strips HTML to text, for search, notifications and link
// previews. <br> and the ends of block elements (p, li, blockquote, …) become
// newlines, entities are decoded, runs of whitespace collapse to one space
// outside <pre>, and scripts and styles are dropped. The result is plain
// text: escape it before putting it into HTML again.
func PlainText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	z := html.NewTokenizer(strings.NewReader(s))
	skip, pre := 0, 0
	// newline ends the current line, dropping spaces before it.
	newline := func() {
		out := b.String()
		trimmed := strings.TrimRight(out, " ")
		if len(trimmed) != len(out) {
			b.Reset()
			b.WriteString(trimmed)
		}
		b.WriteByte('\n')
	}
	// blockBreak starts a new line unless one was just started.
	blockBreak := func() {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			newline()
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.TrimSpace(b.String())
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := string(z.Text())
			if pre > 0 {
				b.WriteString(t)
				continue
			}
			t = collapseSpace(t)
			out := b.String()
			if len(out) == 0 || out[len(out)-1] == '\n' || out[len(out)-1] == ' ' {
				t = strings.TrimLeft(t, " ")
			}
			b.WriteString(t)
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if plainSkip[tag] {
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch {
			case tag == "br":
				newline()
			case plainBlocks[tag]:
				blockBreak()
				if tag == "pre" {
					if tt == html.StartTagToken {
						pre++
					} else if tt == html.EndTagToken && pre > 0 {
						pre--
					}
				}
			}
		}
	}
}

// collapseSpace turns each run of ASCII whitespace into one space.
func collapseSpace(s string) string {
	if strings.IndexAny(s, "\t\n\f\r") < 0 && !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\f', '\r':
			if !space {
				b.WriteByte(' ')
			}
			space = true
		default:
			b.WriteByte(c)
			space = false
		}
	}
	return b.String()
}

// SanitizeName cleans a display name or profile field name from a remote
// actor. The name is plain text (markup is kept as literal text, as Mastodon
// does, so escape it on output): invalid UTF-8 becomes U+FFFD, control
// characters and the invisible bidi embedding/override/isolate controls
// (U+202A–U+202E, U+2066–U+2069) and BOMs are dropped, line breaks and other
// whitespace become single spaces, surrounding space is trimmed, and the
// result is cut to at most n runes (n <= 0 means no limit).
func SanitizeName(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	count := 0
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = count > 0
			continue
		case unicode.IsControl(r),
			0x202A <= r && r <= 0x202E,
			0x2066 <= r && r <= 0x2069,
			r == 0xFEFF:
			continue
		}
		if n > 0 && count+btoi(space)+1 > n {
			break
		}
		if space {
			b.WriteByte(' ')
			count++
			space = false
		}
		b.WriteRune(r)
		count++
	}
	return b.String()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// remotePolicy is the first pass of SanitizeRemote, made on first use.
func remotePolicy() *bluemonday.Policy {
	remotePolicyOnce.Do(func() { remotePolicyP = newRemotePolicy() })
	return remotePolicyP
}
