package api

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage/sqlite"
)

// BenchmarkHomeTimelinePage is one 40-status home page end to end below
// HTTP: the store's page, the batched view (accounts, relations, flags)
// and the JSON of the entities, among 100,000 statuses from 1,000
// accounts, the reader following 200 of them.
func BenchmarkHomeTimelinePage(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	store, err := sqlite.Open(ctx, dir, 4)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	reader := seedHome(b, store.Path(), 1000, 100000, 200)
	svc := core.New(config.Default(), store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a := New(svc)
	acc, err := store.AccountByID(ctx, reader)
	if err != nil {
		b.Fatal(err)
	}
	c := &core.Caller{Token: &model.Token{Scopes: "read"}, User: &model.User{AccountID: reader}, Account: acc}
	first, err := svc.HomeTimeline(ctx, c, model.Page{Limit: 40})
	if err != nil || len(first.View.Statuses) != 40 {
		b.Fatalf("%v", err)
	}
	p := model.Page{Limit: 40, MaxID: first.Oldest}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t, err := svc.HomeTimeline(ctx, c, p)
		if err != nil {
			b.Fatal(err)
		}
		out := a.statuses(t.View)
		if len(out) != 40 {
			b.Fatalf("%d statuses", len(out))
		}
		if _, err := json.Marshal(out); err != nil {
			b.Fatal(err)
		}
	}
}

// seedHome writes accounts, statuses and the reader's home feed straight
// into the database file, in big transactions.
func seedHome(tb testing.TB, path string, nAccounts, nStatuses, follows int) int64 {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	now := time.Now().Add(-time.Duration(nStatuses) * time.Second)
	base := now.UnixMilli() << 16
	acct := func(i int) int64 { return base - int64(nAccounts) + int64(i) }
	exec := func(tx *sql.Tx, q string, args ...any) {
		if _, err := tx.Exec(q, args...); err != nil {
			tb.Fatal(err)
		}
	}
	tx, _ := db.Begin()
	for i := 0; i < nAccounts; i++ {
		name := fmt.Sprintf("user%d", i)
		exec(tx, "INSERT INTO accounts (id, username, uri, url, created_at, updated_at) VALUES (?,?,?,?,?,?)",
			acct(i), name, "http://h.test/users/"+name, "http://h.test/@"+name, now.UnixMilli(), now.UnixMilli())
	}
	for i := 1; i <= follows; i++ {
		exec(tx, "INSERT INTO follows (id, account_id, target_id, created_at) VALUES (?,?,?,?)", base-3*int64(nAccounts)+int64(i), acct(0), acct(i), 0)
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	content := "<p>" + strings.Repeat("A typical status of a typical length, with some words in it. ", 3) + "</p>"
	for start := 0; start < nStatuses; start += 25000 {
		tx, _ := db.Begin()
		ins, _ := tx.Prepare(`INSERT INTO statuses (id, uri, url, account_id, local, content, text, created_at) VALUES (?,?,?,?,1,?,'',?)`)
		feed, _ := tx.Prepare("INSERT INTO home_feed (account_id, status_id, author_id) VALUES (?,?,?)")
		men, _ := tx.Prepare("INSERT INTO mentions (status_id, account_id) VALUES (?,?)")
		for i := start; i < start+25000 && i < nStatuses; i++ {
			sid := base + int64(i)*16
			a := rng.IntN(nAccounts)
			uri := fmt.Sprintf("http://h.test/users/user%d/statuses/%d", a, sid)
			if _, err := ins.Exec(sid, uri, uri, acct(a), content, now.UnixMilli()+int64(i)*1000); err != nil {
				tb.Fatal(err)
			}
			feed.Exec(acct(a), sid, acct(a))
			if a >= 1 && a <= follows {
				feed.Exec(acct(0), sid, acct(a))
			}
			if i%5 == 0 {
				men.Exec(sid, acct(rng.IntN(nAccounts)))
			}
		}
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	return acct(0)
}
