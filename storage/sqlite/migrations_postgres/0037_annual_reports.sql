-- PostgreSQL counterpart of the SQLite migration 0037.
CREATE TABLE annual_reports (
    account_id     BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    year           BIGINT NOT NULL,
    schema_version BIGINT NOT NULL,
    data           TEXT   NOT NULL,
    share_key      TEXT   NOT NULL,
    viewed_at      BIGINT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, year)
);
