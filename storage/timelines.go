package storage

import (
	"context"

	"github.com/herald-social/herald/internal/model"
)

// Timelines reads pages of statuses. Every page is a keyset range scan on
// an index (model.Page): its cost does not grow with the table.
type Timelines interface {
	HomeTimeline(ctx context.Context, accountID int64, p model.Page) ([]*model.Status, error)
	// PublicTimeline: public statuses, local only or remote only on request.
	PublicTimeline(ctx context.Context, localOnly, remoteOnly bool, p model.Page) ([]*model.Status, error)
	TagTimeline(ctx context.Context, tag string, localOnly bool, p model.Page) ([]*model.Status, error)
	ListTimeline(ctx context.Context, listID int64, p model.Page) ([]*model.Status, error)
	// AccountStatuses: an account's statuses up to the widest visibility
	// the viewer may see.
	AccountStatuses(ctx context.Context, accountID int64, maxVisibility model.Visibility, f AccountStatusFilter, p model.Page) ([]*model.Status, error)
	// Replies to a status (direct children), oldest first.
	Replies(ctx context.Context, statusID int64, limit int) ([]*model.Status, error)
}

// AccountStatusFilter holds the filters of GET /api/v1/accounts/:id/statuses.
type AccountStatusFilter struct {
	ExcludeReplies bool
	ExcludeReblogs bool
	OnlyMedia      bool
	Pinned         bool
	Tagged         string
}
