package storage

import (
	"context"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// NewStatus is everything written when a status arrives, local or remote,
// in one transaction: the status, its mentions and tags, the home feeds it
// enters, the notifications it causes, the counters it moves and the outbox
// events that federate it.
type NewStatus struct {
	Status     *model.Status
	MentionIDs []int64  // accounts mentioned (local or remote)
	Tags       []string // normalised tag names
	// IdempotencyKey, when set, makes a retried local post return the first
	// status instead of creating a second one (Idempotency-Key header).
	IdempotencyKey string
	Events         []model.OutboxEvent
}

// Statuses stores posts and the interactions on them.
type Statuses interface {
	// CreateStatus writes a status and everything that follows from it (see
	// NewStatus): the author's and local followers' home feeds (respecting
	// visibility: direct only to mentioned local accounts), mention/reply
	// notifications for local accounts, the parent's replies_count, the
	// author's statuses_count and last_status_at. When IdempotencyKey names
	// an existing post it returns that post and existed = true.
	CreateStatus(ctx context.Context, n NewStatus) (st *model.Status, existed bool, err error)
	// UpdateStatus stores an edit (content, spoiler, sensitive, language,
	// edited_at) and its tags.
	UpdateStatus(ctx context.Context, st *model.Status, tags []string, events []model.OutboxEvent) error
	// DeleteStatus removes a status, its boosts and every row that depends on
	// it, leaves a tombstone for local ones, fixes the counters, and queues events.
	DeleteStatus(ctx context.Context, statusID int64, events []model.OutboxEvent) error
	StatusByID(ctx context.Context, id int64) (*model.Status, error)
	StatusByURI(ctx context.Context, uri string) (*model.Status, error)
	StatusesByIDs(ctx context.Context, ids []int64) (map[int64]*model.Status, error)
	// TombstoneAt reports when a local object with that URI was deleted.
	TombstoneAt(ctx context.Context, uri string) (*time.Time, error)

	// Favourite / Reblog and their undos are idempotent and keep counters
	// and notifications right; Reblog creates a boost status (ReblogOfID).
	Favourite(ctx context.Context, accountID, statusID int64, uri string, events []model.OutboxEvent) error
	Unfavourite(ctx context.Context, accountID, statusID int64, events []model.OutboxEvent) error
	// Reblog returns the boost (existing one when already boosted).
	Reblog(ctx context.Context, boost *model.Status, events []model.OutboxEvent) (*model.Status, error)
	ReblogOf(ctx context.Context, accountID, statusID int64) (*model.Status, error)
	Bookmark(ctx context.Context, accountID, statusID int64) error
	Unbookmark(ctx context.Context, accountID, statusID int64) error
	Pin(ctx context.Context, accountID, statusID int64, events []model.OutboxEvent) error
	Unpin(ctx context.Context, accountID, statusID int64, events []model.OutboxEvent) error
}
