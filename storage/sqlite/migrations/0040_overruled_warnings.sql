-- A warning whose appeal was approved is overruled (Mastodon's
-- account_warnings.overruled_at): the strike stays listed, marked as
-- overruled, and no longer counts against the account.
ALTER TABLE account_warnings ADD COLUMN overruled_at INTEGER;
