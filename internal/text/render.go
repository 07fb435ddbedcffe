package text

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// ResolvedMention is a mention that resolved to an account. URL is the
// account's profile URL, used as the link's href; Username is shown as the
// link text (as Mastodon does, without the domain). An empty Username falls
// back to the username written in the text.
type ResolvedMention struct {
	Username, Domain string
	URL              string
}

// RenderOptions are the callbacks [Render] needs; either may be nil.
type RenderOptions struct {
	// Mention returns the resolved mention for a ref, or ok=false (then the
	// mention stays plain text, as it does when the result has no URL). Nil
	// leaves every mention plain. It is called once per mention in the text.
	Mention func(MentionRef) (ResolvedMention, bool)
	// TagURL returns the URL of a tag page, e.g. https://host/tags/foo. It is
	// given the normalised (lowercase) tag name without '#'. Nil, or an empty
	// result, leaves the hashtag plain text.
	TagURL func(tag string) string
}

// displayURLLen is how many characters of a link (after "https://www.") are
// shown before it is cut off with an ellipsis.
const displayURLLen = 30

var (
	// paraSplitRE separates paragraphs: a blank line, possibly holding
	// whitespace (Rails' simple_format splits on /\n\s*\n/).
	paraSplitRE = regexp.MustCompile(`\n\s*\n`)

	// textEscaper escapes text content as Rails does, and turns the single
	// newlines left inside a paragraph into line breaks.
	textEscaper = strings.NewReplacer(
		"&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;",
		"\n", "<br />",
	)
	// attrEscaper escapes attribute values.
	attrEscaper = strings.NewReplacer(
		"&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;",
	)
)

// Render turns plain status text into Mastodon-style HTML.
//
// Everything is HTML-escaped; paragraphs are split on blank lines into
// <p>…</p> and single newlines become <br />. http(s) URLs become links whose
// scheme (and "www.") is hidden and whose text is cut after 30 characters:
//
//	<a href="URL" target="_blank" rel="nofollow noopener" translate="no"><span class="invisible">https://</span><span class="ellipsis">first 30 chars</span><span class="invisible">rest</span></a>
//
// (class "" and no trailing span when nothing is cut). Mentions that
// o.Mention resolves become
//
//	<span class="h-card" translate="no"><a href="URL" class="u-url mention">@<span>username</span></a></span>
//
// and hashtags <a href="TAGURL" class="mention hashtag" rel="tag">#<span>tag</span></a>.
// Surrounding whitespace is dropped (Mastodon strips status text); empty
// text renders as "".
func Render(s string, o RenderOptions) string {
	s = strings.TrimSpace(normNewlines(s))
	if s == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/2 + 64)
	var buf [16]entity
	ents := buf[:0]
	var paras []string
	if strings.IndexByte(s, '\n') >= 0 {
		paras = paraSplitRE.Split(s, -1)
	} else {
		paras = []string{s}
	}
	for _, para := range paras {
		b.WriteString("<p>")
		ents = scan(para, ents[:0])
		pos := 0
		for _, e := range ents {
			textEscaper.WriteString(&b, para[pos:e.start])
			pos = e.end
			raw := para[e.start:e.end]
			switch e.kind {
			case entURL:
				writeLink(&b, raw, e.schemeLen)
			case entMention:
				writeMention(&b, raw, e, o)
			case entTag:
				writeTag(&b, raw, o)
			}
		}
		textEscaper.WriteString(&b, para[pos:])
		b.WriteString("</p>")
	}
	return b.String()
}

// writeLink writes a shortened link to url, Mastodon style.
func writeLink(b *strings.Builder, url string, schemeLen int) {
	prefix := url[:schemeLen]
	if len(url) > schemeLen+4 && strings.EqualFold(url[schemeLen:schemeLen+4], "www.") {
		prefix = url[:schemeLen+4]
	}
	rest := url[len(prefix):]
	display, suffix := rest, ""
	if utf8.RuneCountInString(rest) > displayURLLen {
		cut, n := 0, 0
		for cut = range rest {
			if n == displayURLLen {
				break
			}
			n++
		}
		display, suffix = rest[:cut], rest[cut:]
	}
	b.WriteString(`<a href="`)
	attrEscaper.WriteString(b, url)
	b.WriteString(`" target="_blank" rel="nofollow noopener" translate="no"><span class="invisible">`)
	attrEscaper.WriteString(b, prefix)
	if suffix == "" {
		b.WriteString(`</span><span class="">`)
		attrEscaper.WriteString(b, display)
		b.WriteString(`</span></a>`)
		return
	}
	b.WriteString(`</span><span class="ellipsis">`)
	attrEscaper.WriteString(b, display)
	b.WriteString(`</span><span class="invisible">`)
	attrEscaper.WriteString(b, suffix)
	b.WriteString(`</span></a>`)
}

// writeMention writes a resolved mention as an h-card, or raw as text.
func writeMention(b *strings.Builder, raw string, e entity, o RenderOptions) {
	if o.Mention != nil {
		if m, ok := o.Mention(MentionRef{Username: e.username, Domain: e.domain}); ok && m.URL != "" {
			name := m.Username
			if name == "" {
				name = e.username
			}
			b.WriteString(`<span class="h-card" translate="no"><a href="`)
			attrEscaper.WriteString(b, m.URL)
			b.WriteString(`" class="u-url mention">@<span>`)
			attrEscaper.WriteString(b, name)
			b.WriteString(`</span></a></span>`)
			return
		}
	}
	attrEscaper.WriteString(b, raw)
}

// writeTag writes a hashtag link, or raw as text.
func writeTag(b *strings.Builder, raw string, o RenderOptions) {
	name := raw[1:]
	if o.TagURL != nil {
		if u := o.TagURL(normTag(name)); u != "" {
			b.WriteString(`<a href="`)
			attrEscaper.WriteString(b, u)
			b.WriteString(`" class="mention hashtag" rel="tag">#<span>`)
			attrEscaper.WriteString(b, name)
			b.WriteString(`</span></a>`)
			return
		}
	}
	attrEscaper.WriteString(b, raw)
}
