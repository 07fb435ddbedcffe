-- Registration, moderation and instance administration.

-- roles: the built-in roles (keys user, moderator, admin, owner, with
-- Mastodon's ids and permissions) and custom ones (key = id). users.role
-- holds the key. "user" is Mastodon's "everyone" role: its permissions
-- are every user's.
CREATE TABLE roles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    key         TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL DEFAULT '',
    color       TEXT    NOT NULL DEFAULT '',
    permissions INTEGER NOT NULL DEFAULT 0,
    position    INTEGER NOT NULL DEFAULT 0,
    highlighted INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
INSERT INTO roles (id, key, name, color, permissions, position, highlighted, created_at, updated_at) VALUES
    (-99, 'user', '', '', 0, -1, 0, 0, 0),
    (1, 'moderator', 'Moderator', '', 1308, 10, 1, 0, 0),
    (2, 'admin', 'Admin', '', 1048572, 100, 1, 0, 0),
    (3, 'owner', 'Owner', '', 1048575, 1000, 1, 0, 0);

CREATE TABLE invites (
    id         INTEGER PRIMARY KEY,
    code       TEXT    NOT NULL UNIQUE,
    created_by INTEGER,                      -- account id; NULL: command line
    role       TEXT    NOT NULL DEFAULT 'user',
    comment    TEXT    NOT NULL DEFAULT '',
    max_uses   INTEGER NOT NULL DEFAULT 0,   -- 0: unlimited
    uses       INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER,
    revoked_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX invites_created_by ON invites(created_by, id);

-- registrations: how each local user signed up.
CREATE TABLE registrations (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    invite_id  INTEGER,
    invited_by INTEGER,                      -- account id
    reason     TEXT    NOT NULL DEFAULT '',
    ip         TEXT    NOT NULL DEFAULT '',
    app_id     INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX registrations_invited_by ON registrations(invited_by) WHERE invited_by IS NOT NULL;

CREATE TABLE user_ips (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    ip      TEXT    NOT NULL,
    used_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, ip)
) WITHOUT ROWID;
CREATE INDEX user_ips_ip ON user_ips(ip);

-- user_tokens: one-time tokens mailed to users (e-mail confirmation,
-- password reset), stored as SHA-256 hashes.
CREATE TABLE user_tokens (
    token_hash BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX user_tokens_user ON user_tokens(user_id, kind);

-- account_moderation: moderation state not kept in accounts.
CREATE TABLE account_moderation (
    account_id    INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    sensitized_at INTEGER
);

CREATE TABLE account_warnings (
    id                INTEGER PRIMARY KEY,
    account_id        INTEGER,                 -- the moderator
    target_account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    action            TEXT    NOT NULL,
    text              TEXT    NOT NULL DEFAULT '',
    report_id         INTEGER,
    status_ids        TEXT    NOT NULL DEFAULT '[]',
    created_at        INTEGER NOT NULL
);
CREATE INDEX account_warnings_target ON account_warnings(target_account_id, id);

CREATE TABLE reports (
    id                 INTEGER PRIMARY KEY,
    account_id         INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    target_account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    status_ids         TEXT    NOT NULL DEFAULT '[]',
    rule_ids           TEXT    NOT NULL DEFAULT '[]',
    comment            TEXT    NOT NULL DEFAULT '',
    category           TEXT    NOT NULL DEFAULT 'other',
    forwarded          INTEGER NOT NULL DEFAULT 0,
    uri                TEXT    NOT NULL DEFAULT '',
    assigned_id        INTEGER,
    action_taken_at    INTEGER,
    action_taken_by_id INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX reports_target ON reports(target_account_id, id);
CREATE INDEX reports_account ON reports(account_id, id);
CREATE INDEX reports_open ON reports(id) WHERE action_taken_at IS NULL;
CREATE UNIQUE INDEX reports_uri ON reports(uri) WHERE uri <> '';

CREATE TABLE report_notes (
    id         INTEGER PRIMARY KEY,
    report_id  INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL,
    content    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX report_notes_report ON report_notes(report_id, id);

CREATE TABLE domain_blocks (
    id              INTEGER PRIMARY KEY,
    domain          TEXT    NOT NULL UNIQUE,
    severity        TEXT    NOT NULL DEFAULT 'silence',
    reject_media    INTEGER NOT NULL DEFAULT 0,
    reject_reports  INTEGER NOT NULL DEFAULT 0,
    private_comment TEXT    NOT NULL DEFAULT '',
    public_comment  TEXT    NOT NULL DEFAULT '',
    obfuscate       INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE domain_allows (
    id         INTEGER PRIMARY KEY,
    domain     TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE ip_blocks (
    id         INTEGER PRIMARY KEY,
    ip         TEXT    NOT NULL UNIQUE,   -- CIDR
    severity   TEXT    NOT NULL,
    comment    TEXT    NOT NULL DEFAULT '',
    expires_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE email_domain_blocks (
    id                  INTEGER PRIMARY KEY,
    domain              TEXT    NOT NULL UNIQUE,
    allow_with_approval INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL
);

CREATE TABLE canonical_email_blocks (
    id                   INTEGER PRIMARY KEY,
    hash                 TEXT    NOT NULL UNIQUE, -- hex SHA-256 of the canonical address
    reference_account_id INTEGER,
    created_at           INTEGER NOT NULL
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER,                 -- who acted; NULL: the command line
    action      TEXT    NOT NULL,
    target_type TEXT    NOT NULL DEFAULT '',
    target_id   TEXT    NOT NULL DEFAULT '',
    summary     TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX audit_log_account ON audit_log(account_id, id);

CREATE TABLE rules (
    id         INTEGER PRIMARY KEY,
    text       TEXT    NOT NULL,
    hint       TEXT    NOT NULL DEFAULT '',
    position   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE announcements (
    id           INTEGER PRIMARY KEY,
    text         TEXT    NOT NULL,
    content      TEXT    NOT NULL,       -- HTML
    starts_at    INTEGER,
    ends_at      INTEGER,
    all_day      INTEGER NOT NULL DEFAULT 0,
    published_at INTEGER,                -- NULL: a draft
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE announcement_reactions (
    announcement_id INTEGER NOT NULL REFERENCES announcements(id) ON DELETE CASCADE,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (announcement_id, account_id, name)
) WITHOUT ROWID;

CREATE TABLE announcement_dismissals (
    announcement_id INTEGER NOT NULL REFERENCES announcements(id) ON DELETE CASCADE,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    PRIMARY KEY (announcement_id, account_id)
) WITHOUT ROWID;
CREATE INDEX announcement_dismissals_account ON announcement_dismissals(account_id);
