-- PostgreSQL counterpart of the SQLite migration 0040.
ALTER TABLE account_warnings ADD COLUMN overruled_at BIGINT;
