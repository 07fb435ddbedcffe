package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/herald-social/herald/storage"
)

var _ storage.WebUI = (*Store)(nil)

func (s *Store) CreateWebSession(ctx context.Context, tokenHash []byte, ws *storage.WebSession) error {
	err := s.w.QueryRowContext(ctx, `INSERT INTO web_sessions (token_hash, user_id, ip, user_agent, created_at, last_seen_at)
		VALUES (?,?,?,?,?,?) RETURNING id`, tokenHash, ws.UserID, ws.IP, ws.UserAgent, ms(ws.CreatedAt), ms(ws.LastSeenAt)).Scan(&ws.ID)
	return wrap("create web session", err)
}

const webSessionCols = `id, user_id, ip, user_agent, created_at, last_seen_at, acting_id`

func scanWebSession(row scanner) (*storage.WebSession, error) {
	var ws storage.WebSession
	var created, seen int64
	if err := row.Scan(&ws.ID, &ws.UserID, &ws.IP, &ws.UserAgent, &created, &seen, &ws.ActingID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, storage.ErrNotFound
		}
		return nil, err
	}
	ws.CreatedAt, ws.LastSeenAt = fromMs(created), fromMs(seen)
	return &ws, nil
}

func (s *Store) WebSessionByHash(ctx context.Context, tokenHash []byte) (*storage.WebSession, error) {
	v, err := scanWebSession(s.r.QueryRowContext(ctx, `SELECT `+webSessionCols+` FROM web_sessions WHERE token_hash = ?`, tokenHash))
	return v, wrap("web session by hash", err)
}

func (s *Store) TouchWebSession(ctx context.Context, id int64, now time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE web_sessions SET last_seen_at = ? WHERE id = ?`, ms(now), id)
	return wrap("touch web session", err)
}

func (s *Store) WebSessions(ctx context.Context, userID int64) ([]*storage.WebSession, error) {
	v, err := queryAll(ctx, s.r, `SELECT `+webSessionCols+` FROM web_sessions WHERE user_id = ? ORDER BY last_seen_at DESC`, []any{userID}, scanWebSession)
	return v, wrap("web sessions", err)
}

func (s *Store) DeleteWebSession(ctx context.Context, userID, id int64) (bool, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_id = ? AND id = ?`, userID, id)
	if err != nil {
		return false, wrap("delete web session", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func (s *Store) TwoFactor(ctx context.Context, userID int64) (*storage.TwoFactor, error) {
	var t storage.TwoFactor
	var enabled sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT user_id, secret, enabled_at, last_step FROM user_two_factor WHERE user_id = ?`, userID).
		Scan(&t.UserID, &t.Secret, &enabled, &t.LastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, wrap("two factor", storage.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("two factor", err)
	}
	t.EnabledAt = fromNullMs(enabled)
	return &t, nil
}

func (s *Store) SaveTwoFactor(ctx context.Context, t *storage.TwoFactor) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO user_two_factor (user_id, secret, enabled_at, last_step) VALUES (?,?,?,?)
		ON CONFLICT(user_id) DO UPDATE SET secret = excluded.secret, enabled_at = excluded.enabled_at, last_step = excluded.last_step`,
		t.UserID, t.Secret, msPtr(t.EnabledAt), t.LastStep)
	return wrap("save two factor", err)
}

func (s *Store) DeleteTwoFactor(ctx context.Context, userID int64) error {
	return wrap("delete two factor", s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_two_factor WHERE user_id = ?`, userID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM user_recovery_codes WHERE user_id = ?`, userID)
		return err
	}))
}

func (s *Store) UseTwoFactorStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE user_two_factor SET last_step = ? WHERE user_id = ? AND last_step < ?`, step, userID, step)
	if err != nil {
		return false, wrap("use two factor step", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte) error {
	return wrap("replace recovery codes", s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_recovery_codes WHERE user_id = ?`, userID); err != nil {
			return err
		}
		for _, h := range hashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_recovery_codes (user_id, code_hash) VALUES (?,?)`, userID, h); err != nil {
				return err
			}
		}
		return nil
	}))
}

func (s *Store) ConsumeRecoveryCode(ctx context.Context, userID int64, hash []byte) (bool, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM user_recovery_codes WHERE user_id = ? AND code_hash = ?`, userID, hash)
	if err != nil {
		return false, wrap("consume recovery code", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func (s *Store) CountRecoveryCodes(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM user_recovery_codes WHERE user_id = ?`, userID).Scan(&n)
	return n, wrap("count recovery codes", err)
}

func (s *Store) AuthorizedApps(ctx context.Context, userID int64) ([]storage.AuthorizedApp, error) {
	type row struct {
		appID   int64
		n       int
		created int64
		used    sql.NullInt64
		scopes  string
		member  int64
	}
	// One row per app and per who uses it (the user, or a team member).
	// Grouped first, then each group's newest scopes: PostgreSQL takes no
	// subquery on an ungrouped column.
	rs, err := queryAll(ctx, s.r, `SELECT g.app_id, g.n, g.created, g.used,
		(SELECT t2.scopes FROM tokens t2 WHERE t2.user_id = ?1 AND t2.app_id = g.app_id
			AND COALESCE(t2.delegate_id, 0) = g.member ORDER BY t2.id DESC LIMIT 1),
		g.member
		FROM (SELECT t.app_id, COALESCE(t.delegate_id, 0) AS member, count(*) AS n, min(t.created_at) AS created,
			max(t.last_used_at) AS used, max(t.id) AS newest
			FROM tokens t WHERE t.user_id = ?1 AND t.app_id IS NOT NULL GROUP BY t.app_id, COALESCE(t.delegate_id, 0)) g
		ORDER BY g.newest DESC`, []any{userID},
		func(sc scanner) (row, error) {
			var r row
			err := sc.Scan(&r.appID, &r.n, &r.created, &r.used, &r.scopes, &r.member)
			return r, err
		})
	if err != nil {
		return nil, wrap("authorized apps", err)
	}
	out := make([]storage.AuthorizedApp, 0, len(rs))
	for _, r := range rs {
		app, err := s.AppByID(ctx, r.appID)
		if err != nil {
			continue
		}
		out = append(out, storage.AuthorizedApp{App: app, Scopes: r.scopes, Tokens: r.n, CreatedAt: fromMs(r.created), LastUsedAt: fromNullMs(r.used),
			MemberID: r.member})
	}
	return out, nil
}

func (s *Store) RevokeAppTokens(ctx context.Context, userID, appID, memberID int64) ([]int64, error) {
	v, err := queryIDs(ctx, s.w, `DELETE FROM tokens WHERE user_id = ? AND app_id = ? AND COALESCE(delegate_id, 0) = ? RETURNING id`, userID, appID, memberID)
	return v, wrap("revoke app tokens", err)
}

func (s *Store) SetEmail(ctx context.Context, userID int64, email string, confirmed bool) error {
	q := `UPDATE users SET email = ? WHERE id = ?`
	if !confirmed {
		q = `UPDATE users SET email = ?, confirmed_at = NULL WHERE id = ?`
	}
	_, err := s.w.ExecContext(ctx, q, email, userID)
	return wrap("set email", conflictOr(err))
}
