-- cache_versions: one counter per in-memory cache of the server: "auth"
-- (core's auth cache: tokens, users, local accounts, roles, follow
-- requests) and "accounts" (the account rows pages show).
-- Triggers bump it inside the transaction of every change to what the cache
-- holds, whichever process or code path makes it, so that a process compares
-- the counter with the one its entries were read at and drops them when
-- another changed (a revoked token or a suspended account stops working at
-- the next request, in every process sharing the database).
CREATE TABLE cache_versions (
    name    TEXT    PRIMARY KEY,
    version INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO cache_versions (name, version) VALUES ('auth', 1), ('accounts', 1);

CREATE TRIGGER accounts_cache_update AFTER UPDATE ON accounts BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'accounts';
END;
CREATE TRIGGER accounts_cache_delete AFTER DELETE ON accounts BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'accounts';
END;

CREATE TRIGGER tokens_auth_cache_update AFTER UPDATE OF token_hash, app_id, user_id, scopes ON tokens BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'auth';
END;
CREATE TRIGGER tokens_auth_cache_delete AFTER DELETE ON tokens BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'auth';
END;
CREATE TRIGGER users_auth_cache_update AFTER UPDATE ON users BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'auth';
END;
CREATE TRIGGER users_auth_cache_delete AFTER DELETE ON users BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'auth';
END;
CREATE TRIGGER accounts_auth_cache_update AFTER UPDATE ON accounts WHEN OLD.domain = '' BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'auth';
END;
CREATE TRIGGER accounts_auth_cache_delete AFTER DELETE ON accounts WHEN OLD.domain = '' BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'auth';
END;
CREATE TRIGGER roles_auth_cache_insert AFTER INSERT ON roles BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'auth';
END;
CREATE TRIGGER roles_auth_cache_update AFTER UPDATE ON roles BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'auth';
END;
CREATE TRIGGER roles_auth_cache_delete AFTER DELETE ON roles BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'auth';
END;
CREATE TRIGGER follow_requests_auth_cache_insert AFTER INSERT ON follow_requests BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'auth';
END;
CREATE TRIGGER follow_requests_auth_cache_delete AFTER DELETE ON follow_requests BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'auth';
END;
