package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Quote posts: the quoted author's decisions on them (storage.Quotes).

// notifyQuoteIn notifies the local author of the status st quotes.
func notifyQuoteIn(ctx context.Context, tx *sql.Tx, st *model.Status) error {
	var quotedAuthor int64
	err := tx.QueryRowContext(ctx, "SELECT account_id FROM statuses WHERE id = ?", st.QuoteOfID).Scan(&quotedAuthor)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = insertNotification(ctx, tx, quotedAuthor, st.AccountID, model.NotifyQuote, st.ID)
	return err
}

// SetQuoteState applies a quoted author's decision (see storage.Quotes).
func (s *Store) SetQuoteState(ctx context.Context, statusID int64, state, authorization string, requestID int64, events []model.OutboxEvent) error {
	return wrap("set quote state", s.tx(ctx, func(tx *sql.Tx) error {
		st, err := getStatus(ctx, tx, "s.id = ?", statusID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE statuses SET quote_state = ?, quote_authorization = ? WHERE id = ?",
			state, authorization, statusID); err != nil {
			return err
		}
		if requestID != 0 {
			col := "rejected_at"
			if state == model.QuoteAccepted {
				col = "accepted_at"
			}
			if _, err := tx.ExecContext(ctx, "UPDATE interaction_requests SET "+col+" = ? WHERE id = ? AND "+col+" IS NULL",
				ms(time.Now()), requestID); err != nil {
				return err
			}
		}
		if state == model.QuoteAccepted && st.QuoteState != model.QuoteAccepted && st.QuoteOfID != 0 {
			if err := notifyQuoteIn(ctx, tx, st); err != nil {
				return err
			}
		}
		return insertEvents(ctx, tx, events)
	}))
}

// QuotesOf pages through the accepted quotes of a status.
func (s *Store) QuotesOf(ctx context.Context, statusID int64, p model.Page) ([]*model.Status, error) {
	where, args, tail, reverse := pageClause("s.id", p)
	out, err := queryStatuses(ctx, s.r, "SELECT "+statusColumns+" FROM statuses s INDEXED BY statuses_quotes WHERE s.quote_of_id = ? AND s.quote_state = 'accepted'"+where+tail,
		append([]any{statusID}, args...)...)
	if err != nil {
		return nil, wrap("quotes of", err)
	}
	if reverse {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}

// StatusesByQuoteAuthorization returns the quotes an authorization proves.
func (s *Store) StatusesByQuoteAuthorization(ctx context.Context, uri string) ([]*model.Status, error) {
	if uri == "" {
		return nil, nil
	}
	out, err := queryStatuses(ctx, s.r, "SELECT "+statusColumns+" FROM statuses s WHERE s.quote_authorization = ? LIMIT 100", uri)
	return out, wrap("statuses by quote authorization", err)
}

// QuoteRequestFor returns the request of the quote uri of statusID.
func (s *Store) QuoteRequestFor(ctx context.Context, statusID int64, uri string) (*model.InteractionRequest, error) {
	r, err := scanRequest(s.r.QueryRowContext(ctx, "SELECT "+requestColumns+` FROM interaction_requests
		WHERE uri = ? AND status_id = ? AND kind = 'quote' ORDER BY id DESC LIMIT 1`, uri, statusID))
	return r, wrap("quote request for", err)
}

var _ storage.Quotes = (*Store)(nil)

// sharersOf selects the local accounts that boosted the status (first
// argument) or quote it, accepted (second argument).
const sharersOf = `SELECT b.account_id FROM statuses b JOIN accounts ba ON ba.id = b.account_id AND ba.domain = ''
	WHERE b.reblog_of_id = ? AND b.pending_approval = 0
	UNION SELECT q.account_id FROM statuses q JOIN accounts qa ON qa.id = q.account_id AND qa.domain = ''
	WHERE q.quote_of_id = ? AND q.quote_state = 'accepted'`

// SharerFollowerInboxes returns the local boosters and quoters of a status
// and their remote followers' inboxes.
func (s *Store) SharerFollowerInboxes(ctx context.Context, statusID int64) ([]int64, []string, error) {
	sharers, err := queryColumn[int64](ctx, s.r, "SELECT account_id FROM ("+sharersOf+") x ORDER BY account_id", statusID, statusID)
	if err != nil || len(sharers) == 0 {
		return nil, nil, wrap("sharer follower inboxes", err)
	}
	inboxes, err := queryColumn[string](ctx, s.r, `SELECT DISTINCT coalesce(nullif(a.shared_inbox_url, ''), a.inbox_url) AS inbox
		FROM follows f JOIN accounts a ON a.id = f.account_id
		WHERE f.target_id IN (`+sharersOf+`) AND a.domain <> '' AND a.gone_at IS NULL AND a.suspended_at IS NULL
		  AND coalesce(nullif(a.shared_inbox_url, ''), a.inbox_url) <> ''
		ORDER BY inbox`, statusID, statusID)
	return sharers, inboxes, wrap("sharer follower inboxes", err)
}
