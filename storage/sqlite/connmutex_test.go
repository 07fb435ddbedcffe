package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// TestConnectionMutexesAreFree: SQLite's connection (recursive) mutexes
// are the no-op one, while its other mutexes still exclude: a fast mutex
// held cannot be taken again.
func TestConnectionMutexesAreFree(t *testing.T) {
	tls := libc.NewTLS()
	defer tls.Close()
	// First (allocating a mutex would start SQLite): SQLite was started by
	// the package's init, where no other goroutine could race its start
	// (guarded by a recursive mutex too), so configuring it now is refused
	// as too late.
	var m sqlite3.Sqlite3_mutex_methods
	if err := configure(tls, sqlite3.SQLITE_CONFIG_GETMUTEX, &m); err == nil {
		t.Fatal("SQLite is not started: its first connections would start it at once")
	}
	if m := sqlite3.Xsqlite3_mutex_alloc(tls, sqlite3.SQLITE_MUTEX_RECURSIVE); m != connMutex() {
		t.Fatalf("a recursive mutex is %#x, want the no-op %#x", m, connMutex())
	}
	fast := sqlite3.Xsqlite3_mutex_alloc(tls, sqlite3.SQLITE_MUTEX_FAST)
	if fast == 0 || fast == connMutex() {
		t.Fatalf("fast mutex = %#x", fast)
	}
	defer sqlite3.Xsqlite3_mutex_free(tls, fast)
	sqlite3.Xsqlite3_mutex_enter(tls, fast)
	other := libc.NewTLS() // another thread
	defer other.Close()
	if rc := sqlite3.Xsqlite3_mutex_try(other, fast); rc == sqlite3.SQLITE_OK {
		t.Fatal("a held fast mutex was taken again")
	}
	sqlite3.Xsqlite3_mutex_leave(tls, fast)
	if rc := sqlite3.Xsqlite3_mutex_try(other, fast); rc != sqlite3.SQLITE_OK {
		t.Fatalf("a free fast mutex: try = %d", rc)
	}
	sqlite3.Xsqlite3_mutex_leave(other, fast)
}

// TestConnectionsInParallelWithoutTheirMutex: many goroutines reading and
// writing one database, each on the pool's connections, lose nothing and
// read what was written.
func TestConnectionsInParallelWithoutTheirMutex(t *testing.T) {
	ctx := context.Background()
	s, err := OpenFile(ctx, filepath.Join(t.TempDir(), "herald.db"), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.w.ExecContext(ctx, "CREATE TABLE t_parallel (id INTEGER PRIMARY KEY, writer INTEGER, body TEXT)"); err != nil {
		t.Fatal(err)
	}
	const writers, rows = 4, 200
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for w := 0; w < writers; w++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < rows; i++ {
				if _, err := s.w.ExecContext(ctx, "INSERT INTO t_parallel (writer, body) VALUES (?, ?)", w, fmt.Sprintf("row %d of %d", i, w)); err != nil {
					errs <- err
					return
				}
			}
		}()
		go func() { // a reader checking every row it sees
			defer wg.Done()
			for i := 0; i < rows/4; i++ {
				rs, err := s.r.QueryContext(ctx, "SELECT writer, body FROM t_parallel WHERE writer = ?", w)
				if err != nil {
					errs <- err
					return
				}
				for rs.Next() {
					var wr int
					var body string
					if err := rs.Scan(&wr, &body); err != nil {
						errs <- err
						break
					}
					var n, of int
					if _, err := fmt.Sscanf(body, "row %d of %d", &n, &of); err != nil || of != wr {
						errs <- fmt.Errorf("writer %d read %q", wr, body)
						break
					}
				}
				if err := rs.Close(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM t_parallel").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != writers*rows {
		t.Fatalf("%d rows, want %d", n, writers*rows)
	}
}
