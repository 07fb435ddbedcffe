package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/storage"
)

// The federation engine's queues: deliveries, inbox_queue, seen_activities
// and remote_domains (see storage.Federation and migrations 0001, 0004).

var _ storage.Federation = (*Store)(nil)

// CompleteEvent inserts the event's deliveries and deletes it, atomically.
func (s *Store) CompleteEvent(ctx context.Context, eventID int64, deliveries []storage.Delivery) error {
	return wrap("complete event", s.tx(ctx, func(tx *sql.Tx) error {
		if len(deliveries) > 0 {
			stmt, err := tx.PrepareContext(ctx, `INSERT INTO deliveries (id, inbox_url, host, signer_id, activity, kind,
				attempts, next_attempt_at, last_error, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			now := time.Now()
			for i := range deliveries {
				d := &deliveries[i]
				d.ID = id.New()
				if d.CreatedAt.IsZero() {
					d.CreatedAt = now
				}
				if d.NextAttemptAt.IsZero() {
					d.NextAttemptAt = now
				}
				if _, err := stmt.ExecContext(ctx, d.ID, d.InboxURL, strings.ToLower(d.Host), d.SignerID, d.Activity, d.Kind,
					d.Attempts, ms(d.NextAttemptAt), d.LastError, ms(d.CreatedAt)); err != nil {
					return err
				}
			}
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM outbox_events WHERE id = ?", eventID)
		return err
	}))
}

const deliveryColumns = "id, inbox_url, host, signer_id, activity, kind, attempts, next_attempt_at, last_error, created_at"

func scanDelivery(row scanner) (storage.Delivery, error) {
	var d storage.Delivery
	var next, created int64
	err := row.Scan(&d.ID, &d.InboxURL, &d.Host, &d.SignerID, &d.Activity, &d.Kind, &d.Attempts, &next, &d.LastError, &created)
	d.NextAttemptAt, d.CreatedAt = fromMs(next), fromMs(created)
	return d, err
}

// ClaimDueDeliveries claims due deliveries, skipping busy hosts.
func (s *Store) ClaimDueDeliveries(ctx context.Context, now time.Time, excludeHosts []string, limit int) ([]storage.Delivery, error) {
	q := "SELECT " + deliveryColumns + " FROM deliveries WHERE claimed_at IS NULL AND next_attempt_at <= ?"
	args := []any{ms(now)}
	if len(excludeHosts) > 0 {
		q += " AND host NOT IN (" + placeholders(len(excludeHosts)) + ")"
		for _, h := range excludeHosts {
			args = append(args, strings.ToLower(h))
		}
	}
	q += " ORDER BY next_attempt_at, id LIMIT ?"
	args = append(args, limit)
	v, err := claimRows(ctx, s, q, args, scanDelivery, func(d storage.Delivery) int64 { return d.ID },
		"UPDATE deliveries SET claimed_at = ?", ms(now))
	return v, wrap("claim due deliveries", err)
}

// NextDeliveryDue is when the next unclaimed delivery is due.
func (s *Store) NextDeliveryDue(ctx context.Context) (time.Time, bool, error) {
	v, v2, err := s.nextDue(ctx, "SELECT min(next_attempt_at) FROM deliveries WHERE claimed_at IS NULL")
	return v, v2, wrap("next delivery due", err)
}

func (s *Store) nextDue(ctx context.Context, q string) (time.Time, bool, error) {
	var v sql.NullInt64
	if err := s.w.QueryRowContext(ctx, q).Scan(&v); err != nil {
		return time.Time{}, false, err
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMs(v.Int64), true, nil
}

// DeliveryDone deletes a delivery.
func (s *Store) DeliveryDone(ctx context.Context, deliveryID int64) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM deliveries WHERE id = ?", deliveryID)
	return wrap("delivery done", err)
}

// RetryDelivery releases a delivery for a later attempt.
func (s *Store) RetryDelivery(ctx context.Context, deliveryID int64, attempts int, next time.Time, lastErr string) error {
	_, err := s.w.ExecContext(ctx, "UPDATE deliveries SET claimed_at = NULL, attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
		attempts, ms(next), fedTruncate(lastErr, 500), deliveryID)
	return wrap("retry delivery", err)
}

// DropDeliveriesToHost deletes the unclaimed deliveries to a host.
func (s *Store) DropDeliveriesToHost(ctx context.Context, host string) (int64, error) {
	res, err := s.w.ExecContext(ctx, "DELETE FROM deliveries WHERE host = ? AND claimed_at IS NULL", strings.ToLower(host))
	if err != nil {
		return 0, wrap("drop deliveries to host", err)
	}
	v, err := res.RowsAffected()
	return v, wrap("drop deliveries to host", err)
}

// CountDeliveries counts queued deliveries.
func (s *Store) CountDeliveries(ctx context.Context) (int64, error) {
	var n int64
	err := s.w.QueryRowContext(ctx, "SELECT count(*) FROM deliveries").Scan(&n)
	return n, wrap("count deliveries", err)
}

// CountInbox counts the inbox activities not yet processed (queued or
// waiting for a retry); a processed activity leaves the queue.
func (s *Store) CountInbox(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM inbox_queue").Scan(&n)
	return n, wrap("count inbox", err)
}

// EnqueueInbox dedupes by activity id and queues the activity.
func (s *Store) EnqueueInbox(ctx context.Context, it *storage.InboxItem, signerDomain string) (bool, error) {
	queued := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now := time.Now()
		if it.ReceivedAt.IsZero() {
			it.ReceivedAt = now
		}
		if it.NextAttemptAt.IsZero() {
			it.NextAttemptAt = it.ReceivedAt
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO seen_activities (uri, received_at) VALUES (?, ?) ON CONFLICT(uri) DO NOTHING",
			it.ActivityID, ms(it.ReceivedAt))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		it.ID = id.New()
		if _, err := tx.ExecContext(ctx, `INSERT INTO inbox_queue (id, activity_id, signer_uri, payload, attempts, received_at,
			next_attempt_at) VALUES (?,?,?,?,?,?,?)`, it.ID, it.ActivityID, it.SignerURI, it.Payload, it.Attempts,
			ms(it.ReceivedAt), ms(it.NextAttemptAt)); err != nil {
			return err
		}
		if signerDomain != "" {
			if _, err := tx.ExecContext(ctx, "DELETE FROM remote_domains WHERE domain = ?", strings.ToLower(signerDomain)); err != nil {
				return err
			}
		}
		queued = true
		return nil
	})
	return queued, wrap("enqueue inbox", err)
}

func scanInboxItem(row scanner) (storage.InboxItem, error) {
	var it storage.InboxItem
	var next, recv int64
	err := row.Scan(&it.ID, &it.ActivityID, &it.SignerURI, &it.Payload, &it.Attempts, &next, &it.LastError, &recv)
	it.NextAttemptAt, it.ReceivedAt = fromMs(next), fromMs(recv)
	return it, err
}

// ClaimInbox claims due inbox items, oldest first.
func (s *Store) ClaimInbox(ctx context.Context, now time.Time, limit int) ([]storage.InboxItem, error) {
	v, err := claimRows(ctx, s, `SELECT id, activity_id, signer_uri, payload, attempts, next_attempt_at, last_error,
		received_at FROM inbox_queue WHERE claimed_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
		[]any{ms(now), limit}, scanInboxItem, func(it storage.InboxItem) int64 { return it.ID },
		"UPDATE inbox_queue SET claimed_at = ?", ms(now))
	return v, wrap("claim inbox", err)
}

// NextInboxDue is when the next unclaimed inbox item is due.
func (s *Store) NextInboxDue(ctx context.Context) (time.Time, bool, error) {
	v, v2, err := s.nextDue(ctx, "SELECT min(next_attempt_at) FROM inbox_queue WHERE claimed_at IS NULL")
	return v, v2, wrap("next inbox due", err)
}

// InboxDone deletes a processed inbox item.
func (s *Store) InboxDone(ctx context.Context, itemID int64) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM inbox_queue WHERE id = ?", itemID)
	return wrap("inbox done", err)
}

// RetryInbox releases an inbox item for a later attempt.
func (s *Store) RetryInbox(ctx context.Context, itemID int64, attempts int, next time.Time, lastErr string) error {
	_, err := s.w.ExecContext(ctx, "UPDATE inbox_queue SET claimed_at = NULL, attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
		attempts, ms(next), fedTruncate(lastErr, 500), itemID)
	return wrap("retry inbox", err)
}

// ForgetSeenActivities prunes old dedupe records.
func (s *Store) ForgetSeenActivities(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, "DELETE FROM seen_activities WHERE received_at < ?", ms(before))
	if err != nil {
		return 0, wrap("forget seen activities", err)
	}
	v, err := res.RowsAffected()
	return v, wrap("forget seen activities", err)
}

// ReleaseClaims unclaims everything (no worker runs yet).
func (s *Store) ReleaseClaims(ctx context.Context) error {
	return wrap("release claims", s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE deliveries SET claimed_at = NULL WHERE claimed_at IS NOT NULL"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE inbox_queue SET claimed_at = NULL WHERE claimed_at IS NOT NULL")
		return err
	}))
}

// DomainFailed records a failure day and reports whether the domain is
// now unavailable.
func (s *Store) DomainFailed(ctx context.Context, domain, day string, threshold int) (bool, error) {
	domain = strings.ToLower(domain)
	unavailable := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var list string
		var since sql.NullInt64
		err := tx.QueryRowContext(ctx, "SELECT failure_day_list, unavailable_since FROM remote_domains WHERE domain = ?", domain).
			Scan(&list, &since)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var days []string
		if list != "" {
			days = strings.Split(list, ",")
		}
		if !slices.Contains(days, day) {
			days = append(days, day)
		}
		if len(days) > 64 { // only the count matters past the threshold
			days = days[len(days)-64:]
		}
		var sinceV any
		if since.Valid {
			sinceV = since.Int64
		} else if len(days) >= threshold {
			sinceV = ms(time.Now())
		}
		unavailable = sinceV != nil
		_, err = tx.ExecContext(ctx, `INSERT INTO remote_domains (domain, failure_days, last_failure_day, unavailable_since,
			failure_day_list) VALUES (?,?,?,?,?) ON CONFLICT(domain) DO UPDATE SET failure_days = excluded.failure_days,
			last_failure_day = excluded.last_failure_day, unavailable_since = excluded.unavailable_since,
			failure_day_list = excluded.failure_day_list`, domain, len(days), day, sinceV, strings.Join(days, ","))
		return err
	})
	return unavailable, wrap("domain failed", err)
}

// DomainAlive clears a domain's failure record.
func (s *Store) DomainAlive(ctx context.Context, domain string) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM remote_domains WHERE domain = ?", strings.ToLower(domain))
	return wrap("domain alive", err)
}

// UnavailableDomains lists the domains marked unavailable.
func (s *Store) UnavailableDomains(ctx context.Context) ([]string, error) {
	v, err := queryColumn[string](ctx, s.r, "SELECT domain FROM remote_domains WHERE unavailable_since IS NOT NULL ORDER BY domain")
	return v, wrap("unavailable domains", err)
}

// CountActiveLocalUsers counts local users active since a time.
func (s *Store) CountActiveLocalUsers(ctx context.Context, since time.Time) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM users u JOIN accounts a ON a.id = u.account_id
		WHERE u.last_sign_in_at >= ? OR a.last_status_at >= ?`, ms(since), ms(since)).Scan(&n)
	return n, wrap("count active local users", err)
}

// CountLocalFollowers counts the local accounts following accountID.
func (s *Store) CountLocalFollowers(ctx context.Context, accountID int64) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM follows f JOIN accounts a ON a.id = f.account_id
		WHERE f.target_id = ? AND a.domain = ''`, accountID).Scan(&n)
	return n, wrap("count local followers", err)
}

// MarkInboxGone marks the remote accounts of a personal inbox as gone.
func (s *Store) MarkInboxGone(ctx context.Context, inboxURL string) (int64, error) {
	res, err := s.w.ExecContext(ctx, "UPDATE accounts SET gone_at = ? WHERE domain <> '' AND inbox_url = ? AND gone_at IS NULL",
		ms(time.Now()), inboxURL)
	if err != nil {
		return 0, wrap("mark inbox gone", err)
	}
	v, err := res.RowsAffected()
	return v, wrap("mark inbox gone", err)
}

// SetMovedTo records an account's move.
func (s *Store) SetMovedTo(ctx context.Context, accountID, targetID int64) error {
	return wrap("set moved to", notFoundIfNone(s.w.ExecContext(ctx, "UPDATE accounts SET moved_to_id = ?, updated_at = ? WHERE id = ?", nullID(targetID), ms(time.Now()), accountID)))
}

func fedTruncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
