-- A delegation's grant, change or end changes what its member's tokens
-- may do: cached callers (migration 0027) must be read again.
CREATE TRIGGER delegations_auth_cache_insert AFTER INSERT ON delegations BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'auth';
END;
CREATE TRIGGER delegations_auth_cache_update AFTER UPDATE ON delegations BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'auth';
END;
CREATE TRIGGER delegations_auth_cache_delete AFTER DELETE ON delegations BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'auth';
END;
