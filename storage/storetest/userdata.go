package storetest

import (
	"slices"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func userDataArea() area {
	return area{"UserData", []testCase{
		{"ListsOwnedOnly", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			l := e.list(a, "friends")
			got, err := e.s.ListByID(e.ctx, a.ID, l.ID)
			e.ok(err)
			if got.Title != "friends" || got.RepliesPolicy != "list" {
				e.t.Fatalf("list = %+v", got)
			}
			_, err = e.s.ListByID(e.ctx, b.ID, l.ID)
			e.is(err, storage.ErrNotFound, "someone else's list")
			e.is(e.s.UpdateList(e.ctx, &model.List{ID: l.ID, AccountID: b.ID, Title: "x", RepliesPolicy: "none"}), storage.ErrNotFound, "update someone else's list")
			e.is(e.s.DeleteList(e.ctx, b.ID, l.ID), storage.ErrNotFound, "delete someone else's list")
			e.is(e.s.AddListMembers(e.ctx, b.ID, l.ID, nil), storage.ErrNotFound, "add to someone else's list")
			e.ok(e.s.UpdateList(e.ctx, &model.List{ID: l.ID, AccountID: a.ID, Title: "close", RepliesPolicy: "followed", Exclusive: true}))
			got, _ = e.s.ListByID(e.ctx, a.ID, l.ID)
			if got.Title != "close" || got.RepliesPolicy != "followed" || !got.Exclusive {
				e.t.Fatalf("updated list = %+v", got)
			}
			e.list(a, "second")
			ls, err := e.s.ListsOf(e.ctx, a.ID)
			e.ok(err)
			if len(ls) != 2 {
				e.t.Fatalf("lists = %+v", ls)
			}
			e.ok(e.s.DeleteList(e.ctx, a.ID, l.ID))
			_, err = e.s.ListByID(e.ctx, a.ID, l.ID)
			e.is(err, storage.ErrNotFound, "deleted list")
			e.is(e.s.DeleteList(e.ctx, a.ID, l.ID), storage.ErrNotFound, "deleting twice")
		}},
		{"ListMembersMustBeFollowed", func(e *env) {
			a, b, c, d := e.local("alice"), e.local("bob"), e.local("carol"), e.local("dan")
			e.follow(a, b)
			e.ok(e.s.RequestFollow(e.ctx, &model.Follow{AccountID: a.ID, TargetID: d.ID}, nil))
			l := e.list(a, "l")
			e.is(e.s.AddListMembers(e.ctx, a.ID, l.ID, []int64{b.ID, c.ID}), storage.ErrConflict, "adding an account not followed")
			members, err := e.s.ListMembers(e.ctx, l.ID, model.Page{})
			e.ok(err)
			if len(members) != 0 {
				e.t.Fatalf("a refused add left members %v", members)
			}
			e.ok(e.s.AddListMembers(e.ctx, a.ID, l.ID, []int64{b.ID, d.ID}))
			e.ok(e.s.AddListMembers(e.ctx, a.ID, l.ID, []int64{b.ID})) // idempotent
			members, err = e.s.ListMembers(e.ctx, l.ID, model.Page{})
			e.ok(err)
			slices.Sort(members)
			want := []int64{b.ID, d.ID}
			slices.Sort(want)
			e.equal("members", members, want)
			page, err := e.s.ListMembers(e.ctx, l.ID, model.Page{Limit: 1, MaxID: max(b.ID, d.ID)})
			e.ok(err)
			e.equal("members below the larger id", page, []int64{min(b.ID, d.ID)})
			in, err := e.s.ListsContaining(e.ctx, a.ID, b.ID)
			e.ok(err)
			if len(in) != 1 || in[0].ID != l.ID {
				e.t.Fatalf("lists containing bob = %+v", in)
			}
			refs, err := e.s.ListsWithMember(e.ctx, b.ID)
			e.ok(err)
			if len(refs) != 1 || refs[0] != (storage.ListRef{ID: l.ID, OwnerID: a.ID}) {
				e.t.Fatalf("ListsWithMember = %+v", refs)
			}
			e.ok(e.s.RemoveListMembers(e.ctx, a.ID, l.ID, []int64{b.ID}))
			members, _ = e.s.ListMembers(e.ctx, l.ID, model.Page{})
			e.equal("members after remove", members, []int64{d.ID})
		}},
		{"FiltersLifecycle", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			st := e.pub(b)
			f := &model.Filter{AccountID: a.ID, Title: "spoilers", Context: []string{"home", "public"}, Action: "warn",
				Keywords: []model.FilterKeyword{{Keyword: "finale", WholeWord: true}, {Keyword: "ending"}},
				Statuses: []model.FilterStatus{{StatusID: st.ID}}}
			e.ok(e.s.CreateFilter(e.ctx, f))
			if f.ID == 0 || f.Keywords[0].ID == 0 || f.Statuses[0].ID == 0 {
				e.t.Fatalf("ids not set: %+v", f)
			}
			got, err := e.s.FilterByID(e.ctx, a.ID, f.ID)
			e.ok(err)
			if got.Title != "spoilers" || got.Action != "warn" || !slices.Equal(got.Context, []string{"home", "public"}) ||
				len(got.Keywords) != 2 || len(got.Statuses) != 1 || got.Statuses[0].StatusID != st.ID {
				e.t.Fatalf("filter = %+v", got)
			}
			_, err = e.s.FilterByID(e.ctx, b.ID, f.ID)
			e.is(err, storage.ErrNotFound, "someone else's filter")
			title, exp := "plot", time.Now().Add(time.Hour).Truncate(time.Millisecond)
			up, err := e.s.UpdateFilter(e.ctx, a.ID, f.ID, storage.FilterUpdate{Title: &title, SetExpiry: true, ExpiresAt: &exp,
				AddKeywords: []model.FilterKeyword{{Keyword: "twist"}}, DeleteKeywords: []int64{f.Keywords[1].ID},
				UpdateKeywords: []model.FilterKeyword{{ID: f.Keywords[0].ID, Keyword: "FINALE", WholeWord: false}}})
			e.ok(err)
			if up.Title != "plot" || up.ExpiresAt == nil || !up.ExpiresAt.Equal(exp) || len(up.Keywords) != 2 || up.Action != "warn" {
				e.t.Fatalf("updated filter = %+v", up)
			}
			kw, err := e.s.FilterKeywordByID(e.ctx, a.ID, f.Keywords[0].ID)
			e.ok(err)
			if kw.Keyword != "FINALE" || kw.WholeWord {
				e.t.Fatalf("updated keyword = %+v", kw)
			}
			_, err = e.s.UpdateFilter(e.ctx, b.ID, f.ID, storage.FilterUpdate{Title: &title})
			e.is(err, storage.ErrNotFound, "updating someone else's filter")
			all, err := e.s.FiltersOf(e.ctx, a.ID)
			e.ok(err)
			if len(all) != 1 {
				e.t.Fatalf("filters = %d", len(all))
			}
			e.is(e.s.DeleteFilter(e.ctx, b.ID, f.ID), storage.ErrNotFound, "deleting someone else's filter")
			e.ok(e.s.DeleteFilter(e.ctx, a.ID, f.ID))
			_, err = e.s.FilterByID(e.ctx, a.ID, f.ID)
			e.is(err, storage.ErrNotFound, "deleted filter")
			_, err = e.s.FilterKeywordByID(e.ctx, a.ID, f.Keywords[0].ID)
			e.is(err, storage.ErrNotFound, "keyword of a deleted filter")
		}},
		{"FiltersKeepExpiredAndOwnKeywords", func(e *env) {
			a := e.local("alice")
			past := time.Now().Add(-time.Hour)
			old := &model.Filter{AccountID: a.ID, Title: "old", Context: []string{"home"}, Action: "warn", ExpiresAt: &past,
				Keywords: []model.FilterKeyword{{Keyword: "x"}}}
			e.ok(e.s.CreateFilter(e.ctx, old))
			other := &model.Filter{AccountID: a.ID, Title: "other", Context: []string{"home"}, Action: "warn",
				Keywords: []model.FilterKeyword{{Keyword: "y"}}}
			e.ok(e.s.CreateFilter(e.ctx, other))
			all, err := e.s.FiltersOf(e.ctx, a.ID)
			e.ok(err)
			if len(all) != 2 {
				e.t.Fatalf("filters = %d (an expired one is kept)", len(all))
			}
			// A keyword of another filter cannot be changed through this one.
			_, err = e.s.UpdateFilter(e.ctx, a.ID, old.ID, storage.FilterUpdate{
				UpdateKeywords: []model.FilterKeyword{{ID: other.Keywords[0].ID, Keyword: "hijacked"}}})
			if err == nil {
				e.t.Fatal("updated another filter's keyword")
			}
			kw, _ := e.s.FilterKeywordByID(e.ctx, a.ID, other.Keywords[0].ID)
			if kw.Keyword != "y" || kw.FilterID != other.ID {
				e.t.Fatalf("other filter's keyword = %+v", kw)
			}
		}},
		{"FilterKeywordsAndStatuses", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			f := &model.Filter{AccountID: a.ID, Title: "v1", Context: []string{"home"}, Action: "hide",
				Keywords: []model.FilterKeyword{{Keyword: "one"}}}
			e.ok(e.s.CreateFilter(e.ctx, f))
			k := &model.FilterKeyword{FilterID: f.ID, Keyword: "two"}
			e.ok(e.s.AddFilterKeyword(e.ctx, a.ID, k))
			if k.ID == 0 {
				e.t.Fatal("AddFilterKeyword set no id")
			}
			e.is(e.s.AddFilterKeyword(e.ctx, b.ID, &model.FilterKeyword{FilterID: f.ID, Keyword: "x"}), storage.ErrNotFound, "keyword on someone else's filter")
			k.Keyword = "deux"
			e.ok(e.s.UpdateFilterKeyword(e.ctx, a.ID, k))
			got, _ := e.s.FilterKeywordByID(e.ctx, a.ID, k.ID)
			if got.Keyword != "deux" {
				e.t.Fatalf("keyword = %+v", got)
			}
			st := e.pub(b)
			fs := &model.FilterStatus{FilterID: f.ID, StatusID: st.ID}
			e.ok(e.s.AddFilterStatus(e.ctx, a.ID, fs))
			gotFS, err := e.s.FilterStatusByID(e.ctx, a.ID, fs.ID)
			e.ok(err)
			if gotFS.StatusID != st.ID || gotFS.FilterID != f.ID {
				e.t.Fatalf("filter status = %+v", gotFS)
			}
			_, err = e.s.FilterStatusByID(e.ctx, b.ID, fs.ID)
			e.is(err, storage.ErrNotFound, "someone else's filter status")
			e.ok(e.s.DeleteFilterStatus(e.ctx, a.ID, fs.ID))
			// v1 semantics: the last keyword's deletion takes the filter.
			e.ok(e.s.DeleteFilterKeyword(e.ctx, a.ID, f.Keywords[0].ID, true))
			if _, err := e.s.FilterByID(e.ctx, a.ID, f.ID); err != nil {
				e.t.Fatal("filter with a keyword left was dropped:", err)
			}
			e.is(e.s.DeleteFilterKeyword(e.ctx, b.ID, k.ID, true), storage.ErrNotFound, "deleting someone else's keyword")
			e.ok(e.s.DeleteFilterKeyword(e.ctx, a.ID, k.ID, true))
			_, err = e.s.FilterByID(e.ctx, a.ID, f.ID)
			e.is(err, storage.ErrNotFound, "emptied v1 filter")
		}},
		{"MarkersVersioned", func(e *env) {
			a := e.local("alice")
			m, err := e.s.SetMarker(e.ctx, a.ID, "home", "100")
			e.ok(err)
			if m.Version != 1 || m.LastReadID != "100" {
				e.t.Fatalf("first marker = %+v", m)
			}
			m, err = e.s.SetMarker(e.ctx, a.ID, "home", "200")
			e.ok(err)
			if m.Version != 2 {
				e.t.Fatalf("moved marker = %+v", m)
			}
			_, err = e.s.SetMarker(e.ctx, a.ID, "notifications", "7")
			e.ok(err)
			ms, err := e.s.MarkersOf(e.ctx, a.ID, []string{"home"})
			e.ok(err)
			if len(ms) != 1 || ms[0].LastReadID != "200" || ms[0].Version != 2 {
				e.t.Fatalf("markers = %+v", ms)
			}
			ms, err = e.s.MarkersOf(e.ctx, a.ID, nil)
			e.ok(err)
			if len(ms) != 2 {
				e.t.Fatalf("all markers = %+v", ms)
			}
			other := e.local("bob")
			ms, _ = e.s.MarkersOf(e.ctx, other.ID, nil)
			if len(ms) != 0 {
				e.t.Fatalf("bob's markers = %+v", ms)
			}
		}},
		{"Hashtags", func(e *env) {
			a := e.local("alice")
			e.post(a, post{tags: []string{"golang", "go", "gopher", "rust"}})
			got, err := e.s.SearchHashtags(e.ctx, "GO", 10, 0)
			e.ok(err)
			var names []string
			for _, h := range got {
				names = append(names, h.Name)
			}
			slices.Sort(names)
			if !slices.Equal(names, []string{"go", "golang", "gopher"}) {
				e.t.Fatalf("search go = %v", names)
			}
			got, err = e.s.SearchHashtags(e.ctx, "go", 1, 0)
			e.ok(err)
			if len(got) != 1 {
				e.t.Fatalf("limit 1 = %v", got)
			}
			h, err := e.s.HashtagByName(e.ctx, "Rust")
			e.ok(err)
			if h.Name != "rust" || h.ID == 0 {
				e.t.Fatalf("rust = %+v", h)
			}
			e.post(a, post{tags: []string{"a_b", "axb"}})
			got, err = e.s.SearchHashtags(e.ctx, "a_", 10, 0)
			e.ok(err)
			if len(got) != 1 || got[0].Name != "a_b" {
				e.t.Fatalf("search a_ = %+v (an underscore is no wildcard)", got)
			}
			_, err = e.s.HashtagByName(e.ctx, "nope")
			e.is(err, storage.ErrNotFound, "unknown tag")
		}},
	}}
}

func hidingArea() area {
	return area{"Hiding", []testCase{
		{"DomainBlocks", func(e *env) {
			a := e.local("alice")
			for _, d := range []string{"a.test", "b.test", "a.test"} {
				e.ok(e.s.BlockDomainForUser(e.ctx, a.ID, d))
			}
			links, err := e.s.UserDomainBlocks(e.ctx, a.ID, model.Page{Limit: 10})
			e.ok(err)
			if len(links) != 2 || links[0].Domain != "b.test" || links[1].Domain != "a.test" {
				e.t.Fatalf("blocked domains = %+v", links)
			}
			page, err := e.s.UserDomainBlocks(e.ctx, a.ID, model.Page{Limit: 10, MaxID: links[0].ID})
			e.ok(err)
			if len(page) != 1 || page[0].Domain != "a.test" {
				e.t.Fatalf("second page = %+v", page)
			}
			r := e.remote("r", "b.test")
			rels, _ := e.s.Relationships(e.ctx, a.ID, []int64{r.ID})
			if !rels[0].DomainBlocking {
				e.t.Fatal("relationship misses the domain block")
			}
			e.ok(e.s.UnblockDomainForUser(e.ctx, a.ID, "b.test"))
			links, _ = e.s.UserDomainBlocks(e.ctx, a.ID, model.Page{Limit: 10})
			if len(links) != 1 {
				e.t.Fatalf("after unblock = %+v", links)
			}
		}},
		{"FollowersFromDomain", func(e *env) {
			a := e.local("alice")
			r1, r2, o := e.remote("r1", "x.test"), e.remote("r2", "x.test"), e.remote("o", "y.test")
			e.follow(r1, a)
			e.follow(o, a)
			e.follow(a, r2) // the other way: not a follower
			got, err := e.s.FollowersFromDomain(e.ctx, a.ID, "x.test")
			e.ok(err)
			e.equal("followers from x.test", got, []int64{r1.ID})
		}},
		{"Endorsements", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			e.ok(e.s.Endorse(e.ctx, a.ID, b.ID))
			e.ok(e.s.Endorse(e.ctx, a.ID, c.ID))
			e.ok(e.s.Endorse(e.ctx, a.ID, b.ID))
			links, err := e.s.Endorsements(e.ctx, a.ID, model.Page{Limit: 10})
			e.ok(err)
			if len(links) != 2 {
				e.t.Fatalf("endorsements = %+v", links)
			}
			e.ok(e.s.Unendorse(e.ctx, a.ID, b.ID))
			links, _ = e.s.Endorsements(e.ctx, a.ID, model.Page{Limit: 10})
			e.equal("after unendorse", linkIDs(links), []int64{c.ID})
		}},
		{"ConversationMute", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			root := e.pub(a)
			r1 := e.post(b, post{replyTo: root, mentions: []int64{a.ID}})
			r2 := e.post(b, post{replyTo: r1})
			got, err := e.s.ThreadRoot(e.ctx, r2.ID)
			e.ok(err)
			if got != root.ID {
				e.t.Fatalf("thread root = %d, want %d", got, root.ID)
			}
			self, err := e.s.ThreadRoot(e.ctx, root.ID)
			e.ok(err)
			if self != root.ID {
				e.t.Fatalf("root of the root = %d", self)
			}
			e.ok(e.s.MuteConversation(e.ctx, a.ID, root.ID))
			flags, err := e.s.StatusFlags(e.ctx, a.ID, []int64{r1.ID})
			e.ok(err)
			if !flags[r1.ID].Muted {
				e.t.Fatalf("muted conversation not flagged: %+v", flags[r1.ID])
			}
			r3 := e.post(b, post{replyTo: r2, mentions: []int64{a.ID}})
			if e.hasNotification(a.ID, model.NotifyMention, b.ID, r3.ID) {
				e.t.Fatal("mention in a muted conversation notified")
			}
			e.ok(e.s.UnmuteConversation(e.ctx, a.ID, root.ID))
			r4 := e.post(b, post{replyTo: r2, mentions: []int64{a.ID}})
			if !e.hasNotification(a.ID, model.NotifyMention, b.ID, r4.ID) {
				e.t.Fatal("mention after unmuting not notified")
			}
		}},
		{"FollowedTags", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			t1, err := e.s.FollowTag(e.ctx, a.ID, "herald")
			e.ok(err)
			t2, err := e.s.FollowTag(e.ctx, a.ID, "herald")
			e.ok(err)
			if t1.ID == 0 || t1 != t2 {
				e.t.Fatalf("follow tag twice = %+v, %+v", t1, t2)
			}
			tagged := e.post(b, post{tags: []string{"herald"}})
			if !contains(e.home(a.ID), tagged.ID) {
				e.t.Fatal("a followed tag's public post is not in the home feed")
			}
			links, err := e.s.FollowedTags(e.ctx, a.ID, model.Page{Limit: 10})
			e.ok(err)
			if len(links) != 1 || links[0].Tag.Name != "herald" {
				e.t.Fatalf("followed tags = %+v", links)
			}
			following, featuring, err := e.s.TagStates(e.ctx, a.ID, []string{"herald", "other"})
			e.ok(err)
			if !following["herald"] || following["other"] || featuring["herald"] {
				e.t.Fatalf("tag states = %v %v", following, featuring)
			}
			e.ok(e.s.UnfollowTag(e.ctx, a.ID, "herald"))
			links, _ = e.s.FollowedTags(e.ctx, a.ID, model.Page{Limit: 10})
			if len(links) != 0 {
				e.t.Fatalf("after unfollow = %+v", links)
			}
		}},
		{"FeaturedTags", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			e.post(a, post{tags: []string{"go"}})
			e.post(a, post{tags: []string{"go", "rust"}})
			e.post(a, post{tags: []string{"go"}, vis: model.Private})
			e.post(a, post{tags: []string{"zig"}})
			ft, err := e.s.FeatureTag(e.ctx, a.ID, "go")
			e.ok(err)
			again, err := e.s.FeatureTag(e.ctx, a.ID, "go")
			e.ok(err)
			if again.ID != ft.ID {
				e.t.Fatalf("featuring twice made %d and %d", ft.ID, again.ID)
			}
			e.ok(func() error { _, err := e.s.FeatureTag(e.ctx, a.ID, "rust"); return err }())
			fts, err := e.s.FeaturedTags(e.ctx, a.ID)
			e.ok(err)
			if len(fts) != 2 || fts[0].Tag.Name != "go" || fts[0].StatusesCount != 2 || fts[0].LastStatusAt == nil || fts[1].StatusesCount != 1 {
				e.t.Fatalf("featured = %+v", fts)
			}
			n, err := e.s.CountFeaturedTags(e.ctx, a.ID)
			e.ok(err)
			if n != 2 {
				e.t.Fatalf("count = %d", n)
			}
			sugg, err := e.s.TagSuggestions(e.ctx, a.ID, 10)
			e.ok(err)
			if len(sugg) != 1 || sugg[0].Name != "zig" {
				e.t.Fatalf("suggestions = %+v", sugg)
			}
			e.is(e.s.UnfeatureTag(e.ctx, b.ID, ft.ID), storage.ErrNotFound, "unfeaturing someone else's tag")
			e.ok(e.s.UnfeatureTag(e.ctx, a.ID, ft.ID))
			e.ok(e.s.UnfeatureTagByName(e.ctx, a.ID, "rust"))
			n, _ = e.s.CountFeaturedTags(e.ctx, a.ID)
			if n != 0 {
				e.t.Fatalf("count after unfeature = %d", n)
			}
		}},
	}}
}
