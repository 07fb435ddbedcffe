-- PostgreSQL counterpart of the SQLite migration 0035: quotes_count as a
-- counter column kept by a trigger, and the index of restricted accounts.
ALTER TABLE statuses ADD COLUMN quotes_count BIGINT NOT NULL DEFAULT 0;

UPDATE statuses SET quotes_count = q.n
    FROM (SELECT quote_of_id, count(*) AS n FROM statuses
          WHERE quote_of_id IS NOT NULL AND quote_state = 'accepted' GROUP BY quote_of_id) q
    WHERE statuses.id = q.quote_of_id;

CREATE FUNCTION statuses_quotes_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.quote_of_id IS NOT NULL AND OLD.quote_state = 'accepted' THEN
        UPDATE statuses SET quotes_count = GREATEST(quotes_count - 1, 0) WHERE id = OLD.quote_of_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.quote_of_id IS NOT NULL AND NEW.quote_state = 'accepted' THEN
        UPDATE statuses SET quotes_count = quotes_count + 1 WHERE id = NEW.quote_of_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER statuses_quotes_count_insert AFTER INSERT ON statuses
    FOR EACH ROW WHEN (NEW.quote_of_id IS NOT NULL AND NEW.quote_state = 'accepted')
    EXECUTE FUNCTION statuses_quotes_count();
CREATE TRIGGER statuses_quotes_count_delete AFTER DELETE ON statuses
    FOR EACH ROW WHEN (OLD.quote_of_id IS NOT NULL AND OLD.quote_state = 'accepted')
    EXECUTE FUNCTION statuses_quotes_count();
CREATE TRIGGER statuses_quotes_count_update AFTER UPDATE OF quote_of_id, quote_state ON statuses
    FOR EACH ROW WHEN (OLD.quote_of_id IS DISTINCT FROM NEW.quote_of_id OR OLD.quote_state IS DISTINCT FROM NEW.quote_state)
    EXECUTE FUNCTION statuses_quotes_count();

CREATE INDEX accounts_restricted ON accounts(id) WHERE suspended_at IS NOT NULL OR silenced_at IS NOT NULL;
