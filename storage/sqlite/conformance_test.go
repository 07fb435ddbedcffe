package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/herald-social/herald/internal/testutil/pgtest"
	"github.com/herald-social/herald/storage"
	"github.com/herald-social/herald/storage/sqlite"
	"github.com/herald-social/herald/storage/storetest"
)

// TestConformance runs the stores' shared conformance suite on SQLite: a
// fresh database in its own directory for every case.
func TestConformance(t *testing.T) {
	// Migrating a database is most of the cost of opening one: the cases
	// start from copies of one migrated, empty database.
	tmpl := filepath.Join(t.TempDir(), sqlite.DBFile)
	s, err := sqlite.OpenFile(context.Background(), tmpl, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // checkpoints the WAL into the file
		t.Fatal(err)
	}
	empty, err := os.ReadFile(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T) storage.Store {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, sqlite.DBFile), empty, sqlite.PrivateFileMode); err != nil {
			t.Fatal(err)
		}
		s, err := sqlite.Open(context.Background(), dir, 2)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestConformancePostgres runs the same suite on PostgreSQL (skipped
// unless HERALD_TEST_POSTGRES_DSN names a server): each case gets its own
// database, a copy of one migrated template.
func TestConformancePostgres(t *testing.T) {
	if !pgtest.Enabled() {
		t.Skip("PostgreSQL tests skipped: set " + pgtest.Env + " (see .ci/postgres.sh)")
	}
	storetest.Run(t, func(t *testing.T) storage.Store {
		s, err := sqlite.OpenPostgres(context.Background(), pgtest.DSNFrom(t, sqlite.PostgresSchemaKey(), sqlite.MigratePostgres), 4)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
