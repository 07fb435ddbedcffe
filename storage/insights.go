package storage

import (
	"context"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// DayCount is one day's value of a measure: Day counts days since
// 1970-01-01 (UTC).
type DayCount struct {
	Day   int64
	Value int64
}

// KeyCount is one value of a dimension (a language, a domain, an app).
type KeyCount struct {
	Key   string
	Value int64
}

// MeasureQuery selects one measure over a range of days [From, To).
type MeasureQuery struct {
	Key      string // core's measure key (active_users, tag_uses, ...)
	From, To int64  // days since 1970-01-01, UTC; To excluded
	TagID    int64  // tag_* measures
	Domain   string // instance_* measures
}

// CohortCount is how many users who signed up on day Cohort were active on
// day Active.
type CohortCount struct {
	Cohort, Active int64
	Users          int64
}

// TrendScore is an item's score as the trends job computed it.
type TrendScore struct {
	ItemID int64
	Score  float64
}

// TrendItem is a trending item as read for a page, with its review: nil
// when moderators have not reviewed it.
type TrendItem struct {
	ItemID    int64
	Score     float64
	Trendable *bool
}

// TrendUse is one use of a tag or a link (preview card) by an account in a
// status of the trends' window: the account's last status using it.
type TrendUse struct {
	ItemID    int64
	AccountID int64
	StatusID  int64
}

// TrendCandidate is a status that may trend, with its interactions.
type TrendCandidate struct {
	StatusID     int64
	Reblogs      int64
	Favourites   int64
	Replies      int64
	CreatedAtDay int64
}

// ItemHistory is a tag's or link's uses on one day (Mastodon's history).
type ItemHistory struct {
	ItemID   int64
	Day      int64
	Uses     int64
	Accounts int64
}

// Metrics reads what the admin dashboard measures, each query bounded by
// its day range (ids sort by creation time: ranges of ids are ranges of
// time), and records the users' active days.
type Metrics interface {
	// RecordActivity notes that user was active on day (idempotent).
	RecordActivity(ctx context.Context, userID, day int64) error
	// Measure returns the measure's value per day (days without a value
	// are left out) and its total over the range (distinct users,
	// accounts or servers where the measure counts those).
	Measure(ctx context.Context, q MeasureQuery) (daily []DayCount, total int64, err error)
	// Dimension returns the measure's top values over the range, highest
	// first, at most limit.
	Dimension(ctx context.Context, q MeasureQuery, limit int) ([]KeyCount, error)
	// SpaceUsage is the database's size and the media files' in bytes.
	SpaceUsage(ctx context.Context) (database, media int64, err error)
	// EngineVersion is the database engine's name and version.
	EngineVersion(ctx context.Context) (name, version string, err error)
	// Retention counts the users who signed up in [from, to) by sign-up
	// day and active day (active days within [from, to)).
	Retention(ctx context.Context, from, to int64) (sizes []DayCount, active []CohortCount, err error)
	// RetentionPeriod counts, by sign-up day in [from, to), the distinct
	// users active at least once in [activeFrom, activeTo).
	RetentionPeriod(ctx context.Context, from, to, activeFrom, activeTo int64) ([]DayCount, error)
}

// Trends keeps the trends the periodic job computes and the moderators'
// reviews of them.
type Trends interface {
	// TagUses and LinkUses list, for the statuses with ids from minID up
	// that may trend (public, not replies or boosts, by accounts that are
	// discoverable and not limited), each account's last use of each tag or
	// link.
	TagUses(ctx context.Context, minID int64) ([]TrendUse, error)
	LinkUses(ctx context.Context, minID int64) ([]TrendUse, error)
	// StatusCandidates lists the statuses with ids from minID up that may
	// trend and were interacted with.
	StatusCandidates(ctx context.Context, minID int64) ([]TrendCandidate, error)
	// ReplaceTrends replaces the kind's scores by scores.
	ReplaceTrends(ctx context.Context, kind string, scores []TrendScore, at time.Time) error
	// TrendItems is a page of the kind's trending items, highest score
	// first. approvedOnly: only approved items (for statuses, also those
	// whose author is approved and that were not rejected); otherwise
	// rejected items are left out unless withRejected.
	TrendItems(ctx context.Context, kind string, approvedOnly, withRejected bool, offset, limit int) ([]TrendItem, error)
	// ReviewTrend records a moderator's decision about an item.
	ReviewTrend(ctx context.Context, kind string, itemID int64, trendable bool, by int64, at time.Time) error
	// TrendReview is the review of an item (nil: not reviewed).
	TrendReview(ctx context.Context, kind string, itemID int64) (*bool, error)
	// RequestTrendReviews records that staff are told the items of kind
	// await review and returns those not recorded before, in the order
	// given (each item is requested once).
	RequestTrendReviews(ctx context.Context, kind string, itemIDs []int64, at time.Time) ([]int64, error)
	// TagHistory and LinkHistory count uses per day of the given items
	// for the statuses with ids from minID up.
	TagHistory(ctx context.Context, tagIDs []int64, minID int64) ([]ItemHistory, error)
	LinkHistory(ctx context.Context, cardIDs []int64, minID int64) ([]ItemHistory, error)
	// TagsByIDs and CardsByIDs load tags and preview cards.
	TagsByIDs(ctx context.Context, ids []int64) (map[int64]HashtagRef, error)
	CardsByIDs(ctx context.Context, ids []int64) (map[int64]*model.PreviewCard, error)
}

// AnnualReportStats is what an annual report is made of, for one account
// and the statuses with ids in [MinID, MaxID).
type AnnualReportStats struct {
	Standalone, Replies, Reblogs, Polls int64
	// StatusesByMonth counts the account's statuses per month (1..12).
	StatusesByMonth map[int]int64
	// FollowersByMonth counts the followers gained per month.
	FollowersByMonth map[int]int64
	TopTags          []KeyCount
	// Top statuses by reblogs, replies and favourites (0: none).
	TopByReblogs, TopByReplies, TopByFavourites int64
}

// AnnualReport is a generated report.
type AnnualReport struct {
	AccountID     int64
	Year          int
	SchemaVersion int
	Data          string // JSON
	ShareKey      string
	ViewedAt      *time.Time
	CreatedAt     time.Time
}

// AnnualReports keeps the annual reports.
type AnnualReports interface {
	AnnualReportStats(ctx context.Context, accountID, minID, maxID int64) (*AnnualReportStats, error)
	CountStatusesBetween(ctx context.Context, accountID, minID, maxID int64) (int64, error)
	// SaveAnnualReport stores a report unless one exists for the account
	// and year (then it returns false).
	SaveAnnualReport(ctx context.Context, r *AnnualReport) (bool, error)
	AnnualReports(ctx context.Context, accountID int64, year int) ([]*AnnualReport, error) // year 0: all
	MarkAnnualReportViewed(ctx context.Context, accountID int64, year int, at time.Time) (bool, error)
}

// Collection is a featured collection of accounts.
type Collection struct {
	ID           int64
	AccountID    int64
	Name         string
	Description  string
	Language     string
	TagID        int64
	TagName      string
	Sensitive    bool
	Discoverable bool
	ItemCount    int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// CollectionItem is an account in a collection.
type CollectionItem struct {
	ID           int64
	CollectionID int64
	AccountID    int64
	State        string // pending, accepted, rejected, revoked
	CreatedAt    time.Time
}

// CollectionUpdate is what a collection's owner may change; nil: unchanged.
type CollectionUpdate struct {
	Name, Description, Language *string
	TagName                     *string // "" removes the tag
	Sensitive, Discoverable     *bool
}

// Collections keeps the featured collections.
type Collections interface {
	// CreateCollection stores c (its id set) with the accounts as
	// accepted items, the tag made if needed.
	CreateCollection(ctx context.Context, c *Collection, accountIDs []int64) error
	Collection(ctx context.Context, id int64) (*Collection, error)
	UpdateCollection(ctx context.Context, id int64, u CollectionUpdate, at time.Time) error
	DeleteCollection(ctx context.Context, id int64) error
	CountCollections(ctx context.Context, accountID int64) (int, error)
	// AccountCollections lists an account's collections, newest first.
	AccountCollections(ctx context.Context, accountID int64, discoverableOnly bool, offset, limit int) ([]*Collection, error)
	// CollectionsFeaturing lists the collections that feature an account
	// (accepted items), newest first.
	CollectionsFeaturing(ctx context.Context, accountID int64, offset, limit int) ([]*Collection, error)
	// CollectionItems lists the items of collections, by collection, in
	// their order.
	CollectionItems(ctx context.Context, collectionIDs []int64) (map[int64][]*CollectionItem, error)
	AddCollectionItem(ctx context.Context, it *CollectionItem, max int) error
	DeleteCollectionItem(ctx context.Context, collectionID, itemID int64) (bool, error)
	SetCollectionItemState(ctx context.Context, collectionID, itemID int64, state string) (*CollectionItem, error)
}
