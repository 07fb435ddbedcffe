package text

import (
	"strings"
	"testing"
)

func TestRenderMarkdownForSitePages(t *testing.T) {
	src := "# Terms\n\nWe keep **little**.\nSee [the law](https://example.org/law) or write to <press@example.org>.\n\n" +
		"## Your rights\n\n1. access\n2. erasure\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n" +
		"<script>alert(1)</script><img src=\"https://tracker.example/p.gif\"><iframe src=\"https://x.example\"></iframe>" +
		"[bad](javascript:alert(1))"
	got := RenderMarkdown(src)
	for _, want := range []string{"<h1>Terms</h1>", "<h2>Your rights</h2>", "<strong>little</strong>", "<br>",
		`<a href="https://example.org/law" rel="nofollow">the law</a>`, `href="mailto:press@example.org"`,
		"<ol>", "<li>erasure</li>", "<table>", "<td>1</td>"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	for _, bad := range []string{"<script", "alert(1)</script", "<img", "tracker.example", "<iframe", `href="javascript`} {
		if strings.Contains(got, bad) {
			t.Errorf("kept %q:\n%s", bad, got)
		}
	}
}
