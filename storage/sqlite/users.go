package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

const userColumns = `u.id, u.account_id, u.email, u.password_hash, u.role, u.approved, u.confirmed_at, u.disabled,
	u.locale, u.default_visibility, u.default_sensitive, u.default_language, u.created_at, u.last_sign_in_at`

func scanUserInto(u *model.User) []any {
	return []any{&u.ID, &u.AccountID, &u.Email, &u.PasswordHash, &u.Role, &u.Approved, new(sql.NullInt64), &u.Disabled,
		&u.Locale, &u.DefaultVisibility, &u.DefaultSensitive, &u.DefaultLanguage, new(int64), new(sql.NullInt64)}
}

func finishUser(u *model.User, dest []any) {
	u.ConfirmedAt = fromNullMs(*dest[6].(*sql.NullInt64))
	u.CreatedAt = fromMs(*dest[12].(*int64))
	u.LastSignInAt = fromNullMs(*dest[13].(*sql.NullInt64))
}

func scanUser(row scanner) (*model.User, error) {
	var u model.User
	dest := scanUserInto(&u)
	if err := row.Scan(dest...); errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	finishUser(&u, dest)
	return &u, nil
}

// scanAccountUser scans a row of accountColumns followed by userColumns.
func scanAccountUser(row scanner, a *model.Account, u *model.User) error {
	var got *model.Account
	udest := scanUserInto(u)
	err := scanAccountWith(row, udest, &got)
	if err != nil {
		return err
	}
	*a = *got
	finishUser(u, udest)
	return nil
}

// scanAccountWith scans accountColumns plus extra destinations.
func scanAccountWith(row scanner, extra []any, out **model.Account) error {
	a, err := scanAccount(appendScanner{row, extra})
	if err != nil {
		return err
	}
	*out = a
	return nil
}

type appendScanner struct {
	row   scanner
	extra []any
}

func (s appendScanner) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }

// UserByAccountID returns the user of a local account.
func (s *Store) UserByAccountID(ctx context.Context, accountID int64) (*model.User, error) {
	v, err := scanUser(s.r.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users u WHERE u.account_id = ?", accountID))
	return v, wrap("user by account id", err)
}

// UserByLogin finds a user by e-mail address or username (case-insensitive).
func (s *Store) UserByLogin(ctx context.Context, login string) (*model.User, error) {
	login = strings.TrimSpace(login)
	if strings.Contains(login, "@") {
		v, err := scanUser(s.r.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users u WHERE lower(u.email) = lower(?)", login))
		return v, wrap("user by login", err)
	}
	v, err := scanUser(s.r.QueryRowContext(ctx, "SELECT "+userColumns+
		" FROM users u JOIN accounts a ON a.id = u.account_id WHERE lower(a.username) = lower(?) AND a.domain = ''", login))
	return v, wrap("user by login", err)
}

// SetPassword stores a new password hash and ends every credential of
// the user in the same transaction: all access tokens and every browser
// session but keepSession (0: none).
func (s *Store) SetPassword(ctx context.Context, userID int64, hash string, keepSession int64) error {
	return wrap("set password", s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = ? WHERE id = ?", hash, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return storage.ErrNotFound
		}
		// The user's own tokens and those they hold for others (delegated).
		if _, err = tx.ExecContext(ctx, "DELETE FROM tokens WHERE user_id = ? OR delegate_id = ?", userID, userID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM web_sessions WHERE user_id = ? AND id <> ?", userID, keepSession)
		return err
	}))
}

// SetRole changes a user's role.
func (s *Store) SetRole(ctx context.Context, userID int64, role string) error {
	return wrap("set role", notFoundIfNone(s.w.ExecContext(ctx, "UPDATE users SET role = ? WHERE id = ?", role, userID)))
}

// TouchSignIn records a successful sign-in.
func (s *Store) TouchSignIn(ctx context.Context, userID int64) error {
	_, err := s.w.ExecContext(ctx, "UPDATE users SET last_sign_in_at = ? WHERE id = ?", ms(time.Now()), userID)
	return wrap("touch sign in", err)
}

// UpdatePreferences stores a user's posting defaults.
func (s *Store) UpdatePreferences(ctx context.Context, userID int64, visibility string, sensitive bool, language string) error {
	_, err := s.w.ExecContext(ctx, "UPDATE users SET default_visibility = ?, default_sensitive = ?, default_language = ? WHERE id = ?",
		visibility, b2i(sensitive), language, userID)
	return wrap("update preferences", err)
}

// --- OAuth applications, tokens and codes ---

const appColumns = "id, name, website, redirect_uris, scopes, client_id, client_secret, created_at"

func scanApp(row scanner) (*model.App, error) {
	var a model.App
	var redirects string
	var created int64
	err := row.Scan(&a.ID, &a.Name, &a.Website, &redirects, &a.Scopes, &a.ClientID, &a.ClientSecret, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	a.RedirectURIs = strings.Split(redirects, "\n")
	a.CreatedAt = fromMs(created)
	return &a, nil
}

// CreateApp registers an OAuth application.
func (s *Store) CreateApp(ctx context.Context, a *model.App) error {
	a.ID = id.New()
	a.CreatedAt = time.Now()
	_, err := s.w.ExecContext(ctx, "INSERT INTO apps ("+appColumns+") VALUES (?,?,?,?,?,?,?,?)",
		a.ID, a.Name, a.Website, strings.Join(a.RedirectURIs, "\n"), a.Scopes, a.ClientID, a.ClientSecret, ms(a.CreatedAt))
	return wrap("create app", err)
}

// AppByClientID finds an application by its client_id.
func (s *Store) AppByClientID(ctx context.Context, clientID string) (*model.App, error) {
	v, err := scanApp(s.r.QueryRowContext(ctx, "SELECT "+appColumns+" FROM apps WHERE client_id = ?", clientID))
	return v, wrap("app by client id", err)
}

// AppByID finds an application.
func (s *Store) AppByID(ctx context.Context, appID int64) (*model.App, error) {
	v, err := scanApp(s.r.QueryRowContext(ctx, "SELECT "+appColumns+" FROM apps WHERE id = ?", appID))
	return v, wrap("app by id", err)
}

// HashSecret is how tokens and codes are stored: a SHA-256 of the secret,
// so a copy of the database does not hold usable credentials.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CreateToken stores a new access token (its plain value is not kept).
func (s *Store) CreateToken(ctx context.Context, t *model.Token, plain string) error {
	t.ID = id.New()
	t.CreatedAt = time.Now()
	_, err := s.w.ExecContext(ctx, "INSERT INTO tokens (id, token_hash, app_id, user_id, scopes, created_at, delegate_id) VALUES (?,?,?,?,?,?,?)",
		t.ID, HashSecret(plain), nullID(t.AppID), nullID(t.UserID), t.Scopes, ms(t.CreatedAt), nullID(t.DelegateID))
	return wrap("create token", err)
}

// TouchToken records a token's last use, at most once a day (the
// condition keeps the write a no-op within the day, also for another
// process).
func (s *Store) TouchToken(ctx context.Context, id int64, at time.Time) error {
	_, err := s.w.ExecContext(ctx, "UPDATE tokens SET last_used_at = ?1 WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at <= ?3)",
		ms(at), id, ms(at.Add(-24*time.Hour)))
	return wrap("touch token", err)
}

// TokenByValue looks a presented access token up.
func (s *Store) TokenByValue(ctx context.Context, plain string) (*model.Token, error) {
	v, err := scanToken(s.r.QueryRowContext(ctx, "SELECT id, app_id, user_id, scopes, created_at, delegate_id FROM tokens WHERE token_hash = ?",
		HashSecret(plain)))
	return v, wrap("token by value", err)
}

// TokenByID finds a token by its id (a credential checked again later:
// streaming connections).
func (s *Store) TokenByID(ctx context.Context, id int64) (*model.Token, error) {
	v, err := scanToken(s.r.QueryRowContext(ctx, "SELECT id, app_id, user_id, scopes, created_at, delegate_id FROM tokens WHERE id = ?", id))
	return v, wrap("token by id", err)
}

func scanToken(row scanner) (*model.Token, error) {
	var t model.Token
	var app, user, delegate sql.NullInt64
	var created int64
	err := row.Scan(&t.ID, &app, &user, &t.Scopes, &created, &delegate)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t.AppID, t.UserID, t.CreatedAt, t.DelegateID = app.Int64, user.Int64, fromMs(created), delegate.Int64
	return &t, nil
}

// ExistingTokenIDs returns which of the tokens still exist.
func (s *Store) ExistingTokenIDs(ctx context.Context, ids []int64) ([]int64, error) {
	var out []int64
	for len(ids) > 0 {
		n := min(len(ids), 500)
		got, err := queryIDs(ctx, s.r, "SELECT id FROM tokens WHERE id IN ("+placeholders(n)+")", int64Args(ids[:n])...)
		if err != nil {
			return nil, wrap("existing token ids", err)
		}
		out = append(out, got...)
		ids = ids[n:]
	}
	return out, nil
}

// AuthVersion reads the "auth" counter of cache_versions, which the
// triggers of migration 0027 bump with every change to what core's auth
// cache holds.
func (s *Store) AuthVersion(ctx context.Context) (int64, error) {
	v, err := s.cacheVersion(ctx, 0, "auth")
	return v, wrap("auth version", err)
}

// AccountsVersion reads the "accounts" counter, bumped with every change
// to an account row.
func (s *Store) AccountsVersion(ctx context.Context) (int64, error) {
	v, err := s.cacheVersion(ctx, 1, "accounts")
	return v, wrap("accounts version", err)
}

// cacheVersion reads a counter of cache_versions (slot: its place in
// s.versionSeen). While no transaction at all committed since the last
// read (the WAL index header did not move), the counter cannot have
// changed and is answered without a query (a read transaction's file
// locks cost more than what a cache saves).
func (s *Store) cacheVersion(ctx context.Context, slot int, name string) (int64, error) {
	var h walHeader
	watched := false
	if s.wal != nil { // nil on PostgreSQL: other processes commit there unseen
		h, watched = s.wal.header(ctx)
	}
	if watched {
		if seen := s.versionSeen[slot].Load(); seen != nil && seen.wal == h {
			return seen.version, nil
		}
	}
	var v int64
	if err := s.r.QueryRowContext(ctx, "SELECT version FROM cache_versions WHERE name = ?", name).Scan(&v); err != nil {
		return 0, err
	}
	// h was read before the query: a commit in between makes the next call
	// see another header and read again.
	if watched {
		s.versionSeen[slot].Store(&versionSeen{wal: h, version: v})
	}
	return v, nil
}

type versionSeen struct {
	wal     walHeader
	version int64
}

// RevokeToken deletes a token; with appID != 0 only if it belongs to that
// app. It returns the deleted token's id, 0 when none matched.
func (s *Store) RevokeToken(ctx context.Context, plain string, appID int64) (int64, error) {
	q, args := "DELETE FROM tokens WHERE token_hash = ?", []any{HashSecret(plain)}
	if appID != 0 {
		q += " AND app_id = ?"
		args = append(args, appID)
	}
	ids, err := queryIDs(ctx, s.w, q+" RETURNING id", args...)
	if err != nil || len(ids) == 0 {
		return 0, wrap("revoke token", err)
	}
	return ids[0], nil
}

// CreateAuthCode stores an authorization code.
func (s *Store) CreateAuthCode(ctx context.Context, c *model.AuthCode) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO auth_codes (code_hash, app_id, user_id, redirect_uri, scopes, code_challenge,
		code_challenge_method, expires_at, delegate_id) VALUES (?,?,?,?,?,?,?,?,?)`,
		c.CodeHash, c.AppID, c.UserID, c.RedirectURI, c.Scopes, c.CodeChallenge, c.CodeChallengeMethod, ms(c.ExpiresAt), c.DelegateID)
	return wrap("create auth code", err)
}

// ConsumeAuthCode returns and deletes a code in one step, so that a code
// can be exchanged once only.
func (s *Store) ConsumeAuthCode(ctx context.Context, code string) (*model.AuthCode, error) {
	var c model.AuthCode
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var exp int64
		err := tx.QueryRowContext(ctx, `SELECT code_hash, app_id, user_id, redirect_uri, scopes, code_challenge,
			code_challenge_method, expires_at, delegate_id FROM auth_codes WHERE code_hash = ?`, HashSecret(code)).Scan(
			&c.CodeHash, &c.AppID, &c.UserID, &c.RedirectURI, &c.Scopes, &c.CodeChallenge, &c.CodeChallengeMethod, &exp, &c.DelegateID)
		if errors.Is(err, sql.ErrNoRows) {
			return storage.ErrNotFound
		}
		if err != nil {
			return err
		}
		c.ExpiresAt = fromMs(exp)
		_, err = tx.ExecContext(ctx, "DELETE FROM auth_codes WHERE code_hash = ? OR expires_at < ?", c.CodeHash, ms(time.Now()))
		return err
	})
	if err != nil {
		return nil, wrap("consume auth code", err)
	}
	return &c, nil
}

// --- settings ---

// Setting returns an instance setting ("" and ErrNotFound when unset).
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", wrap("setting", storage.ErrNotFound)
	}
	return v, wrap("setting", err)
}

// SetSetting stores an instance setting.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	_, err := s.w.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value)
	return wrap("set setting", err)
}

// SettingOrCreate returns a setting, creating it with make() on first use;
// concurrent first uses (server and CLI) agree on one value.
func (s *Store) SettingOrCreate(ctx context.Context, key string, make func() (string, error)) (string, error) {
	if v, err := s.Setting(ctx, key); err == nil {
		return v, nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		return "", wrap("setting or create", err)
	}
	v, err := make()
	if err != nil {
		return "", wrap("setting or create", err)
	}
	if _, err := s.w.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING", key, v); err != nil {
		return "", wrap("setting or create", err)
	}
	var stored string
	err = s.w.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&stored)
	return stored, wrap("setting or create", err)
}

// --- outbox events ---

// insertEvents queues outbox events as jobs, in the transaction of the
// change they federate.
func insertEvents(ctx context.Context, tx *sql.Tx, events []model.OutboxEvent) error {
	jobs := make([]storage.Job, len(events))
	for i, ev := range events {
		if ev.Payload == "" {
			ev.Payload = "{}"
		}
		jobs[i] = storage.EventJob(ev)
	}
	if err := insertJobs(ctx, tx, jobs); err != nil {
		return err
	}
	for i := range events {
		events[i].ID = jobs[i].ID
	}
	return nil
}

// QueueEvents records outbox events on their own.
func (s *Store) QueueEvents(ctx context.Context, events []model.OutboxEvent) error {
	if len(events) == 0 {
		return nil
	}
	return wrap("queue events", s.tx(ctx, func(tx *sql.Tx) error { return insertEvents(ctx, tx, events) }))
}

// PendingEvents returns the oldest outbox events not yet turned into
// deliveries.
func (s *Store) PendingEvents(ctx context.Context, limit int) ([]model.OutboxEvent, error) {
	js, err := queryAll(ctx, s.w, "SELECT "+jobColumns+" FROM jobs WHERE kind = ? ORDER BY id LIMIT ?",
		[]any{storage.JobFederate, limit}, scanJob)
	if err != nil {
		return nil, wrap("pending events", err)
	}
	out := make([]model.OutboxEvent, 0, len(js))
	for i := range js {
		ev, err := storage.EventOf(&js[i])
		if err != nil {
			return nil, wrap("pending events", err)
		}
		out = append(out, ev)
	}
	return out, nil
}
