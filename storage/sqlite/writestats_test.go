package sqlite

import (
	"context"
	"database/sql"
	"net/url"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage"
)

// A write transaction that waits for the write lock another process holds
// (the CLI, a backup) counts its wait in WriteStats, the busy waits the
// metrics show.
func TestWriteStatsCountLockWaits(t *testing.T) {
	s := openSQLiteTestStore(t)
	ctx := context.Background()
	txs0, wait0, busy0 := s.WriteStats()

	other, err := sql.Open("sqlite", "file:"+url.PathEscape(s.Path())+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.InsertJobs(ctx, []storage.Job{{Kind: "t", Payload: "{}"}}) }()
	// The writer connection is taken and cannot finish while the lock is
	// held: the write waits from before now until the lock is released.
	testutil.Eventually(t, 10*time.Second, "the write waiting for the lock", func() bool { return s.w.Stats().InUse == 1 })
	waiting := time.Now()
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	heldAfter := time.Since(waiting)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	txs, wait, busy := s.WriteStats()
	if txs != txs0+1 {
		t.Errorf("write transactions %d, want %d", txs, txs0+1)
	}
	if wait-wait0 < heldAfter {
		t.Errorf("wait counted %v, but the write waited at least %v", wait-wait0, heldAfter)
	}
	if busy != busy0 {
		t.Errorf("busy errors %d, want %d (the write got the lock in time)", busy, busy0)
	}
}
