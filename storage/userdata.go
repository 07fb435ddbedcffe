package storage

import (
	"context"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// UserData stores what a local user keeps for themselves: lists, filters,
// timeline markers; and the hashtag look-ups of search.
type UserData interface {
	Lists
	Filters
	Markers
	Hashtags
}

// Lists stores a user's lists of accounts. Every method that takes the
// owner's accountID answers ErrNotFound for a list of someone else.
type Lists interface {
	CreateList(ctx context.Context, l *model.List) error
	// UpdateList stores title, replies policy and exclusive.
	UpdateList(ctx context.Context, l *model.List) error
	DeleteList(ctx context.Context, accountID, listID int64) error
	ListByID(ctx context.Context, accountID, listID int64) (*model.List, error)
	ListsOf(ctx context.Context, accountID int64) ([]model.List, error)
	// ListsContaining: accountID's lists that hold memberID.
	ListsContaining(ctx context.Context, accountID, memberID int64) ([]model.List, error)
	// ListMembers pages through a list's accounts by account id (Limit 0: all).
	ListMembers(ctx context.Context, listID int64, p model.Page) ([]int64, error)
	// AddListMembers adds accounts (idempotent). Every one must be followed
	// (or requested) by the list's owner, else ErrConflict and nothing changes.
	AddListMembers(ctx context.Context, accountID, listID int64, memberIDs []int64) error
	RemoveListMembers(ctx context.Context, accountID, listID int64, memberIDs []int64) error
}

// FilterUpdate changes a filter; nil fields stay as they are.
type FilterUpdate struct {
	Title     *string
	Context   []string // nil: unchanged
	Action    *string
	SetExpiry bool // when true, ExpiresAt (nil: never) replaces the expiry
	ExpiresAt *time.Time

	AddKeywords    []model.FilterKeyword
	UpdateKeywords []model.FilterKeyword // by ID; must belong to the filter
	DeleteKeywords []int64
}

// Filters stores content filters (Mastodon's v2 model; a v1 filter is a
// keyword of a filter). Reads return the keywords and statuses too.
type Filters interface {
	// CreateFilter stores f with its Keywords and Statuses, setting ids.
	CreateFilter(ctx context.Context, f *model.Filter) error
	UpdateFilter(ctx context.Context, accountID, filterID int64, u FilterUpdate) (*model.Filter, error)
	DeleteFilter(ctx context.Context, accountID, filterID int64) error
	FilterByID(ctx context.Context, accountID, filterID int64) (*model.Filter, error)
	// FiltersOf returns every filter of the account, expired ones included.
	FiltersOf(ctx context.Context, accountID int64) ([]*model.Filter, error)

	AddFilterKeyword(ctx context.Context, accountID int64, k *model.FilterKeyword) error
	FilterKeywordByID(ctx context.Context, accountID, keywordID int64) (*model.FilterKeyword, error)
	UpdateFilterKeyword(ctx context.Context, accountID int64, k *model.FilterKeyword) error
	// DeleteFilterKeyword removes a keyword; with dropEmpty, a filter left
	// without keywords and statuses goes too (v1 semantics).
	DeleteFilterKeyword(ctx context.Context, accountID, keywordID int64, dropEmpty bool) error

	AddFilterStatus(ctx context.Context, accountID int64, fs *model.FilterStatus) error
	FilterStatusByID(ctx context.Context, accountID, id int64) (*model.FilterStatus, error)
	DeleteFilterStatus(ctx context.Context, accountID, id int64) error
}

// Markers stores read positions in timelines.
type Markers interface {
	// MarkersOf returns the markers that exist among timelines (all when empty).
	MarkersOf(ctx context.Context, accountID int64, timelines []string) ([]model.Marker, error)
	// SetMarker creates or moves a marker, incrementing its version.
	SetMarker(ctx context.Context, accountID int64, timeline, lastReadID string) (*model.Marker, error)
}

// HashtagRef is a known hashtag.
type HashtagRef struct {
	ID   int64
	Name string
}

// Hashtags looks known hashtags up, for search and tag pages.
type Hashtags interface {
	// SearchHashtags finds tags whose normalised name starts with prefix.
	SearchHashtags(ctx context.Context, prefix string, limit, offset int) ([]HashtagRef, error)
	HashtagByName(ctx context.Context, name string) (*HashtagRef, error)
}
