package api_test

import (
	"context"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/storage"
)

// trendsFixture seeds public posts around a fixed time T (noon three days
// ago: ids are made in the past; the job reads core's clock, set to T)
// and runs the trends job.
type trendsFixture struct {
	ts                *server.TestServer
	admin             string
	now               time.Time
	alpha, beta, solo int64
	s1, s2, card      int64
}

func seedTrends(t *testing.T, mutate ...func(*config.Config)) *trendsFixture {
	ts := server.StartTest(t, mutate...)
	ts.CreateUser(t, "boss", "admin")
	f := &trendsFixture{ts: ts, admin: ts.Token(t, "boss", "admin:read admin:write read"),
		now: time.Now().UTC().Truncate(24 * time.Hour).Add(-3*24*time.Hour + 12*time.Hour)}
	ann, ben, cat, dan := ts.CreateUser(t, "ann", "").ID, ts.CreateUser(t, "ben", "").ID, ts.CreateUser(t, "cat", "").ID,
		ts.CreateUser(t, "dan", "").ID
	exec := ts.SeedSQL(t)
	tag := func(name string) int64 {
		tid := id.New()
		exec(`INSERT INTO tags (id, name, created_at) VALUES (?, ?, 0)`, tid, name)
		return tid
	}
	f.alpha, f.beta, f.solo = tag("alpha"), tag("beta"), tag("solo")
	post := func(author int64, ago time.Duration, visibility int, tags ...int64) int64 {
		sid := id.At(f.now.Add(-ago))
		exec(`INSERT INTO statuses (id, uri, account_id, local, visibility, created_at) VALUES (?, ?, ?, 1, ?, ?)`,
			sid, "http://x.example/s/"+strconv.FormatInt(sid, 10), author, visibility, sid>>16)
		for _, tg := range tags {
			exec(`INSERT INTO status_tags (tag_id, status_id) VALUES (?, ?)`, tg, sid)
		}
		return sid
	}
	post(ann, 2*time.Hour, 0, f.alpha)
	post(ben, time.Hour, 0, f.alpha)
	post(cat, 30*time.Hour, 0, f.alpha)
	post(dan, time.Hour, 2, f.alpha, f.beta) // followers-only: never trends
	post(ann, 3*time.Hour, 0, f.beta)
	post(ben, 50*time.Hour, 0, f.beta)
	post(ann, time.Hour, 0, f.solo) // one account: not enough
	// Posts with interactions; one shares a link that ben shares too.
	f.s1 = post(ann, time.Hour, 0)
	f.s2 = post(ben, 2*time.Hour, 0)
	exec(`UPDATE statuses SET favourites_count = 3 WHERE id = ?`, f.s1)
	exec(`UPDATE statuses SET reblogs_count = 1 WHERE id = ?`, f.s2)
	f.card = id.New()
	exec(`INSERT INTO preview_cards (id, url, title, fetched_at) VALUES (?, 'https://news.example/a', 'News', 0)`, f.card)
	exec(`INSERT INTO status_cards (status_id, card_id) VALUES (?, ?), (?, ?)`, f.s1, f.card, f.s2, f.card)
	f.refresh(t)
	return f
}

// refresh runs the trends job at f.now and waits for it.
func (f *trendsFixture) refresh(t *testing.T) {
	t.Helper()
	f.ts.Srv.Svc.SetClock(func() time.Time { return f.now })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.ts.Srv.Jobs.Enqueue(ctx, storage.Job{Kind: core.JobTrendsRefresh, Key: "test", RunAt: f.now}); err != nil {
		t.Fatal(err)
	}
	if err := f.ts.Srv.Jobs.Drained(ctx, core.JobTrendsRefresh); err != nil {
		t.Fatal(err)
	}
}

type trendTagJSON struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	URL            string `json:"url"`
	Trendable      *bool  `json:"trendable"`
	RequiresReview *bool  `json:"requires_review"`
	History        []struct {
		Day      string `json:"day"`
		Uses     string `json:"uses"`
		Accounts string `json:"accounts"`
	} `json:"history"`
}

func names(tags []trendTagJSON) string {
	s := ""
	for _, t := range tags {
		s += t.Name + ";"
	}
	return s
}

func TestTrendsTagsReviewAndScores(t *testing.T) {
	f := seedTrends(t)
	var pub, adm []trendTagJSON
	f.ts.JSON(t, "GET", "/api/v1/trends/tags", "", nil, 200, &pub)
	if len(pub) != 0 {
		t.Fatalf("unreviewed tags trend publicly: %+v", pub)
	}
	f.ts.JSON(t, "GET", "/api/v1/admin/trends/tags", f.admin, nil, 200, &adm)
	if names(adm) != "alpha;beta;" || !*adm[0].RequiresReview || *adm[0].Trendable {
		t.Fatalf("admin trends: %+v", adm)
	}
	// History: today (two uses by two accounts), yesterday (one), seven days.
	h := adm[0].History
	today := strconv.FormatInt(f.now.Truncate(24*time.Hour).Unix(), 10)
	if len(h) != 7 || h[0].Day != today || h[0].Uses != "2" || h[0].Accounts != "2" || h[1].Uses != "1" || h[2].Uses != "0" {
		t.Fatalf("alpha's history: %+v", h)
	}
	// The scores, as the job computed them at T: each account's latest use
	// fades with a half-life of a day.
	tags, err := f.ts.Srv.Svc.AdminTrendingTags(context.Background(), adminCaller(t, f.ts), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	d := func(hours float64) float64 { return math.Pow(0.5, hours/24) }
	if math.Abs(tags[0].Score-(d(2)+d(1)+d(30))) > 1e-9 || math.Abs(tags[1].Score-(d(3)+d(50))) > 1e-9 {
		t.Fatalf("scores %v %v", tags[0].Score, tags[1].Score)
	}
	// Approve beta: it trends; approve alpha: first again; reject alpha: gone.
	beta, alpha := strconv.FormatInt(f.beta, 10), strconv.FormatInt(f.alpha, 10)
	var one trendTagJSON
	f.ts.JSON(t, "POST", "/api/v1/admin/trends/tags/"+beta+"/approve", f.admin, nil, 200, &one)
	if one.Name != "beta" || !*one.Trendable || *one.RequiresReview {
		t.Fatalf("approved: %+v", one)
	}
	f.ts.JSON(t, "GET", "/api/v1/trends/tags", "", nil, 200, &pub)
	if names(pub) != "beta;" {
		t.Fatalf("after approving beta: %s", names(pub))
	}
	f.ts.JSON(t, "POST", "/api/v1/admin/trends/tags/"+alpha+"/approve", f.admin, nil, 200, nil)
	f.ts.JSON(t, "GET", "/api/v1/trends/tags?limit=1", "", nil, 200, &pub)
	if names(pub) != "alpha;" {
		t.Fatalf("first page after approving alpha: %s", names(pub))
	}
	f.ts.JSON(t, "GET", "/api/v1/trends/tags?offset=1", "", nil, 200, &pub)
	if names(pub) != "beta;" {
		t.Fatalf("second page: %s", names(pub))
	}
	f.ts.JSON(t, "POST", "/api/v1/admin/trends/tags/"+alpha+"/reject", f.admin, nil, 200, nil)
	f.ts.JSON(t, "GET", "/api/v1/trends", "", nil, 200, &pub)
	if names(pub) != "beta;" {
		t.Fatalf("after rejecting alpha: %s", names(pub))
	}
	f.ts.JSON(t, "GET", "/api/v1/admin/trends/tags", f.admin, nil, 200, &adm)
	if names(adm) != "alpha;beta;" || *adm[0].Trendable || *adm[0].RequiresReview {
		t.Fatalf("moderators still see the rejected tag: %+v", adm)
	}
	// The job is deterministic: run again at T, the same; two days later,
	// beta's uses are past the window or faded, alpha is rejected anyway.
	f.refresh(t)
	again, _ := f.ts.Srv.Svc.AdminTrendingTags(context.Background(), adminCaller(t, f.ts), 0, 10)
	if len(again) != 2 || again[0].Score != tags[0].Score || again[1].Score != tags[1].Score {
		t.Fatalf("second run differs: %+v", again)
	}
	f.now = f.now.Add(8 * 24 * time.Hour)
	f.refresh(t)
	f.ts.JSON(t, "GET", "/api/v1/admin/trends/tags", f.admin, nil, 200, &adm)
	if len(adm) != 0 {
		t.Fatalf("tags still trend after the window: %s", names(adm))
	}
	// Permissions: a user without Manage Taxonomies, a token without admin scope.
	f.ts.JSON(t, "GET", "/api/v1/admin/trends/tags", f.ts.Token(t, "ann", "admin:read"), nil, 403, nil)
	f.ts.JSON(t, "POST", "/api/v1/admin/trends/tags/"+beta+"/approve", f.ts.Token(t, "boss", "admin:read"), nil, 403, nil)
	f.ts.JSON(t, "POST", "/api/v1/admin/trends/tags/999/approve", f.admin, nil, 404, nil)
}

func TestTrendsStatusesAndLinksReview(t *testing.T) {
	f := seedTrends(t)
	type statusJSON struct {
		ID             string `json:"id"`
		Trendable      *bool  `json:"trendable"`
		RequiresReview *bool  `json:"requires_review"`
	}
	var sts []statusJSON
	f.ts.JSON(t, "GET", "/api/v1/trends/statuses", "", nil, 200, &sts)
	if len(sts) != 0 {
		t.Fatalf("unreviewed posts trend: %+v", sts)
	}
	s1, s2 := strconv.FormatInt(f.s1, 10), strconv.FormatInt(f.s2, 10)
	f.ts.JSON(t, "GET", "/api/v1/admin/trends/statuses", f.admin, nil, 200, &sts)
	if len(sts) != 2 || sts[0].ID != s1 || sts[1].ID != s2 || !*sts[0].RequiresReview {
		t.Fatalf("admin trending posts: %+v", sts)
	}
	var one statusJSON
	f.ts.JSON(t, "POST", "/api/v1/admin/trends/statuses/"+s2+"/approve", f.admin, nil, 200, &one)
	if one.ID != s2 || !*one.Trendable {
		t.Fatalf("approved post: %+v", one)
	}
	f.ts.JSON(t, "GET", "/api/v1/trends/statuses", "", nil, 200, &sts)
	if len(sts) != 1 || sts[0].ID != s2 {
		t.Fatalf("public trending posts: %+v", sts)
	}
	// An approved author's posts trend unless rejected one by one.
	if err := f.ts.Srv.Svc.ReviewTrend(context.Background(), adminCaller(t, f.ts), core.TrendAccount, accountOf(t, f.ts, "ann"), true); err != nil {
		t.Fatal(err)
	}
	f.ts.JSON(t, "GET", "/api/v1/trends/statuses", "", nil, 200, &sts)
	if len(sts) != 2 || sts[0].ID != s1 {
		t.Fatalf("after approving ann: %+v", sts)
	}
	f.ts.JSON(t, "POST", "/api/v1/admin/trends/statuses/"+s1+"/reject", f.admin, nil, 200, nil)
	f.ts.JSON(t, "GET", "/api/v1/trends/statuses", "", nil, 200, &sts)
	if len(sts) != 1 || sts[0].ID != s2 {
		t.Fatalf("after rejecting s1: %+v", sts)
	}

	type linkJSON struct {
		ID             string `json:"id"`
		URL            string `json:"url"`
		Title          string `json:"title"`
		Type           string `json:"type"`
		RequiresReview *bool  `json:"requires_review"`
		History        []struct {
			Uses, Accounts string
		} `json:"history"`
	}
	var links []linkJSON
	f.ts.JSON(t, "GET", "/api/v1/trends/links", "", nil, 200, &links)
	if len(links) != 0 {
		t.Fatalf("unreviewed links trend: %+v", links)
	}
	card := strconv.FormatInt(f.card, 10)
	f.ts.JSON(t, "GET", "/api/v1/admin/trends/links", f.admin, nil, 200, &links)
	if len(links) != 1 || links[0].ID != card || !*links[0].RequiresReview || links[0].History[0].Uses != "2" {
		t.Fatalf("admin links: %+v", links)
	}
	f.ts.JSON(t, "POST", "/api/v1/admin/trends/links/"+card+"/approve", f.admin, nil, 200, nil)
	links = nil
	f.ts.JSON(t, "GET", "/api/v1/trends/links", "", nil, 200, &links)
	if len(links) != 1 || links[0].URL != "https://news.example/a" || links[0].Type != "link" || links[0].ID != "" ||
		links[0].RequiresReview != nil || links[0].History[0].Accounts != "2" {
		t.Fatalf("public links: %+v", links)
	}
}

// Without review, everything trends but what moderators rejected; with
// trends off, nothing.
func TestTrendsWithoutReviewAndOff(t *testing.T) {
	f := seedTrends(t, func(c *config.Config) { c.Instance.TrendsReview = false })
	var pub []trendTagJSON
	f.ts.JSON(t, "GET", "/api/v1/trends/tags", "", nil, 200, &pub)
	if names(pub) != "alpha;beta;" {
		t.Fatalf("without review: %s", names(pub))
	}
	f.ts.JSON(t, "POST", "/api/v1/admin/trends/tags/"+strconv.FormatInt(f.alpha, 10)+"/reject", f.admin, nil, 200, nil)
	f.ts.JSON(t, "GET", "/api/v1/trends/tags", "", nil, 200, &pub)
	if names(pub) != "beta;" {
		t.Fatalf("after rejecting: %s", names(pub))
	}
	off := seedTrends(t, func(c *config.Config) { c.Instance.TrendsReview = false; c.Instance.Trends = false })
	off.ts.JSON(t, "GET", "/api/v1/trends/tags", "", nil, 200, &pub)
	if len(pub) != 0 {
		t.Fatalf("trends off: %s", names(pub))
	}
}

func adminCaller(t *testing.T, ts *server.TestServer) *core.Caller {
	t.Helper()
	c, err := ts.Srv.Svc.CallerByToken(context.Background(), ts.Token(t, "boss", "admin:read admin:write"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func accountOf(t *testing.T, ts *server.TestServer, name string) int64 {
	t.Helper()
	a, err := ts.Srv.Svc.LocalAccount(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}
