-- Herald's first schema. Times are Unix milliseconds (INTEGER). IDs are
-- time-sortable 64-bit integers (see internal/id), rendered as strings in the API.
-- Booleans are INTEGER 0/1. Local accounts have domain = ''.

CREATE TABLE accounts (
    id               INTEGER PRIMARY KEY,
    username         TEXT    NOT NULL,
    domain           TEXT    NOT NULL DEFAULT '',
    display_name     TEXT    NOT NULL DEFAULT '',
    note             TEXT    NOT NULL DEFAULT '',   -- HTML
    note_source      TEXT    NOT NULL DEFAULT '',   -- plain text, local only
    fields           TEXT    NOT NULL DEFAULT '[]', -- JSON [{name,value,verified_at}]
    locked           INTEGER NOT NULL DEFAULT 0,
    bot              INTEGER NOT NULL DEFAULT 0,
    discoverable     INTEGER NOT NULL DEFAULT 1,
    actor_type       TEXT    NOT NULL DEFAULT 'Person',
    uri              TEXT    NOT NULL,              -- ActivityPub id
    url              TEXT    NOT NULL DEFAULT '',   -- HTML profile
    inbox_url        TEXT    NOT NULL DEFAULT '',
    shared_inbox_url TEXT    NOT NULL DEFAULT '',
    outbox_url       TEXT    NOT NULL DEFAULT '',
    followers_url    TEXT    NOT NULL DEFAULT '',
    following_url    TEXT    NOT NULL DEFAULT '',
    featured_url     TEXT    NOT NULL DEFAULT '',
    key_id           TEXT    NOT NULL DEFAULT '',
    public_key_pem   TEXT    NOT NULL DEFAULT '',
    private_key_pem  TEXT    NOT NULL DEFAULT '',   -- local accounts only
    avatar_url       TEXT    NOT NULL DEFAULT '',   -- remote accounts
    header_url       TEXT    NOT NULL DEFAULT '',
    statuses_count   INTEGER NOT NULL DEFAULT 0,
    followers_count  INTEGER NOT NULL DEFAULT 0,
    following_count  INTEGER NOT NULL DEFAULT 0,
    last_status_at   INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    fetched_at       INTEGER,                       -- remote: last refresh
    suspended_at     INTEGER,
    silenced_at      INTEGER,
    gone_at          INTEGER,                       -- remote: answered 410
    moved_to_id      INTEGER REFERENCES accounts(id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX accounts_username_domain ON accounts(lower(username), domain);
CREATE UNIQUE INDEX accounts_uri ON accounts(uri);
CREATE INDEX accounts_domain ON accounts(domain) WHERE domain <> '';
CREATE INDEX accounts_key_id ON accounts(key_id) WHERE key_id <> '';

-- users: the local people who sign in; one per local account.
CREATE TABLE users (
    id                 INTEGER PRIMARY KEY,
    account_id         INTEGER NOT NULL UNIQUE REFERENCES accounts(id) ON DELETE CASCADE,
    email              TEXT    NOT NULL,
    password_hash      TEXT    NOT NULL,
    role               TEXT    NOT NULL DEFAULT 'user',
    approved           INTEGER NOT NULL DEFAULT 1,
    confirmed_at       INTEGER,
    disabled           INTEGER NOT NULL DEFAULT 0,
    locale             TEXT    NOT NULL DEFAULT 'en',
    default_visibility TEXT    NOT NULL DEFAULT 'public',
    default_sensitive  INTEGER NOT NULL DEFAULT 0,
    default_language   TEXT    NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL,
    last_sign_in_at    INTEGER
);
CREATE UNIQUE INDEX users_email ON users(lower(email));

CREATE TABLE apps (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    website       TEXT    NOT NULL DEFAULT '',
    redirect_uris TEXT    NOT NULL,           -- newline separated
    scopes        TEXT    NOT NULL,           -- space separated
    client_id     TEXT    NOT NULL UNIQUE,
    client_secret TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

-- tokens are stored as SHA-256 hashes; the plain token is shown once.
CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY,
    token_hash   BLOB    NOT NULL UNIQUE,
    app_id       INTEGER REFERENCES apps(id) ON DELETE CASCADE,
    user_id      INTEGER REFERENCES users(id) ON DELETE CASCADE, -- NULL: app-only token
    scopes       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX tokens_user ON tokens(user_id);
CREATE INDEX tokens_app ON tokens(app_id);

CREATE TABLE auth_codes (
    code_hash             BLOB    PRIMARY KEY,
    app_id                INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id               INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    redirect_uri          TEXT    NOT NULL,
    scopes                TEXT    NOT NULL,
    code_challenge        TEXT    NOT NULL DEFAULT '',
    code_challenge_method TEXT    NOT NULL DEFAULT '',
    expires_at            INTEGER NOT NULL
) WITHOUT ROWID;

-- visibility: 0 public, 1 unlisted, 2 private (followers), 3 direct.
CREATE TABLE statuses (
    id                     INTEGER PRIMARY KEY,
    uri                    TEXT    NOT NULL,
    url                    TEXT    NOT NULL DEFAULT '',
    account_id             INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    local                  INTEGER NOT NULL,
    in_reply_to_id         INTEGER,
    in_reply_to_account_id INTEGER,
    in_reply_to_uri        TEXT    NOT NULL DEFAULT '',
    reblog_of_id           INTEGER REFERENCES statuses(id) ON DELETE CASCADE,
    content                TEXT    NOT NULL DEFAULT '',  -- HTML
    text                   TEXT    NOT NULL DEFAULT '',  -- source, local only
    spoiler_text           TEXT    NOT NULL DEFAULT '',
    sensitive              INTEGER NOT NULL DEFAULT 0,
    visibility             INTEGER NOT NULL DEFAULT 0,
    language               TEXT    NOT NULL DEFAULT '',
    app_id                 INTEGER REFERENCES apps(id) ON DELETE SET NULL,
    replies_count          INTEGER NOT NULL DEFAULT 0,
    reblogs_count          INTEGER NOT NULL DEFAULT 0,
    favourites_count       INTEGER NOT NULL DEFAULT 0,
    created_at             INTEGER NOT NULL,
    edited_at              INTEGER
);
CREATE UNIQUE INDEX statuses_uri ON statuses(uri);
CREATE INDEX statuses_account ON statuses(account_id, id);
CREATE INDEX statuses_reply ON statuses(in_reply_to_id) WHERE in_reply_to_id IS NOT NULL;
CREATE INDEX statuses_reblog ON statuses(reblog_of_id) WHERE reblog_of_id IS NOT NULL;
CREATE INDEX statuses_public ON statuses(id) WHERE visibility = 0 AND reblog_of_id IS NULL;
CREATE INDEX statuses_public_local ON statuses(id) WHERE visibility = 0 AND reblog_of_id IS NULL AND local = 1;

-- Objects that existed here and were deleted: fetches answer 410.
CREATE TABLE tombstones (
    uri        TEXT    PRIMARY KEY,
    deleted_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE mentions (
    status_id  INTEGER NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    PRIMARY KEY (status_id, account_id)
) WITHOUT ROWID;
CREATE INDEX mentions_account ON mentions(account_id, status_id);

CREATE TABLE tags (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,  -- normalised: lower case
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX tags_name ON tags(name);

CREATE TABLE status_tags (
    tag_id    INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    status_id INTEGER NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,
    PRIMARY KEY (tag_id, status_id)
) WITHOUT ROWID;
CREATE INDEX status_tags_status ON status_tags(status_id);

CREATE TABLE favourites (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    status_id  INTEGER NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,
    uri        TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX favourites_account_status ON favourites(account_id, status_id);
CREATE INDEX favourites_status ON favourites(status_id);

CREATE TABLE bookmarks (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    status_id  INTEGER NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX bookmarks_account_status ON bookmarks(account_id, status_id);
CREATE INDEX bookmarks_status ON bookmarks(status_id);

CREATE TABLE pins (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    status_id  INTEGER NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX pins_account_status ON pins(account_id, status_id);
CREATE INDEX pins_status ON pins(status_id);

CREATE TABLE follows (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    target_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    uri          TEXT    NOT NULL DEFAULT '',
    show_reblogs INTEGER NOT NULL DEFAULT 1,
    notify       INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX follows_pair ON follows(account_id, target_id);
CREATE INDEX follows_target ON follows(target_id, account_id);

CREATE TABLE follow_requests (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    target_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    uri          TEXT    NOT NULL DEFAULT '',
    show_reblogs INTEGER NOT NULL DEFAULT 1,
    notify       INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX follow_requests_pair ON follow_requests(account_id, target_id);
CREATE INDEX follow_requests_target ON follow_requests(target_id, id);

CREATE TABLE blocks (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    target_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    uri        TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX blocks_pair ON blocks(account_id, target_id);
CREATE INDEX blocks_target ON blocks(target_id, account_id);

CREATE TABLE mutes (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    target_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    notifications INTEGER NOT NULL DEFAULT 1,
    expires_at    INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX mutes_pair ON mutes(account_id, target_id);

CREATE TABLE account_notes (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    target_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    comment    TEXT    NOT NULL,
    PRIMARY KEY (account_id, target_id)
) WITHOUT ROWID;

-- home_feed is the materialised home timeline: one row per status a local
-- account should see, written when the status arrives (fan-out on write), so
-- that a page is an index range scan whatever the size of statuses.
CREATE TABLE home_feed (
    account_id INTEGER NOT NULL,
    status_id  INTEGER NOT NULL,
    author_id  INTEGER NOT NULL,  -- whose status (or boost) it is: unfollow removes by it
    PRIMARY KEY (account_id, status_id)
) WITHOUT ROWID;
CREATE INDEX home_feed_status ON home_feed(status_id);
CREATE INDEX home_feed_author ON home_feed(account_id, author_id);

CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    from_account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    type            TEXT    NOT NULL,
    status_id       INTEGER REFERENCES statuses(id) ON DELETE CASCADE,
    created_at      INTEGER NOT NULL
);
CREATE INDEX notifications_account ON notifications(account_id, id);
CREATE INDEX notifications_status ON notifications(status_id) WHERE status_id IS NOT NULL;
CREATE UNIQUE INDEX notifications_once ON notifications(account_id, from_account_id, type, ifnull(status_id, 0));

CREATE TABLE lists (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    title          TEXT    NOT NULL,
    replies_policy TEXT    NOT NULL DEFAULT 'list',
    exclusive      INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);
CREATE INDEX lists_account ON lists(account_id);

CREATE TABLE list_accounts (
    list_id    INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    PRIMARY KEY (list_id, account_id)
) WITHOUT ROWID;
CREATE INDEX list_accounts_account ON list_accounts(account_id);

CREATE TABLE filters (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    title         TEXT    NOT NULL,
    context       TEXT    NOT NULL,           -- comma separated
    filter_action TEXT    NOT NULL DEFAULT 'warn',
    expires_at    INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE INDEX filters_account ON filters(account_id);

CREATE TABLE filter_keywords (
    id         INTEGER PRIMARY KEY,
    filter_id  INTEGER NOT NULL REFERENCES filters(id) ON DELETE CASCADE,
    keyword    TEXT    NOT NULL,
    whole_word INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX filter_keywords_filter ON filter_keywords(filter_id);

CREATE TABLE filter_statuses (
    id        INTEGER PRIMARY KEY,
    filter_id INTEGER NOT NULL REFERENCES filters(id) ON DELETE CASCADE,
    status_id INTEGER NOT NULL
);
CREATE INDEX filter_statuses_filter ON filter_statuses(filter_id);

CREATE TABLE markers (
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    timeline     TEXT    NOT NULL,
    last_read_id TEXT    NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, timeline)
) WITHOUT ROWID;

-- Idempotency-Key on POST /api/v1/statuses: a retried request gets the same status.
CREATE TABLE idempotency_keys (
    account_id INTEGER NOT NULL,
    key        TEXT    NOT NULL,
    status_id  INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;

-- settings: instance-wide values (secrets, the instance actor's keys, ...).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- outbox_events: what local activity must be federated, written in the same
-- transaction as the change itself. The federation engine turns each into
-- deliveries and marks it done, so a crash loses nothing.
CREATE TABLE outbox_events (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,
    account_id INTEGER NOT NULL,           -- the local actor
    object_id  INTEGER NOT NULL DEFAULT 0, -- status, account, ... by kind
    payload    TEXT    NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);

-- deliveries: one signed POST to one inbox, retried with backoff.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    inbox_url       TEXT    NOT NULL,
    host            TEXT    NOT NULL,
    signer_id       INTEGER NOT NULL,      -- account whose key signs (0: instance actor)
    activity        TEXT    NOT NULL,      -- JSON
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at);

-- inbox_queue: verified incoming activities, persisted before the 202.
CREATE TABLE inbox_queue (
    id          INTEGER PRIMARY KEY,
    activity_id TEXT    NOT NULL,
    signer_uri  TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    received_at INTEGER NOT NULL
);

-- seen_activities: inbound dedupe by activity id.
CREATE TABLE seen_activities (
    uri         TEXT    PRIMARY KEY,
    received_at INTEGER NOT NULL
) WITHOUT ROWID;

-- remote_domains: delivery health per host.
CREATE TABLE remote_domains (
    domain            TEXT    PRIMARY KEY,
    failure_days      INTEGER NOT NULL DEFAULT 0,
    last_failure_day  TEXT    NOT NULL DEFAULT '',
    unavailable_since INTEGER
) WITHOUT ROWID;
