package storage

import (
	"context"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// Realtime stores what the streaming API, Web Push, conversations and
// notification policies need.
type Realtime interface {
	// Streaming audiences.

	// HomeFeedAccounts lists the local accounts whose home feed holds a status.
	HomeFeedAccounts(ctx context.Context, statusID int64) ([]int64, error)
	// StreamExclusions lists the local accounts that block, are blocked by,
	// or mute (unexpired) any of authorIDs.
	StreamExclusions(ctx context.Context, authorIDs []int64) (map[int64]bool, error)
	// FollowersAmong returns those of accountIDs that follow targetID.
	FollowersAmong(ctx context.Context, targetID int64, accountIDs []int64) (map[int64]bool, error)
	// ListsWithMember lists the lists that hold memberID.
	ListsWithMember(ctx context.Context, memberID int64) ([]ListRef, error)
	// StatusInteractors lists the accounts that favourited, boosted,
	// bookmarked or pinned any of statusIDs.
	StatusInteractors(ctx context.Context, statusIDs []int64) (map[int64]bool, error)
	// NotificationsSince reads every account's notifications with an id
	// above afterID, oldest first.
	NotificationsSince(ctx context.Context, afterID int64, limit int) ([]*model.Notification, error)

	// Web Push.

	// SavePushSubscription creates the token's subscription, replacing any
	// it had (sets ID and CreatedAt).
	SavePushSubscription(ctx context.Context, p *PushSubscription) error
	PushSubscriptionByToken(ctx context.Context, tokenID int64) (*PushSubscription, error)
	// UpdatePushSubscription stores alerts and policy.
	UpdatePushSubscription(ctx context.Context, p *PushSubscription) error
	DeletePushSubscription(ctx context.Context, tokenID int64) error
	DeletePushSubscriptionByID(ctx context.Context, id int64) error
	// PushJob loads one queued push (a "push" job, queued by the
	// notifications_push trigger): ErrNotFound when the subscription or
	// the notification was removed since.
	PushJob(ctx context.Context, subscriptionID, notificationID int64) (*PushJob, error)

	// Conversations.

	// RecordConversation files a direct status in the conversations of
	// its local participants (author and mentioned), marking it unread for
	// all but the author; it returns the conversations touched by account.
	RecordConversation(ctx context.Context, st *model.Status) (map[int64]int64, error)
	// Conversations pages an account's conversations by last status id,
	// newest first.
	Conversations(ctx context.Context, accountID int64, p model.Page) ([]Conversation, error)
	ConversationByID(ctx context.Context, accountID, id int64) (*Conversation, error)
	DeleteConversation(ctx context.Context, accountID, id int64) error
	MarkConversationRead(ctx context.Context, accountID, id int64) error
	MarkConversationUnread(ctx context.Context, accountID, id int64) error

	// Notification policies and groups.

	// NotificationPolicy returns the account's policy (the default one
	// when it has none).
	NotificationPolicy(ctx context.Context, accountID int64) (*NotificationPolicy, error)
	SetNotificationPolicy(ctx context.Context, p *NotificationPolicy) error
	// NotificationGroup pages through the notifications of one group:
	// type and status (0 for follows) within [from, to).
	NotificationGroup(ctx context.Context, accountID int64, g NotificationGroupKey, limit int, screen *NotificationScreen) ([]*model.Notification, error)
	CountNotificationGroup(ctx context.Context, accountID int64, g NotificationGroupKey, screen *NotificationScreen) (int64, error)
	DismissNotificationGroup(ctx context.Context, accountID int64, g NotificationGroupKey) (int64, error)
}

// ListRef is a list and its owner.
type ListRef struct {
	ID, OwnerID int64
}

// PushSubscription is a Web Push subscription of one access token.
type PushSubscription struct {
	ID        int64
	TokenID   int64
	AccountID int64
	Endpoint  string
	P256dh    string // base64url, the user agent's public key
	Auth      string // base64url, the 16-byte auth secret
	Alerts    []string
	Policy    string // all, followed, follower, none
	Standard  bool
	CreatedAt time.Time
}

// PushJob is one queued push, with what sending it needs.
type PushJob struct {
	Subscription PushSubscription
	Notification model.Notification
}

// Conversation is a local account's direct-message thread.
type Conversation struct {
	ID           int64
	AccountID    int64
	RootID       int64
	LastStatusID int64
	Unread       bool
	UpdatedAt    time.Time
}

// NotificationPolicy is what an account does with notifications from
// strangers: "accept", "filter" or "drop" for each case.
type NotificationPolicy struct {
	AccountID          int64
	ForNotFollowing    string
	ForNotFollowers    string
	ForNewAccounts     string
	ForPrivateMentions string
	ForLimitedAccounts string
}

// NotificationGroupKey selects the notifications of one group: one type,
// one status (0: none), created in [From, To).
type NotificationGroupKey struct {
	Type     string
	StatusID int64
	From, To time.Time
	// ID, when not 0, selects that one notification instead.
	ID int64
}
