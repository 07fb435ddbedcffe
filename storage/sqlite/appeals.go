package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Staff notifications, appeals of warnings and the staff's e-mail
// preferences.

// CreateStaffNotifications notifies every enabled, approved local user
// with one of roleKeys (admin.report with reportID, admin.sign_up).
func (s *Store) CreateStaffNotifications(ctx context.Context, roleKeys []string, typ string, fromID, reportID int64) error {
	if len(roleKeys) == 0 {
		return nil
	}
	return wrap("create staff notifications", s.tx(ctx, func(tx *sql.Tx) error {
		ids, err := queryColumn[int64](ctx, tx, `SELECT u.account_id FROM users u JOIN accounts a ON a.id = u.account_id
			WHERE u.disabled = 0 AND u.approved = 1 AND a.suspended_at IS NULL AND u.role IN (`+placeholders(len(roleKeys))+`)`,
			stringArgs(roleKeys)...)
		if err != nil {
			return err
		}
		now := ms(time.Now())
		for _, acc := range ids {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO notifications (id, account_id, from_account_id, type, report_id, created_at)
				VALUES (?, ?, ?, ?, ?, ?)`, id.New(), acc, fromID, typ, nullID(reportID), now); err != nil {
				return err
			}
		}
		return nil
	}))
}

// StaffEmailPrefs reads a user's staff e-mail preferences.
func (s *Store) StaffEmailPrefs(ctx context.Context, accountID int64) (storage.StaffEmailPrefs, error) {
	var p storage.StaffEmailPrefs
	var r, u, tr int
	err := s.r.QueryRowContext(ctx, "SELECT email_on_report, email_on_sign_up, email_on_trends FROM users WHERE account_id = ?", accountID).Scan(&r, &u, &tr)
	if errors.Is(err, sql.ErrNoRows) {
		return p, wrap("staff email prefs", storage.ErrNotFound)
	}
	p.Report, p.SignUp, p.Trends = r == 1, u == 1, tr == 1
	return p, wrap("staff email prefs", err)
}

// SetStaffEmailPrefs stores a user's staff e-mail preferences.
func (s *Store) SetStaffEmailPrefs(ctx context.Context, accountID int64, p storage.StaffEmailPrefs) error {
	return wrap("set staff email prefs", notFoundIfNone(s.w.ExecContext(ctx,
		"UPDATE users SET email_on_report = ?, email_on_sign_up = ?, email_on_trends = ? WHERE account_id = ?",
		b2i(p.Report), b2i(p.SignUp), b2i(p.Trends), accountID)))
}

const appealColumns = "id, account_id, warning_id, text, approved_at, rejected_at, decided_by, created_at"

func scanAppeal(row scanner) (*model.Appeal, error) {
	var a model.Appeal
	var approved, rejected, by sql.NullInt64
	var created int64
	err := row.Scan(&a.ID, &a.AccountID, &a.WarningID, &a.Text, &approved, &rejected, &by, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	a.ApprovedAt, a.RejectedAt, a.DecidedBy, a.CreatedAt = fromNullMs(approved), fromNullMs(rejected), by.Int64, fromMs(created)
	return &a, nil
}

// CreateAppeal stores an appeal (ErrConflict: the warning has one).
func (s *Store) CreateAppeal(ctx context.Context, a *model.Appeal) error {
	a.ID, a.CreatedAt = id.New(), time.Now().UTC()
	_, err := s.w.ExecContext(ctx, "INSERT INTO appeals (id, account_id, warning_id, text, created_at) VALUES (?, ?, ?, ?, ?)",
		a.ID, a.AccountID, a.WarningID, a.Text, ms(a.CreatedAt))
	if isUniqueViolation(err) {
		err = storage.ErrConflict
	}
	return wrap("create appeal", err)
}

// AppealByID returns one appeal.
func (s *Store) AppealByID(ctx context.Context, appealID int64) (*model.Appeal, error) {
	a, err := scanAppeal(s.r.QueryRowContext(ctx, "SELECT "+appealColumns+" FROM appeals WHERE id = ?", appealID))
	return a, wrap("appeal by id", err)
}

// AppealsByWarnings returns the appeals of the given warnings, by warning.
func (s *Store) AppealsByWarnings(ctx context.Context, warningIDs []int64) (map[int64]*model.Appeal, error) {
	out := map[int64]*model.Appeal{}
	if len(warningIDs) == 0 {
		return out, nil
	}
	v, err := queryAll(ctx, s.r, "SELECT "+appealColumns+" FROM appeals WHERE warning_id IN ("+placeholders(len(warningIDs))+")",
		int64Args(warningIDs), scanAppeal)
	if err != nil {
		return nil, wrap("appeals by warnings", err)
	}
	for _, a := range v {
		out[a.WarningID] = a
	}
	return out, nil
}

// Appeals lists appeals, newest first: pending ones only when pending,
// of one account when accountID is not 0.
func (s *Store) Appeals(ctx context.Context, pending bool, accountID int64, p model.Page) ([]*model.Appeal, error) {
	q := "SELECT " + appealColumns + " FROM appeals WHERE 1=1"
	var args []any
	if pending {
		q += " AND approved_at IS NULL AND rejected_at IS NULL"
	}
	if accountID != 0 {
		q += " AND account_id = ?"
		args = append(args, accountID)
	}
	v, err := queryPage(ctx, s.r, q, args, "id", p, scanAppeal)
	return v, wrap("appeals", err)
}

// DecideAppeal records a pending appeal's decision (ErrConflict: it was
// decided already); approving also marks the appealed warning overruled,
// in the same transaction.
func (s *Store) DecideAppeal(ctx context.Context, appealID, by int64, approve bool) error {
	col := "rejected_at"
	if approve {
		col = "approved_at"
	}
	now := ms(time.Now())
	return wrap("decide appeal", s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE appeals SET "+col+" = ?, decided_by = ? WHERE id = ? AND approved_at IS NULL AND rejected_at IS NULL",
			now, nullID(by), appealID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			if err := tx.QueryRowContext(ctx, "SELECT 1 FROM appeals WHERE id = ?", appealID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return storage.ErrNotFound
			} else if err != nil {
				return err
			}
			return storage.ErrConflict
		}
		if approve {
			_, err = tx.ExecContext(ctx, "UPDATE account_warnings SET overruled_at = ? WHERE id = (SELECT warning_id FROM appeals WHERE id = ?)", now, appealID)
		}
		return err
	}))
}

// ReportsByIDs reads reports by id (missing ones are left out).
func (s *Store) ReportsByIDs(ctx context.Context, ids []int64) (map[int64]*model.Report, error) {
	out := map[int64]*model.Report{}
	if len(ids) == 0 {
		return out, nil
	}
	v, err := queryAll(ctx, s.r, "SELECT "+reportColumns+" FROM reports r WHERE r.id IN ("+placeholders(len(ids))+")", int64Args(ids), scanReport)
	if err != nil {
		return nil, wrap("reports by ids", err)
	}
	for _, r := range v {
		out[r.ID] = r
	}
	return out, nil
}

// AccountWarningsByIDs reads warnings by id (missing ones are left out).
func (s *Store) AccountWarningsByIDs(ctx context.Context, ids []int64) (map[int64]*model.AccountWarning, error) {
	out := map[int64]*model.AccountWarning{}
	if len(ids) == 0 {
		return out, nil
	}
	v, err := queryAll(ctx, s.r, "SELECT "+warningColumns+" FROM account_warnings WHERE id IN ("+placeholders(len(ids))+")", int64Args(ids), scanWarning)
	if err != nil {
		return nil, wrap("account warnings by ids", err)
	}
	for _, w := range v {
		out[w.ID] = w
	}
	return out, nil
}
