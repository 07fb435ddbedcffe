package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/herald-social/herald/internal/testutil/pgtest"
	"github.com/herald-social/herald/storage/sqlite"
)

// A seeded database of a few thousand rows (several batches a table)
// goes to PostgreSQL and back with the same row counts in every table.
func TestCopyToBatches(t *testing.T) {
	ctx := context.Background()
	a, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a"), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := sqlite.Seed(ctx, a, sqlite.SeedSpec{BaseURL: "http://127.0.0.1:1", Statuses: 1700, LocalAccounts: 30,
		RemoteAccounts: 20, RemoteDomains: 2, Follows: 10, RemoteFollows: 3, Tokens: 3, PasswordHash: "x",
		PrivateKeyPEM: "k", PublicKeyPEM: "k"}); err != nil {
		t.Fatal(err)
	}
	pg, err := sqlite.OpenPostgres(ctx, pgtest.DSNFrom(t, sqlite.PostgresSchemaKey(), sqlite.MigratePostgres), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	b, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "b"), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, step := range [][2]*sqlite.Store{{a, pg}, {pg, b}} {
		var copied int64
		if err := step[0].CopyTo(ctx, step[1], func(_ string, n int64) { copied += n }); err != nil {
			t.Fatal(err)
		}
		counts, err := a.CompareCounts(ctx, step[1])
		if err != nil {
			t.Fatal(err)
		}
		var total int64
		for _, c := range counts {
			total += c.Source
			if c.Source != c.Dst {
				t.Errorf("%s: %d rows, %d after the copy", c.Table, c.Source, c.Dst)
			}
		}
		if total < 3000 || copied != total {
			t.Errorf("copied %d rows of %d", copied, total)
		}
	}
	// The SQLite copy's foreign keys and indexes hold.
	if res, err := b.IntegrityCheck(ctx); err != nil || res != "ok" {
		t.Fatalf("integrity of the copy: %q %v", res, err)
	}
	_, r := b.Pools()
	rows, err := r.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Error("the copy has rows whose foreign keys point nowhere")
	}
}
