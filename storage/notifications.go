package storage

import (
	"context"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// NotificationFilter holds the filters of GET /api/v1/notifications.
type NotificationFilter struct {
	Types        []string // only these types (empty: all)
	ExcludeTypes []string
	FromAccount  int64 // only from this account (0: any)
	// Screen applies a notification policy (nil: every notification).
	Screen *NotificationScreen
}

// SenderTests name cases of a notification policy; a notification meets
// them when it meets any that is set.
type SenderTests struct {
	NotFollowing   bool // the recipient does not follow the sender
	NotFollowers   bool // the sender does not follow the recipient
	NewAccount     bool // the sender was created after NotificationScreen.NewSince
	PrivateMention bool // a mention in a private or direct status from one the recipient does not follow
	Limited        bool // the sender is silenced
}

// NotificationScreen is what a notification policy makes of an account's
// notifications of the screened types, from others than the recipient and
// from senders the recipient has not accepted: those meeting Drop are
// hidden, those meeting Filter (and not Drop) are filtered.
type NotificationScreen struct {
	Filter, Drop SenderTests
	NewSince     time.Time
	Types        []string // the types the policy applies to
	// Filtered selects the filtered notifications instead of the others.
	Filtered bool
	// HideDirect leaves out the notifications about direct statuses (the
	// reader acts for the account without the right to read them).
	HideDirect bool
}

// NotificationRequest is the filtered notifications of one sender.
type NotificationRequest struct {
	FromAccountID  int64
	Count          int64
	FirstAt        time.Time
	LastAt         time.Time
	LastStatusID   int64 // status of the newest filtered notification that has one
	LastNotifiedID int64
}

// Notifications stores what local accounts are told about. Most are
// written by the other stores in the transaction of their cause
// (CreateStatus, Favourite, Follow...); CreateNotification is for the rest.
type Notifications interface {
	// CreateNotification stores a notification; a duplicate (same account,
	// sender, type and status) is ignored and reported with created = false.
	CreateNotification(ctx context.Context, n *model.Notification) (created bool, err error)
	Notifications(ctx context.Context, accountID int64, f NotificationFilter, p model.Page) ([]*model.Notification, error)
	// NotificationByID returns one of the account's notifications.
	NotificationByID(ctx context.Context, accountID, id int64) (*model.Notification, error)
	DismissNotification(ctx context.Context, accountID, id int64) error
	ClearNotifications(ctx context.Context, accountID int64) error
	// CountNotificationsAfter counts the account's notifications newer than
	// afterID, up to limit.
	CountNotificationsAfter(ctx context.Context, accountID, afterID int64, limit int, screen *NotificationScreen) (int64, error)
	// NotificationRequests lists the senders of the account's filtered
	// notifications (screen.Filtered is implied), paged by sender id; from,
	// when not 0, selects one sender.
	NotificationRequests(ctx context.Context, accountID int64, screen NotificationScreen, from int64, p model.Page) ([]NotificationRequest, error)
	// CountNotificationRequests counts the senders and notifications filtered.
	CountNotificationRequests(ctx context.Context, accountID int64, screen NotificationScreen) (requests, notifications int64, err error)
	// AcceptNotificationSenders lets these senders' notifications through.
	AcceptNotificationSenders(ctx context.Context, accountID int64, senderIDs []int64) error
	// DismissNotificationRequests deletes these senders' filtered notifications.
	DismissNotificationRequests(ctx context.Context, accountID int64, screen NotificationScreen, senderIDs []int64) error
	// NotificationsReadMarker is the last_read_id of the account's
	// "notifications" marker (0 when none).
	NotificationsReadMarker(ctx context.Context, accountID int64) (int64, error)
}
