package text

import (
	"strings"
	"testing"
)

// benchStatus is a typical ~300-character status: two mentions (one
// remote), a hashtag, a link and two paragraphs.
const benchStatus = "Hey @alice and @bob@remote.example, I finally wrote up how we moved our " +
	"build to the new pipeline. It took longer than planned, mostly because of flaky " +
	"integration tests, but the result is worth it:\n" +
	"https://blog.example.com/2024/06/moving-our-build-pipeline?utm_source=fedi\n\n" +
	"Feedback welcome! #DevOps"

// benchRemoteHTML builds about 2 KiB of typical remote status HTML.
func benchRemoteHTML() string {
	const para = `<p><span class="h-card" translate="no"><a href="https://remote.example/@bob" class="u-url mention">@<span>bob</span></a></span> ` +
		`Here is a paragraph with <em>emphasis</em>, <strong>strong text</strong> and a link ` +
		`<a href="https://example.com/articles/2024/some-long-title" target="_blank" rel="nofollow noopener noreferrer" translate="no">` +
		`<span class="invisible">https://</span><span class="ellipsis">example.com/articles/2024/some</span><span class="invisible">-long-title</span></a>` +
		` <a href="https://remote.example/tags/go" class="mention hashtag" rel="tag">#<span>go</span></a><br>second line &amp; more</p>`
	var b strings.Builder
	for b.Len() < 2048 {
		b.WriteString(para)
	}
	return b.String()
}

func BenchmarkRender(b *testing.B) {
	if n := len(benchStatus); n < 280 || n > 320 {
		b.Fatalf("bench status is %d bytes", n)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchStatus)))
	for b.Loop() {
		Render(benchStatus, goldenOptions)
	}
}

func BenchmarkSanitizeRemote(b *testing.B) {
	in := benchRemoteHTML()
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		SanitizeRemote(in)
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Parse(benchStatus)
	}
}

func BenchmarkLength(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Length(benchStatus)
	}
}
