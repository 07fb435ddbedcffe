package model

import "time"

// NotifyPoll is the notification of a poll that ended, sent to its local
// author and its local voters (Mastodon's "poll").
const NotifyPoll = "poll"

// Poll is the poll of a status (a Question in ActivityPub): its options,
// how many votes each has, and when it ends. For a local poll the counts
// are those of the votes stored here; for a remote one they are what its
// server said last (its Update{Question}), plus the votes cast here since.
type Poll struct {
	StatusID   int64
	Options    []string
	Counts     []int64 // votes per option, as Options
	Multiple   bool
	HideTotals bool
	ExpiresAt  *time.Time // nil: open until closed by its author's server
	// ClosedAt is when the poll was seen to end: its expiry ran here, or
	// its server said it was closed. Votes are refused from then on.
	ClosedAt    *time.Time
	VotesCount  int64
	VotersCount int64
}

// Expired reports whether the poll takes no more votes at now.
func (p *Poll) Expired(now time.Time) bool {
	return p.ClosedAt != nil || (p.ExpiresAt != nil && !p.ExpiresAt.After(now))
}

// ScheduledStatus is a post to publish later (Mastodon's ScheduledStatus):
// the parameters of the post as they were given, published through the
// normal post path at ScheduledAt.
type ScheduledStatus struct {
	ID          int64
	AccountID   int64
	ScheduledAt time.Time
	// Params is the post, JSON (its parameters in Mastodon's names,
	// media_ids included, in order).
	Params    string
	MediaIDs  []int64
	AppID     int64
	CreatedAt time.Time
}
