-- jobs: the one table of background work (internal/jobs). A job is written
-- in the transaction of the change that asks for it; a runner leases it
-- (locked_by, locked_until) while it works and deletes it when done. A
-- lease that ran out (its runner died) makes the job claimable again.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: outbox activities take their ids from it
    kind         TEXT    NOT NULL,
    key          TEXT    NOT NULL DEFAULT '', -- limit group: remote host, signer
    ref          INTEGER NOT NULL DEFAULT 0,  -- the record worked for (signing account)
    payload      TEXT    NOT NULL DEFAULT '{}',
    run_at       INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    locked_by    TEXT    NOT NULL DEFAULT '',
    locked_until INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT    NOT NULL DEFAULT '',
    unique_key   TEXT,
    created_at   INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs(kind, run_at, id);
CREATE INDEX jobs_leased ON jobs(kind, key) WHERE locked_by <> '';
CREATE INDEX jobs_owner ON jobs(locked_by) WHERE locked_by <> '';
CREATE INDEX jobs_ref ON jobs(kind, ref) WHERE ref <> 0;
CREATE UNIQUE INDEX jobs_unique ON jobs(unique_key) WHERE unique_key IS NOT NULL;

-- job_schedules: the next run of each periodic job, moved forward by the
-- runner that enqueues it (one per period across runners).
CREATE TABLE job_schedules (
    name     TEXT    PRIMARY KEY,
    next_run INTEGER NOT NULL
) WITHOUT ROWID;
