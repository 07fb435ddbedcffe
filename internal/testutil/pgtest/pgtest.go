// Package pgtest gives tests a fresh PostgreSQL database on the server that
// HERALD_TEST_POSTGRES_DSN names (CI starts one: .ci/postgres.sh). Without
// that variable the tests that ask for one are skipped.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the server to make test databases on: a PostgreSQL URL
// (postgres://user@host:port/db?sslmode=disable) whose user may create
// databases.
const Env = "HERALD_TEST_POSTGRES_DSN"

// Enabled reports whether a server is configured.
func Enabled() bool { return os.Getenv(Env) != "" }

// DSN creates an empty database for this test and returns its DSN; the
// database is dropped when the test ends. Without Env it skips the test.
func DSN(t testing.TB) string {
	t.Helper()
	return DSNFrom(t, "", nil)
}

// DSNFrom is DSN with the new database a copy of a template that prepare
// (given the template's DSN) fills once per key and server: copying a
// migrated schema costs less than migrating each test's database. key
// must change when what prepare makes changes (a hash of the migrations).
func DSNFrom(t testing.TB, key string, prepare func(ctx context.Context, dsn string) error) string {
	t.Helper()
	return newDatabase(t, key, prepare, true)
}

// DSNKept is DSNFrom for a database that outlives the test that made it
// (a server restarted by the parent test on the same data): it is not
// dropped (a test cluster is thrown away whole).
func DSNKept(t testing.TB, key string, prepare func(ctx context.Context, dsn string) error) string {
	t.Helper()
	return newDatabase(t, key, prepare, false)
}

func newDatabase(t testing.TB, key string, prepare func(ctx context.Context, dsn string) error, drop bool) string {
	t.Helper()
	admin := os.Getenv(Env)
	if admin == "" {
		t.Skip("PostgreSQL tests skipped: set " + Env + " to a server's URL (see .ci/postgres.sh)")
	}
	name := "herald_test_" + randomHex()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", Env, err)
	}
	defer conn.Close(ctx)
	// template0 and the C collation: text sorts by bytes, as in SQLite.
	create := "CREATE DATABASE " + name + " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
	if prepare != nil {
		tmpl, err := template(ctx, conn, admin, key, prepare)
		if err != nil {
			t.Fatalf("pgtest: template: %v", err)
		}
		// FILE_COPY: a copy of the files, quicker than WAL_LOG's page by page.
		create = "CREATE DATABASE " + name + " TEMPLATE " + tmpl + " STRATEGY FILE_COPY"
	}
	if _, err := conn.Exec(ctx, create); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		if !drop {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
		}
	})
	dsn, err := WithDatabase(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// template returns the template database of key, making it if no test
// process made it yet: under an advisory lock, under a temporary name
// renamed once prepared, so that no test copies a half-made template.
func template(ctx context.Context, conn *pgx.Conn, admin, key string, prepare func(ctx context.Context, dsn string) error) (string, error) {
	name := "herald_tmpl_" + key
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil || exists {
		return name, err
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7254912)"); err != nil {
		return "", err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7254912)")
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil || exists {
		return name, err
	}
	tmp := "herald_tmpl_new_" + randomHex()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+tmp+" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"); err != nil {
		return "", err
	}
	dsn, err := WithDatabase(admin, tmp)
	if err == nil {
		err = prepare(ctx, dsn)
	}
	if err == nil {
		_, err = conn.Exec(ctx, "ALTER DATABASE "+tmp+" RENAME TO "+name)
	}
	if err != nil {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+tmp+" WITH (FORCE)")
		return "", err
	}
	return name, nil
}

func randomHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// WithDatabase returns dsn naming another database.
func WithDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("pgtest: %s: %w", Env, err)
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	return dsn + " dbname=" + name, nil
}
