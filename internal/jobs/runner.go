package jobs

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/herald-social/herald/storage"
)

// Run works jobs until ctx ends, then waits for the running ones, hands
// back what this runner still holds (without counting the attempt) and
// returns. A job's context ends with ctx: a job interrupted that way is
// handed back, not failed.
func (r *Runner) Run(ctx context.Context) {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		panic("jobs: Run twice")
	}
	r.started = true
	r.mu.Unlock()

	// Successful jobs are recorded by one goroutine, in batches: under
	// load one transaction completes many jobs.
	r.finished = make(chan finished, 256)
	recorded := make(chan struct{})
	go func() { r.record(ctx); close(recorded) }()

	var wg sync.WaitGroup
	for _, k := range r.kinds {
		wg.Add(1)
		go func() { defer wg.Done(); r.dispatch(ctx, k) }()
	}
	wg.Add(2)
	go func() { defer wg.Done(); r.heartbeat(ctx) }()
	go func() { defer wg.Done(); r.schedule(ctx) }()
	wg.Wait()
	// Every worker has returned: record what finished, then hand back the
	// rest (in that order, or a finished job would run again).
	close(r.finished)
	<-recorded
	if err := r.store.ReleaseJobs(context.WithoutCancel(ctx), r.opts.Owner); err != nil {
		r.log.Error("jobs: release on stop", "err", err)
	}
}

// finished is a job that ran successfully, waiting to be recorded; or,
// with recorded set, a marker closed once everything sent before it is.
type finished struct {
	storage.JobDone
	recorded chan struct{}
}

// record completes finished jobs, as many per transaction as have piled
// up, and wakes the kinds of the jobs they leave.
func (r *Runner) record(ctx context.Context) {
	bg := context.WithoutCancel(ctx)
	for first := range r.finished {
		pending := []finished{first}
	more:
		for len(pending) < 128 {
			select {
			case f, ok := <-r.finished:
				if !ok {
					break more
				}
				pending = append(pending, f)
			default:
				break more
			}
		}
		var batch []storage.JobDone
		for _, f := range pending {
			if f.recorded == nil {
				batch = append(batch, f.JobDone)
			}
		}
		lost, err := r.store.CompleteJobs(bg, r.opts.Owner, batch)
		if err != nil {
			r.log.Error("jobs: record completions", "jobs", len(batch), "err", err)
		} else if len(lost) > 0 {
			r.log.Warn("jobs: leases lost while running; their new holders run them again", "jobs", lost)
		}
		// The jobs they leave can start now.
		kinds := map[string]bool{}
		for _, d := range batch {
			for _, j := range d.Then {
				kinds[j.Kind] = true
			}
		}
		for kind := range kinds {
			r.Wake(kind)
		}
		// Workers waiting for their jobs to be recorded free their slots
		// (and a key's next jobs become claimable).
		for _, f := range pending {
			if f.recorded != nil {
				close(f.recorded)
			}
		}
	}
}

// dispatch claims jobs of one kind while it has room, and sleeps until one
// is due, a job finishes, Wake is called or Poll passes. It holds up to
// twice as many jobs as the kind has workers: the ones waiting for a worker
// start the moment one is free, without waiting for a claim.
func (r *Runner) dispatch(ctx context.Context, k *kindState) {
	done := make(chan struct{}, 1)
	workers := make(chan struct{}, k.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	room := 2 * k.Workers
	for {
		if ctx.Err() != nil {
			return
		}
		held := k.running()
		free := room - held
		claimed := 0 // slots taken
		// With work held, claim once a quarter of the room is free rather
		// than for every job that finishes: a claim is a write
		// transaction, and fewer, larger ones leave the CPU to the jobs.
		if free > 0 && held > 0 && free < max(room/4, 1) {
			select {
			case <-ctx.Done():
				return
			case <-done:
			}
			continue
		}
		if free > 0 {
			jobs, err := r.store.ClaimJobs(ctx, storage.JobClaim{Kind: k.Name, Owner: r.opts.Owner, Now: r.opts.Now(),
				Lease: r.opts.Lease, Limit: free, PerKey: k.PerKey, Chain: k.Chain})
			if err != nil && ctx.Err() == nil {
				r.log.Error("jobs: claim", "kind", k.Name, "err", err)
			}
			for _, chain := range chains(jobs, k.Chain > 1) {
				k.add(1)
				wg.Add(1)
				go func() {
					defer wg.Done()
					select {
					case workers <- struct{}{}:
						r.workChain(ctx, k, chain)
						<-workers
						// The slot is free once the chain's successes are
						// recorded: until then their leases hold their key.
						recorded := make(chan struct{})
						r.finished <- finished{recorded: recorded}
						<-recorded
					case <-ctx.Done(): // stopping: Run hands the chain back
					}
					k.add(-1)
					select { // a wake-up, not a count: one pending is enough
					case done <- struct{}{}:
					default:
					}
				}()
				claimed++
			}
		}
		if claimed > 0 && claimed == free {
			// No room left: wait for a job to finish.
			select {
			case <-ctx.Done():
				return
			case <-done:
			}
			continue
		}
		// A claim that filled less than its room took all there was:
		// claiming again before a job ends or is queued finds nothing (and
		// costs a look at every due job of the keys at their limit).
		wait := r.opts.Poll
		if free > 0 {
			if next, ok, err := r.store.NextJobDue(ctx, k.Name, r.opts.Now()); err == nil && ok {
				// Due now but not claimed: its key is at its limit; a
				// finishing worker or the poll brings it.
				if d := next.Sub(r.opts.Now()); d > 0 {
					wait = min(wait, d)
				}
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-done:
		case <-k.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// chains groups claimed jobs by key when a kind chains them (a key's
// jobs, in order, on one worker); otherwise each job is its own.
func chains(jobs []storage.Job, byKey bool) [][]storage.Job {
	var out [][]storage.Job
	at := map[string]int{}
	for _, j := range jobs {
		if i, ok := at[j.Key]; ok && byKey && j.Key != "" {
			out[i] = append(out[i], j)
			continue
		}
		at[j.Key] = len(out)
		out = append(out, []storage.Job{j})
	}
	return out
}

// workChain runs a key's jobs in order; once one does not end (it is to
// run again later), the rest are handed back unrun, so that none passes
// it.
func (r *Runner) workChain(ctx context.Context, k *kindState, chain []storage.Job) {
	for i := range chain {
		if ctx.Err() != nil {
			return // stopping: Run hands the rest back
		}
		if !r.work(ctx, k, &chain[i]) {
			for _, j := range chain[i+1:] {
				if err := r.store.RetryJob(context.WithoutCancel(ctx), j.ID, r.opts.Owner, j.Attempts-1, j.RunAt, j.LastError); err != nil &&
					!errors.Is(err, storage.ErrNotFound) {
					r.log.Error("jobs: hand back", "kind", k.Name, "job", j.ID, "err", err)
				}
			}
			return
		}
	}
}

// work runs one job and records its outcome; it reports whether the job
// ended (done or dropped) rather than being put off.
func (r *Runner) work(ctx context.Context, k *kindState, job *storage.Job) bool {
	start := time.Now()
	then, err := r.runSafely(ctx, k, job)
	if err == nil {
		r.observe(k.Name, OutcomeSuccess, start)
		r.finished <- finished{JobDone: storage.JobDone{ID: job.ID, Then: then}}
		return true
	}
	if ctx.Err() != nil {
		return false // stopping: Run hands the job back
	}
	ended := false
	bg := context.WithoutCancel(ctx)
	log := r.log.With("kind", k.Name, "job", job.ID, "attempt", job.Attempts)
	var retry *retryError
	switch {
	case IsPermanent(err):
		r.observe(k.Name, OutcomeFailure, start)
		log.Info("jobs: dropped", "err", err)
		err, ended = r.store.CompleteJob(bg, job.ID, r.opts.Owner, nil), true
	case errors.As(err, &retry):
		at, attempts := retry.at, job.Attempts
		if retry.in > 0 || at.IsZero() {
			at = r.opts.Now().Add(retry.in)
		}
		if retry.snooze {
			attempts--
			r.observe(k.Name, OutcomeSnooze, start)
		} else {
			r.observe(k.Name, OutcomeRetry, start)
		}
		log.Debug("jobs: again later", "at", at, "err", retry.error)
		err = r.store.RetryJob(bg, job.ID, r.opts.Owner, attempts, at, retry.Error())
	case job.Attempts >= k.MaxAttempts:
		r.observe(k.Name, OutcomeFailure, start)
		log.Warn("jobs: failed for good", "err", err)
		err, ended = r.store.CompleteJob(bg, job.ID, r.opts.Owner, nil), true
	default:
		r.observe(k.Name, OutcomeRetry, start)
		wait := k.Backoff(job.Attempts)
		log.Debug("jobs: failed, will retry", "in", wait, "err", err)
		err = r.store.RetryJob(bg, job.ID, r.opts.Owner, job.Attempts, r.opts.Now().Add(wait), err.Error())
	}
	if errors.Is(err, storage.ErrNotFound) {
		// The lease ran out (this process stalled) and another runner
		// holds the job now; it runs it again.
		log.Warn("jobs: lease lost while running; the job's new holder runs it again")
	} else if err != nil {
		log.Error("jobs: record outcome", "err", err)
	}
	return ended
}

// observe tells Options.Observe a run's outcome.
func (r *Runner) observe(kind, outcome string, start time.Time) {
	if r.opts.Observe != nil {
		r.opts.Observe(kind, outcome, time.Since(start))
	}
}

// runSafely runs the job, turning a panic into a failed run (one bad job
// must not take the process down).
func (r *Runner) runSafely(ctx context.Context, k *kindState, job *storage.Job) (then []storage.Job, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("jobs: panic", "kind", k.Name, "job", job.ID, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return k.Run(ctx, job)
}

// heartbeat renews this runner's leases while it holds any.
func (r *Runner) heartbeat(ctx context.Context) {
	t := time.NewTicker(r.opts.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if r.running() == 0 {
			continue
		}
		if _, err := r.store.ExtendLeases(ctx, r.opts.Owner, r.opts.Now().Add(r.opts.Lease)); err != nil && ctx.Err() == nil {
			r.log.Error("jobs: extend leases", "err", err)
		}
	}
}

// schedule enqueues the periodic jobs when their period comes.
func (r *Runner) schedule(ctx context.Context) {
	if len(r.periodic) == 0 {
		return
	}
	next := make([]time.Time, len(r.periodic))
	for {
		now := r.opts.Now()
		soonest := now.Add(time.Hour)
		for i, p := range r.periodic {
			if !now.Before(next[i]) {
				job := p.Job
				period := now.Truncate(p.Every)
				job.UniqueKey = p.Name + "@" + period.UTC().Format(time.RFC3339)
				at, err := r.store.SchedulePeriodic(ctx, p.Name, now, period.Add(p.Every), job)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					r.log.Error("jobs: schedule", "name", p.Name, "err", err)
					at = now.Add(r.opts.Poll)
				} else if !at.After(now) {
					at = now.Add(p.Every)
				}
				next[i] = at
				r.Wake(p.Job.Kind)
			}
			if next[i].Before(soonest) {
				soonest = next[i]
			}
		}
		t := time.NewTimer(soonest.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (r *Runner) running() int {
	n := 0
	for _, k := range r.kinds {
		n += k.running()
	}
	return n
}

func (k *kindState) running() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.inflight
}

func (k *kindState) add(d int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.inflight += d
	if k.inflight == 0 {
		close(k.idle)
		k.idle = make(chan struct{})
	}
}

func (k *kindState) idleCh() (chan struct{}, int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.idle, k.inflight
}

// Drained waits until no job of the kinds is due (queued for now or
// running), here or in another runner, and this runner runs none; with no
// kinds, every kind this runner handles. Tests wait on it instead of
// sleeping; the admin status page can ask it with a deadline.
func (r *Runner) Drained(ctx context.Context, kinds ...string) error {
	if len(kinds) == 0 {
		for name := range r.kinds {
			kinds = append(kinds, name)
		}
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		busy := false
		var wait chan struct{}
		for _, name := range kinds {
			if k := r.kinds[name]; k != nil {
				if ch, n := k.idleCh(); n > 0 {
					busy, wait = true, ch
					break
				}
			}
			n, err := r.store.CountJobs(ctx, name, 0, r.opts.Now())
			if err != nil {
				return err
			}
			if n > 0 {
				busy = true
				break
			}
		}
		if !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wait: // nil when the work is queued, not running: the tick
		case <-tick.C:
		}
	}
}

// Count counts the jobs of kind for the record ref, due or not, running
// or not (an account's deliveries left).
func (r *Runner) Count(ctx context.Context, kind string, ref int64) (int64, error) {
	return r.store.CountJobs(ctx, kind, ref, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
}

// Queue is one kind's jobs at a moment.
type Queue struct {
	Kind      string
	Due       int64 // due now, waiting or running, in any process
	Scheduled int64 // due later
	Running   int   // running in this runner
}

// Queues counts the jobs of each kind this runner handles (the metrics
// read it when scraped, not per job), in one query off the writer.
func (r *Runner) Queues(ctx context.Context) ([]Queue, error) {
	counts, err := r.store.CountJobsByKind(ctx, r.opts.Now())
	if err != nil {
		return nil, err
	}
	byKind := make(map[string]storage.JobCount, len(counts))
	for _, c := range counts {
		byKind[c.Kind] = c
	}
	out := make([]Queue, 0, len(r.kinds))
	for name, k := range r.kinds {
		c := byKind[name]
		out = append(out, Queue{Kind: name, Due: c.Due, Scheduled: c.All - c.Due, Running: k.running()})
	}
	return out, nil
}

// Cancel deletes the queued (not running) jobs of kind with key: the
// deliveries to a domain that became unavailable.
func (r *Runner) Cancel(ctx context.Context, kind, key string) (int64, error) {
	return r.store.DeleteJobs(ctx, kind, key)
}

// Enqueue inserts jobs on their own and wakes their kinds here (work not
// tied to another change of the store: a mail, a fetch).
func (r *Runner) Enqueue(ctx context.Context, jobs ...storage.Job) error {
	if err := r.store.InsertJobs(ctx, jobs); err != nil {
		return err
	}
	for _, j := range jobs {
		r.Wake(j.Kind)
	}
	return nil
}
