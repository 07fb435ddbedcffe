package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/herald-social/herald/storage"
)

// The job runtime's table (storage.Jobs, migration 0013).

var _ storage.Jobs = (*Store)(nil)

const jobColumns = "id, kind, key, ref, payload, run_at, attempts, last_error, coalesce(unique_key, ''), locked_by, locked_until, created_at"

func scanJob(row scanner) (storage.Job, error) {
	var j storage.Job
	var runAt, until, created int64
	err := row.Scan(&j.ID, &j.Kind, &j.Key, &j.Ref, &j.Payload, &runAt, &j.Attempts, &j.LastError, &j.UniqueKey,
		&j.LockedBy, &until, &created)
	j.RunAt, j.CreatedAt = fromMs(runAt), fromMs(created)
	if until > 0 {
		j.LockedUntil = fromMs(until)
	}
	return j, err
}

// insertJobs writes jobs inside a transaction of the caller's: the job
// and the change that asks for it commit together.
func insertJobs(ctx context.Context, tx *sql.Tx, jobs []storage.Job) error {
	if len(jobs) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO jobs (kind, key, ref, payload, run_at, attempts, unique_key, created_at)
		VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING RETURNING id`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	now := time.Now()
	for i := range jobs {
		j := &jobs[i]
		if j.RunAt.IsZero() {
			j.RunAt = now
		}
		if j.CreatedAt.IsZero() {
			j.CreatedAt = now
		}
		if j.Payload == "" {
			j.Payload = "{}"
		}
		var unique any
		if j.UniqueKey != "" {
			unique = j.UniqueKey
		}
		// No row back: a job with the same unique key is pending.
		err := stmt.QueryRowContext(ctx, j.Kind, j.Key, j.Ref, j.Payload, ms(j.RunAt), j.Attempts, unique, ms(j.CreatedAt)).Scan(&j.ID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return nil
}

func (s *Store) InsertJobs(ctx context.Context, jobs []storage.Job) error {
	return wrap("insert jobs", s.tx(ctx, func(tx *sql.Tx) error { return insertJobs(ctx, tx, jobs) }))
}

func (s *Store) ClaimJobs(ctx context.Context, c storage.JobClaim) ([]storage.Job, error) {
	if c.Limit <= 0 {
		return nil, nil
	}
	now, until := ms(c.Now), ms(c.Now.Add(c.Lease))
	var out []storage.Job
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// The claims of a kind take turns across processes: each counts
		// the leases of every runner before it takes a key's last slot.
		if err := s.serialize(ctx, tx, "jobs:"+c.Kind); err != nil {
			return err
		}
		ids, err := claimable(ctx, tx, c, now)
		if err != nil || len(ids) == 0 {
			return err
		}
		// locked_until <= now again: a job another claim took since it was
		// read stays that claim's.
		args := append(append([]any{c.Owner, until}, int64Args(ids)...), now)
		out, err = queryAll(ctx, tx, `UPDATE jobs SET locked_by = ?, locked_until = ?, attempts = attempts + 1
			WHERE id IN (`+placeholders(len(ids))+`) AND locked_until <= ? RETURNING `+jobColumns, args, scanJob)
		return err
	})
	if err != nil {
		return nil, wrap("claim jobs", err)
	}
	// RETURNING gives no order; hand them out oldest due first.
	slices.SortFunc(out, func(a, b storage.Job) int {
		return cmp.Or(a.RunAt.Compare(b.RunAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (s *Store) ExtendLeases(ctx context.Context, owner string, until time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, "UPDATE jobs SET locked_until = ? WHERE locked_by = ?", ms(until), owner)
	if err != nil {
		return 0, wrap("extend leases", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("extend leases", err)
}

func (s *Store) CompleteJob(ctx context.Context, jobID int64, owner string, then []storage.Job) error {
	lost, err := s.completeJobs(ctx, owner, []storage.JobDone{{ID: jobID, Then: then}})
	if err == nil && len(lost) > 0 {
		err = errLostLease
	}
	return wrap("complete job", err)
}

func (s *Store) CompleteJobs(ctx context.Context, owner string, done []storage.JobDone) ([]int64, error) {
	lost, err := s.completeJobs(ctx, owner, done)
	return lost, wrap("complete jobs", err)
}

func (s *Store) completeJobs(ctx context.Context, owner string, done []storage.JobDone) ([]int64, error) {
	var lost []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		lost = lost[:0]
		del, err := tx.PrepareContext(ctx, "DELETE FROM jobs WHERE id = ? AND locked_by = ?")
		if err != nil {
			return err
		}
		defer del.Close()
		for _, d := range done {
			res, err := del.ExecContext(ctx, d.ID, owner)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				lost = append(lost, d.ID)
				continue
			}
			if err := insertJobs(ctx, tx, d.Then); err != nil {
				return err
			}
		}
		return nil
	})
	return lost, err
}

// claimable picks the jobs a claim takes: the oldest due, skipping keys at
// their limit (counted over live leases, of every runner) and taking of a
// key no more than what is left of its limit. Inside the claim's
// transaction, so that two runners cannot both take a key's last slot.
func claimable(ctx context.Context, tx *sql.Tx, c storage.JobClaim, now int64) ([]int64, error) {
	if c.PerKey <= 0 {
		return queryIDs(ctx, tx, `SELECT id FROM jobs WHERE kind = ? AND run_at <= ? AND locked_until <= ?
			ORDER BY run_at, id LIMIT ?`, c.Kind, now, now, c.Limit)
	}
	busy := map[string]int{}
	err := queryEach(ctx, tx, `SELECT key, count(*) FROM jobs WHERE kind = ? AND locked_by <> '' AND locked_until > ? AND key <> ''
		GROUP BY key`, []any{c.Kind, now}, func(row scanner) error {
		var key string
		var n int
		err := row.Scan(&key, &n)
		busy[key] = n
		return err
	})
	if err != nil {
		return nil, err
	}
	q, args := `SELECT id, key FROM jobs WHERE kind = ? AND run_at <= ? AND locked_until <= ?`, []any{c.Kind, now, now}
	var full []any
	for key, n := range busy {
		if n >= c.PerKey {
			full = append(full, key)
		}
	}
	if len(full) > 0 {
		q += " AND key NOT IN (" + placeholders(len(full)) + ")"
		args = append(args, full...)
	}
	// Looking a little past the limit finds other keys' jobs behind a
	// key that has only a slot or two left; what is not taken now is
	// taken by the next claim.
	args = append(args, c.Limit*(4+max(c.Chain, 1))+16)
	var ids []int64
	slots, chains := 0, map[string]int{}
	err = queryEach(ctx, tx, q+" ORDER BY run_at, id LIMIT ?", args, func(row scanner) error {
		var id int64
		var key string
		if err := row.Scan(&id, &key); err != nil {
			return err
		}
		switch {
		case key != "" && c.Chain > 1 && chains[key] > 0:
			// Behind a job of its key this claim took: the same slot.
			if chains[key] < c.Chain {
				ids = append(ids, id)
				chains[key]++
			}
		case slots < c.Limit && (key == "" || busy[key] < c.PerKey):
			ids = append(ids, id)
			slots++
			busy[key]++
			chains[key]++
		}
		return nil
	})
	return ids, err
}

// errLostLease: the job is no longer the caller's (its lease ran out and
// another runner took it, or it was deleted); what the caller did is
// dropped, and the job's new holder does it again.
var errLostLease = storage.ErrNotFound

func (s *Store) RetryJob(ctx context.Context, jobID int64, owner string, attempts int, runAt time.Time, lastErr string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE jobs SET locked_by = '', locked_until = 0, attempts = ?, run_at = ?, last_error = ?
		WHERE id = ? AND locked_by = ?`, attempts, ms(runAt), fedTruncate(lastErr, 500), jobID, owner)
	if err != nil {
		return wrap("retry job", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return wrap("retry job", errLostLease)
	}
	return nil
}

func (s *Store) ReleaseJobs(ctx context.Context, owner string) error {
	_, err := s.w.ExecContext(ctx, `UPDATE jobs SET locked_by = '', locked_until = 0, attempts = max(attempts - 1, 0)
		WHERE locked_by = ?`, owner)
	return wrap("release jobs", err)
}

func (s *Store) NextJobDue(ctx context.Context, kind string, now time.Time) (time.Time, bool, error) {
	var v int64
	err := s.r.QueryRowContext(ctx, "SELECT run_at FROM jobs WHERE kind = ? AND locked_until <= ? ORDER BY run_at LIMIT 1",
		kind, ms(now)).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	} else if err != nil {
		return time.Time{}, false, wrap("next job due", err)
	}
	return fromMs(v), true, nil
}

func (s *Store) CountJobs(ctx context.Context, kind string, ref int64, dueBy time.Time) (int64, error) {
	q, args := "SELECT count(*) FROM jobs WHERE run_at <= ?", []any{ms(dueBy)}
	if kind != "" {
		q += " AND kind = ?"
		args = append(args, kind)
	}
	if ref > 0 {
		q += " AND ref = ?"
		args = append(args, ref)
	}
	var n int64
	err := s.w.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, wrap("count jobs", err)
}

func (s *Store) CountJobsByKind(ctx context.Context, dueBy time.Time) ([]storage.JobCount, error) {
	// One pass over jobs_due (kind, run_at), which covers the query.
	rows, err := s.r.QueryContext(ctx, "SELECT kind, count(*), count(CASE WHEN run_at <= ? THEN 1 END) FROM jobs GROUP BY kind", ms(dueBy))
	if err != nil {
		return nil, wrap("count jobs by kind", err)
	}
	defer rows.Close()
	var out []storage.JobCount
	for rows.Next() {
		var c storage.JobCount
		if err := rows.Scan(&c.Kind, &c.All, &c.Due); err != nil {
			return nil, wrap("count jobs by kind", err)
		}
		out = append(out, c)
	}
	return out, wrap("count jobs by kind", rows.Err())
}

func (s *Store) DeleteJobs(ctx context.Context, kind, key string) (int64, error) {
	res, err := s.w.ExecContext(ctx, "DELETE FROM jobs WHERE kind = ? AND key = ? AND locked_by = ''", kind, key)
	if err != nil {
		return 0, wrap("delete jobs", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("delete jobs", err)
}

func (s *Store) SchedulePeriodic(ctx context.Context, name string, now, next time.Time, job storage.Job) (time.Time, error) {
	// Read first, outside a write transaction: most calls find the
	// period not due yet.
	var at int64
	err := s.r.QueryRowContext(ctx, "SELECT next_run FROM job_schedules WHERE name = ?", name).Scan(&at)
	if err == nil && at > ms(now) {
		return fromMs(at), nil
	} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, wrap("schedule periodic", err)
	}
	nextRun := next
	err = s.tx(ctx, func(tx *sql.Tx) error {
		// Whoever moves the schedule inserts the job; a runner that lost
		// the race sees the moved schedule.
		res, err := tx.ExecContext(ctx, `INSERT INTO job_schedules (name, next_run) VALUES (?1, ?2)
			ON CONFLICT(name) DO UPDATE SET next_run = excluded.next_run WHERE job_schedules.next_run <= ?3`,
			name, ms(next), ms(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tx.QueryRowContext(ctx, "SELECT next_run FROM job_schedules WHERE name = ?", name).Scan(&at)
		}
		at = ms(next)
		return insertJobs(ctx, tx, []storage.Job{job})
	})
	if err != nil {
		return time.Time{}, wrap("schedule periodic", err)
	}
	nextRun = fromMs(at)
	return nextRun, nil
}
