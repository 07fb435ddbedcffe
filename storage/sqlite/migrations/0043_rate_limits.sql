-- Rate-limit counts that the processes serving one instance on PostgreSQL
-- share (internal/ratelimit Share): each adds what it counted about once a
-- second and reads the totals. One process on SQLite counts in memory and
-- leaves the table empty; it exists for the schemas to match.
CREATE TABLE rate_limits (
    name         TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (name, key, window_start)
);
CREATE INDEX rate_limits_window ON rate_limits(window_start);
