-- An account's default interaction policies are read with the account on
-- every verify_credentials and every post; core keeps them under the
-- "accounts" counter (migration 0027), which these triggers bump.
CREATE TRIGGER interaction_defaults_cache_insert AFTER INSERT ON interaction_defaults BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'accounts';
END;
CREATE TRIGGER interaction_defaults_cache_update AFTER UPDATE ON interaction_defaults BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'accounts';
END;
CREATE TRIGGER interaction_defaults_cache_delete AFTER DELETE ON interaction_defaults BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = 'accounts';
END;
