-- Account aliases (issue 15 item 16): the accounts a local account is also
-- known as (ActivityPub alsoKnownAs), by actor URI. A remote account moving
-- here must be listed first, as Mastodon requires.
CREATE TABLE account_aliases (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    uri        TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, uri)
);
