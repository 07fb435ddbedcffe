-- Issue 15: an attachment that an edit removes from a status stays for
-- the status's edit history (as Mastodon keeps it): detached from the
-- status (status_id NULL), it names the status whose earlier versions
-- show it, and goes when that status is deleted.
ALTER TABLE media_attachments ADD COLUMN history_status_id INTEGER REFERENCES statuses(id) ON DELETE CASCADE;
CREATE INDEX media_attachments_history ON media_attachments(history_status_id) WHERE history_status_id IS NOT NULL;
-- The uploads on no status that the prune looks through leave out these.
DROP INDEX media_attachments_detached;
CREATE INDEX media_attachments_detached ON media_attachments(updated_at) WHERE status_id IS NULL AND history_status_id IS NULL;
