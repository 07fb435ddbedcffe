package webui_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/storage"
)

// The console's trends page lists what trends with its review; approving
// there makes a hashtag trend publicly. The dashboard shows the measures.
func TestConsoleTrendsReviewAndMeasures(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "boss", "admin")
	for _, u := range []string{"ann", "ben"} {
		ts.CreateUser(t, u, "")
		ts.JSON(t, "POST", "/api/v1/statuses", ts.Token(t, u, "write"), map[string]any{"status": "Hello #console"}, 200, nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ts.Srv.Jobs.Enqueue(ctx, storage.Job{Kind: core.JobTrendsRefresh, Key: "test", RunAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := ts.Srv.Jobs.Drained(ctx, core.JobTrendsRefresh); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, ts)
	b.signIn("boss")
	code, page := b.do("GET", "/admin/trends", nil)
	if code != 200 || !strings.Contains(page, "#console") || !strings.Contains(page, "Pending review") {
		t.Fatalf("trends page: %d %s", code, page)
	}
	i := strings.Index(page, `/admin/trends/tag/`)
	j := strings.Index(page[i:], `/approve"`)
	if i < 0 || j < 0 {
		t.Fatalf("no approve form: %s", page)
	}
	if code, _ := b.do("POST", page[i:i+j]+"/approve", url.Values{}); code != 200 {
		t.Fatalf("approve: %d", code)
	}
	var tags []struct {
		Name string `json:"name"`
	}
	_, _, body := ts.Do(t, "GET", "/api/v1/trends/tags", "", nil)
	if err := json.Unmarshal(body, &tags); err != nil || len(tags) != 1 || tags[0].Name != "console" {
		t.Fatalf("public trends after approving in the console: %s", body)
	}
	if _, page := b.do("GET", "/admin/trends", nil); !strings.Contains(page, "Approved") {
		t.Fatalf("trends page after approving: %s", page)
	}
	// The dashboard's measures: the two posters and boss were active today.
	if _, page := b.do("GET", "/admin", nil); !strings.Contains(page, "The last 30 days") || !strings.Contains(page, "Active users") ||
		!strings.Contains(page, "<polyline") {
		t.Fatalf("dashboard: %s", page)
	}
	// A user without Manage Taxonomies gets neither.
	u := newBrowser(t, ts)
	ts.CreateUser(t, "joe", "")
	u.signIn("joe")
	if code, _ := u.do("GET", "/admin/trends", nil); code != 403 {
		t.Fatalf("trends page for a user: %d", code)
	}
}
