package webui_test

import (
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/server"
)

type apiDomainBlock struct {
	ID, Domain, Severity string
	RejectMedia          bool   `json:"reject_media"`
	RejectReports        bool   `json:"reject_reports"`
	PrivateComment       string `json:"private_comment"`
	PublicComment        string `json:"public_comment"`
	Obfuscate            bool
}

// TestConsoleEditsDomainBlocks: the console lists a block with its
// private comment, edits every field of it (kept on a refused form), shows
// the config's blocks read-only with their source, exports the blocks as
// Mastodon's CSV, and imports a CSV in two steps: the preview lists errors
// per line and the domains already covered (which are never weakened), and
// only the chosen domains are blocked.
func TestConsoleEditsDomainBlocks(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) { c.Federation.BlockedDomains = []string{"configured.example"} })
	ts.CreateUser(t, "owner1", "owner")
	tok := ts.Token(t, "owner1", "admin:read admin:write")
	var blk apiDomainBlock
	ts.JSON(t, "POST", "/api/v1/admin/domain_blocks", tok, map[string]any{"domain": "spam.example", "severity": "suspend",
		"private_comment": "seen in report 12", "public_comment": "spam"}, 200, &blk)

	b := newBrowser(t, ts)
	b.signIn("owner1")
	_, body := b.do("GET", "/admin/federation", nil)
	if !strings.Contains(body, "seen in report 12") || !strings.Contains(body, `href="/admin/federation/blocks/`+blk.ID+`"`) {
		t.Fatal("the list lacks the private comment or the edit link")
	}
	if !strings.Contains(body, "configured.example") || !strings.Contains(body, "read-only") {
		t.Error("the config's block is not shown read-only")
	}
	edit := "/admin/federation/blocks/" + blk.ID
	b.do("GET", edit, nil)
	if st, body := b.do("POST", edit, url.Values{"severity": {"banish"}, "private_comment": {"typed text"}}); st != 422 || !strings.Contains(body, "Severity must be") || !strings.Contains(body, "typed text") {
		t.Errorf("a bad severity: %d", st)
	}
	if st, _ := b.do("POST", edit, url.Values{"severity": {"silence"}, "reject_media": {"1"}, "reject_reports": {"1"}, "obfuscate": {"1"},
		"public_comment": {"noisy"}, "private_comment": {"downgraded after talks"}}); st != 200 {
		t.Fatalf("edit: %d", st)
	}
	ts.JSON(t, "GET", "/api/v1/admin/domain_blocks/"+blk.ID, tok, nil, 200, &blk)
	if blk.Severity != "silence" || !blk.RejectMedia || !blk.RejectReports || !blk.Obfuscate || blk.PublicComment != "noisy" || blk.PrivateComment != "downgraded after talks" {
		t.Errorf("after the edit: %+v", blk)
	}
	if st, _ := b.do("GET", "/admin/federation/blocks/999", nil); st != 404 {
		t.Errorf("an unknown block: %d", st)
	}

	// Export.
	req, _ := http.NewRequest("GET", ts.URL+"/admin/federation/export.csv", nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "domain_blocks.csv") {
		t.Fatalf("export: %d %v %q", resp.StatusCode, err, raw)
	}
	want := [][]string{{"#domain", "#severity", "#reject_media", "#reject_reports", "#public_comment", "#obfuscate"},
		{"spam.example", "silence", "true", "true", "noisy", "true"}}
	if len(rows) != 2 || strings.Join(rows[0], ",") != strings.Join(want[0], ",") || strings.Join(rows[1], ",") != strings.Join(want[1], ",") {
		t.Errorf("export rows: %q", rows)
	}

	// Import: preview.
	file := "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n" +
		"bad.example,suspend,false,false,Spam wave,false\n" + // chosen
		"also.example,silence,true,false,,false\n" + // not chosen
		"spam.example,suspend,true,true,stricter,false\n" + // exists: not weakened nor changed
		"sub.configured.example,silence,false,false,,false\n" + // covered by the config
		"not a domain,suspend,false,false,,false\n" +
		"odd.example,explode,false,false,,false\n" +
		"bad.example,silence,false,false,,false\n" + // twice
		"flags.example,silence,maybe,false,,false\n"
	b.do("GET", "/admin/federation", nil)
	st, body := b.upload("/admin/federation/import", url.Values{}, "file", "blocklist.csv", []byte(file))
	if st != 200 {
		t.Fatalf("preview: %d", st)
	}
	for _, w := range []string{`value="bad.example" checked`, `value="also.example" checked`, "Line 6: &#34;not a domain&#34; is not a valid domain name",
		"Line 7: severity &#34;explode&#34; is not silence, suspend or noop", "Line 8: bad.example is already on line 2", "Line 9: reject_media &#34;maybe&#34; is not true or false",
		"spam.example — blocked (silence)", "sub.configured.example — covered by the block of configured.example (suspend)"} {
		if !strings.Contains(body, w) {
			t.Errorf("the preview lacks %q", w)
		}
	}
	if strings.Contains(body, `value="spam.example"`) {
		t.Error("an existing block is offered again")
	}
	// Apply the chosen one only.
	csvField := regexpCSV(t, body)
	if st, body := b.do("POST", "/admin/federation/import", url.Values{"apply": {"1"}, "source": {"blocklist.csv"}, "csv": {csvField}, "domains": {"bad.example"}}); st != 200 || !strings.Contains(body, "1 domain blocked") {
		t.Fatalf("apply: %d", st)
	}
	var list []apiDomainBlock
	ts.JSON(t, "GET", "/api/v1/admin/domain_blocks", tok, nil, 200, &list)
	got := map[string]apiDomainBlock{}
	for _, d := range list {
		got[d.Domain] = d
	}
	if len(got) != 2 || got["bad.example"].Severity != "suspend" || got["bad.example"].PublicComment != "Spam wave" ||
		!strings.HasPrefix(got["bad.example"].PrivateComment, "Imported from blocklist.csv on ") {
		t.Errorf("after the import: %+v", got)
	}
	if got["spam.example"].Severity != "silence" || got["spam.example"].PublicComment != "noisy" {
		t.Errorf("the existing block was changed: %+v", got["spam.example"])
	}
	// A file without the header.
	b.do("GET", "/admin/federation", nil)
	if st, body := b.upload("/admin/federation/import", url.Values{}, "file", "x.csv", []byte("evil.example\n")); st != 422 || !strings.Contains(body, "The first line must be the header") {
		t.Errorf("no header: %d", st)
	}
	// Nothing chosen.
	if st, body := b.do("POST", "/admin/federation/import", url.Values{"apply": {"1"}, "csv": {csvField}}); st != 422 || !strings.Contains(body, "Choose the domains to block") {
		t.Errorf("nothing chosen: %d", st)
	}
}

// regexpCSV reads back the file the preview form carries.
func regexpCSV(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, `<textarea name="csv" hidden>`)
	j := strings.Index(body[i:], "</textarea>")
	if i < 0 || j < 0 {
		t.Fatal("no csv field in the preview")
	}
	s := body[i+len(`<textarea name="csv" hidden>`) : i+j]
	return strings.NewReplacer("&#34;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#39;", "'").Replace(s)
}
