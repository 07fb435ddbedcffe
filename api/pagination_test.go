package api_test

import (
	"net/http"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// A page cursor that is no id is refused: read as "no cursor", a negative
// max_id answered the newest page again, and a client paging with it looped.
func TestPageCursorsAreIDs(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	tok := ts.Token(t, "alice", "read write")
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "hello"}, 200, nil)
	for _, path := range []string{
		"/api/v1/timelines/home?max_id=-5",
		"/api/v1/timelines/home?since_id=-1",
		"/api/v1/timelines/home?min_id=abc",
		"/api/v1/timelines/home?limit=many",
		"/api/v1/notifications?max_id=-5",
		"/api/v1/blocks?max_id=x",
		"/api/v1/favourites?max_id=-1",
	} {
		if code, _, body := ts.Do(t, "GET", path, tok, nil); code != http.StatusBadRequest {
			t.Errorf("GET %s: %d %s, want 400", path, code, body)
		}
	}
	var page []struct{ ID string }
	ts.JSON(t, "GET", "/api/v1/timelines/home?max_id=&limit=500", tok, nil, 200, &page)
	if len(page) != 1 {
		t.Errorf("home with an empty max_id: %d statuses, want 1", len(page))
	}
}
