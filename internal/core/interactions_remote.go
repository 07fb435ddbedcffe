package core

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Interaction policies and other servers. Remote interactions with local
// posts are judged by DecideInteraction, like local ones: what the policy
// does not approve automatically is held for the author, even when it is
// denied outright (the other server may not know policies; the author may
// still let it in). What is approved only because the interacting account
// follows the author is answered with an Accept at once, as GoToSocial's
// servers wait for one. Local interactions with remote posts wait for the
// remote author's Accept (AnswerReceived).

// awaitsAccept reports whether the server of an approved interaction may
// be waiting for an Accept: it asked (a request activity), or the policy
// as it reads it names the actor only through a collection it cannot
// check (followers, following). Besides the relations DecideInteraction
// reports, that is a followers-only post open to "anyone who may see it",
// which is told to other servers as open to the author's followers
// (render.go), for an actor the post does not name.
func awaitsAccept(d InteractionDecision, st *model.Status, kind model.InteractionKind, actorID int64, requestURI string) bool {
	if d.ByRelation || requestURI != "" {
		return true
	}
	named := slices.Contains(st.MentionIDs, actorID) || st.InReplyToAccountID == actorID
	return st.Visibility == model.Private && !named && slices.Contains(effectivePolicy(st).Rule(kind).Automatic, model.PolicyPublic)
}

// judgeRemoteReply decides on a remote reply to a local post: the request
// to store with it (nil: an ordinary reply) and the events (an Accept).
// A held reply is marked pending.
func (s *FederationService) judgeRemoteReply(ctx context.Context, reply, parent *model.Status, requestURI string) (*model.InteractionRequest, []model.OutboxEvent, error) {
	actor, err := s.store.AccountByID(ctx, reply.AccountID)
	if err != nil {
		return nil, nil, statusStoreErr(err)
	}
	d, err := s.decide(ctx, model.InteractReply, parent, actor)
	if err != nil {
		return nil, nil, err
	}
	r := &model.InteractionRequest{ID: id.New(), Kind: model.InteractReply, StatusID: parent.ID,
		TargetAccountID: parent.AccountID, AccountID: actor.ID, URI: reply.URI, RequestURI: requestURI}
	if d.Approval != Approved {
		reply.PendingApproval = true
		return r, nil, nil
	}
	if !awaitsAccept(d, parent, model.InteractReply, actor.ID, requestURI) {
		return nil, nil, nil
	}
	// Approved, and the replying server may be waiting for our word.
	author, err := s.store.AccountByID(ctx, parent.AccountID)
	if err != nil {
		return nil, nil, statusStoreErr(err)
	}
	now := time.Now().UTC()
	r.AcceptedAt = &now
	reply.ApprovedBy = s.InteractionAcceptURI(author, r.ID)
	reply.Authorization = s.InteractionAuthorizationURI(author, r.ID)
	return r, []model.OutboxEvent{{Kind: model.EventInteractionAccept, AccountID: author.ID, ObjectID: r.ID}}, nil
}

// judgeRemoteInteraction decides on a remote favourite or boost of a local
// post (uri: the Like or Announce; requestURI: the LikeRequest or
// AnnounceRequest, if any). held: it waits for the author's answer (or was
// only announced approved, for a request), and the caller records nothing.
func (s *FederationService) judgeRemoteInteraction(ctx context.Context, kind model.InteractionKind, actorID int64, st *model.Status, uri, requestURI string, at time.Time) (held bool, err error) {
	if !st.Local {
		return false, nil
	}
	actor, err := s.store.AccountByID(ctx, actorID)
	if err != nil {
		return false, statusStoreErr(err)
	}
	d, err := s.decide(ctx, kind, st, actor)
	if err != nil {
		return false, err
	}
	if d.Approval == Approved && !awaitsAccept(d, st, kind, actorID, requestURI) {
		return false, nil
	}
	_, created := remoteID(at)
	r := &model.InteractionRequest{Kind: kind, StatusID: st.ID, TargetAccountID: st.AccountID, AccountID: actorID,
		URI: uri, RequestURI: requestURI, CreatedAt: created}
	if d.Approval != Approved {
		if err := s.store.CreateInteractionRequest(ctx, r, nil); err != nil {
			return false, statusStoreErr(err)
		}
		return true, nil
	}
	now := time.Now().UTC()
	r.AcceptedAt = &now
	ev := model.OutboxEvent{Kind: model.EventInteractionAccept, AccountID: st.AccountID} // ObjectID: the request, set by the store
	if err := s.store.CreateInteractionRequest(ctx, r, []model.OutboxEvent{ev}); err != nil {
		return false, statusStoreErr(err)
	}
	s.kick()
	// A polite request carries the interaction to make once accepted; an
	// impolite one was made already and is recorded now.
	return requestURI != "", nil
}

// RemoteInteractionRequest applies a polite request (GoToSocial's
// LikeRequest and AnnounceRequest, Mastodon's QuoteRequest) from actorID
// for an interaction uri with the local status st: approved ones are
// Accepted at once (and a favourite or boost recorded), others held for
// the author, and a quote the policy denies is Rejected (the quoting
// server knows the policy and asked anyway).
func (s *FederationService) RemoteInteractionRequest(ctx context.Context, kind model.InteractionKind, actorID int64, st *model.Status, uri, requestURI string, at time.Time) error {
	if !st.Local || st.ReblogOfID != 0 {
		return herr.BadRequest("not a local post")
	}
	if err := s.remoteMaySee(ctx, actorID, st); err != nil {
		return err
	}
	actor, err := s.store.AccountByID(ctx, actorID)
	if err != nil {
		return statusStoreErr(err)
	}
	d, err := s.decide(ctx, kind, st, actor)
	if err != nil {
		return err
	}
	_, created := remoteID(at)
	r := &model.InteractionRequest{Kind: kind, StatusID: st.ID, TargetAccountID: st.AccountID, AccountID: actorID,
		URI: uri, RequestURI: requestURI, CreatedAt: created}
	now := time.Now().UTC()
	var events []model.OutboxEvent
	switch {
	case d.Approval == Denied && kind == model.InteractQuote:
		r.RejectedAt = &now
		events = []model.OutboxEvent{{Kind: model.EventInteractionReject, AccountID: st.AccountID}}
	case d.Approval == Approved:
		r.AcceptedAt = &now
		events = []model.OutboxEvent{{Kind: model.EventInteractionAccept, AccountID: st.AccountID}}
	}
	if err := s.store.CreateInteractionRequest(ctx, r, events); err != nil {
		return statusStoreErr(err)
	}
	if kind == model.InteractQuote {
		if err := s.remoteQuoteDecided(ctx, st, r); err != nil {
			return err
		}
	}
	if d.Approval == Approved {
		switch kind {
		case model.InteractFavourite:
			if err := s.store.Favourite(ctx, actorID, st.ID, uri, nil); err != nil {
				return statusStoreErr(err)
			}
			s.notify(ChangeNotification, st.AccountID, st.ID)
		case model.InteractReblog:
			boost := &model.Status{URI: uri, AccountID: actorID, ReblogOfID: st.ID, Visibility: model.Public}
			boost.ID, boost.CreatedAt = remoteID(at)
			if _, err := s.store.Reblog(ctx, boost, nil); err != nil {
				return statusStoreErr(err)
			}
			s.notify(ChangeNotification, st.AccountID, st.ID)
		}
	}
	if len(events) > 0 {
		s.kick()
	}
	return nil
}

// AnswerReceived applies a remote author's Accept or Reject of a local
// account's interaction with their post: st is the pending reply (or
// boost) it names, actorID who answered, acceptURI and authorization the
// Accept's id and result. An accepted reply is shown here and federated to
// its whole audience, now carrying the approval; a rejected one deleted
// (it reached nobody but the author who rejected it).
func (s *FederationService) AnswerReceived(ctx context.Context, actorID int64, st *model.Status, accepted bool, acceptURI, authorization string) error {
	if !st.Local || !st.PendingApproval {
		return nil // not ours, or answered already
	}
	interactee := st.InReplyToAccountID
	if st.ReblogOfID != 0 {
		orig, err := s.store.StatusByID(ctx, st.ReblogOfID)
		if err != nil {
			return statusStoreErr(err)
		}
		interactee = orig.AccountID
	}
	if interactee != actorID {
		return herr.Forbidden("only the author interacted with may answer")
	}
	if !accepted {
		if err := s.store.DeleteStatus(ctx, st.ID, nil); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return herr.Internal(err)
		}
		s.notify(ChangeStatusDeleted, st.AccountID, st.ID)
		return nil
	}
	kind := model.EventStatusCreate
	if st.ReblogOfID != 0 {
		kind = model.EventReblog
	}
	ev := model.OutboxEvent{Kind: kind, AccountID: st.AccountID, ObjectID: st.ID}
	if err := s.store.ApproveStatus(ctx, st.ID, acceptURI, authorization, []model.OutboxEvent{ev}); err != nil {
		return statusStoreErr(err)
	}
	s.kick()
	if approved, err := s.store.StatusByID(ctx, st.ID); err == nil {
		s.statusReleased(ctx, approved)
	}
	return nil
}

// FavouriteAnswerReceived applies a remote author's Accept or Reject of a
// local account's favourite (likeURI, its Like) that waits for it:
// accepted, it counts; rejected, it is gone. answered is false when no
// local favourite has that id (the answer is about something else).
func (s *FederationService) FavouriteAnswerReceived(ctx context.Context, actorID int64, likeURI string, accepted bool) (answered bool, err error) {
	_, statusID, err := s.store.FavouriteByURI(ctx, likeURI)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, herr.Internal(err)
	}
	st, err := s.store.StatusByID(ctx, statusID)
	if err != nil {
		return false, statusStoreErr(err)
	}
	if st.AccountID != actorID {
		return true, herr.Forbidden("only the author interacted with may answer")
	}
	if _, err := s.store.AnswerFavourite(ctx, likeURI, accepted); err != nil {
		return true, herr.Internal(err)
	}
	return true, nil
}

// NeedsApprovalProof reports whether an interaction of kind by actorID
// with the remote post st is shown here only with its author's approval
// attached (approvedBy, replyAuthorization, announceAuthorization), as
// GoToSocial checks it: the post's policy, as its server published it,
// does not approve the interaction automatically, or approves it only
// through a relation that server alone can check (followers, following).
// A post that declares no policy is open; a local post is judged here
// (judgeRemoteReply, judgeRemoteInteraction).
func (s *FederationService) NeedsApprovalProof(ctx context.Context, kind model.InteractionKind, actorID int64, st *model.Status) (bool, error) {
	if st.Local || st.Policy == nil || actorID == st.AccountID {
		return false, nil
	}
	actor, err := s.store.AccountByID(ctx, actorID)
	if err != nil {
		return false, statusStoreErr(err)
	}
	d, err := s.decide(ctx, kind, st, actor)
	if err != nil {
		return false, err
	}
	return d.Approval != Approved || d.ByRelation, nil
}

// InteractionRequestByID returns a request, for the federation engine
// (its answers' activities and authorization objects).
func (s *FederationService) InteractionRequestByID(ctx context.Context, requestID int64) (*model.InteractionRequest, error) {
	return s.store.InteractionRequest(ctx, requestID)
}
