-- The web UI: browser sessions (listed and revoked from settings) and
-- two-factor authentication (TOTP secret and hashed recovery codes).

-- web_sessions: one row per signed-in browser. The cookie carries a random
-- session id; only its SHA-256 is stored.
CREATE TABLE web_sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   BLOB    NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions(user_id);

-- user_two_factor: a TOTP secret (base32); enabled_at NULL while set-up
-- waits for the first code. last_step refuses a code used twice.
CREATE TABLE user_two_factor (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret     TEXT    NOT NULL,
    enabled_at INTEGER,
    last_step  INTEGER NOT NULL DEFAULT 0
);

-- user_recovery_codes: one-time codes, stored as SHA-256.
CREATE TABLE user_recovery_codes (
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash BLOB    NOT NULL,
    PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;
