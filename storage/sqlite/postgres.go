package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL. The same store runs on it through pgx's database/sql driver:
// each connection rewrites the SQLite-dialect texts it is given
// (dialect.go), binds booleans as 0/1 (the schema keeps SQLite's integer
// flags, as BIGINT) and keeps its queries prepared (pgx's statement cache),
// so that PostgreSQL parses each text once per connection rather than at
// every run, and, once it has seen a few runs, plans it once too. An
// integer argument takes the type of the parameter it is bound to (pgInt),
// as SQLite's untyped ones do; a string is sent as text, which PostgreSQL
// reads as the parameter's type. pgx sends an Exec without arguments with
// the simple protocol, so the migrations (several commands each) run as
// they are. A kept statement is planned again by PostgreSQL when a table
// it reads changes; one whose result columns change fails once and is
// prepared again (the store names the columns it reads, so a migration
// adding some does not do that). Several processes may share one
// database: writes are not funnelled into one connection as on SQLite,
// and what must not race (claims, counters) takes row locks or runs as one
// atomic statement.

//go:embed migrations_postgres/*.sql
var pgMigrationFiles embed.FS

// OpenPostgres connects to the PostgreSQL database named by dsn (a URL or
// key=value string as libpq takes it) and applies the pending migrations.
// conns bounds the pool.
func OpenPostgres(ctx context.Context, dsn string, conns int) (*Store, error) {
	if conns < 2 {
		conns = 2
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres dsn: %w", err)
	}
	// Prepared once per connection and text (cached descriptions alone,
	// QueryExecModeCacheDescribe, still have every run parsed and planned).
	cfg.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	db := sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)})
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{w: db, r: db, dialect: dialectPostgres, cluster: newPgCluster(cfg)}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	if err := s.migratePostgres(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Postgres reports whether the store runs on PostgreSQL.
func (s *Store) Postgres() bool { return s.dialect == dialectPostgres }

// migratePostgres applies migrations_postgres in order, as migrate does on
// SQLite. Processes starting together take turns on an advisory lock.
func (s *Store) migratePostgres(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	migs, err := migrationList(pgMigrationFiles, "migrations_postgres")
	if err != nil {
		return err
	}
	for _, m := range migs {
		body, err := pgMigrationFiles.ReadFile("migrations_postgres/" + m.name)
		if err != nil {
			return err
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			// A key of our own for the migrations' advisory lock.
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7254911)"); err != nil {
				return err
			}
			var done bool
			if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)", m.version).Scan(&done); err != nil || done {
				return err
			}
			if _, err := tx.ExecContext(ctx, rawSQL+"\n"+string(body)); err != nil {
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

// serialize makes the write transactions that pass the same key take
// turns, where they read and then write what they read (a count against a
// limit, a list rewritten): on PostgreSQL, whose READ COMMITTED lets two
// processes read the same state, an advisory lock held until the
// transaction ends; SQLite's single writer already runs them one by one.
func (s *Store) serialize(ctx context.Context, tx *sql.Tx, key string) error {
	if s.dialect != dialectPostgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext(?))", key)
	return err
}

// pgConnector opens pgx connections wrapped in pgConn.
type pgConnector struct{ base driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	pc, ok := dc.(pgBaseConn)
	if !ok {
		dc.Close()
		return nil, errors.New("postgres: the driver's connection lacks the context methods")
	}
	return &pgConn{pgBaseConn: pc}, nil
}

func (c pgConnector) Driver() driver.Driver { return c.base.Driver() }

// pgBaseConn is what the store needs of a pgx stdlib connection.
type pgBaseConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
}

// pgConn rewrites every query text and binds booleans as integers.
type pgConn struct{ pgBaseConn }

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.pgBaseConn.PrepareContext(context.Background(), pgText(query))
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.pgBaseConn.PrepareContext(ctx, pgText(query))
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.pgBaseConn.ExecContext(ctx, pgText(query), args)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.pgBaseConn.QueryContext(ctx, pgText(query), args)
}

// CheckNamedValue turns the store's arguments into what pgx binds: the
// driver values database/sql knows, with booleans as 0/1, and text
// without NUL characters (PostgreSQL's text cannot hold one; SQLite's
// can): each becomes U+FFFD, so that a name with one matches nothing
// rather than failing the query.
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	switch v := nv.Value.(type) {
	case string:
		if strings.IndexByte(v, 0) >= 0 {
			nv.Value = strings.ReplaceAll(v, "\x00", "\uFFFD")
		}
		return nil
	case int64:
		nv.Value = pgInt(v)
		return nil
	case nil, float64, []byte, time.Time:
		return nil
	case bool:
		nv.Value = pgInt(b2i(v))
		return nil
	case driver.Valuer:
		dv, err := v.Value()
		if err != nil {
			return err
		}
		nv.Value = dv
		return c.CheckNamedValue(nv)
	}
	dv, err := driver.DefaultParameterConverter.ConvertValue(nv.Value)
	if err != nil {
		return nil // pgx knows more types (slices) than database/sql
	}
	nv.Value = dv
	if _, ok := dv.(driver.Valuer); ok {
		return nil
	}
	return c.CheckNamedValue(nv)
}

// pgInt is an integer argument that takes the type of the parameter it is
// bound to, as an untyped SQLite (or simple-protocol) literal does: pgx
// encodes it into a bigint or integer, a boolean (non-zero is true: the
// store binds its flags as 0/1, and a CASE WHEN ? takes one), a double or
// a text.
type pgInt int64

func (v pgInt) Int64Value() (pgtype.Int8, error) {
	return pgtype.Int8{Int64: int64(v), Valid: true}, nil
}

func (v pgInt) BoolValue() (pgtype.Bool, error) { return pgtype.Bool{Bool: v != 0, Valid: true}, nil }

func (v pgInt) Float64Value() (pgtype.Float8, error) {
	return pgtype.Float8{Float64: float64(v), Valid: true}, nil
}

func (v pgInt) TextValue() (pgtype.Text, error) {
	return pgtype.Text{String: strconv.FormatInt(int64(v), 10), Valid: true}, nil
}

// isPgRetryable reports a deadlock or a serialization failure: the
// transaction was rolled back and may run again.
func isPgRetryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// isPgUniqueViolation reports PostgreSQL's unique_violation.
func isPgUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// MigratePostgres applies the migrations to the database dsn names and
// closes it (tests make a template database with it).
func MigratePostgres(ctx context.Context, dsn string) error {
	s, err := OpenPostgres(ctx, dsn, 2)
	if err != nil {
		return err
	}
	return s.Close()
}

// PostgresSchemaKey names the PostgreSQL schema the migrations make: it
// changes with any migration file.
func PostgresSchemaKey() string {
	h := sha256.New()
	entries, _ := fs.ReadDir(pgMigrationFiles, "migrations_postgres")
	for _, e := range entries {
		body, _ := pgMigrationFiles.ReadFile("migrations_postgres/" + e.Name())
		h.Write([]byte(e.Name()))
		h.Write(body)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
