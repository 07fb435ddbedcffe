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
-- the triggers of 0007 kept the first time (INSERT OR IGNORE), so a key
-- named again and then dropped again could go at once. They replace the
-- listing now.
DROP TRIGGER media_attachments_files_deleted;
DROP TRIGGER media_attachments_files_replaced;
DROP TRIGGER account_media_files_deleted;
DROP TRIGGER account_media_files_replaced;
DROP TRIGGER custom_emojis_files_deleted;
DROP TRIGGER custom_emojis_files_replaced;
DROP TRIGGER preview_cards_files_deleted;
DROP TRIGGER preview_cards_files_replaced;

CREATE TRIGGER media_attachments_files_deleted AFTER DELETE ON media_attachments BEGIN
    INSERT OR REPLACE INTO media_garbage (key, added_at)
        SELECT k, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM (SELECT old.file_key AS k UNION ALL SELECT old.preview_key) WHERE k <> '';
END;
CREATE TRIGGER media_attachments_files_replaced AFTER UPDATE OF file_key, preview_key ON media_attachments BEGIN
    INSERT OR REPLACE INTO media_garbage (key, added_at)
        SELECT k, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM (
            SELECT old.file_key AS k WHERE old.file_key NOT IN (new.file_key, new.preview_key)
            UNION ALL SELECT old.preview_key WHERE old.preview_key NOT IN (new.file_key, new.preview_key)) WHERE k <> '';
END;
CREATE TRIGGER account_media_files_deleted AFTER DELETE ON account_media BEGIN
    INSERT OR REPLACE INTO media_garbage (key, added_at)
        SELECT old.file_key, CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE old.file_key <> '';
END;
CREATE TRIGGER account_media_files_replaced AFTER UPDATE OF file_key ON account_media
    WHEN old.file_key <> '' AND old.file_key <> new.file_key BEGIN
    INSERT OR REPLACE INTO media_garbage (key, added_at) VALUES (old.file_key, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
END;
CREATE TRIGGER custom_emojis_files_deleted AFTER DELETE ON custom_emojis BEGIN
    INSERT OR REPLACE INTO media_garbage (key, added_at)
        SELECT k, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM (SELECT old.file_key AS k UNION ALL SELECT old.static_key) WHERE k <> '';
END;
CREATE TRIGGER custom_emojis_files_replaced AFTER UPDATE OF file_key, static_key ON custom_emojis BEGIN
    INSERT OR REPLACE INTO media_garbage (key, added_at)
        SELECT k, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM (
            SELECT old.file_key AS k WHERE old.file_key NOT IN (new.file_key, new.static_key)
            UNION ALL SELECT old.static_key WHERE old.static_key NOT IN (new.file_key, new.static_key)) WHERE k <> '';
END;
CREATE TRIGGER preview_cards_files_deleted AFTER DELETE ON preview_cards BEGIN
    INSERT OR REPLACE INTO media_garbage (key, added_at)
        SELECT old.image_key, CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE old.image_key <> '';
END;
CREATE TRIGGER preview_cards_files_replaced AFTER UPDATE OF image_key ON preview_cards
    WHEN old.image_key <> '' AND old.image_key <> new.image_key BEGIN
    INSERT OR REPLACE INTO media_garbage (key, added_at) VALUES (old.image_key, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
END;

-- Uploads left processing by a server of an older version (which queued
-- them again at every start) get the job that now carries that work
-- (internal/core/jobs.go: kind media.process, payload {"id": media id}).
INSERT OR IGNORE INTO jobs (kind, payload, run_at, unique_key, created_at)
    SELECT 'media.process', json_object('id', id), CAST(strftime('%s', 'now') AS INTEGER) * 1000,
           'media.process:' || id, CAST(strftime('%s', 'now') AS INTEGER) * 1000
    FROM media_attachments WHERE processing = 1;
