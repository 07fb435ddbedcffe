-- Read path (issue 19). quotes_count as a counter column, kept by triggers like a stored count:
-- reading it per row of a page was a correlated subquery (an index search
-- per status, a tenth of a timeline page's store time). A quote counts
-- while its quote_state is 'accepted' and quote_of_id names the status;
-- the triggers follow every way those change (insert, the state's update,
-- quote_of_id set to NULL when the quoted status is deleted, the quoting
-- status' deletion), whoever writes.
ALTER TABLE statuses ADD COLUMN quotes_count INTEGER NOT NULL DEFAULT 0;

UPDATE statuses SET quotes_count = (SELECT count(*) FROM statuses qs
        WHERE qs.quote_of_id = statuses.id AND qs.quote_state = 'accepted')
    WHERE id IN (SELECT quote_of_id FROM statuses WHERE quote_of_id IS NOT NULL AND quote_state = 'accepted');

CREATE TRIGGER statuses_quotes_count_insert AFTER INSERT ON statuses
    WHEN NEW.quote_of_id IS NOT NULL AND NEW.quote_state = 'accepted'
BEGIN
    UPDATE statuses SET quotes_count = quotes_count + 1 WHERE id = NEW.quote_of_id;
END;

CREATE TRIGGER statuses_quotes_count_delete AFTER DELETE ON statuses
    WHEN OLD.quote_of_id IS NOT NULL AND OLD.quote_state = 'accepted'
BEGIN
    UPDATE statuses SET quotes_count = max(quotes_count - 1, 0) WHERE id = OLD.quote_of_id;
END;

CREATE TRIGGER statuses_quotes_count_update AFTER UPDATE OF quote_of_id, quote_state ON statuses
    WHEN (OLD.quote_of_id IS NOT NEW.quote_of_id) OR (OLD.quote_state IS NOT NEW.quote_state)
BEGIN
    UPDATE statuses SET quotes_count = max(quotes_count - 1, 0)
        WHERE OLD.quote_state = 'accepted' AND id = OLD.quote_of_id;
    UPDATE statuses SET quotes_count = quotes_count + 1
        WHERE NEW.quote_state = 'accepted' AND id = NEW.quote_of_id;
END;

-- The accounts whose posts public timelines leave out (suspended or
-- silenced), few: a page's per-row check probes this small index instead
-- of reading each author's whole row (keys, profile) for two columns.
CREATE INDEX accounts_restricted ON accounts(id) WHERE suspended_at IS NOT NULL OR silenced_at IS NOT NULL;
