package core_test

import (
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// A publish job run again (its runner died after the post was made and
// before the job was deleted) posts nothing twice: the schedule is
// deleted in the post's own transaction.
func TestScheduledPublishIsOnce(t *testing.T) {
	e := newEnv(t)
	ann := e.user("ann")
	// Scheduled six minutes ahead of a clock ten minutes slow: due now.
	e.svc.SetClock(func() time.Time { return time.Now().Add(-10 * time.Minute) })
	v, err := e.svc.ScheduleStatus(e.ctx, ann, core.PostParams{Text: "once", Poll: &core.PollParams{Options: []string{"a", "b"},
		ExpiresIn: time.Hour}}, time.Now().Add(-4*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	e.svc.SetClock(nil)
	for range 2 {
		if err := e.svc.PublishScheduledNow(e.ctx, v.Scheduled.ID); err != nil {
			t.Fatal(err)
		}
	}
	tl, err := e.svc.AccountStatuses(e.ctx, ann, ann.Account.ID, storage.AccountStatusFilter{}, model.Page{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tl.View.Statuses); n != 1 {
		t.Fatalf("%d statuses published, want 1", n)
	}
	st := tl.View.Statuses[0]
	p := tl.View.PollOf(st)
	if p == nil || len(p.Poll.Options) != 2 || p.Poll.ExpiresAt.Sub(st.CreatedAt) < 59*time.Minute {
		t.Fatalf("published poll: %+v", p)
	}
	if _, err := e.svc.ScheduledStatus(e.ctx, ann, v.Scheduled.ID); err == nil {
		t.Fatal("the schedule outlived its publish")
	}
}
