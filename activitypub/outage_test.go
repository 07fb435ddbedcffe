package activitypub

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/testutil"
)

// outageSink is a remote inbox for TestPeerOutages. It verifies every
// delivery's signature, records the activities that were accepted (by id,
// so at-least-once duplicates are visible) and the time of every hit per
// activity id. While broken, its behaviour is the mode's; once healed it
// answers 202.
type outageSink struct {
	name   string
	mode   string // "healthy", "down", "slow", "500", "429"
	key    *rsa.PublicKey
	healed atomic.Bool

	mu       sync.Mutex
	got      map[string]int         // activity id → accepted deliveries
	hits     map[string][]time.Time // activity id → every POST received
	firstGot map[string]time.Time   // activity id → first acceptance
	ln       net.Listener
	srv      *http.Server
	addr     string
}

func (s *outageSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if _, err := httpsig.Verify(r.Context(), r, body, func(context.Context, string, bool) (*rsa.PublicKey, error) {
		return s.key, nil
	}, time.Time{}); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var act struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &act)
	now := time.Now()
	s.mu.Lock()
	s.hits[act.ID] = append(s.hits[act.ID], now)
	s.mu.Unlock()
	if !s.healed.Load() {
		switch s.mode {
		case "slow":
			// Answers after 30 s: far past the federation's request timeout.
			select {
			case <-time.After(30 * time.Second):
			case <-r.Context().Done():
				return
			}
		case "500":
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		case "429":
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
	}
	s.mu.Lock()
	s.got[act.ID]++
	if _, ok := s.firstGot[act.ID]; !ok {
		s.firstGot[act.ID] = now
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func newOutageSink(t *testing.T, name, mode string, key *rsa.PublicKey) *outageSink {
	t.Helper()
	s := &outageSink{name: name, mode: mode, key: key, got: map[string]int{}, hits: map[string][]time.Time{}, firstGot: map[string]time.Time{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.srv = &http.Server{Handler: s}
	if mode == "down" {
		// A closed port: connections are refused until open() listens on
		// it again.
		ln.Close()
	} else {
		s.ln = ln
		go s.srv.Serve(ln)
	}
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// open starts listening on the down sink's port.
func (s *outageSink) open(t *testing.T) {
	t.Helper()
	var ln net.Listener
	var err error
	testutil.Eventually(t, time.Second, "the port of "+s.addr+" free again", func() bool { // it may linger briefly
		ln, err = net.Listen("tcp", s.addr)
		return err == nil
	})
	s.ln = ln
	go s.srv.Serve(ln)
}

func (s *outageSink) inbox() string { return "http://" + s.addr + "/inbox" }

func (s *outageSink) accepted(id string) (int, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[id], s.firstGot[id]
}

func (s *outageSink) hitTimes(id string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.hits[id]...)
}

// TestPeerOutages: remote inboxes that are down (port closed), slow (answer
// after 30 s, past the 2 s request timeout), answering 500, or answering
// 429 with Retry-After, while one healthy host takes deliveries promptly.
// The failing hosts never hold up the healthy one, the 429 host is not
// retried before its Retry-After, and once every host recovers all the
// deliveries arrive and the queue is empty.
func TestPeerOutages(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 10 s")
	}
	ti := newTestInstance(t, func(c *config.Config) {
		c.Federation.RequestTimeout = config.Duration{Duration: 2 * time.Second}
		c.Federation.DeliveryWorkers = 8
		c.Federation.DeliveryPerHost = 2
	})
	// Short backoff, growing to 1 s, and enough attempts to outlast the
	// outage (the default 16 would be spent in seconds at this pace).
	ti.fed.Tuning.Backoff = func(attempt int) time.Duration {
		return min(time.Duration(attempt)*100*time.Millisecond, time.Second)
	}
	ti.fed.Tuning.MaxAttempts = 1000
	bob := ti.createUser("bob")
	key, err := httpsig.ParsePublicKeyPEM(bob.PublicKeyPEM)
	if err != nil {
		t.Fatal(err)
	}

	slow := newOutageSink(t, "slow", "slow", key)
	down := newOutageSink(t, "down", "down", key)
	e500 := newOutageSink(t, "500", "500", key)
	e429 := newOutageSink(t, "429", "429", key)
	healthy := newOutageSink(t, "healthy", "healthy", key)
	broken := []*outageSink{slow, down, e500, e429}
	all := append(append([]*outageSink(nil), broken...), healthy)

	const perHost = 4
	ids := map[*outageSink][]string{}
	// The broken hosts are queued first, so they are claimed first and the
	// slow one occupies its workers before the healthy host's turn.
	start := time.Now()
	for _, s := range all {
		for i := range perHost {
			id := fmt.Sprintf("%s/outage/%s/%d", ti.url, s.name, i)
			ids[s] = append(ids[s], id)
			queueDelivery(t, ti, bob.ID, s.inbox(), id)
		}
	}

	// The healthy host gets everything before the slow host's first
	// request has even timed out.
	testutil.Eventually(t, 1900*time.Millisecond, "the healthy host's deliveries, while the others fail", func() bool {
		for _, id := range ids[healthy] {
			if n, _ := healthy.accepted(id); n == 0 {
				return false
			}
		}
		return true
	})
	t.Logf("healthy host served in %s", time.Since(start).Round(time.Millisecond))

	// Mid-outage (slow requests in flight, the others retrying), a new
	// delivery to the healthy host still goes at once.
	testutil.Eventually(t, 5*time.Second, "slow requests in flight and the 500 host retried", func() bool {
		return len(slow.hitTimes(ids[slow][0])) > 0 && len(e500.hitTimes(ids[e500][0])) > 1
	})
	lateID := ti.url + "/outage/healthy/late"
	queued := time.Now()
	queueDelivery(t, ti, bob.ID, healthy.inbox(), lateID)
	testutil.Eventually(t, time.Second, "a delivery queued mid-outage to the healthy host", func() bool {
		n, _ := healthy.accepted(lateID)
		return n > 0
	})
	t.Logf("mid-outage delivery to the healthy host took %s", time.Since(queued).Round(time.Millisecond))

	// Let the outage last until the failures were retried: the 500 host
	// several times, the slow host after its first request timed out.
	testutil.Eventually(t, 10*time.Second, "retries during the outage", func() bool {
		return len(e500.hitTimes(ids[e500][0])) >= 3 && len(slow.hitTimes(ids[slow][0])) >= 2
	})
	for _, s := range broken {
		for _, id := range ids[s] {
			if n, _ := s.accepted(id); n != 0 {
				t.Fatalf("%s host accepted %s during its outage", s.name, id)
			}
		}
	}

	// Recovery.
	healedAt := time.Now()
	for _, s := range broken {
		s.healed.Store(true)
	}
	down.open(t)
	testutil.Eventually(t, 20*time.Second, "every delivery to every host after recovery", func() bool {
		for _, s := range all {
			for _, id := range ids[s] {
				if n, _ := s.accepted(id); n == 0 {
					return false
				}
			}
		}
		return true
	})
	t.Logf("all hosts served %s after recovery", time.Since(healedAt).Round(time.Millisecond))
	testutil.Eventually(t, 5*time.Second, "the delivery queue emptied", func() bool {
		n, _ := ti.store.CountDeliveries(context.Background())
		return n == 0
	})

	// The 429 host was never retried before its Retry-After (1 s), although
	// the backoff alone would have retried after 100 ms.
	for _, id := range ids[e429] {
		hits := e429.hitTimes(id)
		if len(hits) < 2 {
			t.Errorf("429 host: %s hit %d times, want a refusal then a retry", id, len(hits))
			continue
		}
		for i := 1; i < len(hits); i++ {
			if gap := hits[i].Sub(hits[i-1]); gap < 950*time.Millisecond {
				t.Errorf("429 host: %s retried %s after a Retry-After: 1", id, gap)
			}
		}
	}
	// Receivers dedupe by id, but no host should see a flood of copies.
	for _, s := range all {
		for _, id := range ids[s] {
			if n, _ := s.accepted(id); n > 1 {
				t.Logf("%s host accepted %s %d times (at-least-once)", s.name, id, n)
			}
		}
		t.Logf("%s host: %d attempts for its first activity", s.name, len(s.hitTimes(ids[s][0])))
	}
}
