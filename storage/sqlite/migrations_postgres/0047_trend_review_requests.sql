-- PostgreSQL counterpart of the SQLite migration 0047: trend review
-- requests and the staff e-mail preference for them.
CREATE TABLE trend_review_requests (
    kind         TEXT   NOT NULL,
    item_id      BIGINT NOT NULL,
    requested_at BIGINT NOT NULL,
    PRIMARY KEY (kind, item_id)
);

ALTER TABLE users ADD COLUMN email_on_trends BIGINT NOT NULL DEFAULT 1;
