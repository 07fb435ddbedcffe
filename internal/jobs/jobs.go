// Package jobs is Herald's one runtime for background work: deliveries,
// incoming activities, pushes, mail, media processing and fetches, and the
// periodic sweeps. Jobs are rows of the store (storage.Jobs), written in
// the transaction of the change that asks for them. A Runner claims them
// with a lease in its own name, renews the lease while a job runs, and
// deletes the job when it is done; a runner that dies leaves leases that
// run out, and any runner then takes the jobs again (at least once). Limits
// per key (at most N deliveries at once to one host, one incoming activity
// at a time per signer) are counted in the table, so they hold across
// processes. Periodic jobs are enqueued once per period by whichever
// runner gets there first.
package jobs

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/herald-social/herald/storage"
)

// Kind describes one kind of job and how a runner works it.
type Kind struct {
	Name string
	// Workers is how many jobs of this kind one runner works at once.
	Workers int
	// PerKey caps the jobs of one key running at once across runners
	// (0: no cap; 1: one at a time, oldest first).
	PerKey int
	// Chain, with PerKey 1, lets a claim take up to this many jobs of a
	// key, run in order on one worker (a burst from one signer costs one
	// claim); a job put off hands the rest of its chain back.
	Chain int
	// MaxAttempts: a job whose run failed this many times is dropped (0: 5).
	MaxAttempts int
	// Backoff is the wait before attempt n+1 after n failed (nil:
	// exponential from 10 s, capped at 6 h, with jitter).
	Backoff func(attempt int) time.Duration
	// Run does the job. It returns the jobs to insert as the job is
	// deleted, atomically (nil: none), or an error: Permanent (drop it),
	// RetryAt or Snooze (run it again at a set time), anything else
	// (retry after Backoff, up to MaxAttempts). A panic is a failed run.
	Run func(ctx context.Context, job *storage.Job) (then []storage.Job, err error)
}

// Periodic is a job enqueued once per Every, across runners.
type Periodic struct {
	Name  string // the schedule's name; also the job's unique key prefix
	Every time.Duration
	Job   storage.Job
}

// Options tune a Runner.
type Options struct {
	// Lease is how long a claim holds without renewal; a dead runner's
	// jobs wait this long before another takes them (default 1 min).
	Lease time.Duration
	// Poll is the longest a kind waits before it looks for work another
	// process queued (default 2 s); work queued through Wake starts at once.
	Poll time.Duration
	// Owner names the runner in its leases (default host-pid-random).
	Owner string
	Log   *slog.Logger
	// Now is the clock (tests).
	Now func() time.Time
	// Observe, when set, is told each run's outcome (one of the Outcome
	// constants) and time, for the metrics. It must be quick.
	Observe func(kind, outcome string, took time.Duration)
}

// The outcomes of a job's run, as Options.Observe is told them.
const (
	OutcomeSuccess = "success" // done (deleted, its follow-up jobs inserted)
	OutcomeRetry   = "retry"   // failed or RetryAt: runs again later
	OutcomeSnooze  = "snooze"  // put off without spending an attempt
	OutcomeFailure = "failure" // dropped: Permanent, or its attempts spent
)

// Runner works the jobs of the kinds registered with it.
type Runner struct {
	store    storage.Jobs
	opts     Options
	log      *slog.Logger
	kinds    map[string]*kindState
	periodic []Periodic

	finished chan finished // successes, for record

	mu      sync.Mutex
	started bool

	givenClock bool // Options.Now was set: UseClock leaves it (clock.go)

	tell func(kinds ...string) // TellOthers
}

type kindState struct {
	Kind
	wake chan struct{}

	mu       sync.Mutex
	inflight int
	idle     chan struct{} // closed and replaced when inflight drops to zero
}

// New makes a Runner; register kinds with Handle and periodic jobs with
// Every before Run.
func New(store storage.Jobs, opts Options) *Runner {
	if opts.Lease <= 0 {
		opts.Lease = time.Minute
	}
	if opts.Poll <= 0 {
		opts.Poll = 2 * time.Second
	}
	if opts.Owner == "" {
		opts.Owner = newOwner()
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	given := opts.Now != nil
	if !given {
		opts.Now = time.Now
	}
	return &Runner{store: store, opts: opts, log: opts.Log, kinds: map[string]*kindState{}, givenClock: given}
}

func newOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 6)
	_, _ = crand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Owner is the name this runner's leases carry.
func (r *Runner) Owner() string { return r.opts.Owner }

// Handle registers a kind. It panics on a kind registered twice or after
// Run started: both are programming errors.
func (r *Runner) Handle(k Kind) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		panic("jobs: Handle after Run")
	}
	if _, dup := r.kinds[k.Name]; dup {
		panic("jobs: kind registered twice: " + k.Name)
	}
	if k.Workers <= 0 {
		k.Workers = 1
	}
	if k.MaxAttempts <= 0 {
		k.MaxAttempts = 5
	}
	if k.Backoff == nil {
		k.Backoff = DefaultBackoff
	}
	r.kinds[k.Name] = &kindState{Kind: k, wake: make(chan struct{}, 1), idle: make(chan struct{})}
}

// Every registers a periodic job (its kind must be handled by some runner).
func (r *Runner) Every(p Periodic) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.Job.Kind == "" || p.Every <= 0 || p.Name == "" {
		panic("jobs: periodic job needs a name, a kind and a period")
	}
	r.periodic = append(r.periodic, p)
}

// Wake tells the runner that jobs of kind were queued, so that it claims
// them now instead of at its next poll. Unknown kinds are ignored. With
// TellOthers, the other processes' runners are told too.
func (r *Runner) Wake(kinds ...string) {
	r.WakeHere(kinds...)
	if r.tell != nil && len(kinds) > 0 {
		r.tell(kinds...)
	}
}

// TellOthers makes Wake tell f the kinds woken, for the runners of the
// other processes on the same database (the server sends them over its
// bus; they WakeHere), so that work queued by one process is taken up by
// every idle one at once, not at its next poll. f must be quick. Call it
// before Run.
func (r *Runner) TellOthers(f func(kinds ...string)) {
	r.tell = f
}

// WakeHere is Wake for this runner only: for kinds another process woke.
func (r *Runner) WakeHere(kinds ...string) {
	for _, name := range kinds {
		if k := r.kinds[name]; k != nil {
			select {
			case k.wake <- struct{}{}:
			default:
			}
		}
	}
}

// DefaultBackoff: 10 s doubled per failed attempt, at most 6 h, plus up to
// a fifth as much jitter.
func DefaultBackoff(attempt int) time.Duration {
	d := 10 * time.Second * time.Duration(math.Pow(2, float64(min(max(attempt-1, 0), 12))))
	d = min(d, 6*time.Hour)
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

// Encode marshals a payload; payloads are small structs of ours, so an
// error is a programming error and panics.
func Encode(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("jobs: payload: " + err.Error())
	}
	return string(b)
}

// Decode unmarshals a job's payload; a payload that does not decode can
// never run, so the error is Permanent.
func Decode(job *storage.Job, v any) error {
	if err := json.Unmarshal([]byte(job.Payload), v); err != nil {
		return Permanent(fmt.Errorf("%s job %d: payload: %w", job.Kind, job.ID, err))
	}
	return nil
}

// --- results other than success ---

type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

// Permanent marks a failure that another run cannot fix: the job is dropped.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

type retryError struct {
	at     time.Time     // when to run again, or
	in     time.Duration // how long from now
	snooze bool          // the run does not count as an attempt
	error
}

func (e *retryError) Unwrap() error { return e.error }

// RetryAt runs the job again at t, counting this run as a failed attempt
// (a delivery's own schedule, a Retry-After).
func RetryAt(t time.Time, err error) error { return &retryError{at: t, error: err} }

// Snooze runs the job again after d without counting this run: the job
// could not run yet (what it waits for is not done).
func Snooze(d time.Duration, why string) error {
	return &retryError{in: d, snooze: true, error: errors.New(why)}
}
