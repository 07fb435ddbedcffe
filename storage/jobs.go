package storage

import (
	"context"
	"time"
)

// Job is one unit of background work: a delivery, an incoming activity, a
// push, a mail, a media job, a sweep. Jobs live in the database, written in
// the same transaction as the change that asks for them, so that nothing
// accepted is lost to a crash. A runner claims a job with a lease (LockedBy,
// LockedUntil) that it renews while it works; a job whose lease ran out
// (its runner died) is claimable again.
type Job struct {
	ID   int64
	Kind string
	// Key groups jobs that share a limit: the remote host of a delivery
	// (at most N at once per host), the signer of an incoming activity
	// (one at a time, in order). Empty: no limit.
	Key string
	// Ref is the record the job works for (the signing account of a
	// delivery), so that a later job can wait until none is left; 0: none.
	Ref     int64
	Payload string // JSON, by kind
	RunAt   time.Time
	// Attempts counts the claims so far, this one included.
	Attempts  int
	LastError string
	// UniqueKey, when set, makes the insert a no-op while a job with the
	// same key exists.
	UniqueKey   string
	LockedBy    string
	LockedUntil time.Time
	CreatedAt   time.Time
}

// The kinds of job the store writes itself, in the transaction of a change.
const (
	JobFederate = "federate" // an outbox event: a local change to send to other servers
	JobDeliver  = "deliver"  // one activity to one inbox
	JobInbox    = "inbox"    // one verified incoming activity to apply
)

// JobDone is a job that ran, and the jobs it leaves to insert.
type JobDone struct {
	ID   int64
	Then []Job
}

// JobClaim says what a runner asks for.
type JobClaim struct {
	Kind  string
	Owner string        // the runner's id, unique per process start
	Now   time.Time     // due by
	Lease time.Duration // how long the claim holds unless renewed
	Limit int           // at most this many jobs
	// PerKey caps the jobs of one key leased at once, across every
	// runner (0: no cap). With 1, a key's jobs run one at a time, oldest
	// first.
	PerKey int
	// Chain lets one claim take up to this many jobs of a key at once
	// (they run one after another, in order, on one worker: a signer's
	// burst of activities costs one claim, not one each). Limit then
	// counts keys; 0 or 1: one job per slot.
	Chain int
}

// JobCount is how many jobs of a kind there are.
type JobCount struct {
	Kind     string
	All, Due int64
}

// Jobs stores the job runtime's table (see internal/jobs).
type Jobs interface {
	// InsertJobs adds jobs on their own (work not tied to another change).
	InsertJobs(ctx context.Context, jobs []Job) error
	// ClaimJobs leases up to c.Limit due, unleased (or expired) jobs of
	// c.Kind to c.Owner, counting an attempt on each; oldest due first.
	ClaimJobs(ctx context.Context, c JobClaim) ([]Job, error)
	// ExtendLeases renews every lease owner holds until until; it returns
	// how many jobs owner still holds.
	ExtendLeases(ctx context.Context, owner string, until time.Time) (int64, error)
	// CompleteJob deletes a job owner holds and inserts then, atomically
	// (the deliveries an outbox job made). A job owner no longer holds
	// (its lease ran out and another runner took it) is left alone.
	CompleteJob(ctx context.Context, id int64, owner string, then []Job) error
	// CompleteJobs is CompleteJob for several jobs in one transaction; it
	// returns the ids of those owner no longer held (left alone).
	CompleteJobs(ctx context.Context, owner string, done []JobDone) (lost []int64, err error)
	// RetryJob hands a job owner holds back for another run at runAt;
	// attempts is what the job has spent (a snooze gives one back).
	RetryJob(ctx context.Context, id int64, owner string, attempts int, runAt time.Time, lastErr string) error
	// ReleaseJobs hands back every job owner holds, giving back the
	// attempt their claim counted (a runner stopping cleanly).
	ReleaseJobs(ctx context.Context, owner string) error
	// NextJobDue is the earliest run_at of the unleased (or expired)
	// jobs of kind at now (ok = false: none is waiting).
	NextJobDue(ctx context.Context, kind string, now time.Time) (t time.Time, ok bool, err error)
	// CountJobs counts the jobs of kind (all of them when kind is empty)
	// due by dueBy, leased or not; with ref > 0 only that record's.
	CountJobs(ctx context.Context, kind string, ref int64, dueBy time.Time) (int64, error)
	// CountJobsByKind counts the jobs of each kind that has any, all and
	// those due by dueBy, in one pass on a read connection: the metrics
	// ask at every scrape, and must not hold up the writer.
	CountJobsByKind(ctx context.Context, dueBy time.Time) ([]JobCount, error)
	// DeleteJobs deletes the unleased jobs of kind with key (the
	// deliveries to a host that became unavailable) and returns how many.
	DeleteJobs(ctx context.Context, kind, key string) (int64, error)
	// SchedulePeriodic enqueues job if the schedule name is due at now:
	// it moves the schedule's next run to next and inserts the job in one
	// transaction, so that of several runners only one does it per
	// period. It returns the schedule's next run either way.
	SchedulePeriodic(ctx context.Context, name string, now, next time.Time, job Job) (nextRun time.Time, err error)
}
