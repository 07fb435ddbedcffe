package activitypub

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage"
)

// BenchmarkInboxIngest: signed activities per second POSTed from a
// loopback sender into the shared inbox, through signature verification
// (key cached after the first), dedupe and persistence to the queue. The
// processing workers are stopped so that only ingestion is measured.
func BenchmarkInboxIngest(b *testing.B) {
	ti := newTestInstance(b)
	ti.cancel()
	<-ti.done
	p := newFakePeer(b)
	inbox := ti.url + "/inbox"
	type signed struct {
		body []byte
		h    http.Header
	}
	reqs := make([]signed, b.N)
	for i := range reqs {
		body := mustJSON(b, map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams",
			"id":       fmt.Sprintf("%s#likes/%d-%d", p.actor, time.Now().UnixNano(), i),
			"type":     "Like", "actor": p.actor, "object": ti.url + "/users/nobody/statuses/1",
		})
		req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/activity+json")
		if err := httpsig.Sign(req, p.actor+"#main-key", p.key, body); err != nil {
			b.Fatal(err)
		}
		reqs[i] = signed{body, req.Header}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var next atomic.Int64
	var failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) {
					return
				}
				req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(reqs[i].body))
				req.Header = reqs[i].h.Clone()
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d POSTs failed", n, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "activities/s")
}

// BenchmarkDeliveryFanout: deliveries per second from the worker pool to
// N loopback sink inboxes that verify every signature (keys fetched once).
func BenchmarkDeliveryFanout(b *testing.B) {
	for _, sinks := range []int{1, 4, 16} {
		b.Run("sinks="+strconv.Itoa(sinks), func(b *testing.B) {
			ti := newTestInstance(b)
			bob := ti.createUser("bob")
			peers := make([]*fakePeer, sinks)
			for i := range peers {
				peers[i] = newFakePeer(b)
				peers[i].verify = true
			}
			act := `{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","actor":"` + bob.URI +
				`","object":{"type":"Note","content":"` + string(bytes.Repeat([]byte("x"), 500)) + `"}}`
			ds := make([]storage.Job, b.N)
			for i := range ds {
				p := peers[i%sinks]
				ds[i] = storage.Delivery{InboxURL: p.url + "/inbox", Host: hostOf(p.url), SignerID: bob.ID, Activity: []byte(act), Kind: "Create"}.Job()
			}
			// Warm the sinks' key caches so the benchmark measures delivery.
			for _, p := range peers {
				if _, err := p.resolveKey(context.Background(), bob.KeyID, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < len(ds); i += 500 {
				if err := ti.jobs.Enqueue(context.Background(), ds[i:min(i+500, len(ds))]...); err != nil {
					b.Fatal(err)
				}
			}
			total := func() int {
				n := 0
				for _, p := range peers {
					n += p.hits()
				}
				return n
			}
			testutil.Eventually(b, 5*time.Minute, fmt.Sprintf("%d deliveries", b.N), func() bool { return total() >= b.N })
			elapsed := time.Since(start)
			b.StopTimer()
			for _, p := range peers {
				if len(p.receivedActivities()) != p.hits() {
					b.Fatalf("a sink refused a signature")
				}
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
		})
	}
}

// BenchmarkRSASign: signing one POST (RSA-2048 + SHA-256 digest), the
// floor under both benchmarks above.
func BenchmarkRSASign(b *testing.B) {
	key := peerKey(b)
	body := bytes.Repeat([]byte("x"), 1024)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodPost, "https://remote.example/inbox", nil)
		if err := httpsig.Sign(req, "https://herald.example/users/a#main-key", key, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRSASignParallel: signing on every core, the ceiling of
// delivery fan-out (BenchmarkDeliveryFanout's deliveries/s over this
// benchmark's signs/s is the share the rest of a delivery leaves).
func BenchmarkRSASignParallel(b *testing.B) {
	key := peerKey(b)
	body := bytes.Repeat([]byte("x"), 1024)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, "https://remote.example/inbox", nil)
			if err := httpsig.Sign(req, "https://herald.example/users/a#main-key", key, body); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "signs/s")
}
