-- A deleted rule is kept, marked deleted (Mastodon's rules.deleted_at): the
-- reports and strikes that cite it still show what it said.
ALTER TABLE rules ADD COLUMN deleted_at INTEGER;
