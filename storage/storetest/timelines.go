package storetest

import (
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func timelinesArea() area {
	return area{"Timelines", []testCase{
		{"HomeFollowedOnly", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			r := e.remote("r", "remote.test")
			e.follow(a, b)
			e.follow(a, r)
			own := e.pub(a)
			fromB := e.pub(b)
			fromBPriv := e.post(b, post{vis: model.Private})
			fromC := e.pub(c)
			fromR := e.pub(r)
			dmToA := e.post(c, post{vis: model.Direct, mentions: []int64{a.ID}})
			dmToOther := e.post(b, post{vis: model.Direct, mentions: []int64{c.ID}})
			home := e.home(a.ID)
			e.equal("home", home, sids(dmToA, fromR, fromBPriv, fromB, own))
			if contains(home, fromC.ID) || contains(home, dmToOther.ID) {
				e.t.Fatal("home holds a status of an account not followed")
			}
		}},
		{"HomeReplyToStranger", func(e *env) {
			// A reply to someone the follower does not follow stays out
			// of their feed; a reply to someone they follow comes in.
			a, b, c, d := e.local("alice"), e.local("bob"), e.local("carol"), e.local("dan")
			e.follow(a, b)
			e.follow(a, d)
			toC := e.post(b, post{replyTo: e.pub(c), mentions: []int64{c.ID}})
			toD := e.post(b, post{replyTo: e.pub(d), mentions: []int64{d.ID}})
			home := e.home(a.ID)
			if contains(home, toC.ID) || !contains(home, toD.ID) {
				e.t.Fatalf("home = %v; reply to a stranger %d, to a followed %d", home, toC.ID, toD.ID)
			}
		}},
		{"HomeBoostsOfFollowed", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			e.follow(a, b)
			st := e.pub(c)
			boost := e.boost(b, st)
			if !contains(e.home(a.ID), boost.ID) {
				e.t.Fatal("a followed account's boost is not in the home feed")
			}
			// Hiding b's boosts keeps the next one out.
			e.ok(e.s.Follow(e.ctx, &model.Follow{AccountID: a.ID, TargetID: b.ID, ShowReblogs: false}, nil))
			b2 := e.boost(b, e.pub(c))
			if contains(e.home(a.ID), b2.ID) {
				e.t.Fatal("a boost of an account whose boosts are hidden came in")
			}
		}},
		{"HomeExcludesBlockedAndMuted", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			e.follow(a, b)
			e.follow(a, c)
			e.ok(e.s.Mute(e.ctx, a.ID, b.ID, false, nil))
			muted := e.pub(b)
			e.ok(e.s.Block(e.ctx, c.ID, a.ID, "", nil)) // also ends alice's follow of carol
			blocked := e.pub(c)
			home := e.home(a.ID)
			if contains(home, muted.ID) || contains(home, blocked.ID) {
				e.t.Fatalf("home = %v holds a muted (%d) or blocking (%d) author", home, muted.ID, blocked.ID)
			}
		}},
		{"HomePrivateMentionAndUnfollowedBoosts", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			priv := e.post(b, post{vis: model.Private, mentions: []int64{a.ID}})
			if !contains(e.home(a.ID), priv.ID) {
				e.t.Fatal("a private mention of a non-follower is not in their home")
			}
			e.follow(a, c)
			boost := e.boost(c, e.pub(b))
			if !contains(e.home(a.ID), boost.ID) {
				e.t.Fatal("boost missing")
			}
			_, err := e.s.Unfollow(e.ctx, a.ID, c.ID, nil)
			e.ok(err)
			if contains(e.home(a.ID), boost.ID) {
				e.t.Fatal("an unfollowed account's boost stays in the home feed")
			}
		}},
		{"PagesNewestFirst", func(e *env) {
			a := e.local("alice")
			var all []*model.Status
			for i := 0; i < 6; i++ {
				all = append(all, e.pub(a))
			}
			// newest first: s5 s4 s3 s2 s1 s0
			page := func(p model.Page) []int64 {
				sts, err := e.s.HomeTimeline(e.ctx, a.ID, p)
				e.ok(err)
				return ids(sts)
			}
			e.equal("limit", page(model.Page{Limit: 2}), sids(all[5], all[4]))
			e.equal("max_id", page(model.Page{Limit: 2, MaxID: all[4].ID}), sids(all[3], all[2]))
			e.equal("since_id", page(model.Page{Limit: 2, SinceID: all[1].ID}), sids(all[5], all[4]))
			e.equal("min_id", page(model.Page{Limit: 2, MinID: all[1].ID}), sids(all[3], all[2]))
			e.equal("max_id and since_id", page(model.Page{Limit: 10, MaxID: all[4].ID, SinceID: all[1].ID}), sids(all[3], all[2]))
			e.equal("max_id and min_id", page(model.Page{Limit: 10, MaxID: all[5].ID, MinID: all[2].ID}), sids(all[4], all[3]))
			// The same on the public timeline and an account's statuses.
			pub, err := e.s.PublicTimeline(e.ctx, false, false, model.Page{Limit: 2, MinID: all[1].ID})
			e.ok(err)
			e.equal("public min_id", ids(pub), sids(all[3], all[2]))
			acc, err := e.s.AccountStatuses(e.ctx, a.ID, model.Public, storage.AccountStatusFilter{}, model.Page{Limit: 3, MaxID: all[3].ID})
			e.ok(err)
			e.equal("account max_id", ids(acc), sids(all[2], all[1], all[0]))
		}},
		{"PublicLocalRemote", func(e *env) {
			a, r := e.local("alice"), e.remote("r", "remote.test")
			lp := e.pub(a)
			rp := e.pub(r)
			e.post(a, post{vis: model.Unlisted})
			e.post(a, post{vis: model.Private})
			e.post(r, post{vis: model.Direct})
			e.boost(a, rp)
			get := func(local, remote bool) []int64 {
				sts, err := e.s.PublicTimeline(e.ctx, local, remote, model.Page{Limit: 20})
				e.ok(err)
				return ids(sts)
			}
			e.equal("public", get(false, false), sids(rp, lp))
			e.equal("local", get(true, false), sids(lp))
			e.equal("remote", get(false, true), sids(rp))
		}},
		{"PublicHidesSuspendedAndSilenced", func(e *env) {
			// (A reply held for approval may be on a page: core's CanSee
			// hides it from all but its author.)
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			st := e.post(a, post{tags: []string{"x"}})
			silenced := e.post(b, post{tags: []string{"x"}})
			gone := e.post(c, post{tags: []string{"x"}})
			yes := true
			e.ok(e.s.ModerateAccount(e.ctx, b.ID, storage.AccountModeration{Silenced: &yes}, nil, nil, nil))
			e.ok(e.s.ModerateAccount(e.ctx, c.ID, storage.AccountModeration{Suspended: &yes}, nil, nil, nil))
			pub, err := e.s.PublicTimeline(e.ctx, false, false, model.Page{Limit: 20})
			e.ok(err)
			e.equal("public", ids(pub), sids(st))
			if gone.ID == silenced.ID {
				e.t.Fatal("ids collide")
			}
		}},
		{"TagTimelines", func(e *env) {
			a, r := e.local("alice"), e.remote("r", "remote.test")
			goOnly := e.post(a, post{tags: []string{"go"}})
			both := e.post(r, post{tags: []string{"go", "rust"}})
			rustOnly := e.post(a, post{tags: []string{"rust"}})
			e.post(a, post{tags: []string{"go"}, vis: model.Private})
			tag := func(name string, local bool) []int64 {
				sts, err := e.s.TagTimeline(e.ctx, name, local, model.Page{Limit: 20})
				e.ok(err)
				return ids(sts)
			}
			e.equal("#go", tag("go", false), sids(both, goOnly))
			e.equal("#go local", tag("go", true), sids(goOnly))
			tags := func(q storage.TagQuery) []int64 {
				sts, err := e.s.TagsTimeline(e.ctx, q, model.Page{Limit: 20})
				e.ok(err)
				return ids(sts)
			}
			e.equal("any", tags(storage.TagQuery{Any: []string{"go", "rust"}}), sids(rustOnly, both, goOnly))
			e.equal("all", tags(storage.TagQuery{Any: []string{"go"}, All: []string{"rust"}}), sids(both))
			e.equal("none", tags(storage.TagQuery{Any: []string{"go"}, None: []string{"rust"}}), sids(goOnly))
			e.equal("remote", tags(storage.TagQuery{Any: []string{"go"}, RemoteOnly: true}), sids(both))
			st := e.status(both.ID)
			if len(st.Tags) != 2 {
				e.t.Fatalf("tags loaded = %v", st.Tags)
			}
		}},
		{"ListTimeline", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			e.follow(a, b)
			e.follow(a, c)
			l := e.list(a, "l")
			e.ok(e.s.AddListMembers(e.ctx, a.ID, l.ID, []int64{b.ID}))
			fromB := e.pub(b)
			e.pub(c)
			sts, err := e.s.ListTimeline(e.ctx, l.ID, model.Page{Limit: 20})
			e.ok(err)
			e.equal("list timeline", ids(sts), sids(fromB))
			owner, err := e.s.TimelineListOwner(e.ctx, l.ID)
			e.ok(err)
			if owner != a.ID {
				e.t.Fatalf("owner = %d", owner)
			}
			_, err = e.s.TimelineListOwner(e.ctx, 424242)
			e.is(err, storage.ErrNotFound, "owner of no list")
		}},
		{"AccountStatusesFilters", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			pub := e.pub(a)
			unl := e.post(a, post{vis: model.Unlisted, tags: []string{"x"}})
			priv := e.post(a, post{vis: model.Private})
			dm := e.post(a, post{vis: model.Direct, mentions: []int64{b.ID}})
			reply := e.post(a, post{replyTo: e.pub(b)})
			selfReply := e.post(a, post{replyTo: pub})
			boost := e.boost(a, e.pub(b))
			get := func(max model.Visibility, f storage.AccountStatusFilter) []int64 {
				sts, err := e.s.AccountStatuses(e.ctx, a.ID, max, f, model.Page{Limit: 20})
				e.ok(err)
				return ids(sts)
			}
			e.equal("public view", get(model.Unlisted, storage.AccountStatusFilter{}), sids(boost, selfReply, reply, unl, pub))
			e.equal("follower view", get(model.Private, storage.AccountStatusFilter{}), sids(boost, selfReply, reply, priv, unl, pub))
			e.equal("own view", get(model.Direct, storage.AccountStatusFilter{}), sids(boost, selfReply, reply, dm, priv, unl, pub))
			noReplies := get(model.Unlisted, storage.AccountStatusFilter{ExcludeReplies: true})
			if contains(noReplies, reply.ID) || !contains(noReplies, pub.ID) {
				e.t.Fatalf("exclude replies = %v", noReplies)
			}
			noBoosts := get(model.Unlisted, storage.AccountStatusFilter{ExcludeReblogs: true})
			if contains(noBoosts, boost.ID) || len(noBoosts) != 4 {
				e.t.Fatalf("exclude reblogs = %v", noBoosts)
			}
			e.equal("tagged", get(model.Unlisted, storage.AccountStatusFilter{Tagged: "x"}), sids(unl))
		}},
		{"DirectTimeline", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			toA := e.post(b, post{vis: model.Direct, mentions: []int64{a.ID}})
			byA := e.post(a, post{vis: model.Direct, mentions: []int64{c.ID}})
			e.post(b, post{vis: model.Direct, mentions: []int64{c.ID}})
			e.pub(a)
			sts, err := e.s.DirectTimeline(e.ctx, a.ID, model.Page{Limit: 20})
			e.ok(err)
			e.equal("direct", ids(sts), sids(byA, toA))
		}},
		{"RepliesOldestFirst", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			root := e.pub(a)
			r1 := e.post(b, post{replyTo: root})
			r2 := e.post(a, post{replyTo: root})
			e.post(b, post{replyTo: r1})
			sts, err := e.s.Replies(e.ctx, root.ID, 10)
			e.ok(err)
			e.equal("replies", ids(sts), sids(r1, r2))
		}},
		{"FavouritesByFavouriteOrder", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			old, recent := e.pub(b), e.pub(b)
			// Favourited in the other order: the list follows the favourites.
			e.ok(e.s.Favourite(e.ctx, a.ID, recent.ID, "", nil))
			e.ok(e.s.Favourite(e.ctx, a.ID, old.ID, "", nil))
			sts, cursors, err := e.s.Favourites(e.ctx, a.ID, model.Page{Limit: 1})
			e.ok(err)
			e.equal("first page", ids(sts), sids(old))
			sts, _, err = e.s.Favourites(e.ctx, a.ID, model.Page{Limit: 1, MaxID: cursors[0]})
			e.ok(err)
			e.equal("second page", ids(sts), sids(recent))
		}},
	}}
}

// list creates a list of owner.
func (e *env) list(owner *model.Account, title string) *model.List {
	e.t.Helper()
	l := &model.List{AccountID: owner.ID, Title: title, RepliesPolicy: "list"}
	e.ok(e.s.CreateList(e.ctx, l))
	if l.ID == 0 {
		e.t.Fatal("CreateList set no id")
	}
	return l
}
