package storage

import (
	"context"
	"errors"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// Poll vote refusals the store decides (under its write lock, so that two
// votes at once cannot both pass).
var (
	ErrPollClosed     = errors.New("poll closed")
	ErrPollVoted      = errors.New("already voted")
	ErrScheduledLimit = errors.New("too many scheduled statuses")
)

// PollVote is one account's vote on a poll: the chosen option indexes,
// with the ActivityPub id of each (remote voters' Notes; "" for local).
type PollVote struct {
	StatusID  int64
	AccountID int64
	Choices   []int
	URIs      []string
	Now       time.Time
	// Add lets an account that voted on a multiple-choice poll add
	// choices (a remote voter's choices come as one Note each).
	Add    bool
	Events []model.OutboxEvent
	Jobs   []Job
}

// Polls stores polls and their votes.
type Polls interface {
	// PollsOf returns the polls of the statuses among ids.
	PollsOf(ctx context.Context, ids []int64) (map[int64]*model.Poll, error)
	// PollVotesOf returns accountID's choices on the polls among ids.
	PollVotesOf(ctx context.Context, accountID int64, ids []int64) (map[int64][]int, error)
	// VotePoll records a vote, updates the poll's counts and queues the
	// events and jobs, in one transaction. ErrPollClosed when the poll
	// ended (by now), ErrPollVoted when the account voted already,
	// ErrNotFound when there is no poll.
	VotePoll(ctx context.Context, v PollVote) (*model.Poll, error)
	// UpdateRemotePoll stores what a remote poll's server says of it now:
	// its counts (and options, when their number is unchanged) and its
	// end (ClosedAt is ignored: ClosePoll ends a poll); new options (or
	// multiple) are an edit that deletes the votes cast here. It returns
	// the poll as stored.
	UpdateRemotePoll(ctx context.Context, p *model.Poll) (*model.Poll, error)
	// PollVoters returns the accounts that voted on a poll.
	PollVoters(ctx context.Context, statusID int64) ([]int64, error)
	// ClosePoll marks a poll ended at at and, in the same transaction,
	// notifies (NotifyPoll) its local author and its local voters and
	// queues events; closed is false when it was closed already (nothing
	// is done then).
	ClosePoll(ctx context.Context, statusID int64, at time.Time, events []model.OutboxEvent) (closed bool, notified []int64, err error)
}

// ScheduledStatuses stores posts to publish later.
type ScheduledStatuses interface {
	// CreateScheduledStatus stores a scheduled post, marks its uploads
	// (the author's, unattached: ErrMediaNotAttachable otherwise) as held
	// by it and queues job, in one transaction. ErrScheduledLimit when the
	// account has maxTotal scheduled posts, or maxDaily on the same UTC day.
	CreateScheduledStatus(ctx context.Context, ss *model.ScheduledStatus, job Job, maxTotal, maxDaily int) error
	ScheduledStatusByID(ctx context.Context, id int64) (*model.ScheduledStatus, error)
	// ScheduledStatuses pages through an account's scheduled posts by id.
	ScheduledStatuses(ctx context.Context, accountID int64, p model.Page) ([]*model.ScheduledStatus, error)
	// RescheduleStatus moves a scheduled post and its job to at.
	RescheduleStatus(ctx context.Context, id int64, at time.Time, job Job, maxDaily int) error
	// DeleteScheduledStatus deletes a scheduled post and its waiting job
	// (unique key jobKey); its uploads are unattached again.
	DeleteScheduledStatus(ctx context.Context, id int64, jobKey string) error
}
