package storetest

import (
	"slices"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func (e *env) webhook(events ...string) *model.Webhook {
	e.t.Helper()
	w := &model.Webhook{URL: "https://hooks.test/" + events[0], Events: events, Secret: "s", Enabled: true}
	e.ok(e.s.CreateWebhook(e.ctx, w))
	if w.ID == 0 {
		e.t.Fatal("CreateWebhook set no id")
	}
	return w
}

func webhooksArea() area {
	return area{"Webhooks", []testCase{
		{"CRUD", func(e *env) {
			w1 := e.webhook("account.created")
			w2 := e.webhook("report.created", "account.approved")
			got, err := e.s.WebhookByID(e.ctx, w2.ID)
			e.ok(err)
			if got.URL != w2.URL || !slices.Equal(got.Events, w2.Events) || !got.Enabled || got.Secret != "s" {
				e.t.Fatalf("webhook = %+v", got)
			}
			list, err := e.s.Webhooks(e.ctx, model.Page{Limit: 10})
			e.ok(err)
			if len(list) != 2 || list[0].ID != w2.ID {
				e.t.Fatalf("webhooks = %+v", list)
			}
			w1.Enabled, w1.URL, w1.Events = false, "https://hooks.test/new", []string{"status.created"}
			e.ok(e.s.UpdateWebhook(e.ctx, w1))
			got, _ = e.s.WebhookByID(e.ctx, w1.ID)
			if got.Enabled || got.URL != "https://hooks.test/new" || !slices.Equal(got.Events, []string{"status.created"}) {
				e.t.Fatalf("updated webhook = %+v", got)
			}
			e.is(e.s.UpdateWebhook(e.ctx, &model.Webhook{ID: 424242, URL: "https://x.test"}), storage.ErrNotFound, "updating no webhook")
			e.ok(e.s.DeleteWebhook(e.ctx, w1.ID))
			_, err = e.s.WebhookByID(e.ctx, w1.ID)
			e.is(err, storage.ErrNotFound, "deleted webhook")
			e.is(e.s.DeleteWebhook(e.ctx, w1.ID), storage.ErrNotFound, "deleting twice")
		}},
		{"QueueOnlySubscribedEnabled", func(e *env) {
			n, err := e.s.QueueWebhookEvent(e.ctx, "account.created", 1, time.Now())
			e.ok(err)
			if n != 0 {
				e.t.Fatalf("queued %d without webhooks", n)
			}
			a := e.webhook("account.created", "report.created")
			b := e.webhook("account.created")
			e.webhook("report.created")
			off := e.webhook("account.created")
			off.Enabled = false
			e.ok(e.s.UpdateWebhook(e.ctx, off))
			at := time.Now().Truncate(time.Millisecond)
			n, err = e.s.QueueWebhookEvent(e.ctx, "account.created", 42, at)
			e.ok(err)
			if n != 2 {
				e.t.Fatalf("queued %d deliveries, want 2", n)
			}
			js := e.claim(storage.JobClaim{Kind: storage.JobWebhook, Owner: "w", Now: at.Add(time.Minute), Lease: time.Minute, Limit: 10})
			if len(js) != 2 {
				e.t.Fatalf("webhook jobs = %d", len(js))
			}
			hooks := map[int64]bool{}
			for i := range js {
				did, err := storage.WebhookDeliveryOf(&js[i])
				e.ok(err)
				d, err := e.s.WebhookDelivery(e.ctx, did)
				e.ok(err)
				if d.Event != "account.created" || d.ObjectID != 42 || d.State != model.DeliveryPending || js[i].Ref != d.WebhookID {
					e.t.Fatalf("delivery = %+v (job %+v)", d, js[i])
				}
				hooks[d.WebhookID] = true
			}
			if !hooks[a.ID] || !hooks[b.ID] {
				e.t.Fatalf("deliveries went to %v", hooks)
			}
		}},
		{"DeliveryLog", func(e *env) {
			w := e.webhook("account.created")
			_, err := e.s.QueueWebhookEvent(e.ctx, "account.created", 1, time.Now())
			e.ok(err)
			_, err = e.s.QueueWebhookEvent(e.ctx, "account.created", 2, time.Now())
			e.ok(err)
			ds, err := e.s.WebhookDeliveries(e.ctx, w.ID, model.Page{Limit: 10})
			e.ok(err)
			if len(ds) != 2 || ds[0].ObjectID != 2 {
				e.t.Fatalf("deliveries = %+v", ds)
			}
			id := ds[1].ID
			e.ok(e.s.RecordWebhookAttempt(e.ctx, id, storage.WebhookAttempt{State: model.DeliveryPending, Attempts: 1, StatusCode: 500,
				Error: "server error", At: time.Now()}))
			e.ok(e.s.RecordWebhookAttempt(e.ctx, id, storage.WebhookAttempt{State: model.DeliveryDelivered, Attempts: 2, StatusCode: 200,
				At: time.Now()}))
			d, err := e.s.WebhookDelivery(e.ctx, id)
			e.ok(err)
			if d.State != model.DeliveryDelivered || d.Attempts != 2 || d.StatusCode != 200 || d.LastError != "server error" {
				e.t.Fatalf("delivery = %+v", d)
			}
			e.ok(e.s.DeleteWebhook(e.ctx, w.ID))
			_, err = e.s.WebhookDelivery(e.ctx, id)
			e.is(err, storage.ErrNotFound, "delivery of a deleted webhook")
			// Recording an attempt of a delivery gone since is no error.
			e.ok(e.s.RecordWebhookAttempt(e.ctx, id, storage.WebhookAttempt{State: model.DeliveryFailed, Attempts: 3, At: time.Now()}))
		}},
		{"EndedDeliveriesTrimmed", func(e *env) {
			w := e.webhook("account.created")
			for i := 0; i < storage.WebhookDeliveriesKept+3; i++ {
				_, err := e.s.QueueWebhookEvent(e.ctx, "account.created", int64(i), time.Now())
				e.ok(err)
			}
			ds, err := e.s.WebhookDeliveries(e.ctx, w.ID, model.Page{Limit: 500})
			e.ok(err)
			if len(ds) != storage.WebhookDeliveriesKept+3 {
				e.t.Fatalf("deliveries = %d", len(ds))
			}
			pending := ds[0] // the newest stays pending
			for _, d := range ds[1:] {
				e.ok(e.s.RecordWebhookAttempt(e.ctx, d.ID, storage.WebhookAttempt{State: model.DeliveryFailed, Attempts: 1, At: time.Now()}))
			}
			ds, _ = e.s.WebhookDeliveries(e.ctx, w.ID, model.Page{Limit: 500})
			if len(ds) != storage.WebhookDeliveriesKept+1 || ds[0].ID != pending.ID {
				e.t.Fatalf("after trimming: %d deliveries", len(ds))
			}
		}},
	}}
}

func delegationsArea() area {
	return area{"Delegations", []testCase{
		{"GrantListRevoke", func(e *env) {
			org, ou := e.localUser("org")
			m1, m2 := e.local("mia"), e.local("ann")
			grant := func(m *model.Account, perms ...string) {
				e.ok(e.s.SaveDelegation(e.ctx, &model.Delegation{AccountID: org.ID, MemberID: m.ID, Permissions: perms, GrantedBy: org.ID},
					&model.DelegationAction{AccountID: org.ID, MemberID: m.ID, Member: m.Username, ActorID: org.ID, Action: "grant"}))
			}
			grant(m1, "post")
			grant(m2, "post", "read")
			grant(m1, "notifications", "post") // replaces
			d, err := e.s.Delegation(e.ctx, org.ID, m1.ID)
			e.ok(err)
			if !slices.Equal(d.Permissions, []string{"notifications", "post"}) || !d.Has("post") || d.GrantedBy != org.ID {
				e.t.Fatalf("delegation = %+v", d)
			}
			_, err = e.s.Delegation(e.ctx, org.ID, 424242)
			e.is(err, storage.ErrNotFound, "no delegation")
			ds, err := e.s.AccountDelegations(e.ctx, org.ID)
			e.ok(err)
			if len(ds) != 2 || ds[0].MemberID == ds[1].MemberID {
				e.t.Fatalf("account delegations = %+v", ds)
			}
			ms, err := e.s.MemberDelegations(e.ctx, m2.ID)
			e.ok(err)
			if len(ms) != 1 || ms[0].AccountID != org.ID {
				e.t.Fatalf("member delegations = %+v", ms)
			}
			// A delegated token of m1 for org, and org's own token.
			app := e.app()
			delegated := &model.Token{AppID: app.ID, UserID: ou.ID, DelegateID: m1.ID, Scopes: "read"}
			e.ok(e.s.CreateToken(e.ctx, delegated, "delegated"))
			own := &model.Token{AppID: app.ID, UserID: ou.ID, Scopes: "read"}
			e.ok(e.s.CreateToken(e.ctx, own, "own"))
			got, err := e.s.TokenByValue(e.ctx, "delegated")
			e.ok(err)
			if got.DelegateID != m1.ID {
				e.t.Fatalf("token delegate = %d", got.DelegateID)
			}
			gone, err := e.s.DeleteDelegation(e.ctx, org.ID, m1.ID, &model.DelegationAction{AccountID: org.ID, MemberID: m1.ID,
				Member: "mia", ActorID: org.ID, Action: "revoke"})
			e.ok(err)
			e.equal("deleted tokens", gone, []int64{delegated.ID})
			left, _ := e.s.ExistingTokenIDs(e.ctx, []int64{delegated.ID, own.ID})
			e.equal("tokens left", left, []int64{own.ID})
			_, err = e.s.Delegation(e.ctx, org.ID, m1.ID)
			e.is(err, storage.ErrNotFound, "revoked delegation")
			_, err = e.s.DeleteDelegation(e.ctx, org.ID, m1.ID, &model.DelegationAction{AccountID: org.ID, MemberID: m1.ID, Action: "revoke"})
			e.is(err, storage.ErrNotFound, "revoking twice")
			log, err := e.s.DelegationActions(e.ctx, org.ID, m1.ID, model.Page{Limit: 10})
			e.ok(err)
			if len(log) != 3 || log[0].Action != "revoke" || log[2].Action != "grant" {
				e.t.Fatalf("log = %+v", log)
			}
		}},
		{"EndMemberDelegations", func(e *env) {
			o1, u1 := e.localUser("org1")
			o2, _ := e.localUser("org2")
			m := e.local("mia")
			for _, o := range []*model.Account{o1, o2} {
				e.ok(e.s.SaveDelegation(e.ctx, &model.Delegation{AccountID: o.ID, MemberID: m.ID, Permissions: []string{"post"}}, nil))
			}
			app := e.app()
			tok := &model.Token{AppID: app.ID, UserID: u1.ID, DelegateID: m.ID}
			e.ok(e.s.CreateToken(e.ctx, tok, "t"))
			ended, toks, err := e.s.EndMemberDelegations(e.ctx, m.ID, func(d *model.Delegation) *model.DelegationAction {
				return &model.DelegationAction{AccountID: d.AccountID, MemberID: d.MemberID, Action: "leave"}
			})
			e.ok(err)
			if len(ended) != 2 {
				e.t.Fatalf("ended = %+v", ended)
			}
			e.equal("tokens", toks, []int64{tok.ID})
			ms, _ := e.s.MemberDelegations(e.ctx, m.ID)
			if len(ms) != 0 {
				e.t.Fatalf("left = %+v", ms)
			}
			for _, o := range []*model.Account{o1, o2} {
				log, err := e.s.DelegationActions(e.ctx, o.ID, 0, model.Page{Limit: 10})
				e.ok(err)
				if len(log) != 1 || log[0].Action != "leave" {
					e.t.Fatalf("log of %d = %+v", o.ID, log)
				}
			}
		}},
		{"ActionLog", func(e *env) {
			o, m1, m2 := e.local("org"), e.local("mia"), e.local("ann")
			var ids []int64
			for i, m := range []*model.Account{m1, m2, m1} {
				a := &model.DelegationAction{AccountID: o.ID, MemberID: m.ID, Member: m.Username, Action: "post",
					ObjectType: "Status", ObjectID: string(rune('1' + i))}
				e.ok(e.s.AddDelegationAction(e.ctx, a))
				if a.ID == 0 {
					e.t.Fatal("AddDelegationAction set no id")
				}
				ids = append(ids, a.ID)
			}
			got, err := e.s.DelegationAction(e.ctx, ids[1])
			e.ok(err)
			if got.MemberID != m2.ID || got.Member != "ann" || got.ObjectType != "Status" {
				e.t.Fatalf("action = %+v", got)
			}
			_, err = e.s.DelegationAction(e.ctx, 424242)
			e.is(err, storage.ErrNotFound, "no action")
			all, err := e.s.DelegationActions(e.ctx, o.ID, 0, model.Page{Limit: 2})
			e.ok(err)
			if len(all) != 2 || all[0].ID != ids[2] || all[1].ID != ids[1] {
				e.t.Fatalf("page = %+v", all)
			}
			next, err := e.s.DelegationActions(e.ctx, o.ID, 0, model.Page{Limit: 2, MaxID: all[1].ID})
			e.ok(err)
			if len(next) != 1 || next[0].ID != ids[0] {
				e.t.Fatalf("next page = %+v", next)
			}
		}},
	}}
}
