package api_test

import (
	"fmt"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// TestEditKeepsRemovedMediaInHistory: an attachment an edit removes stays
// in the versions of GET /api/v1/statuses/:id/history that had it (it was
// deleted, and the older versions lost it), as Mastodon keeps it; it is
// on the status no more, cannot be attached to another post, changed or
// deleted through /api/v1/media, may come back in a later edit, and goes
// with the status (a redraft keeps only the attachments the status has).
func TestEditKeepsRemovedMediaInHistory(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "ann", "")
	tok := ts.Token(t, "ann", "read write")
	m1, m2 := uploadPhoto(t, ts, tok, "the bridge"), uploadPhoto(t, ts, tok, "the boat")
	var st editedStatus
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "two pictures", "media_ids": []string{m1.ID, m2.ID}}, 200, &st)
	ts.JSON(t, "PUT", "/api/v1/statuses/"+st.ID, tok, map[string]any{"status": "one picture", "media_ids": []string{m1.ID}}, 200, &st)
	if got := descs(st.Media); fmt.Sprint(got) != "[the bridge]" {
		t.Fatalf("after the edit: %v", got)
	}
	history := func() [][]string {
		t.Helper()
		var hist []historyEntry
		ts.JSON(t, "GET", "/api/v1/statuses/"+st.ID+"/history", tok, nil, 200, &hist)
		var out [][]string
		for _, h := range hist {
			out = append(out, descs(h.Media))
		}
		return out
	}
	if got := fmt.Sprint(history()); got != "[[the bridge the boat] [the bridge]]" {
		t.Fatalf("history after the edit: %s", got)
	}
	// Not an upload to reuse, change or delete.
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "elsewhere", "media_ids": []string{m2.ID}}, 422, nil)
	ts.JSON(t, "PUT", "/api/v1/media/"+m2.ID, tok, map[string]any{"description": "changed"}, 404, nil)
	ts.JSON(t, "DELETE", "/api/v1/media/"+m2.ID, tok, nil, 422, nil)

	// It may come back in a later edit (and the other one goes).
	ts.JSON(t, "PUT", "/api/v1/statuses/"+st.ID, tok, map[string]any{"status": "the other picture", "media_ids": []string{m2.ID}}, 200, &st)
	if got := fmt.Sprint(history()); got != "[[the bridge the boat] [the bridge] [the boat]]" {
		t.Fatalf("history after the second edit: %s", got)
	}

	// Deleting the status deletes the one kept for the history; the one
	// it has stays for a redraft, as Mastodon keeps it.
	ts.JSON(t, "DELETE", "/api/v1/statuses/"+st.ID, tok, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/media/"+m1.ID, tok, nil, 404, nil)
	ts.JSON(t, "GET", "/api/v1/media/"+m2.ID, tok, nil, 200, nil)
}
