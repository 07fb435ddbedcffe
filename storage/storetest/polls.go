package storetest

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// poll posts a status of author with a poll of n options ending at end.
func (e *env) poll(author *model.Account, n int, multiple bool, end time.Time) *model.Status {
	e.t.Helper()
	p := &model.Poll{Multiple: multiple, ExpiresAt: &end}
	for i := 0; i < n; i++ {
		p.Options = append(p.Options, fmt.Sprintf("option %d", i))
		p.Counts = append(p.Counts, 0)
	}
	return e.post(author, post{poll: p})
}

func (e *env) pollOf(statusID int64) *model.Poll {
	e.t.Helper()
	m, err := e.s.PollsOf(e.ctx, []int64{statusID})
	e.ok(err)
	if m[statusID] == nil {
		e.t.Fatalf("no poll on %d", statusID)
	}
	return m[statusID]
}

func pollsArea() area {
	return area{"Polls", []testCase{
		{"VoteCountedOncePerVoter", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			st := e.poll(a, 3, false, time.Now().Add(time.Hour))
			p := e.pollOf(st.ID)
			if len(p.Options) != 3 || p.VotesCount != 0 || p.StatusID != st.ID {
				e.t.Fatalf("new poll = %+v", p)
			}
			got, err := e.s.VotePoll(e.ctx, storage.PollVote{StatusID: st.ID, AccountID: b.ID, Choices: []int{1}, Now: time.Now(),
				Jobs: []storage.Job{{Kind: "poll-vote", Payload: `{}`}}})
			e.ok(err)
			if got.Counts[1] != 1 || got.VotesCount != 1 || got.VotersCount != 1 {
				e.t.Fatalf("after a vote = %+v", got)
			}
			_, err = e.s.VotePoll(e.ctx, storage.PollVote{StatusID: st.ID, AccountID: b.ID, Choices: []int{2}, Now: time.Now()})
			e.is(err, storage.ErrPollVoted, "voting twice")
			_, err = e.s.VotePoll(e.ctx, storage.PollVote{StatusID: st.ID, AccountID: c.ID, Choices: []int{7}, Now: time.Now()})
			e.is(err, storage.ErrNotFound, "voting for no option")
			_, err = e.s.VotePoll(e.ctx, storage.PollVote{StatusID: e.pub(a).ID, AccountID: c.ID, Choices: []int{0}, Now: time.Now()})
			e.is(err, storage.ErrNotFound, "voting on a status without a poll")
			p = e.pollOf(st.ID)
			if !slices.Equal(p.Counts, []int64{0, 1, 0}) || p.VotesCount != 1 {
				e.t.Fatalf("poll = %+v", p)
			}
			votes, err := e.s.PollVotesOf(e.ctx, b.ID, []int64{st.ID})
			e.ok(err)
			if !slices.Equal(votes[st.ID], []int{1}) {
				e.t.Fatalf("bob's votes = %v", votes)
			}
			voters, err := e.s.PollVoters(e.ctx, st.ID)
			e.ok(err)
			e.equal("voters", voters, []int64{b.ID})
			if e.countJobs("poll-vote") != 1 {
				e.t.Fatal("the vote's job was not queued")
			}
		}},
		{"ConcurrentVotesOfOneVoter", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			st := e.poll(a, 2, false, time.Now().Add(time.Hour))
			var wg sync.WaitGroup
			var mu sync.Mutex
			accepted := 0
			for i := 0; i < 6; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := e.s.VotePoll(e.ctx, storage.PollVote{StatusID: st.ID, AccountID: b.ID, Choices: []int{i % 2}, Now: time.Now()})
					mu.Lock()
					defer mu.Unlock()
					if err == nil {
						accepted++
					} else if !isErr(err, storage.ErrPollVoted) {
						e.t.Error(err)
					}
				}()
			}
			wg.Wait()
			p := e.pollOf(st.ID)
			if accepted != 1 || p.VotesCount != 1 || p.VotersCount != 1 {
				e.t.Fatalf("%d votes accepted; poll = %+v", accepted, p)
			}
		}},
		{"MultipleChoiceAdd", func(e *env) {
			a, b := e.local("alice"), e.remote("r", "remote.test")
			st := e.poll(a, 3, true, time.Now().Add(time.Hour))
			_, err := e.s.VotePoll(e.ctx, storage.PollVote{StatusID: st.ID, AccountID: b.ID, Choices: []int{0, 2},
				URIs: []string{"https://remote.test/v/1", "https://remote.test/v/2"}, Now: time.Now()})
			e.ok(err)
			got, err := e.s.VotePoll(e.ctx, storage.PollVote{StatusID: st.ID, AccountID: b.ID, Choices: []int{1}, Add: true, Now: time.Now()})
			e.ok(err)
			if !slices.Equal(got.Counts, []int64{1, 1, 1}) || got.VotesCount != 3 || got.VotersCount != 1 {
				e.t.Fatalf("after adding = %+v", got)
			}
			_, err = e.s.VotePoll(e.ctx, storage.PollVote{StatusID: st.ID, AccountID: b.ID, Choices: []int{1}, Add: true, Now: time.Now()})
			e.is(err, storage.ErrPollVoted, "the same choice again")
		}},
		{"ClosedPollRefusesVotes", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			end := time.Now().Add(time.Hour)
			st := e.poll(a, 2, false, end)
			_, err := e.s.VotePoll(e.ctx, storage.PollVote{StatusID: st.ID, AccountID: c.ID, Choices: []int{0}, Now: time.Now()})
			e.ok(err)
			_, err = e.s.VotePoll(e.ctx, storage.PollVote{StatusID: st.ID, AccountID: b.ID, Choices: []int{0}, Now: end})
			e.is(err, storage.ErrPollClosed, "voting at the end")
			closed, notified, err := e.s.ClosePoll(e.ctx, st.ID, end, nil)
			e.ok(err)
			slices.Sort(notified)
			want := []int64{a.ID, c.ID}
			slices.Sort(want)
			if !closed {
				e.t.Fatal("ClosePoll closed nothing")
			}
			e.equal("notified", notified, want)
			if !e.hasNotification(c.ID, model.NotifyPoll, a.ID, st.ID) || !e.hasNotification(a.ID, model.NotifyPoll, a.ID, st.ID) {
				e.t.Fatal("no poll notification")
			}
			closed, notified, err = e.s.ClosePoll(e.ctx, st.ID, end, nil)
			e.ok(err)
			if closed || len(notified) != 0 {
				e.t.Fatal("a poll was closed twice")
			}
			if e.pollOf(st.ID).ClosedAt == nil {
				e.t.Fatal("closed poll has no end")
			}
			_, err = e.s.VotePoll(e.ctx, storage.PollVote{StatusID: st.ID, AccountID: b.ID, Choices: []int{0}, Now: time.Now()})
			e.is(err, storage.ErrPollClosed, "voting on a closed poll")
		}},
		{"DeletedWithItsStatus", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			st := e.poll(a, 2, false, time.Now().Add(time.Hour))
			_, err := e.s.VotePoll(e.ctx, storage.PollVote{StatusID: st.ID, AccountID: b.ID, Choices: []int{0}, Now: time.Now()})
			e.ok(err)
			e.ok(e.s.DeleteStatus(e.ctx, st.ID, nil))
			m, err := e.s.PollsOf(e.ctx, []int64{st.ID})
			e.ok(err)
			if len(m) != 0 {
				e.t.Fatalf("poll of a deleted status = %+v", m)
			}
			voters, err := e.s.PollVoters(e.ctx, st.ID)
			e.ok(err)
			if len(voters) != 0 {
				e.t.Fatalf("voters of a deleted poll = %v", voters)
			}
			_, err = e.s.VotePoll(e.ctx, storage.PollVote{StatusID: st.ID, AccountID: a.ID, Choices: []int{0}, Now: time.Now()})
			e.is(err, storage.ErrNotFound, "voting on a deleted poll")
		}},
		{"RemotePollUpdated", func(e *env) {
			r := e.remote("r", "remote.test")
			end := time.Now().Add(time.Hour).Truncate(time.Millisecond)
			st := e.poll(r, 2, false, end)
			later := end.Add(time.Hour)
			got, err := e.s.UpdateRemotePoll(e.ctx, &model.Poll{StatusID: st.ID, Options: []string{"x", "y"}, Counts: []int64{5, 7},
				VotesCount: 12, VotersCount: 12, ExpiresAt: &later})
			e.ok(err)
			if !slices.Equal(got.Counts, []int64{5, 7}) || got.VotesCount != 12 || !got.ExpiresAt.Equal(later) {
				e.t.Fatalf("updated = %+v", got)
			}
			p := e.pollOf(st.ID)
			if !slices.Equal(p.Options, []string{"x", "y"}) || p.VotersCount != 12 || p.ClosedAt != nil {
				e.t.Fatalf("stored = %+v", p)
			}
			// Changed options are the author's edit: they replace the old
			// ones with the server's counts (votes cast here are dropped).
			got, err = e.s.UpdateRemotePoll(e.ctx, &model.Poll{StatusID: st.ID, Options: []string{"x"}, Counts: []int64{1}, VotesCount: 1})
			e.ok(err)
			if !slices.Equal(got.Options, []string{"x"}) || !slices.Equal(got.Counts, []int64{1}) || got.VotesCount != 1 {
				e.t.Fatalf("after an edit of the options = %+v", got)
			}
		}},
	}}
}

func scheduledArea() area {
	return area{"ScheduledStatuses", []testCase{
		{"ScheduleRescheduleDelete", func(e *env) {
			a := e.local("alice")
			m := e.upload(a)
			at := time.Now().Add(24 * time.Hour).Truncate(time.Millisecond)
			params := fmt.Sprintf(`{"text":"later","media_ids":["%d"]}`, m.ID) // Mastodon's names (model.ScheduledStatus)
			ss := &model.ScheduledStatus{ID: 1001, AccountID: a.ID, ScheduledAt: at, Params: params, MediaIDs: []int64{m.ID}, CreatedAt: time.Now()}
			jobFor := func(at time.Time) storage.Job {
				return storage.Job{Kind: "scheduled", RunAt: at, UniqueKey: "scheduled:1001", Payload: `{"id":1001}`}
			}
			e.ok(e.s.CreateScheduledStatus(e.ctx, ss, jobFor(at), 10, 10))
			got, err := e.s.ScheduledStatusByID(e.ctx, ss.ID)
			e.ok(err)
			if !got.ScheduledAt.Equal(at) || got.Params != params || !slices.Equal(got.MediaIDs, []int64{m.ID}) {
				e.t.Fatalf("scheduled = %+v", got)
			}
			// Held media is not unattached garbage.
			if un, _ := e.s.UnattachedMediaBefore(e.ctx, time.Now().Add(time.Hour), 10); contains(un, m.ID) {
				e.t.Fatal("media held by a scheduled post is listed as unattached")
			}
			// The post is due by its job at its time, not before.
			due, ok, err := e.s.NextJobDue(e.ctx, "scheduled", time.Now())
			e.ok(err)
			if !ok || !due.Equal(at) {
				e.t.Fatalf("due = %v (%v)", due, ok)
			}
			if n, _ := e.s.CountJobs(e.ctx, "scheduled", 0, at.Add(-time.Minute)); n != 0 {
				e.t.Fatal("due before its time")
			}
			moved := at.Add(2 * time.Hour)
			e.ok(e.s.RescheduleStatus(e.ctx, ss.ID, moved, jobFor(moved), 10))
			got, _ = e.s.ScheduledStatusByID(e.ctx, ss.ID)
			due, _, _ = e.s.NextJobDue(e.ctx, "scheduled", time.Now())
			if !got.ScheduledAt.Equal(moved) || !due.Equal(moved) || e.countJobs("scheduled") != 1 {
				e.t.Fatalf("rescheduled to %v, job due %v, %d jobs", got.ScheduledAt, due, e.countJobs("scheduled"))
			}
			e.is(e.s.RescheduleStatus(e.ctx, 424242, moved, jobFor(moved), 10), storage.ErrNotFound, "rescheduling nothing")
			e.ok(e.s.DeleteScheduledStatus(e.ctx, ss.ID, "scheduled:1001"))
			_, err = e.s.ScheduledStatusByID(e.ctx, ss.ID)
			e.is(err, storage.ErrNotFound, "deleted scheduled post")
			if e.countJobs("scheduled") != 0 {
				e.t.Fatal("the deleted post's job is left")
			}
			if un, _ := e.s.UnattachedMediaBefore(e.ctx, time.Now().Add(time.Hour), 10); !contains(un, m.ID) {
				e.t.Fatal("media of a deleted scheduled post is not unattached again")
			}
			e.is(e.s.DeleteScheduledStatus(e.ctx, ss.ID, ""), storage.ErrNotFound, "deleting twice")
		}},
		{"Limits", func(e *env) {
			a := e.local("alice")
			day := time.Now().Add(48 * time.Hour).UTC().Truncate(24 * time.Hour).Add(time.Hour)
			mk := func(id int64, at time.Time) error {
				return e.s.CreateScheduledStatus(e.ctx, &model.ScheduledStatus{ID: id, AccountID: a.ID, ScheduledAt: at, Params: "{}", CreatedAt: time.Now()},
					storage.Job{Kind: "scheduled", RunAt: at, UniqueKey: fmt.Sprint("s", id)}, 3, 2)
			}
			e.ok(mk(1, day))
			e.ok(mk(2, day.Add(time.Hour)))
			e.is(mk(3, day.Add(2*time.Hour)), storage.ErrScheduledLimit, "a third post on one day")
			e.ok(mk(4, day.Add(24*time.Hour)))
			e.is(mk(5, day.Add(48*time.Hour)), storage.ErrScheduledLimit, "a fourth post in all")
			e.is(e.s.RescheduleStatus(e.ctx, 4, day.Add(3*time.Hour), storage.Job{Kind: "scheduled", RunAt: day, UniqueKey: "s4"}, 2),
				storage.ErrScheduledLimit, "moving a post to a full day")
			list, err := e.s.ScheduledStatuses(e.ctx, a.ID, model.Page{Limit: 10})
			e.ok(err)
			if len(list) != 3 {
				e.t.Fatalf("scheduled posts = %d", len(list))
			}
			page, err := e.s.ScheduledStatuses(e.ctx, a.ID, model.Page{Limit: 10, MaxID: 4})
			e.ok(err)
			if len(page) != 2 || page[0].ID != 2 {
				e.t.Fatalf("max_id page = %+v", page)
			}
		}},
		{"PublishedOnce", func(e *env) {
			a := e.local("alice")
			at := time.Now().Add(time.Hour)
			e.ok(e.s.CreateScheduledStatus(e.ctx, &model.ScheduledStatus{ID: 77, AccountID: a.ID, ScheduledAt: at, Params: "{}", CreatedAt: time.Now()},
				storage.Job{Kind: "scheduled", RunAt: at, UniqueKey: "s77"}, 10, 10))
			_, _, err := e.s.CreateStatus(e.ctx, storage.NewStatus{Status: e.newStatus(a, post{}), ScheduledID: 77})
			e.ok(err)
			_, err = e.s.ScheduledStatusByID(e.ctx, 77)
			e.is(err, storage.ErrNotFound, "published scheduled post")
			_, _, err = e.s.CreateStatus(e.ctx, storage.NewStatus{Status: e.newStatus(a, post{}), ScheduledID: 77})
			e.is(err, storage.ErrNotFound, "publishing twice")
			if n := e.account(a.ID).StatusesCount; n != 1 {
				e.t.Fatalf("statuses_count = %d", n)
			}
		}},
	}}
}
