package jobs_test

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage"
	"github.com/herald-social/herald/storage/sqlite"
)

// The child process of TestTwoRunnersAndAKill: a runner of its own on the
// test's database, killed with SIGKILL while it works.
func TestMain(m *testing.M) {
	if spec := os.Getenv("HERALD_JOBS_CHILD"); spec != "" {
		db, logPath, _ := strings.Cut(spec, "|")
		runChild(db, logPath)
		return
	}
	os.Exit(m.Run())
}

func openStore(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.OpenFile(context.Background(), path, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// runLog records each run's start and end, one line each, in a file both
// processes append to: "start|end job owner unixnano".
type runLog struct {
	mu sync.Mutex
	f  *os.File
}

func openRunLog(path string) (*runLog, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	return &runLog{f: f}, err
}

func (l *runLog) note(what string, job *storage.Job, owner string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.f, "%s %d %s %s %d\n", what, job.ID, job.Key, owner, time.Now().UnixNano())
	l.f.Sync()
}

// slowKind runs each job for d, noting its start and end.
func slowKind(l *runLog, owner string, d time.Duration, workers int) jobs.Kind {
	return jobs.Kind{Name: "slow", Workers: workers, PerKey: 2, Run: func(ctx context.Context, job *storage.Job) ([]storage.Job, error) {
		l.note("start", job, owner)
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		l.note("end", job, owner)
		return nil, nil
	}}
}

const childLease = 1500 * time.Millisecond

func runChild(db, logPath string) {
	st, err := sqlite.OpenFile(context.Background(), db, 2)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	l, err := openRunLog(logPath)
	if err != nil {
		os.Exit(1)
	}
	r := jobs.New(st, jobs.Options{Owner: "child", Lease: childLease, Poll: 20 * time.Millisecond})
	r.Handle(slowKind(l, "child", 300*time.Millisecond, 4))
	r.Run(context.Background()) // until killed
}

// Two runners with different owners work one database: one in this process,
// one in a child process that is killed with SIGKILL while it holds jobs.
// No job runs in two places at once, no key has more than its limit
// running, every job is done, and the killed runner's jobs are rescued
// once their leases run out.
func TestTwoRunnersAndAKill(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "herald.db")
	logPath := filepath.Join(dir, "runs.log")
	st := openStore(t, db)

	const n = 150
	var queued []storage.Job
	for i := 0; i < n; i++ {
		queued = append(queued, storage.Job{Kind: "slow", Key: "host" + strconv.Itoa(i%5)})
	}
	if err := st.InsertJobs(context.Background(), queued); err != nil {
		t.Fatal(err)
	}

	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "HERALD_JOBS_CHILD="+db+"|"+logPath)
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the child to start a job", func() bool { return openRuns(t, logPath, "child") > 0 })

	// Both runners work the table; then the child is killed while it
	// holds jobs.
	l, err := openRunLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	r := jobs.New(st, jobs.Options{Owner: "parent", Lease: childLease, Poll: 20 * time.Millisecond})
	r.Handle(slowKind(l, "parent", 100*time.Millisecond, 6))
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { r.Run(ctx); close(stopped) }()
	waitFor(t, "both runners to work", func() bool {
		both := map[string]bool{}
		for _, ru := range readRuns(t, logPath) {
			if ru.ended {
				both[ru.owner] = true
			}
		}
		return both["parent"] && both["child"] && openRuns(t, logPath, "child") > 0
	})
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	killedAt := time.Now()
	orphans := openRuns(t, logPath, "child")
	if orphans == 0 {
		t.Fatal("the child held no job at the kill; nothing to rescue")
	}
	dctx, dcancel := context.WithTimeout(context.Background(), time.Minute)
	defer dcancel()
	// The killed runner's jobs are not due until their leases run out:
	// wait until the table is empty.
	waitFor(t, "every job to be done", func() bool {
		if err := r.Drained(dctx, "slow"); err != nil {
			t.Fatal(err)
		}
		c, err := st.CountJobs(context.Background(), "slow", 0, time.Now().Add(time.Hour))
		return err == nil && c == 0
	})
	cancel()
	<-stopped

	runs := readRuns(t, logPath)
	done := map[int64]bool{}
	for _, ru := range runs {
		if ru.ended {
			done[ru.job] = true
		}
	}
	if len(done) != n {
		t.Fatalf("%d of %d jobs done", len(done), n)
	}
	rescued := 0
	for _, a := range runs {
		if a.owner == "child" && !a.ended {
			// An orphan: the parent took it only after the lease ran out.
			for _, b := range runs {
				if b.job == a.job && b.owner == "parent" {
					rescued++
					if b.start.Before(killedAt) {
						t.Errorf("job %d taken by the parent while the child's lease held", a.job)
					}
				}
			}
			continue
		}
		for _, b := range runs {
			if a != b && a.job == b.job && overlaps(a, b, killedAt) {
				t.Errorf("job %d ran twice at once (%s and %s)", a.job, a.owner, b.owner)
			}
		}
	}
	if rescued != orphans {
		t.Errorf("%d jobs held by the killed runner, %d rescued", orphans, rescued)
	}
	// The per-key limit held across both runners (the child's orphaned
	// runs count until the kill).
	for key := range 5 {
		if m := maxConcurrent(runs, "host"+strconv.Itoa(key), killedAt); m > 2 {
			t.Errorf("host%d had %d jobs running at once; the limit is 2", key, m)
		}
	}
	t.Logf("%d jobs, %d held by the killed runner and rescued", n, rescued)
}

type run struct {
	job        int64
	key, owner string
	start, end time.Time
	ended      bool
}

// overlaps: a run cut by the kill lasted until the kill.
func overlaps(a, b run, killedAt time.Time) bool {
	aEnd, bEnd := a.end, b.end
	if !a.ended {
		aEnd = killedAt
	}
	if !b.ended {
		bEnd = killedAt
	}
	return a.start.Before(bEnd) && b.start.Before(aEnd)
}

func maxConcurrent(runs []run, key string, killedAt time.Time) int {
	type ev struct {
		at time.Time
		d  int
	}
	var evs []ev
	for _, r := range runs {
		if r.key != key {
			continue
		}
		end := r.end
		if !r.ended {
			end = killedAt
		}
		evs = append(evs, ev{r.start, 1}, ev{end, -1})
	}
	// Ends before starts at the same instant.
	slices.SortFunc(evs, func(a, b ev) int { return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.d, b.d)) })
	cur, most := 0, 0
	for _, e := range evs {
		cur += e.d
		most = max(most, cur)
	}
	return most
}

func readRuns(t *testing.T, path string) []run {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		t.Fatal(err)
	}
	defer f.Close()
	type id struct {
		job   int64
		owner string
	}
	open := map[id]int{}
	var runs []run
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var what, key, owner string
		var job, at int64
		if _, err := fmt.Sscanf(sc.Text(), "%s %d %s %s %d", &what, &job, &key, &owner, &at); err != nil {
			continue // a line cut by the kill
		}
		k := id{job, owner}
		if what == "start" {
			open[k] = len(runs)
			runs = append(runs, run{job: job, key: key, owner: owner, start: time.Unix(0, at)})
		} else if i, ok := open[k]; ok {
			runs[i].end, runs[i].ended = time.Unix(0, at), true
			delete(open, k)
		}
	}
	return runs
}

func openRuns(t *testing.T, path, owner string) int {
	n := 0
	for _, r := range readRuns(t, path) {
		if r.owner == owner && !r.ended {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, time.Minute, what, cond)
}

// A job's outcome decides what happens to it: done jobs go with their
// follow-ups inserted, a permanent failure is dropped, a failure is
// retried with the kind's backoff until MaxAttempts, a snooze runs again
// without spending an attempt, and a panic is a failure.
func TestOutcomes(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "herald.db"))
	ctx := context.Background()
	var mu sync.Mutex
	attempts := map[string][]int{}
	outcomes := map[string]int{} // kind outcome, as Observe is told
	r := jobs.New(st, jobs.Options{Lease: 2 * time.Second, Poll: 10 * time.Millisecond,
		Observe: func(kind, outcome string, took time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			outcomes[kind+" "+outcome]++
		}})
	r.Handle(jobs.Kind{Name: "t", MaxAttempts: 3, Workers: 2,
		Backoff: func(int) time.Duration { return time.Millisecond },
		Run: func(ctx context.Context, job *storage.Job) ([]storage.Job, error) {
			var p struct{ Do string }
			if err := jobs.Decode(job, &p); err != nil {
				return nil, err
			}
			mu.Lock()
			attempts[p.Do] = append(attempts[p.Do], job.Attempts)
			mu.Unlock()
			switch p.Do {
			case "then":
				return []storage.Job{{Kind: "next", Payload: `{"from":"then"}`}}, nil
			case "permanent":
				return nil, jobs.Permanent(errors.New("no"))
			case "fail":
				return nil, errors.New("again")
			case "snooze":
				if len(attempts["snooze"]) < 3 {
					return nil, jobs.Snooze(time.Millisecond, "not yet")
				}
			case "panic":
				panic("boom")
			}
			return nil, nil
		}})
	var nexts atomic.Int32
	r.Handle(jobs.Kind{Name: "next", Run: func(context.Context, *storage.Job) ([]storage.Job, error) {
		nexts.Add(1)
		return nil, nil
	}})
	var queued []storage.Job
	for _, do := range []string{"then", "permanent", "fail", "snooze", "panic"} {
		queued = append(queued, storage.Job{Kind: "t", Payload: jobs.Encode(map[string]string{"Do": do})})
	}
	queued = append(queued, storage.Job{Kind: "t", Payload: "not json"})
	if err := r.Enqueue(ctx, queued...); err != nil {
		t.Fatal(err)
	}
	runUntilEmpty(t, r, st)

	mu.Lock()
	defer mu.Unlock()
	want := map[string]string{"then": "[1]", "permanent": "[1]", "fail": "[1 2 3]", "snooze": "[1 1 1]", "panic": "[1 2 3]"}
	for do, w := range want {
		if got := fmt.Sprint(attempts[do]); got != w {
			t.Errorf("%s: attempts %s, want %s", do, got, w)
		}
	}
	if nexts.Load() != 1 {
		t.Errorf("the follow-up job ran %d times, want 1", nexts.Load())
	}
	// Each run's outcome is reported: "then", and "snooze" at last, succeed;
	// "permanent", the payload that is not JSON, and "fail" and "panic"
	// once their attempts are spent, fail; their earlier runs retry.
	wantOutcomes := map[string]int{"t success": 2, "t snooze": 2, "t retry": 4, "t failure": 4, "next success": 1}
	if fmt.Sprint(outcomes) != fmt.Sprint(wantOutcomes) {
		t.Errorf("outcomes %v, want %v", outcomes, wantOutcomes)
	}
}

// Periodic jobs are enqueued once per period, however many runners ask.
func TestPeriodicOncePerPeriod(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "herald.db"))
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 10, 0, 30, 0, time.UTC)
	job := storage.Job{Kind: "sweep"}
	for i := 0; i < 3; i++ { // three runners in the same period
		job.UniqueKey = "sweep@" + now.Truncate(time.Minute).Format(time.RFC3339)
		next, err := st.SchedulePeriodic(ctx, "sweep", now, now.Truncate(time.Minute).Add(time.Minute), job)
		if err != nil {
			t.Fatal(err)
		}
		if want := now.Truncate(time.Minute).Add(time.Minute); !next.Equal(want) {
			t.Fatalf("next run %v, want %v", next, want)
		}
	}
	if n, _ := st.CountJobs(ctx, "sweep", 0, now.Add(24*time.Hour*365)); n != 1 {
		t.Fatalf("%d sweep jobs queued in one period, want 1", n)
	}
	later := now.Add(time.Minute)
	job.UniqueKey = "sweep@" + later.Truncate(time.Minute).Format(time.RFC3339)
	if _, err := st.SchedulePeriodic(ctx, "sweep", later, later.Truncate(time.Minute).Add(time.Minute), job); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.CountJobs(ctx, "sweep", 0, now.Add(24*time.Hour*365)); n != 2 {
		t.Fatalf("%d sweep jobs after the next period began, want 2", n)
	}
}

// A chained kind runs one key's jobs one at a time and in the order they
// were queued, however many workers it has; other keys run beside it.
func TestChainsRunAKeysJobsInOrder(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "herald.db"))
	ctx := context.Background()
	var mu sync.Mutex
	order := map[string][]int64{}
	running := map[string]int{}
	overlap := false
	r := jobs.New(st, jobs.Options{Lease: 5 * time.Second, Poll: 10 * time.Millisecond})
	r.Handle(jobs.Kind{Name: "in", Workers: 4, PerKey: 1, Chain: 8, Run: func(ctx context.Context, job *storage.Job) ([]storage.Job, error) {
		mu.Lock()
		running[job.Key]++
		overlap = overlap || running[job.Key] > 1
		order[job.Key] = append(order[job.Key], job.ID)
		mu.Unlock()
		for range 100 { // a little work, so that runs could overlap
			runtime.Gosched()
		}
		mu.Lock()
		running[job.Key]--
		mu.Unlock()
		return nil, nil
	}})
	var queued []storage.Job
	for i := 0; i < 90; i++ {
		queued = append(queued, storage.Job{Kind: "in", Key: "signer" + strconv.Itoa(i%3)})
	}
	if err := r.Enqueue(ctx, queued...); err != nil {
		t.Fatal(err)
	}
	runUntilEmpty(t, r, st)
	mu.Lock()
	defer mu.Unlock()
	if overlap {
		t.Error("two jobs of one key ran at once")
	}
	for key, ids := range order {
		if len(ids) != 30 || !slices.IsSorted(ids) {
			t.Errorf("%s ran %d jobs in the order %v", key, len(ids), ids)
		}
	}
}

// runUntilEmpty runs r until no job is left in the table, even one due
// later (retries), then stops it.
func runUntilEmpty(t *testing.T, r *jobs.Runner, st *sqlite.Store) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { r.Run(ctx); close(stopped) }()
	dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
	defer dcancel()
	waitFor(t, "the jobs to be done", func() bool {
		if err := r.Drained(dctx); err != nil {
			t.Fatal(err)
		}
		n, _ := st.CountJobs(context.Background(), "", 0, time.Now().Add(time.Hour))
		return n == 0
	})
	cancel()
	<-stopped
}

// Queues counts each registered kind's jobs due now and due later, zero
// for a kind with none (the metrics' queue depths).
func TestQueues(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "herald.db"))
	ctx := context.Background()
	r := jobs.New(st, jobs.Options{})
	noop := func(context.Context, *storage.Job) ([]storage.Job, error) { return nil, nil }
	r.Handle(jobs.Kind{Name: "t", Run: noop})
	r.Handle(jobs.Kind{Name: "u", Run: noop})
	later := time.Now().Add(time.Hour)
	if err := st.InsertJobs(ctx, []storage.Job{{Kind: "t", Payload: "{}"}, {Kind: "t", Payload: "{}"},
		{Kind: "t", Payload: "{}", RunAt: later}, {Kind: "other", Payload: "{}"}}); err != nil {
		t.Fatal(err)
	}
	qs, err := r.Queues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(qs, func(a, b jobs.Queue) int { return cmp.Compare(a.Kind, b.Kind) })
	want := []jobs.Queue{{Kind: "t", Due: 2, Scheduled: 1}, {Kind: "u"}}
	if fmt.Sprint(qs) != fmt.Sprint(want) {
		t.Fatalf("queues %v, want %v", qs, want)
	}
}

// With TellOthers, Wake tells the other processes which kinds it woke;
// WakeHere (a wake heard from another process) does not tell them again.
func TestWakeTellsOthers(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
	r := jobs.New(st, jobs.Options{})
	var told [][]string
	r.TellOthers(func(kinds ...string) { told = append(told, kinds) })
	r.Wake("a", "b")
	r.WakeHere("c")
	if len(told) != 1 || strings.Join(told[0], ",") != "a,b" {
		t.Fatalf("told %v, want [[a b]]", told)
	}
}
