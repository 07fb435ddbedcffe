-- Polls (issue 15): the poll of a status, local or remote, and the votes
-- cast here (by local accounts on any poll, by remote accounts on local
-- polls). A poll's expiry is a job ("poll.expire") queued with the status.

CREATE TABLE polls (
    status_id    INTEGER PRIMARY KEY REFERENCES statuses(id) ON DELETE CASCADE,
    options      TEXT    NOT NULL,  -- JSON array of the option titles
    counts       TEXT    NOT NULL,  -- JSON array of the votes per option
    multiple     INTEGER NOT NULL DEFAULT 0,
    hide_totals  INTEGER NOT NULL DEFAULT 0,
    expires_at   INTEGER,           -- NULL: no end announced
    closed_at    INTEGER,           -- set when it ended (expiry ran, or its server said so)
    votes_count  INTEGER NOT NULL DEFAULT 0,
    voters_count INTEGER NOT NULL DEFAULT 0
);

-- One row per chosen option; a voter of a single-choice poll has one.
CREATE TABLE poll_votes (
    id         INTEGER PRIMARY KEY,
    status_id  INTEGER NOT NULL REFERENCES polls(status_id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    choice     INTEGER NOT NULL,
    uri        TEXT    NOT NULL DEFAULT '',  -- the vote's ActivityPub id
    created_at INTEGER NOT NULL,
    UNIQUE (status_id, account_id, choice)
);
-- A viewer's own votes on a page of statuses.
CREATE INDEX poll_votes_account ON poll_votes (account_id, status_id);
