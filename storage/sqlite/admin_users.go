package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// --- roles ---

const roleColumns = "id, key, name, color, permissions, position, highlighted, created_at, updated_at"

func scanRole(row scanner) (*model.Role, error) {
	var r model.Role
	var perms int64
	var created, updated int64
	err := row.Scan(&r.ID, &r.Key, &r.Name, &r.Color, &perms, &r.Position, &r.Highlighted, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r.Permissions = uint64(perms)
	r.CreatedAt, r.UpdatedAt = fromMs(created), fromMs(updated)
	return &r, nil
}

// Roles lists every role, least powerful first.
func (s *Store) Roles(ctx context.Context) ([]*model.Role, error) {
	v, err := queryAll(ctx, s.r, "SELECT "+roleColumns+" FROM roles ORDER BY position, id", nil, scanRole)
	return v, wrap("roles", err)
}

// RoleByID finds a role.
func (s *Store) RoleByID(ctx context.Context, roleID int64) (*model.Role, error) {
	v, err := scanRole(s.r.QueryRowContext(ctx, "SELECT "+roleColumns+" FROM roles WHERE id = ?", roleID))
	return v, wrap("role by id", err)
}

// RoleByKey finds a role by the key users.role holds.
func (s *Store) RoleByKey(ctx context.Context, key string) (*model.Role, error) {
	v, err := scanRole(s.r.QueryRowContext(ctx, "SELECT "+roleColumns+" FROM roles WHERE key = ?", key))
	return v, wrap("role by key", err)
}

// CreateRole creates a custom role; its key is its id.
func (s *Store) CreateRole(ctx context.Context, r *model.Role) error {
	now := time.Now()
	r.CreatedAt, r.UpdatedAt = now, now
	return wrap("create role", s.tx(ctx, func(tx *sql.Tx) error {
		tmp := "new:" + strconv.FormatInt(id.New(), 10)
		err := tx.QueryRowContext(ctx, `INSERT INTO roles (key, name, color, permissions, position, highlighted, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?,?) RETURNING id`, tmp, r.Name, r.Color, int64(r.Permissions), r.Position, b2i(r.Highlighted), ms(now), ms(now)).Scan(&r.ID)
		if err != nil {
			return err
		}
		r.Key = strconv.FormatInt(r.ID, 10)
		_, err = tx.ExecContext(ctx, "UPDATE roles SET key = ? WHERE id = ?", r.Key, r.ID)
		return err
	}))
}

// UpdateRole stores a role's name, colour, permissions, position and badge.
func (s *Store) UpdateRole(ctx context.Context, r *model.Role) error {
	r.UpdatedAt = time.Now()
	res, err := s.w.ExecContext(ctx, `UPDATE roles SET name = ?, color = ?, permissions = ?, position = ?, highlighted = ?,
		updated_at = ? WHERE id = ?`, r.Name, r.Color, int64(r.Permissions), r.Position, b2i(r.Highlighted), ms(r.UpdatedAt), r.ID)
	return wrap("update role", affected(res, err))
}

// DeleteRole deletes a custom role; its users fall back to "user".
func (s *Store) DeleteRole(ctx context.Context, roleID int64) error {
	return wrap("delete role", s.tx(ctx, func(tx *sql.Tx) error {
		var key string
		if err := tx.QueryRowContext(ctx, "SELECT key FROM roles WHERE id = ?", roleID).Scan(&key); errors.Is(err, sql.ErrNoRows) {
			return storage.ErrNotFound
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET role = 'user' WHERE role = ?", key); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM roles WHERE id = ?", roleID)
		return err
	}))
}

// conflictOr turns a unique-constraint failure into storage.ErrConflict.
func conflictOr(err error) error {
	if isUniqueViolation(err) {
		return storage.ErrConflict
	}
	return err
}

// affected turns "no row changed" into ErrNotFound.
func affected(res sql.Result, err error) error {
	return notFoundIfNone(res, conflictOr(err))
}

// notFoundIfNone turns "no row changed" into ErrNotFound; errors pass through.
func notFoundIfNone(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return storage.ErrNotFound
	}
	return nil
}

// --- invites ---

const inviteColumns = "id, code, created_by, role, comment, max_uses, uses, expires_at, revoked_at, created_at"

func scanInvite(row scanner) (*model.Invite, error) {
	var inv model.Invite
	var by, exp, rev sql.NullInt64
	var created int64
	err := row.Scan(&inv.ID, &inv.Code, &by, &inv.Role, &inv.Comment, &inv.MaxUses, &inv.Uses, &exp, &rev, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	inv.CreatedBy = by.Int64
	inv.ExpiresAt, inv.RevokedAt = fromNullMs(exp), fromNullMs(rev)
	inv.CreatedAt = fromMs(created)
	return &inv, nil
}

// CreateInvite stores an invite.
func (s *Store) CreateInvite(ctx context.Context, inv *model.Invite) error {
	inv.ID = id.New()
	if inv.CreatedAt.IsZero() {
		inv.CreatedAt = time.Now()
	}
	_, err := s.w.ExecContext(ctx, "INSERT INTO invites ("+inviteColumns+") VALUES (?,?,?,?,?,?,?,?,?,?)",
		inv.ID, inv.Code, nullID(inv.CreatedBy), inv.Role, inv.Comment, inv.MaxUses, inv.Uses, msPtr(inv.ExpiresAt),
		msPtr(inv.RevokedAt), ms(inv.CreatedAt))
	return wrap("create invite", conflictOr(err))
}

// InviteByCode finds an invite by its code.
func (s *Store) InviteByCode(ctx context.Context, code string) (*model.Invite, error) {
	v, err := scanInvite(s.r.QueryRowContext(ctx, "SELECT "+inviteColumns+" FROM invites WHERE code = ?", code))
	return v, wrap("invite by code", err)
}

// InviteByID finds an invite.
func (s *Store) InviteByID(ctx context.Context, inviteID int64) (*model.Invite, error) {
	v, err := scanInvite(s.r.QueryRowContext(ctx, "SELECT "+inviteColumns+" FROM invites WHERE id = ?", inviteID))
	return v, wrap("invite by id", err)
}

// Invites lists invites newest first; with activeAt, only those usable then.
func (s *Store) Invites(ctx context.Context, createdBy int64, activeAt *time.Time, p model.Page) ([]*model.Invite, error) {
	q := "SELECT " + inviteColumns + " FROM invites WHERE 1=1"
	var pre []any
	if createdBy != 0 {
		q += " AND created_by = ?"
		pre = append(pre, createdBy)
	}
	if activeAt != nil {
		q += " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?) AND (max_uses = 0 OR uses < max_uses)"
		pre = append(pre, ms(*activeAt))
	}
	v, err := queryPage(ctx, s.r, q, pre, "id", p, scanInvite)
	return v, wrap("invites", err)
}

// RevokeInvite marks an invite revoked (once).
func (s *Store) RevokeInvite(ctx context.Context, inviteID int64, at time.Time) error {
	res, err := s.w.ExecContext(ctx, "UPDATE invites SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?", ms(at), inviteID)
	return wrap("revoke invite", affected(res, err))
}

// --- registration ---

// RegisterLocalAccount creates an account, its user and its registration
// record, using one use of an invite, in one transaction.
func (s *Store) RegisterLocalAccount(ctx context.Context, a *model.Account, u *model.User, reg *model.Registration, inviteID int64, now time.Time) error {
	return wrap("register local account", s.tx(ctx, func(tx *sql.Tx) error {
		if inviteID != 0 {
			res, err := tx.ExecContext(ctx, `UPDATE invites SET uses = uses + 1 WHERE id = ? AND revoked_at IS NULL
				AND (expires_at IS NULL OR expires_at > ?) AND (max_uses = 0 OR uses < max_uses)`, inviteID, ms(now))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return storage.ErrInviteUnusable
			}
		}
		// Two sign-ups with one address take turns (PostgreSQL).
		if err := s.serialize(ctx, tx, "email:"+strings.ToLower(u.Email)); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE lower(email) = lower(?)", u.Email).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return storage.ErrConflict
		}
		if err := insertAccount(ctx, tx, a); err != nil {
			return err
		}
		u.ID, u.AccountID = a.ID, a.ID
		if u.CreatedAt.IsZero() {
			u.CreatedAt = a.CreatedAt
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, account_id, email, password_hash, role, approved, confirmed_at,
			disabled, locale, default_visibility, default_sensitive, default_language, created_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			u.ID, u.AccountID, u.Email, u.PasswordHash, u.Role, b2i(u.Approved), msPtr(u.ConfirmedAt), b2i(u.Disabled),
			u.Locale, u.DefaultVisibility, b2i(u.DefaultSensitive), u.DefaultLanguage, ms(u.CreatedAt))
		if isUniqueViolation(err) {
			return storage.ErrConflict
		}
		if err != nil {
			return err
		}
		reg.UserID = u.ID
		reg.InviteID = inviteID
		if reg.CreatedAt.IsZero() {
			reg.CreatedAt = now
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO registrations (user_id, invite_id, invited_by, reason, ip, app_id, created_at)
			VALUES (?,?,?,?,?,?,?)`, reg.UserID, nullID(reg.InviteID), nullID(reg.InvitedBy), reg.Reason, reg.IP,
			nullID(reg.AppID), ms(reg.CreatedAt)); err != nil {
			return err
		}
		if reg.IP != "" {
			_, err = tx.ExecContext(ctx, `INSERT INTO user_ips (user_id, ip, used_at) VALUES (?,?,?)
				ON CONFLICT (user_id, ip) DO UPDATE SET used_at = excluded.used_at`, u.ID, reg.IP, ms(now))
		}
		return err
	}))
}

// Registration returns how a user signed up (ErrNotFound: made by an admin
// before registrations were recorded, or from the command line).
func (s *Store) Registration(ctx context.Context, userID int64) (*model.Registration, error) {
	var r model.Registration
	var inv, by, app sql.NullInt64
	var created int64
	err := s.r.QueryRowContext(ctx, "SELECT user_id, invite_id, invited_by, reason, ip, app_id, created_at FROM registrations WHERE user_id = ?",
		userID).Scan(&r.UserID, &inv, &by, &r.Reason, &r.IP, &app, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, wrap("registration", storage.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("registration", err)
	}
	r.InviteID, r.InvitedBy, r.AppID, r.CreatedAt = inv.Int64, by.Int64, app.Int64, fromMs(created)
	return &r, nil
}

// RecordUserIP remembers that a user was seen at an address.
func (s *Store) RecordUserIP(ctx context.Context, userID int64, ip string, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO user_ips (user_id, ip, used_at) VALUES (?,?,?)
		ON CONFLICT(user_id, ip) DO UPDATE SET used_at = excluded.used_at`, userID, ip, ms(at))
	return wrap("record user ip", err)
}

// ConfirmUser records that a user confirmed their e-mail address.
func (s *Store) ConfirmUser(ctx context.Context, userID int64, at time.Time) error {
	res, err := s.w.ExecContext(ctx, "UPDATE users SET confirmed_at = coalesce(confirmed_at, ?) WHERE id = ?", ms(at), userID)
	return wrap("confirm user", affected(res, err))
}

// CreateUserToken stores a one-time token by its hash; older tokens of the
// same kind for the user are dropped.
func (s *Store) CreateUserToken(ctx context.Context, hash []byte, t model.UserToken) error {
	return wrap("create user token", s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM user_tokens WHERE user_id = ? AND kind = ?", t.UserID, t.Kind); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO user_tokens (token_hash, user_id, kind, expires_at) VALUES (?,?,?,?)",
			hash, t.UserID, t.Kind, ms(t.ExpiresAt))
		return err
	}))
}

// ConsumeUserToken returns and deletes a token.
func (s *Store) ConsumeUserToken(ctx context.Context, hash []byte, kind string) (*model.UserToken, error) {
	var t model.UserToken
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var exp int64
		err := tx.QueryRowContext(ctx, "SELECT user_id, kind, expires_at FROM user_tokens WHERE token_hash = ? AND kind = ?",
			hash, kind).Scan(&t.UserID, &t.Kind, &exp)
		if errors.Is(err, sql.ErrNoRows) {
			return storage.ErrNotFound
		}
		if err != nil {
			return err
		}
		t.ExpiresAt = fromMs(exp)
		_, err = tx.ExecContext(ctx, "DELETE FROM user_tokens WHERE token_hash = ? OR expires_at < ?", hash, ms(time.Now()))
		return err
	})
	if err != nil {
		return nil, wrap("consume user token", err)
	}
	return &t, nil
}

func stringArgs(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

// StaffEmails lists the addresses of enabled, approved users with one of
// roleKeys who want the mail of a kind (report, sign_up, trends; "": any).
func (s *Store) StaffEmails(ctx context.Context, roleKeys []string, kind string) ([]string, error) {
	if len(roleKeys) == 0 {
		return nil, nil
	}
	pref := ""
	switch kind {
	case "report":
		pref = " AND u.email_on_report = 1"
	case "sign_up":
		pref = " AND u.email_on_sign_up = 1"
	case "trends":
		pref = " AND u.email_on_trends = 1"
	}
	v, err := queryColumn[string](ctx, s.r, `SELECT u.email FROM users u JOIN accounts a ON a.id = u.account_id
		WHERE u.disabled = 0 AND u.approved = 1 AND a.suspended_at IS NULL AND u.role IN (`+placeholders(len(roleKeys))+`)`+pref+` ORDER BY u.id`,
		stringArgs(roleKeys)...)
	return v, wrap("staff emails", err)
}

// AccountIDsByRoles lists the accounts of users with one of roleKeys.
func (s *Store) AccountIDsByRoles(ctx context.Context, roleKeys []string) ([]int64, error) {
	if len(roleKeys) == 0 {
		return nil, nil
	}
	v, err := queryColumn[int64](ctx, s.r, "SELECT account_id FROM users WHERE role IN ("+placeholders(len(roleKeys))+") ORDER BY id",
		stringArgs(roleKeys)...)
	return v, wrap("account ids by roles", err)
}

func idsJSON(v []int64) string {
	if len(v) == 0 {
		return "[]"
	}
	strs := make([]string, len(v))
	for i, x := range v {
		strs[i] = strconv.FormatInt(x, 10)
	}
	return "[" + strings.Join(strs, ",") + "]"
}

func parseIDsJSON(s string) []int64 {
	var out []int64
	_ = json.Unmarshal([]byte(s), &out)
	return out
}
