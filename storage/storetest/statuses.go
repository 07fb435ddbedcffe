package storetest

import (
	"slices"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func statusesArea() area {
	return area{"Statuses", []testCase{
		{"CreateReadBack", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			st := e.post(a, post{vis: model.Unlisted, mentions: []int64{b.ID, b.ID}, tags: []string{"Go", "go", "herald"}, text: "hi"})
			got := e.status(st.ID)
			if got.URI != st.URI || got.AccountID != a.ID || !got.Local || got.Visibility != model.Unlisted || got.Text != "hi" ||
				got.Content != "<p>hi</p>" || got.Language != "en" {
				e.t.Fatalf("status = %+v", got)
			}
			e.equal("mentions", got.MentionIDs, []int64{b.ID})
			tags := slices.Clone(got.Tags)
			slices.Sort(tags)
			if !slices.Equal(tags, []string{"go", "herald"}) {
				e.t.Fatalf("tags = %v", got.Tags)
			}
			byURI, err := e.s.StatusByURI(e.ctx, st.URI)
			e.ok(err)
			if byURI.ID != st.ID {
				e.t.Fatalf("by uri = %d", byURI.ID)
			}
			m, err := e.s.StatusesByIDs(e.ctx, []int64{st.ID, 12345})
			e.ok(err)
			if len(m) != 1 || m[st.ID] == nil {
				e.t.Fatalf("StatusesByIDs = %v", m)
			}
			acc := e.account(a.ID)
			if acc.StatusesCount != 1 || acc.LastStatusAt == nil {
				e.t.Fatalf("author counters = %d, %v", acc.StatusesCount, acc.LastStatusAt)
			}
			_, err = e.s.StatusByID(e.ctx, 12345)
			e.is(err, storage.ErrNotFound, "StatusByID")
			_, err = e.s.StatusByURI(e.ctx, "https://nowhere.test/s/1")
			e.is(err, storage.ErrNotFound, "StatusByURI")
		}},
		{"RemoteURIStoredOnce", func(e *env) {
			r := e.remote("r", "remote.test")
			st := e.pub(r)
			again := e.newStatus(r, post{})
			again.URI = st.URI
			out, existed, err := e.s.CreateStatus(e.ctx, storage.NewStatus{Status: again})
			e.ok(err)
			if !existed || out.ID != st.ID {
				e.t.Fatalf("second create = %d, existed %v", out.ID, existed)
			}
			if n := e.account(r.ID).StatusesCount; n != 1 {
				e.t.Fatalf("statuses_count = %d", n)
			}
		}},
		{"LocalURIConflict", func(e *env) {
			a := e.local("alice")
			st := e.pub(a)
			again := e.newStatus(a, post{})
			again.URI = st.URI
			_, _, err := e.s.CreateStatus(e.ctx, storage.NewStatus{Status: again})
			e.is(err, storage.ErrConflict, "a second local status with a taken URI")
		}},
		{"IdempotencyKey", func(e *env) {
			a := e.local("alice")
			first, existed, err := e.s.CreateStatus(e.ctx, storage.NewStatus{Status: e.newStatus(a, post{}), IdempotencyKey: "k1"})
			e.ok(err)
			if existed {
				e.t.Fatal("first post existed")
			}
			second, existed, err := e.s.CreateStatus(e.ctx, storage.NewStatus{Status: e.newStatus(a, post{}), IdempotencyKey: "k1"})
			e.ok(err)
			if !existed || second.ID != first.ID {
				e.t.Fatalf("retry made %d (existed %v), want %d", second.ID, existed, first.ID)
			}
			// The key is the author's: another author's post is new.
			b := e.local("bob")
			third, existed, err := e.s.CreateStatus(e.ctx, storage.NewStatus{Status: e.newStatus(b, post{}), IdempotencyKey: "k1"})
			e.ok(err)
			if existed || third.ID == first.ID {
				e.t.Fatal("another author's key matched")
			}
			if n := e.account(a.ID).StatusesCount; n != 1 {
				e.t.Fatalf("statuses_count = %d", n)
			}
		}},
		{"CreateQueuesEventsAndJobs", func(e *env) {
			a := e.local("alice")
			st := e.newStatus(a, post{})
			_, _, err := e.s.CreateStatus(e.ctx, storage.NewStatus{Status: st,
				Events: []model.OutboxEvent{{Kind: model.EventStatusCreate, AccountID: a.ID, ObjectID: 1}},
				Jobs:   []storage.Job{{Kind: "card", Payload: `{}`}}})
			e.ok(err)
			e.federateJobs(1)
			n, err := e.s.CountJobs(e.ctx, "card", 0, time.Now().Add(time.Hour))
			e.ok(err)
			if n != 1 {
				e.t.Fatalf("card jobs = %d", n)
			}
		}},
		{"RepliesCountAndThread", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			root := e.pub(a)
			r1 := e.post(b, post{replyTo: root, mentions: []int64{a.ID}})
			r2 := e.post(a, post{replyTo: r1})
			r3 := e.post(b, post{replyTo: root})
			if n := e.status(root.ID).RepliesCount; n != 2 {
				e.t.Fatalf("root replies_count = %d", n)
			}
			anc, err := e.s.Ancestors(e.ctx, r2.ID, 10)
			e.ok(err)
			e.equal("ancestors", ids(anc), sids(r1, root))
			anc, err = e.s.Ancestors(e.ctx, r2.ID, 1)
			e.ok(err)
			e.equal("ancestors limit 1", ids(anc), sids(r1))
			desc, err := e.s.Descendants(e.ctx, root.ID, 10)
			e.ok(err)
			got := ids(desc)
			if len(got) != 3 || !contains(got, r1.ID) || !contains(got, r2.ID) || !contains(got, r3.ID) {
				e.t.Fatalf("descendants = %v", got)
			}
			if !e.hasNotification(a.ID, model.NotifyMention, b.ID, r1.ID) {
				e.t.Fatal("no mention notification")
			}
			e.ok(e.s.DeleteStatus(e.ctx, r3.ID, nil))
			if n := e.status(root.ID).RepliesCount; n != 1 {
				e.t.Fatalf("root replies_count after a delete = %d", n)
			}
		}},
		{"DeleteStatusCascades", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			e.follow(b, a)
			st := e.pub(a)
			e.ok(e.s.Favourite(e.ctx, b.ID, st.ID, "", nil))
			e.ok(e.s.Bookmark(e.ctx, b.ID, st.ID))
			boost := e.boost(b, st)
			e.ok(e.s.Pin(e.ctx, a.ID, st.ID, nil))
			e.ok(e.s.DeleteStatus(e.ctx, st.ID, []model.OutboxEvent{{Kind: model.EventStatusDelete, AccountID: a.ID, ObjectID: st.ID}}))
			_, err := e.s.StatusByID(e.ctx, st.ID)
			e.is(err, storage.ErrNotFound, "deleted status")
			_, err = e.s.StatusByID(e.ctx, boost.ID)
			e.is(err, storage.ErrNotFound, "boost of a deleted status")
			_, err = e.s.FavouriteURI(e.ctx, b.ID, st.ID)
			e.is(err, storage.ErrNotFound, "favourite of a deleted status")
			if contains(e.home(b.ID), st.ID) || contains(e.home(b.ID), boost.ID) {
				e.t.Fatal("deleted status still in a home feed")
			}
			if n := e.account(a.ID).StatusesCount; n != 0 {
				e.t.Fatalf("statuses_count = %d", n)
			}
			for _, n := range e.notifications(a.ID) {
				if n.StatusID == st.ID {
					e.t.Fatalf("notification %s about a deleted status", n.Type)
				}
			}
			at, err := e.s.TombstoneAt(e.ctx, st.URI)
			e.ok(err)
			if at == nil {
				e.t.Fatal("no tombstone")
			}
			e.federateJobs(1)
			e.is(e.s.DeleteStatus(e.ctx, st.ID, nil), storage.ErrNotFound, "deleting twice")
		}},
		{"RemoteDeleteLeavesNoTombstone", func(e *env) {
			r := e.remote("r", "remote.test")
			st := e.pub(r)
			e.ok(e.s.DeleteStatus(e.ctx, st.ID, nil))
			_, err := e.s.TombstoneAt(e.ctx, st.URI)
			e.is(err, storage.ErrNotFound, "tombstone of a remote status")
		}},
		{"FavouriteIdempotentCounted", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			st := e.pub(a)
			ev := []model.OutboxEvent{{Kind: model.EventFavourite, AccountID: b.ID, ObjectID: st.ID}}
			e.ok(e.s.Favourite(e.ctx, b.ID, st.ID, "https://local.test/likes/1", ev))
			e.ok(e.s.Favourite(e.ctx, b.ID, st.ID, "https://local.test/likes/1", ev))
			if n := e.status(st.ID).FavouritesCount; n != 1 {
				e.t.Fatalf("favourites_count = %d", n)
			}
			e.federateJobs(1)
			if !e.hasNotification(a.ID, model.NotifyFavourite, b.ID, st.ID) {
				e.t.Fatal("no favourite notification")
			}
			acc, sid, err := e.s.FavouriteByURI(e.ctx, "https://local.test/likes/1")
			e.ok(err)
			if acc != b.ID || sid != st.ID {
				e.t.Fatalf("FavouriteByURI = %d, %d", acc, sid)
			}
			uri, err := e.s.FavouriteURI(e.ctx, b.ID, st.ID)
			e.ok(err)
			if uri != "https://local.test/likes/1" {
				e.t.Fatalf("FavouriteURI = %q", uri)
			}
			e.ok(e.s.Unfavourite(e.ctx, b.ID, st.ID, ev))
			e.ok(e.s.Unfavourite(e.ctx, b.ID, st.ID, ev))
			if n := e.status(st.ID).FavouritesCount; n != 0 {
				e.t.Fatalf("favourites_count after undo = %d", n)
			}
			e.federateJobs(2)
			if e.hasNotification(a.ID, model.NotifyFavourite, b.ID, st.ID) {
				e.t.Fatal("favourite notification left after the undo")
			}
			e.is(e.s.Favourite(e.ctx, b.ID, 424242, "", nil), storage.ErrNotFound, "favourite of no status")
			_, _, err = e.s.FavouriteByURI(e.ctx, "https://local.test/likes/1")
			e.is(err, storage.ErrNotFound, "FavouriteByURI after the undo")
		}},
		{"PendingFavouriteAnswered", func(e *env) {
			a, r := e.local("alice"), e.remote("r", "remote.test")
			st := e.pub(r)
			st2 := e.pub(r)
			e.ok(e.s.PendingFavourite(e.ctx, a.ID, st.ID, "https://local.test/likes/p1", nil))
			e.ok(e.s.PendingFavourite(e.ctx, a.ID, st2.ID, "https://local.test/likes/p2", nil))
			if n := e.status(st.ID).FavouritesCount; n != 0 {
				e.t.Fatalf("pending favourite counted: %d", n)
			}
			flags, err := e.s.StatusFlags(e.ctx, a.ID, []int64{st.ID})
			e.ok(err)
			if flags[st.ID].Favourited {
				e.t.Fatal("pending favourite shown as favourited")
			}
			favs, _, err := e.s.Favourites(e.ctx, a.ID, model.Page{Limit: 10})
			e.ok(err)
			if len(favs) != 0 {
				e.t.Fatal("pending favourite in the favourites list")
			}
			ok, err := e.s.AnswerFavourite(e.ctx, "https://local.test/likes/p1", true)
			e.ok(err)
			if !ok {
				e.t.Fatal("accept answered nothing")
			}
			if n := e.status(st.ID).FavouritesCount; n != 1 {
				e.t.Fatalf("accepted favourite count = %d", n)
			}
			ok, err = e.s.AnswerFavourite(e.ctx, "https://local.test/likes/p2", false)
			e.ok(err)
			if !ok {
				e.t.Fatal("reject answered nothing")
			}
			_, err = e.s.FavouriteURI(e.ctx, a.ID, st2.ID)
			e.is(err, storage.ErrNotFound, "rejected favourite")
			ok, err = e.s.AnswerFavourite(e.ctx, "https://local.test/likes/p1", true)
			e.ok(err)
			if ok {
				e.t.Fatal("a favourite was answered twice")
			}
		}},
		{"ReblogIdempotentAndUndo", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			st := e.pub(a)
			boost := e.boost(b, st)
			again, err := e.s.Reblog(e.ctx, e.boostOf(b, st), nil)
			e.ok(err)
			if again.ID != boost.ID {
				e.t.Fatalf("second boost = %d, want %d", again.ID, boost.ID)
			}
			if n := e.status(st.ID).ReblogsCount; n != 1 {
				e.t.Fatalf("reblogs_count = %d", n)
			}
			if !e.hasNotification(a.ID, model.NotifyReblog, b.ID, st.ID) {
				e.t.Fatal("no reblog notification")
			}
			of, err := e.s.ReblogOf(e.ctx, b.ID, st.ID)
			e.ok(err)
			if of.ID != boost.ID || of.ReblogOfID != st.ID {
				e.t.Fatalf("ReblogOf = %+v", of)
			}
			e.ok(e.s.DeleteStatus(e.ctx, boost.ID, nil))
			if n := e.status(st.ID).ReblogsCount; n != 0 {
				e.t.Fatalf("reblogs_count after undo = %d", n)
			}
			if e.hasNotification(a.ID, model.NotifyReblog, b.ID, st.ID) {
				e.t.Fatal("reblog notification left after the undo")
			}
			_, err = e.s.ReblogOf(e.ctx, b.ID, st.ID)
			e.is(err, storage.ErrNotFound, "ReblogOf after the undo")
			_, err = e.s.Reblog(e.ctx, &model.Status{AccountID: b.ID, ReblogOfID: 424242, URI: "https://local.test/b/x", Local: true}, nil)
			e.is(err, storage.ErrNotFound, "boost of no status")
		}},
		{"BookmarksAndFlags", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			st, other := e.pub(a), e.pub(a)
			e.ok(e.s.Bookmark(e.ctx, b.ID, st.ID))
			e.ok(e.s.Bookmark(e.ctx, b.ID, st.ID))
			e.ok(e.s.Favourite(e.ctx, b.ID, st.ID, "", nil))
			e.boost(b, st)
			e.ok(e.s.Pin(e.ctx, a.ID, st.ID, nil))
			flags, err := e.s.StatusFlags(e.ctx, b.ID, []int64{st.ID, other.ID})
			e.ok(err)
			if f := flags[st.ID]; !f.Bookmarked || !f.Favourited || !f.Reblogged || f.Pinned {
				e.t.Fatalf("bob's flags = %+v", f)
			}
			if f := flags[other.ID]; f != (storage.StatusFlags{}) {
				e.t.Fatalf("flags of an untouched status = %+v", f)
			}
			flags, err = e.s.StatusFlags(e.ctx, a.ID, []int64{st.ID})
			e.ok(err)
			if !flags[st.ID].Pinned || flags[st.ID].Bookmarked {
				e.t.Fatalf("alice's flags = %+v", flags[st.ID])
			}
			bms, cursors, err := e.s.Bookmarks(e.ctx, b.ID, model.Page{Limit: 10})
			e.ok(err)
			if len(bms) != 1 || bms[0].ID != st.ID || len(cursors) != 1 {
				e.t.Fatalf("bookmarks = %v", ids(bms))
			}
			e.ok(e.s.Unbookmark(e.ctx, b.ID, st.ID))
			e.ok(e.s.Unbookmark(e.ctx, b.ID, st.ID))
			bms, _, err = e.s.Bookmarks(e.ctx, b.ID, model.Page{Limit: 10})
			e.ok(err)
			if len(bms) != 0 {
				e.t.Fatal("bookmark left after unbookmark")
			}
		}},
		{"PinLimit", func(e *env) {
			a := e.local("alice")
			var sts []*model.Status
			for i := 0; i < storage.MaxPins+1; i++ {
				sts = append(sts, e.pub(a))
			}
			for _, st := range sts[:storage.MaxPins] {
				e.ok(e.s.Pin(e.ctx, a.ID, st.ID, []model.OutboxEvent{{Kind: model.EventPin, AccountID: a.ID, ObjectID: st.ID}}))
			}
			e.ok(e.s.Pin(e.ctx, a.ID, sts[0].ID, []model.OutboxEvent{{Kind: model.EventPin, AccountID: a.ID}})) // again: no-op
			e.federateJobs(storage.MaxPins)
			e.is(e.s.Pin(e.ctx, a.ID, sts[storage.MaxPins].ID, nil), storage.ErrPinLimit, "pin past the limit")
			e.ok(e.s.Unpin(e.ctx, a.ID, sts[0].ID, nil))
			e.ok(e.s.Pin(e.ctx, a.ID, sts[storage.MaxPins].ID, nil))
			pinned, err := e.s.AccountStatuses(e.ctx, a.ID, model.Direct, storage.AccountStatusFilter{Pinned: true}, model.Page{Limit: 20})
			e.ok(err)
			if len(pinned) != storage.MaxPins || contains(ids(pinned), sts[0].ID) {
				e.t.Fatalf("pinned = %v", ids(pinned))
			}
		}},
		{"ViewerRelations", func(e *env) {
			a, b, c, d := e.local("alice"), e.local("bob"), e.local("carol"), e.remote("dan", "bad.test")
			e.follow(a, b)
			e.ok(e.s.Block(e.ctx, c.ID, a.ID, "", nil)) // carol blocks alice: a block either way
			e.ok(e.s.Mute(e.ctx, a.ID, d.ID, true, nil))
			e.ok(e.s.BlockDomainForUser(e.ctx, a.ID, "bad.test"))
			vr, err := e.s.ViewerRelations(e.ctx, a.ID, []int64{b.ID, c.ID, d.ID})
			e.ok(err)
			if !vr.Following[b.ID] || vr.Following[c.ID] || !vr.Blocked[c.ID] || vr.Blocked[b.ID] || !vr.Muted[d.ID] ||
				!vr.DomainBlocked[d.ID] || vr.DomainBlocked[b.ID] {
				e.t.Fatalf("relations = %+v", vr)
			}
		}},
		{"FavouritedAndRebloggedByPaged", func(e *env) {
			a := e.local("alice")
			st := e.pub(a)
			var fans []int64
			for _, n := range []string{"b1", "b2", "b3"} {
				x := e.local(n)
				e.ok(e.s.Favourite(e.ctx, x.ID, st.ID, "", nil))
				e.boost(x, st)
				fans = append(fans, x.ID)
			}
			for _, by := range []func(p model.Page) ([]int64, []int64, error){
				func(p model.Page) ([]int64, []int64, error) { return e.s.FavouritedBy(e.ctx, st.ID, p) },
				func(p model.Page) ([]int64, []int64, error) { return e.s.RebloggedBy(e.ctx, st.ID, p) },
			} {
				accs, cursors, err := by(model.Page{Limit: 2})
				e.ok(err)
				e.equal("first page", accs, []int64{fans[2], fans[1]})
				accs, _, err = by(model.Page{Limit: 2, MaxID: cursors[1]})
				e.ok(err)
				e.equal("second page", accs, []int64{fans[0]})
			}
		}},
		{"EditHistory", func(e *env) {
			a := e.local("alice")
			st := e.post(a, post{text: "v1", tags: []string{"old"}})
			for _, v := range []string{"v2", "v3"} {
				edited := e.status(st.ID)
				now := time.Now()
				edited.Content, edited.Text, edited.EditedAt = "<p>"+v+"</p>", v, &now
				e.ok(e.s.UpdateStatus(e.ctx, edited, []string{"new"}, nil))
			}
			got := e.status(st.ID)
			if got.Text != "v3" || got.EditedAt == nil || !slices.Equal(got.Tags, []string{"new"}) {
				e.t.Fatalf("edited status = %+v", got)
			}
			edits, err := e.s.StatusEdits(e.ctx, st.ID)
			e.ok(err)
			if len(edits) != 2 || edits[0].Content != "<p>v1</p>" || edits[1].Content != "<p>v2</p>" {
				e.t.Fatalf("edits = %+v", edits)
			}
			missing := *got
			missing.ID = 424242
			e.is(e.s.UpdateStatus(e.ctx, &missing, nil, nil), storage.ErrNotFound, "editing no status")
		}},
		{"EditNotifiesBoosters", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			st := e.pub(a)
			e.boost(b, st)
			edited := e.status(st.ID)
			edited.Text = "changed"
			e.ok(e.s.UpdateStatus(e.ctx, edited, nil, nil))
			if !e.hasNotification(b.ID, model.NotifyUpdate, a.ID, st.ID) {
				e.t.Fatal("booster not told of the edit")
			}
		}},
	}}
}

// boostOf makes, without storing it, author's boost of st.
func (e *env) boostOf(author *model.Account, st *model.Status) *model.Status {
	b := e.newStatus(author, post{vis: st.Visibility})
	b.ReblogOfID = st.ID
	b.Content, b.Text = "", ""
	return b
}

// boost stores author's boost of st.
func (e *env) boost(author *model.Account, st *model.Status) *model.Status {
	e.t.Helper()
	b, err := e.s.Reblog(e.ctx, e.boostOf(author, st), nil)
	e.ok(err)
	if b.ID == 0 || b.ReblogOfID != st.ID {
		e.t.Fatalf("boost = %+v", b)
	}
	return b
}
