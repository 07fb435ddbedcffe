package core

import (
	"context"
	"errors"
	"strconv"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Moving an account's local followers to the account it moved to (a local
// account's move, or a remote account's Move): a durable job queued in the
// transaction that records the move, worked in batches. Each batch
// follows the new account and unfollows the old one for up to
// MoveFollowersBatch followers and queues the next batch from where it
// stopped, as the batch's job is deleted; a batch run again (its runner
// died) does nothing twice: a moved follower no longer follows the old
// account, and following again only keeps the options.

// JobMoveFollowers moves one batch of followers, moveFollowers.
const JobMoveFollowers = "account.move_followers"

// MoveFollowersBatch is how many followers one job looks at (a variable
// for tests).
var MoveFollowersBatch = 200

// moveFollowers is the payload of JobMoveFollowers: the old and new
// accounts, and the follow id below which the batch reads (0: from the
// newest).
type moveFollowers struct {
	From   int64 `json:"from"`
	To     int64 `json:"to"`
	Cursor int64 `json:"cursor,omitempty"`
}

// moveFollowersJob is a batch's job; the moves of one account run one at a
// time, in order (key).
func moveFollowersJob(from, to, cursor int64) storage.Job {
	return storage.Job{Kind: JobMoveFollowers, Key: "move:" + strconv.FormatInt(from, 10), Ref: from,
		Payload: jobs.Encode(moveFollowers{From: from, To: to, Cursor: cursor})}
}

// wakeJobs starts a kind's queued jobs at once, when a runtime runs here.
func (s *Service) wakeJobs(kind string) {
	if s.Jobs != nil {
		s.Jobs.Wake(kind)
	}
}

// RegisterFollowerMoves registers JobMoveFollowers on r (RegisterJobs does;
// the federation engine's tests register it alone).
func (s *Service) RegisterFollowerMoves(r *jobs.Runner) {
	r.Handle(jobs.Kind{Name: JobMoveFollowers, PerKey: 1, MaxAttempts: 10, Run: func(ctx context.Context, job *storage.Job) ([]storage.Job, error) {
		var p moveFollowers
		if err := jobs.Decode(job, &p); err != nil {
			return nil, err
		}
		next, more, err := s.FederationService.moveFollowersBatch(ctx, p)
		if err != nil || !more {
			return nil, err
		}
		return []storage.Job{moveFollowersJob(p.From, p.To, next)}, nil
	}})
}

// moveFollowersBatch moves one batch of from's local followers to to: a
// Follow of the new account (keeping the old follow's options), an Undo
// of the old follow. A follower who cannot follow the new account
// (blocked, say) is logged and skipped. It returns the cursor of the next
// batch and whether there is one.
func (s *FederationService) moveFollowersBatch(ctx context.Context, p moveFollowers) (int64, bool, error) {
	from, err := s.store.AccountByID(ctx, p.From)
	if errors.Is(err, storage.ErrNotFound) {
		return 0, false, nil // deleted since: nobody follows it
	} else if err != nil {
		return 0, false, err
	}
	to, err := s.store.AccountByID(ctx, p.To)
	if errors.Is(err, storage.ErrNotFound) {
		return 0, false, nil
	} else if err != nil {
		return 0, false, err
	}
	if from.MovedToID != to.ID || to.SuspendedAt != nil {
		// Moved elsewhere since (that move has its own job), or the new
		// account was suspended: nothing to follow.
		return 0, false, nil
	}
	batch := max(MoveFollowersBatch, 1)
	links, err := s.store.Followers(ctx, from.ID, model.Page{MaxID: p.Cursor, Limit: batch})
	if err != nil || len(links) == 0 {
		return 0, false, err
	}
	ids := make([]int64, len(links))
	for i, l := range links {
		ids[i] = l.AccountID
	}
	accts, err := s.store.AccountsByIDs(ctx, ids)
	if err != nil {
		return 0, false, err
	}
	for _, l := range links {
		a := accts[l.AccountID]
		if a == nil || !a.Local() || a.SuspendedAt != nil || a.ID == to.ID {
			continue
		}
		c := &Caller{Account: a}
		opts := FollowOptions{}
		if fl, err := s.store.FollowBetween(ctx, a.ID, from.ID); err == nil {
			reblogs, notify := fl.ShowReblogs, fl.Notify
			opts.Reblogs, opts.Notify = &reblogs, &notify
		}
		if _, err := s.Follow(ctx, c, to.ID, opts); err != nil {
			if herr.As(err).Status >= 500 {
				return 0, false, err // the store failed: the batch again, later
			}
			s.Log.Info("move: follower could not follow the new account", "follower", a.URI, "to", to.URI, "err", err)
		}
		if _, err := s.Unfollow(ctx, c, from.ID); err != nil {
			if herr.As(err).Status >= 500 {
				return 0, false, err // the store failed: the batch again, later
			}
			s.Log.Info("move: follower could not unfollow the old account", "follower", a.URI, "from", from.URI, "err", err)
		}
	}
	return links[len(links)-1].ID, len(links) == batch, nil
}
