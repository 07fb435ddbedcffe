package core

import (
	"context"
	"errors"
	"github.com/herald-social/herald/internal/herr"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Look-ups for the federation engine. The engine acts for no viewer: it
// addresses, signs and renders what core recorded, and finds the local and
// remote records an incoming activity names. So these read records as they
// are (suspended accounts included; whether a remote signer may see a
// status is SignerCanSee's rule) and return the store's errors unchanged:
// storage.ErrNotFound when there is no such record.

// AccountByID returns any account, suspended or not.
func (s *FederationService) AccountByID(ctx context.Context, id int64) (*model.Account, error) {
	return s.store.AccountByID(ctx, id)
}

// AccountsByIDs returns the accounts of ids that exist, by id, suspended
// ones included. The surfaces use it too, for the accounts a record names
// (a report's target, a note's author, an audit entry's actor), shown
// whatever became of them; lists of accounts use VisibleAccounts.
func (s *FederationService) AccountsByIDs(ctx context.Context, ids []int64) (map[int64]*model.Account, error) {
	return s.store.AccountsByIDs(ctx, ids)
}

// AccountByURI finds an account by its ActivityPub id.
func (s *FederationService) AccountByURI(ctx context.Context, uri string) (*model.Account, error) {
	return s.store.AccountByURI(ctx, uri)
}

// AccountByKeyID finds the account whose public key has that id.
func (s *FederationService) AccountByKeyID(ctx context.Context, keyID string) (*model.Account, error) {
	return s.store.AccountByKeyID(ctx, keyID)
}

// AccountByUsername finds the account username@domain (domain "": local).
func (s *FederationService) AccountByUsername(ctx context.Context, username, domain string) (*model.Account, error) {
	return s.store.AccountByUsername(ctx, username, domain)
}

// AccountByProfileURL finds an account of domain ("": local) by its
// profile URL. Pass the URL's own host: an actor may claim any url, so one
// is trusted only on the actor's host.
func (s *FederationService) AccountByProfileURL(ctx context.Context, u, domain string) (*model.Account, error) {
	return s.store.AccountByURL(ctx, u, domain)
}

// StatusByID returns a status, whoever may see it.
func (s *FederationService) StatusByID(ctx context.Context, id int64) (*model.Status, error) {
	return s.store.StatusByID(ctx, id)
}

// StatusByURI finds a status by its ActivityPub id.
func (s *FederationService) StatusByURI(ctx context.Context, uri string) (*model.Status, error) {
	return s.store.StatusByURI(ctx, uri)
}

// TombstoneAt reports when the local object with that URI was deleted
// (nil: it was not).
func (s *FederationService) TombstoneAt(ctx context.Context, uri string) (*time.Time, error) {
	return s.store.TombstoneAt(ctx, uri)
}

// FollowByURI finds a follow, or else a pending request, by its
// ActivityPub id.
func (s *FederationService) FollowByURI(ctx context.Context, uri string) (*model.Follow, error) {
	return s.store.FollowByURI(ctx, uri)
}

// IsFavouriteURI reports whether a favourite has that ActivityPub id.
func (s *FederationService) IsFavouriteURI(ctx context.Context, uri string) (bool, error) {
	_, _, err := s.store.FavouriteByURI(ctx, uri)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// FollowerLinks pages through the follows of accountID (newest first).
func (s *FederationService) FollowerLinks(ctx context.Context, accountID int64, p model.Page) ([]storage.AccountLink, error) {
	if err := s.collectionShown(ctx, accountID); err != nil {
		return nil, err
	}
	return s.store.Followers(ctx, accountID, p)
}

// CollectionListed says whether an account's followers and following
// collections list their members; an account that hides them
// (hide_collections) publishes their totals only, as Mastodon.
func (s *FederationService) CollectionListed(a *model.Account) bool { return !a.HideCollections }

// collectionShown refuses a page of a hidden collection (Mastodon: 403).
func (s *FederationService) collectionShown(ctx context.Context, accountID int64) error {
	a, err := s.store.AccountByID(ctx, accountID)
	if err != nil {
		return storeErr(err)
	}
	if !s.CollectionListed(a) {
		return herr.Forbidden("This account hides its followers and follows")
	}
	return nil
}

// FollowingLinks pages through the accounts accountID follows.
func (s *FederationService) FollowingLinks(ctx context.Context, accountID int64, p model.Page) ([]storage.AccountLink, error) {
	if err := s.collectionShown(ctx, accountID); err != nil {
		return nil, err
	}
	return s.store.Following(ctx, accountID, p)
}

// FollowerInboxes lists the distinct inboxes of accountID's remote
// followers (shared inboxes where known).
func (s *FederationService) FollowerInboxes(ctx context.Context, accountID int64) ([]string, error) {
	return s.store.FollowerInboxes(ctx, accountID)
}

// HasLocalFollowers reports whether any local account follows accountID:
// whether anyone here cares about a remote actor's posts and boosts.
func (s *FederationService) HasLocalFollowers(ctx context.Context, accountID int64) (bool, error) {
	n, err := s.store.CountLocalFollowers(ctx, accountID)
	return n > 0, err
}
