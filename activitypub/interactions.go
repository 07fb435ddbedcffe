package activitypub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Interaction policies over ActivityPub, as GoToSocial's interaction
// controls (docs: federation/interaction_controls) and Mastodon 4.5's
// quotes (FEP-044f). A local author's answer to a remote interaction is
// an Accept or a Reject sent to the interacting actor; the Accept names,
// as its result, an authorization object (ReplyAuthorization,
// LikeAuthorization, AnnounceAuthorization, QuoteAuthorization) served at
// its id so that any server can check it. The object of the answer is the
// polite request when one was sent (ReplyRequest, QuoteRequest, ...), else
// the interaction itself, with the post as target.

// requestTypes are the request activities, by the kind they ask for.
var requestTypes = map[model.InteractionKind]string{
	model.InteractReply:     "ReplyRequest",
	model.InteractFavourite: "LikeRequest",
	model.InteractReblog:    "AnnounceRequest",
	model.InteractQuote:     "QuoteRequest",
}

// authorizationTypes are the authorization objects, by kind.
var authorizationTypes = map[model.InteractionKind]string{
	model.InteractReply:     "ReplyAuthorization",
	model.InteractFavourite: "LikeAuthorization",
	model.InteractReblog:    "AnnounceAuthorization",
	model.InteractQuote:     "QuoteAuthorization",
}

// interaction is a request with what its documents name.
type interaction struct {
	r          *model.InteractionRequest
	author     *model.Account // the local author who answers
	interactor *model.Account
	target     *model.Status // the post interacted with
	uri        string        // the interaction's id
}

// loadInteraction gathers a request's parts; a part gone drops the event.
func (f *Federation) loadInteraction(ctx context.Context, requestID int64) (*interaction, error) {
	r, err := f.svc.InteractionRequestByID(ctx, requestID)
	if err != nil {
		return nil, notFound(err, "the interaction request")
	}
	it := &interaction{r: r, uri: r.URI}
	if it.author, err = f.svc.AccountByID(ctx, r.TargetAccountID); err != nil {
		return nil, notFound(err, "the author")
	}
	if it.interactor, err = f.svc.AccountByID(ctx, r.AccountID); err != nil {
		return nil, notFound(err, "the interacting account")
	}
	if it.target, err = f.svc.StatusByID(ctx, r.StatusID); err != nil {
		return nil, notFound(err, "the status")
	}
	if it.uri == "" && r.ReplyID != 0 { // a local reply
		if reply, err := f.svc.StatusByID(ctx, r.ReplyID); err == nil {
			it.uri = reply.URI
		}
	}
	return it, nil
}

// answerObject is what an Accept or Reject answers: the request activity
// (embedded, as Mastodon compares its fields), or the interaction.
func (it *interaction) answerObject() any {
	if it.r.RequestURI == "" {
		return it.uri
	}
	return doc{
		"id":         it.r.RequestURI,
		"type":       requestTypes[it.r.Kind],
		"actor":      it.interactor.URI,
		"object":     it.target.URI,
		"instrument": it.uri,
	}
}

func (f *Federation) buildInteractionAccept(ctx context.Context, j outboxJob) (doc, []string, error) {
	it, err := f.loadInteraction(ctx, j.ev.ObjectID)
	if err != nil {
		return nil, nil, err
	}
	if it.interactor.Local() {
		return nil, nil, drop("local interaction")
	}
	act := doc{
		"id":     f.svc.InteractionAcceptURI(it.author, it.r.ID),
		"type":   "Accept",
		"actor":  it.author.URI,
		"to":     []string{it.interactor.URI},
		"object": it.answerObject(),
		"target": it.target.URI,
		"result": f.svc.InteractionAuthorizationURI(it.author, it.r.ID),
	}
	inboxes := []string{it.interactor.InboxURL}
	// A reply made without asking is accepted in public, to the author's
	// followers too: their servers learn that it belongs under the post
	// (GoToSocial's "broadcasting Accepts for the benefit of third servers").
	if it.r.Kind == model.InteractReply && it.r.RequestURI == "" &&
		(it.target.Visibility == model.Public || it.target.Visibility == model.Unlisted) {
		act["cc"] = []string{Public, it.author.URI + "/followers"}
		more, err := f.statusInboxes(ctx, it.author, it.target.Visibility, nil, 0)
		if err != nil {
			return nil, nil, err
		}
		inboxes = append(inboxes, more...)
	}
	return withContext(act), inboxes, nil
}

func (f *Federation) buildInteractionReject(ctx context.Context, j outboxJob) (doc, []string, error) {
	it, err := f.loadInteraction(ctx, j.ev.ObjectID)
	if err != nil {
		return nil, nil, err
	}
	if it.interactor.Local() {
		return nil, nil, drop("local interaction")
	}
	act := withContext(doc{
		"id":     f.svc.InteractionRejectURI(it.author, it.r.ID),
		"type":   "Reject",
		"actor":  it.author.URI,
		"to":     []string{it.interactor.URI},
		"object": it.answerObject(),
		"target": it.target.URI,
	})
	return act, []string{it.interactor.InboxURL}, nil
}

// handleAuthorization serves the authorization object of an accepted
// interaction (GET /users/:username/authorizations/:id), which servers
// dereference to check an approval.
func (f *Federation) handleAuthorization(c echo.Context) error {
	return f.serveAnswer(c, func(it *interaction) doc {
		return withContext(doc{
			"id":                f.svc.InteractionAuthorizationURI(it.author, it.r.ID),
			"type":              authorizationTypes[it.r.Kind],
			"attributedTo":      it.author.URI,
			"interactingObject": it.uri,
			"interactionTarget": it.target.URI,
		})
	})
}

// handleAccept serves the Accept of an interaction (GET
// /users/:username/accepts/:id): GoToSocial before 0.20 dereferences a
// post's approvedBy.
func (f *Federation) handleAccept(c echo.Context) error {
	return f.serveAnswer(c, func(it *interaction) doc {
		return withContext(doc{
			"id":     f.svc.InteractionAcceptURI(it.author, it.r.ID),
			"type":   "Accept",
			"actor":  it.author.URI,
			"to":     []string{it.interactor.URI},
			"object": it.answerObject(),
			"target": it.target.URI,
			"result": f.svc.InteractionAuthorizationURI(it.author, it.r.ID),
		})
	})
}

// serveAnswer serves a document of an accepted request of the account in
// the path; anything else is not found.
func (f *Federation) serveAnswer(c echo.Context, render func(*interaction) doc) error {
	ctx := c.Request().Context()
	auth := f.authorizeFetch(c)
	if stop, err := f.requireSigned(c, auth); stop {
		return err
	}
	notFound := func() error { return apError(c, http.StatusNotFound, "Record not found") }
	a, _, err := f.localAccount(ctx, c.Param("username"))
	if err != nil {
		return err
	}
	if a == nil || a.SuspendedAt != nil {
		return notFound()
	}
	requestID, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return notFound()
	}
	it, err := f.loadInteraction(ctx, requestID)
	if err != nil || it.r.TargetAccountID != a.ID || it.r.AcceptedAt == nil {
		return notFound()
	}
	if it.r.Kind == model.InteractQuote && it.r.RejectedAt != nil {
		return notFound() // a revoked quote
	}
	// It names the post: whoever may not see the post may not see it.
	if ok, err := f.svc.SignerCanSee(ctx, auth.signer, it.target, a); err != nil {
		return err
	} else if !ok {
		return notFound()
	}
	return writeAS(c, http.StatusOK, render(it))
}

// onInteractionAnswer applies a remote author's Accept or Reject of a
// local account's reply, boost or favourite that waits for it: the object is the
// interaction's id (or the interaction, or a request activity whose
// instrument it is). Anything else is not ours to apply.
func (f *Federation) onInteractionAnswer(ctx context.Context, actor *model.Account, act *Object, accept bool) error {
	ref := act.Object
	uri := ref.ID
	if ref.Obj != nil && ref.Obj.Type.Is("ReplyRequest", "AnnounceRequest", "LikeRequest", "QuoteRequest") {
		uri = ref.Obj.Instrument.ID
	}
	if quote, err := f.quoteAnswer(ctx, actor, act, uri, accept); quote || err != nil {
		return err
	}
	if uri == "" || !f.isLocal(uri) {
		return nil
	}
	st, err := f.svc.StatusByURI(ctx, uri)
	if errors.Is(err, storage.ErrNotFound) {
		// Not a post: perhaps a Like of ours waiting for the author.
		_, err := f.svc.FavouriteAnswerReceived(ctx, actor.ID, uri, accept)
		return err
	}
	if err != nil {
		return err
	}
	authorization := act.Result.ID
	if authorization != "" && hostOf(authorization) != hostOf(actor.URI) {
		authorization = "" // only the author's server may authorize
	}
	return f.svc.AnswerReceived(ctx, actor.ID, st, accept, string(act.ID), authorization)
}

// onInteractionRequest applies a polite request for an interaction with
// a local post (GoToSocial's ReplyRequest, LikeRequest, AnnounceRequest;
// Mastodon's QuoteRequest): object is the post, instrument the
// interaction (embedded, or its id).
func (f *Federation) onInteractionRequest(ctx context.Context, actor *model.Account, act *Object) error {
	target := act.Object.ID
	if !f.isLocal(target) {
		return permanentf("%s for a post that is not ours: %q", act.Type.First(), target)
	}
	st, err := f.svc.StatusByURI(ctx, target)
	if err != nil {
		return err
	}
	inst := act.Instrument
	if inst.ID == "" {
		return permanentf("%s without instrument", act.Type.First())
	}
	if hostOf(inst.ID) != hostOf(actor.URI) {
		return permanentf("%s by %s of a foreign interaction %q", act.Type.First(), actor.URI, inst.ID)
	}
	switch {
	case act.Type.Is("ReplyRequest"):
		o, err := f.objectFromOrigin(ctx, actor, inst)
		if err != nil {
			return err
		}
		if !isStatusType(o) || o.AttributedTo.ID != actor.URI || o.InReplyTo.ID != target {
			return permanentf("ReplyRequest whose instrument is not %s's reply to %s", actor.URI, target)
		}
		_, err = f.ingestRequestedNote(ctx, actor, o, 0, string(act.ID))
		return err
	case act.Type.Is("LikeRequest"):
		return f.svc.RemoteInteractionRequest(ctx, model.InteractFavourite, actor.ID, st, inst.ID, string(act.ID), f.now())
	case act.Type.Is("AnnounceRequest"):
		return f.svc.RemoteInteractionRequest(ctx, model.InteractReblog, actor.ID, st, inst.ID, string(act.ID), f.now())
	}
	// A QuoteRequest: the instrument is the quoting post, stored (when it
	// is one, by the actor, quoting the post) before the request is
	// decided, so that the decision shows on it.
	if o, err := f.objectFromOrigin(ctx, actor, inst); err == nil && isStatusType(o) &&
		o.AttributedTo.ID == actor.URI && string(o.ID) == inst.ID && quoteOf(o) == target {
		if _, err := f.ingestNote(ctx, actor, o, 0); err != nil {
			f.log.Info("quoting post not stored", "quote", inst.ID, "err", err)
		}
	}
	return f.svc.RemoteInteractionRequest(ctx, model.InteractQuote, actor.ID, st, inst.ID, string(act.ID), f.now())
}

// checkApproval applies GoToSocial's rule for an interaction (uri, by
// actor: a reply or a boost) with a remote post target, arriving from a
// third server: when target's policy does not let actor do it unasked
// (core's NeedsApprovalProof), it is kept only if one of proofs, on the
// target author's host, dereferences (a signed fetch) to that author's
// authorization or Accept naming this interaction and this post. Anything
// else is dropped (a permanent error); a proof that cannot be fetched now
// is retried.
func (f *Federation) checkApproval(ctx context.Context, kind model.InteractionKind, actor *model.Account, uri string, target *model.Status, proofs ...string) error {
	need, err := f.svc.NeedsApprovalProof(ctx, kind, actor.ID, target)
	if err != nil || !need {
		return err
	}
	author, err := f.svc.AccountByID(ctx, target.AccountID)
	if err != nil {
		return err
	}
	var fetchErr error
	for _, p := range proofs {
		if p == "" || hostOf(p) != hostOf(author.URI) || f.isLocal(p) {
			continue
		}
		o, err := f.fetchObject(ctx, p)
		if err != nil {
			if !isPermanent(err) {
				fetchErr = err // unreachable for now: try again later
			}
			continue
		}
		if approves(o, kind, author.URI, uri, target.URI) {
			return nil
		}
	}
	if fetchErr != nil {
		return fmt.Errorf("approval of %s not fetched: %w", uri, fetchErr)
	}
	return permanentf("%s of %s by %s without its author's approval", kind, target.URI, actor.URI)
}

// approves reports whether o, fetched from the post author's host, is
// that author's approval of the interaction uri with the post target: an
// authorization object of the kind (GoToSocial's ReplyAuthorization and
// AnnounceAuthorization, FEP-044f's QuoteAuthorization), or the Accept
// of the interaction (GoToSocial before 0.20).
func approves(o *Object, kind model.InteractionKind, authorURI, uri, target string) bool {
	if hostOf(string(o.ID)) != hostOf(authorURI) {
		return false
	}
	switch {
	case o.Type.Is(authorizationTypes[kind]):
		return o.AttributedTo.ID == authorURI && string(o.InteractingObject) == uri && string(o.InteractionTarget) == target
	case o.Type.Is("Accept"):
		if o.Actor.ID != authorURI || (o.Target.ID != "" && o.Target.ID != target) {
			return false
		}
		obj := o.Object.ID
		if o.Object.Obj != nil && o.Object.Obj.Type.Is(requestTypes[kind]) {
			obj = o.Object.Obj.Instrument.ID
		}
		return obj == uri
	}
	return false
}
