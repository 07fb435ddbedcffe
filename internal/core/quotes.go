package core

import (
	"context"
	"errors"
	"html"
	"slices"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Quote posts (Mastodon 4.5, FEP-044f "Consent-respecting quote posts").
// A quote is a status naming the post it quotes; the quoted author's
// policy (DecideInteraction, kind quote) says whether it is accepted at
// once, waits for their approval, or is refused. A quote of a local post
// is decided here (an interaction request records it, whose authorization
// object the federation engine serves); a quote of a remote post asks its
// server with a QuoteRequest and stays pending until the Accept names a
// QuoteAuthorization. The quoted author may revoke an accepted quote.

// prepareQuote decides on the quote of quotedID by the new local status
// st (whose URI is set): it fills st's quote fields and returns the
// interaction request to store with it (a local quoted post) or the
// events that ask the remote author.
//
// As Mastodon: a private mention is not quotable, not even by its author;
// a quote of a followers-only post is followers-only at most; a quote
// made as a private mention must mention the quoted author.
func (s *Service) prepareQuote(ctx context.Context, author *model.Account, st *model.Status, quotedID int64, mentionIDs []int64) (*model.InteractionRequest, []model.OutboxEvent, error) {
	quoted, quotedAuthor, err := s.visibleStatus(ctx, author.ID, quotedID)
	if err != nil {
		return nil, nil, err
	}
	if quoted.Visibility == model.Direct {
		return nil, nil, herr.Unprocessable("Validation failed: A private mention cannot be quoted")
	}
	if quoted.Visibility == model.Private && st.Visibility < model.Private {
		st.Visibility = model.Private
	}
	if st.Visibility == model.Direct && quoted.AccountID != author.ID && !slices.Contains(mentionIDs, quoted.AccountID) {
		return nil, nil, herr.Unprocessable("Validation failed: A private mention quoting a post must mention its author")
	}
	if quoted.ReblogOfID != 0 {
		return nil, nil, herr.Unprocessable("Validation failed: A boost cannot be quoted")
	}
	if quoted.PendingApproval {
		return nil, nil, herr.Unprocessable("Validation failed: This post is waiting for approval; it cannot be quoted yet")
	}
	d, err := s.decide(ctx, model.InteractQuote, quoted, author)
	if err != nil {
		return nil, nil, err
	}
	if d.Approval == Denied {
		return nil, nil, deniedMessage(model.InteractQuote)
	}
	st.QuoteOfID, st.QuoteURI, st.QuoteState = quoted.ID, quoted.URI, model.QuotePending
	// For servers and clients that know no quotes, a link to the quoted
	// post unless the text has one (Mastodon's "RE:" paragraph, which its
	// own clients hide by its class).
	link := quoted.URL
	if link == "" {
		link = quoted.URI
	}
	if !strings.Contains(st.Content, link) && !strings.Contains(st.Content, quoted.URI) {
		l := html.EscapeString(link)
		st.Content = `<p class="quote-inline">RE: <a href="` + l + `">` + l + `</a></p>` + st.Content
	}
	if !quotedAuthor.Local() {
		// Its server decides: ask it, and wait for its QuoteAuthorization.
		return nil, []model.OutboxEvent{{Kind: model.EventQuoteRequest, AccountID: author.ID, ObjectID: st.ID}}, nil
	}
	r := &model.InteractionRequest{ID: id.New(), Kind: model.InteractQuote, StatusID: quoted.ID,
		TargetAccountID: quoted.AccountID, AccountID: author.ID, URI: st.URI}
	if d.Approval == Approved {
		now := time.Now().UTC()
		r.AcceptedAt = &now
		st.QuoteState = model.QuoteAccepted
		st.QuoteAuthorization = s.InteractionAuthorizationURI(quotedAuthor, r.ID)
	}
	return r, nil, nil
}

// quoteCreated tells a local quoted author of a new accepted quote.
func (s *Service) quoteCreated(ctx context.Context, st *model.Status) {
	if st.QuoteOfID == 0 || st.QuoteState != model.QuoteAccepted {
		return
	}
	if quoted, err := s.store.StatusByID(ctx, st.QuoteOfID); err == nil {
		s.notify(ChangeNotification, quoted.AccountID, st.ID)
	}
}

// setQuoteState records a decision on the quote st and tells whom it
// concerns.
func (s *Service) setQuoteState(ctx context.Context, st *model.Status, state, authorization string, requestID int64, events []model.OutboxEvent) error {
	if err := s.store.SetQuoteState(ctx, st.ID, state, authorization, requestID, events); err != nil {
		return statusStoreErr(err)
	}
	if len(events) > 0 {
		s.kick()
	}
	if state == model.QuoteAccepted && st.QuoteState != model.QuoteAccepted {
		st.QuoteState = state
		s.quoteCreated(ctx, st)
	}
	return nil
}

// quoteAnswered applies a local author's answer to a pending quote of
// their post (AnswerInteractionRequest): the quoting status, when it is
// here, becomes accepted (with the authorization other servers check) or
// rejected. A local quote's acceptance federates as an Update (its Note
// now carries the authorization).
func (s *Service) quoteAnswered(ctx context.Context, author *model.Account, r *model.InteractionRequest, accept bool) error {
	var quoting *model.Status
	var err error
	if r.ReplyID != 0 {
		quoting, err = s.store.StatusByID(ctx, r.ReplyID)
	} else {
		quoting, err = s.store.StatusByURI(ctx, r.URI)
	}
	if errors.Is(err, storage.ErrNotFound) {
		return nil // a remote quote we never received: the Accept is all
	}
	if err != nil {
		return herr.Internal(err)
	}
	if quoting.QuoteOfID != r.StatusID {
		return nil
	}
	state, authorization := model.QuoteRejected, ""
	var events []model.OutboxEvent
	if accept {
		state, authorization = model.QuoteAccepted, s.InteractionAuthorizationURI(author, r.ID)
		if quoting.Local {
			events = []model.OutboxEvent{{Kind: model.EventStatusUpdate, AccountID: quoting.AccountID, ObjectID: quoting.ID}}
		}
	}
	return s.setQuoteState(ctx, quoting, state, authorization, 0, events)
}

// Quotes pages through the accepted quotes of a status the caller may
// see. Its author sees all of them (Mastodon); others those they may see.
func (s *Service) Quotes(ctx context.Context, c *Caller, statusID int64, p model.Page) (*StatusView, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	st, _, err := s.visibleStatus(ctx, c.Account.ID, statusID)
	if err != nil {
		return nil, err
	}
	sts, err := s.store.QuotesOf(ctx, st.ID, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return s.View(ctx, c.Account.ID, sts, ViewOptions{moderator: st.AccountID == c.Account.ID})
}

// RevokeQuote is the caller withdrawing their approval of the quote
// quotingID of their status statusID (POST
// /api/v1/statuses/:id/quotes/:quoting_status_id/revoke): the quote shows
// as revoked, its authorization is served no more, and a remote quoting
// server is sent the Delete of the QuoteAuthorization.
func (s *Service) RevokeQuote(ctx context.Context, c *Caller, statusID, quotingID int64) (*model.Status, error) {
	quoted, err := s.ownStatus(ctx, c, statusID)
	if err != nil {
		return nil, err
	}
	quoting, err := s.store.StatusByID(ctx, quotingID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && quoting.QuoteOfID != quoted.ID) {
		return nil, herr.NotFound("status")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	switch quoting.QuoteState {
	case model.QuoteRevoked, model.QuoteRejected:
		return quoting, nil // done already
	}
	var requestID int64
	var events []model.OutboxEvent
	r, err := s.store.QuoteRequestFor(ctx, quoted.ID, quoting.URI)
	switch {
	case err == nil:
		requestID = r.ID
		interactor, err := s.store.AccountByID(ctx, r.AccountID)
		if err == nil && !interactor.Local() && r.AcceptedAt != nil {
			events = []model.OutboxEvent{{Kind: model.EventQuoteRevoke, AccountID: c.Account.ID, ObjectID: r.ID}}
		}
	case !errors.Is(err, storage.ErrNotFound):
		return nil, herr.Internal(err)
	}
	if err := s.setQuoteState(ctx, quoting, model.QuoteRevoked, "", requestID, events); err != nil {
		return nil, err
	}
	return s.reload(ctx, quoting.ID)
}

// --- other servers ---

// LocalQuoteState is the state of a remote quote st of a local post, as
// the quoted author decided it here (the interaction request its
// QuoteRequest made, if any): for an incoming Note.
func (s *FederationService) LocalQuoteState(ctx context.Context, st, quoted *model.Status) (state, authorization string, err error) {
	if st.AccountID == quoted.AccountID {
		return model.QuoteAccepted, "", nil // a self-quote needs no approval
	}
	r, err := s.store.QuoteRequestFor(ctx, quoted.ID, st.URI)
	if errors.Is(err, storage.ErrNotFound) {
		return model.QuotePending, "", nil
	}
	if err != nil {
		return "", "", herr.Internal(err)
	}
	switch {
	case r.RejectedAt != nil:
		return model.QuoteRejected, "", nil
	case r.AcceptedAt != nil:
		author, err := s.store.AccountByID(ctx, quoted.AccountID)
		if err != nil {
			return "", "", statusStoreErr(err)
		}
		return model.QuoteAccepted, s.InteractionAuthorizationURI(author, r.ID), nil
	}
	return model.QuotePending, "", nil
}

// remoteQuoteDecided applies the decision on a remote QuoteRequest (r) to
// the quoting status, when it is here.
func (s *FederationService) remoteQuoteDecided(ctx context.Context, quoted *model.Status, r *model.InteractionRequest) error {
	if r.AcceptedAt == nil && r.RejectedAt == nil {
		return nil
	}
	quoting, err := s.store.StatusByURI(ctx, r.URI)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return herr.Internal(err)
	}
	if quoting.QuoteOfID != quoted.ID || quoting.QuoteState != model.QuotePending {
		return nil
	}
	state, authorization := model.QuoteRejected, ""
	if r.AcceptedAt != nil {
		author, err := s.store.AccountByID(ctx, quoted.AccountID)
		if err != nil {
			return statusStoreErr(err)
		}
		state, authorization = model.QuoteAccepted, s.InteractionAuthorizationURI(author, r.ID)
	}
	return s.setQuoteState(ctx, quoting, state, authorization, 0, nil)
}

// QuoteAnswerReceived applies a remote author's Accept (authorization:
// the QuoteAuthorization it names, on their server) or Reject of a local
// account's quote st of their post. An accepted quote federates again as
// an Update, carrying the authorization.
func (s *FederationService) QuoteAnswerReceived(ctx context.Context, actorID int64, st *model.Status, accepted bool, authorization string) error {
	if !st.Local || st.QuoteState != model.QuotePending || st.QuoteOfID == 0 {
		return nil // not ours, or answered already
	}
	quoted, err := s.store.StatusByID(ctx, st.QuoteOfID)
	if err != nil {
		return statusStoreErr(err)
	}
	if quoted.AccountID != actorID {
		return herr.Forbidden("only the quoted author may answer")
	}
	if !accepted {
		return s.setQuoteState(ctx, st, model.QuoteRejected, "", 0, nil)
	}
	if authorization == "" {
		return herr.BadRequest("an Accept of a quote without its QuoteAuthorization")
	}
	ev := model.OutboxEvent{Kind: model.EventStatusUpdate, AccountID: st.AccountID, ObjectID: st.ID}
	return s.setQuoteState(ctx, st, model.QuoteAccepted, authorization, 0, []model.OutboxEvent{ev})
}

// RemoteQuoteRevoked applies a Delete of a QuoteAuthorization by actorID
// (the quoted author): the quotes it proved show as revoked. It reports
// whether the URI was an authorization of a quote here.
func (s *FederationService) RemoteQuoteRevoked(ctx context.Context, actorID int64, authorization string) (bool, error) {
	sts, err := s.store.StatusesByQuoteAuthorization(ctx, authorization)
	if err != nil {
		return false, herr.Internal(err)
	}
	found := false
	for _, st := range sts {
		if st.QuoteOfID == 0 {
			continue
		}
		quoted, err := s.store.StatusByID(ctx, st.QuoteOfID)
		if err != nil || quoted.AccountID != actorID {
			continue
		}
		found = true
		if err := s.setQuoteState(ctx, st, model.QuoteRevoked, "", 0, nil); err != nil {
			return found, err
		}
	}
	return found, nil
}

// SetRemoteQuoteState records what the federation engine verified of a
// remote quote st (an Update that brings its authorization).
func (s *FederationService) SetRemoteQuoteState(ctx context.Context, st *model.Status, state, authorization string) error {
	if st.Local || st.QuoteState == state {
		return nil
	}
	return s.setQuoteState(ctx, st, state, authorization, 0, nil)
}
