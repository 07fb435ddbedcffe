-- PostgreSQL counterpart of the SQLite migration 0041.
ALTER TABLE rules ADD COLUMN deleted_at BIGINT;
