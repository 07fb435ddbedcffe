package storetest

import (
	"crypto/sha256"
	"slices"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func accountsArea() area {
	return area{"Accounts", []testCase{
		{"LocalAccountReadBack", func(e *env) {
			a, u := e.localUser("alice")
			got := e.account(a.ID)
			if got.Username != "alice" || got.Domain != "" || got.URI != a.URI || got.PrivateKeyPEM != "priv-alice" {
				e.t.Fatalf("account = %+v", got)
			}
			for _, find := range []func() (*model.Account, error){
				func() (*model.Account, error) { return e.s.AccountByUsername(e.ctx, "ALICE", "") },
				func() (*model.Account, error) { return e.s.AccountByURI(e.ctx, a.URI) },
				func() (*model.Account, error) { return e.s.AccountByKeyID(e.ctx, a.KeyID) },
				func() (*model.Account, error) { return e.s.AccountByURL(e.ctx, a.URL, "") },
			} {
				got, err := find()
				e.ok(err)
				if got.ID != a.ID {
					e.t.Fatalf("found account %d, want %d", got.ID, a.ID)
				}
			}
			usr, err := e.s.UserByAccountID(e.ctx, a.ID)
			e.ok(err)
			if usr.ID != u.ID || usr.Email != "alice@local.test" || usr.Role != model.RoleUser || !usr.Approved {
				e.t.Fatalf("user = %+v", usr)
			}
			for _, login := range []string{"Alice", "ALICE@local.test"} {
				byLogin, err := e.s.UserByLogin(e.ctx, login)
				e.ok(err)
				if byLogin.ID != u.ID {
					e.t.Fatalf("UserByLogin(%q) = %d", login, byLogin.ID)
				}
			}
		}},
		{"NotFound", func(e *env) {
			e.local("alice")
			_, err := e.s.AccountByID(e.ctx, 424242)
			e.is(err, storage.ErrNotFound, "AccountByID")
			_, err = e.s.AccountByUsername(e.ctx, "nobody", "")
			e.is(err, storage.ErrNotFound, "AccountByUsername")
			_, err = e.s.AccountByUsername(e.ctx, "alice", "elsewhere.test")
			e.is(err, storage.ErrNotFound, "AccountByUsername of another domain")
			_, err = e.s.AccountByURI(e.ctx, "https://nowhere.test/u")
			e.is(err, storage.ErrNotFound, "AccountByURI")
			_, err = e.s.AccountByKeyID(e.ctx, "https://nowhere.test/u#k")
			e.is(err, storage.ErrNotFound, "AccountByKeyID")
			_, err = e.s.UserByAccountID(e.ctx, 424242)
			e.is(err, storage.ErrNotFound, "UserByAccountID")
			_, err = e.s.UserByLogin(e.ctx, "nobody")
			e.is(err, storage.ErrNotFound, "UserByLogin")
		}},
		{"AccountByURLOnItsHost", func(e *env) {
			// An actor may claim any url: it is trusted on its own host only.
			r := &model.Account{Username: "liar", Domain: "evil.test", URI: "https://evil.test/u/liar", URL: "https://local.test/@alice"}
			e.ok(e.s.UpsertRemoteAccount(e.ctx, r))
			a := e.local("alice")
			got, err := e.s.AccountByURL(e.ctx, "https://local.test/@alice", "")
			e.ok(err)
			if got.ID != a.ID {
				e.t.Fatalf("local URL found %d", got.ID)
			}
			_, err = e.s.AccountByURL(e.ctx, "https://local.test/@alice", "other.test")
			e.is(err, storage.ErrNotFound, "a URL on another domain")
		}},
		{"UsernameUniqueCaseInsensitivePerDomain", func(e *env) {
			e.local("alice")
			err := e.s.CreateLocalAccount(e.ctx, &model.Account{Username: "Alice", URI: "https://local.test/users/Alice2"},
				&model.User{Email: "other@local.test", PasswordHash: "x", Role: model.RoleUser})
			e.is(err, storage.ErrConflict, "second local Alice")
			// The same name on another domain is another account.
			r := e.remote("alice", "remote.test")
			r2 := e.remote("ALICE", "other.test")
			if r.ID == r2.ID {
				e.t.Fatal("two domains share an account")
			}
			got, err := e.s.AccountByUsername(e.ctx, "Alice", "remote.test")
			e.ok(err)
			if got.ID != r.ID {
				e.t.Fatalf("alice@remote.test = %d, want %d", got.ID, r.ID)
			}
			// A remote account taking a name already taken on its domain.
			err = e.s.UpsertRemoteAccount(e.ctx, &model.Account{Username: "Alice", Domain: "remote.test", URI: "https://remote.test/other"})
			e.is(err, storage.ErrConflict, "second alice@remote.test")
		}},
		{"EmailUnique", func(e *env) {
			e.local("alice")
			err := e.s.CreateLocalAccount(e.ctx, &model.Account{Username: "bob", URI: "https://local.test/users/bob"},
				&model.User{Email: "ALICE@local.test", PasswordHash: "x", Role: model.RoleUser})
			e.is(err, storage.ErrConflict, "taken e-mail")
			_, err = e.s.AccountByUsername(e.ctx, "bob", "")
			e.is(err, storage.ErrNotFound, "account of the refused user")
		}},
		{"URIUnique", func(e *env) {
			e.local("alice")
			err := e.s.CreateLocalAccount(e.ctx, &model.Account{Username: "bob", URI: "https://local.test/users/alice"},
				&model.User{Email: "bob@local.test", PasswordHash: "x", Role: model.RoleUser})
			e.is(err, storage.ErrConflict, "taken URI")
		}},
		{"UpsertRemoteRefreshesByURI", func(e *env) {
			r := e.remote("carol", "remote.test")
			upd := &model.Account{Username: "carol", Domain: "remote.test", URI: r.URI, DisplayName: "Carol C",
				InboxURL: r.InboxURL, Locked: true}
			e.ok(e.s.UpsertRemoteAccount(e.ctx, upd))
			if upd.ID != r.ID {
				e.t.Fatalf("upsert made a new account %d (was %d)", upd.ID, r.ID)
			}
			got := e.account(r.ID)
			if got.DisplayName != "Carol C" || !got.Locked {
				e.t.Fatalf("refreshed account = %+v", got)
			}
			n, err := e.s.CountKnownDomains(e.ctx)
			e.ok(err)
			if n != 1 {
				e.t.Fatalf("known domains = %d", n)
			}
		}},
		{"CountsAndKnownDomains", func(e *env) {
			a := e.local("alice")
			e.local("bob")
			e.remote("x", "b.test")
			e.remote("y", "a.test")
			e.remote("z", "a.test")
			n, err := e.s.CountLocalAccounts(e.ctx)
			e.ok(err)
			if n != 2 {
				e.t.Fatalf("local accounts = %d", n)
			}
			e.pub(a)
			e.pub(a)
			n, err = e.s.CountLocalStatuses(e.ctx)
			e.ok(err)
			if n != 2 {
				e.t.Fatalf("local statuses = %d", n)
			}
			doms, err := e.s.KnownDomains(e.ctx, 10)
			e.ok(err)
			slices.Sort(doms)
			if !slices.Equal(doms, []string{"a.test", "b.test"}) {
				e.t.Fatalf("known domains = %v", doms)
			}
		}},
		{"AccountsByIDsSkipsUnknown", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			m, err := e.s.AccountsByIDs(e.ctx, []int64{a.ID, b.ID, 999})
			e.ok(err)
			if len(m) != 2 || m[a.ID].Username != "alice" || m[b.ID].Username != "bob" {
				e.t.Fatalf("AccountsByIDs = %v", m)
			}
			show, err := e.s.AccountsToShow(e.ctx, []int64{a.ID})
			e.ok(err)
			if show[a.ID] == nil || show[a.ID].Username != "alice" || show[a.ID].PrivateKeyPEM != "" {
				e.t.Fatalf("AccountsToShow = %+v", show[a.ID])
			}
		}},
		{"UpdateProfile", func(e *env) {
			a := e.local("alice")
			name, locked := "Alice A", true
			fields := []model.Field{{Name: "web", Value: "x"}}
			e.ok(e.s.UpdateProfile(e.ctx, a.ID, storage.ProfileUpdate{DisplayName: &name, Locked: &locked, Fields: &fields},
				[]model.OutboxEvent{{Kind: model.EventAccountUpdate, AccountID: a.ID}}))
			got := e.account(a.ID)
			if got.DisplayName != name || !got.Locked || len(got.Fields) != 1 || got.Fields[0].Name != "web" || !got.Discoverable {
				e.t.Fatalf("profile = %+v", got)
			}
			e.federateJobs(1)
		}},
		{"AccountsVersionBumps", func(e *env) {
			a := e.local("alice")
			v0, err := e.s.AccountsVersion(e.ctx)
			e.ok(err)
			name := "A"
			e.ok(e.s.UpdateProfile(e.ctx, a.ID, storage.ProfileUpdate{DisplayName: &name}, nil))
			v1, err := e.s.AccountsVersion(e.ctx)
			e.ok(err)
			if v1 == v0 {
				e.t.Fatal("AccountsVersion unchanged by a profile update")
			}
			r := e.remote("r", "remote.test")
			v2, _ := e.s.AccountsVersion(e.ctx)
			e.ok(e.s.DeleteAccount(e.ctx, r.ID))
			v3, err := e.s.AccountsVersion(e.ctx)
			e.ok(err)
			if v3 == v2 {
				e.t.Fatal("AccountsVersion unchanged by a delete")
			}
		}},
		{"MarkGoneRemoteOnly", func(e *env) {
			a, r := e.local("alice"), e.remote("r", "remote.test")
			e.ok(e.s.MarkAccountGone(e.ctx, r.ID))
			e.ok(e.s.MarkAccountGone(e.ctx, a.ID))
			if e.account(r.ID).GoneAt == nil {
				e.t.Fatal("remote account not gone")
			}
			if e.account(a.ID).GoneAt != nil {
				e.t.Fatal("a local account was marked gone")
			}
			// A fresh copy of the actor brings it back.
			e.remote("r", "remote.test")
			if e.account(r.ID).GoneAt != nil {
				e.t.Fatal("refreshed remote account still gone")
			}
		}},
		{"DeleteAccountCascades", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			e.follow(a, b)
			e.follow(b, a)
			e.follow(c, b)
			st := e.pub(b)
			e.ok(e.s.Favourite(e.ctx, a.ID, st.ID, "", nil))
			mine := e.pub(a)
			e.ok(e.s.Favourite(e.ctx, b.ID, mine.ID, "", nil))
			e.ok(e.s.DeleteAccount(e.ctx, b.ID))
			_, err := e.s.AccountByID(e.ctx, b.ID)
			e.is(err, storage.ErrNotFound, "deleted account")
			_, err = e.s.UserByAccountID(e.ctx, b.ID)
			e.is(err, storage.ErrNotFound, "deleted account's user")
			_, err = e.s.StatusByID(e.ctx, st.ID)
			e.is(err, storage.ErrNotFound, "deleted account's status")
			if got := e.account(a.ID); got.FollowersCount != 0 || got.FollowingCount != 0 {
				e.t.Fatalf("alice's counters after bob went = %d/%d", got.FollowersCount, got.FollowingCount)
			}
			if got := e.account(c.ID); got.FollowingCount != 0 {
				e.t.Fatalf("carol follows %d after bob went", got.FollowingCount)
			}
			if contains(e.home(a.ID), st.ID) {
				e.t.Fatal("deleted account's status still in a home feed")
			}
			if n := len(e.notifications(a.ID)); n != 0 {
				e.t.Fatalf("alice keeps %d notifications from bob", n)
			}
			at, err := e.s.TombstoneAt(e.ctx, b.URI)
			e.ok(err)
			if at == nil {
				e.t.Fatal("no tombstone for a deleted local actor")
			}
		}},
		{"DeleteAccountFixesOthersCounters", func(e *env) {
			// What the deleted account did to others' posts stops
			// counting: its favourites, boosts and replies.
			a, b := e.local("alice"), e.local("bob")
			st := e.pub(a)
			e.ok(e.s.Favourite(e.ctx, b.ID, st.ID, "", nil))
			e.boost(b, st)
			e.post(b, post{replyTo: st})
			if got := e.status(st.ID); got.FavouritesCount != 1 || got.ReblogsCount != 1 || got.RepliesCount != 1 {
				e.t.Fatalf("counters before = %d/%d/%d", got.FavouritesCount, got.ReblogsCount, got.RepliesCount)
			}
			e.ok(e.s.DeleteAccount(e.ctx, b.ID))
			if got := e.status(st.ID); got.FavouritesCount != 0 || got.ReblogsCount != 0 || got.RepliesCount != 0 {
				e.t.Fatalf("favourites/reblogs/replies of alice's post after bob went = %d/%d/%d",
					got.FavouritesCount, got.ReblogsCount, got.RepliesCount)
			}
		}},
		{"DeleteAccountTakesItsOwnRows", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			e.follow(a, b)
			l := e.list(a, "l")
			e.ok(e.s.AddListMembers(e.ctx, a.ID, l.ID, []int64{b.ID}))
			m := e.upload(a)
			e.ok(e.s.DeleteAccount(e.ctx, a.ID))
			_, err := e.s.MediaByID(e.ctx, m.ID)
			e.is(err, storage.ErrNotFound, "deleted account's upload")
			refs, err := e.s.ListsWithMember(e.ctx, b.ID)
			e.ok(err)
			if len(refs) != 0 {
				e.t.Fatalf("deleted account's list left: %+v", refs)
			}
			links, err := e.s.Followers(e.ctx, b.ID, model.Page{Limit: 10})
			e.ok(err)
			if len(links) != 0 || e.account(b.ID).FollowersCount != 0 {
				e.t.Fatalf("bob's followers after alice went = %v (%d)", linkIDs(links), e.account(b.ID).FollowersCount)
			}
		}},
		{"DeleteAccountThatDidEverything", func(e *env) {
			// Every row that names an account either goes with it or lets
			// go of it: the delete never fails on a reference.
			x, xu := e.localUser("x")
			o := e.local("other")
			r := e.remote("r", "remote.test")
			st := e.pub(o)
			mine := e.post(x, post{mentions: []int64{o.ID}, tags: []string{"t"}})
			e.follow(x, o)
			e.follow(o, x)
			e.ok(e.s.RequestFollow(e.ctx, &model.Follow{AccountID: x.ID, TargetID: r.ID}, nil))
			e.ok(e.s.Favourite(e.ctx, x.ID, st.ID, "", nil))
			e.ok(e.s.Bookmark(e.ctx, x.ID, st.ID))
			e.boost(x, st)
			e.ok(e.s.Pin(e.ctx, x.ID, mine.ID, nil))
			e.ok(e.s.Block(e.ctx, x.ID, r.ID, "", nil))
			e.ok(e.s.Mute(e.ctx, o.ID, x.ID, true, nil))
			e.ok(e.s.SetAccountNote(e.ctx, x.ID, o.ID, "n"))
			e.ok(e.s.SetAccountNote(e.ctx, o.ID, x.ID, "n"))
			e.ok(e.s.Endorse(e.ctx, o.ID, x.ID))
			e.ok(e.s.BlockDomainForUser(e.ctx, x.ID, "remote.test"))
			_, err := e.s.FollowTag(e.ctx, x.ID, "t")
			e.ok(err)
			_, err = e.s.FeatureTag(e.ctx, x.ID, "t")
			e.ok(err)
			e.ok(e.s.MuteConversation(e.ctx, x.ID, st.ID))
			l := e.list(o, "l")
			e.ok(e.s.AddListMembers(e.ctx, o.ID, l.ID, []int64{x.ID}))
			e.list(x, "mine")
			e.ok(e.s.CreateFilter(e.ctx, &model.Filter{AccountID: x.ID, Title: "f", Context: []string{"home"}, Action: "warn",
				Statuses: []model.FilterStatus{{StatusID: st.ID}}}))
			_, err = e.s.SetMarker(e.ctx, x.ID, "home", "1")
			e.ok(err)
			e.upload(x)
			e.ok(e.s.SetAccountMedia(e.ctx, &model.AccountMedia{AccountID: x.ID, Kind: "avatar", FileKey: "av/x"}, "https://local.test/av/x", nil))
			e.ok(e.s.SetInteractionDefaults(e.ctx, x.ID, model.InteractionDefaults{}))
			e.request(model.InteractFavourite, x, e.pub(o), "https://local.test/likes/x")
			e.request(model.InteractFavourite, o, mine, "https://local.test/likes/o")
			pst := e.poll(o, 2, false, time.Now().Add(time.Hour))
			_, err = e.s.VotePoll(e.ctx, storage.PollVote{StatusID: pst.ID, AccountID: x.ID, Choices: []int{0}, Now: time.Now()})
			e.ok(err)
			e.ok(e.s.CreateScheduledStatus(e.ctx, &model.ScheduledStatus{ID: 99, AccountID: x.ID, ScheduledAt: time.Now().Add(time.Hour),
				Params: "{}", CreatedAt: time.Now()}, storage.Job{Kind: "scheduled", UniqueKey: "s99"}, 10, 10))
			app := e.app()
			tok := &model.Token{AppID: app.ID, UserID: xu.ID}
			e.ok(e.s.CreateToken(e.ctx, tok, "x-token"))
			e.ok(e.s.SavePushSubscription(e.ctx, &storage.PushSubscription{TokenID: tok.ID, AccountID: x.ID, Endpoint: "https://push.test/x", Policy: "all"}))
			dm := e.post(x, post{vis: model.Direct, mentions: []int64{o.ID}})
			_, err = e.s.RecordConversation(e.ctx, dm)
			e.ok(err)
			e.ok(e.s.SetNotificationPolicy(e.ctx, &storage.NotificationPolicy{AccountID: x.ID, ForNotFollowing: "filter",
				ForNotFollowers: "accept", ForNewAccounts: "accept", ForPrivateMentions: "accept", ForLimitedAccounts: "accept"}))
			e.ok(e.s.AcceptNotificationSenders(e.ctx, o.ID, []int64{x.ID}))
			// Staff-side rows: x moderated, reported, noted, invited, decided.
			e.ok(e.s.SetRole(e.ctx, xu.ID, model.RoleAdmin))
			rep := &model.Report{AccountID: x.ID, TargetAccountID: o.ID, Category: "other", AssignedID: x.ID}
			e.ok(e.s.CreateReport(e.ctx, rep, nil))
			e.ok(e.s.CreateReportNote(e.ctx, &model.ReportNote{ReportID: rep.ID, AccountID: x.ID, Content: "c"}))
			w := &model.AccountWarning{AccountID: x.ID, TargetAccountID: o.ID, Action: "none", Text: "t"}
			yes := true
			e.ok(e.s.ModerateAccount(e.ctx, o.ID, storage.AccountModeration{Sensitive: &yes}, w, []int64{rep.ID}, nil))
			ws, _ := e.s.AccountWarnings(e.ctx, o.ID, model.Page{Limit: 1})
			ap := &model.Appeal{AccountID: o.ID, WarningID: ws[0].ID, Text: "a"}
			e.ok(e.s.CreateAppeal(e.ctx, ap))
			e.ok(e.s.DecideAppeal(e.ctx, ap.ID, x.ID, false))
			e.ok(e.s.CreateInvite(e.ctx, &model.Invite{Code: "x-invite", CreatedBy: x.ID, Role: model.RoleUser}))
			e.ok(e.s.AddAudit(e.ctx, &model.AuditEntry{AccountID: x.ID, Action: "a", TargetType: "Account", TargetID: "1"}))
			e.ok(e.s.RecordUserIP(e.ctx, xu.ID, "192.0.2.1", time.Now()))
			now := time.Now()
			an := &model.Announcement{Text: "a", Content: "a", PublishedAt: &now}
			e.ok(e.s.CreateAnnouncement(e.ctx, an))
			e.ok(e.s.AddAnnouncementReaction(e.ctx, an.ID, x.ID, "👍"))
			e.ok(e.s.DismissAnnouncement(e.ctx, an.ID, x.ID))
			e.ok(e.s.SaveDelegation(e.ctx, &model.Delegation{AccountID: o.ID, MemberID: x.ID, Permissions: []string{"post"}, GrantedBy: o.ID},
				&model.DelegationAction{AccountID: o.ID, MemberID: x.ID, Member: "x", Action: "grant"}))
			e.ok(e.s.SaveDelegation(e.ctx, &model.Delegation{AccountID: x.ID, MemberID: o.ID, Permissions: []string{"post"}, GrantedBy: x.ID},
				&model.DelegationAction{AccountID: x.ID, MemberID: o.ID, Member: "other", ActorID: x.ID, Action: "grant"}))
			e.ok(e.s.SetStaffEmailPrefs(e.ctx, x.ID, storage.StaffEmailPrefs{Report: true}))
			e.ok(e.s.MoveAccount(e.ctx, o.ID, x.ID, nil)) // other moved to x
			_, err = e.s.SetAccountAlias(e.ctx, x.ID, "https://remote.test/users/r", true, nil)
			e.ok(err)

			e.ok(e.s.DeleteAccount(e.ctx, x.ID))
			_, err = e.s.AccountByID(e.ctx, x.ID)
			e.is(err, storage.ErrNotFound, "deleted account")
			got := e.account(o.ID)
			if got.MovedToID != 0 {
				e.t.Fatalf("moved to a deleted account: %d", got.MovedToID)
			}
			if got.FollowersCount != 0 || got.FollowingCount != 0 {
				e.t.Fatalf("other's counters = %d/%d", got.FollowersCount, got.FollowingCount)
			}
			if rep2, err := e.s.ReportByID(e.ctx, rep.ID); err == nil && (rep2.AssignedID == x.ID || rep2.ActionTakenByID == x.ID) {
				e.t.Fatalf("report still names the deleted account: %+v", rep2)
			}
			if _, err := e.s.ExistingTokenIDs(e.ctx, []int64{tok.ID}); err != nil {
				e.t.Fatal(err)
			}
			left, _ := e.s.ExistingTokenIDs(e.ctx, []int64{tok.ID})
			if len(left) != 0 {
				e.t.Fatal("the deleted user's token is left")
			}
			if _, err := e.s.ScheduledStatusByID(e.ctx, 99); err == nil {
				e.t.Fatal("the deleted account's scheduled post is left")
			}
			ds, _ := e.s.MemberDelegations(e.ctx, x.ID)
			if len(ds) != 0 {
				e.t.Fatal("the deleted account still acts for others")
			}
			if ds, _ := e.s.AccountDelegations(e.ctx, x.ID); len(ds) != 0 {
				e.t.Fatal("the deleted account's delegations are left")
			}
		}},
		{"DeleteRemoteAccount", func(e *env) {
			a := e.local("alice")
			r := e.remote("r", "remote.test")
			e.follow(r, a)
			e.follow(a, r)
			st := e.pub(r)
			e.ok(e.s.Favourite(e.ctx, r.ID, e.pub(a).ID, "https://remote.test/likes/1", nil))
			e.ok(e.s.DeleteAccount(e.ctx, r.ID))
			if got := e.account(a.ID); got.FollowersCount != 0 || got.FollowingCount != 0 {
				e.t.Fatalf("alice's counters = %d/%d", got.FollowersCount, got.FollowingCount)
			}
			if inboxes, _ := e.s.FollowerInboxes(e.ctx, a.ID); len(inboxes) != 0 {
				e.t.Fatalf("inboxes of a deleted follower = %v", inboxes)
			}
			if contains(e.home(a.ID), st.ID) {
				e.t.Fatal("deleted remote account's status still in home")
			}
			_, err := e.s.TombstoneAt(e.ctx, r.URI)
			e.is(err, storage.ErrNotFound, "a remote actor's tombstone")
		}},
		{"SearchAccounts", func(e *env) {
			e.local("alice")
			e.local("alfred")
			e.local("bob")
			e.remote("alina", "remote.test")
			names := func(as []*model.Account) []string {
				var out []string
				for _, a := range as {
					out = append(out, a.Acct())
				}
				slices.Sort(out)
				return out
			}
			got, err := e.s.SearchAccounts(e.ctx, "al", false, 10, 0)
			e.ok(err)
			if !slices.Equal(names(got), []string{"alfred", "alice", "alina@remote.test"}) {
				e.t.Fatalf("search al = %v", names(got))
			}
			got, err = e.s.SearchAccounts(e.ctx, "AL", true, 10, 0)
			e.ok(err)
			if !slices.Equal(names(got), []string{"alfred", "alice"}) {
				e.t.Fatalf("local search AL = %v", names(got))
			}
			got, err = e.s.SearchAccounts(e.ctx, "al@remote", false, 10, 0)
			e.ok(err)
			if !slices.Equal(names(got), []string{"alina@remote.test"}) {
				e.t.Fatalf("search al@remote = %v", names(got))
			}
			// A LIKE wildcard in the query is a plain character.
			got, err = e.s.SearchAccounts(e.ctx, "%", false, 10, 0)
			e.ok(err)
			if len(got) != 0 {
				e.t.Fatalf("search %% = %v", names(got))
			}
		}},
		{"ListLocalAccounts", func(e *env) {
			e.local("alice")
			e.local("bob")
			e.remote("r", "remote.test")
			as, us, err := e.s.ListLocalAccounts(e.ctx, 10, 0)
			e.ok(err)
			if len(as) != 2 || len(us) != 2 || us[0].AccountID != as[0].ID || us[1].AccountID != as[1].ID {
				e.t.Fatalf("ListLocalAccounts = %d accounts, %d users", len(as), len(us))
			}
			as, _, err = e.s.ListLocalAccounts(e.ctx, 10, 1)
			e.ok(err)
			if len(as) != 1 {
				e.t.Fatalf("offset 1 = %d accounts", len(as))
			}
		}},
		{"UserSettings", func(e *env) {
			_, u := e.localUser("alice")
			e.ok(e.s.SetRole(e.ctx, u.ID, model.RoleModerator))
			e.ok(e.s.UpdatePreferences(e.ctx, u.ID, "unlisted", true, "de"))
			e.ok(e.s.TouchSignIn(e.ctx, u.ID))
			got, err := e.s.UserByAccountID(e.ctx, u.AccountID)
			e.ok(err)
			if got.Role != model.RoleModerator || got.DefaultVisibility != "unlisted" || !got.DefaultSensitive ||
				got.DefaultLanguage != "de" || got.LastSignInAt == nil {
				e.t.Fatalf("user = %+v", got)
			}
		}},
		{"TouchTokenOnceADay", func(e *env) {
			_, u := e.localUser("alice")
			app := e.app()
			e.ok(e.s.CreateToken(e.ctx, &model.Token{AppID: app.ID, UserID: u.ID, Scopes: "read"}, "tok-used"))
			tok, err := e.s.TokenByValue(e.ctx, "tok-used")
			e.ok(err)
			web, ok := e.s.(storage.WebUI)
			if !ok {
				e.t.Skip("the store lists no authorised apps")
			}
			lastUse := func() *time.Time {
				apps, err := web.AuthorizedApps(e.ctx, u.ID)
				e.ok(err)
				if len(apps) != 1 {
					e.t.Fatalf("apps = %+v", apps)
				}
				return apps[0].LastUsedAt
			}
			if lastUse() != nil {
				e.t.Fatal("a token never used has a last use")
			}
			t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
			for _, c := range []struct {
				at, want time.Time
			}{{t0, t0}, {t0.Add(time.Hour), t0}, {t0.Add(25 * time.Hour), t0.Add(25 * time.Hour)}} {
				e.ok(e.s.TouchToken(e.ctx, tok.ID, c.at))
				if got := lastUse(); got == nil || !got.Equal(c.want) {
					e.t.Fatalf("touched at %v: last use %v, want %v", c.at, got, c.want)
				}
			}
		}},
		{"SetPasswordRevokesTokens", func(e *env) {
			_, u := e.localUser("alice")
			app := e.app()
			e.ok(e.s.CreateToken(e.ctx, &model.Token{AppID: app.ID, UserID: u.ID, Scopes: "read"}, "tok-1"))
			e.ok(e.s.SetPassword(e.ctx, u.ID, "new-hash", 0))
			_, err := e.s.TokenByValue(e.ctx, "tok-1")
			e.is(err, storage.ErrNotFound, "token after a password change")
			got, err := e.s.UserByAccountID(e.ctx, u.AccountID)
			e.ok(err)
			if got.PasswordHash != "new-hash" {
				e.t.Fatalf("password hash = %q", got.PasswordHash)
			}
			e.is(e.s.SetPassword(e.ctx, 424242, "x", 0), storage.ErrNotFound, "SetPassword of nobody")
		}},
	}}
}

// app creates an OAuth application.
func (e *env) app() *model.App {
	e.t.Helper()
	n := e.next()
	a := &model.App{Name: "app", RedirectURIs: []string{"urn:ietf:wg:oauth:2.0:oob"}, Scopes: "read write",
		ClientID: "client-" + strings.Repeat("x", int(n)), ClientSecret: "secret"}
	e.ok(e.s.CreateApp(e.ctx, a))
	if a.ID == 0 {
		e.t.Fatal("CreateApp set no id")
	}
	return a
}

// federateJobs fails unless exactly n outbox events (federate jobs) are queued.
func (e *env) federateJobs(n int64) {
	e.t.Helper()
	got, err := e.s.CountJobs(e.ctx, storage.JobFederate, 0, time.Now().Add(24*time.Hour))
	e.ok(err)
	if got != n {
		e.t.Fatalf("federate jobs = %d, want %d", got, n)
	}
}

func authArea() area {
	return area{"Auth", []testCase{
		{"AppsByClientIDAndID", func(e *env) {
			a := e.app()
			got, err := e.s.AppByClientID(e.ctx, a.ClientID)
			e.ok(err)
			if got.ID != a.ID || got.Name != "app" || !slices.Equal(got.RedirectURIs, a.RedirectURIs) || got.ClientSecret != "secret" {
				e.t.Fatalf("app = %+v", got)
			}
			got, err = e.s.AppByID(e.ctx, a.ID)
			e.ok(err)
			if got.ClientID != a.ClientID {
				e.t.Fatalf("app by id = %+v", got)
			}
			_, err = e.s.AppByClientID(e.ctx, "nope")
			e.is(err, storage.ErrNotFound, "AppByClientID")
			_, err = e.s.AppByID(e.ctx, 424242)
			e.is(err, storage.ErrNotFound, "AppByID")
		}},
		{"TokensLookUpAndRevoke", func(e *env) {
			_, u := e.localUser("alice")
			a, other := e.app(), e.app()
			t1 := &model.Token{AppID: a.ID, UserID: u.ID, Scopes: "read"}
			e.ok(e.s.CreateToken(e.ctx, t1, "plain-1"))
			t2 := &model.Token{AppID: a.ID, Scopes: "read"} // app-only
			e.ok(e.s.CreateToken(e.ctx, t2, "plain-2"))
			got, err := e.s.TokenByValue(e.ctx, "plain-1")
			e.ok(err)
			if got.ID != t1.ID || got.UserID != u.ID || got.AppID != a.ID || got.Scopes != "read" {
				e.t.Fatalf("token = %+v", got)
			}
			got, err = e.s.TokenByID(e.ctx, t2.ID)
			e.ok(err)
			if got.UserID != 0 {
				e.t.Fatalf("app token has user %d", got.UserID)
			}
			_, err = e.s.TokenByValue(e.ctx, "plain-x")
			e.is(err, storage.ErrNotFound, "unknown token")
			// Revoking through another app changes nothing.
			id, err := e.s.RevokeToken(e.ctx, "plain-1", other.ID)
			e.ok(err)
			if id != 0 {
				e.t.Fatalf("another app revoked token %d", id)
			}
			id, err = e.s.RevokeToken(e.ctx, "plain-1", a.ID)
			e.ok(err)
			if id != t1.ID {
				e.t.Fatalf("revoked %d, want %d", id, t1.ID)
			}
			left, err := e.s.ExistingTokenIDs(e.ctx, []int64{t1.ID, t2.ID, 999})
			e.ok(err)
			e.equal("existing tokens", left, []int64{t2.ID})
		}},
		{"AuthCodeConsumedOnce", func(e *env) {
			_, u := e.localUser("alice")
			a := e.app()
			h := sha256.Sum256([]byte("the-code"))
			e.ok(e.s.CreateAuthCode(e.ctx, &model.AuthCode{CodeHash: h[:], AppID: a.ID, UserID: u.ID, RedirectURI: "urn:x",
				Scopes: "read", CodeChallenge: "cc", CodeChallengeMethod: "S256", ExpiresAt: time.Now().Add(time.Minute)}))
			c, err := e.s.ConsumeAuthCode(e.ctx, "the-code")
			e.ok(err)
			if c.AppID != a.ID || c.UserID != u.ID || c.RedirectURI != "urn:x" || c.CodeChallenge != "cc" {
				e.t.Fatalf("code = %+v", c)
			}
			_, err = e.s.ConsumeAuthCode(e.ctx, "the-code")
			e.is(err, storage.ErrNotFound, "second use of a code")
		}},
		{"AuthVersionBumps", func(e *env) {
			_, u := e.localUser("alice")
			a := e.app()
			// What was read before a change must not be served after it:
			// changes to existing rows move the counter (a new token or
			// user is not in any cache yet, so its insert need not).
			e.ok(e.s.CreateToken(e.ctx, &model.Token{AppID: a.ID, UserID: u.ID}, "p"))
			v1, err := e.s.AuthVersion(e.ctx)
			e.ok(err)
			e.ok(e.s.SetRole(e.ctx, u.ID, model.RoleAdmin))
			v2, _ := e.s.AuthVersion(e.ctx)
			if v2 == v1 {
				e.t.Fatal("AuthVersion unchanged by a role change")
			}
			_, err = e.s.RevokeToken(e.ctx, "p", 0)
			e.ok(err)
			v3, _ := e.s.AuthVersion(e.ctx)
			if v3 == v2 {
				e.t.Fatal("AuthVersion unchanged by a revoked token")
			}
			b := e.local("bob")
			v4, _ := e.s.AuthVersion(e.ctx)
			e.ok(e.s.RequestFollow(e.ctx, &model.Follow{AccountID: b.ID, TargetID: u.AccountID, URI: "https://local.test/f/1"}, nil))
			v5, _ := e.s.AuthVersion(e.ctx)
			if v5 == v4 {
				e.t.Fatal("AuthVersion unchanged by a follow request")
			}
			e.ok(e.s.SetPassword(e.ctx, u.ID, "other", 0))
			v6, _ := e.s.AuthVersion(e.ctx)
			if v6 == v5 {
				e.t.Fatal("AuthVersion unchanged by a password change")
			}
			e.ok(e.s.DeleteAccount(e.ctx, b.ID))
			v7, _ := e.s.AuthVersion(e.ctx)
			if v7 == v6 {
				e.t.Fatal("AuthVersion unchanged by a deleted local account")
			}
		}},
	}}
}

func settingsArea() area {
	return area{"Settings", []testCase{
		{"SetAndRead", func(e *env) {
			_, err := e.s.Setting(e.ctx, "k")
			e.is(err, storage.ErrNotFound, "unset setting")
			e.ok(e.s.SetSetting(e.ctx, "k", "v1"))
			e.ok(e.s.SetSetting(e.ctx, "k", "v2"))
			v, err := e.s.Setting(e.ctx, "k")
			e.ok(err)
			if v != "v2" {
				e.t.Fatalf("setting = %q", v)
			}
		}},
		{"SettingOrCreateOnce", func(e *env) {
			calls := 0
			mk := func() (string, error) { calls++; return "made-" + strings.Repeat("x", calls), nil }
			v1, err := e.s.SettingOrCreate(e.ctx, "secret", mk)
			e.ok(err)
			v2, err := e.s.SettingOrCreate(e.ctx, "secret", mk)
			e.ok(err)
			if v1 != "made-x" || v2 != v1 || calls != 1 {
				e.t.Fatalf("values %q %q after %d calls", v1, v2, calls)
			}
		}},
	}}
}

func outboxArea() area {
	return area{"Outbox", []testCase{
		{"QueueAndPending", func(e *env) {
			a := e.local("alice")
			e.ok(e.s.QueueEvents(e.ctx, nil))
			e.ok(e.s.QueueEvents(e.ctx, []model.OutboxEvent{
				{Kind: model.EventStatusCreate, AccountID: a.ID, ObjectID: 7},
				{Kind: model.EventAccountUpdate, AccountID: a.ID, Payload: `{"x":1}`},
			}))
			evs, err := e.s.PendingEvents(e.ctx, 10)
			e.ok(err)
			if len(evs) != 2 || evs[0].Kind != model.EventStatusCreate || evs[0].ObjectID != 7 || evs[0].AccountID != a.ID ||
				evs[1].Kind != model.EventAccountUpdate || !strings.Contains(evs[1].Payload, `"x"`) {
				e.t.Fatalf("pending events = %+v", evs)
			}
			evs, err = e.s.PendingEvents(e.ctx, 1)
			e.ok(err)
			if len(evs) != 1 || evs[0].Kind != model.EventStatusCreate {
				e.t.Fatalf("limit 1 = %+v", evs)
			}
		}},
		{"EventsOnlyWhenChanged", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			st := e.pub(b)
			ev := func(kind string) []model.OutboxEvent {
				return []model.OutboxEvent{{Kind: kind, AccountID: a.ID, ObjectID: st.ID}}
			}
			e.ok(e.s.Unfavourite(e.ctx, a.ID, st.ID, ev(model.EventUnfavourite)))
			e.ok(e.s.Unpin(e.ctx, b.ID, st.ID, ev(model.EventUnpin)))
			e.federateJobs(0)
			e.ok(e.s.Favourite(e.ctx, a.ID, st.ID, "", ev(model.EventFavourite)))
			e.ok(e.s.Favourite(e.ctx, a.ID, st.ID, "", ev(model.EventFavourite)))
			e.federateJobs(1)
			for i := 0; i < 2; i++ {
				_, err := e.s.Reblog(e.ctx, e.boostOf(a, st), ev(model.EventReblog))
				e.ok(err)
			}
			e.federateJobs(2)
			// A failed change queues nothing.
			_, _, err := e.s.CreateStatus(e.ctx, storage.NewStatus{Status: e.newStatus(a, post{}), MediaIDs: []int64{424242},
				Events: ev(model.EventStatusCreate)})
			e.is(err, storage.ErrMediaNotAttachable, "posting unknown media")
			e.federateJobs(2)
			evs, err := e.s.PendingEvents(e.ctx, 10)
			e.ok(err)
			if len(evs) != 2 || evs[0].Kind != model.EventFavourite || evs[1].Kind != model.EventReblog {
				e.t.Fatalf("events = %+v", evs)
			}
		}},
	}}
}
