package sqlite

// Seeding for benchmarks (herald bench): a realistic database at scale,
// written in SQL inside SQLite (INSERT … SELECT over recursive counters) in
// big transactions, so that a million statuses take seconds rather than
// the hours the domain layer would need. Nothing here runs in a server.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// SeedSpec describes the database Seed writes into an empty store.
type SeedSpec struct {
	// BaseURL is the instance's origin (http://127.0.0.1:8080): local
	// accounts and statuses get their ids under it.
	BaseURL string
	// Statuses, by local and remote authors drawn evenly from all
	// accounts, one second apart, the last a minute ago.
	Statuses int
	// LocalAccounts (with users) and RemoteAccounts on RemoteDomains
	// domains (r0.bench.example, r1.bench.example, ...).
	LocalAccounts  int
	RemoteAccounts int
	RemoteDomains  int
	// RemoteInboxes, when not empty, is the shared inbox of each remote
	// domain, cycled over the domains (a loopback sink for benchmarks);
	// otherwise https://rN.bench.example/inbox.
	RemoteInboxes []string
	// Follows is how many accounts (local or remote) each local account
	// follows; RemoteFollows is how many local accounts each remote
	// account follows (so local posts have remote inboxes to go to).
	Follows       int
	RemoteFollows int
	// PrivateKeyPEM / PublicKeyPEM: the key pair every seeded local
	// account shares (generating one per account would take minutes).
	PrivateKeyPEM, PublicKeyPEM string
	// PasswordHash is every seeded user's password hash.
	PasswordHash string
	// Tokens: an access token (scopes "read write follow push") is made
	// for each of the first Tokens local accounts.
	Tokens int
	// Extra accounts for the federation phases of the benchmark.
	//
	// FanoutInboxes: a local account "fanout" (with a token) is followed
	// by one remote account per inbox (each on the inbox's host).
	FanoutInboxes []string
	// Sender, when set, is a remote actor URI (its key is left to be
	// fetched) that SenderFollowers local accounts follow.
	Sender          string
	SenderInbox     string
	SenderFollowers int
}

// SeedResult tells the benchmark what it can use.
type SeedResult struct {
	// Tokens of the first local accounts, and their account ids.
	Tokens     []string
	AccountIDs []int64
	Usernames  []string
	// FanoutToken is the "fanout" account's token (when FanoutInboxes).
	FanoutToken string
	// Rows written, by table.
	Rows map[string]int64
}

// SeedUsername is the username of local account i.
func SeedUsername(i int) string { return fmt.Sprintf("user%d", i) }

// Seed fills an empty store as described by spec.
func Seed(ctx context.Context, s *Store, spec SeedSpec) (*SeedResult, error) {
	if spec.LocalAccounts < 1 || spec.RemoteAccounts < 0 || spec.Statuses < 0 {
		return nil, errors.New("seed: need at least one local account")
	}
	if spec.RemoteDomains < 1 {
		spec.RemoteDomains = 1
	}
	if spec.PrivateKeyPEM == "" || spec.PublicKeyPEM == "" {
		return nil, errors.New("seed: a key pair is needed")
	}
	base := strings.TrimSuffix(spec.BaseURL, "/")
	var n int64
	if err := s.w.QueryRowContext(ctx, "SELECT count(*) FROM accounts").Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, errors.New("seed: the store is not empty")
	}
	// A big page cache and no foreign-key checks for the writer while
	// seeding (restored at the end): everything written is consistent by
	// construction.
	for _, p := range []string{"PRAGMA foreign_keys = OFF", "PRAGMA cache_size = -262144"} {
		if _, err := s.w.ExecContext(ctx, p); err != nil {
			return nil, err
		}
	}
	defer func() {
		_, _ = s.w.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON")
		_, _ = s.w.ExecContext(context.WithoutCancel(ctx), "PRAGMA cache_size = -2000")
	}()

	now := time.Now()
	// Time line: accounts created before the first status; statuses one
	// second apart ending a minute ago.
	t0 := now.Add(-time.Minute - time.Duration(spec.Statuses)*time.Second).UnixMilli()
	accT := t0 - 86_400_000 // accounts: a day before, 1 ms apart
	L, R, D := spec.LocalAccounts, spec.RemoteAccounts, spec.RemoteDomains
	res := &SeedResult{Rows: map[string]int64{}}
	// Account index a: 0..L-1 local (user<a>), L..L+R-1 remote (r<a> on
	// domain r<a mod D>). Ids: (accT + a) << 16.
	inboxCase := "'https://r' || (a % " + seedItoa(D) + ") || '.bench.example/inbox'"
	if len(spec.RemoteInboxes) > 0 {
		var b strings.Builder
		b.WriteString("CASE (a % " + seedItoa(D) + ") % " + seedItoa(len(spec.RemoteInboxes)))
		for i, u := range spec.RemoteInboxes {
			b.WriteString(" WHEN " + seedItoa(i) + " THEN " + seedQuote(u))
		}
		b.WriteString(" END")
		inboxCase = b.String()
	}
	exec := func(tx *sql.Tx, table, q string, args ...any) error {
		var r sql.Result
		var err error
		if tx == nil {
			r, err = s.w.ExecContext(ctx, q, args...)
		} else {
			r, err = tx.ExecContext(ctx, q, args...)
		}
		if err != nil {
			return fmt.Errorf("seed %s: %w", table, err)
		}
		if table != "" {
			k, _ := r.RowsAffected()
			res.Rows[table] += k
		}
		return nil
	}
	counter := func(name string, n int) string {
		return "WITH RECURSIVE " + name + "(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM " + name + " WHERE x + 1 < " + seedItoa(n) + ") "
	}
	nowMs := now.UnixMilli()
	localFollowBase := accT + int64(L+R) + 1_000
	remoteFollowBase := accT + int64(L+R) + 100_000
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// Local accounts and their users.
		if err := exec(tx, "accounts", counter("n", L)+`INSERT INTO accounts (id, username, domain, display_name, uri, url,
			inbox_url, shared_inbox_url, outbox_url, followers_url, following_url, featured_url, key_id, public_key_pem,
			private_key_pem, created_at, updated_at)
			SELECT (?1 + x) << 16, 'user' || x, '', 'User ' || x, ?2 || x, ?3 || x, ?2 || x || '/inbox', ?4,
			  ?2 || x || '/outbox', ?2 || x || '/followers', ?2 || x || '/following', ?2 || x || '/collections/featured',
			  ?2 || x || '#main-key', ?5, ?6, ?1 + x, ?1 + x FROM n`,
			accT, base+"/users/user", base+"/@user", base+"/inbox", spec.PublicKeyPEM, spec.PrivateKeyPEM); err != nil {
			return err
		}
		if err := exec(tx, "users", counter("n", L)+`INSERT INTO users (id, account_id, email, password_hash, role, approved,
			confirmed_at, locale, default_visibility, created_at)
			SELECT (?1 + x) << 16, (?1 + x) << 16, 'user' || x || '@bench.example', ?2, 'user', 1, ?1 + x, 'en', 'public', ?1 + x
			FROM n`, accT, spec.PasswordHash); err != nil {
			return err
		}
		// Remote accounts, with the shared public key (never used to
		// verify: they do not send anything).
		if R > 0 {
			if err := exec(tx, "accounts", counter("m", R)+`, n(a) AS (SELECT x + ?1 FROM m)
				INSERT INTO accounts (id, username, domain, display_name, uri, url, inbox_url, shared_inbox_url,
				  outbox_url, followers_url, following_url, key_id, public_key_pem, created_at, updated_at, fetched_at)
				SELECT (?2 + a) << 16, 'r' || a, 'r' || (a % ?3) || '.bench.example', 'Remote ' || a,
				  'https://r' || (a % ?3) || '.bench.example/users/r' || a, 'https://r' || (a % ?3) || '.bench.example/@r' || a,
				  'https://r' || (a % ?3) || '.bench.example/users/r' || a || '/inbox', `+inboxCase+`,
				  'https://r' || (a % ?3) || '.bench.example/users/r' || a || '/outbox',
				  'https://r' || (a % ?3) || '.bench.example/users/r' || a || '/followers',
				  'https://r' || (a % ?3) || '.bench.example/users/r' || a || '/following',
				  'https://r' || (a % ?3) || '.bench.example/users/r' || a || '#main-key', ?4, ?2 + a, ?2 + a, ?5 FROM n`,
				L, accT, D, spec.PublicKeyPEM, nowMs); err != nil {
				return err
			}
		}
		// Local accounts follow Follows accounts each (pseudo-random,
		// never themselves; duplicates dropped).
		total := L + R
		if spec.Follows > 0 && total > 1 {
			if err := exec(tx, "follows", counter("n", L*spec.Follows)+`, p(j, t, k) AS (
				  SELECT x / ?1, ((x / ?1) * 7919 + (x % ?1) * 104729 + 13) % ?2, x FROM n)
				INSERT OR IGNORE INTO follows (id, account_id, target_id, uri, created_at)
				SELECT (?3 << 16) + k, (?4 + j) << 16, (?4 + t) << 16,
				  CASE WHEN t >= ?5 THEN ?6 || j || '#follows/' || k ELSE '' END, ?4
				FROM p WHERE t <> j`,
				spec.Follows, total, localFollowBase, accT, L, base+"/users/user"); err != nil {
				return err
			}
		}
		// Remote accounts follow RemoteFollows local accounts each.
		if spec.RemoteFollows > 0 && R > 0 {
			if err := exec(tx, "follows", counter("n", R*spec.RemoteFollows)+`, p(r, t, k) AS (
				  SELECT ?1 + x / ?2, ((x / ?2) * 31 + (x % ?2) * 7 + 1) % ?1, x FROM n)
				INSERT OR IGNORE INTO follows (id, account_id, target_id, uri, created_at)
				SELECT (?3 << 16) + k, (?4 + r) << 16, (?4 + t) << 16,
				  'https://r' || (r % ?5) || '.bench.example/follows/' || k, ?4 FROM p`,
				L, spec.RemoteFollows, remoteFollowBase, accT, D); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO tags (id, name, created_at) VALUES (1, 'bench', ?)", accT)
		return err
	})
	if err != nil {
		return nil, err
	}

	// Secondary indexes of the big tables are dropped while they fill and
	// made again at the end (sorting once beats a million B-tree inserts);
	// their definitions are read back from the schema, whatever the
	// migrations made them.
	type index struct{ name, sql string }
	indexes, err := queryAll(ctx, s.w, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
		AND tbl_name IN ('statuses', 'home_feed', 'mentions', 'status_tags', 'notifications') AND sql NOT LIKE 'CREATE UNIQUE%'`, nil,
		func(row scanner) (index, error) {
			var ix index
			err := row.Scan(&ix.name, &ix.sql)
			return ix, err
		})
	if err != nil {
		return nil, err
	}
	for _, ix := range indexes {
		if _, err := s.w.ExecContext(ctx, "DROP INDEX "+ix.name); err != nil {
			return nil, err
		}
	}
	indexesDropped := true
	defer func() {
		if indexesDropped { // an error on the way: leave the schema whole
			for _, ix := range indexes {
				_, _ = s.w.ExecContext(context.WithoutCancel(ctx), ix.sql)
			}
		}
	}()

	// Statuses, in chunks: each chunk writes its statuses, then their home
	// feed rows as fan-out would (the author's own row when local, one row
	// per local follower), mentions with their notifications, and tags.
	const chunk = 100_000
	contents := []string{
		"<p>A typical status of a typical length, with some words in it, a few more words, and then some.</p>",
		"<p>Good morning! The office opens at nine today; the public counter closes early at three.</p>",
		"<p>Our new report is out: read it on the website. Questions welcome, we answer every one.</p><p>Thank you.</p>",
		"<p>Reminder: the consultation closes on Friday. Have your say before the deadline, it matters.</p>",
	}
	contentCase := "CASE i % 4"
	for k, c := range contents {
		contentCase += " WHEN " + seedItoa(k) + " THEN " + seedQuote(c)
	}
	contentCase += " END"
	for start := 0; start < spec.Statuses; start += chunk {
		n := min(chunk, spec.Statuses-start)
		err := s.tx(ctx, func(tx *sql.Tx) error {
			// i: status number; a: author index; sid: id; t: time.
			gen := counter("n", n) + `, g(i, a, sid, t) AS (
				SELECT ?1 + x, ((?1 + x) * 2654435761 % 4294967296) % ?2, (?3 + (?1 + x) * 1000) << 16, ?3 + (?1 + x) * 1000
				FROM n)`
			args := []any{start, L + R, t0}
			if err := exec(tx, "statuses", gen+`
				INSERT INTO statuses (id, uri, url, account_id, local, in_reply_to_id, in_reply_to_account_id, content, text,
				  visibility, language, created_at)
				SELECT sid,
				  CASE WHEN a < ?4 THEN ?5 || a || '/statuses/' || sid
				    ELSE 'https://r' || (a % ?6) || '.bench.example/users/r' || a || '/statuses/' || sid END,
				  CASE WHEN a < ?4 THEN ?7 || a || '/' || sid ELSE 'https://r' || (a % ?6) || '.bench.example/@r' || a || '/' || sid END,
				  (?8 + a) << 16, a < ?4, NULL, NULL, `+contentCase+`, CASE WHEN a < ?4 THEN 'status ' || i ELSE '' END,
				  CASE WHEN i % 20 = 19 THEN 2 WHEN i % 10 = 3 THEN 1 ELSE 0 END, 'en', t FROM g`,
				append(args, L, base+"/users/user", D, base+"/@user", accT)...); err != nil {
				return err
			}
			lo, hi := (t0+int64(start)*1000)<<16, (t0+int64(start+n)*1000)<<16
			// Fan-out. Rows for one account append at the end of its
			// range (ids grow), so the B-tree writes stay in cache.
			if err := exec(tx, "home_feed", `INSERT INTO home_feed (account_id, status_id, author_id)
				SELECT account_id, status_id, author_id FROM (
				  SELECT s.account_id AS account_id, s.id AS status_id, s.account_id AS author_id FROM statuses s
				    WHERE s.id >= ?1 AND s.id < ?2 AND s.local = 1
				  UNION ALL
				  SELECT f.account_id, s.id, s.account_id FROM statuses s
				    JOIN follows f ON f.target_id = s.account_id
				    WHERE s.id >= ?1 AND s.id < ?2 AND f.account_id >= ?3 AND f.account_id < ?4)
				ORDER BY status_id`, lo, hi, accT<<16, (accT+int64(L))<<16); err != nil {
				return err
			}
			// Every tenth status mentions a local account.
			if err := exec(tx, "mentions", gen+`
				INSERT OR IGNORE INTO mentions (status_id, account_id)
				SELECT sid, (?4 + (i * 7 + 1) % ?5) << 16 FROM g WHERE i % 10 = 5`, append(args, accT, L)...); err != nil {
				return err
			}
			if err := exec(tx, "notifications", `INSERT OR IGNORE INTO notifications (id, account_id, from_account_id, type, status_id, created_at)
				SELECT m.status_id + 1, m.account_id, s.account_id, ?1, s.id, s.created_at
				FROM mentions m JOIN statuses s ON s.id = m.status_id
				WHERE m.status_id >= ?2 AND m.status_id < ?3 AND m.account_id <> s.account_id`,
				model.NotifyMention, lo, hi); err != nil {
				return err
			}
			// Every twentieth status carries #bench.
			return exec(tx, "status_tags", gen+`
				INSERT INTO status_tags (tag_id, status_id) SELECT 1, sid FROM g WHERE i % 20 = 7`, args...)
		})
		if err != nil {
			return nil, err
		}
	}

	for _, ix := range indexes {
		if err := exec(nil, "", ix.sql); err != nil {
			return nil, err
		}
	}
	indexesDropped = false

	// The benchmark's own accounts, counters, and tokens.
	fanoutID := (accT - 100) << 16
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if len(spec.FanoutInboxes) > 0 {
			u := base + "/users/fanout"
			if err := exec(tx, "accounts", `INSERT INTO accounts (id, username, domain, display_name, uri, url, inbox_url,
				shared_inbox_url, outbox_url, followers_url, following_url, featured_url, key_id, public_key_pem,
				private_key_pem, created_at, updated_at) VALUES (?1, 'fanout', '', 'Fan-out', ?2, ?3, ?2 || '/inbox', ?4,
				?2 || '/outbox', ?2 || '/followers', ?2 || '/following', ?2 || '/collections/featured', ?2 || '#main-key',
				?5, ?6, ?7, ?7)`, fanoutID, u, base+"/@fanout", base+"/inbox", spec.PublicKeyPEM, spec.PrivateKeyPEM, accT); err != nil {
				return err
			}
			if err := exec(tx, "users", `INSERT INTO users (id, account_id, email, password_hash, role, approved, confirmed_at,
				locale, default_visibility, created_at) VALUES (?1, ?1, 'fanout@bench.example', ?2, 'user', 1, ?3, 'en', 'public', ?3)`,
				fanoutID, spec.PasswordHash, accT); err != nil {
				return err
			}
			for k, inbox := range spec.FanoutInboxes {
				host := seedHost(inbox)
				id := (accT - 1_000 - int64(k)) << 16
				actor := "http://" + host + "/users/sink" + seedItoa(k)
				if err := exec(tx, "accounts", `INSERT INTO accounts (id, username, domain, uri, url, inbox_url, shared_inbox_url,
					key_id, public_key_pem, created_at, updated_at, fetched_at) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?)`,
					id, "sink"+seedItoa(k), host, actor, actor, inbox, actor+"#main-key", spec.PublicKeyPEM, accT, accT, nowMs); err != nil {
					return err
				}
				if err := exec(tx, "follows", `INSERT INTO follows (id, account_id, target_id, uri, created_at) VALUES (?, ?, ?, ?, ?)`,
					(accT-100_000-int64(k))<<16, id, fanoutID, actor+"#follow", accT); err != nil {
					return err
				}
			}
		}
		if spec.Sender != "" {
			host := seedHost(spec.Sender)
			id := (accT - 50) << 16
			name := spec.Sender[strings.LastIndex(spec.Sender, "/")+1:]
			if err := exec(tx, "accounts", `INSERT INTO accounts (id, username, domain, uri, url, inbox_url, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, name, host, spec.Sender, spec.Sender, spec.SenderInbox, accT, accT); err != nil {
				return err
			}
			for j := 0; j < min(spec.SenderFollowers, L); j++ {
				if err := exec(tx, "follows", `INSERT INTO follows (id, account_id, target_id, uri, created_at) VALUES (?, ?, ?, ?, ?)`,
					(accT-200_000-int64(j))<<16, (accT+int64(j))<<16, id, base+"/users/user"+seedItoa(j)+"#follows/sender", accT); err != nil {
					return err
				}
			}
		}
		// Counters, as the domain layer keeps them.
		for _, q := range []string{
			`UPDATE accounts SET statuses_count = (SELECT count(*) FROM statuses s WHERE s.account_id = accounts.id),
			   last_status_at = (SELECT max(created_at) FROM statuses s WHERE s.account_id = accounts.id)`,
			`UPDATE accounts SET followers_count = (SELECT count(*) FROM follows f WHERE f.target_id = accounts.id),
			   following_count = (SELECT count(*) FROM follows f WHERE f.account_id = accounts.id)`,
		} {
			if err := exec(tx, "", q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := 0; i < min(spec.Tokens, L); i++ {
		plain := randomSeedToken()
		t := &model.Token{UserID: (accT + int64(i)) << 16, Scopes: "read write follow push"}
		if err := s.CreateToken(ctx, t, plain); err != nil {
			return nil, err
		}
		res.Tokens = append(res.Tokens, plain)
		res.AccountIDs = append(res.AccountIDs, (accT+int64(i))<<16)
		res.Usernames = append(res.Usernames, SeedUsername(i))
	}
	if len(spec.FanoutInboxes) > 0 {
		plain := randomSeedToken()
		if err := s.CreateToken(ctx, &model.Token{UserID: fanoutID, Scopes: "read write follow push"}, plain); err != nil {
			return nil, err
		}
		res.FanoutToken = plain
	}
	if _, err := s.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return nil, err
	}
	return res, nil
}

func seedItoa(n int) string { return strconv.Itoa(n) }

// seedQuote is an SQL string literal.
func seedQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// seedHost is the host[:port] of an http(s) URL.
func seedHost(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return strings.ToLower(rest)
}

func randomSeedToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
