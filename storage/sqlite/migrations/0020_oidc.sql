-- Single sign-on (OpenID Connect).
--
-- oidc_links ties a provider's user (issuer + subject, which the provider
-- promises never to reassign) to a local user: the link, not the e-mail
-- address, says who signs in.
CREATE TABLE oidc_links (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    issuer          TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    email           TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    last_sign_in_at INTEGER,
    UNIQUE (issuer, subject)
);
CREATE INDEX oidc_links_user ON oidc_links(user_id);

-- oidc_sessions marks the browser sessions started through the provider,
-- with the provider's session id (sid) and ID token, for logout: the
-- provider's back-channel logout ends them, and signing out of Herald
-- sends the browser to the provider's logout with the ID token as a hint.
CREATE TABLE oidc_sessions (
    web_session_id INTEGER PRIMARY KEY REFERENCES web_sessions(id) ON DELETE CASCADE,
    link_id        INTEGER NOT NULL REFERENCES oidc_links(id) ON DELETE CASCADE,
    sid            TEXT    NOT NULL DEFAULT '',
    id_token       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX oidc_sessions_link ON oidc_sessions(link_id);
CREATE INDEX oidc_sessions_sid ON oidc_sessions(sid);
