-- PostgreSQL counterpart of the SQLite migration 0036: active days, trends
-- and their reviews.
CREATE TABLE user_activity_days (
    day     BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (day, user_id)
);
CREATE INDEX user_activity_days_user ON user_activity_days(user_id, day);

CREATE INDEX reports_resolved ON reports(action_taken_at) WHERE action_taken_at IS NOT NULL;

CREATE TABLE trends (
    kind        TEXT             NOT NULL,
    item_id     BIGINT           NOT NULL,
    score       DOUBLE PRECISION NOT NULL,
    computed_at BIGINT           NOT NULL,
    PRIMARY KEY (kind, item_id)
);
CREATE INDEX trends_rank ON trends(kind, score);

CREATE TABLE trend_reviews (
    kind        TEXT   NOT NULL,
    item_id     BIGINT NOT NULL,
    trendable   BIGINT NOT NULL,
    reviewed_by BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    reviewed_at BIGINT NOT NULL,
    PRIMARY KEY (kind, item_id)
);
