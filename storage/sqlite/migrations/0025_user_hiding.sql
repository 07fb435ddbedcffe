-- 0025: what a user keeps to shape what they see and show (Mastodon 4.5):
-- the domains they block, the accounts they endorse, the conversations
-- they mute, the hashtags they follow or feature; and the index by which
-- the periodic sweep finds expired mutes.

CREATE TABLE account_domain_blocks (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    domain     TEXT    NOT NULL,  -- normalised: lower case, no port
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX account_domain_blocks_pair ON account_domain_blocks(account_id, domain);
-- Streaming asks "who blocks this author's domain?" for every public post.
CREATE INDEX account_domain_blocks_domain ON account_domain_blocks(domain);

CREATE TABLE endorsements (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    target_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX endorsements_pair ON endorsements(account_id, target_id);

-- A muted conversation is kept by its root status: a notification about
-- any status whose chain of replies leads to the root is not written.
CREATE TABLE conversation_mutes (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    root_id    INTEGER NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, root_id)
) WITHOUT ROWID;
CREATE INDEX conversation_mutes_root ON conversation_mutes(root_id);

CREATE TABLE followed_tags (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    tag_id     INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX followed_tags_pair ON followed_tags(account_id, tag_id);
-- Fan-out of a new status: the followers of each of its tags.
CREATE INDEX followed_tags_tag ON followed_tags(tag_id, account_id);

CREATE TABLE featured_tags (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    tag_id     INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX featured_tags_pair ON featured_tags(account_id, tag_id);

CREATE INDEX mutes_expiry ON mutes(expires_at) WHERE expires_at IS NOT NULL;
