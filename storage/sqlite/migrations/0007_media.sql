-- Media: uploads and remote attachments, account images, custom emoji and
-- link preview cards. Files live in the media file store under keys; a row
-- names its files by key. Whenever a row goes away or stops naming a file
-- (deleted, cascaded from a status or an account, pruned, replaced), the
-- triggers below put the key into media_garbage, and Herald's media sweeper
-- deletes the file and the garbage row: no code path can leak files.

CREATE TABLE media_attachments (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    status_id    INTEGER REFERENCES statuses(id) ON DELETE CASCADE, -- NULL until attached
    position     INTEGER NOT NULL DEFAULT 0,
    type         TEXT    NOT NULL DEFAULT 'unknown', -- image, gifv, video, audio, unknown
    content_type TEXT    NOT NULL DEFAULT '',
    file_key     TEXT    NOT NULL DEFAULT '',
    preview_key  TEXT    NOT NULL DEFAULT '',
    file_size    INTEGER NOT NULL DEFAULT 0,
    meta         TEXT    NOT NULL DEFAULT '{}',      -- JSON, Mastodon's meta without focus
    blurhash     TEXT    NOT NULL DEFAULT '',
    description  TEXT    NOT NULL DEFAULT '',
    focus_x      REAL    NOT NULL DEFAULT 0,
    focus_y      REAL    NOT NULL DEFAULT 0,
    remote_url   TEXT    NOT NULL DEFAULT '',        -- remote attachments
    processing   INTEGER NOT NULL DEFAULT 0,         -- 0 ready, 1 pending, 2 failed
    cached_at    INTEGER,                            -- remote: files fetched at
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX media_attachments_status ON media_attachments(status_id, position) WHERE status_id IS NOT NULL;
CREATE INDEX media_attachments_unattached ON media_attachments(created_at) WHERE status_id IS NULL;
CREATE INDEX media_attachments_account ON media_attachments(account_id);
CREATE INDEX media_attachments_cached ON media_attachments(cached_at) WHERE cached_at IS NOT NULL;
CREATE INDEX media_attachments_pending ON media_attachments(id) WHERE processing = 1;

-- account_media: avatars and headers. Local accounts: the uploaded file
-- (accounts.avatar_url/header_url hold its URL). Remote accounts: the
-- cached copy of the image at remote_url.
CREATE TABLE account_media (
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,                   -- avatar, header
    remote_url   TEXT    NOT NULL DEFAULT '',
    file_key     TEXT    NOT NULL DEFAULT '',
    content_type TEXT    NOT NULL DEFAULT '',
    cached_at    INTEGER,
    PRIMARY KEY (account_id, kind)
) WITHOUT ROWID;
CREATE INDEX account_media_cached ON account_media(cached_at) WHERE cached_at IS NOT NULL;

-- custom_emojis: local ones (domain '') are managed by admins; remote ones
-- arrive as Emoji tags and are cached like other remote media.
CREATE TABLE custom_emojis (
    id                INTEGER PRIMARY KEY,
    shortcode         TEXT    NOT NULL,
    domain            TEXT    NOT NULL DEFAULT '',
    uri               TEXT    NOT NULL DEFAULT '',
    image_remote_url  TEXT    NOT NULL DEFAULT '',
    file_key          TEXT    NOT NULL DEFAULT '',
    static_key        TEXT    NOT NULL DEFAULT '',
    content_type      TEXT    NOT NULL DEFAULT '',
    category          TEXT    NOT NULL DEFAULT '',
    visible_in_picker INTEGER NOT NULL DEFAULT 1,
    disabled          INTEGER NOT NULL DEFAULT 0,
    cached_at         INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX custom_emojis_shortcode_domain ON custom_emojis(shortcode, domain);
CREATE INDEX custom_emojis_cached ON custom_emojis(cached_at) WHERE cached_at IS NOT NULL AND domain <> '';

-- preview_cards: one per URL; status_cards: the card of a status (its first link).
CREATE TABLE preview_cards (
    id               INTEGER PRIMARY KEY,
    url              TEXT    NOT NULL UNIQUE,
    title            TEXT    NOT NULL DEFAULT '',
    description      TEXT    NOT NULL DEFAULT '',
    type             TEXT    NOT NULL DEFAULT 'link',
    author_name      TEXT    NOT NULL DEFAULT '',
    author_url       TEXT    NOT NULL DEFAULT '',
    provider_name    TEXT    NOT NULL DEFAULT '',
    provider_url     TEXT    NOT NULL DEFAULT '',
    html             TEXT    NOT NULL DEFAULT '',
    embed_url        TEXT    NOT NULL DEFAULT '',
    language         TEXT    NOT NULL DEFAULT '',
    width            INTEGER NOT NULL DEFAULT 0,
    height           INTEGER NOT NULL DEFAULT 0,
    image_key        TEXT    NOT NULL DEFAULT '',
    image_remote_url TEXT    NOT NULL DEFAULT '',
    blurhash         TEXT    NOT NULL DEFAULT '',
    published_at     INTEGER,
    fetched_at       INTEGER NOT NULL,
    failed           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX preview_cards_fetched ON preview_cards(fetched_at);

CREATE TABLE status_cards (
    status_id INTEGER PRIMARY KEY REFERENCES statuses(id) ON DELETE CASCADE,
    card_id   INTEGER NOT NULL REFERENCES preview_cards(id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX status_cards_card ON status_cards(card_id);

-- Files waiting to be deleted from the media store.
CREATE TABLE media_garbage (
    key      TEXT    PRIMARY KEY,
    added_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER media_attachments_files_deleted AFTER DELETE ON media_attachments BEGIN
    INSERT OR IGNORE INTO media_garbage (key, added_at)
        SELECT k, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM (SELECT old.file_key AS k UNION ALL SELECT old.preview_key) WHERE k <> '';
END;
CREATE TRIGGER media_attachments_files_replaced AFTER UPDATE OF file_key, preview_key ON media_attachments BEGIN
    INSERT OR IGNORE INTO media_garbage (key, added_at)
        SELECT k, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM (
            SELECT old.file_key AS k WHERE old.file_key NOT IN (new.file_key, new.preview_key)
            UNION ALL SELECT old.preview_key WHERE old.preview_key NOT IN (new.file_key, new.preview_key)) WHERE k <> '';
END;
CREATE TRIGGER account_media_files_deleted AFTER DELETE ON account_media BEGIN
    INSERT OR IGNORE INTO media_garbage (key, added_at)
        SELECT old.file_key, CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE old.file_key <> '';
END;
CREATE TRIGGER account_media_files_replaced AFTER UPDATE OF file_key ON account_media
    WHEN old.file_key <> '' AND old.file_key <> new.file_key BEGIN
    INSERT OR IGNORE INTO media_garbage (key, added_at) VALUES (old.file_key, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
END;
CREATE TRIGGER custom_emojis_files_deleted AFTER DELETE ON custom_emojis BEGIN
    INSERT OR IGNORE INTO media_garbage (key, added_at)
        SELECT k, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM (SELECT old.file_key AS k UNION ALL SELECT old.static_key) WHERE k <> '';
END;
CREATE TRIGGER custom_emojis_files_replaced AFTER UPDATE OF file_key, static_key ON custom_emojis BEGIN
    INSERT OR IGNORE INTO media_garbage (key, added_at)
        SELECT k, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM (
            SELECT old.file_key AS k WHERE old.file_key NOT IN (new.file_key, new.static_key)
            UNION ALL SELECT old.static_key WHERE old.static_key NOT IN (new.file_key, new.static_key)) WHERE k <> '';
END;
CREATE TRIGGER preview_cards_files_deleted AFTER DELETE ON preview_cards BEGIN
    INSERT OR IGNORE INTO media_garbage (key, added_at)
        SELECT old.image_key, CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE old.image_key <> '';
END;
CREATE TRIGGER preview_cards_files_replaced AFTER UPDATE OF image_key ON preview_cards
    WHEN old.image_key <> '' AND old.image_key <> new.image_key BEGIN
    INSERT OR IGNORE INTO media_garbage (key, added_at) VALUES (old.image_key, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
END;
