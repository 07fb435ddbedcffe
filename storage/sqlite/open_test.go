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

// openStorePair opens two stores on one new database, as two processes
// would: two PostgreSQL pools, or two SQLite handles on one file.
func openStorePair(t testing.TB) (*Store, *Store) {
	t.Helper()
	ctx := context.Background()
	if pgtest.Enabled() {
		dsn := pgtest.DSNFrom(t, PostgresSchemaKey(), MigratePostgres)
		a, err := OpenPostgres(ctx, dsn, 6)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		b, err := OpenPostgres(ctx, dsn, 6)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return a, b
	}
	a := openStore(t, 2)
	b, err := OpenFile(ctx, a.Path(), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}
