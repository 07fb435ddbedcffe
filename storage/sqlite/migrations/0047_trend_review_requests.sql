-- Trending items that staff were told await their review (Mastodon's
-- requested_review_at): each is mailed about once, when a trends refresh
-- first finds it unreviewed and high enough.
CREATE TABLE trend_review_requests (
    kind         TEXT    NOT NULL, -- 'tag', 'status', 'link'
    item_id      INTEGER NOT NULL,
    requested_at INTEGER NOT NULL,
    PRIMARY KEY (kind, item_id)
);

-- Staff e-mail preference for new trends (Mastodon's
-- notification_emails.trends, on by default).
ALTER TABLE users ADD COLUMN email_on_trends INTEGER NOT NULL DEFAULT 1;
