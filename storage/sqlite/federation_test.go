package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func openFedTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestEnqueueInboxDedupes(t *testing.T) {
	s := openFedTest(t)
	ctx := context.Background()
	it := &storage.InboxItem{ActivityID: "https://a.example/1", SignerURI: "https://a.example/u", Payload: "{}"}
	if _, err := s.DomainFailed(ctx, "a.example", "2024-01-01", 7); err != nil {
		t.Fatal(err)
	}
	q, err := s.EnqueueInbox(ctx, it, "a.example")
	if err != nil || !q {
		t.Fatalf("first: %v %v", q, err)
	}
	q, err = s.EnqueueInbox(ctx, &storage.InboxItem{ActivityID: "https://a.example/1", SignerURI: "x", Payload: "{}"}, "a.example")
	if err != nil || q {
		t.Fatalf("replay queued: %v %v", q, err)
	}
	var n int
	s.r.QueryRow("SELECT count(*) FROM remote_domains").Scan(&n)
	if n != 0 {
		t.Fatal("an inbound activity did not clear the domain's failures")
	}
	items, err := s.ClaimInbox(ctx, time.Now(), 10)
	if err != nil || len(items) != 1 || items[0].Payload != "{}" {
		t.Fatalf("claim: %+v %v", items, err)
	}
	if again, _ := s.ClaimInbox(ctx, time.Now(), 10); len(again) != 0 {
		t.Fatal("a claimed item was handed out twice")
	}
	if err := s.RetryInbox(ctx, items[0].ID, 1, time.Now().Add(time.Hour), "boom"); err != nil {
		t.Fatal(err)
	}
	if next, ok, _ := s.NextInboxDue(ctx); !ok || next.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("next due %v %v", next, ok)
	}
	if err := s.InboxDone(ctx, items[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.NextInboxDue(ctx); ok {
		t.Fatal("done item still queued")
	}
	if n, err := s.ForgetSeenActivities(ctx, time.Now().Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("forget: %d %v", n, err)
	}
}

func TestDomainFailureDays(t *testing.T) {
	s := openFedTest(t)
	ctx := context.Background()
	for i, day := range []string{"2024-01-01", "2024-01-01", "2024-01-02", "2024-01-03"} {
		down, err := s.DomainFailed(ctx, "b.example", day, 3)
		if err != nil {
			t.Fatal(err)
		}
		if want := i == 3; down != want {
			t.Fatalf("after %s: unavailable = %v", day, down)
		}
	}
	if ds, _ := s.UnavailableDomains(ctx); len(ds) != 1 || ds[0] != "b.example" {
		t.Fatalf("unavailable: %v", ds)
	}
	if err := s.DomainAlive(ctx, "b.example"); err != nil {
		t.Fatal(err)
	}
	if ds, _ := s.UnavailableDomains(ctx); len(ds) != 0 {
		t.Fatalf("still unavailable: %v", ds)
	}
}

func TestCompleteEventAndDeliveries(t *testing.T) {
	s := openFedTest(t)
	ctx := context.Background()
	if err := s.QueueEvents(ctx, []model.OutboxEvent{{Kind: model.EventStatusCreate, AccountID: 1, ObjectID: 2}}); err != nil {
		t.Fatal(err)
	}
	evs, _ := s.PendingEvents(ctx, 10)
	err := s.CompleteEvent(ctx, evs[0].ID, []storage.Delivery{
		{InboxURL: "https://c.example/inbox", Host: "C.example", SignerID: 1, Activity: "{}", Kind: "Create"},
		{InboxURL: "https://d.example/inbox", Host: "d.example", SignerID: 1, Activity: "{}", Kind: "Create", NextAttemptAt: time.Now().Add(time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if evs, _ := s.PendingEvents(ctx, 10); len(evs) != 0 {
		t.Fatal("event not deleted")
	}
	got, _ := s.ClaimDueDeliveries(ctx, time.Now(), nil, 10)
	if len(got) != 1 || got[0].Host != "c.example" || got[0].Kind != "Create" {
		t.Fatalf("due: %+v", got)
	}
	if err := s.RetryDelivery(ctx, got[0].ID, 3, time.Now().Add(-time.Second), "500"); err != nil {
		t.Fatal(err)
	}
	got, _ = s.ClaimDueDeliveries(ctx, time.Now(), nil, 10)
	if len(got) != 1 || got[0].Attempts != 3 || got[0].LastError != "500" {
		t.Fatalf("retried: %+v", got)
	}
	if next, ok, _ := s.NextDeliveryDue(ctx); !ok || next.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("next due: %v %v", next, ok)
	}
	if n, _ := s.DropDeliveriesToHost(ctx, "d.example"); n != 1 {
		t.Fatalf("dropped %d", n)
	}
	if err := s.DeliveryDone(ctx, got[0].ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountDeliveries(ctx); n != 0 {
		t.Fatalf("%d left", n)
	}
}
