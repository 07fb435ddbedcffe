package core

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/text"
	"github.com/herald-social/herald/storage"
)

// Poll limits, as Mastodon's defaults (advertised in the instance's
// configuration.polls).
const (
	MaxPollOptions     = 4
	MaxPollOptionChars = 50
	MinPollExpiration  = 5 * time.Minute
	MaxPollExpiration  = 2629746 * time.Second // a month
)

// Poll job kinds.
const (
	// JobPollExpire ends a poll at its expiry: it notifies the local
	// author and voters and, for a local poll, federates the final
	// counts; jobRef{status id}.
	JobPollExpire = "poll.expire"
	// JobPollUpdate federates a local poll's counts after votes (one
	// waiting job per poll gathers a burst of votes); jobRef{status id}.
	JobPollUpdate = "poll.update"
)

// EventPollVote is a local vote on a remote poll: a Create{Note} of one
// choice, sent to the poll's author (payload pollVotePayload).
const EventPollVote = "poll.vote"

// EventPollUpdate is an Update{Question} with a local poll's counts, to
// its audience and its remote voters (no payload).
const EventPollUpdate = "poll.update"

// PollVotePayload is the payload of an EventPollVote.
type PollVotePayload struct {
	Choice int    `json:"choice"`
	Name   string `json:"name"`
	URI    string `json:"uri"`
}

// PollParams is the poll of a new post.
type PollParams struct {
	Options    []string
	ExpiresIn  time.Duration
	Multiple   bool
	HideTotals bool
}

// clock is the time the rules of polls and scheduled posts read (tests
// move it; the job runtime reads it too).
type clock struct {
	f atomic.Pointer[func() time.Time]
}

// Now is the service's clock: the wall clock unless a test set another.
func (s *Service) Now() time.Time {
	if f := s.clock.f.Load(); f != nil {
		return (*f)()
	}
	return time.Now()
}

// SetClock replaces the service's clock (tests); nil restores the wall
// clock.
func (s *Service) SetClock(f func() time.Time) {
	if f == nil {
		s.clock.f.Store(nil)
		return
	}
	s.clock.f.Store(&f)
}

// newPoll validates a new post's poll as Mastodon's PollValidator does.
func (s *Service) newPoll(p *PollParams, now time.Time) (*model.Poll, error) {
	var opts []string
	for _, o := range p.Options {
		if o = strings.TrimSpace(o); o != "" {
			opts = append(opts, o)
		}
	}
	switch {
	case len(opts) < 2:
		return nil, herr.Unprocessable("Validation failed: Poll must have at least 2 options")
	case len(opts) > MaxPollOptions:
		return nil, herr.Unprocessable("Validation failed: Poll can't contain more than %d items", MaxPollOptions)
	}
	seen := map[string]bool{}
	for _, o := range opts {
		if text.Length(o) > MaxPollOptionChars {
			return nil, herr.Unprocessable("Validation failed: Poll options can't be longer than %d characters", MaxPollOptionChars)
		}
		if seen[o] {
			return nil, herr.Unprocessable("Validation failed: Poll contains duplicate items")
		}
		seen[o] = true
	}
	switch {
	case p.ExpiresIn < MinPollExpiration:
		return nil, herr.Unprocessable("Validation failed: Poll duration too short")
	case p.ExpiresIn > MaxPollExpiration:
		return nil, herr.Unprocessable("Validation failed: Poll duration too long")
	}
	at := now.Add(p.ExpiresIn).UTC().Truncate(time.Millisecond)
	return &model.Poll{Options: opts, Counts: make([]int64, len(opts)), Multiple: p.Multiple, HideTotals: p.HideTotals, ExpiresAt: &at}, nil
}

// pollExpireJob is the expiry job of the poll of status id.
func pollExpireJob(statusID int64, at time.Time) storage.Job {
	j := mediaJob(JobPollExpire, statusID, "")
	j.RunAt = at
	return j
}

// PollView is a status's poll as one viewer sees it.
type PollView struct {
	Poll *model.Poll
	// Voted: the viewer voted, or wrote the poll (Mastodon's voted);
	// OwnVotes are the viewer's choices. Both only with a viewer.
	Voted    bool
	OwnVotes []int
	// ShowTotals: the counts may be shown (hide_totals hides them from
	// all but the author until the poll ends).
	ShowTotals bool
	Expired    bool
	// Own: the poll's author is the viewer.
	Own bool
}

// loadPollView loads the polls of a view's statuses and originals and the
// viewer's votes on them: two queries whatever the page size, none when no
// status of the page has a poll (ex).
func (s *Service) loadPollView(ctx context.Context, v *StatusView, ex storage.StatusExtras) error {
	v.Polls = map[int64]*model.Poll{}
	v.PollVotes = map[int64][]int{}
	var ids []int64
	for _, st := range v.Statuses {
		id := st.ID
		if st.ReblogOfID != 0 {
			id = st.ReblogOfID
		}
		if ex.Poll[id] {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	m, err := s.store.PollsOf(ctx, ids)
	if err != nil {
		return herr.Internal(err)
	}
	v.Polls = m
	if v.ViewerID != 0 && len(m) > 0 {
		withPoll := make([]int64, 0, len(m))
		for id := range m {
			withPoll = append(withPoll, id)
		}
		votes, err := s.store.PollVotesOf(ctx, v.ViewerID, withPoll)
		if err != nil {
			return herr.Internal(err)
		}
		v.PollVotes = votes
	}
	v.now = s.Now()
	return nil
}

// PollOf returns how the view's viewer sees the poll of st (nil: none).
func (v *StatusView) PollOf(st *model.Status) *PollView {
	p := v.Polls[st.ID]
	if p == nil {
		return nil
	}
	now := v.now
	if now.IsZero() {
		now = time.Now()
	}
	pv := &PollView{Poll: p, Expired: p.Expired(now), Own: v.ViewerID != 0 && v.ViewerID == st.AccountID}
	if v.ViewerID != 0 {
		pv.OwnVotes = v.PollVotes[st.ID]
		if pv.OwnVotes == nil {
			pv.OwnVotes = []int{}
		}
		pv.Voted = pv.Own || len(pv.OwnVotes) > 0
	}
	pv.ShowTotals = !p.HideTotals || pv.Own || pv.Expired
	return pv
}

// Poll returns the status that holds poll id (polls are named by their
// status's id), with the viewer's view of it.
func (s *Service) Poll(ctx context.Context, c *Caller, pollID int64) (*StatusView, *model.Status, error) {
	st, _, err := s.visibleStatus(ctx, c.AccountID(), pollID)
	if err != nil {
		return nil, nil, herr.NotFound("poll")
	}
	v, err := s.View(ctx, c.AccountID(), []*model.Status{st}, ViewOptions{})
	if err != nil {
		return nil, nil, err
	}
	if !v.Has(st.ID) || v.Polls[st.ID] == nil {
		return nil, nil, herr.NotFound("poll")
	}
	return v, st, nil
}

// VotePoll casts the caller's vote on a visible poll, as Mastodon's
// VoteService: not on an ended poll, not twice, not on one's own poll, one
// choice unless the poll allows several. A vote on a remote poll is sent
// to its author as one Note per choice.
func (s *Service) VotePoll(ctx context.Context, c *Caller, pollID int64, choices []int) (*StatusView, *model.Status, error) {
	if err := s.requireUser(c); err != nil {
		return nil, nil, err
	}
	v, st, err := s.Poll(ctx, c, pollID)
	if err != nil {
		return nil, nil, err
	}
	p := v.Polls[st.ID]
	now := s.Now()
	author := v.Accounts[st.AccountID]
	switch {
	case author == nil:
		return nil, nil, herr.NotFound("poll")
	case st.AccountID == c.Account.ID:
		return nil, nil, herr.Unprocessable("Validation failed: You cannot vote in your own poll")
	case p.Expired(now):
		return nil, nil, herr.Unprocessable("Validation failed: The poll has already ended")
	case len(choices) == 0:
		return nil, nil, herr.Unprocessable("Validation failed: Choices can't be blank")
	case len(choices) > 1 && !p.Multiple:
		return nil, nil, herr.Unprocessable("Validation failed: This poll allows one choice only")
	}
	seen := map[int]bool{}
	for _, ch := range choices {
		if ch < 0 || ch >= len(p.Options) {
			return nil, nil, herr.Unprocessable("Validation failed: The chosen vote option does not exist")
		}
		if seen[ch] {
			return nil, nil, herr.Unprocessable("Validation failed: The chosen vote options are not unique")
		}
		seen[ch] = true
	}
	if err := s.checkPollBlocks(ctx, c.Account.ID, st.AccountID); err != nil {
		return nil, nil, err
	}
	vote := storage.PollVote{StatusID: st.ID, AccountID: c.Account.ID, Choices: choices, Now: now}
	if author.Local() {
		if s.Jobs != nil {
			vote.Jobs = []storage.Job{mediaJob(JobPollUpdate, st.ID, "")}
		}
	} else {
		for _, ch := range choices {
			uri := s.LocalActorURI(c.Account.Username) + "#votes/" + strconv.FormatInt(st.ID, 10) + "/" + strconv.Itoa(ch)
			vote.URIs = append(vote.URIs, uri)
			vote.Events = append(vote.Events, model.OutboxEvent{Kind: EventPollVote, AccountID: c.Account.ID, ObjectID: st.ID,
				Payload: statusPayload(PollVotePayload{Choice: ch, Name: p.Options[ch], URI: uri})})
		}
	}
	if _, err := s.store.VotePoll(ctx, vote); err != nil {
		return nil, nil, pollVoteErr(err)
	}
	if len(vote.Jobs) > 0 {
		s.Jobs.Wake(JobPollUpdate)
	}
	if len(vote.Events) > 0 {
		s.kick()
	}
	s.notify(ChangeStatusEdited, st.AccountID, st.ID)
	return s.Poll(ctx, c, pollID)
}

// checkPollBlocks refuses a vote across a block either way (Mastodon's
// PollPolicy#vote?).
func (s *Service) checkPollBlocks(ctx context.Context, voterID, authorID int64) error {
	rel, err := s.store.ViewerRelations(ctx, voterID, []int64{authorID})
	if err != nil {
		return herr.Internal(err)
	}
	if rel.Blocked[authorID] {
		return herr.Forbidden("This action is not allowed")
	}
	return nil
}

func pollVoteErr(err error) error {
	switch {
	case errors.Is(err, storage.ErrPollClosed):
		return herr.Unprocessable("Validation failed: The poll has already ended")
	case errors.Is(err, storage.ErrPollVoted):
		return herr.Unprocessable("Validation failed: You have already voted on this poll")
	case errors.Is(err, storage.ErrNotFound):
		return herr.NotFound("poll")
	}
	return herr.Internal(err)
}

// RemotePollVote applies a remote account's vote on a local poll: a
// Create{Note} naming an option and replying to the poll (Mastodon's
// poll_vote? in ActivityPub::Activity::Create). handled is false when
// the note is no vote (then it is an ordinary reply).
func (s *FederationService) RemotePollVote(ctx context.Context, voterID int64, pollURI, name, uri string) (handled bool, err error) {
	st, err := s.store.StatusByURI(ctx, pollURI)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, herr.Internal(err)
	}
	if !st.Local {
		return false, nil
	}
	polls, err := s.store.PollsOf(ctx, []int64{st.ID})
	if err != nil {
		return false, herr.Internal(err)
	}
	p := polls[st.ID]
	if p == nil {
		return false, nil
	}
	choice := -1
	for i, o := range p.Options {
		if o == name {
			choice = i
			break
		}
	}
	if choice < 0 {
		return false, nil
	}
	author, err := s.store.AccountByID(ctx, st.AccountID)
	if err != nil {
		return true, herr.Internal(err)
	}
	if err := s.remoteMaySee(ctx, voterID, st); err != nil {
		return true, err
	}
	if err := s.checkPollBlocks(ctx, voterID, author.ID); err != nil {
		return true, err
	}
	var later []storage.Job
	if s.Jobs != nil {
		later = []storage.Job{mediaJob(JobPollUpdate, st.ID, "")}
	}
	_, err = s.store.VotePoll(ctx, storage.PollVote{StatusID: st.ID, AccountID: voterID, Choices: []int{choice},
		URIs: []string{uri}, Now: s.Now(), Add: true, Jobs: later})
	if errors.Is(err, storage.ErrPollClosed) || errors.Is(err, storage.ErrPollVoted) {
		return true, herr.Unprocessable("%v", err) // dropped: nothing to retry
	}
	if err != nil {
		return true, herr.Internal(err)
	}
	if len(later) > 0 {
		s.Jobs.Wake(JobPollUpdate)
	}
	s.notify(ChangeStatusEdited, st.AccountID, st.ID)
	return true, nil
}

// RemotePoll stores what a remote poll's server says of it (its Question,
// in a Create, an Update or a fetch); the status must be stored already.
// A newly seen end gets an expiry job, to notify the local voters.
func (s *FederationService) RemotePoll(ctx context.Context, st *model.Status, p *model.Poll) error {
	statusID := st.ID
	p.StatusID = statusID
	stored, err := s.store.UpdateRemotePoll(ctx, p)
	if err != nil {
		return herr.Internal(err)
	}
	switch {
	case stored.ExpiresAt == nil || stored.ClosedAt != nil:
	case !stored.ExpiresAt.After(s.Now()):
		// It ended (its server says it closed): end it here now.
		if err := s.expirePoll(ctx, statusID); err != nil {
			return herr.Internal(err)
		}
	default:
		if _, err := s.queueJobs(ctx, pollExpireJob(statusID, *stored.ExpiresAt)); err != nil {
			return herr.Internal(err)
		}
	}
	s.notify(ChangeStatusEdited, st.AccountID, statusID)
	return nil
}

// PollOfStatus returns a status's poll (nil when it has none), for the
// federation engine's documents.
func (s *FederationService) PollOfStatus(ctx context.Context, statusID int64) (*model.Poll, error) {
	m, err := s.store.PollsOf(ctx, []int64{statusID})
	if err != nil {
		return nil, err
	}
	return m[statusID], nil
}

// PollVoterAccounts returns the accounts that voted on a poll (the
// federation engine sends them its updates).
func (s *FederationService) PollVoterAccounts(ctx context.Context, statusID int64) ([]int64, error) {
	return s.store.PollVoters(ctx, statusID)
}

// expirePoll ends a poll whose time came: the local author and voters
// are notified and a local poll's final state federates. A poll whose
// end moved later (a remote update) waits for it.
func (s *Service) expirePoll(ctx context.Context, statusID int64) error {
	polls, err := s.store.PollsOf(ctx, []int64{statusID})
	if err != nil {
		return err
	}
	p := polls[statusID]
	if p == nil || p.ClosedAt != nil || p.ExpiresAt == nil {
		return nil
	}
	now := s.Now()
	if p.ExpiresAt.After(now) {
		return jobs.Snooze(p.ExpiresAt.Sub(now), "the poll ends later")
	}
	st, err := s.store.StatusByID(ctx, statusID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var events []model.OutboxEvent
	if st.Local {
		events = append(events, model.OutboxEvent{Kind: EventPollUpdate, AccountID: st.AccountID, ObjectID: st.ID})
	}
	closed, notified, err := s.store.ClosePoll(ctx, statusID, *p.ExpiresAt, events)
	if err != nil || !closed {
		return err
	}
	if len(events) > 0 {
		s.kick()
	}
	for _, aid := range notified {
		s.notify(ChangeNotification, aid, statusID)
	}
	s.notify(ChangeStatusEdited, st.AccountID, st.ID)
	return nil
}

// registerPollJobs registers the poll kinds on r.
func (s *Service) registerPollJobs(r *jobs.Runner) {
	r.Handle(jobs.Kind{Name: JobPollExpire, Workers: 1, Run: func(ctx context.Context, job *storage.Job) ([]storage.Job, error) {
		var p jobRef
		if err := jobs.Decode(job, &p); err != nil {
			return nil, err
		}
		return nil, s.expirePoll(ctx, p.ID)
	}})
	r.Handle(jobs.Kind{Name: JobPollUpdate, Workers: 1, Run: func(ctx context.Context, job *storage.Job) ([]storage.Job, error) {
		var p jobRef
		if err := jobs.Decode(job, &p); err != nil {
			return nil, err
		}
		st, err := s.store.StatusByID(ctx, p.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		// The Update is an outbox event, written as this job ends.
		return []storage.Job{storage.EventJob(model.OutboxEvent{Kind: EventPollUpdate, AccountID: st.AccountID, ObjectID: st.ID, Payload: "{}"})}, nil
	}})
}
