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
	return openStore(t, 1)
}

func TestEnqueueInboxDedupes(t *testing.T) {
	s := openFedTest(t)
	ctx := context.Background()
	it := storage.InboxItem{ActivityID: "https://a.example/1", SignerURI: "https://a.example/u", Payload: []byte(`{"type":"Like"}`)}
	if _, err := s.DomainFailed(ctx, "a.example", "2024-01-01", 7); err != nil {
		t.Fatal(err)
	}
	q, err := s.EnqueueInbox(ctx, it, "a.example")
	if err != nil || !q {
		t.Fatalf("first: %v %v", q, err)
	}
	q, err = s.EnqueueInbox(ctx, storage.InboxItem{ActivityID: "https://a.example/1", SignerURI: "x", Payload: []byte("{}")}, "a.example")
	if err != nil || q {
		t.Fatalf("replay queued: %v %v", q, err)
	}
	var n int
	s.r.QueryRow("SELECT count(*) FROM remote_domains").Scan(&n)
	if n != 0 {
		t.Fatal("an inbound activity did not clear the domain's failures")
	}
	js, err := s.ClaimJobs(ctx, storage.JobClaim{Kind: storage.JobInbox, Owner: "o", Now: time.Now(), Lease: time.Minute, Limit: 10, PerKey: 1})
	if err != nil || len(js) != 1 {
		t.Fatalf("claim: %+v %v", js, err)
	}
	got, err := storage.InboxItemOf(&js[0])
	if err != nil || got.ActivityID != it.ActivityID || got.SignerURI != it.SignerURI || string(got.Payload) != string(it.Payload) {
		t.Fatalf("inbox job: %+v %v", got, err)
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

// An outbox event is a job; completing it inserts its deliveries (keyed
// by host, ref the signer) in the same transaction.
func TestOutboxEventBecomesDeliveryJobs(t *testing.T) {
	s := openFedTest(t)
	ctx := context.Background()
	if err := s.QueueEvents(ctx, []model.OutboxEvent{{Kind: model.EventStatusCreate, AccountID: 1, ObjectID: 2, Payload: `{"uri":"u"}`}}); err != nil {
		t.Fatal(err)
	}
	evs, _ := s.PendingEvents(ctx, 10)
	if len(evs) != 1 || evs[0].Kind != model.EventStatusCreate || evs[0].AccountID != 1 || evs[0].ObjectID != 2 || evs[0].Payload != `{"uri":"u"}` {
		t.Fatalf("pending events: %+v", evs)
	}
	js, err := s.ClaimJobs(ctx, storage.JobClaim{Kind: storage.JobFederate, Owner: "o", Now: time.Now(), Lease: time.Minute, Limit: 10, PerKey: 1})
	if err != nil || len(js) != 1 {
		t.Fatalf("claim event: %+v %v", js, err)
	}
	later := storage.Delivery{InboxURL: "https://d.example/inbox", Host: "d.example", SignerID: 1, Activity: []byte("{}"), Kind: "Create"}.Job()
	later.RunAt = time.Now().Add(time.Hour)
	err = s.CompleteJob(ctx, js[0].ID, "o", []storage.Job{
		storage.Delivery{InboxURL: "https://c.example/inbox", Host: "C.example", SignerID: 1, Activity: []byte(`{"a":1}`), Kind: "Create"}.Job(),
		later,
	})
	if err != nil {
		t.Fatal(err)
	}
	if evs, _ := s.PendingEvents(ctx, 10); len(evs) != 0 {
		t.Fatal("event not deleted")
	}
	if n, _ := s.CountDeliveries(ctx); n != 2 {
		t.Fatalf("%d deliveries, want 2", n)
	}
	if n, _ := s.CountJobs(ctx, storage.JobDeliver, 1, time.Now().Add(2*time.Hour)); n != 2 {
		t.Fatalf("%d deliveries signed by account 1, want 2", n)
	}
	got, _ := s.ClaimJobs(ctx, storage.JobClaim{Kind: storage.JobDeliver, Owner: "o", Now: time.Now(), Lease: time.Minute, Limit: 10, PerKey: 2})
	if len(got) != 1 {
		t.Fatalf("due: %+v", got)
	}
	d, err := storage.DeliveryOf(&got[0])
	if err != nil || d.Host != "c.example" || d.Kind != "Create" || string(d.Activity) != `{"a":1}` || d.SignerID != 1 {
		t.Fatalf("delivery: %+v %v", d, err)
	}
	if next, ok, _ := s.NextDeliveryDue(ctx); !ok || next.After(time.Now()) {
		t.Fatalf("next due: %v %v", next, ok)
	}
	if n, _ := s.DeleteJobs(ctx, storage.JobDeliver, "d.example"); n != 1 {
		t.Fatalf("dropped %d", n)
	}
	if n, _ := s.DeleteJobs(ctx, storage.JobDeliver, "c.example"); n != 0 {
		t.Fatal("a running delivery was dropped")
	}
}

// Outbox activities take their ids from their event's job id (an Undo's
// "#undo/<id>", an Accept's "#accepts/follows/<id>"), so a job id is never
// given twice, even once the table is empty again.
func TestJobIDsAreNeverReused(t *testing.T) {
	s := openFedTest(t)
	ctx := context.Background()
	var last int64
	for i := 0; i < 3; i++ {
		evs := []model.OutboxEvent{{Kind: model.EventStatusCreate, AccountID: 1, ObjectID: 2}}
		if err := s.QueueEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
		if evs[0].ID <= last {
			t.Fatalf("event %d got id %d after %d", i, evs[0].ID, last)
		}
		last = evs[0].ID
		js, err := s.ClaimJobs(ctx, storage.JobClaim{Kind: storage.JobFederate, Owner: "o", Now: time.Now(), Lease: time.Minute, Limit: 1})
		if err != nil || len(js) != 1 {
			t.Fatal(js, err)
		}
		if err := s.CompleteJob(ctx, js[0].ID, "o", nil); err != nil {
			t.Fatal(err)
		}
	}
}
