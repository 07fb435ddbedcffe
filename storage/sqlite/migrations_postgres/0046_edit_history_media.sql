-- PostgreSQL counterpart of the SQLite migration 0046.
ALTER TABLE media_attachments ADD COLUMN history_status_id BIGINT REFERENCES statuses(id) ON DELETE CASCADE;
CREATE INDEX media_attachments_history ON media_attachments(history_status_id) WHERE history_status_id IS NOT NULL;
-- The uploads on no status that the prune looks through leave out these.
DROP INDEX media_attachments_detached;
CREATE INDEX media_attachments_detached ON media_attachments(updated_at) WHERE status_id IS NULL AND history_status_id IS NULL;
