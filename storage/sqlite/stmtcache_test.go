package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// A kept statement whose rows are still open is not reused: the same query
// run inside the loop over its own rows (one connection: a transaction)
// gets a statement of its own, and both read their rows in full.
func TestStatementCacheNestedSameQuery(t *testing.T) {
	s := openSQLiteTestStore(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		mkLocal(t, s, fmt.Sprintf("n%d", i))
	}
	const q = "SELECT id FROM accounts ORDER BY id"
	err := s.tx(ctx, func(tx *sql.Tx) error {
		outer := 0
		return queryEach(ctx, tx, q, nil, func(scanner) error {
			outer++
			inner, err := queryIDs(ctx, tx, q)
			if len(inner) != 3 {
				return fmt.Errorf("inner query in outer row %d: %d rows, %v", outer, len(inner), err)
			}
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	// Kept statements are reused across calls, and more distinct queries
	// than the cache holds still answer right.
	for round := 0; round < 2; round++ {
		for i := 0; i < stmtCacheSize+10; i++ {
			var v int
			if err := s.r.QueryRowContext(ctx, fmt.Sprintf("SELECT %d + ?", i), 1).Scan(&v); err != nil || v != i+1 {
				t.Fatalf("query %d: %d, %v", i, v, err)
			}
		}
	}
}

// The auth version moves with every change the auth cache depends on,
// whichever store (process) makes it, and stays put otherwise.
func TestAuthVersionMovesWithAuthChanges(t *testing.T) {
	s := openSQLiteTestStore(t)
	ctx := context.Background()
	other, err := OpenFile(ctx, s.Path(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	alice := mkLocal(t, s, "alice")
	bob := mkLocal(t, s, "bob")
	remote := mkRemote(t, s, "carol", "remote.test")
	u, err := s.UserByAccountID(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	tok := &model.Token{UserID: u.ID, Scopes: "read", CreatedAt: time.Now()}
	if err := s.CreateToken(ctx, tok, "plain-token"); err != nil {
		t.Fatal(err)
	}
	version := func() int64 {
		t.Helper()
		v, err := s.AuthVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	last := version()
	if again := version(); again != last {
		t.Fatalf("version moved without a change: %d, %d", last, again)
	}
	moves := func(what string, change func() error) {
		t.Helper()
		if err := change(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if v := version(); v == last {
			t.Errorf("%s: the auth version did not move", what)
		} else {
			last = v
		}
	}
	stays := func(what string, change func() error) {
		t.Helper()
		if err := change(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if v := version(); v != last {
			t.Errorf("%s: the auth version moved", what)
			last = v
		}
	}
	yes := true
	accounts0, err := s.AccountsVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stays("a remote account's update", func() error {
		_, err := other.w.ExecContext(ctx, "UPDATE accounts SET display_name = 'C' WHERE id = ?", remote.ID)
		return err
	})
	if accounts1, err := s.AccountsVersion(ctx); err != nil || accounts1 == accounts0 {
		t.Errorf("a remote account's update by another process left the accounts version at %d (%v)", accounts1, err)
	}
	stays("a status", func() error { mkStatus(t, s, remote.ID, model.Public); return nil })
	moves("a local account's update, by another process", func() error {
		_, err := other.w.ExecContext(ctx, "UPDATE accounts SET display_name = 'A' WHERE id = ?", alice.ID)
		return err
	})
	moves("a role's update, by another process", func() error {
		r, err := other.RoleByKey(ctx, model.RoleUser)
		if err != nil {
			return err
		}
		r.Name = "renamed"
		return other.UpdateRole(ctx, r)
	})
	moves("a user's role", func() error { return s.SetRole(ctx, u.ID, model.RoleUser) })
	moves("a follow request", func() error {
		return other.RequestFollow(ctx, &model.Follow{AccountID: bob.ID, TargetID: alice.ID}, nil)
	})
	moves("a suspension, by another process", func() error {
		return other.ModerateAccount(ctx, bob.ID, storage.AccountModeration{Suspended: &yes}, nil, nil, nil)
	})
	moves("a revoked token, by another process", func() error {
		_, err := other.RevokeToken(ctx, "plain-token", 0)
		return err
	})
}

// The WAL watch sees commits of another connection to the file, also
// within a request scope (which skips only the file's stat), and a
// database without its -shm file yet is asked rather than trusted.
func TestWalWatchSeesCommits(t *testing.T) {
	s := openSQLiteTestStore(t)
	w := newWalWatch(s.Path())
	defer w.close()
	for i, ctx := range []context.Context{context.Background(), storage.WithScope(context.Background())} {
		h1, ok := w.header(ctx)
		if !ok {
			t.Skip("no WAL index to watch on this system")
		}
		mkLocal(t, s, fmt.Sprintf("dave%d", i))
		h2, ok := w.header(ctx)
		if !ok || h2 == h1 {
			t.Errorf("context %d: a commit left the WAL index header as it was (ok %v)", i, ok)
		}
	}
	if _, ok := newWalWatch(filepath.Join(t.TempDir(), "none.db")).header(storage.WithScope(context.Background())); ok {
		t.Error("a missing -shm file was trusted")
	}
}

// BenchmarkPageViewQueries runs the per-page queries of a status view
// (accounts, relations, flags) for a 40-status page, as a timeline read
// does after its page query.
func BenchmarkPageViewQueries(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir(), 4)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	reader := seedTimeline(b, s, 200, 5000, 50)
	page, err := s.HomeTimeline(ctx, reader, model.Page{Limit: 40})
	if err != nil || len(page) != 40 {
		b.Fatalf("%v %d", err, len(page))
	}
	var ids, authors []int64
	for _, st := range page {
		ids = append(ids, st.ID)
		authors = append(authors, st.AccountID)
	}
	b.ResetTimer()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := s.AccountsToShow(ctx, authors); err != nil {
			b.Fatal(err)
		}
		if _, err := s.ViewerRelations(ctx, reader, authors); err != nil {
			b.Fatal(err)
		}
		if _, err := s.StatusFlags(ctx, reader, ids); err != nil {
			b.Fatal(err)
		}
	}
}
