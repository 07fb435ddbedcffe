package text

import (
	"html"
	"os"
	"regexp"
	"strings"
	"testing"
)

// xssVectors are classic cross-site-scripting payloads, kept in
// testdata/xss_payloads.txt (shared with the end-to-end test in
// internal/server). None carries its payload in text content, so the
// forbidden patterns must be absent from the output even after it is
// HTML-unescaped.
var xssVectors = loadXSSPayloads()

func loadXSSPayloads() []string {
	b, err := os.ReadFile("testdata/xss_payloads.txt")
	if err != nil {
		panic(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if len(out) < 50 {
		panic("testdata/xss_payloads.txt holds too few payloads")
	}
	return out
}

var (
	// onAttrRE is an event-handler attribute.
	onAttrRE = regexp.MustCompile(`(?i)[\s/"']on[a-z]+\s*=`)
	// forbidden are the substrings SanitizeRemote's output must never hold.
	forbidden = []string{
		"<script", "javascript:", "data:", "vbscript:", "style=", "<style",
		"<iframe", "<svg", "<img", "<object", "<embed", "<form", "<base", "<meta", "<link", "<math",
	}
)

// checkForbidden reports every forbidden pattern in out, case-insensitively.
func checkForbidden(t *testing.T, what, out string) {
	t.Helper()
	lower := strings.ToLower(out)
	for _, f := range forbidden {
		if strings.Contains(lower, f) {
			t.Errorf("%s contains %q: %s", what, f, out)
		}
	}
	if onAttrRE.MatchString(out) {
		t.Errorf("%s contains an on…= attribute: %s", what, out)
	}
}

func TestSanitizeRemoteXSS(t *testing.T) {
	for _, in := range xssVectors {
		out := SanitizeRemote(in)
		checkForbidden(t, "output of "+in, out)
		checkForbidden(t, "unescaped output of "+in, html.UnescapeString(out))
		checkWellFormed(t, out)
	}
}

func TestSanitizeRemoteAllowed(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"paragraphs and breaks", `<p>Hello<br>world</p><p>again<br/></p>`, `<p>Hello<br />world</p><p>again<br /></p>`},
		{"link gets rel and target", `<p><a href="https://example.com/post" rel="noopener noreferrer" target="_self">link</a></p>`,
			`<p><a href="https://example.com/post" rel="nofollow noopener" target="_blank">link</a></p>`},
		{"mention and hashtag markup",
			`<p><span class="h-card"><a href="https://remote.example/@bob" class="u-url mention">@<span>bob</span></a></span> hi <a href="https://remote.example/tags/go" class="mention hashtag" rel="tag">#<span>go</span></a></p>`,
			`<p><span class="h-card"><a href="https://remote.example/@bob" class="u-url mention" rel="nofollow noopener" target="_blank">@<span>bob</span></a></span> hi <a href="https://remote.example/tags/go" class="mention hashtag" rel="tag nofollow noopener" target="_blank">#<span>go</span></a></p>`},
		{"shortened link", `<a href="https://example.com/long"><span class="invisible">https://</span><span class="ellipsis">example.com/</span><span class="invisible">long</span></a>`,
			`<a href="https://example.com/long" rel="nofollow noopener" target="_blank"><span class="invisible">https://</span><span class="ellipsis">example.com/</span><span class="invisible">long</span></a>`},
		{"headings become strong", `<h1>Title</h1><h3 id="x">Sub</h3><p>x</p>`, `<p><strong>Title</strong></p><p><strong>Sub</strong></p><p>x</p>`},
		{"lists", `<ol start="3" reversed><li value="5">a</li></ol><ul><li>b</li></ul>`, `<ol start="3" reversed=""><li value="5">a</li></ol><ul><li>b</li></ul>`},
		{"quotes and code", `<blockquote><p>q</p></blockquote><pre><code>x &lt; y &amp;&amp; z</code></pre>`, `<blockquote><p>q</p></blockquote><pre><code>x &lt; y &amp;&amp; z</code></pre>`},
		{"inline formatting", `<del>d</del><em>e</em><strong>s</strong><b>b</b><i>i</i><u>u</u>`, `<del>d</del><em>e</em><strong>s</strong><b>b</b><i>i</i><u>u</u>`},
		{"other schemes", `<a href="gemini://example.org/">g</a> <a href="magnet:?xt=urn:btih:abc">m</a>`,
			`<a href="gemini://example.org/" rel="nofollow noopener" target="_blank">g</a> <a href="magnet:?xt=urn:btih:abc" rel="nofollow noopener" target="_blank">m</a>`},
		{"disallowed scheme drops link", `<a href="ftp://example.org/">f</a>`, `f`},
		{"relative link dropped", `<a href="/local/path">r</a>`, `r`},
		{"link without safe href becomes span", `<a href="ftp://example.org/" class="mention">f</a>`, `<span class="mention">f</span>`},
		{"class filtering", `<span class="h-card evil invisible p-name dt-x">x</span><span class="evil">y</span>`,
			`<span class="h-card invisible p-name dt-x">x</span><span>y</span>`},
		{"unknown elements keep text", `<div>x</div><table><tr><td>y</td></tr></table>`, `xy`},
		{"entities", `<p>a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39; &nbsp;</p>`, "<p>a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39; \u00a0</p>"},
		{"unbalanced closed", `<p><b>x</p> <blockquote>y`, `<p><b>x</b></p> <blockquote>y</blockquote>`},
		{"stray end tags dropped", `</b>stray</p>`, `stray`},
		{"misnested heading", `<h1>a</h2>`, `<p><strong>a</strong></p>`},
		{"empty", ``, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SanitizeRemote(tt.in); got != tt.want {
				t.Errorf("SanitizeRemote(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestSanitizeRemoteIdempotentOnCorpus(t *testing.T) {
	for _, in := range xssVectors {
		once := SanitizeRemote(in)
		if twice := SanitizeRemote(once); twice != once {
			t.Errorf("not idempotent for %q:\n once %s\ntwice %s", in, once, twice)
		}
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"text", "hello", "hello"},
		{"paragraphs", "<p>one</p><p>two</p>", "one\ntwo"},
		{"br", "<p>a<br>b<br/>c</p>", "a\nb\nc"},
		{"entities", "<p>a &amp; b &lt;c&gt; &quot;d&#39; caf&eacute;</p>", `a & b <c> "d' café`},
		{"rendered status", Render("Hi @alice see https://example.com/2024/01/a-rather-long-article-title-here\n\n#Go", goldenOptions),
			"Hi @alice see https://example.com/2024/01/a-rather-long-article-title-here\n#Go"},
		{"source whitespace collapses", "<p>\n  a\n  b\n</p>\n<p>c</p>", "a b\nc"},
		{"pre keeps whitespace", "<pre>a\n  b</pre>", "a\n  b"},
		{"lists", "<ul><li>a</li><li>b</li></ul>after", "a\nb\nafter"},
		{"script and style dropped", "<script>alert(1)</script><style>p{}</style>text", "text"},
		{"headings", "<h1>T</h1>body", "T\nbody"},
		{"inline", "a <b>b</b> <i>c</i>", "a b c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PlainText(tt.in); got != tt.want {
				t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSanitizeName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"plain", "Alice", 30, "Alice"},
		{"trim", "  Alice  ", 30, "Alice"},
		{"controls dropped", "Al\x00i\x07ce\x1b[31m\u0085", 30, "Alice[31m"},
		{"newlines become spaces", "Alice\n\nSmith\tJr", 30, "Alice Smith Jr"},
		{"bidi overrides dropped", "\u202egnp.exe\u202c \u2066x\u2069", 30, "gnp.exe x"},
		{"bom dropped", "\ufeffAlice", 30, "Alice"},
		{"markup kept as text", "<b>Alice</b>", 30, "<b>Alice</b>"},
		{"emoji and zwj kept", "Alice 👩\u200d💻", 30, "Alice 👩\u200d💻"},
		{"truncated to runes", "Ålice Åmith", 5, "Ålice"},
		{"no trailing space after cut", "abcd efgh", 5, "abcd"},
		{"invalid utf8", "a\xffb", 30, "a\ufffdb"},
		{"no limit", strings.Repeat("x", 100), 0, strings.Repeat("x", 100)},
		{"only controls", "\x00\x01\n", 10, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SanitizeName(tt.in, tt.n); got != tt.want {
				t.Errorf("SanitizeName(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}
