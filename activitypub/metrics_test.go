package activitypub

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/metrics"
	"github.com/herald-social/herald/internal/testutil"
)

// counter reads one series of a counter family from m (0 when absent).
func counter(t *testing.T, m *metrics.Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	series:
		for _, s := range f.Metric {
			have := map[string]string{}
			for _, l := range s.Label {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue series
				}
			}
			return s.Counter.GetValue()
		}
	}
	return 0
}

// Each delivery attempt is counted by its result: retried after a 500,
// delivered, refused (404), gone (410).
func TestDeliveryResultsCounted(t *testing.T) {
	ti := newTestInstance(t)
	m := metrics.New()
	ti.fed.Metrics = m
	bob := ti.createUser("bob")
	p := newFakePeer(t)
	p.answer = func(n int) int {
		switch n {
		case 1:
			return http.StatusInternalServerError
		case 2:
			return http.StatusAccepted
		case 3:
			return http.StatusNotFound
		}
		return http.StatusGone
	}
	want := map[string]float64{}
	for i, w := range []map[string]float64{
		{metrics.DeliveryRetry: 1, metrics.DeliveryDelivered: 1},
		{metrics.DeliveryRefused: 1},
		{metrics.DeliveryGone: 1},
	} {
		queueDelivery(t, ti, bob.ID, p.url+"/inbox", ti.url+"/x/m"+string(rune('0'+i)))
		for r, n := range w {
			want[r] += n
		}
		testutil.Eventually(t, 10*time.Second, "the delivery's results counted", func() bool {
			for r, n := range want {
				if counter(t, m, "herald_deliveries_total", map[string]string{"result": r}) != n {
					return false
				}
			}
			return true
		})
	}
	if got := counter(t, m, "herald_deliveries_total", map[string]string{"result": metrics.DeliveryFailed}); got != 0 {
		t.Errorf("failed deliveries: %v", got)
	}
}

// Each incoming activity is counted by type and result; a type Herald
// does not handle is "other", never the sender's word.
func TestInboxActivitiesCounted(t *testing.T) {
	ti := newTestInstance(t)
	m := metrics.New()
	ti.fed.Metrics = m
	bob := ti.createUser("bob")
	p := newFakePeer(t)
	post := func(act map[string]any) {
		t.Helper()
		if status, msg := p.signedPost(ti.url+"/inbox", mustJSON(t, act), nil); status != http.StatusAccepted {
			t.Fatalf("inbox: %d %s", status, msg)
		}
	}
	post(followActivity(p, "m1", bob.URI))
	post(map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": p.actor + "#dance/1",
		"type": "DanceParty4711", "actor": p.actor, "object": bob.URI})
	// A Follow of nobody here: not applied, not retried.
	post(followActivity(p, "m2", ti.url+"/users/nobody"))
	ti.waitInboxEmpty()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ti.jobs.Drained(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		typ, result string
		want        float64
	}{
		{"Follow", metrics.InboxApplied, 1},
		{"Follow", metrics.InboxRejected, 1},
		{"other", metrics.InboxApplied, 1},
		{"DanceParty4711", metrics.InboxApplied, 0},
	} {
		if got := counter(t, m, "herald_inbox_activities_total", map[string]string{"type": c.typ, "result": c.result}); got != c.want {
			t.Errorf("%s %s: %v, want %v", c.typ, c.result, got, c.want)
		}
	}
}
