-- PostgreSQL counterpart of the SQLite migration 0039.
ALTER TABLE accounts ADD COLUMN hide_collections BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN attribution_domains TEXT NOT NULL DEFAULT '';
ALTER TABLE status_edits ADD COLUMN media TEXT NOT NULL DEFAULT '';
ALTER TABLE status_edits ADD COLUMN poll TEXT NOT NULL DEFAULT '';
CREATE INDEX media_attachments_detached ON media_attachments(updated_at) WHERE status_id IS NULL;
