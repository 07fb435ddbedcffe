package cli_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `herald export` writes an account's public record while the server
// runs: the same archive as the console's.
func TestExportWhileServing(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	cfg := writeTestConfig(t, dir, port, "")
	base := fmt.Sprintf("http://localhost:%d", port)
	startServe(t, dir, nil, base, "--config", cfg, "--init")
	if _, stderr, code := run(t, dir, nil, "account", "create", "--config", cfg, "--username", "press",
		"--email", "press@example.org", "--password", "a long enough password"); code != 0 {
		t.Fatal(stderr)
	}
	stdout, _, _ := run(t, dir, nil, "token", "create", "--config", cfg, "--username", "press")
	token := lastLine(stdout)
	post := func(text, vis string) string {
		t.Helper()
		status, st := postForm(t, base+"/api/v1/statuses", token, url.Values{"status": {text}, "visibility": {vis}})
		if status != 200 {
			t.Fatalf("post: %d %v", status, st)
		}
		return st["id"].(string)
	}
	post("an announcement", "public")
	edited := post("a notice with a typo", "unlisted")
	post("to our followers", "private")
	req, _ := http.NewRequest("PUT", base+"/api/v1/statuses/"+edited, strings.NewReader(url.Values{"status": {"a notice, corrected"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("edit: %v %v", resp, err)
	}

	out := filepath.Join(dir, "press.zip")
	stdout, stderr, code := run(t, dir, nil, "export", "--config", cfg, "--username", "press", "--from", "2000-01-01", "--out", out)
	if code != 0 || !strings.Contains(stdout, "posts: 2, of which edited: 1;") {
		t.Fatalf("export: exit %d: %s %s", code, stdout, stderr)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	read := func(name string) []byte {
		t.Helper()
		f, err := zr.Open(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		return b
	}
	var ob struct {
		Type         string
		TotalItems   int `json:"totalItems"`
		OrderedItems []struct {
			Type   string
			Object struct{ Content string }
		} `json:"orderedItems"`
	}
	if err := json.Unmarshal(read("outbox.json"), &ob); err != nil || ob.Type != "OrderedCollection" || ob.TotalItems != 2 || len(ob.OrderedItems) != 2 ||
		!strings.Contains(ob.OrderedItems[0].Object.Content, "corrected") || !strings.Contains(ob.OrderedItems[1].Object.Content, "announcement") {
		t.Fatalf("outbox.json (%v): %s", err, read("outbox.json"))
	}
	if e := read("edits.json"); !bytes.Contains(e, []byte("a notice with a typo")) || !bytes.Contains(e, []byte("a notice, corrected")) {
		t.Errorf("edits.json: %s", e)
	}
	if m := read("manifest.json"); !bytes.Contains(m, []byte(`"exported_by": "the command line (herald export)"`)) {
		t.Errorf("manifest.json: %s", m)
	}
	if !strings.Contains(string(read("README.txt")), "from 2000-01-01T00:00:00Z to ") {
		t.Errorf("README.txt: %s", read("README.txt"))
	}

	// A period before the posts: an empty record.
	stdout, _, code = run(t, dir, nil, "export", "--config", cfg, "--username", "press", "--to", "2000-01-01", "--out", filepath.Join(dir, "empty.zip"))
	if code != 0 || !strings.Contains(stdout, "posts: 0,") {
		t.Errorf("empty period: exit %d: %s", code, stdout)
	}
	// Refused: a bad period, an unknown user, missing flags; no file left.
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--username", "press", "--from", "2024-02-01", "--to", "2024-01-01"}, 1, "from must be before to"},
		{[]string{"--username", "press", "--from", "last week"}, 1, "from must be a date"},
		{[]string{"--username", "nobody"}, 1, "no local user @nobody"},
		{[]string{"--from", "2024-01-01"}, 2, "needs --username"},
	} {
		bad := filepath.Join(dir, "bad.zip")
		args := append([]string{"export", "--config", cfg, "--out", bad}, c.args...)
		if _, stderr, code := run(t, dir, nil, args...); code != c.code || !strings.Contains(stderr, c.says) {
			t.Errorf("%v: exit %d, want %d: %s", c.args, code, c.code, stderr)
		}
		if _, err := os.Stat(bad); err == nil {
			t.Errorf("%v left %s", c.args, bad)
		}
	}
	if stdout, _, _ := run(t, dir, nil, "help"); !strings.Contains(stdout, "herald export --config FILE --username U") {
		t.Errorf("help does not show export: %s", stdout)
	}
}
