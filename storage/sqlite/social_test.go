package sqlite

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func openTestStore(t *testing.T) *Store {
	t.Helper()
	return openStore(t, 2)
}

// openSQLiteTestStore is openTestStore on SQLite whatever the environment,
// for tests of what only the SQLite engine has.
func openSQLiteTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir(), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mkLocal(t *testing.T, s *Store, name string) *model.Account {
	t.Helper()
	a := &model.Account{Username: name, URI: "http://x.test/users/" + name, Discoverable: true}
	u := &model.User{Email: name + "@x.test", PasswordHash: "x", Role: "user", Approved: true, Locale: "en", DefaultVisibility: "public"}
	if err := s.CreateLocalAccount(context.Background(), a, u); err != nil {
		t.Fatal(err)
	}
	return a
}

func mkRemote(t *testing.T, s *Store, name, domain string) *model.Account {
	t.Helper()
	a := &model.Account{Username: name, Domain: domain, URI: "https://" + domain + "/users/" + name,
		InboxURL: "https://" + domain + "/users/" + name + "/inbox", SharedInboxURL: "https://" + domain + "/inbox"}
	if err := s.UpsertRemoteAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

func mkStatus(t *testing.T, s *Store, author int64, vis model.Visibility) int64 {
	t.Helper()
	sid := id.New()
	_, err := s.w.Exec("INSERT INTO statuses (id, uri, account_id, local, visibility, created_at) VALUES (?,?,?,?,?,?)",
		sid, fmt.Sprintf("http://x.test/s/%d", sid), author, 1, int(vis), ms(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return sid
}

func count(t *testing.T, s *Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func counters(t *testing.T, s *Store, accountID int64) (followers, following int64) {
	t.Helper()
	a, err := s.AccountByID(context.Background(), accountID)
	if err != nil {
		t.Fatal(err)
	}
	return a.FollowersCount, a.FollowingCount
}

func TestFollowUnfollowCountersFeedAndRelationships(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	alice, bob := mkLocal(t, s, "alice"), mkLocal(t, s, "bob")
	pub := mkStatus(t, s, bob.ID, model.Public)
	priv := mkStatus(t, s, bob.ID, model.Private)
	dm := mkStatus(t, s, bob.ID, model.Direct)

	for i := 0; i < 2; i++ { // idempotent
		if err := s.Follow(ctx, &model.Follow{AccountID: alice.ID, TargetID: bob.ID, ShowReblogs: true}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if fr, fg := counters(t, s, bob.ID); fr != 1 || fg != 0 {
		t.Errorf("bob counters = %d/%d", fr, fg)
	}
	if fr, fg := counters(t, s, alice.ID); fr != 0 || fg != 1 {
		t.Errorf("alice counters = %d/%d", fr, fg)
	}
	if n := count(t, s, "SELECT count(*) FROM home_feed WHERE account_id = ? AND author_id = ?", alice.ID, bob.ID); n != 2 {
		t.Errorf("home feed rows = %d, want 2 (public + private)", n)
	}
	if n := count(t, s, "SELECT count(*) FROM home_feed WHERE account_id = ? AND status_id IN (?, ?)", alice.ID, pub, priv); n != 2 {
		t.Errorf("backfill missed public/private statuses")
	}
	if n := count(t, s, "SELECT count(*) FROM home_feed WHERE status_id = ?", dm); n != 0 {
		t.Errorf("direct status entered the feed")
	}
	if n := count(t, s, "SELECT count(*) FROM notifications WHERE account_id = ? AND type = 'follow'", bob.ID); n != 1 {
		t.Errorf("follow notifications = %d", n)
	}

	rels, err := s.Relationships(ctx, alice.ID, []int64{bob.ID, 999, alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(rels) != 2 || rels[0].TargetID != bob.ID || !rels[0].Following || !rels[0].ShowingReblogs || rels[0].FollowedBy {
		t.Errorf("relationships = %+v", rels)
	}
	back, _ := s.Relationships(ctx, bob.ID, []int64{alice.ID})
	if !back[0].FollowedBy || back[0].Following {
		t.Errorf("bob→alice = %+v", back[0])
	}

	removed, err := s.Unfollow(ctx, alice.ID, bob.ID, nil)
	if err != nil || !removed {
		t.Fatalf("unfollow = %v, %v", removed, err)
	}
	if fr, _ := counters(t, s, bob.ID); fr != 0 {
		t.Errorf("bob followers after unfollow = %d", fr)
	}
	if n := count(t, s, "SELECT count(*) FROM home_feed WHERE account_id = ? AND author_id = ?", alice.ID, bob.ID); n != 0 {
		t.Errorf("feed rows left after unfollow: %d", n)
	}
	if removed, _ := s.Unfollow(ctx, alice.ID, bob.ID, nil); removed {
		t.Errorf("second unfollow removed something")
	}
}

func TestFollowRequestsAuthorizeReject(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	alice, bob, carol := mkLocal(t, s, "alice"), mkLocal(t, s, "bob"), mkLocal(t, s, "carol")
	for _, who := range []int64{alice.ID, carol.ID} {
		if err := s.RequestFollow(ctx, &model.Follow{AccountID: who, TargetID: bob.ID, URI: "u"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.CountFollowRequests(ctx, bob.ID); n != 2 {
		t.Errorf("requests = %d", n)
	}
	links, err := s.FollowRequests(ctx, bob.ID, model.Page{Limit: 10})
	if err != nil || len(links) != 2 || links[0].AccountID != carol.ID {
		t.Fatalf("FollowRequests = %+v, %v", links, err)
	}
	rel, _ := s.Relationships(ctx, alice.ID, []int64{bob.ID})
	if !rel[0].Requested || rel[0].Following {
		t.Errorf("alice→bob = %+v", rel[0])
	}
	f, err := s.AuthorizeFollowRequest(ctx, alice.ID, bob.ID, []model.OutboxEvent{{Kind: model.EventFollowAccept, AccountID: bob.ID}})
	if err != nil || f.URI != "u" {
		t.Fatalf("authorize = %+v, %v", f, err)
	}
	if fr, _ := counters(t, s, bob.ID); fr != 1 {
		t.Errorf("followers = %d", fr)
	}
	if n := count(t, s, s.dialect.pick("SELECT count(*) FROM jobs WHERE kind = 'federate' AND payload ->> 'kind' = ?",
		"SELECT count(*) FROM jobs WHERE kind = 'federate' AND payload::jsonb ->> 'kind' = ?"), model.EventFollowAccept); n != 1 {
		t.Errorf("events = %d", n)
	}
	if _, err := s.RejectFollowRequest(ctx, carol.ID, bob.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RejectFollowRequest(ctx, carol.ID, bob.ID, nil); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("second reject: %v", err)
	}
	if n := count(t, s, "SELECT count(*) FROM notifications WHERE account_id = ? AND type = 'follow_request'", bob.ID); n != 0 {
		t.Errorf("follow_request notifications left: %d", n)
	}
	rel, _ = s.Relationships(ctx, bob.ID, []int64{alice.ID, carol.ID})
	if !rel[0].FollowedBy || rel[0].RequestedBy || rel[1].RequestedBy || rel[1].FollowedBy {
		t.Errorf("rels = %+v", rel)
	}
}

func TestBlockSeversFollowsAndMutes(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	alice, bob := mkLocal(t, s, "alice"), mkLocal(t, s, "bob")
	mkStatus(t, s, alice.ID, model.Public)
	mkStatus(t, s, bob.ID, model.Public)
	_ = s.Follow(ctx, &model.Follow{AccountID: alice.ID, TargetID: bob.ID}, nil)
	_ = s.Follow(ctx, &model.Follow{AccountID: bob.ID, TargetID: alice.ID}, nil)
	l := &model.List{AccountID: alice.ID, Title: "l"}
	if err := s.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := s.AddListMembers(ctx, alice.ID, l.ID, []int64{bob.ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.Block(ctx, alice.ID, bob.ID, "http://x.test/blocks/1", nil); err != nil {
		t.Fatal(err)
	}
	for _, a := range []int64{alice.ID, bob.ID} {
		if fr, fg := counters(t, s, a); fr != 0 || fg != 0 {
			t.Errorf("counters of %d = %d/%d", a, fr, fg)
		}
	}
	if n := count(t, s, "SELECT count(*) FROM follows"); n != 0 {
		t.Errorf("follows left: %d", n)
	}
	if n := count(t, s, "SELECT count(*) FROM home_feed"); n != 0 {
		t.Errorf("feed rows left: %d", n)
	}
	if n := count(t, s, "SELECT count(*) FROM list_accounts"); n != 0 {
		t.Errorf("list members left: %d", n)
	}
	if b, _ := s.IsBlockedEitherWay(ctx, bob.ID, alice.ID); !b {
		t.Error("not blocked")
	}
	rel, _ := s.Relationships(ctx, bob.ID, []int64{alice.ID})
	if !rel[0].BlockedBy || rel[0].Blocking {
		t.Errorf("bob→alice = %+v", rel[0])
	}
	if uri, _ := s.BlockURI(ctx, alice.ID, bob.ID); uri != "http://x.test/blocks/1" {
		t.Errorf("block uri = %q", uri)
	}
	if err := s.Unblock(ctx, alice.ID, bob.ID, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.IsBlockedEitherWay(ctx, bob.ID, alice.ID); b {
		t.Error("still blocked")
	}

	past := time.Now().Add(-time.Hour).UnixMilli()
	_ = s.Mute(ctx, alice.ID, bob.ID, false, &past)
	rel, _ = s.Relationships(ctx, alice.ID, []int64{bob.ID})
	if rel[0].Muting {
		t.Error("expired mute counts")
	}
	_ = s.Mute(ctx, alice.ID, bob.ID, true, nil)
	rel, _ = s.Relationships(ctx, alice.ID, []int64{bob.ID})
	if !rel[0].Muting || !rel[0].MutingNotifications {
		t.Errorf("mute = %+v", rel[0])
	}
	if m, _ := s.Mutes(ctx, alice.ID, model.Page{Limit: 5}); len(m) != 1 {
		t.Errorf("mutes = %+v", m)
	}
	_ = s.SetAccountNote(ctx, alice.ID, bob.ID, "friend")
	rel, _ = s.Relationships(ctx, alice.ID, []int64{bob.ID})
	if rel[0].Note != "friend" {
		t.Errorf("note = %q", rel[0].Note)
	}
}

func TestFollowerInboxesAndPaging(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	alice := mkLocal(t, s, "alice")
	var remotes []*model.Account
	for i := 0; i < 3; i++ {
		r := mkRemote(t, s, fmt.Sprintf("r%d", i), "remote.test")
		remotes = append(remotes, r)
		if err := s.Follow(ctx, &model.Follow{AccountID: r.ID, TargetID: alice.ID, URI: "https://remote.test/f"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	solo := mkRemote(t, s, "solo", "other.test")
	if _, err := s.w.Exec("UPDATE accounts SET shared_inbox_url = '' WHERE id = ?", solo.ID); err != nil {
		t.Fatal(err)
	}
	_ = s.Follow(ctx, &model.Follow{AccountID: solo.ID, TargetID: alice.ID}, nil)
	inboxes, err := s.FollowerInboxes(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(inboxes) != 2 || inboxes[0] != "https://other.test/users/solo/inbox" || inboxes[1] != "https://remote.test/inbox" {
		t.Errorf("inboxes = %v", inboxes)
	}
	p1, _ := s.Followers(ctx, alice.ID, model.Page{Limit: 2})
	if len(p1) != 2 || p1[0].AccountID != solo.ID {
		t.Fatalf("page 1 = %+v", p1)
	}
	p2, _ := s.Followers(ctx, alice.ID, model.Page{Limit: 2, MaxID: p1[1].ID})
	if len(p2) != 2 || p2[1].AccountID != remotes[0].ID {
		t.Errorf("page 2 = %+v", p2)
	}
	prev, _ := s.Followers(ctx, alice.ID, model.Page{Limit: 1, MinID: p2[0].ID})
	if len(prev) != 1 || prev[0].ID != p1[1].ID {
		t.Errorf("min_id page = %+v", prev)
	}
	if f, err := s.FollowByURI(ctx, "https://remote.test/f"); err != nil || f.TargetID != alice.ID {
		t.Errorf("FollowByURI = %+v, %v", f, err)
	}
}

func TestListsFiltersMarkers(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	alice, bob := mkLocal(t, s, "alice"), mkLocal(t, s, "bob")
	l := &model.List{AccountID: alice.ID, Title: "friends"}
	if err := s.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := s.AddListMembers(ctx, alice.ID, l.ID, []int64{bob.ID}); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("adding an unfollowed account: %v", err)
	}
	_ = s.Follow(ctx, &model.Follow{AccountID: alice.ID, TargetID: bob.ID}, nil)
	if err := s.AddListMembers(ctx, alice.ID, l.ID, []int64{bob.ID, bob.ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddListMembers(ctx, bob.ID, l.ID, []int64{bob.ID}); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("someone else's list: %v", err)
	}
	if ids, _ := s.ListMembers(ctx, l.ID, model.Page{}); len(ids) != 1 || ids[0] != bob.ID {
		t.Errorf("members = %v", ids)
	}
	if ls, _ := s.ListsContaining(ctx, alice.ID, bob.ID); len(ls) != 1 {
		t.Errorf("containing = %v", ls)
	}
	if err := s.DeleteList(ctx, bob.ID, l.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("delete someone else's list: %v", err)
	}

	f := &model.Filter{AccountID: alice.ID, Title: "spoilers", Context: []string{"home", "public"},
		Keywords: []model.FilterKeyword{{Keyword: "tv", WholeWord: true}, {Keyword: "film"}}}
	if err := s.CreateFilter(ctx, f); err != nil {
		t.Fatal(err)
	}
	title := "no spoilers"
	nf, err := s.UpdateFilter(ctx, alice.ID, f.ID, storage.FilterUpdate{Title: &title,
		DeleteKeywords: []int64{f.Keywords[1].ID}, AddKeywords: []model.FilterKeyword{{Keyword: "book"}}})
	if err != nil {
		t.Fatal(err)
	}
	if nf.Title != title || len(nf.Keywords) != 2 || nf.Keywords[1].Keyword != "book" || len(nf.Context) != 2 {
		t.Errorf("updated = %+v", nf)
	}
	if err := s.DeleteFilterKeyword(ctx, alice.ID, nf.Keywords[0].ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteFilterKeyword(ctx, alice.ID, nf.Keywords[1].ID, true); err != nil {
		t.Fatal(err)
	}
	if fs, _ := s.FiltersOf(ctx, alice.ID); len(fs) != 0 {
		t.Errorf("emptied filter kept: %+v", fs)
	}

	m1, err := s.SetMarker(ctx, alice.ID, "home", "100")
	if err != nil || m1.Version != 1 {
		t.Fatalf("marker = %+v, %v", m1, err)
	}
	m2, _ := s.SetMarker(ctx, alice.ID, "home", "200")
	if m2.Version != 2 || m2.LastReadID != "200" {
		t.Errorf("marker 2 = %+v", m2)
	}
	ms, _ := s.MarkersOf(ctx, alice.ID, []string{"home", "notifications"})
	if len(ms) != 1 || ms[0].Version != 2 {
		t.Errorf("markers = %+v", ms)
	}
}
