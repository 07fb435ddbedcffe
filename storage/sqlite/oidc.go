package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Single sign-on links and the browser sessions started through them
// (storage.OIDC).

const oidcLinkCols = `l.id, l.user_id, l.issuer, l.subject, l.email, l.created_at, l.last_sign_in_at, coalesce(a.username, '')`

func scanOIDCLink(row scanner) (*storage.OIDCLink, error) {
	var l storage.OIDCLink
	var created int64
	var last sql.NullInt64
	if err := row.Scan(&l.ID, &l.UserID, &l.Issuer, &l.Subject, &l.Email, &created, &last, &l.Username); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, storage.ErrNotFound
		}
		return nil, err
	}
	l.CreatedAt, l.LastSignInAt = fromMs(created), fromNullMs(last)
	return &l, nil
}

const oidcLinkFrom = ` FROM oidc_links l LEFT JOIN users u ON u.id = l.user_id LEFT JOIN accounts a ON a.id = u.account_id`

func (s *Store) OIDCLink(ctx context.Context, issuer, subject string) (*storage.OIDCLink, error) {
	v, err := scanOIDCLink(s.r.QueryRowContext(ctx, `SELECT `+oidcLinkCols+oidcLinkFrom+` WHERE l.issuer = ? AND l.subject = ?`, issuer, subject))
	return v, wrap("oidc link", err)
}

func (s *Store) CreateOIDCLink(ctx context.Context, l *storage.OIDCLink) error {
	err := s.w.QueryRowContext(ctx, `INSERT INTO oidc_links (user_id, issuer, subject, email, created_at, last_sign_in_at) VALUES (?,?,?,?,?,?) RETURNING id`,
		l.UserID, l.Issuer, l.Subject, l.Email, ms(l.CreatedAt), msPtr(l.LastSignInAt)).Scan(&l.ID)
	if isUniqueViolation(err) {
		return wrap("create oidc link", storage.ErrConflict)
	}
	if err != nil {
		return wrap("create oidc link", err)
	}
	return nil
}

func (s *Store) TouchOIDCLink(ctx context.Context, id int64, email string, now time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE oidc_links SET email = ?, last_sign_in_at = ? WHERE id = ?`, email, ms(now), id)
	return wrap("touch oidc link", err)
}

func (s *Store) OIDCLinks(ctx context.Context, p model.Page) ([]*storage.OIDCLink, error) {
	v, err := queryPage(ctx, s.r, `SELECT `+oidcLinkCols+oidcLinkFrom+` WHERE 1=1`, nil, "l.id", p, scanOIDCLink)
	return v, wrap("oidc links", err)
}

func (s *Store) CountOIDCLinks(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM oidc_links`).Scan(&n)
	return n, wrap("count oidc links", err)
}

func (s *Store) DeleteOIDCLink(ctx context.Context, id int64) (bool, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE id IN (SELECT web_session_id FROM oidc_sessions WHERE link_id = ?)`, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM oidc_links WHERE id = ?`, id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n > 0, wrap("delete oidc link", err)
}

func (s *Store) AddOIDCSession(ctx context.Context, webSessionHash []byte, o storage.OIDCSession) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO oidc_sessions (web_session_id, link_id, sid, id_token)
		SELECT id, ?, ?, ? FROM web_sessions WHERE token_hash = ?`, o.LinkID, o.SID, o.IDToken, webSessionHash)
	return wrap("add oidc session", err)
}

func (s *Store) OIDCSessionByWebSession(ctx context.Context, webSessionHash []byte) (*storage.OIDCSession, error) {
	var o storage.OIDCSession
	err := s.r.QueryRowContext(ctx, `SELECT o.link_id, o.sid, o.id_token FROM oidc_sessions o
		JOIN web_sessions w ON w.id = o.web_session_id WHERE w.token_hash = ?`, webSessionHash).Scan(&o.LinkID, &o.SID, &o.IDToken)
	if errors.Is(err, sql.ErrNoRows) {
		err = storage.ErrNotFound
	}
	if err != nil {
		return nil, wrap("oidc session by web session", err)
	}
	return &o, nil
}

func (s *Store) EndOIDCSessions(ctx context.Context, issuer, subject, sid string) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM web_sessions WHERE id IN (
		SELECT o.web_session_id FROM oidc_sessions o JOIN oidc_links l ON l.id = o.link_id
		WHERE l.issuer = ? AND (? = '' OR l.subject = ?) AND (? = '' OR o.sid = ?))`, issuer, subject, subject, sid, sid)
	if err != nil {
		return 0, wrap("end oidc sessions", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("end oidc sessions", err)
}
