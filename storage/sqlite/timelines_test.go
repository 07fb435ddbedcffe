package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// seedTimeline fills a store with nAccounts local accounts and nStatuses
// public statuses (every tenth one a reply, every twentieth tagged),
// written straight in SQL in big transactions; account 1's reader follows
// `follows` of them and its home feed holds their statuses, as fan-out
// would have written it. It returns the reader's account id.
func seedTimeline(tb testing.TB, s *Store, nAccounts, nStatuses, follows int) int64 {
	tb.Helper()
	ctx := context.Background()
	now := time.Now().Add(-time.Duration(nStatuses) * time.Second)
	base := now.UnixMilli() << 16
	accountID := func(i int) int64 { return base - int64(nAccounts) + int64(i) }
	reader := accountID(0)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		acc, err := tx.PrepareContext(ctx, `INSERT INTO accounts (id, username, domain, uri, url, created_at, updated_at)
			VALUES (?, ?, '', ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		for i := 0; i < nAccounts; i++ {
			name := fmt.Sprintf("user%d", i)
			if _, err := acc.ExecContext(ctx, accountID(i), name, "http://h.test/users/"+name, "http://h.test/@"+name, now.UnixMilli(), now.UnixMilli()); err != nil {
				return err
			}
		}
		fol, err := tx.PrepareContext(ctx, "INSERT INTO follows (id, account_id, target_id, created_at) VALUES (?, ?, ?, ?)")
		if err != nil {
			return err
		}
		for i := 1; i <= follows; i++ {
			if _, err := fol.ExecContext(ctx, base-int64(nAccounts)*2+int64(i), reader, accountID(i), now.UnixMilli()); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO tags (id, name, created_at) VALUES (1, 'bench', 0)")
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const batch = 20000
	content := "<p>" + strings.Repeat("A typical status of a typical length, with some words in it. ", 3) + "</p>"
	for start := 0; start < nStatuses; start += batch {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			ins, err := tx.PrepareContext(ctx, `INSERT INTO statuses (id, uri, url, account_id, local, in_reply_to_id,
				in_reply_to_account_id, content, text, visibility, created_at) VALUES (?,?,?,?,1,?,?,?,?,?,?)`)
			if err != nil {
				return err
			}
			feed, err := tx.PrepareContext(ctx, "INSERT INTO home_feed (account_id, status_id, author_id) VALUES (?, ?, ?)")
			if err != nil {
				return err
			}
			tag, err := tx.PrepareContext(ctx, "INSERT INTO status_tags (tag_id, status_id) VALUES (1, ?)")
			if err != nil {
				return err
			}
			men, err := tx.PrepareContext(ctx, "INSERT INTO mentions (status_id, account_id) VALUES (?, ?)")
			if err != nil {
				return err
			}
			for i := start; i < start+batch && i < nStatuses; i++ {
				sid := base + int64(i)*16
				a := rng.IntN(nAccounts)
				author := accountID(a)
				var reply, replyAcct any
				if i%10 == 9 {
					reply, replyAcct = sid-16, author
				}
				vis := 0
				if i%7 == 6 {
					vis = 1
				}
				uri := fmt.Sprintf("http://h.test/users/user%d/statuses/%d", a, sid)
				if _, err := ins.ExecContext(ctx, sid, uri, uri, author, reply, replyAcct, content, "text", vis, now.UnixMilli()+int64(i)*1000); err != nil {
					return err
				}
				if _, err := feed.ExecContext(ctx, author, sid, author); err != nil {
					return err
				}
				if a >= 1 && a <= follows {
					if _, err := feed.ExecContext(ctx, reader, sid, author); err != nil {
						return err
					}
				}
				if i%20 == 0 {
					if _, err := tag.ExecContext(ctx, sid); err != nil {
						return err
					}
				}
				if i%5 == 0 {
					if _, err := men.ExecContext(ctx, sid, accountID(rng.IntN(nAccounts))); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := s.w.ExecContext(ctx, "ANALYZE"); err != nil {
		tb.Fatal(err)
	}
	return reader
}

// TestPageQueriesUseIndexes checks that every timeline page is a range
// scan of an index, with no full scan of statuses and no sort. It explains
// the queries the page methods run (their builders), not copies.
func TestPageQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reader := seedTimeline(t, s, 50, 2000, 10)
	p := model.Page{MaxID: 1 << 62, Limit: 40}
	pMin := model.Page{MinID: 1, Limit: 40}
	tagOnly := func(tq storage.TagQuery) pageQuery {
		q, ok := tagsQuery(tq, p)
		if !ok {
			t.Fatalf("no query for %+v", tq)
		}
		return q
	}
	// A notification policy that filters and drops (what core applies to
	// every notifications page).
	screen := &storage.NotificationScreen{NewSince: time.Now().Add(-30 * 24 * time.Hour),
		Types:  []string{"mention", "status", "reblog", "follow", "follow_request", "favourite"},
		Filter: storage.SenderTests{NotFollowing: true, NewAccount: true, PrivateMention: true},
		Drop:   storage.SenderTests{Limited: true}}
	const homeRange = "SEARCH h USING PRIMARY KEY (account_id=? AND status_id<?)"
	cases := []struct {
		name string
		q    pageQuery
		want string
	}{
		{"home", homeQuery(reader, p), homeRange},
		{"home min_id", homeQuery(reader, pMin), "SEARCH h USING PRIMARY KEY (account_id=? AND status_id>?)"},
		{"public", publicQuery(false, false, p), "statuses_public"},
		{"local", publicQuery(true, false, p), "statuses_public_local"},
		{"remote", publicQuery(false, true, p), "statuses_public"},
		{"tag", tagOnly(storage.TagQuery{Any: []string{"bench"}}), "SEARCH st USING PRIMARY KEY (tag_id=? AND status_id<?)"},
		{"tag, local, all and none", tagOnly(storage.TagQuery{Any: []string{"bench"}, All: []string{"bench"}, None: []string{"other"}, LocalOnly: true}),
			"SEARCH st USING PRIMARY KEY (tag_id=? AND status_id<?)"},
		{"tags any", tagOnly(storage.TagQuery{Any: []string{"bench", "other"}}), "statuses_public"},
		{"list", listQuery(1, p), homeRange},
		{"account", accountStatusesQuery(reader, model.Private, storage.AccountStatusFilter{}, p), "statuses_account"},
		{"account, filtered", accountStatusesQuery(reader, model.Public, storage.AccountStatusFilter{ExcludeReplies: true, ExcludeReblogs: true, Tagged: "#bench"}, p), "statuses_account"},
		{"account, pinned", accountStatusesQuery(reader, model.Public, storage.AccountStatusFilter{Pinned: true}, p), "statuses_account"},
		{"direct", directQuery(reader, p), homeRange},
		{"favourites", markedQuery("favourites", reader, p), "favourites_account"},
		{"bookmarks", markedQuery("bookmarks", reader, p), "bookmarks_account"},
		{"favourites", markedQuery("favourites", reader, p), "favourites_account"},
		{"notifications", notificationsQuery(reader, storage.NotificationFilter{}, p), "notifications_account"},
		{"notifications, policy and types", notificationsQuery(reader, storage.NotificationFilter{Screen: screen, ExcludeTypes: []string{"reblog"}}, p), "notifications_account"},
	}
	for _, tc := range cases {
		rows, err := s.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+tc.q.sql, tc.q.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, " | ")
		if strings.Contains(joined, "TEMP B-TREE") || !strings.Contains(joined, tc.want) || strings.Contains(joined, "SCAN s ") ||
			strings.HasSuffix(joined, "SCAN s") {
			t.Errorf("%s: plan %s", tc.name, joined)
		}
		t.Logf("%s: %s", tc.name, joined)
	}
}

func TestStorePages(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, 1)
	reader := seedTimeline(t, s, 20, 500, 5)
	first, err := s.HomeTimeline(ctx, reader, model.Page{Limit: 40})
	if err != nil || len(first) == 0 {
		t.Fatalf("home: %v %d", err, len(first))
	}
	for i := 1; i < len(first); i++ {
		if first[i].ID >= first[i-1].ID {
			t.Fatal("home not newest first")
		}
	}
	next, _ := s.HomeTimeline(ctx, reader, model.Page{Limit: 40, MaxID: first[len(first)-1].ID})
	if len(next) > 0 && next[0].ID >= first[len(first)-1].ID {
		t.Error("next page overlaps")
	}
	prev, _ := s.HomeTimeline(ctx, reader, model.Page{Limit: 5, MinID: next[0].ID})
	if len(prev) != 5 || prev[4].ID <= next[0].ID || prev[0].ID <= prev[4].ID {
		t.Errorf("min_id page: %d", len(prev))
	}
	pub, _ := s.PublicTimeline(ctx, false, false, model.Page{Limit: 40})
	tagged, _ := s.TagTimeline(ctx, "bench", false, model.Page{Limit: 40})
	if len(pub) != 40 || len(tagged) == 0 {
		t.Errorf("public %d tagged %d", len(pub), len(tagged))
	}
	for _, st := range tagged {
		if len(st.Tags) != 1 || st.Tags[0] != "bench" {
			t.Errorf("tags not loaded: %v", st.Tags)
		}
	}
	ts, err := s.TagsTimeline(ctx, storage.TagQuery{Any: []string{"bench", "other"}, None: []string{"other"}}, model.Page{Limit: 10})
	if err != nil || len(ts) == 0 {
		t.Errorf("tags any: %v %d", err, len(ts))
	}
}

// BenchmarkHomeTimeline reads one 40-status page of a home feed among
// 100,000 statuses from 1,000 accounts, the reader following 200.
func BenchmarkHomeTimeline(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir(), 4)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	reader := seedTimeline(b, s, 1000, 100000, 200)
	b.Logf("seeded 100k statuses in %v", time.Since(start))
	first, err := s.HomeTimeline(ctx, reader, model.Page{Limit: 40})
	if err != nil || len(first) != 40 {
		b.Fatalf("%v %d", err, len(first))
	}
	// Page somewhere in the middle, as a scrolling client does.
	mid := model.Page{Limit: 40, MaxID: first[len(first)-1].ID}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sts, err := s.HomeTimeline(ctx, reader, mid)
		if err != nil || len(sts) != 40 {
			b.Fatalf("%v %d", err, len(sts))
		}
	}
}

// Public timelines leave out the posts of suspended and silenced authors
// (checked through the partial index accounts_restricted, migration 0035),
// and show them again once lifted.
func TestPublicTimelinesLeaveOutRestrictedAuthors(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ok, muted := mkLocal(t, s, "okay"), mkLocal(t, s, "restricted")
	keep := mkStatus(t, s, ok.ID, model.Public)
	gone := mkStatus(t, s, muted.ID, model.Public)
	ids := func() map[int64]bool {
		t.Helper()
		out := map[int64]bool{}
		for _, local := range []bool{false, true} {
			sts, err := s.PublicTimeline(ctx, local, false, model.Page{Limit: 40})
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range sts {
				out[st.ID] = true
			}
		}
		return out
	}
	if got := ids(); !got[keep] || !got[gone] {
		t.Fatalf("before any restriction: %v", got)
	}
	for _, col := range []string{"silenced_at", "suspended_at"} {
		if _, err := s.w.Exec("UPDATE accounts SET "+col+" = ? WHERE id = ?", ms(time.Now()), muted.ID); err != nil {
			t.Fatal(err)
		}
		if got := ids(); !got[keep] || got[gone] {
			t.Fatalf("%s set: %v (want %d and not %d)", col, got, keep, gone)
		}
		if _, err := s.w.Exec("UPDATE accounts SET "+col+" = NULL WHERE id = ?", muted.ID); err != nil {
			t.Fatal(err)
		}
		if got := ids(); !got[gone] {
			t.Fatalf("%s lifted: %v", col, got)
		}
	}
}
