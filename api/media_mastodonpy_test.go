package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// mastodonPyScript uploads a photo with alt text from Mastodon.py (v2
// media, synchronous polling), posts it, and prints the status as JSON.
const mastodonPyScript = `
import json, sys
from mastodon import Mastodon
base, token, photo = sys.argv[1], sys.argv[2], sys.argv[3]
api = Mastodon(access_token=token, api_base_url=base, version_check_mode="none", mastodon_version="4.3.0", request_timeout=15)
media = api.media_post(photo, mime_type="image/jpeg", description="The minister opens the bridge", focus=(0.0, 0.5), synchronous=True)
status = api.status_post("Photo from Mastodon.py", media_ids=[media])
for m in status["media_attachments"]:
    m["id"] = str(m["id"])
print(json.dumps({"id": str(status["id"]), "media_attachments": status["media_attachments"]}, default=str))
`

// TestMastodonPyPhoto posts a photo from a real client, Mastodon.py, and
// checks it shows with its preview, blurhash and alt text, and that no
// stored file carries the GPS block it was uploaded with.
func TestMastodonPyPhoto(t *testing.T) {
	py := ""
	for _, cand := range []string{"/usr/bin/python3", "python3"} { // Debian's python3-mastodon lives in /usr/bin's
		if p, err := exec.LookPath(cand); err == nil && exec.Command(p, "-c", "import mastodon").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		t.Skip("python3 with the mastodon module is not installed")
	}
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "")
	token := ts.Token(t, "alice", "read write")
	photo := filepath.Join(t.TempDir(), "bridge.jpg")
	if err := os.WriteFile(photo, gpsJPEG(t, 1200, 800), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(py, "-c", mastodonPyScript, ts.URL, token, photo)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("Mastodon.py: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var st statusWithMedia
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &st); err != nil {
		t.Fatalf("output %q: %v", stdout.String(), err)
	}
	if len(st.MediaAttachments) != 1 {
		t.Fatalf("status: %+v", st)
	}
	m := st.MediaAttachments[0]
	if m.Type != "image" || m.URL == nil || m.PreviewURL == nil || m.Blurhash == nil || len(*m.Blurhash) != 36 ||
		m.Description == nil || *m.Description != "The minister opens the bridge" ||
		m.Meta.Original == nil || m.Meta.Original.Width != 800 || m.Meta.Original.Height != 1200 || m.Meta.Small == nil {
		t.Fatalf("attachment: %+v %+v", m, m.Meta.Original)
	}
	for _, u := range []string{*m.URL, *m.PreviewURL} {
		status, _, b := fetch(t, u)
		if status != 200 {
			t.Fatalf("GET %s: %d", u, status)
		}
		assertNoGPS(t, u, b)
	}
	for _, f := range filesUnder(t, ts.Cfg.MediaDir()) {
		b, _ := os.ReadFile(f)
		assertNoGPS(t, f, b)
	}
}
