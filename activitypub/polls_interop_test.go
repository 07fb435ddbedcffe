package activitypub_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage"
)

// pollSeen returns how c sees the poll of status id on h (nil: no poll).
func (h *herald) pollSeen(t *testing.T, c *core.Caller, statusID int64) *core.PollView {
	t.Helper()
	v, st, err := h.svc.Poll(context.Background(), c, statusID)
	if err != nil {
		return nil
	}
	return v.PollOf(st)
}

func (h *herald) notifiedOf(t *testing.T, c *core.Caller, typ string, statusID int64) bool {
	t.Helper()
	nts, err := h.svc.Notifications(context.Background(), c, storage.NotificationFilter{}, model.Page{Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nts.Notifications {
		if n.Type == typ && n.StatusID == statusID {
			return true
		}
	}
	return false
}

// Issue 15's two-instance poll test: ann's poll on A reaches B as a poll
// (a Question), ben votes on B, A counts it; amy's vote on A reaches B in
// A's Update{Question}; the poll's end closes it on A and, through the
// final Update, on B, where the voter is notified; a vote after the end is
// refused on both sides.
func TestPollsAcrossHeralds(t *testing.T) {
	ctx := context.Background()
	A, B := startHerald(t), startHerald(t)
	ann := A.user(t, "ann", false)
	amy := A.user(t, "amy", false)
	ben := B.user(t, "ben", false)

	annOnB := B.resolve(t, "ann@"+A.Domain)
	if _, err := B.svc.Follow(ctx, ben, annOnB.ID, core.FollowOptions{}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "ben follows ann", func() bool { return B.following(ben.Account.ID, annOnB.ID) })

	poll := post(t, A, ann, core.PostParams{Text: "Which colours?", Visibility: "public",
		Poll: &core.PollParams{Options: []string{"red", "green", "blue"}, ExpiresIn: 10 * time.Minute, Multiple: true}})
	var onB *model.Status
	// The status and its poll are stored together on B (one transaction);
	// the wait looks at both all the same.
	testutil.Eventually(t, 15*time.Second, "ann's poll on B", func() bool {
		onB = B.byURI(poll.URI)
		return onB != nil && B.pollSeen(t, ben, onB.ID) != nil
	})
	pv := B.pollSeen(t, ben, onB.ID)
	if pv == nil || !slices.Equal(pv.Poll.Options, []string{"red", "green", "blue"}) || !pv.Poll.Multiple || pv.Expired ||
		pv.Poll.ExpiresAt == nil || pv.Poll.ExpiresAt.Sub(time.Now()) < 9*time.Minute {
		t.Fatalf("the poll on B: %+v", pv)
	}
	// The client API on B shows it (it was poll: null before).
	var entity struct {
		Poll *struct {
			Options []struct {
				Title string `json:"title"`
			} `json:"options"`
		} `json:"poll"`
	}
	B.JSON(t, "GET", "/api/v1/statuses/"+strconv.FormatInt(onB.ID, 10), B.Token(t, "ben", "read"), nil, 200, &entity)
	if entity.Poll == nil || len(entity.Poll.Options) != 3 {
		t.Fatalf("poll entity on B: %+v", entity)
	}

	// ben votes on B: A counts it.
	if _, _, err := B.svc.VotePoll(ctx, ben, onB.ID, []int{0, 2}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "ben's vote counted on A", func() bool {
		p := A.pollSeen(t, ann, poll.ID)
		return p != nil && slices.Equal(p.Poll.Counts, []int64{1, 0, 1}) && p.Poll.VotersCount == 1
	})
	// amy votes on A: A's Update brings the counts to B.
	if _, _, err := A.svc.VotePoll(ctx, amy, poll.ID, []int{1}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "A's counts on B", func() bool {
		p := B.pollSeen(t, ben, onB.ID)
		return p != nil && slices.Equal(p.Poll.Counts, []int64{1, 1, 1}) && p.Poll.VotersCount == 2 &&
			slices.Equal(p.OwnVotes, []int{0, 2})
	})
	if st := B.byURI(poll.URI); st.EditedAt != nil {
		t.Fatal("new counts were taken for an edit")
	}
	// The votes are no replies.
	for _, h := range []*herald{A, B} {
		st := h.byURI(poll.URI)
		if st.RepliesCount != 0 {
			t.Fatalf("replies on %s: %d", h.Domain, st.RepliesCount)
		}
	}

	// The poll ends: both clocks pass its end.
	later := func() time.Time { return time.Now().Add(11 * time.Minute) }
	A.svc.SetClock(later)
	B.svc.SetClock(later)
	A.Srv.Jobs.Wake(core.JobPollExpire)
	testutil.Eventually(t, 15*time.Second, "the poll closed on A", func() bool {
		p := A.pollSeen(t, ann, poll.ID)
		return p != nil && p.Poll.ClosedAt != nil
	})
	if !A.notifiedOf(t, ann, model.NotifyPoll, poll.ID) || !A.notifiedOf(t, amy, model.NotifyPoll, poll.ID) {
		t.Fatal("ann and amy not notified of the end on A")
	}
	B.Srv.Jobs.Wake(core.JobPollExpire)
	testutil.Eventually(t, 15*time.Second, "the poll closed on B, ben notified", func() bool {
		p := B.pollSeen(t, ben, onB.ID)
		return p != nil && p.Expired && p.Poll.ClosedAt != nil && B.notifiedOf(t, ben, model.NotifyPoll, onB.ID)
	})
	bob := B.user(t, "bob", false)
	if _, _, err := B.svc.VotePoll(ctx, bob, onB.ID, []int{1}); err == nil {
		t.Fatal("a vote on an ended poll passed on B")
	}
	A.idle(t)
	if p := A.pollSeen(t, ann, poll.ID); p.Poll.VotersCount != 2 {
		t.Fatalf("A counted a vote after the end: %+v", p.Poll)
	}
}
