package webui_test

import (
	"net/http"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// The web UI reads page cursors by the API's rule: a negative or
// malformed max_id is a 400, not the first page again.
func TestPageCursorIsAnID(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	b := newBrowser(t, ts)
	for _, path := range []string{"/@alice?max_id=-1", "/tags/herald?max_id=abc"} {
		if code, _ := b.do("GET", path, nil); code != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 400", path, code)
		}
	}
	if code, _ := b.do("GET", "/@alice?max_id=1", nil); code != http.StatusOK {
		t.Errorf("GET /@alice?max_id=1: %d, want 200", code)
	}
}
