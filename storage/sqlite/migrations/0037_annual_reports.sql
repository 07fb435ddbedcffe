-- Annual reports ("Wrapstodon"): one per local account and year, generated
-- on request and kept, as Mastodon's generated_annual_reports.
CREATE TABLE annual_reports (
    account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    year           INTEGER NOT NULL,
    schema_version INTEGER NOT NULL,
    data           TEXT    NOT NULL, -- JSON, Mastodon's report data
    share_key      TEXT    NOT NULL,
    viewed_at      INTEGER,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (account_id, year)
);
