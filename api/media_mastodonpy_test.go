package api_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
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

// TestMastodonPyPhotoFederates is the media issue's end-to-end case: a
// photo posted from Mastodon.py on one instance reaches a follower on a
// second instance over real ActivityPub, with its alt text, blurhash and
// size, and neither instance stores its GPS block.
func TestMastodonPyPhotoFederates(t *testing.T) {
	py := ""
	for _, cand := range []string{"/usr/bin/python3", "python3"} {
		if p, err := exec.LookPath(cand); err == nil && exec.Command(p, "-c", "import mastodon").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		t.Skip("python3 with the mastodon module is not installed")
	}
	a := server.StartTest(t)
	b := server.StartTest(t)
	a.CreateUser(t, "alice", "")
	b.CreateUser(t, "bob", "")
	aliceTok := a.Token(t, "alice", "read write")
	bobTok := b.Token(t, "bob", "read write follow")

	// Bob (on B) finds alice@A through WebFinger and follows her.
	var found struct {
		Accounts []struct {
			ID   string `json:"id"`
			Acct string `json:"acct"`
		} `json:"accounts"`
	}
	b.JSON(t, "GET", "/api/v2/search?resolve=true&type=accounts&q="+url.QueryEscape("alice@"+a.Domain), bobTok, nil, 200, &found)
	if len(found.Accounts) != 1 || found.Accounts[0].Acct != "alice@"+a.Domain {
		t.Fatalf("resolve alice@%s on B: %+v", a.Domain, found)
	}
	remoteAlice := found.Accounts[0].ID
	b.JSON(t, "POST", "/api/v1/accounts/"+remoteAlice+"/follow", bobTok, nil, 200, nil)
	testutil.Eventually(t, 15*time.Second, "B's follow of alice accepted", func() bool {
		var rels []struct{ Following bool }
		b.JSON(t, "GET", "/api/v1/accounts/relationships?id[]="+remoteAlice, bobTok, nil, 200, &rels)
		return len(rels) == 1 && rels[0].Following
	})

	photo := filepath.Join(t.TempDir(), "bridge.jpg")
	if err := os.WriteFile(photo, gpsJPEG(t, 1200, 800), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", mastodonPyScript, a.URL, aliceTok, photo)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("Mastodon.py: %v\n%s", err, stderr.String())
	}

	var arrived statusWithMedia
	testutil.Eventually(t, 15*time.Second, "the photo in bob's home timeline on B", func() bool {
		var home []statusWithMedia
		b.JSON(t, "GET", "/api/v1/timelines/home", bobTok, nil, 200, &home)
		for _, s := range home {
			if strings.Contains(s.Content, "Photo from Mastodon.py") && len(s.MediaAttachments) == 1 {
				arrived = s
				return true
			}
		}
		return false
	})
	m := arrived.MediaAttachments[0]
	if m.Description == nil || *m.Description != "The minister opens the bridge" || m.Blurhash == nil || len(*m.Blurhash) != 36 ||
		m.Meta.Original == nil || m.Meta.Original.Width != 800 || m.Meta.Original.Height != 1200 || m.URL == nil {
		t.Fatalf("attachment on B: %+v", m)
	}
	status, _, body := fetch(t, *m.URL)
	if status != 200 {
		t.Fatalf("GET %s on B: %d", *m.URL, status)
	}
	assertNoGPS(t, "B's copy", body)
	for _, ts := range []*server.TestServer{a, b} {
		for _, f := range filesUnder(t, ts.Cfg.MediaDir()) {
			raw, _ := os.ReadFile(f)
			assertNoGPS(t, f, raw)
		}
	}
}
