-- Issue 15 (item 12): the profile settings update_credentials keeps, the
-- attachments and poll in the edit history, and uploads kept for a
-- redraft after their status is deleted.

-- hide_collections: the followers and following lists are shown to their
-- owner only (their totals stay public). attribution_domains: the sites
-- allowed to credit the account as an article's author, one per line,
-- published as the actor's attributionDomains.
ALTER TABLE accounts ADD COLUMN hide_collections INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN attribution_domains TEXT NOT NULL DEFAULT '';

-- An earlier version's attachments (JSON array of {id, description,
-- focus_x, focus_y}) and poll (JSON {options, multiple}; '' for none), as
-- Mastodon's StatusEdit shows them.
ALTER TABLE status_edits ADD COLUMN media TEXT NOT NULL DEFAULT '';
ALTER TABLE status_edits ADD COLUMN poll TEXT NOT NULL DEFAULT '';

-- Uploads on no status are pruned a day after they were last attached or
-- changed (a deleted status's media wait there to be redrafted).
CREATE INDEX media_attachments_detached ON media_attachments(updated_at) WHERE status_id IS NULL;
