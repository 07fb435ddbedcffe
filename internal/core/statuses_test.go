package core_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
	"github.com/herald-social/herald/storage/sqlite"
)

type env struct {
	t     *testing.T
	ctx   context.Context
	svc   *core.Service
	store *sqlite.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := config.Default()
	cfg.Instance.Domain = "herald.test"
	return &env{t: t, ctx: ctx, svc: core.New(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil))), store: st}
}

func (e *env) user(name string) *core.Caller {
	e.t.Helper()
	a, u, err := e.svc.CreateLocalAccount(e.ctx, core.NewAccountParams{Username: name, Email: name + "@example.org",
		Password: "correct horse battery", Approved: true, Confirm: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return &core.Caller{Token: &model.Token{UserID: u.ID, Scopes: "read write follow"}, User: u, Account: a}
}

func (e *env) follow(follower, target *core.Caller) {
	e.t.Helper()
	if err := e.store.Follow(e.ctx, &model.Follow{AccountID: follower.Account.ID, TargetID: target.Account.ID, ShowReblogs: true}, nil); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) post(c *core.Caller, p core.PostParams) *model.Status {
	e.t.Helper()
	st, err := e.svc.PostStatus(e.ctx, c, p)
	if err != nil {
		e.t.Fatalf("post %q: %v", p.Text, err)
	}
	return st
}

func status(err error) int {
	if err == nil {
		return 200
	}
	return herr.As(err).Status
}

func TestPostGetDelete(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	bob := e.user("bob")
	st := e.post(alice, core.PostParams{Text: "Hello @bob and @nobody #Go https://example.com/x"})
	if !strings.Contains(st.Content, `class="u-url mention"`) || !strings.Contains(st.Content, "@nobody") {
		t.Errorf("content: %s", st.Content)
	}
	if len(st.MentionIDs) != 1 || st.MentionIDs[0] != bob.Account.ID || len(st.Tags) != 1 || st.Tags[0] != "go" {
		t.Errorf("mentions %v tags %v", st.MentionIDs, st.Tags)
	}
	if want := "http://herald.test/users/alice/statuses/" + fmt.Sprint(st.ID); st.URI != want {
		t.Errorf("uri %s, want %s", st.URI, want)
	}
	got, err := e.svc.Status(e.ctx, nil, st.ID)
	if err != nil || got.Text != st.Text {
		t.Fatalf("get anonymous: %v %+v", err, got)
	}
	// Bob was notified of the mention.
	np, err := e.svc.Notifications(e.ctx, bob, storage.NotificationFilter{}, model.Page{Limit: 20})
	if err != nil || len(np.Notifications) != 1 || np.Notifications[0].Type != "mention" {
		t.Fatalf("notifications: %v %+v", err, np)
	}
	acc, _ := e.store.AccountByID(e.ctx, alice.Account.ID)
	if acc.StatusesCount != 1 || acc.LastStatusAt == nil {
		t.Errorf("statuses_count %d", acc.StatusesCount)
	}
	// Only the author may delete; the deleted status comes back with its source.
	if _, err := e.svc.DeleteStatus(e.ctx, bob, st.ID); status(err) != 404 {
		t.Errorf("bob deletes alice's: %v", err)
	}
	del, err := e.svc.DeleteStatus(e.ctx, alice, st.ID)
	if err != nil || del.Text != st.Text {
		t.Fatalf("delete: %v", err)
	}
	if _, err := e.svc.Status(e.ctx, alice, st.ID); status(err) != 404 {
		t.Errorf("get after delete: %v", err)
	}
	if tl, _ := e.svc.HomeTimeline(e.ctx, alice, model.Page{Limit: 20}); len(tl.View.Statuses) != 0 {
		t.Errorf("home after delete: %d", len(tl.View.Statuses))
	}
	if at, err := e.store.TombstoneAt(e.ctx, st.URI); err != nil || at == nil {
		t.Errorf("tombstone: %v", err)
	}
	acc, _ = e.store.AccountByID(e.ctx, alice.Account.ID)
	if acc.StatusesCount != 0 {
		t.Errorf("statuses_count after delete %d", acc.StatusesCount)
	}
	evs, _ := e.store.PendingEvents(e.ctx, 10)
	kinds := []string{}
	for _, ev := range evs {
		kinds = append(kinds, ev.Kind)
	}
	if strings.Join(kinds, ",") != "status.create,status.delete" {
		t.Errorf("events %v", kinds)
	}
}

func TestValidation(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	_, err := e.svc.PostStatus(e.ctx, alice, core.PostParams{Text: strings.Repeat("a", 501)})
	if he := herr.As(err); he.Status != 422 || he.Msg != "Validation failed: Text character limit of 500 exceeded" {
		t.Errorf("too long: %v", err)
	}
	// URLs count 23.
	e.post(alice, core.PostParams{Text: strings.Repeat("a", 470) + " https://example.com/" + strings.Repeat("x", 100)})
	if _, err := e.svc.PostStatus(e.ctx, alice, core.PostParams{Text: "  "}); status(err) != 422 {
		t.Errorf("blank: %v", err)
	}
	if _, err := e.svc.PostStatus(e.ctx, alice, core.PostParams{Text: "x", Visibility: "secret"}); status(err) != 422 {
		t.Errorf("bad visibility: %v", err)
	}
	if _, err := e.svc.PostStatus(e.ctx, alice, core.PostParams{Text: "x", MediaIDs: []string{"1"}}); status(err) != 422 {
		t.Errorf("media: %v", err)
	}
	if _, err := e.svc.PostStatus(e.ctx, alice, core.PostParams{Text: "x", InReplyToID: 12345}); status(err) != 404 {
		t.Errorf("reply to unknown: %v", err)
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	a := e.post(alice, core.PostParams{Text: "once", IdempotencyKey: "k1"})
	b := e.post(alice, core.PostParams{Text: "once", IdempotencyKey: "k1"})
	if a.ID != b.ID {
		t.Errorf("retry made a second status: %d %d", a.ID, b.ID)
	}
	c := e.post(alice, core.PostParams{Text: "once", IdempotencyKey: "k2"})
	if c.ID == a.ID {
		t.Error("another key gave the same status")
	}
	acc, _ := e.store.AccountByID(e.ctx, alice.Account.ID)
	if acc.StatusesCount != 2 {
		t.Errorf("statuses_count %d", acc.StatusesCount)
	}
}

func TestVisibilityMatrix(t *testing.T) {
	e := newEnv(t)
	author, follower, mentioned, stranger := e.user("author"), e.user("follower"), e.user("mentioned"), e.user("stranger")
	e.follow(follower, author)
	viewers := []struct {
		name string
		c    *core.Caller
	}{{"author", author}, {"follower", follower}, {"mentioned", mentioned}, {"stranger", stranger}, {"anonymous", nil}}
	root := e.post(author, core.PostParams{Text: "root", Visibility: "public"})
	// Who may see each visibility (get, context, account statuses), and
	// whose home feed it reaches.
	cases := []struct {
		vis                string
		see, profile, home string // viewers, by initial
	}{
		{"public", "AFMSN", "AFMSN", "AF"},
		{"unlisted", "AFMSN", "AFMSN", "AF"},
		{"private", "AFM", "AF", "AFM"},
		{"direct", "AM", "A", "AM"},
	}
	for _, tc := range cases {
		st := e.post(author, core.PostParams{Text: "hi @mentioned " + tc.vis, Visibility: tc.vis, InReplyToID: root.ID})
		for _, v := range viewers {
			initial := strings.ToUpper(v.name[:1])
			if v.name == "anonymous" {
				initial = "N"
			}
			want := strings.Contains(tc.see, initial)
			_, err := e.svc.Status(e.ctx, v.c, st.ID)
			if (err == nil) != want {
				t.Errorf("%s get by %s: err %v, want visible %v", tc.vis, v.name, err, want)
			}
			// The same account signing a federation fetch.
			var signer *model.Account
			if v.c != nil {
				signer = v.c.Account
			}
			if ok, err := e.svc.SignerCanSee(e.ctx, signer, st, nil); err != nil || ok != want {
				t.Errorf("%s fetched by %s: %v %v, want visible %v", tc.vis, v.name, ok, err, want)
			}
			sc, err := e.svc.Context(e.ctx, v.c, root.ID)
			if err != nil {
				t.Fatal(err)
			}
			if inList(sc.Descendants, st.ID) != want {
				t.Errorf("%s context by %s: want visible %v", tc.vis, v.name, want)
			}
			if want {
				up, err := e.svc.Context(e.ctx, v.c, st.ID)
				if err != nil || !inList(up.Ancestors, root.ID) {
					t.Errorf("%s ancestors by %s: %v", tc.vis, v.name, err)
				}
			}
			tl, err := e.svc.AccountStatuses(e.ctx, v.c, author.Account.ID, storage.AccountStatusFilter{}, model.Page{Limit: 40})
			if err != nil {
				t.Fatal(err)
			}
			if inList(tl.View.Statuses, st.ID) != strings.Contains(tc.profile, initial) {
				t.Errorf("%s account statuses by %s: want %v", tc.vis, v.name, !inList(tl.View.Statuses, st.ID))
			}
			outbox, err := e.svc.SignerAccountStatuses(e.ctx, signer, author.Account.ID, storage.AccountStatusFilter{}, model.Page{Limit: 40})
			if err != nil {
				t.Fatal(err)
			}
			if inList(outbox.View.Statuses, st.ID) != strings.Contains(tc.profile, initial) {
				t.Errorf("%s account statuses fetched by %s: want %v", tc.vis, v.name, !inList(outbox.View.Statuses, st.ID))
			}
			if v.c != nil {
				home, err := e.svc.HomeTimeline(e.ctx, v.c, model.Page{Limit: 40})
				if err != nil {
					t.Fatal(err)
				}
				if inList(home.View.Statuses, st.ID) != strings.Contains(tc.home, initial) {
					t.Errorf("%s home of %s: want %v", tc.vis, v.name, !inList(home.View.Statuses, st.ID))
				}
			}
			// Public timeline: only public.
			pub, err := e.svc.PublicTimeline(e.ctx, v.c, false, false, false, model.Page{Limit: 40})
			if err != nil {
				t.Fatal(err)
			}
			if inList(pub.View.Statuses, st.ID) != (tc.vis == "public") {
				t.Errorf("%s in public timeline for %s", tc.vis, v.name)
			}
		}
	}
	// A block hides everything, both ways.
	if err := e.store.Block(e.ctx, stranger.Account.ID, author.Account.ID, "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Status(e.ctx, stranger, root.ID); status(err) != 404 {
		t.Errorf("blocked viewer sees: %v", err)
	}
	if ok, _ := e.svc.SignerCanSee(e.ctx, stranger.Account, root, nil); ok {
		t.Error("blocked signer sees")
	}
	// Nobody sees a suspended author's statuses, on any path.
	yes := true
	if err := e.store.ModerateAccount(e.ctx, author.Account.ID, storage.AccountModeration{Suspended: &yes}, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, v := range viewers {
		if _, err := e.svc.Status(e.ctx, v.c, root.ID); status(err) != 404 {
			t.Errorf("suspended author's status got by %s: %v", v.name, err)
		}
		var signer *model.Account
		if v.c != nil {
			signer = v.c.Account
		}
		if ok, err := e.svc.SignerCanSee(e.ctx, signer, root, nil); ok || err != nil {
			t.Errorf("suspended author's status fetched by %s: %v %v", v.name, ok, err)
		}
		if _, err := e.svc.SignerAccountStatuses(e.ctx, signer, author.Account.ID, storage.AccountStatusFilter{}, model.Page{Limit: 40}); status(err) != 404 {
			t.Errorf("suspended author's statuses fetched by %s: %v", v.name, err)
		}
	}
}

func inList(sts []*model.Status, id int64) bool {
	for _, s := range sts {
		if s.ID == id {
			return true
		}
	}
	return false
}

func TestFavouriteReblog(t *testing.T) {
	e := newEnv(t)
	alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
	e.follow(carol, bob)
	st := e.post(alice, core.PostParams{Text: "fav me"})
	for i := 0; i < 2; i++ { // idempotent
		got, err := e.svc.Favourite(e.ctx, bob, st.ID)
		if err != nil || got.FavouritesCount != 1 {
			t.Fatalf("favourite: %v %+v", err, got)
		}
	}
	v, _ := e.svc.Statuses(e.ctx, bob, []int64{st.ID})
	if !v.Flags[st.ID].Favourited {
		t.Error("not favourited for bob")
	}
	boost, err := e.svc.Reblog(e.ctx, bob, st.ID, "")
	if err != nil || boost.ReblogOfID != st.ID {
		t.Fatalf("reblog: %v", err)
	}
	again, _ := e.svc.Reblog(e.ctx, bob, st.ID, "")
	if again.ID != boost.ID {
		t.Error("second reblog made another boost")
	}
	orig, _ := e.store.StatusByID(e.ctx, st.ID)
	if orig.ReblogsCount != 1 {
		t.Errorf("reblogs_count %d", orig.ReblogsCount)
	}
	// Carol follows bob: the boost is in her home.
	home, _ := e.svc.HomeTimeline(e.ctx, carol, model.Page{Limit: 20})
	if len(home.View.Statuses) != 1 || home.View.Statuses[0].ID != boost.ID || home.View.Originals[st.ID] == nil {
		t.Errorf("carol's home: %+v", home.View.Statuses)
	}
	np, _ := e.svc.Notifications(e.ctx, alice, storage.NotificationFilter{}, model.Page{Limit: 20})
	var types []string
	for _, n := range np.Notifications {
		types = append(types, n.Type)
	}
	if strings.Join(types, ",") != "reblog,favourite" {
		t.Errorf("alice's notifications: %v", types)
	}
	np, _ = e.svc.Notifications(e.ctx, alice, storage.NotificationFilter{ExcludeTypes: []string{"reblog"}}, model.Page{Limit: 20})
	if len(np.Notifications) != 1 || np.Notifications[0].Type != "favourite" {
		t.Errorf("exclude_types: %+v", np.Notifications)
	}
	np, _ = e.svc.Notifications(e.ctx, alice, storage.NotificationFilter{Types: []string{"mention"}}, model.Page{Limit: 20})
	if len(np.Notifications) != 0 {
		t.Errorf("types: %+v", np.Notifications)
	}
	ids, _, err := e.svc.FavouritedBy(e.ctx, nil, st.ID, model.Page{Limit: 40})
	if err != nil || len(ids) != 1 || ids[0] != bob.Account.ID {
		t.Errorf("favourited_by: %v %v", ids, err)
	}
	ids, _, _ = e.svc.RebloggedBy(e.ctx, nil, st.ID, model.Page{Limit: 40})
	if len(ids) != 1 || ids[0] != bob.Account.ID {
		t.Errorf("reblogged_by: %v", ids)
	}
	// Undo both.
	if got, err := e.svc.Unfavourite(e.ctx, bob, st.ID); err != nil || got.FavouritesCount != 0 {
		t.Errorf("unfavourite: %v", err)
	}
	if got, err := e.svc.Unreblog(e.ctx, bob, st.ID); err != nil || got.ReblogsCount != 0 {
		t.Errorf("unreblog: %v", err)
	}
	home, _ = e.svc.HomeTimeline(e.ctx, carol, model.Page{Limit: 20})
	if len(home.View.Statuses) != 0 {
		t.Errorf("boost still in carol's home")
	}
	np, _ = e.svc.Notifications(e.ctx, alice, storage.NotificationFilter{}, model.Page{Limit: 20})
	if len(np.Notifications) != 0 {
		t.Errorf("notifications after undo: %d", len(np.Notifications))
	}
	// Deleting a boosted status deletes the boosts.
	boost, _ = e.svc.Reblog(e.ctx, bob, st.ID, "")
	if _, err := e.svc.DeleteStatus(e.ctx, alice, st.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.StatusByID(e.ctx, boost.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("boost survived: %v", err)
	}
	// Private statuses cannot be boosted by others.
	priv := e.post(alice, core.PostParams{Text: "private", Visibility: "private"})
	e.follow(bob, alice)
	if _, err := e.svc.Reblog(e.ctx, bob, priv.ID, ""); status(err) != 422 {
		t.Errorf("boost of private: %v", err)
	}
}

func TestPins(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	var last *model.Status
	for i := 0; i < 6; i++ {
		last = e.post(alice, core.PostParams{Text: fmt.Sprint("pin ", i)})
		_, err := e.svc.Pin(e.ctx, alice, last.ID)
		if i < 5 && err != nil {
			t.Fatal(err)
		}
		if i == 5 && status(err) != 422 {
			t.Errorf("sixth pin: %v", err)
		}
	}
	// Mastodon's rules: someone else's visible post, a boost and a direct
	// post are refused with 422; a private post may be pinned.
	if _, err := e.svc.Pin(e.ctx, bob, last.ID); status(err) != 422 || !strings.Contains(err.Error(), "Someone else's post cannot be pinned") {
		t.Errorf("pin of another's: %v", err)
	}
	boost, err := e.svc.Reblog(e.ctx, bob, last.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Pin(e.ctx, bob, boost.ID); status(err) != 422 || !strings.Contains(err.Error(), "A boost cannot be pinned") {
		t.Errorf("pin of a boost: %v", err)
	}
	direct := e.post(bob, core.PostParams{Text: "@alice psst", Visibility: "direct"})
	if _, err := e.svc.Pin(e.ctx, bob, direct.ID); status(err) != 422 || !strings.Contains(err.Error(), "only visible to mentioned users") {
		t.Errorf("pin of a direct post: %v", err)
	}
	private := e.post(bob, core.PostParams{Text: "followers only", Visibility: "private"})
	if _, err := e.svc.Pin(e.ctx, bob, private.ID); err != nil {
		t.Errorf("pin of a private post: %v", err)
	}
	if _, err := e.svc.Pin(e.ctx, alice, private.ID); status(err) != 404 {
		t.Errorf("pin of another's post one cannot see: %v", err)
	}
	tl, _ := e.svc.AccountStatuses(e.ctx, nil, alice.Account.ID, storage.AccountStatusFilter{Pinned: true}, model.Page{Limit: 20})
	if len(tl.View.Statuses) != 5 {
		t.Errorf("pinned: %d", len(tl.View.Statuses))
	}
}

func TestHomePagination(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	var ids []int64
	for i := 0; i < 10; i++ {
		ids = append(ids, e.post(alice, core.PostParams{Text: fmt.Sprint("n", i)}).ID)
	}
	got := func(p model.Page) []int64 {
		tl, err := e.svc.HomeTimeline(e.ctx, alice, p)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, s := range tl.View.Statuses {
			out = append(out, s.ID)
		}
		return out
	}
	eq := func(name string, a []int64, b ...int64) {
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s: %v, want %v", name, a, b)
		}
	}
	eq("first", got(model.Page{Limit: 3}), ids[9], ids[8], ids[7])
	eq("max_id", got(model.Page{Limit: 3, MaxID: ids[7]}), ids[6], ids[5], ids[4])
	eq("since_id", got(model.Page{Limit: 3, SinceID: ids[2]}), ids[9], ids[8], ids[7])
	eq("min_id", got(model.Page{Limit: 3, MinID: ids[2]}), ids[5], ids[4], ids[3])
	eq("range", got(model.Page{Limit: 10, MaxID: ids[5], MinID: ids[2]}), ids[4], ids[3])
	eq("empty", got(model.Page{Limit: 3, MinID: ids[9]}))
}

func TestRemoteIngest(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	remote := &model.Account{Username: "rem", Domain: "remote.test", URI: "https://remote.test/users/rem"}
	if err := e.store.UpsertRemoteAccount(e.ctx, remote); err != nil {
		t.Fatal(err)
	}
	e.follow(alice, &core.Caller{Account: remote})
	mine := e.post(alice, core.PostParams{Text: "hello"})
	st, err := e.svc.IngestRemoteStatus(e.ctx, &model.Status{URI: "https://remote.test/notes/1", AccountID: remote.ID,
		Content: `<p>hi <script>x</script>@alice</p>`, InReplyToURI: mine.URI}, []int64{alice.Account.ID}, []string{"Fedi"})
	if err != nil {
		t.Fatal(err)
	}
	if st.InReplyToID != mine.ID || strings.Contains(st.Content, "script") {
		t.Errorf("ingested: %+v", st)
	}
	dup, err := e.svc.IngestRemoteStatus(e.ctx, &model.Status{URI: "https://remote.test/notes/1", AccountID: remote.ID, Content: "again"}, nil, nil)
	if err != nil || dup.ID != st.ID {
		t.Errorf("re-ingest: %v", err)
	}
	home, _ := e.svc.HomeTimeline(e.ctx, alice, model.Page{Limit: 20})
	if !inList(home.View.Statuses, st.ID) {
		t.Error("remote status not in follower's home")
	}
	if err := e.svc.RemoteFavourite(e.ctx, remote.ID, mine, "https://remote.test/likes/1"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RemoteUnfavouriteByURI(e.ctx, remote.ID, "https://remote.test/likes/1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.store.StatusByID(e.ctx, mine.ID); got.FavouritesCount != 0 || got.RepliesCount != 1 {
		t.Errorf("counts: fav %d replies %d", got.FavouritesCount, got.RepliesCount)
	}
	if _, err := e.svc.RemoteReblog(e.ctx, remote.ID, mine, "https://remote.test/announce/1", mine.CreatedAt); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RemoteUndoReblog(e.ctx, remote.ID, "https://remote.test/announce/1"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RemoteDeleteStatus(e.ctx, alice.Account.ID, st.URI); status(err) != 403 {
		t.Errorf("delete by non-author: %v", err)
	}
	if err := e.svc.RemoteDeleteStatus(e.ctx, remote.ID, st.URI); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.store.StatusByID(e.ctx, mine.ID); got.RepliesCount != 0 || got.ReblogsCount != 0 {
		t.Errorf("counts after deletes: %+v", got)
	}
}
