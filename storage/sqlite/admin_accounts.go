package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

func likeEscape(s string) string { return likeEscaper.Replace(s) }

// AdminAccounts lists accounts for moderators, newest first.
func (s *Store) AdminAccounts(ctx context.Context, f storage.AdminAccountFilter, p model.Page) ([]*storage.AdminAccount, error) {
	q := "SELECT " + accountColumns + ` FROM accounts a LEFT JOIN users u ON u.account_id = a.id
		LEFT JOIN registrations r ON r.user_id = u.id LEFT JOIN account_moderation m ON m.account_id = a.id WHERE 1=1`
	var args []any
	add := func(cond string, v ...any) { q += " AND " + cond; args = append(args, v...) }
	switch f.Origin {
	case "local":
		add("a.domain = ''")
	case "remote":
		add("a.domain <> ''")
	}
	switch f.Status {
	case "active":
		add("a.suspended_at IS NULL AND (u.id IS NULL OR (u.approved = 1 AND u.disabled = 0))")
	case "pending":
		add("u.approved = 0")
	case "disabled":
		add("u.disabled = 1")
	case "silenced":
		add("a.silenced_at IS NOT NULL")
	case "suspended":
		add("a.suspended_at IS NOT NULL")
	case "sensitized":
		add("m.sensitized_at IS NOT NULL")
	}
	if f.Staff {
		if f.StaffRoleKeys == nil {
			return nil, wrap("admin accounts", errors.New("the staff filter needs the staff roles"))
		}
		if len(f.StaffRoleKeys) == 0 {
			add("0")
		} else {
			add("u.role IN ("+placeholders(len(f.StaffRoleKeys))+")", stringArgs(f.StaffRoleKeys)...)
		}
	}
	if len(f.RoleKeys) > 0 {
		add("u.role IN ("+placeholders(len(f.RoleKeys))+")", stringArgs(f.RoleKeys)...)
	}
	if f.InvitedBy != 0 {
		add("r.invited_by = ?", f.InvitedBy)
	}
	if f.Username != "" {
		add(`lower(a.username) LIKE ? ESCAPE '\'`, likeEscape(strings.ToLower(f.Username))+"%")
	}
	if f.DisplayName != "" {
		add(`lower(a.display_name) LIKE ? ESCAPE '\'`, "%"+likeEscape(strings.ToLower(f.DisplayName))+"%")
	}
	if f.ByDomain != "" {
		add("a.domain = ?", strings.ToLower(f.ByDomain))
	}
	if f.Email != "" {
		add(`lower(u.email) LIKE ? ESCAPE '\'`, "%"+likeEscape(strings.ToLower(f.Email))+"%")
	}
	if f.IP != "" {
		users, err := s.usersSeenAt(ctx, f.IP)
		if err != nil {
			return nil, wrap("admin accounts", err)
		}
		if len(users) == 0 {
			return nil, nil
		}
		add("u.id IN ("+placeholders(len(users))+")", int64Args(users)...)
	}
	accts, err := queryPage(ctx, s.r, q, args, "a.id", p, scanAccount)
	if err != nil {
		return nil, wrap("admin accounts", err)
	}
	v2, err := s.adminDetails(ctx, accts)
	return v2, wrap("admin accounts", err)
}

// usersSeenAt lists the users seen at an address or in a CIDR range.
func (s *Store) usersSeenAt(ctx context.Context, ip string) ([]int64, error) {
	prefix, err := netip.ParsePrefix(ip)
	if err != nil {
		addr, err := netip.ParseAddr(ip)
		if err != nil {
			return nil, nil
		}
		prefix = netip.PrefixFrom(addr, addr.BitLen())
	}
	seen := map[int64]bool{}
	var out []int64
	err = queryEach(ctx, s.r, "SELECT user_id, ip FROM user_ips", nil, func(r scanner) error {
		var uid int64
		var v string
		if err := r.Scan(&uid, &v); err != nil {
			return err
		}
		if a, err := netip.ParseAddr(v); err == nil && prefix.Contains(a.Unmap()) && !seen[uid] {
			seen[uid] = true
			out = append(out, uid)
		}
		return nil
	})
	return out, err
}

// AdminAccount returns one account with its moderation details.
func (s *Store) AdminAccount(ctx context.Context, accountID int64) (*storage.AdminAccount, error) {
	a, err := s.AccountByID(ctx, accountID)
	if err != nil {
		return nil, wrap("admin account", err)
	}
	out, err := s.adminDetails(ctx, []*model.Account{a})
	if err != nil {
		return nil, wrap("admin account", err)
	}
	return out[0], nil
}

// adminDetails loads users, registrations, moderation state and addresses
// of accounts, in a fixed number of queries.
func (s *Store) adminDetails(ctx context.Context, accts []*model.Account) ([]*storage.AdminAccount, error) {
	out := make([]*storage.AdminAccount, len(accts))
	byID := map[int64]*storage.AdminAccount{}
	ids := make([]int64, len(accts))
	for i, a := range accts {
		out[i] = &storage.AdminAccount{Account: a}
		byID[a.ID] = out[i]
		ids[i] = a.ID
	}
	if len(ids) == 0 {
		return out, nil
	}
	in, idArgs := placeholders(len(ids)), int64Args(ids)
	err := queryEach(ctx, s.r, "SELECT "+userColumns+" FROM users u WHERE u.account_id IN ("+in+")", idArgs, func(row scanner) error {
		u, err := scanUser(row)
		if err != nil {
			return err
		}
		if aa := byID[u.AccountID]; aa != nil {
			aa.User = u
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, s.r, `SELECT r.user_id, r.invite_id, r.invited_by, r.reason, r.ip, r.app_id, r.created_at, u.account_id
		FROM registrations r JOIN users u ON u.id = r.user_id WHERE u.account_id IN (`+in+")", idArgs, func(row scanner) error {
		var r model.Registration
		var inv, by, app sql.NullInt64
		var created, acct int64
		if err := row.Scan(&r.UserID, &inv, &by, &r.Reason, &r.IP, &app, &created, &acct); err != nil {
			return err
		}
		r.InviteID, r.InvitedBy, r.AppID, r.CreatedAt = inv.Int64, by.Int64, app.Int64, fromMs(created)
		if aa := byID[acct]; aa != nil {
			aa.Registration = &r
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, s.r, "SELECT account_id, sensitized_at FROM account_moderation WHERE account_id IN ("+in+")", idArgs, func(row scanner) error {
		var acct int64
		var sens sql.NullInt64
		if err := row.Scan(&acct, &sens); err != nil {
			return err
		}
		if aa := byID[acct]; aa != nil {
			aa.SensitizedAt = fromNullMs(sens)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, s.r, "SELECT u.account_id, i.ip, i.used_at FROM user_ips i JOIN users u ON u.id = i.user_id WHERE u.account_id IN ("+
		in+") ORDER BY i.used_at DESC", idArgs, func(row scanner) error {
		var acct, used int64
		var ip string
		if err := row.Scan(&acct, &ip, &used); err != nil {
			return err
		}
		if aa := byID[acct]; aa != nil {
			aa.IPs = append(aa.IPs, model.UserIP{IP: ip, UsedAt: fromMs(used)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func nowOrNull(set bool, now time.Time) any {
	if set {
		return ms(now)
	}
	return nil
}

// ModerateAccount changes an account's moderation state, records the
// warning, resolves reports and queues events in one transaction.
func (s *Store) ModerateAccount(ctx context.Context, accountID int64, m storage.AccountModeration, w *model.AccountWarning,
	resolveReports []int64, events []model.OutboxEvent) error {
	now := time.Now()
	return wrap("moderate account", s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM accounts WHERE id = ?", accountID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return storage.ErrNotFound
		}
		// Keep the first time of a state that is set again.
		if m.Suspended != nil {
			if _, err := tx.ExecContext(ctx, "UPDATE accounts SET suspended_at = CASE WHEN ? THEN coalesce(suspended_at, ?) ELSE NULL END WHERE id = ?",
				b2i(*m.Suspended), ms(now), accountID); err != nil {
				return err
			}
		}
		if m.Silenced != nil {
			if _, err := tx.ExecContext(ctx, "UPDATE accounts SET silenced_at = CASE WHEN ? THEN coalesce(silenced_at, ?) ELSE NULL END WHERE id = ?",
				b2i(*m.Silenced), ms(now), accountID); err != nil {
				return err
			}
		}
		if m.Sensitive != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO account_moderation (account_id, sensitized_at) VALUES (?, ?)
				ON CONFLICT(account_id) DO UPDATE SET sensitized_at = CASE WHEN excluded.sensitized_at IS NULL THEN NULL
				ELSE coalesce(account_moderation.sensitized_at, excluded.sensitized_at) END`, accountID, nowOrNull(*m.Sensitive, now)); err != nil {
				return err
			}
		}
		if m.Disabled != nil {
			if _, err := tx.ExecContext(ctx, "UPDATE users SET disabled = ? WHERE account_id = ?", b2i(*m.Disabled), accountID); err != nil {
				return err
			}
		}
		if m.Approved != nil {
			if _, err := tx.ExecContext(ctx, "UPDATE users SET approved = ? WHERE account_id = ?", b2i(*m.Approved), accountID); err != nil {
				return err
			}
		}
		if w != nil {
			w.ID = id.New()
			w.CreatedAt = now
			snapshot, err := json.Marshal(nonNilWarned(w.Statuses))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO account_warnings (id, account_id, target_account_id, action, text, report_id,
				status_ids, statuses, created_at) VALUES (?,?,?,?,?,?,?,?,?)`, w.ID, nullID(w.AccountID), accountID, w.Action, w.Text,
				nullID(w.ReportID), idsJSON(w.StatusIDs), string(snapshot), ms(now)); err != nil {
				return err
			}
			// Its local owner is told (moderation_warning); the
			// notification has no other sender than its recipient.
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO notifications (id, account_id, from_account_id, type, warning_id, created_at)
				SELECT ?, account_id, account_id, 'moderation_warning', ?, ? FROM users WHERE account_id = ?`,
				id.New(), w.ID, ms(now), accountID); err != nil {
				return err
			}
		}
		for _, rid := range resolveReports {
			by := int64(0)
			if w != nil {
				by = w.AccountID
			}
			if _, err := tx.ExecContext(ctx, "UPDATE reports SET action_taken_at = ?, action_taken_by_id = ?, updated_at = ? WHERE id = ? AND action_taken_at IS NULL",
				ms(now), nullID(by), ms(now), rid); err != nil {
				return err
			}
		}
		return insertEvents(ctx, tx, events)
	}))
}

const warningColumns = "id, account_id, target_account_id, action, text, report_id, status_ids, statuses, created_at, overruled_at"

func scanWarning(row scanner) (*model.AccountWarning, error) {
	var w model.AccountWarning
	var by, report, overruled sql.NullInt64
	var statusIDs, statuses string
	var created int64
	err := row.Scan(&w.ID, &by, &w.TargetAccountID, &w.Action, &w.Text, &report, &statusIDs, &statuses, &created, &overruled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	w.AccountID, w.ReportID, w.StatusIDs, w.CreatedAt = by.Int64, report.Int64, parseIDsJSON(statusIDs), fromMs(created)
	w.OverruledAt = fromNullMs(overruled)
	if err := json.Unmarshal([]byte(statuses), &w.Statuses); err != nil {
		return nil, fmt.Errorf("warning %d: statuses: %w", w.ID, err)
	}
	return &w, nil
}

func nonNilWarned(v []model.WarnedStatus) []model.WarnedStatus {
	if v == nil {
		return []model.WarnedStatus{}
	}
	return v
}

// AccountWarnings lists the warnings given to an account, newest first.
func (s *Store) AccountWarnings(ctx context.Context, targetAccountID int64, p model.Page) ([]*model.AccountWarning, error) {
	v, err := queryPage(ctx, s.r, "SELECT "+warningColumns+" FROM account_warnings WHERE target_account_id = ?",
		[]any{targetAccountID}, "id", p, scanWarning)
	return v, wrap("account warnings", err)
}

// AccountWarning returns one warning.
func (s *Store) AccountWarning(ctx context.Context, warningID int64) (*model.AccountWarning, error) {
	v, err := scanWarning(s.r.QueryRowContext(ctx, "SELECT "+warningColumns+" FROM account_warnings WHERE id = ?", warningID))
	return v, wrap("account warning", err)
}

// AccountSensitized reports whether the account's media are forced sensitive.
func (s *Store) AccountSensitized(ctx context.Context, accountID int64) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM account_moderation WHERE account_id = ? AND sensitized_at IS NOT NULL", accountID).Scan(&n)
	return n > 0, wrap("account sensitized", err)
}
