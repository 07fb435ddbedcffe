package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

const notificationColumns = "n.id, n.account_id, n.from_account_id, n.type, n.status_id, n.created_at, n.report_id, n.warning_id"

func scanNotification(row scanner) (*model.Notification, error) {
	var n model.Notification
	var status, report, warning sql.NullInt64
	var created int64
	err := row.Scan(&n.ID, &n.AccountID, &n.FromAccountID, &n.Type, &status, &created, &report, &warning)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	n.StatusID, n.CreatedAt, n.ReportID, n.WarningID = status.Int64, fromMs(created), report.Int64, warning.Int64
	return &n, nil
}

// CreateNotification stores a notification unless the recipient blocks or
// mutes the sender, or the same one exists.
func (s *Store) CreateNotification(ctx context.Context, n *model.Notification) (bool, error) {
	var created bool
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		created, err = insertNotification(ctx, tx, n.AccountID, n.FromAccountID, n.Type, n.StatusID)
		return err
	})
	return created, wrap("create notification", err)
}

// Notifications reads a page of an account's notifications.
func (s *Store) Notifications(ctx context.Context, accountID int64, f storage.NotificationFilter, p model.Page) ([]*model.Notification, error) {
	q := notificationsQuery(accountID, f, p)
	out, err := queryAll(ctx, s.r, q.sql, q.args, scanNotification)
	if err != nil {
		return nil, wrap("notifications", err)
	}
	if q.reverse {
		slices.Reverse(out)
	}
	return out, nil
}

// notificationsQuery is a page of an account's notifications (index
// notifications_account).
func notificationsQuery(accountID int64, f storage.NotificationFilter, p model.Page) pageQuery {
	where, args, tail, rev := pageClause("n.id", p)
	q := "SELECT " + notificationColumns + " FROM notifications n WHERE n.account_id = ?"
	all := []any{accountID}
	if len(f.Types) > 0 {
		q += " AND n.type IN (" + placeholders(len(f.Types)) + ")"
		for _, t := range f.Types {
			all = append(all, t)
		}
	}
	if len(f.ExcludeTypes) > 0 {
		q += " AND n.type NOT IN (" + placeholders(len(f.ExcludeTypes)) + ")"
		for _, t := range f.ExcludeTypes {
			all = append(all, t)
		}
	}
	if f.FromAccount != 0 {
		q += " AND n.from_account_id = ?"
		all = append(all, f.FromAccount)
	}
	cond, cargs := screenClause(f.Screen)
	q += cond
	all = append(all, cargs...)
	return pageQuery{q + where + tail, append(all, args...), rev}
}

// NotificationByID returns one of the account's notifications.
func (s *Store) NotificationByID(ctx context.Context, accountID, notificationID int64) (*model.Notification, error) {
	v, err := scanNotification(s.r.QueryRowContext(ctx, "SELECT "+notificationColumns+" FROM notifications n WHERE n.id = ? AND n.account_id = ?",
		notificationID, accountID))
	return v, wrap("notification by id", err)
}

// DismissNotification deletes one of the account's notifications.
func (s *Store) DismissNotification(ctx context.Context, accountID, notificationID int64) error {
	return wrap("dismiss notification", notFoundIfNone(s.w.ExecContext(ctx, "DELETE FROM notifications WHERE id = ? AND account_id = ?", notificationID, accountID)))
}

// ClearNotifications deletes all of an account's notifications.
func (s *Store) ClearNotifications(ctx context.Context, accountID int64) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM notifications WHERE account_id = ?", accountID)
	return wrap("clear notifications", err)
}

// CountNotificationsAfter counts notifications newer than afterID, up to limit.
func (s *Store) CountNotificationsAfter(ctx context.Context, accountID, afterID int64, limit int, screen *storage.NotificationScreen) (int64, error) {
	var n int64
	cond, args := screenClause(screen)
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 FROM notifications n WHERE n.account_id = ? AND n.id > ?"+cond+" LIMIT ?) AS unread",
		append(append([]any{accountID, afterID}, args...), limit)...).Scan(&n)
	return n, wrap("count notifications after", err)
}

// NotificationsReadMarker reads the account's "notifications" marker.
func (s *Store) NotificationsReadMarker(ctx context.Context, accountID int64) (int64, error) {
	var v string
	err := s.r.QueryRowContext(ctx, "SELECT last_read_id FROM markers WHERE account_id = ? AND timeline = 'notifications'", accountID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, wrap("notifications read marker", err)
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return n, nil
}
