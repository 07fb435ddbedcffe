package storetest

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func realtimeArea() area {
	return area{"Realtime", []testCase{
		{"StreamingAudiences", func(e *env) {
			a, b, c, d := e.local("alice"), e.local("bob"), e.local("carol"), e.local("dan")
			e.follow(b, a)
			e.follow(c, a)
			st := e.pub(a)
			got, err := e.s.HomeFeedAccounts(e.ctx, st.ID)
			e.ok(err)
			slices.Sort(got)
			want := []int64{a.ID, b.ID, c.ID}
			slices.Sort(want)
			e.equal("home feed accounts", got, want)
			among, err := e.s.FollowersAmong(e.ctx, a.ID, []int64{b.ID, d.ID, c.ID})
			e.ok(err)
			if !among[b.ID] || !among[c.ID] || among[d.ID] {
				e.t.Fatalf("followers among = %v", among)
			}
			e.ok(e.s.Block(e.ctx, d.ID, a.ID, "", nil))
			e.ok(e.s.Mute(e.ctx, c.ID, a.ID, false, nil))
			past := time.Now().Add(-time.Hour).UnixMilli()
			e.ok(e.s.Mute(e.ctx, b.ID, a.ID, false, &past)) // expired
			ex, err := e.s.StreamExclusions(e.ctx, []int64{a.ID})
			e.ok(err)
			if !ex[d.ID] || !ex[c.ID] || ex[b.ID] {
				e.t.Fatalf("stream exclusions = %v", ex)
			}
			// Those the author blocks are out too.
			x := e.local("xena")
			e.ok(e.s.Block(e.ctx, a.ID, x.ID, "", nil))
			ex, err = e.s.StreamExclusions(e.ctx, []int64{a.ID})
			e.ok(err)
			if !ex[x.ID] {
				e.t.Fatalf("an account the author blocks is not excluded: %v", ex)
			}
		}},
		{"StatusInteractors", func(e *env) {
			a, b, c, d, x := e.local("alice"), e.local("bob"), e.local("carol"), e.local("dan"), e.local("xena")
			st := e.pub(a)
			e.ok(e.s.Favourite(e.ctx, b.ID, st.ID, "", nil))
			e.boost(c, st)
			e.ok(e.s.Bookmark(e.ctx, d.ID, st.ID))
			e.ok(e.s.Pin(e.ctx, a.ID, st.ID, nil))
			got, err := e.s.StatusInteractors(e.ctx, []int64{st.ID})
			e.ok(err)
			if !got[a.ID] || !got[b.ID] || !got[c.ID] || !got[d.ID] || got[x.ID] {
				e.t.Fatalf("interactors = %v", got)
			}
		}},
		{"PushSubscriptionsAndJobs", func(e *env) {
			a, u := e.localUser("alice")
			b := e.local("bob")
			app := e.app()
			tok := &model.Token{AppID: app.ID, UserID: u.ID, Scopes: "push"}
			e.ok(e.s.CreateToken(e.ctx, tok, "push-token"))
			p := &storage.PushSubscription{TokenID: tok.ID, AccountID: a.ID, Endpoint: "https://push.test/1", P256dh: "k", Auth: "s",
				Alerts: []string{model.NotifyFollow}, Policy: "all", Standard: true}
			e.ok(e.s.SavePushSubscription(e.ctx, p))
			first := p.ID
			p2 := *p
			p2.Endpoint = "https://push.test/2"
			e.ok(e.s.SavePushSubscription(e.ctx, &p2))
			got, err := e.s.PushSubscriptionByToken(e.ctx, tok.ID)
			e.ok(err)
			if got.ID == first || got.Endpoint != "https://push.test/2" || !got.Standard || !slices.Equal(got.Alerts, []string{model.NotifyFollow}) {
				e.t.Fatalf("subscription = %+v (first %d)", got, first)
			}
			// A follow notification queues one push; a favourite (not in
			// the alerts) none.
			e.follow(b, a)
			e.ok(e.s.Favourite(e.ctx, b.ID, e.pub(a).ID, "", nil))
			js := e.claim(storage.JobClaim{Kind: "push", Owner: "w", Now: time.Now().Add(time.Minute), Lease: time.Minute, Limit: 10})
			if len(js) != 1 {
				e.t.Fatalf("push jobs = %d", len(js))
			}
			var payload struct {
				SubscriptionID int64 `json:"subscription_id"`
				NotificationID int64 `json:"notification_id"`
			}
			e.ok(json.Unmarshal([]byte(js[0].Payload), &payload))
			pj, err := e.s.PushJob(e.ctx, payload.SubscriptionID, payload.NotificationID)
			e.ok(err)
			if pj.Subscription.ID != got.ID || pj.Notification.Type != model.NotifyFollow || pj.Notification.FromAccountID != b.ID {
				e.t.Fatalf("push job = %+v", pj)
			}
			got.Alerts, got.Policy = []string{model.NotifyFollow, model.NotifyMention}, "followed"
			e.ok(e.s.UpdatePushSubscription(e.ctx, got))
			again, _ := e.s.PushSubscriptionByToken(e.ctx, tok.ID)
			if again.Policy != "followed" || len(again.Alerts) != 2 {
				e.t.Fatalf("updated subscription = %+v", again)
			}
			e.ok(e.s.DismissNotification(e.ctx, a.ID, payload.NotificationID))
			_, err = e.s.PushJob(e.ctx, payload.SubscriptionID, payload.NotificationID)
			e.is(err, storage.ErrNotFound, "push of a dismissed notification")
			e.ok(e.s.DeletePushSubscription(e.ctx, tok.ID))
			_, err = e.s.PushSubscriptionByToken(e.ctx, tok.ID)
			e.is(err, storage.ErrNotFound, "deleted subscription")
			_, err = e.s.PushJob(e.ctx, payload.SubscriptionID, payload.NotificationID)
			e.is(err, storage.ErrNotFound, "push of a deleted subscription")
		}},
		{"Conversations", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			r := e.remote("r", "remote.test")
			dm := e.post(a, post{vis: model.Direct, mentions: []int64{b.ID, r.ID}})
			convs, err := e.s.RecordConversation(e.ctx, dm)
			e.ok(err)
			if len(convs) != 2 || convs[a.ID] == 0 || convs[b.ID] == 0 {
				e.t.Fatalf("conversations touched = %v", convs)
			}
			mine, err := e.s.ConversationByID(e.ctx, a.ID, convs[a.ID])
			e.ok(err)
			theirs, err := e.s.ConversationByID(e.ctx, b.ID, convs[b.ID])
			e.ok(err)
			if mine.Unread || !theirs.Unread || mine.RootID != dm.ID || mine.LastStatusID != dm.ID {
				e.t.Fatalf("conversations = %+v, %+v", mine, theirs)
			}
			_, err = e.s.ConversationByID(e.ctx, c.ID, convs[a.ID])
			e.is(err, storage.ErrNotFound, "someone else's conversation")
			reply := e.post(b, post{vis: model.Direct, replyTo: dm, mentions: []int64{a.ID}})
			again, err := e.s.RecordConversation(e.ctx, reply)
			e.ok(err)
			if again[a.ID] != convs[a.ID] {
				e.t.Fatalf("a reply opened a new conversation: %v", again)
			}
			mine, _ = e.s.ConversationByID(e.ctx, a.ID, convs[a.ID])
			if !mine.Unread || mine.LastStatusID != reply.ID {
				e.t.Fatalf("after reply = %+v", mine)
			}
			other := e.post(a, post{vis: model.Direct, mentions: []int64{c.ID}})
			_, err = e.s.RecordConversation(e.ctx, other)
			e.ok(err)
			list, err := e.s.Conversations(e.ctx, a.ID, model.Page{Limit: 10})
			e.ok(err)
			if len(list) != 2 || list[0].LastStatusID != other.ID {
				e.t.Fatalf("conversations = %+v", list)
			}
			e.ok(e.s.MarkConversationRead(e.ctx, a.ID, convs[a.ID]))
			mine, _ = e.s.ConversationByID(e.ctx, a.ID, convs[a.ID])
			if mine.Unread {
				e.t.Fatal("still unread")
			}
			e.ok(e.s.MarkConversationUnread(e.ctx, a.ID, convs[a.ID]))
			e.is(e.s.MarkConversationRead(e.ctx, c.ID, convs[a.ID]), storage.ErrNotFound, "reading someone else's conversation")
			e.ok(e.s.DeleteConversation(e.ctx, a.ID, convs[a.ID]))
			_, err = e.s.ConversationByID(e.ctx, a.ID, convs[a.ID])
			e.is(err, storage.ErrNotFound, "deleted conversation")
			if _, err := e.s.ConversationByID(e.ctx, b.ID, convs[b.ID]); err != nil {
				e.t.Fatal("deleting alice's conversation took bob's:", err)
			}
		}},
		{"NotificationPolicy", func(e *env) {
			a := e.local("alice")
			p, err := e.s.NotificationPolicy(e.ctx, a.ID)
			e.ok(err)
			if p.AccountID != a.ID || p.ForNotFollowing == "" || p.ForPrivateMentions == "" {
				e.t.Fatalf("default policy = %+v", p)
			}
			set := &storage.NotificationPolicy{AccountID: a.ID, ForNotFollowing: "drop", ForNotFollowers: "filter",
				ForNewAccounts: "accept", ForPrivateMentions: "accept", ForLimitedAccounts: "drop"}
			e.ok(e.s.SetNotificationPolicy(e.ctx, set))
			p, err = e.s.NotificationPolicy(e.ctx, a.ID)
			e.ok(err)
			if *p != *set {
				e.t.Fatalf("policy = %+v", p)
			}
		}},
		{"NotificationGroups", func(e *env) {
			a := e.local("alice")
			st := e.pub(a)
			other := e.pub(a)
			from := time.Now().Add(-time.Minute)
			var fans []*model.Account
			for _, n := range []string{"b", "c", "d"} {
				f := e.local(n)
				e.ok(e.s.Favourite(e.ctx, f.ID, st.ID, "", nil))
				fans = append(fans, f)
			}
			e.ok(e.s.Favourite(e.ctx, fans[0].ID, other.ID, "", nil))
			e.follow(fans[1], a)
			g := storage.NotificationGroupKey{Type: model.NotifyFavourite, StatusID: st.ID, From: from, To: time.Now().Add(time.Minute)}
			ns, err := e.s.NotificationGroup(e.ctx, a.ID, g, 2, nil)
			e.ok(err)
			if len(ns) != 2 || ns[0].FromAccountID != fans[2].ID || ns[1].FromAccountID != fans[1].ID {
				e.t.Fatalf("group = %v", typesOf(ns))
			}
			n, err := e.s.CountNotificationGroup(e.ctx, a.ID, g, nil)
			e.ok(err)
			if n != 3 {
				e.t.Fatalf("group count = %d", n)
			}
			follows := storage.NotificationGroupKey{Type: model.NotifyFollow, From: from, To: time.Now().Add(time.Minute)}
			n, _ = e.s.CountNotificationGroup(e.ctx, a.ID, follows, nil)
			if n != 1 {
				e.t.Fatalf("follow group count = %d", n)
			}
			gone, err := e.s.DismissNotificationGroup(e.ctx, a.ID, g)
			e.ok(err)
			if gone != 3 || len(e.notifications(a.ID)) != 2 {
				e.t.Fatalf("dismissed %d; %d left", gone, len(e.notifications(a.ID)))
			}
		}},
	}}
}
