package storage

import (
	"context"

	"github.com/herald-social/herald/internal/model"
)

// Quotes stores the state of quote posts (Mastodon 4.5, FEP-044f). A
// quote itself is a status (model.Status's Quote* fields, written by
// CreateStatus); these change what its quoted author decided.
type Quotes interface {
	// SetQuoteState records the quoted author's decision on the quote
	// statusID (and the authorization that proves an acceptance), answers
	// the interaction request requestID if not 0 (accepted or rejected
	// as the state says; a revoked quote's request is marked rejected, so
	// its authorization is served no more), notifies a local quoted author
	// of a quote that becomes accepted, and queues events.
	SetQuoteState(ctx context.Context, statusID int64, state, authorization string, requestID int64, events []model.OutboxEvent) error
	// QuotesOf pages through the accepted quotes of a status, newest first.
	QuotesOf(ctx context.Context, statusID int64, p model.Page) ([]*model.Status, error)
	// StatusesByQuoteAuthorization returns the quotes an authorization proves.
	StatusesByQuoteAuthorization(ctx context.Context, uri string) ([]*model.Status, error)
	// QuoteRequestFor returns the interaction request of the quote uri of
	// statusID (ErrNotFound: none).
	QuoteRequestFor(ctx context.Context, statusID int64, uri string) (*model.InteractionRequest, error)
	// SharerFollowerInboxes returns the local accounts that boosted a
	// status or quote it (accepted quotes), and the inboxes (shared ones
	// when known) of their remote followers, gone and suspended accounts
	// left out: where an edit or deletion of the status is forwarded.
	SharerFollowerInboxes(ctx context.Context, statusID int64) (sharerIDs []int64, inboxes []string, err error)
}
