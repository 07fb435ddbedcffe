package storetest

import (
	"slices"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func socialArea() area {
	return area{"Social", []testCase{
		{"FollowCountersFeedNotification", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			pub, priv, dm := e.pub(b), e.post(b, post{vis: model.Private}), e.post(b, post{vis: model.Direct})
			for i := 0; i < 2; i++ { // idempotent
				e.ok(e.s.Follow(e.ctx, &model.Follow{AccountID: a.ID, TargetID: b.ID, ShowReblogs: true, URI: "https://local.test/f/1"},
					[]model.OutboxEvent{{Kind: model.EventFollow, AccountID: a.ID}}))
			}
			if got := e.account(b.ID); got.FollowersCount != 1 || got.FollowingCount != 0 {
				e.t.Fatalf("bob counters = %d/%d", got.FollowersCount, got.FollowingCount)
			}
			if got := e.account(a.ID); got.FollowingCount != 1 || got.FollowersCount != 0 {
				e.t.Fatalf("alice counters = %d/%d", got.FollowersCount, got.FollowingCount)
			}
			home := e.home(a.ID)
			if !contains(home, pub.ID) || !contains(home, priv.ID) || contains(home, dm.ID) {
				e.t.Fatalf("backfilled home = %v (public %d, private %d, direct %d)", home, pub.ID, priv.ID, dm.ID)
			}
			if !e.hasNotification(b.ID, model.NotifyFollow, a.ID, 0) {
				e.t.Fatal("no follow notification")
			}
			if n := len(e.notifications(b.ID)); n != 1 {
				e.t.Fatalf("follow notifications = %d", n)
			}
			f, err := e.s.FollowBetween(e.ctx, a.ID, b.ID)
			e.ok(err)
			if f.URI != "https://local.test/f/1" || !f.ShowReblogs {
				e.t.Fatalf("follow = %+v", f)
			}
			byURI, err := e.s.FollowByURI(e.ctx, "https://local.test/f/1")
			e.ok(err)
			if byURI.AccountID != a.ID || byURI.TargetID != b.ID {
				e.t.Fatalf("FollowByURI = %+v", byURI)
			}
			_, err = e.s.FollowBetween(e.ctx, b.ID, a.ID)
			e.is(err, storage.ErrNotFound, "FollowBetween the other way")
		}},
		{"FollowUpdatesOptions", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			e.follow(a, b)
			f := &model.Follow{AccountID: a.ID, TargetID: b.ID, ShowReblogs: false, Notify: true}
			e.ok(e.s.Follow(e.ctx, f, nil))
			if f.ID == 0 || f.URI == "" {
				e.t.Fatalf("existing follow not filled from its row: %+v", f)
			}
			got, err := e.s.FollowBetween(e.ctx, a.ID, b.ID)
			e.ok(err)
			if got.ShowReblogs || !got.Notify {
				e.t.Fatalf("follow options = %+v", got)
			}
			if n := e.account(b.ID).FollowersCount; n != 1 {
				e.t.Fatalf("followers_count = %d", n)
			}
		}},
		{"UnfollowUndoesEverything", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			e.follow(a, b)
			st := e.pub(b)
			l := e.list(a, "friends")
			e.ok(e.s.AddListMembers(e.ctx, a.ID, l.ID, []int64{b.ID}))
			removed, err := e.s.Unfollow(e.ctx, a.ID, b.ID, nil)
			e.ok(err)
			if !removed {
				e.t.Fatal("unfollow removed nothing")
			}
			if got := e.account(b.ID); got.FollowersCount != 0 {
				e.t.Fatalf("followers_count = %d", got.FollowersCount)
			}
			if got := e.account(a.ID); got.FollowingCount != 0 {
				e.t.Fatalf("following_count = %d", got.FollowingCount)
			}
			if contains(e.home(a.ID), st.ID) {
				e.t.Fatal("unfollowed account's status still in the home feed")
			}
			members, err := e.s.ListMembers(e.ctx, l.ID, model.Page{})
			e.ok(err)
			if len(members) != 0 {
				e.t.Fatalf("list members after unfollow = %v", members)
			}
			removed, err = e.s.Unfollow(e.ctx, a.ID, b.ID, nil)
			e.ok(err)
			if removed {
				e.t.Fatal("second unfollow removed something")
			}
		}},
		{"FollowRequests", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			f := &model.Follow{AccountID: a.ID, TargetID: b.ID, URI: "https://local.test/f/r1"}
			e.ok(e.s.RequestFollow(e.ctx, f, nil))
			e.ok(e.s.RequestFollow(e.ctx, &model.Follow{AccountID: a.ID, TargetID: b.ID, URI: "https://local.test/f/r1"}, nil))
			e.ok(e.s.RequestFollow(e.ctx, &model.Follow{AccountID: c.ID, TargetID: b.ID, URI: "https://local.test/f/r2"}, nil))
			n, err := e.s.CountFollowRequests(e.ctx, b.ID)
			e.ok(err)
			if n != 2 {
				e.t.Fatalf("requests = %d", n)
			}
			if !e.hasNotification(b.ID, model.NotifyFollowRequest, a.ID, 0) {
				e.t.Fatal("no follow_request notification")
			}
			if _, err := e.s.FollowRequestBetween(e.ctx, a.ID, b.ID); err != nil {
				e.t.Fatal(err)
			}
			_, err = e.s.FollowBetween(e.ctx, a.ID, b.ID)
			e.is(err, storage.ErrNotFound, "a request is no follow")
			byURI, err := e.s.FollowByURI(e.ctx, "https://local.test/f/r1")
			e.ok(err)
			if byURI.AccountID != a.ID {
				e.t.Fatalf("FollowByURI of a request = %+v", byURI)
			}
			links, err := e.s.FollowRequests(e.ctx, b.ID, model.Page{Limit: 10})
			e.ok(err)
			e.equal("requests", linkIDs(links), []int64{c.ID, a.ID})
			if got := e.account(b.ID).FollowersCount; got != 0 {
				e.t.Fatalf("a request counted as a follower: %d", got)
			}
			fol, err := e.s.AuthorizeFollowRequest(e.ctx, a.ID, b.ID, nil)
			e.ok(err)
			if fol.AccountID != a.ID || fol.TargetID != b.ID {
				e.t.Fatalf("authorized = %+v", fol)
			}
			if _, err := e.s.FollowBetween(e.ctx, a.ID, b.ID); err != nil {
				e.t.Fatal("authorized request is no follow:", err)
			}
			if got := e.account(b.ID).FollowersCount; got != 1 {
				e.t.Fatalf("followers after authorize = %d", got)
			}
			rej, err := e.s.RejectFollowRequest(e.ctx, c.ID, b.ID, nil)
			e.ok(err)
			if rej.AccountID != c.ID {
				e.t.Fatalf("rejected = %+v", rej)
			}
			_, err = e.s.AuthorizeFollowRequest(e.ctx, c.ID, b.ID, nil)
			e.is(err, storage.ErrNotFound, "authorize a rejected request")
			_, err = e.s.RejectFollowRequest(e.ctx, c.ID, b.ID, nil)
			e.is(err, storage.ErrNotFound, "reject twice")
			n, _ = e.s.CountFollowRequests(e.ctx, b.ID)
			if n != 0 {
				e.t.Fatalf("requests left = %d", n)
			}
		}},
		{"FollowReplacesRequest", func(e *env) {
			// A remote account's Accept of our request arrives as a Follow.
			a, r := e.local("alice"), e.remote("r", "remote.test")
			e.ok(e.s.RequestFollow(e.ctx, &model.Follow{AccountID: a.ID, TargetID: r.ID, URI: "https://local.test/f/1"}, nil))
			e.ok(e.s.Follow(e.ctx, &model.Follow{AccountID: a.ID, TargetID: r.ID, URI: "https://local.test/f/1"}, nil))
			_, err := e.s.FollowRequestBetween(e.ctx, a.ID, r.ID)
			e.is(err, storage.ErrNotFound, "the request a follow replaced")
			rel, _ := e.s.Relationships(e.ctx, a.ID, []int64{r.ID})
			if !rel[0].Following || rel[0].Requested {
				e.t.Fatalf("relationship = %+v", rel[0])
			}
			if e.account(a.ID).FollowingCount != 1 {
				e.t.Fatal("following_count")
			}
		}},
		{"UnfollowWithdrawsRequest", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			e.ok(e.s.RequestFollow(e.ctx, &model.Follow{AccountID: a.ID, TargetID: b.ID}, nil))
			removed, err := e.s.Unfollow(e.ctx, a.ID, b.ID, nil)
			e.ok(err)
			if !removed {
				e.t.Fatal("withdrawing a request removed nothing")
			}
			_, err = e.s.FollowRequestBetween(e.ctx, a.ID, b.ID)
			e.is(err, storage.ErrNotFound, "withdrawn request")
		}},
		{"BlockRemovesFollowsBothWays", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			e.follow(a, b)
			e.follow(b, a)
			e.ok(e.s.Block(e.ctx, a.ID, b.ID, "https://local.test/blocks/1", nil))
			for _, p := range [][2]int64{{a.ID, b.ID}, {b.ID, a.ID}} {
				_, err := e.s.FollowBetween(e.ctx, p[0], p[1])
				e.is(err, storage.ErrNotFound, "follow across a block")
			}
			for _, x := range []int64{a.ID, b.ID} {
				if got := e.account(x); got.FollowersCount != 0 || got.FollowingCount != 0 {
					e.t.Fatalf("counters of %d after a block = %d/%d", x, got.FollowersCount, got.FollowingCount)
				}
			}
			uri, err := e.s.BlockURI(e.ctx, a.ID, b.ID)
			e.ok(err)
			if uri != "https://local.test/blocks/1" {
				e.t.Fatalf("BlockURI = %q", uri)
			}
			for _, p := range [][2]int64{{a.ID, b.ID}, {b.ID, a.ID}} {
				blocked, err := e.s.IsBlockedEitherWay(e.ctx, p[0], p[1])
				e.ok(err)
				if !blocked {
					e.t.Fatal("IsBlockedEitherWay = false")
				}
			}
			rel, err := e.s.Relationships(e.ctx, b.ID, []int64{a.ID})
			e.ok(err)
			if !rel[0].BlockedBy || rel[0].Blocking {
				e.t.Fatalf("bob's relationship = %+v", rel[0])
			}
			links, err := e.s.Blocks(e.ctx, a.ID, model.Page{Limit: 10})
			e.ok(err)
			e.equal("blocks", linkIDs(links), []int64{b.ID})
			e.ok(e.s.Unblock(e.ctx, a.ID, b.ID, nil))
			_, err = e.s.BlockURI(e.ctx, a.ID, b.ID)
			e.is(err, storage.ErrNotFound, "BlockURI after unblock")
			blocked, err := e.s.IsBlockedEitherWay(e.ctx, a.ID, b.ID)
			e.ok(err)
			if blocked {
				e.t.Fatal("still blocked after unblock")
			}
		}},
		{"BlockClearsFeedAndLists", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			e.follow(a, b)
			st := e.pub(b)
			l := e.list(a, "l")
			e.ok(e.s.AddListMembers(e.ctx, a.ID, l.ID, []int64{b.ID}))
			e.ok(e.s.Block(e.ctx, a.ID, b.ID, "", nil))
			if contains(e.home(a.ID), st.ID) {
				e.t.Fatal("a blocked account's status stays in the home feed")
			}
			members, err := e.s.ListMembers(e.ctx, l.ID, model.Page{})
			e.ok(err)
			if len(members) != 0 {
				e.t.Fatalf("a blocked account stays in a list: %v", members)
			}
		}},
		{"DomainBlockSilencesNotifications", func(e *env) {
			// As Mastodon: a user's domain block hides that domain's
			// accounts, except those the user follows.
			a := e.local("alice")
			r, f := e.remote("r", "bad.test"), e.remote("f", "bad.test")
			e.follow(a, f)
			e.ok(e.s.BlockDomainForUser(e.ctx, a.ID, "bad.test"))
			e.post(r, post{mentions: []int64{a.ID}})
			fromF := e.post(f, post{mentions: []int64{a.ID}})
			ns := e.notifications(a.ID)
			if len(ns) != 1 || ns[0].StatusID != fromF.ID {
				e.t.Fatalf("notifications = %v", typesOf(ns))
			}
		}},
		{"MutesExpire", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			past := time.Now().Add(-time.Hour).UnixMilli()
			future := time.Now().Add(time.Hour).UnixMilli()
			e.ok(e.s.Mute(e.ctx, a.ID, b.ID, true, &future))
			e.ok(e.s.Mute(e.ctx, a.ID, c.ID, false, &past))
			links, err := e.s.Mutes(e.ctx, a.ID, model.Page{Limit: 10})
			e.ok(err)
			e.equal("unexpired mutes", linkIDs(links), []int64{b.ID})
			if links[0].ExpiresAt == nil {
				e.t.Fatal("mute lost its end")
			}
			rel, err := e.s.Relationships(e.ctx, a.ID, []int64{b.ID, c.ID})
			e.ok(err)
			if !rel[0].Muting || !rel[0].MutingNotifications || rel[1].Muting {
				e.t.Fatalf("relationships = %+v", rel)
			}
			n, err := e.s.DeleteExpiredMutes(e.ctx, time.Now())
			e.ok(err)
			if n != 1 {
				e.t.Fatalf("expired mutes deleted = %d", n)
			}
			e.ok(e.s.Mute(e.ctx, a.ID, b.ID, false, nil)) // updated: no end, no notifications
			rel, _ = e.s.Relationships(e.ctx, a.ID, []int64{b.ID})
			if !rel[0].Muting || rel[0].MutingNotifications {
				e.t.Fatalf("updated mute = %+v", rel[0])
			}
			e.ok(e.s.Unmute(e.ctx, a.ID, b.ID))
			rel, _ = e.s.Relationships(e.ctx, a.ID, []int64{b.ID})
			if rel[0].Muting {
				e.t.Fatal("still muting after unmute")
			}
		}},
		{"RelationshipsOrderAndNote", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			e.ok(e.s.Follow(e.ctx, &model.Follow{AccountID: a.ID, TargetID: b.ID, ShowReblogs: true, Notify: true}, nil))
			e.follow(c, a)
			e.ok(e.s.RequestFollow(e.ctx, &model.Follow{AccountID: b.ID, TargetID: a.ID}, nil))
			e.ok(e.s.SetAccountNote(e.ctx, a.ID, c.ID, "met at a conf"))
			e.ok(e.s.Endorse(e.ctx, a.ID, b.ID))
			rels, err := e.s.Relationships(e.ctx, a.ID, []int64{c.ID, 424242, b.ID})
			e.ok(err)
			if len(rels) != 2 || rels[0].TargetID != c.ID || rels[1].TargetID != b.ID {
				e.t.Fatalf("relationships = %+v", rels)
			}
			if r := rels[0]; !r.FollowedBy || r.Following || r.Note != "met at a conf" {
				e.t.Fatalf("to carol = %+v", r)
			}
			if r := rels[1]; !r.Following || !r.ShowingReblogs || !r.Notifying || !r.RequestedBy || !r.Endorsed {
				e.t.Fatalf("to bob = %+v", r)
			}
			e.ok(e.s.SetAccountNote(e.ctx, a.ID, c.ID, ""))
			rels, _ = e.s.Relationships(e.ctx, a.ID, []int64{c.ID})
			if rels[0].Note != "" {
				e.t.Fatalf("note after removal = %q", rels[0].Note)
			}
			rels, _ = e.s.Relationships(e.ctx, b.ID, []int64{a.ID})
			if !rels[0].Requested {
				e.t.Fatalf("bob's request not shown: %+v", rels[0])
			}
		}},
		{"FollowersFollowingPaged", func(e *env) {
			t := e.local("target")
			var fans []int64
			for _, n := range []string{"f1", "f2", "f3", "f4"} {
				f := e.local(n)
				e.follow(f, t)
				e.follow(t, f)
				fans = append(fans, f.ID)
			}
			for _, list := range []func(p model.Page) ([]storage.AccountLink, error){
				func(p model.Page) ([]storage.AccountLink, error) { return e.s.Followers(e.ctx, t.ID, p) },
				func(p model.Page) ([]storage.AccountLink, error) { return e.s.Following(e.ctx, t.ID, p) },
			} {
				first, err := list(model.Page{Limit: 2})
				e.ok(err)
				e.equal("newest first", linkIDs(first), []int64{fans[3], fans[2]})
				next, err := list(model.Page{Limit: 2, MaxID: first[1].ID})
				e.ok(err)
				e.equal("max_id page", linkIDs(next), []int64{fans[1], fans[0]})
				since, err := list(model.Page{Limit: 10, SinceID: next[0].ID})
				e.ok(err)
				e.equal("since_id page", linkIDs(since), []int64{fans[3], fans[2]})
				min, err := list(model.Page{Limit: 1, MinID: next[1].ID})
				e.ok(err)
				e.equal("min_id page", linkIDs(min), []int64{fans[1]})
			}
		}},
		{"FollowerInboxesDistinct", func(e *env) {
			a := e.local("alice")
			r1, r2 := e.remote("r1", "remote.test"), e.remote("r2", "remote.test")
			o := e.remote("o", "other.test")
			e.follow(r1, a)
			e.follow(r2, a)
			e.follow(o, a)
			e.follow(e.local("bob"), a)
			inboxes, err := e.s.FollowerInboxes(e.ctx, a.ID)
			e.ok(err)
			slices.Sort(inboxes)
			if !slices.Equal(inboxes, []string{"https://other.test/inbox", "https://remote.test/inbox"}) {
				e.t.Fatalf("inboxes = %v", inboxes)
			}
			n, err := e.s.CountLocalFollowers(e.ctx, a.ID)
			e.ok(err)
			if n != 1 {
				e.t.Fatalf("local followers = %d", n)
			}
		}},
		{"PersonalInboxWithoutShared", func(e *env) {
			a := e.local("alice")
			r := &model.Account{Username: "solo", Domain: "solo.test", URI: "https://solo.test/u", InboxURL: "https://solo.test/u/inbox"}
			e.ok(e.s.UpsertRemoteAccount(e.ctx, r))
			e.follow(r, a)
			inboxes, err := e.s.FollowerInboxes(e.ctx, a.ID)
			e.ok(err)
			if !slices.Equal(inboxes, []string{"https://solo.test/u/inbox"}) {
				e.t.Fatalf("inboxes = %v", inboxes)
			}
		}},
		{"DirectoryOmitsHiddenAndSuspended", func(e *env) {
			e.local("alice")
			shy := &model.Account{Username: "shy", URI: "https://local.test/users/shy", Discoverable: false}
			e.ok(e.s.CreateLocalAccount(e.ctx, shy, &model.User{Email: "shy@local.test", PasswordHash: "x", Role: model.RoleUser}))
			gone := e.local("gone")
			yes := true
			e.ok(e.s.ModerateAccount(e.ctx, gone.ID, storage.AccountModeration{Suspended: &yes}, nil, nil, nil))
			dir, err := e.s.DirectoryAccounts(e.ctx, "new", false, 10, 0)
			e.ok(err)
			if len(dir) != 1 || dir[0].Username != "alice" {
				e.t.Fatalf("directory = %d accounts", len(dir))
			}
		}},
		{"SearchFollowingAndDirectory", func(e *env) {
			a := e.local("alice")
			b1, b2 := e.local("bob"), e.local("bobby")
			e.follow(a, b1)
			got, err := e.s.SearchFollowing(e.ctx, a.ID, "bo", 10, 0)
			e.ok(err)
			if len(got) != 1 || got[0].ID != b1.ID {
				e.t.Fatalf("SearchFollowing = %v", got)
			}
			e.pub(b2)
			r := e.remote("rem", "remote.test")
			dir, err := e.s.DirectoryAccounts(e.ctx, "active", false, 10, 0)
			e.ok(err)
			if len(dir) == 0 || dir[0].ID != b2.ID {
				e.t.Fatalf("directory by activity starts with %v", dir)
			}
			dir, err = e.s.DirectoryAccounts(e.ctx, "new", true, 10, 0)
			e.ok(err)
			for _, d := range dir {
				if d.ID == r.ID {
					e.t.Fatal("local directory lists a remote account")
				}
			}
			if len(dir) != 3 || dir[0].ID != b2.ID {
				e.t.Fatalf("local directory by age = %d accounts", len(dir))
			}
		}},
	}}
}
