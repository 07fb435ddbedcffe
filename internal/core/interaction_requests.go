package core

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// What an author does with interaction policies: their defaults, the
// policy of a post, and the interactions waiting for their answer
// (GoToSocial's /api/v1/interaction_policies/defaults and
// /api/v1/interaction_requests).

// requestLocalInteraction records a local account's favourite or boost of
// a local post whose author must approve it.
func (s *Service) requestLocalInteraction(ctx context.Context, c *Caller, kind model.InteractionKind, st *model.Status) error {
	r := &model.InteractionRequest{Kind: kind, StatusID: st.ID, TargetAccountID: st.AccountID, AccountID: c.Account.ID}
	if err := s.store.CreateInteractionRequest(ctx, r, nil); err != nil {
		return statusStoreErr(err)
	}
	return nil
}

// InteractionDefaults returns the caller's default policies for each
// visibility (theirs where set, else the instance's).
func (s *InteractionService) InteractionDefaults(ctx context.Context, c *Caller) (map[model.Visibility]model.InteractionPolicy, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	out := map[model.Visibility]model.InteractionPolicy{}
	for _, vis := range []model.Visibility{model.Public, model.Unlisted, model.Private, model.Direct} {
		p, err := s.defaultInteractionPolicy(ctx, c.Account.ID, vis)
		if err != nil {
			return nil, err
		}
		out[vis] = p
	}
	return out, nil
}

// SetInteractionDefaults sets the caller's defaults for every
// visibility: a choice (on the instance's default) for those in set, the
// instance's default for the others (GoToSocial's PATCH, where an omitted
// visibility is reset).
func (s *InteractionService) SetInteractionDefaults(ctx context.Context, c *Caller, set map[model.Visibility]PolicyChoice) (map[model.Visibility]model.InteractionPolicy, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	var d model.InteractionDefaults
	for vis, choice := range set {
		if choice == nil {
			continue
		}
		p, err := choice.onto(s.InstanceInteractionPolicy(vis))
		if err != nil {
			return nil, err
		}
		d.Set(vis, &p)
	}
	if err := s.store.SetInteractionDefaults(ctx, c.Account.ID, d); err != nil {
		return nil, herr.Internal(err)
	}
	return s.InteractionDefaults(ctx, c)
}

// DefaultInteractionPolicy is the policy a new post of accountID with
// visibility vis gets when it names none (the account's default, else
// the instance's).
func (s *Service) DefaultInteractionPolicy(ctx context.Context, accountID int64, vis model.Visibility) (model.InteractionPolicy, error) {
	return s.defaultInteractionPolicy(ctx, accountID, vis)
}

// SetDefaultRules changes the kinds choice names in the caller's defaults
// for the visibilities vis, and keeps the rest as it was (Mastodon's
// source[quote_policy], the web client's settings). A visibility the
// caller never set starts from the instance's default.
func (s *InteractionService) SetDefaultRules(ctx context.Context, c *Caller, vis []model.Visibility, choice PolicyChoice) (map[model.Visibility]model.InteractionPolicy, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	d, err := s.store.InteractionDefaults(ctx, c.Account.ID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	for _, v := range vis {
		base := s.InstanceInteractionPolicy(v)
		if p := d.For(v); p != nil {
			base = *p
		}
		p, err := choice.onto(base)
		if err != nil {
			return nil, err
		}
		d.Set(v, &p)
	}
	if err := s.store.SetInteractionDefaults(ctx, c.Account.ID, d); err != nil {
		return nil, herr.Internal(err)
	}
	return s.InteractionDefaults(ctx, c)
}

// SetStatusPolicy changes the policy of one of the caller's posts (the
// kinds the choice names) and federates it (an Update of the post).
func (s *Service) SetStatusPolicy(ctx context.Context, c *Caller, statusID int64, choice PolicyChoice) (*model.Status, error) {
	st, err := s.ownStatus(ctx, c, statusID)
	if err != nil {
		return nil, err
	}
	if st.ReblogOfID != 0 {
		return nil, herr.NotFound("status")
	}
	changed, err := choice.onto(effectivePolicy(st))
	if err != nil {
		return nil, err
	}
	ev := model.OutboxEvent{Kind: model.EventStatusUpdate, AccountID: c.Account.ID, ObjectID: st.ID}
	if err := s.store.SetStatusPolicy(ctx, st.ID, &changed, []model.OutboxEvent{ev}); err != nil {
		return nil, statusStoreErr(err)
	}
	s.kick()
	return s.reload(ctx, st.ID)
}

// InteractionRequestPage is a page of interaction requests ready to
// render for their author.
type InteractionRequestPage struct {
	Requests []*model.InteractionRequest
	// View holds the statuses interacted with and the held replies.
	View *StatusView
	// Accounts holds the interacting accounts.
	Accounts       map[int64]*model.Account
	Newest, Oldest int64
}

// InteractionRequests pages through the interactions waiting for the
// caller's answer, newest first.
func (s *InteractionService) InteractionRequests(ctx context.Context, c *Caller, f storage.InteractionRequestFilter, p model.Page) (*InteractionRequestPage, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	reqs, err := s.store.PendingInteractionRequests(ctx, c.Account.ID, f, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return s.requestPage(ctx, c, reqs)
}

// InteractionRequest returns one of the caller's requests (answered or not).
func (s *InteractionService) InteractionRequest(ctx context.Context, c *Caller, requestID int64) (*InteractionRequestPage, error) {
	r, err := s.ownRequest(ctx, c, requestID)
	if err != nil {
		return nil, err
	}
	return s.requestPage(ctx, c, []*model.InteractionRequest{r})
}

func (s *InteractionService) ownRequest(ctx context.Context, c *Caller, requestID int64) (*model.InteractionRequest, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	r, err := s.store.InteractionRequest(ctx, requestID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && r.TargetAccountID != c.Account.ID) {
		return nil, herr.NotFound("interaction request")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	return r, nil
}

// requestPage loads what rendering requests needs: the statuses (as the
// author, who sees the replies held for them) and the interacting accounts.
func (s *InteractionService) requestPage(ctx context.Context, c *Caller, reqs []*model.InteractionRequest) (*InteractionRequestPage, error) {
	page := &InteractionRequestPage{Requests: reqs}
	if len(reqs) > 0 {
		page.Newest, page.Oldest = reqs[0].ID, reqs[len(reqs)-1].ID
	}
	var statusIDs, accountIDs []int64
	for _, r := range reqs {
		statusIDs = append(statusIDs, r.StatusID)
		if r.ReplyID != 0 {
			statusIDs = append(statusIDs, r.ReplyID)
		}
		accountIDs = append(accountIDs, r.AccountID)
	}
	m, err := s.store.StatusesByIDs(ctx, statusIDs)
	if err != nil {
		return nil, herr.Internal(err)
	}
	var sts []*model.Status
	for _, sid := range statusIDs {
		if st := m[sid]; st != nil {
			sts = append(sts, st)
		}
	}
	if page.View, err = s.View(ctx, c.Account.ID, sts, ViewOptions{interactee: true}); err != nil {
		return nil, err
	}
	if page.Accounts, err = s.store.AccountsByIDs(ctx, accountIDs); err != nil {
		return nil, herr.Internal(err)
	}
	return page, nil
}

// AnswerInteractionRequest approves (accept) or rejects one of the
// caller's pending requests. An approved reply is shown (and, when it is
// a local account's, federated), an approved favourite or boost made; a
// rejected reply is deleted. A remote interacting server is sent the
// Accept (naming the authorization object it attaches to the interaction)
// or the Reject.
func (s *InteractionService) AnswerInteractionRequest(ctx context.Context, c *Caller, requestID int64, accept bool) (*InteractionRequestPage, error) {
	r, err := s.ownRequest(ctx, c, requestID)
	if err != nil {
		return nil, err
	}
	if !r.Pending() {
		if (accept && r.AcceptedAt != nil) || (!accept && r.RejectedAt != nil) {
			return s.requestPage(ctx, c, []*model.InteractionRequest{r}) // asked twice: done
		}
		return nil, herr.Unprocessable("Validation failed: This interaction request was answered already")
	}
	interactor, err := s.store.AccountByID(ctx, r.AccountID)
	if err != nil {
		return nil, statusStoreErr(err)
	}
	a := storage.InteractionAnswer{RequestID: r.ID, Accept: accept, At: time.Now().UTC()}
	if accept && r.Kind == model.InteractReply {
		a.ApprovedBy = s.InteractionAcceptURI(c.Account, r.ID)
		a.Authorization = s.InteractionAuthorizationURI(c.Account, r.ID)
	}
	switch {
	case !interactor.Local():
		kind := model.EventInteractionReject
		if accept {
			kind = model.EventInteractionAccept
		}
		a.Events = []model.OutboxEvent{{Kind: kind, AccountID: c.Account.ID, ObjectID: r.ID}}
	case accept && r.Kind == model.InteractReply:
		// The local reply was held here: it federates now.
		a.Events = []model.OutboxEvent{{Kind: model.EventStatusCreate, AccountID: interactor.ID, ObjectID: r.ReplyID}}
	}
	if accept && r.Kind == model.InteractReblog {
		a.Boost = &model.Status{AccountID: interactor.ID, ReblogOfID: r.StatusID, Visibility: model.Public}
		if interactor.Local() {
			a.Boost.ID, a.Boost.Local = id.New(), true
			a.Boost.CreatedAt = id.Time(a.Boost.ID).UTC()
			a.Boost.URI = s.LocalStatusURI(interactor.Username, strconv.FormatInt(a.Boost.ID, 10)) + "/activity"
			a.Events = append(a.Events, model.OutboxEvent{Kind: model.EventReblog, AccountID: interactor.ID, ObjectID: a.Boost.ID})
		} else {
			a.Boost.URI = r.URI
			a.Boost.ID, a.Boost.CreatedAt = remoteID(r.CreatedAt)
		}
	}
	if err := s.store.AnswerInteraction(ctx, a); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return nil, herr.Unprocessable("Validation failed: This interaction request was answered already")
		}
		return nil, statusStoreErr(err)
	}
	s.kick()
	if r.Kind == model.InteractQuote {
		if err := s.quoteAnswered(ctx, c.Account, r, accept); err != nil {
			return nil, err
		}
	}
	switch {
	case accept && r.Kind == model.InteractReply:
		if reply, err := s.store.StatusByID(ctx, r.ReplyID); err == nil {
			s.statusReleased(ctx, reply)
		}
	case accept && r.Kind == model.InteractReblog:
		s.notify(ChangeStatusCreated, interactor.ID, a.Boost.ID)
	case !accept && r.Kind == model.InteractReply && r.ReplyID != 0:
		s.notify(ChangeStatusDeleted, interactor.ID, r.ReplyID)
	}
	answered, err := s.store.InteractionRequest(ctx, r.ID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return s.requestPage(ctx, c, []*model.InteractionRequest{answered})
}
