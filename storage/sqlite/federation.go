package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// The federation engine's bookkeeping: seen_activities and remote_domains
// (see storage.Federation and migrations 0001, 0004); its queues are jobs
// (jobs.go).

var _ storage.Federation = (*Store)(nil)

func (s *Store) CountDeliveries(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM jobs WHERE kind = ?", storage.JobDeliver).Scan(&n)
	return n, wrap("count deliveries", err)
}

func (s *Store) NextDeliveryDue(ctx context.Context) (time.Time, bool, error) {
	var v sql.NullInt64
	err := s.r.QueryRowContext(ctx, "SELECT min(run_at) FROM jobs WHERE kind = ?", storage.JobDeliver).Scan(&v)
	if err != nil || !v.Valid {
		return time.Time{}, false, wrap("next delivery due", err)
	}
	return fromMs(v.Int64), true, nil
}

func (s *Store) CountInbox(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM jobs WHERE kind = ?", storage.JobInbox).Scan(&n)
	return n, wrap("count inbox", err)
}

func (s *Store) EnqueueInbox(ctx context.Context, it storage.InboxItem, signerDomain string) (bool, error) {
	queued := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "INSERT INTO seen_activities (uri, received_at) VALUES (?, ?) ON CONFLICT(uri) DO NOTHING",
			it.ActivityID, ms(time.Now()))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if err := insertJobs(ctx, tx, []storage.Job{it.Job()}); err != nil {
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

func (s *Store) ForgetSeenActivities(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, "DELETE FROM seen_activities WHERE received_at < ?", ms(before))
	if err != nil {
		return 0, wrap("forget seen activities", err)
	}
	v, err := res.RowsAffected()
	return v, wrap("forget seen activities", err)
}

func (s *Store) DomainFailed(ctx context.Context, domain, day string, threshold int) (bool, error) {
	domain = strings.ToLower(domain)
	unavailable := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.serialize(ctx, tx, "remote_domains:"+domain); err != nil {
			return err
		}
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

// SetMovedTo records an account's move, with its jobs.
func (s *Store) SetMovedTo(ctx context.Context, accountID, targetID int64, jobs ...storage.Job) error {
	return wrap("set moved to", s.tx(ctx, func(tx *sql.Tx) error {
		if err := notFoundIfNone(tx.ExecContext(ctx, "UPDATE accounts SET moved_to_id = ?, updated_at = ? WHERE id = ?", nullID(targetID), ms(time.Now()), accountID)); err != nil {
			return err
		}
		return insertJobs(ctx, tx, jobs)
	}))
}

func fedTruncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// MoveAccount records a local account's move and queues its events and
// jobs.
func (s *Store) MoveAccount(ctx context.Context, accountID, targetID int64, events []model.OutboxEvent, jobs ...storage.Job) error {
	return wrap("move account", s.tx(ctx, func(tx *sql.Tx) error {
		if err := notFoundIfNone(tx.ExecContext(ctx, "UPDATE accounts SET moved_to_id = ?, updated_at = ? WHERE id = ?", nullID(targetID), ms(time.Now()), accountID)); err != nil {
			return err
		}
		if err := insertEvents(ctx, tx, events); err != nil {
			return err
		}
		return insertJobs(ctx, tx, jobs)
	}))
}

// AccountAliases lists an account's aliases, oldest first.
func (s *Store) AccountAliases(ctx context.Context, accountID int64) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT uri FROM account_aliases WHERE account_id = ? ORDER BY created_at, uri LIMIT ?", accountID, storage.MaxAliases)
	if err != nil {
		return nil, wrap("account aliases", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, wrap("account aliases", err)
		}
		out = append(out, u)
	}
	return out, wrap("account aliases", rows.Err())
}

// SetAccountAlias adds or removes an alias, with its events when it
// changed something.
func (s *Store) SetAccountAlias(ctx context.Context, accountID int64, uri string, add bool, events []model.OutboxEvent) (bool, error) {
	var changed bool
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if add {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM account_aliases WHERE account_id = ?", accountID).Scan(&n); err != nil {
				return err
			}
			res, err = tx.ExecContext(ctx, "INSERT INTO account_aliases (account_id, uri, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", accountID, uri, ms(time.Now()))
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k > 0 && n >= storage.MaxAliases {
				return storage.ErrAliasLimit
			}
		} else {
			res, err = tx.ExecContext(ctx, "DELETE FROM account_aliases WHERE account_id = ? AND uri = ?", accountID, uri)
			if err != nil {
				return err
			}
		}
		k, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if changed = k > 0; !changed {
			return nil
		}
		return insertEvents(ctx, tx, events)
	})
	return changed, wrap("set account alias", err)
}
