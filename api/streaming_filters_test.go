package api_test

import (
	"testing"
	"time"

	"github.com/herald-social/herald/internal/testutil"
)

// Every change of the caller's filters, through v1 or v2, tells their user
// stream filters_changed, so that apps reload them.
func TestStreamingFiltersChanged(t *testing.T) {
	f := startStreaming(t)
	ws := dialWS(t, f.ts, f.tBob, "header", "stream=user")
	count := func() int {
		ws.mu.Lock()
		defer ws.mu.Unlock()
		n := 0
		for _, e := range ws.events {
			if e.Event == "filters_changed" {
				n++
			}
		}
		return n
	}
	changed := func(what string, want int) {
		t.Helper()
		testutil.Eventually(t, 10*time.Second, what+": filters_changed", func() bool { return count() >= want })
	}
	var v1 struct{ ID string }
	f.ts.JSON(t, "POST", "/api/v1/filters", f.tBob, map[string]any{"phrase": "spoiler", "context": []string{"home"}}, 200, &v1)
	changed("v1 create", 1)
	f.ts.JSON(t, "DELETE", "/api/v1/filters/"+v1.ID, f.tBob, nil, 200, nil)
	changed("v1 delete", 2)
	var v2 struct{ ID string }
	f.ts.JSON(t, "POST", "/api/v2/filters", f.tBob, map[string]any{"title": "t", "context": []string{"home"},
		"keywords_attributes": []map[string]any{{"keyword": "x"}}}, 200, &v2)
	changed("v2 create", 3)
	f.ts.JSON(t, "DELETE", "/api/v2/filters/"+v2.ID, f.tBob, nil, 200, nil)
	changed("v2 delete", 4)
}
