-- Rate-limit counts that the processes serving one instance share
-- (internal/ratelimit Share): each adds what it counted about once a
-- second and reads the totals.
CREATE TABLE rate_limits (
    name         TEXT   NOT NULL,
    key          TEXT   NOT NULL,
    window_start BIGINT NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (name, key, window_start)
);
CREATE INDEX rate_limits_window ON rate_limits(window_start);
