package storetest

import (
	"strconv"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func notificationsArea() area {
	return area{"Notifications", []testCase{
		{"CreateDedupes", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			st := e.pub(a)
			n := &model.Notification{AccountID: a.ID, FromAccountID: b.ID, Type: model.NotifyQuote, StatusID: st.ID}
			created, err := e.s.CreateNotification(e.ctx, n)
			e.ok(err)
			if !created {
				e.t.Fatal("first notification not created")
			}
			created, err = e.s.CreateNotification(e.ctx, &model.Notification{AccountID: a.ID, FromAccountID: b.ID, Type: model.NotifyQuote, StatusID: st.ID})
			e.ok(err)
			if created {
				e.t.Fatal("duplicate notification created")
			}
			if got := len(e.notifications(a.ID)); got != 1 {
				e.t.Fatalf("notifications = %d", got)
			}
		}},
		{"NotFromBlockedOrMuted", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			e.ok(e.s.Block(e.ctx, a.ID, b.ID, "", nil))
			e.ok(e.s.Mute(e.ctx, a.ID, c.ID, true, nil))
			for _, from := range []int64{b.ID, c.ID} {
				created, err := e.s.CreateNotification(e.ctx, &model.Notification{AccountID: a.ID, FromAccountID: from, Type: model.NotifyFollow})
				e.ok(err)
				if created {
					e.t.Fatalf("notification from blocked or muted %d", from)
				}
			}
		}},
		{"FiltersAndPages", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			e.follow(b, a)                                   // follow from bob
			st := e.pub(a)                                   //
			e.ok(e.s.Favourite(e.ctx, b.ID, st.ID, "", nil)) // favourite from bob
			e.ok(e.s.Favourite(e.ctx, c.ID, st.ID, "", nil)) // favourite from carol
			e.post(c, post{mentions: []int64{a.ID}})         // mention from carol
			get := func(f storage.NotificationFilter, p model.Page) []*model.Notification {
				if p.Limit == 0 {
					p.Limit = 20
				}
				ns, err := e.s.Notifications(e.ctx, a.ID, f, p)
				e.ok(err)
				return ns
			}
			all := get(storage.NotificationFilter{}, model.Page{})
			if len(all) != 4 || all[0].Type != model.NotifyMention || all[3].Type != model.NotifyFollow {
				e.t.Fatalf("all = %v", typesOf(all))
			}
			if fav := get(storage.NotificationFilter{Types: []string{model.NotifyFavourite}}, model.Page{}); len(fav) != 2 {
				e.t.Fatalf("favourites = %v", typesOf(fav))
			}
			if ex := get(storage.NotificationFilter{ExcludeTypes: []string{model.NotifyFavourite, model.NotifyFollow}}, model.Page{}); len(ex) != 1 {
				e.t.Fatalf("excluding = %v", typesOf(ex))
			}
			if from := get(storage.NotificationFilter{FromAccount: c.ID}, model.Page{}); len(from) != 2 {
				e.t.Fatalf("from carol = %v", typesOf(from))
			}
			p1 := get(storage.NotificationFilter{}, model.Page{Limit: 2})
			p2 := get(storage.NotificationFilter{}, model.Page{Limit: 2, MaxID: p1[1].ID})
			if len(p2) != 2 || p2[0].ID != all[2].ID || p2[1].ID != all[3].ID {
				e.t.Fatalf("second page = %v", typesOf(p2))
			}
			min := get(storage.NotificationFilter{}, model.Page{Limit: 1, MinID: all[3].ID})
			if len(min) != 1 || min[0].ID != all[2].ID {
				e.t.Fatalf("min_id page = %v", typesOf(min))
			}
			n, err := e.s.CountNotificationsAfter(e.ctx, a.ID, all[2].ID, 10, nil)
			e.ok(err)
			if n != 2 {
				e.t.Fatalf("count after = %d", n)
			}
			n, err = e.s.CountNotificationsAfter(e.ctx, a.ID, 0, 3, nil)
			e.ok(err)
			if n != 3 {
				e.t.Fatalf("count up to 3 = %d", n)
			}
		}},
		{"ByIDDismissClear", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			e.follow(b, a)
			e.follow(c, a)
			e.follow(a, c)
			ns := e.notifications(a.ID)
			if len(ns) != 2 {
				e.t.Fatalf("notifications = %d", len(ns))
			}
			got, err := e.s.NotificationByID(e.ctx, a.ID, ns[0].ID)
			e.ok(err)
			if got.FromAccountID != c.ID || got.Type != model.NotifyFollow {
				e.t.Fatalf("notification = %+v", got)
			}
			_, err = e.s.NotificationByID(e.ctx, c.ID, ns[0].ID)
			e.is(err, storage.ErrNotFound, "another account's notification")
			e.is(e.s.DismissNotification(e.ctx, c.ID, ns[0].ID), storage.ErrNotFound, "dismissing another's notification")
			e.ok(e.s.DismissNotification(e.ctx, a.ID, ns[0].ID))
			e.is(e.s.DismissNotification(e.ctx, a.ID, ns[0].ID), storage.ErrNotFound, "dismissing twice")
			if n := len(e.notifications(a.ID)); n != 1 {
				e.t.Fatalf("after dismiss = %d", n)
			}
			e.ok(e.s.ClearNotifications(e.ctx, a.ID))
			if n := len(e.notifications(a.ID)); n != 0 {
				e.t.Fatalf("after clear = %d", n)
			}
			if n := len(e.notifications(c.ID)); n != 1 {
				e.t.Fatalf("clear took carol's notifications too: %d left", n)
			}
		}},
		{"RequestsScreenStrangers", func(e *env) {
			a, b, c, d := e.local("alice"), e.local("bob"), e.local("carol"), e.local("dan")
			e.follow(a, c) // alice follows carol: carol is no stranger
			for _, from := range []*model.Account{b, c, d} {
				e.post(from, post{mentions: []int64{a.ID}})
			}
			e.post(b, post{mentions: []int64{a.ID}})
			screen := storage.NotificationScreen{Filter: storage.SenderTests{NotFollowing: true}, Types: []string{model.NotifyMention}}
			reqs, err := e.s.NotificationRequests(e.ctx, a.ID, screen, 0, model.Page{Limit: 10})
			e.ok(err)
			if len(reqs) != 2 {
				e.t.Fatalf("requests = %+v", reqs)
			}
			byFrom := map[int64]storage.NotificationRequest{}
			for _, r := range reqs {
				byFrom[r.FromAccountID] = r
			}
			if byFrom[b.ID].Count != 2 || byFrom[d.ID].Count != 1 || byFrom[b.ID].LastStatusID == 0 {
				e.t.Fatalf("requests = %+v", reqs)
			}
			senders, notifs, err := e.s.CountNotificationRequests(e.ctx, a.ID, screen)
			e.ok(err)
			if senders != 2 || notifs != 3 {
				e.t.Fatalf("counts = %d senders, %d notifications", senders, notifs)
			}
			// What the policy lets through: carol's mention alone.
			through, err := e.s.Notifications(e.ctx, a.ID, storage.NotificationFilter{Screen: &screen}, model.Page{Limit: 10})
			e.ok(err)
			if len(through) != 1 || through[0].FromAccountID != c.ID {
				e.t.Fatalf("screened notifications = %+v", through)
			}
			n, err := e.s.CountNotificationsAfter(e.ctx, a.ID, 0, 10, &screen)
			e.ok(err)
			if n != 1 {
				e.t.Fatalf("screened count = %d", n)
			}
			one, err := e.s.NotificationRequests(e.ctx, a.ID, screen, d.ID, model.Page{Limit: 10})
			e.ok(err)
			if len(one) != 1 || one[0].FromAccountID != d.ID {
				e.t.Fatalf("request of dan = %+v", one)
			}
			e.ok(e.s.AcceptNotificationSenders(e.ctx, a.ID, []int64{b.ID}))
			e.ok(e.s.DismissNotificationRequests(e.ctx, a.ID, screen, []int64{d.ID}))
			senders, notifs, err = e.s.CountNotificationRequests(e.ctx, a.ID, screen)
			e.ok(err)
			if senders != 0 || notifs != 0 {
				e.t.Fatalf("after accept and dismiss: %d senders, %d notifications", senders, notifs)
			}
			through, _ = e.s.Notifications(e.ctx, a.ID, storage.NotificationFilter{Screen: &screen}, model.Page{Limit: 10})
			if len(through) != 3 {
				e.t.Fatalf("after accepting bob: %d notifications through", len(through))
			}
		}},
		{"ReadMarker", func(e *env) {
			a := e.local("alice")
			v, err := e.s.NotificationsReadMarker(e.ctx, a.ID)
			e.ok(err)
			if v != 0 {
				e.t.Fatalf("marker before any = %d", v)
			}
			_, err = e.s.SetMarker(e.ctx, a.ID, "notifications", strconv.FormatInt(12345, 10))
			e.ok(err)
			v, err = e.s.NotificationsReadMarker(e.ctx, a.ID)
			e.ok(err)
			if v != 12345 {
				e.t.Fatalf("marker = %d", v)
			}
		}},
		{"SinceForStreaming", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			e.follow(b, a)
			first := e.notifications(a.ID)[0]
			e.follow(c, a)
			e.follow(a, b)
			ns, err := e.s.NotificationsSince(e.ctx, first.ID, 10)
			e.ok(err)
			if len(ns) != 2 || ns[0].AccountID != a.ID || ns[1].AccountID != b.ID || ns[0].ID >= ns[1].ID {
				e.t.Fatalf("since = %+v", ns)
			}
			_ = time.Now
		}},
	}}
}

func typesOf(ns []*model.Notification) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Type+":"+strconv.FormatInt(n.FromAccountID, 10))
	}
	return out
}
