-- Statuses, part two: indexes that let favourites and bookmarks page by
-- their own ids, finding a favourite by its Like id, and edit history.
CREATE INDEX favourites_account ON favourites(account_id, id);
CREATE INDEX bookmarks_account ON bookmarks(account_id, id);
CREATE INDEX favourites_uri ON favourites(uri) WHERE uri <> '';
CREATE INDEX statuses_direct ON statuses(id) WHERE visibility = 3;

-- status_edits: the earlier versions of an edited status (the current one
-- is the statuses row), oldest first by id.
CREATE TABLE status_edits (
    id           INTEGER PRIMARY KEY,
    status_id    INTEGER NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,
    content      TEXT    NOT NULL,
    spoiler_text TEXT    NOT NULL DEFAULT '',
    sensitive    INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL  -- when this version was written
);
CREATE INDEX status_edits_status ON status_edits(status_id, id);
