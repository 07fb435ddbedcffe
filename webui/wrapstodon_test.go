package webui_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/server"
)

// TestWrapstodonSharePage: a generated annual report has a share_url
// (Mastodon's /@user/wrapstodon/YEAR/KEY) whose page shows the year to
// anyone with the link: the archetype, the counts, the top hashtag and
// the top posts the visitor may see (a followers-only post only to a
// follower). Without a generated report, with a wrong key or year, or
// for a suspended account, there is no page (404).
func TestWrapstodonSharePage(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	ann := ts.CreateUser(t, "ann", "user")
	ts.CreateUser(t, "ben", "user")
	annTok, benTok := ts.Token(t, "ann", "read write"), ts.Token(t, "ben", "read write follow")
	var pub, priv struct {
		ID string `json:"id"`
	}
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", ann.ID), benTok, nil, 200, nil)
	ts.JSON(t, "POST", "/api/v1/statuses", annTok, map[string]any{"status": "my loudest #wrapped post"}, 200, &pub)
	ts.JSON(t, "POST", "/api/v1/statuses", annTok, map[string]any{"status": "only for my followers", "visibility": "private"}, 200, &priv)
	ts.JSON(t, "POST", "/api/v1/statuses/"+pub.ID+"/reblog", benTok, nil, 200, nil)
	ts.JSON(t, "POST", "/api/v1/statuses/"+priv.ID+"/favourite", benTok, nil, 200, nil)

	year := time.Now().UTC().Year()
	path := func(key string) string { return fmt.Sprintf("/@ann/wrapstodon/%d/%s", year, key) }
	// Not generated yet: no page, whatever the key.
	if code, _, _ := ts.Do(t, "GET", path("0123456789abcdef"), "", nil); code != 404 {
		t.Fatalf("before generating: %d", code)
	}
	ts.Srv.Svc.SetClock(func() time.Time { return time.Date(year, 12, 15, 12, 0, 0, 0, time.UTC) })
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/annual_reports/%d/generate", year), annTok, nil, 200, nil)
	var w struct {
		AnnualReports []struct {
			ShareURL *string `json:"share_url"`
		} `json:"annual_reports"`
	}
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/annual_reports/%d", year), annTok, nil, 200, &w)
	if len(w.AnnualReports) != 1 || w.AnnualReports[0].ShareURL == nil {
		t.Fatalf("reports: %+v", w)
	}
	share, err := url.Parse(*w.AnnualReports[0].ShareURL)
	if err != nil || !strings.HasPrefix(share.Path, fmt.Sprintf("/@ann/wrapstodon/%d/", year)) || ts.URL+share.Path != *w.AnnualReports[0].ShareURL {
		t.Fatalf("share_url %q", *w.AnnualReports[0].ShareURL)
	}
	key := strings.TrimPrefix(share.Path, fmt.Sprintf("/@ann/wrapstodon/%d/", year))

	code, _, body := ts.Do(t, "GET", share.Path, "", nil)
	page := string(body)
	if code != 200 || !strings.Contains(page, fmt.Sprintf("Wrapstodon %d", year)) || !strings.Contains(page, "#wrapped") ||
		!strings.Contains(page, "my loudest") || strings.Contains(page, "only for my followers") ||
		!strings.Contains(page, `<strong>2</strong> posts this year`) || !strings.Contains(page, `<strong>1</strong> new followers`) ||
		!strings.Contains(page, `name="robots" content="noindex, noarchive"`) {
		t.Fatalf("anonymous share page: %d %s", code, page)
	}
	// ben follows ann: he sees her followers-only top post too.
	b := newBrowser(t, ts)
	b.signIn("ben")
	if code, page := b.do("GET", share.Path, nil); code != 200 || !strings.Contains(page, "only for my followers") {
		t.Fatalf("follower's share page: %d %s", code, page)
	}

	for _, p := range []string{path("0123456789abcdef"), path(key[:len(key)-1]), fmt.Sprintf("/@ann/wrapstodon/%d/%s", year-1, key),
		fmt.Sprintf("/@ben/wrapstodon/%d/%s", year, key), fmt.Sprintf("/@ann/wrapstodon/nope/%s", key), "/@nobody/wrapstodon/2025/x"} {
		if code, _, _ := ts.Do(t, "GET", p, "", nil); code != 404 {
			t.Fatalf("%s: %d", p, code)
		}
	}
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/action", ann.ID), ts.Token(t, "owner1", "admin:write"),
		map[string]any{"type": "suspend"}, 200, nil)
	if code, _, _ := ts.Do(t, "GET", share.Path, "", nil); code != 404 {
		t.Fatalf("suspended account's page: %d", code)
	}
}
