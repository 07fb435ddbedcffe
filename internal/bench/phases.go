package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
)

// stats of one load phase.
type stats struct {
	n       int
	errs    int64
	elapsed time.Duration
	p50     time.Duration
	p99     time.Duration
	cpu     time.Duration // the servers' CPU time over the measured part (all processes)
	dbCPU   time.Duration // a local PostgreSQL's CPU time over it (0: SQLite, or not measurable)
}

// dbCPUPerRequest is the database server's CPU time per request, in ms.
func (s stats) dbCPUPerRequest() float64 {
	if s.n == 0 || s.dbCPU <= 0 {
		return 0
	}
	return round(ms(s.dbCPU)/float64(s.n), 3)
}

// cpuPerRequest is the server's CPU time per answered request, in ms.
func (s stats) cpuPerRequest() float64 {
	if s.n == 0 || s.cpu <= 0 {
		return 0
	}
	return round(ms(s.cpu)/float64(s.n), 3)
}

func (s stats) rps() float64 { return float64(s.n) / s.elapsed.Seconds() }

// load runs workers concurrent loops of do for the warm-up, then for d,
// and returns the latencies of the measured part. do returns an error
// for a failed request.
func (r *run) load(ctx context.Context, workers int, d time.Duration, do func(ctx context.Context, w, i int) error) stats {
	measure := func(d time.Duration, keep bool) stats {
		var wg sync.WaitGroup
		lat := make([][]time.Duration, workers)
		var errs atomic.Int64
		procs := r.procs()
		cpu0, cpuErr := sumCPU(procs)
		db0, dbErr := r.dbCPU()
		stop := time.Now().Add(d)
		start := time.Now()
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; time.Now().Before(stop) && ctx.Err() == nil; i++ {
					t := time.Now()
					if err := do(ctx, w, i); err != nil {
						errs.Add(1)
						if errs.Load() == 1 {
							r.logf("request failed: %v", err)
						}
						continue
					}
					if keep {
						lat[w] = append(lat[w], time.Since(t))
					}
				}
			}()
		}
		wg.Wait()
		st := stats{elapsed: time.Since(start), errs: errs.Load()}
		if cpu1, err := sumCPU(procs); err == nil && cpuErr == nil && cpu0 > 0 {
			st.cpu = cpu1 - cpu0
		}
		if db1, err := r.dbCPU(); err == nil && dbErr == nil && db0 > 0 {
			st.dbCPU = max(db1-db0, 0)
		}
		var all []time.Duration
		for _, l := range lat {
			all = append(all, l...)
		}
		st.n = len(all)
		if len(all) > 0 {
			slices.Sort(all)
			st.p50 = all[len(all)/2]
			st.p99 = all[min(len(all)-1, len(all)*99/100)]
		}
		return st
	}
	if r.sc.Warmup > 0 {
		measure(r.sc.Warmup, false)
	}
	st := measure(d, true)
	r.errors.Add(st.errs)
	return st
}

// get fetches path with a token, as client w, and fails unless 200.
func (r *run) get(ctx context.Context, w int, path, token string) error {
	req, err := r.request(ctx, w, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	return nil
}

// homePhase: the first page (40 statuses) of readers' home timelines.
func (r *run) homePhase(ctx context.Context) error {
	st, err := r.readPhase(ctx, "/api/v1/timelines/home?limit=40")
	r.res.HomeP50MS, r.res.HomeP99MS, r.res.HomeRPS, r.res.HomeCPUMS = round(ms(st.p50), 2), round(ms(st.p99), 2), round(st.rps(), 0), st.cpuPerRequest()
	r.res.HomeDBCPUMS = st.dbCPUPerRequest()
	return err
}

// publicPhase: the first page (40 statuses) of the federated timeline.
func (r *run) publicPhase(ctx context.Context) error {
	st, err := r.readPhase(ctx, "/api/v1/timelines/public?limit=40")
	r.res.PublicP50MS, r.res.PublicP99MS, r.res.PublicRPS, r.res.PublicCPUMS = round(ms(st.p50), 2), round(ms(st.p99), 2), round(st.rps(), 0), st.cpuPerRequest()
	return err
}

// localPhase: the first page (40 statuses) of the local timeline.
func (r *run) localPhase(ctx context.Context) error {
	st, err := r.readPhase(ctx, "/api/v1/timelines/public?local=true&limit=40")
	r.res.LocalP50MS, r.res.LocalP99MS, r.res.LocalRPS, r.res.LocalCPUMS = round(ms(st.p50), 2), round(ms(st.p99), 2), round(st.rps(), 0), st.cpuPerRequest()
	return err
}

// verifyPhase: the signed-in account, what an app asks first and often.
func (r *run) verifyPhase(ctx context.Context) error {
	st, err := r.readPhase(ctx, "/api/v1/accounts/verify_credentials")
	r.res.VerifyP50MS, r.res.VerifyP99MS, r.res.VerifyRPS, r.res.VerifyCPUMS = round(ms(st.p50), 3), round(ms(st.p99), 2), round(st.rps(), 0), st.cpuPerRequest()
	return err
}

// readPhase loads GET path with the readers' tokens.
func (r *run) readPhase(ctx context.Context, path string) (stats, error) {
	st := r.load(ctx, r.opts.ReadWorkers, r.sc.Phase, func(ctx context.Context, w, i int) error {
		return r.get(ctx, w, path, r.tokens[w%len(r.tokens)])
	})
	if st.n == 0 {
		return st, fmt.Errorf("no successful request (%d failed)", st.errs)
	}
	return st, nil
}

// post creates a status, as client w.
func (r *run) post(ctx context.Context, w int, token, text string) error {
	form := url.Values{"status": {text}}
	req, err := r.request(ctx, w, http.MethodPost, "/api/v1/statuses", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /api/v1/statuses: status %d: %s", resp.StatusCode, b)
	}
	return nil
}

// createPhase: statuses posted by several local accounts, each with
// remote followers, so that every post queues deliveries; then the time
// those take to drain.
func (r *run) createPhase(ctx context.Context) error {
	before := r.nullSink.hits.Load()
	st := r.load(ctx, r.opts.WriteWorkers, r.sc.Phase, func(ctx context.Context, w, i int) error {
		return r.post(ctx, w, r.tokens[w%len(r.tokens)], fmt.Sprintf(
			"Benchmark post %d from client %d: measuring Herald on a small machine. #bench https://example.org/posts/%d", i, w, i))
	})
	if st.n == 0 {
		return fmt.Errorf("no successful request (%d failed)", st.errs)
	}
	r.res.CreateP50MS, r.res.CreateP99MS, r.res.CreateRPS = round(ms(st.p50), 2), round(ms(st.p99), 2), round(st.rps(), 0)
	start := time.Now()
	if err := r.waitQueue(ctx, "SELECT count(*) FROM jobs WHERE kind IN ('federate', 'deliver')", 3*time.Minute); err != nil {
		return fmt.Errorf("deliveries of the created statuses: %w", err)
	}
	r.res.CreateDrainS = round(time.Since(start).Seconds(), 1)
	r.res.CreateDeliveries = r.nullSink.hits.Load() - before
	return nil
}

// waitQueue polls the database until q counts zero.
func (r *run) waitQueue(ctx context.Context, q string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var n int64
		if err := r.db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d rows still queued after %v", n, timeout)
		}
		sleep(ctx, 20*time.Millisecond)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// inboxPhase: signed Create(Note) activities from the loopback sender,
// followed by some local accounts, POSTed to the shared inbox by 8
// connections. They are signed beforehand, so that the sender's CPU is
// not measured; Herald fetches the sender's key at the first one.
func (r *run) inboxPhase(ctx context.Context) error {
	n := r.sc.InboxActivities
	posts := make([]signedPost, n)
	stamp := time.Now().UnixNano()
	var wg sync.WaitGroup
	var signErr atomic.Value
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				p, err := r.sender.createNote(r.base+"/inbox", i, stamp)
				if err != nil {
					signErr.Store(err)
					return
				}
				posts[i] = p
			}
		}()
	}
	wg.Wait()
	if err, _ := signErr.Load().(error); err != nil {
		return err
	}
	var next, failed atomic.Int64
	start := time.Now()
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				req, _ := r.request(ctx, w, http.MethodPost, "/inbox", bytes.NewReader(posts[i].body))
				req.Header = posts[i].header.Clone()
				resp, err := r.client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					if failed.Add(1) == 1 {
						r.logf("inbox answered %d: %s", resp.StatusCode, b)
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	r.errors.Add(failed.Load())
	ok := int64(n) - failed.Load()
	if ok <= 0 {
		return fmt.Errorf("the inbox accepted none of %d activities", n)
	}
	r.res.InboxPerS = round(float64(ok)/elapsed.Seconds(), 0)
	if err := r.waitQueue(ctx, "SELECT count(*) FROM jobs WHERE kind = 'inbox'", 3*time.Minute); err != nil {
		return fmt.Errorf("processing the inbox: %w", err)
	}
	r.res.InboxProcessedPerS = round(float64(ok)/time.Since(start).Seconds(), 0)
	return nil
}

// deliveryPhase: the "fanout" account, followed by K remote accounts
// whose inboxes are the verifying sinks, posts P times; the time from the
// first POST until all K×P deliveries were verified. Three rounds: the
// best one is the figure (a busy machine only ever slows a round down).
func (r *run) deliveryPhase(ctx context.Context) error {
	// The sinks know the key once (as a remote server caches it).
	if _, err := r.keys.resolve(ctx, r.base+"/users/fanout#main-key", false); err != nil {
		return fmt.Errorf("sinks fetching the sender's key: %w", err)
	}
	// Signing alone is measured right before each round, so that both
	// figures of a round see the same machine (a shared one is noisy).
	r.deliveryCPU, r.deliveryDBCPU = 0, 0
	for round := 0; round < 3; round++ {
		if err := r.signRound(ctx); err != nil {
			return err
		}
		rate, got, err := r.deliveryRound(ctx, round)
		if err != nil {
			return err
		}
		r.res.DeliveryRuns = append(r.res.DeliveryRuns, round1(rate))
		r.res.DeliveryPerS = max(r.res.DeliveryPerS, round1(rate))
		r.res.DeliveryReceived += got
	}
	r.res.DeliverySinks, r.res.DeliveryCount = len(r.sinks), len(r.sinks)*r.sc.Posts
	r.res.DeliveryCPUMS, r.res.DeliveryDBCPUMS = r.perDelivery(r.deliveryCPU, r.res.DeliveryReceived), r.perDelivery(r.deliveryDBCPU, r.res.DeliveryReceived)
	return nil
}

// perDelivery is CPU time per delivery, in ms.
func (r *run) perDelivery(cpu time.Duration, n int64) float64 {
	if n == 0 || cpu <= 0 {
		return 0
	}
	return round(ms(cpu)/float64(n), 3)
}

func round1(v float64) float64 { return round(v, 0) }

// deliveryRound posts the round's P posts, spread over the processes,
// and returns the deliveries per second until all K×P were verified, and
// how many the sinks verified once the queue was empty: exactly K×P, or
// an error (a delivery sent twice).
func (r *run) deliveryRound(ctx context.Context, round int) (float64, int64, error) {
	total := func() (ok, bad int64) {
		for _, s := range r.sinks {
			ok += s.ok.Load()
			bad += s.bad.Load()
		}
		return
	}
	ok0, bad0 := total()
	want := int64(len(r.sinks) * r.sc.Posts)
	procs := r.procs()
	cpu0, cpuErr := sumCPU(procs)
	db0, dbErr := r.dbCPU()
	start := time.Now()
	for i := 0; i < r.sc.Posts; i++ {
		if err := r.post(ctx, i, r.fanoutToken, fmt.Sprintf("Fan-out post %d.%d: one post, %d inboxes.", round, i, len(r.sinks))); err != nil {
			return 0, 0, err
		}
	}
	deadline := start.Add(3 * time.Minute)
	for {
		ok, bad := total()
		if bad > bad0 {
			var last string
			for _, s := range r.sinks {
				if v, _ := s.lastBad.Load().(string); v != "" {
					last = v
				}
			}
			return 0, 0, fmt.Errorf("%d deliveries failed verification at the sinks: %s", bad-bad0, last)
		}
		if ok-ok0 >= want {
			break
		}
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("only %d of %d deliveries arrived within 3 minutes", ok-ok0, want)
		}
		sleep(ctx, time.Millisecond)
		if ctx.Err() != nil {
			return 0, 0, ctx.Err()
		}
	}
	rate := float64(want) / time.Since(start).Seconds()
	if cpu1, err := sumCPU(procs); err == nil && cpuErr == nil {
		r.deliveryCPU += cpu1 - cpu0
	}
	if db1, err := r.dbCPU(); err == nil && dbErr == nil {
		r.deliveryDBCPU += max(db1-db0, 0)
	}
	// A job leaves the queue only after its delivery was answered: once
	// the queue is empty no delivery is still on its way.
	if err := r.waitQueue(ctx, "SELECT count(*) FROM jobs WHERE kind IN ('federate', 'deliver')", 3*time.Minute); err != nil {
		return 0, 0, fmt.Errorf("the fan-out queue: %w", err)
	}
	ok, _ := total()
	var dups int64
	for _, s := range r.sinks {
		dups += s.dups.Load()
	}
	if ok-ok0 != want || dups > 0 {
		return 0, 0, fmt.Errorf("the sinks verified %d deliveries for %d expected (%d posts × %d followers' inboxes), %d of them an activity the sink had already had",
			ok-ok0, want, r.sc.Posts, len(r.sinks), dups)
	}
	return rate, ok - ok0, nil
}

// signRound: RSA-2048 HTTP signatures of a delivery-sized POST, in this
// process, by GOMAXPROCS parallel workers: the floor under delivery. The
// figure is the best of the rounds, as for delivery.
func (r *run) signRound(ctx context.Context) error {
	body := bytes.Repeat([]byte("x"), 1500)
	workers := runtime.GOMAXPROCS(0)
	d := max(r.sc.Phase/4, 100*time.Millisecond)
	var count atomic.Int64
	var wg sync.WaitGroup
	var signErr atomic.Value
	start := time.Now()
	stop := start.Add(d)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) && ctx.Err() == nil {
				req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:9/users/x/inbox", nil)
				if err := httpsig.Sign(req, r.base+"/users/fanout#main-key", r.key, body); err != nil {
					signErr.Store(err)
					return
				}
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, _ := signErr.Load().(error); err != nil {
		return err
	}
	rate := round1(float64(count.Load()) / time.Since(start).Seconds())
	r.res.RSASignRuns = append(r.res.RSASignRuns, rate)
	r.res.RSASignPerS = max(r.res.RSASignPerS, rate)
	return nil
}

// --- memory ---

type memStats struct {
	HeapInuse uint64 `json:"HeapInuse"`
	HeapAlloc uint64 `json:"HeapAlloc"`
	Sys       uint64 `json:"Sys"`
}

// memstats reads the Go runtime's counters from the debug endpoint.
func (r *run) memstats(ctx context.Context) (memStats, error) {
	var out struct {
		MemStats memStats `json:"memstats"`
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(r.debugPort)+"/debug/vars", nil)
	if err != nil {
		return out.MemStats, err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return out.MemStats, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return out.MemStats, fmt.Errorf("debug endpoint: status %d", resp.StatusCode)
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	return out.MemStats, err
}

// sampler records the highest RSS and Go heap while the load phases run.
type sampler struct {
	done    chan struct{}
	wg      sync.WaitGroup
	maxRSS  float64
	maxHeap uint64
	lastSys uint64
}

func startSampler(r *run) *sampler {
	s := &sampler{done: make(chan struct{})}
	pid := r.srv.pid() // memory is that of one process (the first)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			if rss, _, err := readRSS(pid); err == nil && rss > s.maxRSS {
				s.maxRSS = rss
			}
			if i%5 == 0 { // ReadMemStats stops the world briefly: every 250 ms
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				if m, err := r.memstats(ctx); err == nil {
					s.maxHeap = max(s.maxHeap, m.HeapInuse)
					s.lastSys = m.Sys
				}
				cancel()
			}
			select {
			case <-s.done:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) stop() {
	close(s.done)
	s.wg.Wait()
}

// profile starts a CPU profile of the server for a phase, when asked for
// (Options.ProfileDir) and a server is running; the returned function
// ends it and writes it.
func (r *run) profile(phase string) func() {
	if r.opts.ProfileDir == "" || r.srv == nil || r.debugPort == 0 || strings.HasSuffix(phase, " floor") {
		return func() {} // the floor phase measures another server
	}
	name := strings.NewReplacer(" ", "-", "/", "-").Replace(phase)
	get := func(path, file string) {
		resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(r.debugPort) + path)
		if err != nil {
			r.logf("profile %s: %v", phase, err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if err := os.WriteFile(filepath.Join(r.opts.ProfileDir, file), b, 0o644); err != nil {
			r.logf("profile %s: %v", phase, err)
		}
	}
	if phase == "stop" {
		get("/debug/pprof/heap", "heap.pprof")
		return func() {}
	}
	// A CPU profile of a fixed length (the server's profiler cannot be cut
	// short and still answer): the phase's length, longer for the inbox
	// (whose processing goes on after the sending). The phase waits for it.
	secs := int((r.sc.Phase + r.sc.Warmup + time.Second - 1) / time.Second)
	if strings.HasPrefix(phase, "inbox") {
		secs = max(secs, 15)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		get("/debug/pprof/profile?seconds="+strconv.Itoa(secs), name+".cpu.pprof")
	}()
	return func() { <-done }
}
