package api_test

import (
	"fmt"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// TestAdminSensitizeForcesNewMediaSensitive: the admin "sensitive" action
// marks the account sensitized (admin account entity) and its new posts
// sensitive whatever the client asks, until "unsensitive" (it was stored
// and shown, and changed nothing).
func TestAdminSensitizeForcesNewMediaSensitive(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "boss", "admin")
	troll := ts.CreateUser(t, "troll", "user")
	admin := ts.Token(t, "boss", "read write admin:read admin:write")
	tok := ts.Token(t, "troll", "read write")
	type post struct {
		ID        string `json:"id"`
		Sensitive bool   `json:"sensitive"`
	}
	postPicture := func(sensitive bool) post {
		t.Helper()
		var m mediaJSON
		if st := upload(t, ts, "POST", "/api/v2/media", tok, nil, map[string]formFile{"file": {"p.jpg", "image/jpeg", gpsJPEG(t, 32, 16)}}, &m); st != 200 {
			t.Fatalf("upload: %d", st)
		}
		var p post
		ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "look", "media_ids": []string{m.ID}, "sensitive": sensitive}, 200, &p)
		return p
	}
	sensitized := func() bool {
		t.Helper()
		var acc struct {
			Sensitized bool `json:"sensitized"`
		}
		ts.JSON(t, "GET", fmt.Sprintf("/api/v1/admin/accounts/%d", troll.ID), admin, nil, 200, &acc)
		return acc.Sensitized
	}
	before := postPicture(false)
	if before.Sensitive || sensitized() {
		t.Fatalf("before the action: %+v sensitized=%v", before, sensitized())
	}
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/action", troll.ID), admin, map[string]any{"type": "sensitive"}, 200, nil)
	if !sensitized() {
		t.Fatal("the admin account is not sensitized")
	}
	if p := postPicture(false); !p.Sensitive {
		t.Errorf("a new post of a sensitized account: %+v", p)
	}
	// An edit cannot lift it either.
	var edited post
	ts.JSON(t, "PUT", "/api/v1/statuses/"+before.ID, tok, map[string]any{"status": "look again", "sensitive": false}, 200, &edited)
	if !edited.Sensitive {
		t.Errorf("an edit of a sensitized account: %+v", edited)
	}
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/unsensitive", troll.ID), admin, nil, 200, nil)
	if sensitized() {
		t.Fatal("still sensitized after unsensitive")
	}
	if p := postPicture(false); p.Sensitive {
		t.Errorf("a new post after unsensitive: %+v", p)
	}
}
