// Package sqlite is Herald's SQL store: on an embedded SQLite database
// (modernc.org/sqlite, no cgo), the default, or on PostgreSQL (pgx; see
// postgres.go and dialect.go: the same methods and SQL, rewritten for
// PostgreSQL per connection). All SQL lives in this package.
//
// Concurrency: SQLite allows one writer at a time. The store keeps one
// connection for writes, whose transactions begin IMMEDIATE so they queue
// on the write lock instead of failing half-way, and a pool of read-only
// connections that WAL lets run beside the writer. A busy timeout covers the
// other processes that open the same file (the CLI while the server runs).
//
// Speed: every connection keeps its prepared statements (stmtcache.go).
// The table cache_versions holds counters that triggers bump with every
// change to what core caches (migration 0027); reading one costs no query
// while the WAL index in the -shm file shows that nothing committed since
// the last read (walwatch_unix.go).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is the SQLite implementation of storage.Store.
type Store struct {
	w       *sql.DB // one connection: all writes (on PostgreSQL, the one pool)
	r       *sql.DB // read-only pool (on PostgreSQL, the same pool as w)
	path    string
	dialect dialect // the engine the SQL is sent to (dialect.go)

	// The write transactions' counts, for the metrics (WriteStats).
	writeTxs, writeWaitNs, busyErrs atomic.Int64
	wal                             *walWatch                      // commits seen without a query (walwatch_unix.go)
	versionSeen                     [2]atomic.Pointer[versionSeen] // the last auth and accounts versions read, with the WAL header then
	// holdDB's one connection stays open for the store's life, so that the
	// -shm file walWatch maps cannot be replaced under it (SQLite only).
	holdDB   *sql.DB
	holdConn *sql.Conn
	// cluster is the process's own connection on PostgreSQL (cluster.go);
	// nil on SQLite.
	cluster *pgCluster
}

// DBFile is the database file's name inside data_dir.
const DBFile = "herald.db"

// The database holds every actor's private key, the session secret and the
// two-factor secrets: only the server's own user may read it. SQLite creates
// its -wal and -shm files with the mode of the database file, so creating
// the database 0600 covers all three.
const (
	PrivateDirMode  os.FileMode = 0o700
	PrivateFileMode os.FileMode = 0o600
)

// Open opens (creating if needed) the database in dataDir and applies any
// pending migrations.
func Open(ctx context.Context, dataDir string, readConns int) (*Store, error) {
	if err := os.MkdirAll(dataDir, PrivateDirMode); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dataDir, DBFile)
	return OpenFile(ctx, path, readConns)
}

// OpenFile opens a database at an exact path.
func OpenFile(ctx context.Context, path string, readConns int) (*Store, error) {
	if readConns < 1 {
		readConns = 1
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	common := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_time_format=sqlite"
	w := openCached("file:" + url.PathEscape(path) + "?" + common + "&_pragma=journal_mode(WAL)&_txlock=immediate")
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	s := &Store{w: w, path: path, wal: newWalWatch(path)}
	// The first connection switches the file to WAL; do it before readers open.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	// Migrating fills the write connection's page cache with pages that the
	// server, idle, does not read again: give them back.
	_, _ = w.ExecContext(ctx, "PRAGMA shrink_memory")
	r := openCached("file:" + url.PathEscape(path) + "?" + common + "&_pragma=query_only(1)")
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns)
	r.SetConnMaxIdleTime(5 * time.Minute)
	s.r = r
	s.holdFile(ctx, common)
	return s, nil
}

// holdFile opens a connection kept until Close and reads through it once,
// which maps the WAL index and takes its dead-man-switch lock: while it
// lasts no connection of any process is the first or last on the file, so
// SQLite never resets or removes the -shm file and walWatch may skip its
// stat. Without it (an error here) walWatch stats at each look, as before.
func (s *Store) holdFile(ctx context.Context, common string) {
	db := openCached("file:" + url.PathEscape(s.path) + "?" + common + "&_pragma=query_only(1)")
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err == nil {
		var n int
		err = conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n)
	}
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		db.Close()
		return
	}
	s.holdDB, s.holdConn = db, conn
	s.wal.hold(true)
}

// createPrivate creates an empty database file readable by its owner only,
// unless it exists already (SQLite would otherwise create it 0644).
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, PrivateFileMode)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", path, err)
	}
	return f.Close()
}

// ExposedFiles lists the data directory and database files that users other
// than the owner can read (or, for the directory, enter), for a warning at
// start: a data directory made by hand or by an older Herald may be open.
func ExposedFiles(dataDir string) []string {
	var out []string
	if st, err := os.Stat(dataDir); err == nil && st.Mode().Perm()&0o005 != 0 {
		out = append(out, dataDir)
	}
	for _, name := range []string{DBFile, DBFile + "-wal", DBFile + "-shm"} {
		p := filepath.Join(dataDir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().Perm()&0o004 != 0 {
			out = append(out, p)
		}
	}
	return out
}

// Close closes both pools, checkpointing the WAL.
func (s *Store) Close() error {
	if s.dialect == dialectPostgres {
		s.closeCluster()
		return wrap("close", s.w.Close())
	}
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.holdConn != nil {
		s.wal.hold(false)
		errs = append(errs, s.holdConn.Close(), s.holdDB.Close())
	}
	_, _ = s.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	errs = append(errs, s.w.Close())
	s.wal.close()
	return wrap("close", errors.Join(errs...))
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// IntegrityCheck runs PRAGMA integrity_check and returns its verdict. On
// PostgreSQL, which checks its pages itself, it answers "ok" once the
// server answers a query.
func (s *Store) IntegrityCheck(ctx context.Context) (string, error) {
	if s.dialect == dialectPostgres {
		var one int
		if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
			return "", wrap("integrity check", err)
		}
		return "ok", nil
	}
	var v string
	err := s.r.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&v)
	return v, wrap("integrity check", err)
}

// migrate applies the embedded migrations in order; each file is one
// version, applied in its own transaction and recorded in schema_migrations.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	migs, err := migrationList(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	versions, err := queryColumn[int](ctx, s.w, "SELECT version FROM schema_migrations")
	if err != nil {
		return err
	}
	applied := map[int]bool{}
	for _, v := range versions {
		applied[v] = true
	}
	for _, m := range migs {
		if applied[m.version] {
			continue
		}
		body, err := migrationFiles.ReadFile("migrations/" + m.name)
		if err != nil {
			return err
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// tx runs fn in a write transaction, committing when it returns nil. On
// PostgreSQL a transaction that lost a deadlock (two processes updating
// the same rows in opposite orders: a follow each way) runs again, up to
// five times; fn starts over, with no rows of its first run.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	err := s.tx1(ctx, fn)
	for try := 1; try < 5 && s.dialect == dialectPostgres && isPgRetryable(err); try++ {
		err = s.tx1(ctx, fn)
	}
	return err
}

func (s *Store) tx1(ctx context.Context, fn func(*sql.Tx) error) error {
	start := time.Now()
	tx, err := s.w.BeginTx(ctx, nil)
	s.writeTxs.Add(1)
	s.writeWaitNs.Add(int64(time.Since(start)))
	if err != nil {
		s.countBusy(err)
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		s.countBusy(err)
		return err
	}
	err = tx.Commit()
	s.countBusy(err)
	return err
}

// countBusy counts err if it is SQLite's "database is locked": the busy
// timeout ran out while another process (the CLI, a backup) held the lock.
func (s *Store) countBusy(err error) {
	var se *sqlite.Error
	if errors.As(err, &se) {
		if c := se.Code() & 0xff; c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED {
			s.busyErrs.Add(1)
		}
	}
}

// WriteStats counts the write transactions so far, their total wait to
// begin (for the one writer connection and SQLite's write lock: the busy
// waits) and those that failed on a lock held too long.
func (s *Store) WriteStats() (txs int64, wait time.Duration, busy int64) {
	return s.writeTxs.Load(), time.Duration(s.writeWaitNs.Load()), s.busyErrs.Load()
}

// Pools are the writer's and the readers' connection pools, for their
// statistics (open, in use, waits) in the metrics. Nothing outside this
// package runs SQL on them.
func (s *Store) Pools() (writer, reader *sql.DB) { return s.w, s.r }

// Helpers shared by the files of this package.

func ms(t time.Time) int64 { return t.UnixMilli() }

func msPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func fromMs(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMs(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.UnixMilli(v.Int64).UTC()
	return &t
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nullID(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, v := range ids {
		out[i] = v
	}
	return out
}

// isUniqueViolation reports a UNIQUE or PRIMARY KEY constraint failure.
func isUniqueViolation(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "UNIQUE constraint failed") || isPgUniqueViolation(err))
}

// migration is one file of a migrations directory.
type migration struct {
	version int
	name    string
}

// migrationList reads a migrations directory (files named NNNN_what.sql),
// in version order.
func migrationList(files fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return nil, err
	}
	var migs []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", e.Name())
		}
		migs = append(migs, migration{v, e.Name()})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].version < migs[j].version })
	return migs, nil
}
