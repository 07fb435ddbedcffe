package storage

import (
	"context"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// Timelines reads pages of statuses. Every page is a keyset range scan on
// an index (model.Page): its cost does not grow with the table. Pages come
// newest first, with their mentions and tags loaded.
type Timelines interface {
	HomeTimeline(ctx context.Context, accountID int64, p model.Page) ([]*model.Status, error)
	// PublicTimeline: public statuses, local only or remote only on request.
	PublicTimeline(ctx context.Context, localOnly, remoteOnly bool, p model.Page) ([]*model.Status, error)
	// PublicMediaTimeline is PublicTimeline of the statuses with media.
	PublicMediaTimeline(ctx context.Context, localOnly, remoteOnly bool, p model.Page) ([]*model.Status, error)
	TagTimeline(ctx context.Context, tag string, localOnly bool, p model.Page) ([]*model.Status, error)
	// TagsTimeline is TagTimeline with Mastodon's any[] / all[] / none[].
	TagsTimeline(ctx context.Context, q TagQuery, p model.Page) ([]*model.Status, error)
	ListTimeline(ctx context.Context, listID int64, p model.Page) ([]*model.Status, error)
	// TimelineListOwner returns the account that owns a list.
	TimelineListOwner(ctx context.Context, listID int64) (int64, error)
	// AccountStatuses: an account's statuses up to the widest visibility
	// the viewer may see.
	AccountStatuses(ctx context.Context, accountID int64, maxVisibility model.Visibility, f AccountStatusFilter, p model.Page) ([]*model.Status, error)
	// DirectTimeline: direct statuses the account wrote or is mentioned in.
	DirectTimeline(ctx context.Context, accountID int64, p model.Page) ([]*model.Status, error)
	// Replies to a status (direct children), oldest first.
	Replies(ctx context.Context, statusID int64, limit int) ([]*model.Status, error)
	// Favourites / Bookmarks: the account's favourited or bookmarked
	// statuses, newest favourite first; the page and the returned cursors
	// are favourite / bookmark row ids, not status ids.
	Favourites(ctx context.Context, accountID int64, p model.Page) (sts []*model.Status, cursors []int64, err error)
	Bookmarks(ctx context.Context, accountID int64, p model.Page) (sts []*model.Status, cursors []int64, err error)
}

// AccountStatusFilter holds the filters of GET /api/v1/accounts/:id/statuses,
// and the period of a records export.
type AccountStatusFilter struct {
	ExcludeReplies bool
	ExcludeReblogs bool
	OnlyMedia      bool
	Pinned         bool
	Tagged         string
	// PublishedFrom / PublishedBefore keep the statuses published at or
	// after From and before Before (by created_at); zero: no bound.
	PublishedFrom, PublishedBefore time.Time
}

// TagQuery selects statuses by hashtag: one of Any (at least one needed),
// all of All, none of None.
type TagQuery struct {
	Any, All, None []string
	LocalOnly      bool
	RemoteOnly     bool
	OnlyMedia      bool // statuses with media only
}
