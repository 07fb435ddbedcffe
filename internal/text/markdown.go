package text

import (
	"bytes"
	"regexp"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// Admin-written pages (the about page, terms of service, privacy policy,
// the registrations message) are Markdown, as in Mastodon and GoToSocial:
// headings, lists, links, tables, emphasis. Raw HTML in them is allowed
// through goldmark and then sanitised with a policy of its own, so that an
// admin's text cannot carry scripts, forms, frames or third-party images
// (the pages load nothing from elsewhere).
var (
	// siteMarkdown is made on first use: most processes never render site
	// texts, and goldmark's parsers and extensions take a few hundred KB.
	siteMarkdown = sync.OnceValue(func() goldmark.Markdown {
		return goldmark.New(
			goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify),
			// Single line breaks stay line breaks: what admins typed before
			// the pages were Markdown keeps its shape.
			goldmark.WithRendererOptions(html.WithHardWraps(), html.WithUnsafe()),
		)
	})
	sitePolicyOnce sync.Once
	sitePolicy     *bluemonday.Policy
)

var tableAlign = regexp.MustCompile(`^(left|right|center)$`)

func newSitePolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "pre", "code",
		"em", "strong", "del", "s", "b", "i", "u", "sub", "sup", "ul", "ol", "li", "dl", "dt", "dd",
		"table", "thead", "tbody", "tr", "th", "td", "abbr")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("title").OnElements("a", "abbr")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowAttrs("align").Matching(tableAlign).OnElements("th", "td")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	return p
}

// RenderMarkdown renders admin-written Markdown as sanitised HTML.
func RenderMarkdown(src string) string {
	sitePolicyOnce.Do(func() { sitePolicy = newSitePolicy() })
	var buf bytes.Buffer
	if err := siteMarkdown().Convert([]byte(src), &buf); err != nil {
		// goldmark fails only when writing to the buffer fails; show the
		// text escaped rather than nothing.
		return sitePolicy.Sanitize("<p>" + bluemonday.StrictPolicy().Sanitize(src) + "</p>")
	}
	return sitePolicy.Sanitize(buf.String())
}
