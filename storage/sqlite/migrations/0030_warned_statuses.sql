-- A moderation action on posts (deleted, or marked sensitive) keeps what
-- the posts said when it was taken: the statement of reasons its author
-- sees must show the posts concerned even after they are gone.
ALTER TABLE account_warnings ADD COLUMN statuses TEXT NOT NULL DEFAULT '[]';
