-- Collections (Mastodon 4.6's featured collections): named lists of
-- accounts an account recommends to others.
CREATE TABLE collections (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    language     TEXT    NOT NULL DEFAULT '',
    tag_id       INTEGER REFERENCES tags(id) ON DELETE SET NULL,
    sensitive    INTEGER NOT NULL DEFAULT 0,
    discoverable INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX collections_account ON collections(account_id, id);

CREATE TABLE collection_items (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    state         TEXT    NOT NULL DEFAULT 'accepted', -- pending, accepted, rejected, revoked
    position      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX collection_items_pair ON collection_items(collection_id, account_id);
CREATE INDEX collection_items_account ON collection_items(account_id, collection_id);
