package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func federationArea() area {
	return area{"Federation", []testCase{
		{"InboxDedupedAndKeyed", func(e *env) {
			it := storage.InboxItem{ActivityID: "https://remote.test/a/1", SignerURI: "https://remote.test/users/r",
				Payload: json.RawMessage(`{"type":"Create"}`)}
			q, err := e.s.EnqueueInbox(e.ctx, it, "remote.test")
			e.ok(err)
			if !q {
				e.t.Fatal("first activity not queued")
			}
			q, err = e.s.EnqueueInbox(e.ctx, it, "remote.test")
			e.ok(err)
			if q {
				e.t.Fatal("an activity seen before was queued again")
			}
			js := e.claim(storage.JobClaim{Kind: storage.JobInbox, Owner: "w", Now: time.Now().Add(time.Minute), Lease: time.Minute, Limit: 10})
			if len(js) != 1 {
				e.t.Fatalf("inbox jobs = %d", len(js))
			}
			got, err := storage.InboxItemOf(&js[0])
			e.ok(err)
			if got.ActivityID != it.ActivityID || got.SignerURI != it.SignerURI || string(got.Payload) != `{"type":"Create"}` {
				e.t.Fatalf("inbox item = %+v", got)
			}
			// Forgetting old ids lets the same id in again.
			n, err := e.s.ForgetSeenActivities(e.ctx, time.Now().Add(time.Minute))
			e.ok(err)
			if n != 1 {
				e.t.Fatalf("forgot %d", n)
			}
			q, err = e.s.EnqueueInbox(e.ctx, it, "")
			e.ok(err)
			if !q {
				e.t.Fatal("a forgotten id was refused")
			}
		}},
		{"DomainHealth", func(e *env) {
			for i, day := range []string{"2024-01-01", "2024-01-01", "2024-01-02"} {
				un, err := e.s.DomainFailed(e.ctx, "Dead.test", day, 3)
				e.ok(err)
				if un {
					e.t.Fatalf("unavailable after failure %d", i)
				}
			}
			un, err := e.s.DomainFailed(e.ctx, "dead.test", "2024-01-03", 3)
			e.ok(err)
			if !un {
				e.t.Fatal("not unavailable after 3 distinct days")
			}
			e.ok(func() error { _, err := e.s.DomainFailed(e.ctx, "flaky.test", "2024-01-01", 3); return err }())
			doms, err := e.s.UnavailableDomains(e.ctx)
			e.ok(err)
			if !slices.Equal(doms, []string{"dead.test"}) {
				e.t.Fatalf("unavailable = %v", doms)
			}
			e.ok(e.s.DomainAlive(e.ctx, "dead.test"))
			doms, _ = e.s.UnavailableDomains(e.ctx)
			if len(doms) != 0 {
				e.t.Fatalf("after alive = %v", doms)
			}
			// An activity from a domain also proves it alive.
			for _, day := range []string{"2024-01-01", "2024-01-02"} {
				e.ok(func() error { _, err := e.s.DomainFailed(e.ctx, "back.test", day, 2); return err }())
			}
			_, err = e.s.EnqueueInbox(e.ctx, storage.InboxItem{ActivityID: "https://back.test/a", SignerURI: "https://back.test/u",
				Payload: json.RawMessage(`{}`)}, "back.test")
			e.ok(err)
			doms, _ = e.s.UnavailableDomains(e.ctx)
			if len(doms) != 0 {
				e.t.Fatalf("after an activity = %v", doms)
			}
		}},
		{"DeliveriesCountedAndDue", func(e *env) {
			n, err := e.s.CountDeliveries(e.ctx)
			e.ok(err)
			_, ok, err := e.s.NextDeliveryDue(e.ctx)
			e.ok(err)
			if n != 0 || ok {
				e.t.Fatalf("empty store: %d deliveries, due %v", n, ok)
			}
			a := e.local("alice")
			later := base.Add(time.Hour)
			d1 := storage.Delivery{InboxURL: "https://Remote.test/inbox", Host: "Remote.test", SignerID: a.ID,
				Activity: json.RawMessage(`{"type":"Create"}`), Kind: "Create"}.Job()
			d1.RunAt = later
			d2 := storage.Delivery{InboxURL: "https://other.test/inbox", Host: "other.test", Activity: json.RawMessage(`{}`), Kind: "Delete"}.Job()
			d2.RunAt = base
			e.ok(e.s.InsertJobs(e.ctx, []storage.Job{d1, d2}))
			n, _ = e.s.CountDeliveries(e.ctx)
			due, ok, err := e.s.NextDeliveryDue(e.ctx)
			e.ok(err)
			if n != 2 || !ok || !due.Equal(base) {
				e.t.Fatalf("deliveries = %d, next due %v (%v)", n, due, ok)
			}
			js := e.claim(storage.JobClaim{Kind: storage.JobDeliver, Owner: "w", Now: later, Lease: time.Minute, Limit: 10})
			var got storage.Delivery
			for i := range js {
				if js[i].Ref == a.ID {
					got, err = storage.DeliveryOf(&js[i])
					e.ok(err)
				}
			}
			if got.Host != "remote.test" || got.SignerID != a.ID || got.InboxURL != "https://Remote.test/inbox" || got.Kind != "Create" {
				e.t.Fatalf("delivery = %+v", got)
			}
			// Deleting a host's waiting deliveries leaves leased ones.
			n, err = e.s.DeleteJobs(e.ctx, storage.JobDeliver, "remote.test")
			e.ok(err)
			if n != 0 {
				e.t.Fatalf("deleted %d leased deliveries", n)
			}
		}},
		{"ActiveUsersAndGoneInboxes", func(e *env) {
			_, u := e.localUser("alice")
			b := e.local("bob")
			e.local("idle")
			e.ok(e.s.TouchSignIn(e.ctx, u.ID))
			e.pub(b)
			n, err := e.s.CountActiveLocalUsers(e.ctx, time.Now().Add(-time.Hour))
			e.ok(err)
			if n != 2 {
				e.t.Fatalf("active users = %d", n)
			}
			r := e.remote("r", "remote.test")
			e.remote("s", "remote.test")
			n, err = e.s.MarkInboxGone(e.ctx, r.InboxURL)
			e.ok(err)
			if n != 1 || e.account(r.ID).GoneAt == nil {
				e.t.Fatalf("marked %d gone", n)
			}
		}},
		{"MovesAndAliases", func(e *env) {
			a, r := e.local("alice"), e.remote("r", "remote.test")
			old := e.remote("old", "remote.test")
			e.ok(e.s.SetMovedTo(e.ctx, old.ID, r.ID))
			if e.account(old.ID).MovedToID != r.ID {
				e.t.Fatal("move not recorded")
			}
			e.is(e.s.SetMovedTo(e.ctx, 424242, r.ID), storage.ErrNotFound, "moving no account")
			e.ok(e.s.MoveAccount(e.ctx, a.ID, r.ID, []model.OutboxEvent{{Kind: model.EventAccountMove, AccountID: a.ID, ObjectID: r.ID},
				{Kind: model.EventAccountUpdate, AccountID: a.ID}}))
			if e.account(a.ID).MovedToID != r.ID {
				e.t.Fatal("local move not recorded")
			}
			e.federateJobs(2)
			changed, err := e.s.SetAccountAlias(e.ctx, a.ID, "https://x.test/u/1", true, []model.OutboxEvent{{Kind: model.EventAccountUpdate, AccountID: a.ID}})
			e.ok(err)
			if !changed {
				e.t.Fatal("adding an alias changed nothing")
			}
			changed, err = e.s.SetAccountAlias(e.ctx, a.ID, "https://x.test/u/1", true, []model.OutboxEvent{{Kind: model.EventAccountUpdate, AccountID: a.ID}})
			e.ok(err)
			if changed {
				e.t.Fatal("adding an alias twice changed something")
			}
			e.federateJobs(3)
			for i := 2; i <= storage.MaxAliases; i++ {
				_, err := e.s.SetAccountAlias(e.ctx, a.ID, fmt.Sprintf("https://x.test/u/%d", i), true, nil)
				e.ok(err)
			}
			_, err = e.s.SetAccountAlias(e.ctx, a.ID, "https://x.test/u/extra", true, nil)
			e.is(err, storage.ErrAliasLimit, "alias past the limit")
			as, err := e.s.AccountAliases(e.ctx, a.ID)
			e.ok(err)
			if len(as) != storage.MaxAliases || as[0] != "https://x.test/u/1" {
				e.t.Fatalf("aliases = %v", as)
			}
			changed, err = e.s.SetAccountAlias(e.ctx, a.ID, "https://x.test/u/1", false, nil)
			e.ok(err)
			if !changed {
				e.t.Fatal("removing an alias changed nothing")
			}
			changed, err = e.s.SetAccountAlias(e.ctx, a.ID, "https://x.test/u/1", false, nil)
			e.ok(err)
			if changed {
				e.t.Fatal("removing a missing alias changed something")
			}
		}},
	}}
}

// claim claims jobs, failing the case on an error.
func (e *env) claim(c storage.JobClaim) []storage.Job {
	e.t.Helper()
	js, err := e.s.ClaimJobs(e.ctx, c)
	e.ok(err)
	return js
}
