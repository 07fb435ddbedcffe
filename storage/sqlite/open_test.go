package sqlite

import (
	"context"
	"testing"

	"github.com/herald-social/herald/internal/testutil/pgtest"
)

// openStore opens an empty store for a test: on PostgreSQL when
// HERALD_TEST_POSTGRES_DSN names a server (a fresh database there), else
// SQLite in t.TempDir(). Tests of what only SQLite has (its files, its
// statement cache, its write lock) open SQLite themselves.
func openStore(t testing.TB, conns int) *Store {
	t.Helper()
	var s *Store
	var err error
	if pgtest.Enabled() {
		s, err = OpenPostgres(context.Background(), pgtest.DSNFrom(t, PostgresSchemaKey(), MigratePostgres), conns+4)
	} else {
		s, err = Open(context.Background(), t.TempDir(), conns)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
