package sqlite_test

import (
	"context"
	"testing"

	"github.com/herald-social/herald/storage"
	"github.com/herald-social/herald/storage/sqlite"
	"github.com/herald-social/herald/storage/storetest"
)

// TestConformance runs the stores' shared conformance suite on SQLite: a
// fresh database in its own directory for every case.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storage.Store {
		s, err := sqlite.Open(context.Background(), t.TempDir(), 2)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
