package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// An event queues a delivery and its job for each enabled webhook
// subscribed to it, and for no other.
func TestQueueWebhookEventSelectsSubscribers(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	mk := func(enabled bool, events ...string) *model.Webhook {
		w := &model.Webhook{URL: "https://hooks.example/", Events: events, Secret: "s", Enabled: enabled}
		if err := s.CreateWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	both := mk(true, "account.created", "status.created")
	mk(true, "status.updated")       // another event
	mk(false, "status.created")      // disabled
	mk(true, "status.created.extra") // not a word match
	statuses := mk(true, "status.created")
	n, err := s.QueueWebhookEvent(ctx, "status.created", 42, time.Now())
	if err != nil || n != 2 {
		t.Fatalf("queued %d (%v), want 2", n, err)
	}
	for _, w := range []*model.Webhook{both, statuses} {
		ds, err := s.WebhookDeliveries(ctx, w.ID, model.Page{})
		if err != nil || len(ds) != 1 || ds[0].Event != "status.created" || ds[0].ObjectID != 42 || ds[0].State != model.DeliveryPending {
			t.Fatalf("deliveries of %d: %+v (%v)", w.ID, ds, err)
		}
	}
	js, err := s.ClaimJobs(ctx, storage.JobClaim{Kind: storage.JobWebhook, Owner: "o", Now: time.Now(), Lease: time.Minute, Limit: 10})
	if err != nil || len(js) != 2 {
		t.Fatalf("jobs: %d (%v)", len(js), err)
	}
	for _, j := range js {
		id, err := storage.WebhookDeliveryOf(&j)
		if err != nil {
			t.Fatal(err)
		}
		if d, err := s.WebhookDelivery(ctx, id); err != nil || d.WebhookID != j.Ref {
			t.Errorf("job %+v: delivery %+v (%v)", j, d, err)
		}
	}
	if n, err := s.QueueWebhookEvent(ctx, "report.created", 1, time.Now()); err != nil || n != 0 {
		t.Errorf("an event nobody subscribes to: %d (%v)", n, err)
	}
	// Deleting a webhook deletes its log.
	if err := s.DeleteWebhook(ctx, both.ID); err != nil {
		t.Fatal(err)
	}
	if ds, _ := s.WebhookDeliveries(ctx, both.ID, model.Page{}); len(ds) != 0 {
		t.Errorf("deleted webhook's log: %d entries", len(ds))
	}
}

// The log keeps the newest WebhookDeliveriesKept ended deliveries of each
// webhook, and every pending one.
func TestWebhookLogIsBounded(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	w := &model.Webhook{URL: "https://hooks.example/", Events: []string{"status.created"}, Secret: "s", Enabled: true}
	if err := s.CreateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	total := storage.WebhookDeliveriesKept + 10
	for i := range total {
		if _, err := s.QueueWebhookEvent(ctx, "status.created", int64(i+1), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.WebhookDeliveries(ctx, w.ID, model.Page{})
	if err != nil || len(all) != total {
		t.Fatalf("%d deliveries (%v)", len(all), err)
	}
	// The 5 oldest stay pending; the rest end, oldest first.
	for i := len(all) - 6; i >= 0; i-- {
		state := model.DeliveryDelivered
		if i%2 == 1 {
			state = model.DeliveryFailed
		}
		if err := s.RecordWebhookAttempt(ctx, all[i].ID, storage.WebhookAttempt{State: state, Attempts: 1, StatusCode: 200, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	left, err := s.WebhookDeliveries(ctx, w.ID, model.Page{})
	if err != nil {
		t.Fatal(err)
	}
	ended, pending := 0, 0
	for _, d := range left {
		if d.State == model.DeliveryPending {
			pending++
		} else {
			ended++
		}
	}
	if ended != storage.WebhookDeliveriesKept || pending != 5 {
		t.Errorf("kept %d ended and %d pending, want %d and 5", ended, pending, storage.WebhookDeliveriesKept)
	}
	if left[0].ID != all[0].ID {
		t.Error("the newest delivery was deleted")
	}
	// An attempt on a delivery deleted meanwhile is not an error.
	if err := s.RecordWebhookAttempt(ctx, 12345, storage.WebhookAttempt{State: model.DeliveryFailed, At: time.Now()}); err != nil {
		t.Errorf("record on a missing delivery: %v", err)
	}
}
