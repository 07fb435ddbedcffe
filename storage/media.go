package storage

import (
	"context"
	"errors"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// ErrMediaNotAttachable: a media id given with a status is unknown, not
// the author's, or already attached to another status.
var ErrMediaNotAttachable = errors.New("media not attachable")

// MaxStatusMedia is how many attachments a status may carry (Mastodon: 4).
const MaxStatusMedia = 4

// MediaGarbageGrace is how long a key stays garbage before MediaGarbage
// gives it to the sweep. A writer may hold a copy of a row read before the
// row dropped the key (an edit of a remote post, an admin saving an emoji)
// and write it back, naming the key again: within the grace period that
// write lands before any sweep looks at the key, and MediaGarbage sees the
// key named and keeps its file. Writes far longer than this are not
// covered.
const MediaGarbageGrace = 10 * time.Minute

// Media stores media attachments, account images, custom emoji and link
// preview cards. Files are named by key; a row that stops naming a file
// queues the key as garbage (see MediaGarbage) in the same transaction.
type Media interface {
	// CreateMedia inserts an attachment (setting its id when 0) and jobs
	// in the same transaction (the processing of an upload: it is queued
	// if and only if the attachment exists).
	CreateMedia(ctx context.Context, m *model.MediaAttachment, jobs ...Job) error
	// UpdateMedia writes every column but id, account and status.
	UpdateMedia(ctx context.Context, m *model.MediaAttachment) error
	// UpdateMediaFile writes what processing or caching an attachment's
	// file found (type, content type, file and preview keys, size, meta,
	// blurhash, processing, cached_at), leaving its description and focus
	// as they are now (an edit may have changed them meanwhile).
	UpdateMediaFile(ctx context.Context, m *model.MediaAttachment) error
	MediaByID(ctx context.Context, id int64) (*model.MediaAttachment, error)
	// MediaOfStatuses returns the attachments of statuses, in position order.
	MediaOfStatuses(ctx context.Context, statusIDs []int64) (map[int64][]*model.MediaAttachment, error)
	// MediaHistoryOf returns the attachments that edits removed from a
	// status, kept for its edit history (HistoryStatusID), by id.
	MediaHistoryOf(ctx context.Context, statusID int64) ([]*model.MediaAttachment, error)
	// DeleteMedia deletes an attachment row (its files become garbage).
	DeleteMedia(ctx context.Context, id int64) error
	// SetStatusMedia makes mediaIDs (the account's own, unattached or
	// already on this status) the status's attachments, in that order, and
	// deletes the ones it had that are not among them. ErrMediaNotAttachable
	// when one of them cannot be attached.
	SetStatusMedia(ctx context.Context, statusID, accountID int64, mediaIDs []int64) error
	// UnattachedMediaBefore lists ids of attachments on no status: local
	// uploads created before t, and remote attachments (orphaned when
	// attaching them failed) last written before t (their created_at is
	// their post's date).
	UnattachedMediaBefore(ctx context.Context, t time.Time, limit int) ([]int64, error)
	// CachedRemoteMediaBefore lists remote attachments cached before t.
	CachedRemoteMediaBefore(ctx context.Context, t time.Time, limit int) ([]*model.MediaAttachment, error)

	AccountMedia(ctx context.Context, accountID int64, kind string) (*model.AccountMedia, error)
	// SetAccountMedia stores an account's avatar or header file. For a
	// local account it also sets accounts.avatar_url / header_url to url
	// and queues events, in the same transaction.
	SetAccountMedia(ctx context.Context, am *model.AccountMedia, url string, events []model.OutboxEvent) error
	// UncacheAccountMediaBefore forgets cached remote account images
	// cached before t (their files become garbage); it returns how many.
	UncacheAccountMediaBefore(ctx context.Context, t time.Time, limit int) (int, error)

	CreateEmoji(ctx context.Context, e *model.CustomEmoji) error
	// UpsertRemoteEmoji creates or updates the (shortcode, domain) emoji.
	UpsertRemoteEmoji(ctx context.Context, e *model.CustomEmoji) error
	UpdateEmoji(ctx context.Context, e *model.CustomEmoji) error
	DeleteEmoji(ctx context.Context, id int64) error
	EmojiByID(ctx context.Context, id int64) (*model.CustomEmoji, error)
	EmojiByShortcode(ctx context.Context, shortcode, domain string) (*model.CustomEmoji, error)
	// EmojisOfDomain lists a domain's emoji ("" local), by shortcode.
	EmojisOfDomain(ctx context.Context, domain string) ([]*model.CustomEmoji, error)
	// FindEmojis pages through emoji for the console, by domain then
	// shortcode (local first).
	FindEmojis(ctx context.Context, f EmojiFilter) ([]*model.CustomEmoji, error)
	// EmojiCategories lists the local emoji's categories in use, sorted.
	EmojiCategories(ctx context.Context) ([]string, error)
	// UncacheRemoteEmojisBefore forgets cached files of remote emoji cached
	// before t; it returns how many.
	UncacheRemoteEmojisBefore(ctx context.Context, t time.Time, limit int) (int, error)

	CardByURL(ctx context.Context, url string) (*model.PreviewCard, error)
	CardByID(ctx context.Context, id int64) (*model.PreviewCard, error)
	// UpsertCard creates or replaces the card of c.URL (setting c.ID).
	UpsertCard(ctx context.Context, c *model.PreviewCard) error
	SetStatusCard(ctx context.Context, statusID, cardID int64) error
	CardsOfStatuses(ctx context.Context, statusIDs []int64) (map[int64]*model.PreviewCard, error)
	// UncacheCardImagesBefore forgets card images fetched before t.
	UncacheCardImagesBefore(ctx context.Context, t time.Time, limit int) (int, error)

	// MediaGarbage lists up to limit keys whose files may be deleted at
	// now: keys that became garbage more than MediaGarbageGrace before now
	// and that no row names (media_attachments file and preview keys,
	// account_media, custom_emojis file and static keys, preview_cards
	// images). A garbage key that a row names again leaves the list: its
	// file stays.
	MediaGarbage(ctx context.Context, now time.Time, limit int) ([]string, error)
	// ReleasedMediaGarbage returns those of keys that are garbage and that
	// no row names, without waiting for MediaGarbageGrace: for a caller
	// that just stopped naming them and knows that no copy of a row can
	// name them again (the rows were deleted, or are only ever written
	// with new keys), so that their files go at once.
	ReleasedMediaGarbage(ctx context.Context, keys []string) ([]string, error)
	// ForgetMediaGarbage removes keys whose files were deleted.
	ForgetMediaGarbage(ctx context.Context, keys []string) error
}

// EmojiFilter selects emoji for the console's list.
type EmojiFilter struct {
	Origin   string // "local", "remote" or "" (both)
	Domain   string // one remote domain
	Query    string // part of the shortcode
	Category string // local emoji of this category
	// After is the keyset cursor: the (domain, shortcode) of the last row
	// of the previous page.
	AfterDomain, AfterShortcode string
	After                       bool
	Limit                       int
}
