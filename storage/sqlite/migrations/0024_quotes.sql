-- Quote posts (Mastodon 4.5, FEP-044f; issue 15). A status may quote
-- another: quote_uri is the quoted post's ActivityPub id, quote_of_id the
-- quoted status here (NULL when unknown, or deleted since), quote_state
-- whether the quoted author allowed it ('pending', 'accepted', 'rejected',
-- 'revoked'; '' for no quote), quote_authorization the QuoteAuthorization
-- that proves an accepted quote.
ALTER TABLE statuses ADD COLUMN quote_of_id INTEGER REFERENCES statuses(id) ON DELETE SET NULL;
ALTER TABLE statuses ADD COLUMN quote_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE statuses ADD COLUMN quote_state TEXT NOT NULL DEFAULT '';
ALTER TABLE statuses ADD COLUMN quote_authorization TEXT NOT NULL DEFAULT '';
-- The quotes of a status (quotes_count, GET /api/v1/statuses/:id/quotes).
CREATE INDEX statuses_quotes ON statuses(quote_of_id, quote_state, id) WHERE quote_of_id IS NOT NULL;
-- A revocation names the authorization (Delete of a QuoteAuthorization).
CREATE INDEX statuses_quote_authorization ON statuses(quote_authorization) WHERE quote_authorization <> '';
