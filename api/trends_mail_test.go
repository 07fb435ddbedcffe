package api_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/storage"
)

// TestTrendsReviewMail: when a trends refresh finds tags, links or posts
// newly awaiting review, the staff who manage taxonomies get one e-mail
// listing them (Mastodon's AdminMailer.new_trends), unless they turned
// the trends mail off; an item is announced once, never again on later
// refreshes; a user without the permission gets nothing.
func TestTrendsReviewMail(t *testing.T) {
	mb := startMailbox(t)
	f := seedTrends(t, withMail(mb))
	mailNow(f)
	const subj = "New trends up for review"
	m := mb.Wait(t, "boss@example.org", subj)
	for _, want := range []string{"#alpha", "#beta", "News <https://news.example/a>", "/admin/trends",
		strconv.FormatInt(f.s1, 10), strconv.FormatInt(f.s2, 10)} {
		if !strings.Contains(m.Body, want) {
			t.Fatalf("mail lacks %q:\n%s", want, m.Body)
		}
	}
	if strings.Contains(m.Body, "#solo") {
		t.Fatalf("a tag that does not trend is announced:\n%s", m.Body)
	}

	// Two more staff: one keeps the mail, one turns it off; a user.
	f.ts.CreateUser(t, "eager", "admin")
	f.ts.CreateUser(t, "quiet", "admin")
	f.ts.CreateUser(t, "plain", "")
	ctx := context.Background()
	quiet, err := f.ts.Srv.Svc.CallerByToken(ctx, f.ts.Token(t, "quiet", "read"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ts.Srv.Svc.SetStaffEmailPrefs(ctx, quiet, storage.StaffEmailPrefs{Report: true, SignUp: true}); err != nil {
		t.Fatal(err)
	}
	// A new tag takes off: only it is announced.
	exec := f.ts.SeedSQL(t)
	gamma := id.New()
	exec(`INSERT INTO tags (id, name, created_at) VALUES (?, 'gamma', 0)`, gamma)
	for _, who := range []string{"cat", "dan"} {
		sid := id.At(f.now.Add(-time.Hour))
		exec(`INSERT INTO statuses (id, uri, account_id, local, visibility, created_at) VALUES (?, ?, ?, 1, 0, ?)`,
			sid, "http://x.example/s/"+strconv.FormatInt(sid, 10), accountOf(t, f.ts, who), sid>>16)
		exec(`INSERT INTO status_tags (tag_id, status_id) VALUES (?, ?)`, gamma, sid)
	}
	f.refresh(t)
	mailNow(f)
	for _, who := range []string{"boss", "eager"} {
		m := mb.Wait(t, who+"@example.org", subj)
		if !strings.Contains(m.Body, "#gamma") || strings.Contains(m.Body, "#alpha") || strings.Contains(m.Body, "news.example") {
			t.Fatalf("second mail to %s:\n%s", who, m.Body)
		}
	}
	drainMail(t, f)
	if n := mb.Count("quiet@example.org", subj) + mb.Count("plain@example.org", subj); n != 0 {
		t.Fatalf("%d mails to the opted-out admin or a user", n)
	}
	// Nothing new: no mail at all.
	f.refresh(t)
	mailNow(f)
	drainMail(t, f)
	if n := mb.Count("", subj); n != 0 {
		t.Fatalf("%d mails for items announced before", n)
	}
}

// mailNow puts core's clock back to now after a refresh at f.now, three
// days ago: the runtime reads core's clock for what is due, and the mail
// jobs are queued at the wall clock's now.
func mailNow(f *trendsFixture) {
	f.ts.Srv.Svc.SetClock(nil)
	f.ts.Srv.Jobs.Wake(core.JobMail)
}

func drainMail(t *testing.T, f *trendsFixture) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.ts.Srv.Jobs.Drained(ctx, core.JobMail); err != nil {
		t.Fatal(err)
	}
}
