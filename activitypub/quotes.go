package activitypub

import (
	"context"
	"errors"
	"strings"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Quote posts over ActivityPub (FEP-044f, as Mastodon 4.5 federates
// them). A Note names the post it quotes as quote (and quoteUri and
// _misskey_quote, for older readers) and, once its author allowed it, the
// QuoteAuthorization that proves it. A local quote of a remote post sends
// its author a QuoteRequest (instrument: the quoting Note); the Accept
// names the authorization, and the Note goes out again as an Update
// carrying it. A quoted author revokes by Deleting the authorization.
// Incoming quotes are shown as accepted only once their authorization is
// checked: dereferenced from the quoted author's server, it must be theirs
// and name both posts (FEP-044f's verification).

// quoteOf reads the post an object quotes.
func quoteOf(o *Object) string {
	for _, v := range []string{o.Quote.ID, string(o.QuoteURI), string(o.MisskeyQuote), string(o.QuoteURL)} {
		if v = strings.TrimSpace(v); v != "" && hostOf(v) != "" {
			return v
		}
	}
	return ""
}

// quoteFields adds a local status's quote to its Note.
func quoteFields(d doc, st *model.Status) {
	if st.QuoteURI == "" {
		return
	}
	d["quote"], d["quoteUri"], d["_misskey_quote"] = st.QuoteURI, st.QuoteURI, st.QuoteURI
	if st.QuoteAuthorization != "" && st.QuoteState == model.QuoteAccepted {
		d["quoteAuthorization"] = st.QuoteAuthorization
	}
}

// readQuote fills a remote status's quote from its object: the quoted
// status (fetched when unknown and depth allows) and its state, checked
// as FEP-044f says.
func (f *Federation) readQuote(ctx context.Context, author *model.Account, st *model.Status, o *Object, depth int) {
	uri := quoteOf(o)
	if uri == "" {
		return
	}
	st.QuoteURI, st.QuoteState = uri, model.QuotePending
	quoted, err := f.svc.StatusByURI(ctx, uri)
	if errors.Is(err, storage.ErrNotFound) && !f.isLocal(uri) && depth < f.Tuning.ReplyDepth && f.checkURL(ctx, uri) == nil {
		quoted, err = f.resolveStatus(ctx, uri, depth+1)
	}
	if err != nil {
		f.log.Debug("quoted post not found", "quote", uri, "err", err)
		return
	}
	st.QuoteOfID = quoted.ID
	st.QuoteState, st.QuoteAuthorization = f.quoteState(ctx, author, st, quoted, string(o.QuoteAuthorization))
}

// quoteState decides the state of a remote quote st of quoted, whose Note
// names authorization.
func (f *Federation) quoteState(ctx context.Context, author *model.Account, st, quoted *model.Status, authorization string) (string, string) {
	if quoted.Local {
		// Decided here: what the quoted author answered.
		state, auth, err := f.svc.LocalQuoteState(ctx, st, quoted)
		if err != nil {
			f.log.Info("quote state", "quote", st.URI, "err", err)
			return model.QuotePending, ""
		}
		return state, auth
	}
	if quoted.AccountID == author.ID {
		return model.QuoteAccepted, "" // a self-quote
	}
	if authorization == "" {
		return model.QuotePending, ""
	}
	if err := f.verifyQuoteAuthorization(ctx, authorization, st.URI, quoted); err != nil {
		f.log.Info("quote authorization refused", "quote", st.URI, "authorization", authorization, "err", err)
		return model.QuotePending, ""
	}
	return model.QuoteAccepted, authorization
}

// verifyQuoteAuthorization dereferences a QuoteAuthorization and checks
// it: served by the quoted author's server, attributed to them, naming
// the quote and the quoted post.
func (f *Federation) verifyQuoteAuthorization(ctx context.Context, uri, quoteURI string, quoted *model.Status) error {
	quotedAuthor, err := f.svc.AccountByID(ctx, quoted.AccountID)
	if err != nil {
		return err
	}
	if hostOf(uri) != hostOf(quotedAuthor.URI) {
		return permanentf("authorization %s is not on the quoted author's server", uri)
	}
	o, err := f.fetchObject(ctx, uri)
	if err != nil {
		return err
	}
	switch {
	case string(o.ID) != uri:
		return permanentf("authorization %s answered as %s", uri, o.ID)
	case !o.Type.Is("QuoteAuthorization"):
		return permanentf("%s is a %v, not a QuoteAuthorization", uri, o.Type)
	case o.AttributedTo.ID != quotedAuthor.URI:
		return permanentf("authorization %s is attributed to %q", uri, o.AttributedTo.ID)
	case string(o.InteractingObject) != quoteURI:
		return permanentf("authorization %s is for %q, not %s", uri, o.InteractingObject, quoteURI)
	case string(o.InteractionTarget) != quoted.URI:
		return permanentf("authorization %s targets %q, not %s", uri, o.InteractionTarget, quoted.URI)
	}
	return nil
}

// quoteUpdated re-checks a remote quote on an Update of its Note: one that
// now names its authorization becomes accepted once the authorization is
// verified.
func (f *Federation) quoteUpdated(ctx context.Context, author *model.Account, st *model.Status, o *Object) {
	if st.QuoteOfID == 0 || st.QuoteState != model.QuotePending || quoteOf(o) != st.QuoteURI {
		return
	}
	quoted, err := f.svc.StatusByID(ctx, st.QuoteOfID)
	if err != nil {
		return
	}
	state, auth := f.quoteState(ctx, author, st, quoted, string(o.QuoteAuthorization))
	if state == st.QuoteState {
		return
	}
	if err := f.svc.SetRemoteQuoteState(ctx, st, state, auth); err != nil {
		f.log.Info("quote state not stored", "quote", st.URI, "err", err)
	}
}

// buildQuoteRequest asks a remote author to allow a local quote of their
// post: a QuoteRequest whose instrument is the quoting Note.
func (f *Federation) buildQuoteRequest(ctx context.Context, j outboxJob) (doc, []string, error) {
	st, err := f.svc.StatusByID(ctx, j.ev.ObjectID)
	if err != nil {
		return nil, nil, notFound(err, "the status")
	}
	if st.QuoteOfID == 0 || st.QuoteState != model.QuotePending {
		return nil, nil, drop("status %d has no pending quote", st.ID)
	}
	quoted, err := f.svc.StatusByID(ctx, st.QuoteOfID)
	if err != nil {
		return nil, nil, notFound(err, "the quoted status")
	}
	inbox, err := f.personalInbox(ctx, quoted.AccountID)
	if err != nil {
		return nil, nil, err
	}
	quotedAuthor, err := f.svc.AccountByID(ctx, quoted.AccountID)
	if err != nil {
		return nil, nil, notFound(err, "the quoted author")
	}
	b, err := f.loadStatus(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	return withContext(doc{
		"id":         quoteRequestID(st),
		"type":       "QuoteRequest",
		"actor":      j.actor.URI,
		"to":         []string{quotedAuthor.URI},
		"object":     quoted.URI,
		"instrument": f.noteDoc(b),
	}), []string{inbox}, nil
}

// quoteRequestID is the id of the QuoteRequest of a local quote.
func quoteRequestID(st *model.Status) string { return st.URI + "#quote-request" }

// buildQuoteRevoke tells a remote quoting server that the local author
// revoked the quote: a Delete of the QuoteAuthorization.
func (f *Federation) buildQuoteRevoke(ctx context.Context, j outboxJob) (doc, []string, error) {
	it, err := f.loadInteraction(ctx, j.ev.ObjectID)
	if err != nil {
		return nil, nil, err
	}
	if it.interactor.Local() {
		return nil, nil, drop("local quote")
	}
	auth := f.svc.InteractionAuthorizationURI(it.author, it.r.ID)
	return withContext(doc{
		"id":     auth + "#delete",
		"type":   "Delete",
		"actor":  it.author.URI,
		"to":     []string{it.interactor.URI},
		"object": auth,
	}), []string{it.interactor.InboxURL}, nil
}

// quoteAnswer applies an Accept or Reject of a local quote (uri: the
// quoting status, or its QuoteRequest), reporting whether it was one.
func (f *Federation) quoteAnswer(ctx context.Context, actor *model.Account, act *Object, uri string, accept bool) (bool, error) {
	// An answer to a QuoteRequest (embedded, or its id) is about the
	// quote, even of a reply that waits for its own approval.
	asked := strings.HasSuffix(uri, "#quote-request") || (act.Object.Obj != nil && act.Object.Obj.Type.Is("QuoteRequest"))
	uri = strings.TrimSuffix(uri, "#quote-request")
	if !f.isLocal(uri) {
		return false, nil
	}
	st, err := f.svc.StatusByURI(ctx, uri)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if st.QuoteURI == "" || (st.PendingApproval && !asked) {
		return false, nil
	}
	if st.QuoteState != model.QuotePending {
		return asked, nil // answered already
	}
	authorization := act.Result.ID
	if authorization != "" && hostOf(authorization) != hostOf(actor.URI) {
		authorization = "" // only the quoted author's server may authorize
	}
	return true, f.svc.QuoteAnswerReceived(ctx, actor.ID, st, accept, authorization)
}
