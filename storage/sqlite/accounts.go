package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

const accountColumns = `a.id, a.username, a.domain, a.display_name, a.note, a.note_source, a.fields, a.locked, a.bot,
	a.discoverable, a.actor_type, a.uri, a.url, a.inbox_url, a.shared_inbox_url, a.outbox_url, a.followers_url,
	a.following_url, a.featured_url, a.key_id, a.public_key_pem, a.private_key_pem, a.avatar_url, a.header_url,
	a.statuses_count, a.followers_count, a.following_count, a.last_status_at, a.created_at, a.updated_at,
	a.fetched_at, a.suspended_at, a.silenced_at, a.gone_at, a.moved_to_id, a.hide_collections, a.attribution_domains`

type scanner interface{ Scan(dest ...any) error }

func scanAccount(row scanner) (*model.Account, error) {
	var a model.Account
	var fields string
	var lastStatus, fetched, suspended, silenced, gone, moved sql.NullInt64
	var created, updated int64
	var attribution string
	err := row.Scan(&a.ID, &a.Username, &a.Domain, &a.DisplayName, &a.Note, &a.NoteSource, &fields, &a.Locked, &a.Bot,
		&a.Discoverable, &a.ActorType, &a.URI, &a.URL, &a.InboxURL, &a.SharedInboxURL, &a.OutboxURL, &a.FollowersURL,
		&a.FollowingURL, &a.FeaturedURL, &a.KeyID, &a.PublicKeyPEM, &a.PrivateKeyPEM, &a.AvatarURL, &a.HeaderURL,
		&a.StatusesCount, &a.FollowersCount, &a.FollowingCount, &lastStatus, &created, &updated,
		&fetched, &suspended, &silenced, &gone, &moved, &a.HideCollections, &attribution)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(fields), &a.Fields)
	a.LastStatusAt = fromNullMs(lastStatus)
	a.CreatedAt, a.UpdatedAt = fromMs(created), fromMs(updated)
	a.FetchedAt, a.SuspendedAt, a.SilencedAt, a.GoneAt = fromNullMs(fetched), fromNullMs(suspended), fromNullMs(silenced), fromNullMs(gone)
	a.MovedToID = moved.Int64
	if attribution != "" {
		a.AttributionDomains = strings.Split(attribution, "\n")
	}
	return &a, nil
}

func fieldsJSON(f []model.Field) string {
	if len(f) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(f)
	return string(b)
}

// AccountByID returns one account.
func (s *Store) AccountByID(ctx context.Context, accountID int64) (*model.Account, error) {
	v, err := scanAccount(s.r.QueryRowContext(ctx, "SELECT "+accountColumns+" FROM accounts a WHERE a.id = ?", accountID))
	return v, wrap("account by id", err)
}

// AccountsByIDs returns the accounts that exist among ids, keyed by id.
func (s *Store) AccountsByIDs(ctx context.Context, ids []int64) (map[int64]*model.Account, error) {
	v, err := s.accountsByIDs(ctx, accountColumns, ids)
	return v, wrap("accounts by ids", err)
}

// accountShowColumns are accountColumns without the keys: what showing an
// account needs. A local account's private key alone is most of its row.
var accountShowColumns = strings.NewReplacer("a.public_key_pem", "'' AS public_key_pem", "a.private_key_pem", "'' AS private_key_pem").Replace(accountColumns)

// AccountsToShow is AccountsByIDs without the accounts' keys (empty): for
// rendering pages, which show many accounts and never their keys.
func (s *Store) AccountsToShow(ctx context.Context, ids []int64) (map[int64]*model.Account, error) {
	v, err := s.accountsByIDs(ctx, accountShowColumns, ids)
	return v, wrap("accounts to show", err)
}

func (s *Store) accountsByIDs(ctx context.Context, columns string, ids []int64) (map[int64]*model.Account, error) {
	ids = dedupe(ids)
	out := make(map[int64]*model.Account, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err := queryEach(ctx, s.r, "SELECT "+columns+" FROM accounts a WHERE a.id IN ("+placeholders(len(ids))+")", int64Args(ids), func(row scanner) error {
		a, err := scanAccount(row)
		if err == nil {
			out[a.ID] = a
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AccountByUsername finds an account by username (case-insensitive) and
// domain ("" for local).
func (s *Store) AccountByUsername(ctx context.Context, username, domain string) (*model.Account, error) {
	v, err := scanAccount(s.r.QueryRowContext(ctx, "SELECT "+accountColumns+" FROM accounts a WHERE lower(a.username) = lower(?) AND a.domain = ?",
		username, strings.ToLower(domain)))
	return v, wrap("account by username", err)
}

// AccountByURI finds an account by its ActivityPub id.
func (s *Store) AccountByURI(ctx context.Context, uri string) (*model.Account, error) {
	v, err := scanAccount(s.r.QueryRowContext(ctx, "SELECT "+accountColumns+" FROM accounts a WHERE a.uri = ?", uri))
	return v, wrap("account by uri", err)
}

// AccountByKeyID finds a remote account by the id of its public key.
func (s *Store) AccountByKeyID(ctx context.Context, keyID string) (*model.Account, error) {
	v, err := scanAccount(s.r.QueryRowContext(ctx, "SELECT "+accountColumns+" FROM accounts a WHERE a.key_id = ?", keyID))
	return v, wrap("account by key id", err)
}

// AccountByURL finds an account of domain by its profile URL.
func (s *Store) AccountByURL(ctx context.Context, url, domain string) (*model.Account, error) {
	v, err := scanAccount(s.r.QueryRowContext(ctx, "SELECT "+accountColumns+" FROM accounts a WHERE a.url = ? AND a.domain = ? LIMIT 1", url, domain))
	return v, wrap("account by url", err)
}

// CountLocalAccounts counts local accounts.
func (s *Store) CountLocalAccounts(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM accounts WHERE domain = ''").Scan(&n)
	return n, wrap("count local accounts", err)
}

// CountLocalStatuses counts statuses written here (boosts excluded).
func (s *Store) CountLocalStatuses(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, "SELECT ifnull(sum(statuses_count), 0) FROM accounts WHERE domain = ''").Scan(&n)
	return n, wrap("count local statuses", err)
}

// CountKnownDomains counts remote domains with at least one account.
func (s *Store) CountKnownDomains(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, "SELECT count(DISTINCT domain) FROM accounts WHERE domain <> ''").Scan(&n)
	return n, wrap("count known domains", err)
}

// KnownDomains lists the remote domains with accounts, for instance/peers.
func (s *Store) KnownDomains(ctx context.Context, limit int) ([]string, error) {
	v, err := queryColumn[string](ctx, s.r, "SELECT DISTINCT domain FROM accounts WHERE domain <> '' ORDER BY domain LIMIT ?", limit)
	return v, wrap("known domains", err)
}

func insertAccount(ctx context.Context, tx *sql.Tx, a *model.Account) error {
	now := time.Now()
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now
	}
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = now
	}
	if a.ActorType == "" {
		a.ActorType = "Person"
	}
	for attempt := 0; ; attempt++ {
		if a.ID == 0 || attempt > 0 {
			a.ID = id.At(a.CreatedAt)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, username, domain, display_name, note, note_source, fields,
			locked, bot, discoverable, actor_type, uri, url, inbox_url, shared_inbox_url, outbox_url, followers_url,
			following_url, featured_url, key_id, public_key_pem, private_key_pem, avatar_url, header_url, created_at,
			updated_at, fetched_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			a.ID, a.Username, strings.ToLower(a.Domain), a.DisplayName, a.Note, a.NoteSource, fieldsJSON(a.Fields),
			b2i(a.Locked), b2i(a.Bot), b2i(a.Discoverable), a.ActorType, a.URI, a.URL, a.InboxURL, a.SharedInboxURL,
			a.OutboxURL, a.FollowersURL, a.FollowingURL, a.FeaturedURL, a.KeyID, a.PublicKeyPEM, a.PrivateKeyPEM,
			a.AvatarURL, a.HeaderURL, ms(a.CreatedAt), ms(a.UpdatedAt), msPtr(a.FetchedAt))
		if isUniqueViolation(err) && strings.Contains(err.Error(), "accounts.id") && attempt < 3 {
			continue
		}
		if isUniqueViolation(err) {
			return storage.ErrConflict
		}
		return err
	}
}

// CreateLocalAccount creates a local account and its user in one
// transaction. It fails with storage.ErrConflict when the username or the
// e-mail address is taken.
func (s *Store) CreateLocalAccount(ctx context.Context, a *model.Account, u *model.User) error {
	return wrap("create local account", s.tx(ctx, func(tx *sql.Tx) error {
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
		u.ID = a.ID
		u.AccountID = a.ID
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
		return err
	}))
}

// UpsertRemoteAccount creates a remote account, or refreshes the stored one
// with the same URI. It returns the stored account's ID.
func (s *Store) UpsertRemoteAccount(ctx context.Context, a *model.Account) error {
	return wrap("upsert remote account", s.tx(ctx, func(tx *sql.Tx) error {
		var existing int64
		err := tx.QueryRowContext(ctx, "SELECT id FROM accounts WHERE uri = ?", a.URI).Scan(&existing)
		if errors.Is(err, sql.ErrNoRows) {
			return insertAccount(ctx, tx, a)
		}
		if err != nil {
			return err
		}
		a.ID = existing
		_, err = tx.ExecContext(ctx, `UPDATE accounts SET username = ?, display_name = ?, note = ?, fields = ?, locked = ?,
			bot = ?, discoverable = ?, actor_type = ?, url = ?, inbox_url = ?, shared_inbox_url = ?, outbox_url = ?,
			followers_url = ?, following_url = ?, featured_url = ?, key_id = ?, public_key_pem = ?, avatar_url = ?,
			header_url = ?, updated_at = ?, fetched_at = ?, gone_at = NULL WHERE id = ?`,
			a.Username, a.DisplayName, a.Note, fieldsJSON(a.Fields), b2i(a.Locked), b2i(a.Bot), b2i(a.Discoverable),
			a.ActorType, a.URL, a.InboxURL, a.SharedInboxURL, a.OutboxURL, a.FollowersURL, a.FollowingURL, a.FeaturedURL,
			a.KeyID, a.PublicKeyPEM, a.AvatarURL, a.HeaderURL, ms(time.Now()), msPtr(a.FetchedAt), existing)
		if isUniqueViolation(err) {
			return storage.ErrConflict
		}
		return err
	}))
}

// UpdateProfile applies a profile update and queues the events in the same
// transaction.
func (s *Store) UpdateProfile(ctx context.Context, accountID int64, p storage.ProfileUpdate, events []model.OutboxEvent) error {
	return wrap("update profile", s.tx(ctx, func(tx *sql.Tx) error {
		sets := []string{"updated_at = ?"}
		args := []any{ms(time.Now())}
		add := func(col string, v any) { sets = append(sets, col+" = ?"); args = append(args, v) }
		if p.DisplayName != nil {
			add("display_name", *p.DisplayName)
		}
		if p.Note != nil {
			add("note", *p.Note)
		}
		if p.NoteSource != nil {
			add("note_source", *p.NoteSource)
		}
		if p.Fields != nil {
			add("fields", fieldsJSON(*p.Fields))
		}
		if p.Locked != nil {
			add("locked", b2i(*p.Locked))
		}
		if p.Bot != nil {
			add("bot", b2i(*p.Bot))
		}
		if p.Discoverable != nil {
			add("discoverable", b2i(*p.Discoverable))
		}
		if p.HideCollections != nil {
			add("hide_collections", b2i(*p.HideCollections))
		}
		if p.AttributionDomains != nil {
			add("attribution_domains", strings.Join(*p.AttributionDomains, "\n"))
		}
		args = append(args, accountID)
		res, err := tx.ExecContext(ctx, "UPDATE accounts SET "+strings.Join(sets, ", ")+" WHERE id = ?", args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return storage.ErrNotFound
		}
		return insertEvents(ctx, tx, events)
	}))
}

// MarkAccountGone records that a remote actor answered 410.
func (s *Store) MarkAccountGone(ctx context.Context, accountID int64) error {
	_, err := s.w.ExecContext(ctx, "UPDATE accounts SET gone_at = ? WHERE id = ? AND domain <> ''", ms(time.Now()), accountID)
	return wrap("mark account gone", err)
}

// DeleteAccount removes an account and everything that cascades from it.
func (s *Store) DeleteAccount(ctx context.Context, accountID int64) error {
	return wrap("delete account", s.tx(ctx, func(tx *sql.Tx) error {
		// Counters of the other side of follows.
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET followers_count = max(followers_count - 1, 0)
			WHERE id IN (SELECT target_id FROM follows WHERE account_id = ?)`, accountID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET following_count = max(following_count - 1, 0)
			WHERE id IN (SELECT account_id FROM follows WHERE target_id = ?)`, accountID); err != nil {
			return err
		}
		// Counters of others' statuses: its favourites, boosts and replies
		// go with it (the foreign keys cascade the rows, not the counts).
		// Held ones were never counted.
		if _, err := tx.ExecContext(ctx, `UPDATE statuses SET favourites_count = max(favourites_count - 1, 0)
			WHERE id IN (SELECT status_id FROM favourites WHERE account_id = ? AND pending_approval = 0)`, accountID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE statuses SET reblogs_count = max(reblogs_count - (SELECT count(*) FROM statuses b
				WHERE b.reblog_of_id = statuses.id AND b.account_id = ?1 AND b.pending_approval = 0), 0)
			WHERE account_id <> ?1 AND id IN (SELECT reblog_of_id FROM statuses WHERE account_id = ?1 AND reblog_of_id IS NOT NULL)`,
			accountID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE statuses SET replies_count = max(replies_count - (SELECT count(*) FROM statuses r
				WHERE r.in_reply_to_id = statuses.id AND r.account_id = ?1 AND r.pending_approval = 0), 0)
			WHERE account_id <> ?1 AND id IN (SELECT in_reply_to_id FROM statuses WHERE account_id = ?1 AND in_reply_to_id IS NOT NULL)`,
			accountID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM home_feed WHERE author_id = ?", accountID); err != nil {
			return err
		}
		// A local actor leaves a tombstone: its URI answers 410 from now on.
		if _, err := tx.ExecContext(ctx, `INSERT INTO tombstones (uri, deleted_at) SELECT uri, ? FROM accounts
			WHERE id = ? AND domain = '' AND uri <> '' ON CONFLICT(uri) DO NOTHING`, ms(time.Now()), accountID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM accounts WHERE id = ?", accountID)
		return err
	}))
}

// SearchAccounts finds accounts whose username or display name starts with q.
func (s *Store) SearchAccounts(ctx context.Context, q string, localOnly bool, limit, offset int) ([]*model.Account, error) {
	q = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(q), "@"))
	user, domain, hasDomain := strings.Cut(q, "@")
	like := strings.NewReplacer("%", `\%`, "_", `\_`, `\`, `\\`).Replace(user) + "%"
	query := "SELECT " + accountColumns + ` FROM accounts a WHERE a.suspended_at IS NULL AND
		(lower(a.username) LIKE ? ESCAPE '\' OR lower(a.display_name) LIKE ? ESCAPE '\')`
	args := []any{like, like}
	if hasDomain {
		query += " AND a.domain LIKE ? ESCAPE '\\'"
		args = append(args, strings.NewReplacer("%", `\%`, "_", `\_`).Replace(domain)+"%")
	}
	if localOnly {
		query += " AND a.domain = ''"
	}
	query += " ORDER BY (a.domain = '') DESC, a.followers_count DESC, a.id LIMIT ? OFFSET ?"
	args = append(args, limit, offset)
	v, err := queryAll(ctx, s.r, query, args, scanAccount)
	return v, wrap("search accounts", err)
}

// ListLocalAccounts pages through local accounts with their users.
func (s *Store) ListLocalAccounts(ctx context.Context, limit, offset int) ([]*model.Account, []*model.User, error) {
	var accts []*model.Account
	var users []*model.User
	err := queryEach(ctx, s.r, "SELECT "+accountColumns+", "+userColumns+
		" FROM accounts a JOIN users u ON u.account_id = a.id ORDER BY a.id LIMIT ? OFFSET ?", []any{limit, offset},
		func(r scanner) error {
			var a model.Account
			var u model.User
			if err := scanAccountUser(r, &a, &u); err != nil {
				return err
			}
			accts = append(accts, &a)
			users = append(users, &u)
			return nil
		})
	return accts, users, wrap("list local accounts", err)
}
