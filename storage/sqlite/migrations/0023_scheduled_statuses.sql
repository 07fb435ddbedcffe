-- Scheduled statuses (issue 15): posts to publish later, each with its
-- "status.publish_scheduled" job queued in the same transaction.
CREATE TABLE scheduled_statuses (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    scheduled_at INTEGER NOT NULL,
    params       TEXT    NOT NULL,  -- the post's parameters, JSON
    app_id       INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);
CREATE INDEX scheduled_statuses_account ON scheduled_statuses (account_id, id);

-- An upload named by a scheduled post is kept (not pruned as unattached)
-- until the post is published or the schedule deleted.
ALTER TABLE media_attachments ADD COLUMN scheduled_status_id INTEGER REFERENCES scheduled_statuses(id) ON DELETE SET NULL;
CREATE INDEX media_attachments_scheduled ON media_attachments (scheduled_status_id) WHERE scheduled_status_id IS NOT NULL;
