package activitypub

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage"
	"github.com/herald-social/herald/storage/sqlite"
)

// queueDelivery stores one delivery of a small activity signed by signer.
func queueDelivery(t *testing.T, ti *testInstance, signerID int64, inbox, id string) {
	t.Helper()
	act := `{"@context":"https://www.w3.org/ns/activitystreams","id":"` + id + `","type":"Like","actor":"x","object":"y"}`
	d := storage.Delivery{InboxURL: inbox, Host: hostOf(inbox), SignerID: signerID, Activity: []byte(act), Kind: "Like"}
	if err := ti.jobs.Enqueue(context.Background(), d.Job()); err != nil {
		t.Fatal(err)
	}
}

func TestDeliveryRetriesThenSucceeds(t *testing.T) {
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	p := newFakePeer(t)
	p.verify = true
	p.answer = func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusAccepted
	}
	queueDelivery(t, ti, bob.ID, p.url+"/inbox", ti.url+"/x/1")
	testutil.Eventually(t, 10*time.Second, "the activity delivered after two 500s", func() bool { return len(p.receivedActivities()) == 1 })
	if h := p.hits(); h != 3 {
		t.Fatalf("inbox hit %d times, want 3", h)
	}
	testutil.Eventually(t, 5*time.Second, "the delivery row deleted", func() bool {
		n, _ := ti.store.CountDeliveries(context.Background())
		return n == 0
	})
}

func TestDeliveryNotRetriedOn404(t *testing.T) {
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	p := newFakePeer(t)
	p.answer = func(int) int { return http.StatusNotFound }
	queueDelivery(t, ti, bob.ID, p.url+"/inbox", ti.url+"/x/2")
	testutil.Eventually(t, 5*time.Second, "the delivery dropped", func() bool {
		n, _ := ti.store.CountDeliveries(context.Background())
		return n == 0 && p.hits() > 0
	})
	// The row is gone, so nothing is left to retry: one hit is all there
	// will ever be.
	if h := p.hits(); h != 1 {
		t.Fatalf("a 404 was retried: %d hits", h)
	}
}

func TestDeliveryRetriedOn429WithRetryAfter(t *testing.T) {
	if got := parseRetryAfter("7", time.Now()); got != 7*time.Second {
		t.Fatalf("Retry-After 7 = %s", got)
	}
	now := time.Now()
	if got := parseRetryAfter(now.Add(90*time.Second).UTC().Format(http.TimeFormat), now); got < 88*time.Second || got > 91*time.Second {
		t.Fatalf("Retry-After date = %s", got)
	}
}

func TestDeliveryGoneMarksAccount(t *testing.T) {
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	p := newFakePeer(t)
	ctx := context.Background()
	alice, _, err := ti.fed.fetchActor(ctx, p.actor)
	if err != nil {
		t.Fatal(err)
	}
	p.answer = func(int) int { return http.StatusGone }
	queueDelivery(t, ti, bob.ID, alice.InboxURL, ti.url+"/x/3")
	testutil.Eventually(t, 5*time.Second, "the account marked gone", func() bool {
		a, err := ti.store.AccountByID(ctx, alice.ID)
		return err == nil && a.GoneAt != nil
	})
}

func TestDomainMarkedUnavailableAndRevived(t *testing.T) {
	ti := newTestInstance(t)
	ti.fed.Tuning.MaxAttempts = 2
	ti.fed.Tuning.FailureDays = 1
	bob := ti.createUser("bob")
	p := newFakePeer(t)
	// What the other processes on the database are told (OnDomainState).
	var toldMu sync.Mutex
	var told []string
	ti.fed.OnDomainState = func(host string, down bool) {
		toldMu.Lock()
		defer toldMu.Unlock()
		told = append(told, fmt.Sprint(host, " ", down))
	}
	p.answer = func(int) int { return http.StatusServiceUnavailable }
	queueDelivery(t, ti, bob.ID, p.url+"/inbox", ti.url+"/x/4")
	host := hostOf(p.url)
	testutil.Eventually(t, 10*time.Second, "the domain marked unavailable", func() bool { return ti.fed.isUnavailable(host) })
	if h := p.hits(); h != 2 {
		t.Fatalf("%d attempts, want MaxAttempts = 2", h)
	}
	ds, err := ti.fed.deliveriesFor(context.Background(), doc{"type": "Create"}, bob.ID, []string{p.url + "/inbox"})
	if err != nil || len(ds) != 0 {
		t.Fatalf("deliveries to an unavailable domain: %v %v", ds, err)
	}
	if ds, _ := ti.fed.deliveriesFor(context.Background(), doc{"type": "Follow"}, bob.ID, []string{p.url + "/inbox"}); len(ds) != 1 {
		t.Fatalf("a Follow must still go to an unavailable domain")
	}
	// Anything received from the domain revives it.
	p.answer = nil
	if status, msg := p.signedPost(ti.url+"/inbox", mustJSON(t, followActivity(p, "revive", bob.URI)), nil); status != http.StatusAccepted {
		t.Fatalf("inbox: %d %s", status, msg)
	}
	if ti.fed.isUnavailable(host) {
		t.Fatal("an inbound activity did not clear the unavailable mark")
	}
	down, _ := ti.store.UnavailableDomains(context.Background())
	if len(down) != 0 {
		t.Fatalf("store still lists %v", down)
	}
	toldMu.Lock()
	if want := []string{host + " true", host + " false"}; !slices.Equal(told, want) {
		t.Errorf("told the other processes %v, want %v", told, want)
	}
	toldMu.Unlock()
	// What another process tells this one.
	ti.fed.DomainStateElsewhere(host, true)
	if !ti.fed.isUnavailable(host) {
		t.Fatal("a domain another process marked unavailable is available here")
	}
	ti.fed.DomainStateElsewhere(host, false)
	if ti.fed.isUnavailable(host) {
		t.Fatal("a domain another process heard from again is still unavailable here")
	}
}

func TestBackoffSchedule(t *testing.T) {
	var total time.Duration
	for a := 1; a < 16; a++ {
		d := MastodonBackoff(a)
		lo := time.Duration(float64((a-1)*(a-1)*(a-1)*(a-1))+15) * time.Second
		if d < lo || d > lo*3/2+time.Second {
			t.Fatalf("attempt %d: %s outside [%s, 1.5x]", a, d, lo)
		}
		total += d
	}
	if total < 36*time.Hour || total > 4*24*time.Hour {
		t.Fatalf("16 attempts span %s, want about 2-3 days", total)
	}
}

// TestDeliveriesSurviveRestart: queued and claimed deliveries are still
// there after the store is closed (as after kill -9) and reopened; the
// claim of the dead process holds until its lease runs out, then the
// delivery is claimable again.
func TestDeliveriesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	ds := []storage.Job{
		storage.Delivery{InboxURL: "https://a.example/inbox", Host: "a.example", SignerID: 1, Activity: []byte("{}"), Kind: "Create"}.Job(),
		storage.Delivery{InboxURL: "https://b.example/inbox", Host: "b.example", SignerID: 1, Activity: []byte("{}"), Kind: "Create"}.Job(),
	}
	if err := s.InsertJobs(ctx, ds); err != nil {
		t.Fatal(err)
	}
	claim := storage.JobClaim{Kind: storage.JobDeliver, Owner: "dead", Now: time.Now(), Lease: time.Minute, Limit: 1, PerKey: 2}
	claimed, err := s.ClaimJobs(ctx, claim)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	// "Crash": close without releasing the claim.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.OpenFile(ctx, filepath.Join(dir, sqlite.DBFile), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, _ := s.CountDeliveries(ctx); n != 2 {
		t.Fatalf("%d deliveries after reopen, want 2", n)
	}
	claim.Owner, claim.Limit = "new", 10
	if got, _ := s.ClaimJobs(ctx, claim); len(got) != 1 {
		t.Fatalf("while the dead claim holds: %d claimable, want 1", len(got))
	}
	claim.Owner, claim.Now = "newer", time.Now().Add(2*time.Minute)
	if got, _ := s.ClaimJobs(ctx, claim); len(got) != 2 {
		t.Fatalf("after the leases ran out: %d claimable, want 2", len(got))
	}
}

// runEvents turns the queued outbox events into deliveries, as the
// runtime would, and returns the deliveries made.
func runEvents(t *testing.T, ti *testInstance) []storage.Delivery {
	t.Helper()
	ctx := context.Background()
	evs, err := ti.store.ClaimJobs(ctx, storage.JobClaim{Kind: storage.JobFederate, Owner: "test", Now: time.Now(), Lease: time.Minute, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []storage.Delivery
	for i := range evs {
		then, err := ti.fed.runEvent(ctx, &evs[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := ti.store.CompleteJob(ctx, evs[i].ID, "test", then); err != nil {
			t.Fatal(err)
		}
		for k := range then {
			if then[k].Kind == storage.JobDeliver {
				d, err := storage.DeliveryOf(&then[k])
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, d)
			}
		}
	}
	return out
}

// TestEventToDeliveryAtomic: an event becomes deliveries and disappears in
// one step; an event whose status is gone is dropped.
func TestOutboxEventsBecomeDeliveries(t *testing.T) {
	ti := newTestInstance(t)
	ti.cancel() // no workers: drive the outbox by hand
	<-ti.done
	bob := ti.createUser("bob")
	ctx := context.Background()
	p := newFakePeer(t)
	alice, _, err := ti.fed.fetchActor(ctx, p.actor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ti.svc.RemoteFollow(ctx, alice.ID, bob.ID, p.actor+"#follows/1"); err != nil {
		t.Fatal(err)
	}
	got := runEvents(t, ti)
	if evs, _ := ti.store.PendingEvents(ctx, 10); len(evs) != 0 {
		t.Fatalf("events left: %v", evs)
	}
	if len(got) != 1 || got[0].Kind != "Accept" || got[0].InboxURL != alice.InboxURL {
		t.Fatalf("deliveries: %+v", got)
	}
	// A status.create whose status no longer exists is dropped quietly.
	if err := ti.store.QueueEvents(ctx, []model.OutboxEvent{{Kind: "status.create", AccountID: bob.ID, ObjectID: 12345}}); err != nil {
		t.Fatal(err)
	}
	if ds := runEvents(t, ti); len(ds) != 0 {
		t.Fatalf("deliveries of a vanished status: %+v", ds)
	}
	if evs, _ := ti.store.PendingEvents(ctx, 10); len(evs) != 0 {
		t.Fatalf("vanished status's event left: %v", evs)
	}
}
