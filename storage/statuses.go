package storage

import (
	"context"
	"errors"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// ErrPinLimit: the account already pins as many statuses as allowed.
var ErrPinLimit = errors.New("pin limit reached")

// MaxPins is how many statuses an account may pin (Mastodon: 5).
const MaxPins = 5

// NewStatus is everything written when a status arrives, local or remote,
// in one transaction: the status, its mentions and tags, the home feeds it
// enters, the notifications it causes, the counters it moves and the outbox
// events that federate it.
type NewStatus struct {
	Status     *model.Status
	MentionIDs []int64  // accounts mentioned (local or remote)
	Tags       []string // normalised tag names
	// MediaIDs are the author's own unattached uploads to attach, in
	// order (at most MaxStatusMedia); ErrMediaNotAttachable otherwise.
	MediaIDs []int64
	// IdempotencyKey, when set, makes a retried local post return the first
	// status instead of creating a second one (Idempotency-Key header).
	IdempotencyKey string
	// Request is the interaction request of a reply to a local post that
	// its author answers (held for approval, Status.PendingApproval, or
	// approved at once but announced), written with it (ReplyID set here).
	Request *model.InteractionRequest
	Events  []model.OutboxEvent
	// Jobs are background work the status asks for (its preview card,
	// its poll's expiry), queued in the same transaction.
	Jobs []Job
	// Poll is the status's poll (StatusID is set here), if it has one.
	Poll *model.Poll
	// RemoteMedia are a remote status's attachments, in order, written
	// with it (their StatusID, AccountID and Position set here), so that
	// no reader sees the status without them.
	RemoteMedia []*model.MediaAttachment
	// ScheduledID, when set, is the scheduled post this status publishes:
	// it is deleted in the same transaction (gone already: the status is
	// not written, ErrNotFound), so that a publish is never done twice.
	ScheduledID int64
}

// StatusFlags is what one viewer did to a status (Mastodon's favourited,
// reblogged, bookmarked, pinned).
type StatusFlags struct {
	Favourited, Reblogged, Bookmarked, Pinned bool
	// Muted: the viewer muted the status's conversation.
	Muted bool
}

// ViewerRelations is what a viewer is to a set of accounts: all visibility
// decisions for a page are made from one of these.
type ViewerRelations struct {
	Following map[int64]bool // the viewer follows the account
	Blocked   map[int64]bool // a block either way
	Muted     map[int64]bool // the viewer mutes the account
	// DomainBlocked: the viewer blocks the account's domain.
	DomainBlocked map[int64]bool
}

// Statuses stores posts and the interactions on them.
type Statuses interface {
	// CreateStatus writes a status and everything that follows from it (see
	// NewStatus): the author's and local followers' home feeds (respecting
	// visibility: direct only to mentioned local accounts), mention/reply
	// notifications for local accounts, the parent's replies_count, the
	// author's statuses_count and last_status_at; a status pending approval
	// gets none of the feeds, notifications and parent's count until it is
	// approved (Interactions). When IdempotencyKey names
	// an existing post it returns that post and existed = true. A status
	// whose URI is already stored is not written again: the stored one is
	// returned with existed = true.
	CreateStatus(ctx context.Context, n NewStatus) (st *model.Status, existed bool, err error)
	// UpdateStatus stores an edit (content, text, spoiler, sensitive,
	// language, edited_at, interaction policy) and its tags.
	UpdateStatus(ctx context.Context, st *model.Status, tags []string, events []model.OutboxEvent) error
	// EditLocalStatus stores an edit of a local status with its new
	// attachments and poll, keeping the version it replaces (attachments
	// and poll included) in the history, in one transaction:
	// ErrMediaNotAttachable when an attachment is not the author's own
	// unattached upload or already the status's.
	EditLocalStatus(ctx context.Context, e LocalEdit) error
	// EditRemoteStatus stores an edit of a remote status from its server
	// (an Update) with its poll and attachments, keeping the version it
	// replaces in the history, in one transaction.
	EditRemoteStatus(ctx context.Context, e RemoteEdit) (RemoteEdited, error)
	// RedraftStatus is DeleteStatus that keeps the status's attachments,
	// unattached, for a new post (Mastodon's delete and redraft); they are
	// pruned a day later like any unattached upload.
	RedraftStatus(ctx context.Context, statusID int64, events []model.OutboxEvent) error
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
	// Events are queued only when something changed.
	Favourite(ctx context.Context, accountID, statusID int64, uri string, events []model.OutboxEvent) error
	Unfavourite(ctx context.Context, accountID, statusID int64, events []model.OutboxEvent) error
	// PendingFavourite records a favourite of a remote post that waits for
	// its author's Accept: not counted, not shown as favourited, not in
	// the favourites list until AnswerFavourite accepts it (a rejection
	// deletes it). answered: a favourite with that id was waiting.
	PendingFavourite(ctx context.Context, accountID, statusID int64, uri string, events []model.OutboxEvent) error
	AnswerFavourite(ctx context.Context, uri string, accept bool) (answered bool, err error)
	// FavouriteByURI finds a favourite by its ActivityPub id (remote Likes).
	FavouriteByURI(ctx context.Context, uri string) (accountID, statusID int64, err error)
	// FavouriteURI is the ActivityPub id of accountID's favourite of
	// statusID ("" when it has none; ErrNotFound when there is no favourite).
	FavouriteURI(ctx context.Context, accountID, statusID int64) (string, error)
	// Reblog returns the boost (existing one when already boosted).
	Reblog(ctx context.Context, boost *model.Status, events []model.OutboxEvent) (*model.Status, error)
	ReblogOf(ctx context.Context, accountID, statusID int64) (*model.Status, error)
	Bookmark(ctx context.Context, accountID, statusID int64) error
	Unbookmark(ctx context.Context, accountID, statusID int64) error
	// Pin fails with ErrPinLimit past MaxPins.
	Pin(ctx context.Context, accountID, statusID int64, events []model.OutboxEvent) error
	Unpin(ctx context.Context, accountID, statusID int64, events []model.OutboxEvent) error

	// StatusFlags returns, for the statuses among ids the viewer touched,
	// what the viewer did to them.
	StatusFlags(ctx context.Context, viewerID int64, ids []int64) (map[int64]StatusFlags, error)
	// ViewerRelations returns the viewer's follows, blocks (either way) and
	// mutes among accountIDs.
	ViewerRelations(ctx context.Context, viewerID int64, accountIDs []int64) (*ViewerRelations, error)
	// ExtrasOf tells which of the statuses have attachments, a preview
	// card or a poll, in one query: a page loads those only for them.
	ExtrasOf(ctx context.Context, ids []int64) (StatusExtras, error)
	// Ancestors follows in_reply_to_id up from a status (nearest first,
	// at most limit); Descendants walks replies down breadth-first (thread
	// order by id, at most limit).
	Ancestors(ctx context.Context, statusID int64, limit int) ([]*model.Status, error)
	Descendants(ctx context.Context, statusID int64, limit int) ([]*model.Status, error)
	// FavouritedBy / RebloggedBy page through the accounts that favourited
	// or boosted a status; cursors are the favourite / boost ids.
	FavouritedBy(ctx context.Context, statusID int64, p model.Page) (accountIDs, cursors []int64, err error)
	RebloggedBy(ctx context.Context, statusID int64, p model.Page) (accountIDs, cursors []int64, err error)
	// StatusEdits returns the versions an edited status had before its
	// current one, oldest first.
	StatusEdits(ctx context.Context, statusID int64) ([]StatusEdit, error)
}

// StatusEdit is an earlier version of an edited status.
type StatusEdit struct {
	Content     string
	SpoilerText string
	Sensitive   bool
	CreatedAt   time.Time // when this version was written
	// Media are the version's attachments, in order, with the alt text
	// and focus they had; Poll its poll (nil: none).
	Media []EditMedia
	Poll  *EditPoll
}

// EditMedia is an attachment as an earlier version of a status had it.
type EditMedia struct {
	ID          int64   `json:"id,string"`
	Description string  `json:"description"`
	FocusX      float64 `json:"focus_x"`
	FocusY      float64 `json:"focus_y"`
}

// EditPoll is the poll of an earlier version of a status.
type EditPoll struct {
	Options  []string `json:"options"`
	Multiple bool     `json:"multiple"`
}

// LocalEdit is an edit of a local status (EditLocalStatus).
type LocalEdit struct {
	Status *model.Status
	Tags   []string
	Events []model.OutboxEvent
	Jobs   []Job
	// MediaIDs replace the attachments, in order; those left out are kept
	// for the edit history only (HistoryStatusID), as Mastodon keeps them.
	// MediaAttributes change the alt text and focus of some of them
	// (Mastodon's media_attributes[]).
	MediaIDs        []int64
	MediaAttributes []MediaAttributes
	// SetPoll: Poll replaces the status's poll (nil removes it); with
	// ResetVotes the votes go too (its options changed), otherwise the
	// counts stay and only the end and hide_totals change.
	SetPoll    bool
	Poll       *model.Poll
	ResetVotes bool
}

// RemoteEdit is an edit of a remote status as its server sends it
// (EditRemoteStatus).
type RemoteEdit struct {
	Status *model.Status // content, spoiler, sensitive, language, edited_at, policy
	Tags   []string
	// Poll, when not nil, is what the server says of the poll now
	// (UpdateRemotePoll's rules: new options reset the votes cast here).
	Poll *model.Poll
	// SetMedia: Media are the attachments the status has now, in order:
	// one it had (by remote URL) takes the new alt text and focus and keeps
	// its cached files; new ones are inserted; those left out are kept for
	// the edit history only. IDs are set on return. Without SetMedia the
	// attachments stay as they are.
	SetMedia bool
	Media    []*model.MediaAttachment
}

// RemoteEdited is what EditRemoteStatus stored: the poll (nil when the
// edit had none) and the attachments whose files are not cached yet.
type RemoteEdited struct {
	Poll     *model.Poll
	Uncached []int64
}

// MediaAttributes is a change of an attachment's alt text and focus; nil
// fields stay as they are.
type MediaAttributes struct {
	ID          int64
	Description *string
	Focus       *[2]float64
}

// StatusExtras holds the statuses that have attachments (Media), a preview
// card (Card) or a poll (Poll).
type StatusExtras struct {
	Media, Card, Poll map[int64]bool
}
