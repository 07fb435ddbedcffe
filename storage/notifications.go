package storage

import (
	"context"

	"github.com/herald-social/herald/internal/model"
)

// NotificationFilter holds the filters of GET /api/v1/notifications.
type NotificationFilter struct {
	Types        []string // only these types (empty: all)
	ExcludeTypes []string
	FromAccount  int64 // only from this account (0: any)
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
	CountNotificationsAfter(ctx context.Context, accountID, afterID int64, limit int) (int64, error)
	// NotificationsReadMarker is the last_read_id of the account's
	// "notifications" marker (0 when none).
	NotificationsReadMarker(ctx context.Context, accountID int64) (int64, error)
}
