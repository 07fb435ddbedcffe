-- The admin dashboard's measures and the trends (issue 15 item 11).
--
-- A user's active days: one row per user per day they used the API or the
-- web (core writes it at most once per user per day). Daily active users,
-- the active_users measure and the retention cohorts read it by day range.
CREATE TABLE user_activity_days (
    day     INTEGER NOT NULL, -- days since 1970-01-01, UTC
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (day, user_id)
);
CREATE INDEX user_activity_days_user ON user_activity_days(user_id, day);

-- resolved_reports reads reports by the time they were resolved.
CREATE INDEX reports_resolved ON reports(action_taken_at) WHERE action_taken_at IS NOT NULL;

-- The trends the periodic job computed last: tags, statuses and links
-- (preview cards) with their score, highest first.
CREATE TABLE trends (
    kind        TEXT    NOT NULL, -- 'tag', 'status', 'link'
    item_id     INTEGER NOT NULL,
    score       REAL    NOT NULL,
    computed_at INTEGER NOT NULL,
    PRIMARY KEY (kind, item_id)
);
CREATE INDEX trends_rank ON trends(kind, score);

-- What moderators decided about an item's trending: approved (trendable 1)
-- or rejected (0). No row: not reviewed yet. kind 'account' allows (or
-- not) every post of an account to trend.
CREATE TABLE trend_reviews (
    kind        TEXT    NOT NULL, -- 'tag', 'status', 'link', 'account'
    item_id     INTEGER NOT NULL,
    trendable   INTEGER NOT NULL,
    reviewed_by INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    reviewed_at INTEGER NOT NULL,
    PRIMARY KEY (kind, item_id)
);
