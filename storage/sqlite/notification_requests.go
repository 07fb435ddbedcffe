package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Notification policies in SQL: conditions on a notification n (its
// recipient n.account_id, its sender n.from_account_id), so that listing,
// counting and paging all see the same notifications.

const (
	notFollowingSQL = "NOT EXISTS (SELECT 1 FROM follows pf WHERE pf.account_id = n.account_id AND pf.target_id = n.from_account_id)"
	notFollowersSQL = "NOT EXISTS (SELECT 1 FROM follows pf WHERE pf.account_id = n.from_account_id AND pf.target_id = n.account_id)"
	newAccountSQL   = "EXISTS (SELECT 1 FROM accounts pa WHERE pa.id = n.from_account_id AND pa.created_at > ?)"
	limitedSQL      = "EXISTS (SELECT 1 FROM accounts pa WHERE pa.id = n.from_account_id AND pa.silenced_at IS NOT NULL)"
	privateMention  = "(n.type = ? AND EXISTS (SELECT 1 FROM statuses ps WHERE ps.id = n.status_id AND ps.visibility IN (?, ?)) AND " + notFollowingSQL + ")"
	acceptedSQL     = "EXISTS (SELECT 1 FROM notification_permissions np WHERE np.account_id = n.account_id AND np.from_account_id = n.from_account_id)"
)

// senderTestsSQL is the condition met when any set test is met ("0": none set).
func senderTestsSQL(t storage.SenderTests, sc *storage.NotificationScreen) (string, []any) {
	var parts []string
	var args []any
	if t.NotFollowing {
		parts = append(parts, notFollowingSQL)
	}
	if t.NotFollowers {
		parts = append(parts, notFollowersSQL)
	}
	if t.NewAccount {
		parts = append(parts, newAccountSQL)
		args = append(args, ms(sc.NewSince))
	}
	if t.PrivateMention {
		parts = append(parts, privateMention)
		args = append(args, model.NotifyMention, int(model.Private), int(model.Direct))
	}
	if t.Limited {
		parts = append(parts, limitedSQL)
	}
	if len(parts) == 0 {
		return "(1 = 0)", nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// screenClause is " AND ..." selecting what sc lets through (sc.Filtered:
// the filtered notifications); "" when sc is nil.
func screenClause(sc *storage.NotificationScreen) (string, []any) {
	if sc == nil {
		return "", nil
	}
	cond, args := policyClause(sc)
	if sc.HideDirect {
		cond += " AND NOT " + directStatusSQL
		args = append(args, int(model.Direct))
	}
	return cond, args
}

// directStatusSQL: the notification is about a direct status.
const directStatusSQL = "EXISTS (SELECT 1 FROM statuses ds WHERE ds.id = n.status_id AND ds.visibility = ?)"

// policyClause is screenClause's part for the notification policy.
func policyClause(sc *storage.NotificationScreen) (string, []any) {
	if len(sc.Types) == 0 {
		if sc.Filtered {
			return " AND 1 = 0", nil
		}
		return "", nil
	}
	screened := "n.from_account_id <> n.account_id AND n.type IN (" + placeholders(len(sc.Types)) + ") AND NOT " + acceptedSQL
	var args []any
	for _, t := range sc.Types {
		args = append(args, t)
	}
	filter, fargs := senderTestsSQL(sc.Filter, sc)
	drop, dargs := senderTestsSQL(sc.Drop, sc)
	if sc.Filtered {
		args = append(append(args, fargs...), dargs...)
		return " AND (" + screened + " AND " + filter + " AND NOT " + drop + ")", args
	}
	args = append(append(args, dargs...), fargs...)
	return " AND NOT (" + screened + " AND (" + drop + " OR " + filter + "))", args
}

// NotificationRequests lists the senders of filtered notifications.
func (s *Store) NotificationRequests(ctx context.Context, accountID int64, sc storage.NotificationScreen, from int64, p model.Page) ([]storage.NotificationRequest, error) {
	sc.Filtered = true
	cond, args := screenClause(&sc)
	q := "n.account_id = ?" + cond
	all := append([]any{accountID}, args...)
	if from != 0 {
		q += " AND n.from_account_id = ?"
		all = append(all, from)
	}
	where, pargs, tail, rev := pageClause("n.from_account_id", p)
	out, err := queryAll(ctx, s.r, `SELECT g.fid, g.c, g.first, g.last, g.maxid, (SELECT status_id FROM notifications WHERE id = g.ls)
		FROM (SELECT n.from_account_id AS fid, count(*) AS c, min(n.created_at) AS first, max(n.created_at) AS last, max(n.id) AS maxid,
			max(CASE WHEN n.status_id IS NOT NULL THEN n.id END) AS ls
			FROM notifications n WHERE `+q+where+" GROUP BY n.from_account_id"+tail+") g", append(all, pargs...),
		func(row scanner) (storage.NotificationRequest, error) {
			var r storage.NotificationRequest
			var first, last int64
			var st sql.NullInt64
			err := row.Scan(&r.FromAccountID, &r.Count, &first, &last, &r.LastNotifiedID, &st)
			r.FirstAt, r.LastAt, r.LastStatusID = fromMs(first), fromMs(last), st.Int64
			return r, err
		})
	if rev {
		slices.Reverse(out)
	}
	return out, wrap("notification requests", err)
}

// CountNotificationRequests counts the filtered senders and notifications.
func (s *Store) CountNotificationRequests(ctx context.Context, accountID int64, sc storage.NotificationScreen) (int64, int64, error) {
	sc.Filtered = true
	cond, args := screenClause(&sc)
	var reqs, ns int64
	err := s.r.QueryRowContext(ctx, "SELECT count(DISTINCT n.from_account_id), count(*) FROM notifications n WHERE n.account_id = ?"+cond,
		append([]any{accountID}, args...)...).Scan(&reqs, &ns)
	return reqs, ns, wrap("count notification requests", err)
}

// AcceptNotificationSenders records the senders as accepted.
func (s *Store) AcceptNotificationSenders(ctx context.Context, accountID int64, senderIDs []int64) error {
	return wrap("accept notification senders", s.tx(ctx, func(tx *sql.Tx) error {
		now := ms(time.Now())
		for _, id := range senderIDs {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO notification_permissions (account_id, from_account_id, created_at)
				SELECT ?, id, ? FROM accounts WHERE id = ?`, accountID, now, id); err != nil {
				return err
			}
		}
		return nil
	}))
}

// DismissNotificationRequests deletes the senders' filtered notifications.
func (s *Store) DismissNotificationRequests(ctx context.Context, accountID int64, sc storage.NotificationScreen, senderIDs []int64) error {
	if len(senderIDs) == 0 {
		return nil
	}
	sc.Filtered = true
	cond, args := screenClause(&sc)
	all := append([]any{accountID}, args...)
	for _, id := range senderIDs {
		all = append(all, id)
	}
	_, err := s.w.ExecContext(ctx, "DELETE FROM notifications AS n WHERE n.account_id = ?"+cond+
		" AND n.from_account_id IN ("+placeholders(len(senderIDs))+")", all...)
	return wrap("dismiss notification requests", err)
}
