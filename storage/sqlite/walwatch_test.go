//go:build unix

package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// The store keeps a connection on its file, so walWatch trusts its mapping
// without a stat per look; a commit by another store on the file (another
// process) still moves the header, and the version read follows it. Once
// the store closed nothing is held any more.
func TestWalWatchHeldMappingSeesOtherStoresCommits(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), DBFile)
	a, err := OpenFile(ctx, path, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenFile(ctx, path, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !a.wal.held.Load() {
		t.Fatal("the store holds no connection on its file")
	}
	v1, err := a.AuthVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m := a.wal.m.Load(); m == nil || !m.held {
		t.Fatalf("mapping %+v: want one made while the file was held", m)
	}
	if _, err := b.w.ExecContext(ctx, "UPDATE cache_versions SET version = version + 1 WHERE name = 'auth'"); err != nil {
		t.Fatal(err)
	}
	v2, err := a.AuthVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v2 != v1+1 {
		t.Fatalf("auth version after the other store's bump: %d, want %d", v2, v1+1)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if a.wal.held.Load() {
		t.Fatal("a closed store still claims to hold its file")
	}
}
