package core

import (
	"context"
	"errors"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// What the federation engine learns about accounts and applies through
// core: remote actors stored or refreshed, gone, deleted or moved; the
// featured posts of remote actors; local accounts whose Delete went out.
// Store errors are returned unchanged (the engine retries on them); a
// refusal is a 4xx *herr.Error, which the engine does not retry.

// StoreRemoteAccount creates or refreshes a remote account from its actor
// document and returns it as stored. pol is the policy of a.Domain, as
// DomainPolicy returned it (the engine reads it first: nothing is stored
// from a domain it may not talk to). A domain whose media are rejected
// gives no avatar or header; an account of a silenced or suspended domain
// is silenced or suspended, as CreateDomainBlock does to the accounts
// already known.
func (s *FederationService) StoreRemoteAccount(ctx context.Context, a *model.Account, pol DomainPolicy) (*model.Account, error) {
	if a.Local() {
		return nil, herr.Forbidden("Not a remote account")
	}
	if pol.RejectMedia {
		a.AvatarURL, a.HeaderURL = "", ""
	}
	if err := s.store.UpsertRemoteAccount(ctx, a); err != nil {
		return nil, err
	}
	stored, err := s.store.AccountByID(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	return s.applyDomainPolicy(ctx, stored, pol), nil
}

// applyDomainPolicy silences (or suspends) a remote account of a silenced
// (or suspended) domain, unless it already is, and returns it fresh.
// Failures are logged: the account is stored either way.
func (s *FederationService) applyDomainPolicy(ctx context.Context, a *model.Account, pol DomainPolicy) *model.Account {
	var suspend bool
	switch {
	case a.SuspendedAt == nil && pol.Suspended():
		suspend = true
	case a.SilencedAt == nil && pol.Silenced():
	default:
		return a
	}
	if err := s.moderateForDomain(ctx, a.ID, suspend); err != nil {
		s.Log.Error("apply domain policy to account", "account", a.URI, "err", err)
		return a
	}
	if fresh, err := s.store.AccountByID(ctx, a.ID); err == nil {
		return fresh
	}
	return a
}

// moderateForDomain silences, or suspends, a remote account because of
// its domain's block. A suspended account loses its follows with local
// accounts, and nothing is sent to it.
func (s *FederationService) moderateForDomain(ctx context.Context, accountID int64, suspend bool) error {
	t := true
	m := storage.AccountModeration{Silenced: &t}
	if suspend {
		m = storage.AccountModeration{Suspended: &t}
	}
	if err := s.store.ModerateAccount(ctx, accountID, m, nil, nil, nil); err != nil {
		return err
	}
	if suspend {
		s.DropRemoteFollows(ctx, accountID)
	}
	return nil
}

// MarkRemoteAccountGone records that the remote actor uri answered 410
// (deleted at its origin); unknown and local accounts are left alone.
func (s *FederationService) MarkRemoteAccountGone(ctx context.Context, uri string) error {
	a, err := s.store.AccountByURI(ctx, uri)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if a.Local() {
		return nil
	}
	return s.store.MarkAccountGone(ctx, a.ID)
}

// MarkInboxGone marks the remote accounts whose personal inbox is inboxURL
// as gone (a delivery there answered 410) and returns how many.
func (s *FederationService) MarkInboxGone(ctx context.Context, inboxURL string) (int64, error) {
	return s.store.MarkInboxGone(ctx, inboxURL)
}

// RemoteAccountDeleted deletes a remote account that deleted itself (its
// signed Delete of its own actor). Local accounts are deleted only by
// their owner or the moderators (DeleteAccountData).
func (s *FederationService) RemoteAccountDeleted(ctx context.Context, accountID int64) error {
	a, err := s.store.AccountByID(ctx, accountID)
	if err != nil {
		return err
	}
	if a.Local() {
		return herr.Forbidden("A local account is not deleted by an activity")
	}
	return s.store.DeleteAccount(ctx, accountID)
}

// FinishLocalAccountDelete deletes a local account once the federation
// engine has turned its Delete into deliveries (DeleteAccountData keeps
// it, suspended, until then); the store leaves a tombstone, so its actor
// answers 410. It returns the deleted account, or nil when there was
// nothing to delete (gone already, or unsuspended since).
func (s *FederationService) FinishLocalAccountDelete(ctx context.Context, accountID int64) (*model.Account, error) {
	a, err := s.store.AccountByID(ctx, accountID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if !a.Local() || a.SuspendedAt == nil {
		return nil, nil
	}
	if err := s.store.DeleteAccount(context.WithoutCancel(ctx), accountID); err != nil {
		return nil, err
	}
	return a, nil
}

// RemoteAccountMoved applies a remote account's Move to another account
// (the engine checked that the new actor lists the old one in
// alsoKnownAs): the old account records where it went, and its local
// followers follow the new account instead, as in Mastodon.
func (s *FederationService) RemoteAccountMoved(ctx context.Context, from, to *model.Account) error {
	if from.Local() {
		return herr.Forbidden("A local account is not moved by an activity")
	}
	if from.ID == to.ID {
		return herr.Unprocessable("Validation failed: An account cannot move to itself")
	}
	if to.SuspendedAt != nil {
		return herr.Unprocessable("Validation failed: The new account is suspended")
	}
	if err := s.store.SetMovedTo(ctx, from.ID, to.ID, moveFollowersJob(from.ID, to.ID, 0)); err != nil {
		return err
	}
	s.wakeJobs(JobMoveFollowers)
	return nil
}

// RemotePin adds a remote actor's post to its featured posts (an Add to
// its featured collection): only its own posts, at most storage.MaxPins.
func (s *FederationService) RemotePin(ctx context.Context, actorID int64, st *model.Status) error {
	if st.AccountID != actorID {
		return herr.Forbidden("Only the author of a post can feature it")
	}
	if err := s.store.Pin(ctx, actorID, st.ID, nil); errors.Is(err, storage.ErrPinLimit) {
		return herr.Unprocessable("Validation failed: The account already features the maximum number of posts")
	} else if err != nil {
		return err
	}
	return nil
}

// RemoteUnpin removes a remote actor's post, by its URI, from its featured
// posts (a Remove); an unknown post is nothing to do.
func (s *FederationService) RemoteUnpin(ctx context.Context, actorID int64, uri string) error {
	st, err := s.store.StatusByURI(ctx, uri)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if st.AccountID != actorID {
		return herr.Forbidden("Only the author of a post can unfeature it")
	}
	return s.store.Unpin(ctx, actorID, st.ID, nil)
}
