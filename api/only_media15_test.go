package api_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// TestOnlyMediaTimelines: only_media keeps the posts with media on account
// statuses, the public timelines and the tag timeline (it returned an
// empty list).
func TestOnlyMediaTimelines(t *testing.T) {
	ts := server.StartTest(t)
	alice := ts.CreateUser(t, "alice", "user")
	tok := ts.Token(t, "alice", "read write")
	var plain, pic struct {
		ID string `json:"id"`
	}
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "words #cats"}, 200, &plain)
	var m mediaJSON
	if st := upload(t, ts, "POST", "/api/v2/media", tok, nil, map[string]formFile{"file": {"p.jpg", "image/jpeg", gpsJPEG(t, 32, 16)}}, &m); st != 200 {
		t.Fatalf("upload: %d", st)
	}
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "a picture #cats", "media_ids": []string{m.ID}}, 200, &pic)
	for _, path := range []string{
		fmt.Sprintf("/api/v1/accounts/%d/statuses?only_media=true", alice.ID),
		"/api/v1/timelines/public?only_media=true",
		"/api/v1/timelines/public?local=true&only_media=1",
		"/api/v1/timelines/tag/cats?only_media=true",
	} {
		var got []struct {
			ID    string `json:"id"`
			Media []any  `json:"media_attachments"`
		}
		ts.JSON(t, "GET", path, tok, nil, 200, &got)
		if len(got) != 1 || got[0].ID != pic.ID || len(got[0].Media) != 1 {
			t.Errorf("%s: %+v, want only %s", path, got, pic.ID)
		}
	}
	var all []struct{}
	ts.JSON(t, "GET", "/api/v1/timelines/tag/cats", tok, nil, 200, &all)
	if len(all) != 2 {
		t.Errorf("tag timeline without only_media: %d posts", len(all))
	}
}

// TestHealthIsPlainOK: /health answers the text OK, as Mastodon.
func TestHealthIsPlainOK(t *testing.T) {
	ts := server.StartTest(t)
	for _, p := range []string{"/health", "/api/v1/streaming/health"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "OK" {
			t.Errorf("%s: %d %q", p, resp.StatusCode, b)
		}
	}
}

// TestInstanceLanguages: GET /api/v1/instance/languages lists {code, name}.
func TestInstanceLanguages(t *testing.T) {
	ts := server.StartTest(t)
	var langs []struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	ts.JSON(t, "GET", "/api/v1/instance/languages", "", nil, 200, &langs)
	found := map[string]string{}
	for _, l := range langs {
		found[l.Code] = l.Name
	}
	if len(langs) < 150 || found["en"] != "English" || found["de"] != "German" || found["ja"] != "Japanese" {
		t.Fatalf("%d languages: en=%q de=%q ja=%q", len(langs), found["en"], found["de"], found["ja"])
	}
}

// TestConversationUnread: POST /api/v1/conversations/:id/unread marks a
// read conversation unread; another account's id is 404.
func TestConversationUnread(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "bob", "user")
	alice, bob := ts.Token(t, "alice", "read write"), ts.Token(t, "bob", "read write")
	ts.JSON(t, "POST", "/api/v1/statuses", alice, map[string]any{"status": "@bob hi", "visibility": "direct"}, 200, nil)
	type conv struct {
		ID     string `json:"id"`
		Unread bool   `json:"unread"`
	}
	var cs []conv
	ts.JSON(t, "GET", "/api/v1/conversations", bob, nil, 200, &cs)
	if len(cs) != 1 {
		t.Fatalf("conversations: %+v", cs)
	}
	var c conv
	ts.JSON(t, "POST", "/api/v1/conversations/"+cs[0].ID+"/read", bob, nil, 200, &c)
	if c.Unread {
		t.Fatalf("after read: %+v", c)
	}
	ts.JSON(t, "POST", "/api/v1/conversations/"+cs[0].ID+"/unread", bob, nil, 200, &c)
	if !c.Unread || c.ID != cs[0].ID {
		t.Fatalf("after unread: %+v", c)
	}
	ts.JSON(t, "GET", "/api/v1/conversations", bob, nil, 200, &cs)
	if len(cs) != 1 || !cs[0].Unread {
		t.Fatalf("listed after unread: %+v", cs)
	}
	ts.JSON(t, "POST", "/api/v1/conversations/"+cs[0].ID+"/unread", alice, nil, 404, nil)
	ts.JSON(t, "POST", "/api/v1/conversations/x/unread", bob, nil, 404, nil)
}
