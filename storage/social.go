package storage

import (
	"context"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// Social stores the graph between accounts: follows, follow requests,
// blocks, mutes, private notes.
//
// Side effects kept in the same transaction: counters (followers_count,
// following_count), home_feed rows of local followers, list memberships,
// and the follow / follow_request notifications of local targets.
type Social interface {
	// Follow makes follower follow target (idempotent), moves the counters,
	// removes any pending request, and copies target's recent visible
	// statuses into a local follower's home feed. A new follow of a local
	// target notifies it ("follow"). On an existing follow it updates
	// ShowReblogs, Notify and (when given) URI, and fills f from the row.
	Follow(ctx context.Context, f *model.Follow, events []model.OutboxEvent) error
	// RequestFollow records a pending request to a locked account
	// (idempotent); a local target gets a "follow_request" notification.
	RequestFollow(ctx context.Context, f *model.Follow, events []model.OutboxEvent) error
	// Unfollow removes a follow or a pending request, moves the counters and
	// drops target's statuses from a local follower's home feed (and target
	// from follower's lists).
	Unfollow(ctx context.Context, followerID, targetID int64, events []model.OutboxEvent) (removed bool, err error)
	// AuthorizeFollowRequest turns a pending request into a follow
	// (ErrNotFound when there is no request).
	AuthorizeFollowRequest(ctx context.Context, followerID, targetID int64, events []model.OutboxEvent) (*model.Follow, error)
	// RejectFollowRequest deletes a pending request and returns it
	// (ErrNotFound when there is none).
	RejectFollowRequest(ctx context.Context, followerID, targetID int64, events []model.OutboxEvent) (*model.Follow, error)
	FollowBetween(ctx context.Context, followerID, targetID int64) (*model.Follow, error)
	FollowRequestBetween(ctx context.Context, followerID, targetID int64) (*model.Follow, error)
	// FollowByURI finds a follow, or else a pending request, by its
	// ActivityPub id.
	FollowByURI(ctx context.Context, uri string) (*model.Follow, error)
	// Block removes follows both ways, then records the block.
	Block(ctx context.Context, accountID, targetID int64, uri string, events []model.OutboxEvent) error
	Unblock(ctx context.Context, accountID, targetID int64, events []model.OutboxEvent) error
	// BlockURI returns the ActivityPub id of accountID's block of targetID
	// (ErrNotFound when there is no block).
	BlockURI(ctx context.Context, accountID, targetID int64) (string, error)
	// Mute records (or updates) a mute; expiresAt is Unix milliseconds, nil
	// for a mute without end.
	Mute(ctx context.Context, accountID, targetID int64, notifications bool, expiresAt *int64) error
	Unmute(ctx context.Context, accountID, targetID int64) error
	// Relationships returns one entry per existing target, in the order asked.
	Relationships(ctx context.Context, accountID int64, targetIDs []int64) ([]model.Relationship, error)
	// FamiliarFollowers lists, per target, the accounts accountID follows
	// that follow the target and do not hide their network (at most limit
	// a target, oldest follow first).
	FamiliarFollowers(ctx context.Context, accountID int64, targetIDs []int64, limit int) (map[int64][]int64, error)
	// SetAccountNote stores a private note on target ("" removes it).
	SetAccountNote(ctx context.Context, accountID, targetID int64, comment string) error
	// FollowerInboxes lists the distinct delivery inboxes (shared inbox when
	// known) of target's remote followers.
	FollowerInboxes(ctx context.Context, targetID int64) ([]string, error)
	// IsBlockedEitherWay reports a block from a to b or from b to a.
	IsBlockedEitherWay(ctx context.Context, a, b int64) (bool, error)
	CountFollowRequests(ctx context.Context, targetID int64) (int64, error)

	// Lists of accounts, newest first, paged by the row id (AccountLink.ID).
	Followers(ctx context.Context, accountID int64, p model.Page) ([]AccountLink, error)
	Following(ctx context.Context, accountID int64, p model.Page) ([]AccountLink, error)
	// FollowRequests lists the accounts waiting for targetID's answer.
	FollowRequests(ctx context.Context, targetID int64, p model.Page) ([]AccountLink, error)
	Blocks(ctx context.Context, accountID int64, p model.Page) ([]AccountLink, error)
	// Mutes lists the unexpired mutes.
	Mutes(ctx context.Context, accountID int64, p model.Page) ([]AccountLink, error)

	// SearchFollowing is SearchAccounts restricted to accounts accountID follows.
	SearchFollowing(ctx context.Context, accountID int64, q string, limit, offset int) ([]*model.Account, error)
	// DirectoryAccounts lists discoverable, unsuspended accounts by order
	// "active" (latest status first) or "new" (newest account first).
	DirectoryAccounts(ctx context.Context, order string, localOnly bool, limit, offset int) ([]*model.Account, error)
}

// AccountLink is one entry of a list of accounts kept as pairs (followers,
// blocks, mutes, follow requests): the row id is the page cursor.
type AccountLink struct {
	ID        int64 // row id: the page cursor
	AccountID int64 // the account listed
	ExpiresAt *time.Time
}
