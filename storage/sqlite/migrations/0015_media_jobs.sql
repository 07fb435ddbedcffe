-- Media work moves onto the job runtime (0013), and the media sweep stops
-- racing the writers of file keys.
--
-- The sweep deletes a key's file only once the key has been garbage for a
-- grace period (storage.MediaGarbageGrace) and no row names it (see
-- MediaGarbage): a row written back from a copy read before its key was
-- dropped names the key again, and its file must stay. That check looks up
-- each garbage key in every column that holds file keys, hence these
-- indexes (partial: most remote rows have no file yet).
CREATE INDEX media_attachments_file_key ON media_attachments(file_key) WHERE file_key <> '';
CREATE INDEX media_attachments_preview_key ON media_attachments(preview_key) WHERE preview_key <> '';
CREATE INDEX account_media_file_key ON account_media(file_key) WHERE file_key <> '';
CREATE INDEX custom_emojis_file_key ON custom_emojis(file_key) WHERE file_key <> '';
CREATE INDEX custom_emojis_static_key ON custom_emojis(static_key) WHERE static_key <> '';
CREATE INDEX preview_cards_image_key ON preview_cards(image_key) WHERE image_key <> '';
CREATE INDEX media_garbage_added ON media_garbage(added_at);

-- The grace period counts from the last time a row stopped naming a key:
-- the triggers of 0007 keep the first time (INSERT OR IGNORE), so a key
-- named again and then dropped again could go at once. A BEFORE trigger
-- runs ahead of the conflict that makes their insert a no-op, and moves
-- the listing's time forward instead.
CREATE TRIGGER media_garbage_listed_again BEFORE INSERT ON media_garbage
    WHEN EXISTS (SELECT 1 FROM media_garbage WHERE key = NEW.key) BEGIN
    UPDATE media_garbage SET added_at = NEW.added_at WHERE key = NEW.key;
END;

-- Uploads left processing by a server of an older version (which queued
-- them again at every start) get the job that now carries that work
-- (internal/core/jobs.go: kind media.process, payload {"id": media id}).
INSERT OR IGNORE INTO jobs (kind, payload, run_at, unique_key, created_at)
    SELECT 'media.process', json_object('id', id), CAST(strftime('%s', 'now') AS INTEGER) * 1000,
           'media.process:' || id, CAST(strftime('%s', 'now') AS INTEGER) * 1000
    FROM media_attachments WHERE processing = 1;
