package storetest

import (
	"fmt"
	"sync"
	"time"

	"github.com/herald-social/herald/storage"
)

// job makes a job of kind due at.
func job(kind, key string, at time.Time) storage.Job {
	return storage.Job{Kind: kind, Key: key, RunAt: at, Payload: `{}`}
}

// insert stores jobs (setting their ids), failing the case on an error.
func (e *env) insert(jobs ...*storage.Job) {
	e.t.Helper()
	all := make([]storage.Job, len(jobs))
	for i, j := range jobs {
		all[i] = *j
	}
	e.ok(e.s.InsertJobs(e.ctx, all))
	for i, j := range jobs {
		*j = all[i]
	}
}

// countJobs counts the jobs of kind, whenever due.
func (e *env) countJobs(kind string) int64 {
	e.t.Helper()
	n, err := e.s.CountJobs(e.ctx, kind, 0, time.Now().Add(24*365*time.Hour))
	e.ok(err)
	return n
}

func jobIDs(js []storage.Job) []int64 {
	out := make([]int64, len(js))
	for i, j := range js {
		out[i] = j.ID
	}
	return out
}

func jobsArea() area {
	return area{"Jobs", []testCase{
		{"ClaimOldestDueFirst", func(e *env) {
			j := []storage.Job{job("k", "", base.Add(2*time.Minute)), job("k", "", base), job("k", "", base.Add(time.Minute)),
				job("k", "", base.Add(time.Hour)), job("other", "", base)}
			e.ok(e.s.InsertJobs(e.ctx, j))
			for _, x := range j {
				if x.ID == 0 {
					e.t.Fatal("InsertJobs set no id")
				}
			}
			got := e.claim(storage.JobClaim{Kind: "k", Owner: "a", Now: base.Add(2 * time.Minute), Lease: time.Minute, Limit: 10})
			e.equal("claimed", jobIDs(got), []int64{j[1].ID, j[2].ID, j[0].ID})
			for _, g := range got {
				if g.Attempts != 1 || g.LockedBy != "a" || !g.LockedUntil.Equal(base.Add(3*time.Minute)) || g.Kind != "k" {
					e.t.Fatalf("claimed job = %+v", g)
				}
			}
			if again := e.claim(storage.JobClaim{Kind: "k", Owner: "b", Now: base.Add(2 * time.Minute), Lease: time.Minute, Limit: 10}); len(again) != 0 {
				e.t.Fatalf("leased jobs claimed again: %v", jobIDs(again))
			}
			lim := e.claim(storage.JobClaim{Kind: "other", Owner: "b", Now: base, Lease: time.Minute, Limit: 0})
			if len(lim) != 0 {
				e.t.Fatal("a claim of limit 0 took jobs")
			}
		}},
		{"ConcurrentClaimersTakeEachJobOnce", func(e *env) {
			const n = 120
			var js []storage.Job
			for i := 0; i < n; i++ {
				js = append(js, job("c", "", base))
			}
			e.ok(e.s.InsertJobs(e.ctx, js))
			var mu sync.Mutex
			seen := map[int64]string{}
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for w := 0; w < 6; w++ {
				owner := fmt.Sprintf("w%d", w)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						got, err := e.s.ClaimJobs(e.ctx, storage.JobClaim{Kind: "c", Owner: owner, Now: base, Lease: time.Hour, Limit: 7})
						if err != nil {
							errs <- err
							return
						}
						if len(got) == 0 {
							return
						}
						mu.Lock()
						for _, j := range got {
							if prev, dup := seen[j.ID]; dup {
								errs <- fmt.Errorf("job %d claimed by %s and %s", j.ID, prev, owner)
							}
							seen[j.ID] = owner
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				e.t.Fatal(err)
			}
			if len(seen) != n {
				e.t.Fatalf("claimed %d of %d jobs", len(seen), n)
			}
		}},
		{"ExpiredLeaseReclaimed", func(e *env) {
			j := job("k", "", base)
			e.insert(&j)
			e.claim(storage.JobClaim{Kind: "k", Owner: "dead", Now: base, Lease: time.Minute, Limit: 1})
			if got := e.claim(storage.JobClaim{Kind: "k", Owner: "b", Now: base.Add(30 * time.Second), Lease: time.Minute, Limit: 1}); len(got) != 0 {
				e.t.Fatal("a live lease was taken")
			}
			got := e.claim(storage.JobClaim{Kind: "k", Owner: "b", Now: base.Add(2 * time.Minute), Lease: time.Minute, Limit: 1})
			if len(got) != 1 || got[0].Attempts != 2 || got[0].LockedBy != "b" {
				e.t.Fatalf("reclaimed = %+v", got)
			}
			// The first runner no longer holds it: its completion and
			// retry are left alone.
			_ = e.s.CompleteJob(e.ctx, j.ID, "dead", []storage.Job{job("then", "", base)})
			if e.countJobs("k") != 1 || e.countJobs("then") != 0 {
				e.t.Fatal("a lost lease's completion took effect")
			}
			e.is(e.s.RetryJob(e.ctx, j.ID, "dead", 1, base, "x"), storage.ErrNotFound, "retry of a lost lease")
			lost, err := e.s.CompleteJobs(e.ctx, "dead", []storage.JobDone{{ID: j.ID}})
			e.ok(err)
			e.equal("lost", lost, []int64{j.ID})
			e.ok(e.s.CompleteJob(e.ctx, j.ID, "b", nil))
			if e.countJobs("k") != 0 {
				e.t.Fatal("completed job left")
			}
		}},
		{"ExtendLeases", func(e *env) {
			e.insert(ptr(job("k", "", base)), ptr(job("k", "", base)))
			e.claim(storage.JobClaim{Kind: "k", Owner: "a", Now: base, Lease: time.Minute, Limit: 10})
			n, err := e.s.ExtendLeases(e.ctx, "a", base.Add(time.Hour))
			e.ok(err)
			if n != 2 {
				e.t.Fatalf("extended %d", n)
			}
			if got := e.claim(storage.JobClaim{Kind: "k", Owner: "b", Now: base.Add(30 * time.Minute), Lease: time.Minute, Limit: 10}); len(got) != 0 {
				e.t.Fatal("an extended lease was taken")
			}
			n, err = e.s.ExtendLeases(e.ctx, "nobody", base.Add(time.Hour))
			e.ok(err)
			if n != 0 {
				e.t.Fatalf("extended %d of nobody's", n)
			}
		}},
		{"RetryBackoff", func(e *env) {
			j := job("k", "", base)
			e.insert(&j)
			e.claim(storage.JobClaim{Kind: "k", Owner: "a", Now: base, Lease: time.Minute, Limit: 1})
			e.ok(e.s.RetryJob(e.ctx, j.ID, "a", 1, base.Add(10*time.Minute), "boom"))
			if got := e.claim(storage.JobClaim{Kind: "k", Owner: "a", Now: base.Add(5 * time.Minute), Lease: time.Minute, Limit: 1}); len(got) != 0 {
				e.t.Fatal("a job was claimed before its retry time")
			}
			due, ok, err := e.s.NextJobDue(e.ctx, "k", base.Add(5*time.Minute))
			e.ok(err)
			if !ok || !due.Equal(base.Add(10*time.Minute)) {
				e.t.Fatalf("next due = %v (%v)", due, ok)
			}
			n, err := e.s.CountJobs(e.ctx, "k", 0, base.Add(5*time.Minute))
			e.ok(err)
			if n != 0 {
				e.t.Fatalf("due by then = %d", n)
			}
			got := e.claim(storage.JobClaim{Kind: "k", Owner: "a", Now: base.Add(10 * time.Minute), Lease: time.Minute, Limit: 1})
			if len(got) != 1 || got[0].Attempts != 2 || got[0].LastError != "boom" {
				e.t.Fatalf("retried job = %+v", got)
			}
			// A snooze gives the attempt back.
			e.ok(e.s.RetryJob(e.ctx, j.ID, "a", got[0].Attempts-1, base.Add(20*time.Minute), "boom"))
			got = e.claim(storage.JobClaim{Kind: "k", Owner: "a", Now: base.Add(20 * time.Minute), Lease: time.Minute, Limit: 1})
			if len(got) != 1 || got[0].Attempts != 2 {
				e.t.Fatalf("snoozed job = %+v", got)
			}
		}},
		{"CompleteInsertsFollowUps", func(e *env) {
			j1, j2 := job("k", "", base), job("k", "", base)
			e.insert(&j1, &j2)
			e.claim(storage.JobClaim{Kind: "k", Owner: "a", Now: base, Lease: time.Minute, Limit: 10})
			e.ok(e.s.CompleteJob(e.ctx, j1.ID, "a", []storage.Job{job("next", "", base), job("next", "", base)}))
			lost, err := e.s.CompleteJobs(e.ctx, "a", []storage.JobDone{{ID: j2.ID, Then: []storage.Job{job("next", "", base)}}, {ID: 424242}})
			e.ok(err)
			e.equal("lost", lost, []int64{424242})
			if e.countJobs("k") != 0 || e.countJobs("next") != 3 {
				e.t.Fatalf("jobs after completion: k %d, next %d", e.countJobs("k"), e.countJobs("next"))
			}
		}},
		{"ReleaseGivesAttemptBack", func(e *env) {
			j := job("k", "", base)
			e.insert(&j)
			e.claim(storage.JobClaim{Kind: "k", Owner: "a", Now: base, Lease: time.Hour, Limit: 1})
			e.ok(e.s.ReleaseJobs(e.ctx, "a"))
			got := e.claim(storage.JobClaim{Kind: "k", Owner: "b", Now: base, Lease: time.Hour, Limit: 1})
			if len(got) != 1 || got[0].Attempts != 1 {
				e.t.Fatalf("released job = %+v", got)
			}
		}},
		{"PerKeyExclusion", func(e *env) {
			a1, a2, a3 := job("k", "a", base), job("k", "a", base.Add(time.Second)), job("k", "a", base.Add(2*time.Second))
			b1 := job("k", "b", base.Add(3*time.Second))
			free := job("k", "", base.Add(4*time.Second))
			e.insert(&a1, &a2, &a3, &b1, &free)
			now := base.Add(time.Minute)
			c := storage.JobClaim{Kind: "k", Owner: "r1", Now: now, Lease: time.Minute, Limit: 10, PerKey: 1}
			e.equal("first claim", jobIDs(e.claim(c)), []int64{a1.ID, b1.ID, free.ID})
			c.Owner = "r2"
			if got := e.claim(c); len(got) != 0 {
				e.t.Fatalf("a second runner took a busy key: %v", jobIDs(got))
			}
			e.ok(e.s.CompleteJob(e.ctx, a1.ID, "r1", nil))
			e.equal("after completion", jobIDs(e.claim(c)), []int64{a2.ID})
			// PerKey 2: two of a key at once.
			e.ok(e.s.CompleteJob(e.ctx, a2.ID, "r2", nil))
			e.insert(ptr(job("k", "a", base)))
			c.PerKey, c.Owner = 2, "r3"
			if got := e.claim(c); len(got) != 2 {
				e.t.Fatalf("PerKey 2 claimed %v", jobIDs(got))
			}
		}},
		{"PerKeyUnderConcurrentClaimers", func(e *env) {
			var js []storage.Job
			for i := 0; i < 60; i++ {
				js = append(js, job("k", fmt.Sprintf("key%d", i%4), base.Add(time.Duration(i)*time.Millisecond)))
			}
			e.ok(e.s.InsertJobs(e.ctx, js))
			var mu sync.Mutex
			held := map[string]int64{}
			done := map[int64]bool{}
			var wg sync.WaitGroup
			errs := make(chan error, 100)
			for w := 0; w < 5; w++ {
				owner := fmt.Sprintf("w%d", w)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for idle := 0; idle < 200; {
						got, err := e.s.ClaimJobs(e.ctx, storage.JobClaim{Kind: "k", Owner: owner, Now: base.Add(time.Minute),
							Lease: time.Hour, Limit: 2, PerKey: 1})
						if err != nil {
							errs <- err
							return
						}
						if len(got) == 0 {
							mu.Lock()
							finished := len(done) == len(js)
							mu.Unlock()
							if finished {
								return
							}
							idle++
							continue
						}
						mu.Lock()
						for _, j := range got {
							if other, busy := held[j.Key]; busy {
								errs <- fmt.Errorf("key %s: job %d claimed while %d is held", j.Key, j.ID, other)
							}
							if done[j.ID] {
								errs <- fmt.Errorf("job %d claimed after completion", j.ID)
							}
							held[j.Key] = j.ID
						}
						mu.Unlock()
						for _, j := range got {
							mu.Lock()
							delete(held, j.Key)
							done[j.ID] = true
							mu.Unlock()
							if err := e.s.CompleteJob(e.ctx, j.ID, owner, nil); err != nil {
								errs <- err
							}
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				e.t.Fatal(err)
			}
			if len(done) != len(js) {
				e.t.Fatalf("ran %d of %d jobs", len(done), len(js))
			}
		}},
		{"ChainTakesAKeysBurst", func(e *env) {
			a1, a2, a3 := job("k", "a", base), job("k", "a", base.Add(time.Second)), job("k", "a", base.Add(2*time.Second))
			b1 := job("k", "b", base.Add(3*time.Second))
			e.insert(&a1, &a2, &a3, &b1)
			got := e.claim(storage.JobClaim{Kind: "k", Owner: "r", Now: base.Add(time.Minute), Lease: time.Minute, Limit: 1, PerKey: 1, Chain: 2})
			e.equal("chained claim", jobIDs(got), []int64{a1.ID, a2.ID})
		}},
		{"UniqueKey", func(e *env) {
			j1 := storage.Job{Kind: "k", RunAt: base, UniqueKey: "once"}
			j2 := storage.Job{Kind: "k", RunAt: base, UniqueKey: "once"}
			e.insert(&j1)
			e.insert(&j2)
			if e.countJobs("k") != 1 {
				e.t.Fatalf("jobs with one unique key = %d", e.countJobs("k"))
			}
			got := e.claim(storage.JobClaim{Kind: "k", Owner: "a", Now: base, Lease: time.Minute, Limit: 1})
			if len(got) != 1 || got[0].UniqueKey != "once" {
				e.t.Fatalf("claimed = %+v", got)
			}
			e.ok(e.s.CompleteJob(e.ctx, got[0].ID, "a", nil))
			e.insert(&storage.Job{Kind: "k", RunAt: base, UniqueKey: "once"})
			if e.countJobs("k") != 1 {
				e.t.Fatal("a unique key was not free again after completion")
			}
		}},
		{"CountsAndDelete", func(e *env) {
			d1 := job("d", "h1", base)
			d1.Ref = 7
			d2 := job("d", "h1", base.Add(time.Hour))
			d3 := job("d", "h2", base)
			e.insert(&d1, &d2, &d3, ptr(job("x", "", base)))
			n, err := e.s.CountJobs(e.ctx, "d", 0, base)
			e.ok(err)
			if n != 2 {
				e.t.Fatalf("due d = %d", n)
			}
			n, _ = e.s.CountJobs(e.ctx, "d", 7, base.Add(2*time.Hour))
			if n != 1 {
				e.t.Fatalf("d of ref 7 = %d", n)
			}
			n, _ = e.s.CountJobs(e.ctx, "", 0, base.Add(2*time.Hour))
			if n != 4 {
				e.t.Fatalf("all jobs = %d", n)
			}
			counts, err := e.s.CountJobsByKind(e.ctx, base)
			e.ok(err)
			byKind := map[string]storage.JobCount{}
			for _, c := range counts {
				byKind[c.Kind] = c
			}
			if byKind["d"] != (storage.JobCount{Kind: "d", All: 3, Due: 2}) || byKind["x"] != (storage.JobCount{Kind: "x", All: 1, Due: 1}) || len(counts) != 2 {
				e.t.Fatalf("counts = %+v", counts)
			}
			e.claim(storage.JobClaim{Kind: "d", Owner: "a", Now: base, Lease: time.Minute, Limit: 1}) // d1 leased
			n, err = e.s.DeleteJobs(e.ctx, "d", "h1")
			e.ok(err)
			if n != 1 || e.countJobs("d") != 2 {
				e.t.Fatalf("deleted %d; %d left", n, e.countJobs("d"))
			}
		}},
		{"NextJobDueSkipsLeased", func(e *env) {
			_, ok, err := e.s.NextJobDue(e.ctx, "k", base)
			e.ok(err)
			if ok {
				e.t.Fatal("due in an empty store")
			}
			e.insert(ptr(job("k", "", base)), ptr(job("k", "", base.Add(time.Hour))))
			e.claim(storage.JobClaim{Kind: "k", Owner: "a", Now: base, Lease: 2 * time.Hour, Limit: 1})
			due, ok, err := e.s.NextJobDue(e.ctx, "k", base)
			e.ok(err)
			if !ok || !due.Equal(base.Add(time.Hour)) {
				e.t.Fatalf("next due = %v (%v)", due, ok)
			}
		}},
		{"SchedulePeriodicOncePerPeriod", func(e *env) {
			next, err := e.s.SchedulePeriodic(e.ctx, "sweep", base, base.Add(time.Hour), job("sweep", "", base))
			e.ok(err)
			if !next.Equal(base.Add(time.Hour)) || e.countJobs("sweep") != 1 {
				e.t.Fatalf("first schedule: next %v, jobs %d", next, e.countJobs("sweep"))
			}
			next, err = e.s.SchedulePeriodic(e.ctx, "sweep", base.Add(time.Minute), base.Add(61*time.Minute), job("sweep", "", base))
			e.ok(err)
			if !next.Equal(base.Add(time.Hour)) || e.countJobs("sweep") != 1 {
				e.t.Fatalf("not due: next %v, jobs %d", next, e.countJobs("sweep"))
			}
			// Several runners at the next period: one job.
			var wg sync.WaitGroup
			for i := 0; i < 5; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := e.s.SchedulePeriodic(e.ctx, "sweep", base.Add(time.Hour), base.Add(2*time.Hour), job("sweep", "", base)); err != nil {
						e.t.Error(err)
					}
				}()
			}
			wg.Wait()
			if e.countJobs("sweep") != 2 {
				e.t.Fatalf("jobs after a contested period = %d", e.countJobs("sweep"))
			}
		}},
	}}
}

// ptr returns a pointer to a copy of j.
func ptr(j storage.Job) *storage.Job { return &j }
