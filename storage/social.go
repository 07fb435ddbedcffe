package storage

import (
	"context"

	"github.com/herald-social/herald/internal/model"
)

// Social stores the graph between accounts: follows, follow requests,
// blocks, mutes, private notes.
type Social interface {
	// Follow makes follower follow target (idempotent), moves the counters,
	// removes any pending request, and copies target's recent visible
	// statuses into a local follower's home feed.
	Follow(ctx context.Context, f *model.Follow, events []model.OutboxEvent) error
	// RequestFollow records a pending request to a locked account (idempotent).
	RequestFollow(ctx context.Context, f *model.Follow, events []model.OutboxEvent) error
	// Unfollow removes a follow or a pending request, moves the counters and
	// drops target's statuses from a local follower's home feed.
	Unfollow(ctx context.Context, followerID, targetID int64, events []model.OutboxEvent) (removed bool, err error)
	// AuthorizeFollowRequest turns a pending request into a follow.
	AuthorizeFollowRequest(ctx context.Context, followerID, targetID int64, events []model.OutboxEvent) (*model.Follow, error)
	RejectFollowRequest(ctx context.Context, followerID, targetID int64, events []model.OutboxEvent) (*model.Follow, error)
	FollowBetween(ctx context.Context, followerID, targetID int64) (*model.Follow, error)
	FollowRequestBetween(ctx context.Context, followerID, targetID int64) (*model.Follow, error)
	FollowByURI(ctx context.Context, uri string) (*model.Follow, error)
	// Block removes follows both ways, then records the block.
	Block(ctx context.Context, accountID, targetID int64, uri string, events []model.OutboxEvent) error
	Unblock(ctx context.Context, accountID, targetID int64, events []model.OutboxEvent) error
	Mute(ctx context.Context, accountID, targetID int64, notifications bool, expiresAt *int64) error
	Unmute(ctx context.Context, accountID, targetID int64) error
	Relationships(ctx context.Context, accountID int64, targetIDs []int64) ([]model.Relationship, error)
	SetAccountNote(ctx context.Context, accountID, targetID int64, comment string) error
	// FollowerInboxes lists the distinct delivery inboxes (shared inbox when
	// known) of target's remote followers.
	FollowerInboxes(ctx context.Context, targetID int64) ([]string, error)
	// IsBlockedEitherWay reports a block from a to b or from b to a.
	IsBlockedEitherWay(ctx context.Context, a, b int64) (bool, error)
	CountFollowRequests(ctx context.Context, targetID int64) (int64, error)
}
