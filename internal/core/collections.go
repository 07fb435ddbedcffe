package core

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Collections, as Mastodon 4.6 defines them (its "featured collections"):
// a user names a list of accounts they recommend, with a description, a
// language, a hashtag and flags; others read it, and an account featured
// in someone's collection may take itself out (revoke). The discoverable
// ones are served to other servers as Mastodon's FeaturedCollection
// objects (the federation engine's featuredCollections); Mastodon's
// activities about them and the featured accounts' approval of remote
// collections are left, so every item is accepted when added.

// Mastodon's limits.
const (
	collectionNameMax        = 40
	collectionDescriptionMax = 100
	collectionItemsMax       = 25
	collectionsPerUser       = 10
)

// CollectionParams are what the owner sets on a collection; nil: unset.
type CollectionParams struct {
	Name, Description, Language, TagName *string
	Sensitive, Discoverable              *bool
	AccountIDs                           []int64
}

// CollectionView is a collection as a viewer sees it: its items (accepted
// ones, and the owner's pending ones for the owner) and their accounts.
type CollectionView struct {
	Collection *storage.Collection
	Items      []*storage.CollectionItem
	Accounts   map[int64]*model.Account // the owner and the items' accounts
}

// validateCollection checks the params (create: name required).
func validateCollection(p CollectionParams, create bool) (storage.CollectionUpdate, error) {
	ve := newValidationError()
	u := storage.CollectionUpdate{Sensitive: p.Sensitive, Discoverable: p.Discoverable}
	if p.Name != nil {
		n := strings.TrimSpace(*p.Name)
		u.Name = &n
	}
	switch {
	case (create && u.Name == nil) || (u.Name != nil && *u.Name == ""):
		ve.add("name", "Name", "ERR_BLANK", "can't be blank")
	case u.Name != nil && utf8.RuneCountInString(*u.Name) > collectionNameMax:
		ve.add("name", "Name", "ERR_TOO_LONG", "is too long (maximum is 40 characters)")
	}
	if p.Description != nil {
		d := strings.TrimSpace(*p.Description)
		if utf8.RuneCountInString(d) > collectionDescriptionMax {
			ve.add("description", "Description", "ERR_TOO_LONG", "is too long (maximum is 100 characters)")
		}
		u.Description = &d
	}
	if p.Language != nil {
		l := strings.TrimSpace(*p.Language)
		if len(l) > 16 || strings.ContainsAny(l, " /<>\"'") {
			ve.add("language", "Language", "ERR_INVALID", "is not a valid language")
		}
		u.Language = &l
	}
	if p.TagName != nil {
		t := strings.TrimPrefix(strings.TrimSpace(*p.TagName), "#")
		if t != "" && !ValidTagName(t) {
			ve.add("tag_name", "Tag name", "ERR_INVALID", "is not a valid hashtag")
		}
		t = strings.ToLower(t)
		u.TagName = &t
	}
	if !ve.empty() {
		return u, ve
	}
	return u, nil
}

// featurable checks that an account may be put in a collection.
func (s *Service) featurable(ctx context.Context, owner *model.Account, accountID int64) error {
	a, err := s.Account(ctx, accountID)
	if err != nil {
		return herr.Unprocessable("Account not found")
	}
	if a.ID != owner.ID {
		if blocked, err := s.store.IsBlockedEitherWay(ctx, a.ID, owner.ID); err != nil {
			return herr.Internal(err)
		} else if blocked {
			return herr.Forbidden("This action is not allowed")
		}
	}
	return nil
}

// CreateCollection makes a collection of the caller's.
func (s *Service) CreateCollection(ctx context.Context, c *Caller, p CollectionParams) (*CollectionView, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	u, err := validateCollection(p, true)
	if err != nil {
		return nil, err
	}
	if len(p.AccountIDs) > collectionItemsMax {
		return nil, herr.Unprocessable("Validation failed: Collection items are too many (maximum is 25)")
	}
	n, err := s.store.CountCollections(ctx, c.Account.ID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	if n >= collectionsPerUser {
		return nil, herr.Unprocessable("Validation failed: You cannot have more than 10 collections")
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, aid := range p.AccountIDs {
		if seen[aid] {
			continue
		}
		seen[aid] = true
		if err := s.featurable(ctx, c.Account, aid); err != nil {
			return nil, err
		}
		ids = append(ids, aid)
	}
	now := s.Now().UTC()
	col := &storage.Collection{AccountID: c.Account.ID, Name: *u.Name, Discoverable: true, CreatedAt: now, UpdatedAt: now}
	if u.Description != nil {
		col.Description = *u.Description
	}
	if u.Language != nil {
		col.Language = *u.Language
	}
	if u.TagName != nil {
		col.TagName = *u.TagName
	}
	if u.Sensitive != nil {
		col.Sensitive = *u.Sensitive
	}
	if u.Discoverable != nil {
		col.Discoverable = *u.Discoverable
	}
	if err := s.store.CreateCollection(ctx, col, ids); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, herr.Unprocessable("Account not found")
		}
		return nil, herr.Internal(err)
	}
	return s.collectionView(ctx, c, col.ID)
}

// Collection returns a collection as the caller sees it.
func (s *Service) Collection(ctx context.Context, c *Caller, id int64) (*CollectionView, error) {
	return s.collectionView(ctx, c, id)
}

func (s *Service) collectionView(ctx context.Context, c *Caller, id int64) (*CollectionView, error) {
	col, err := s.store.Collection(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("collection")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	views, err := s.collectionViews(ctx, c, []*storage.Collection{col})
	if err != nil {
		return nil, err
	}
	if len(views) == 0 {
		return nil, herr.NotFound("collection")
	}
	return views[0], nil
}

// collectionViews loads the items and accounts of collections in a fixed
// number of queries; collections of suspended owners are left out.
func (s *Service) collectionViews(ctx context.Context, c *Caller, cols []*storage.Collection) ([]*CollectionView, error) {
	ids := make([]int64, len(cols))
	for i, col := range cols {
		ids[i] = col.ID
	}
	items, err := s.store.CollectionItems(ctx, ids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	need := map[int64]bool{}
	for _, col := range cols {
		need[col.AccountID] = true
		for _, it := range items[col.ID] {
			need[it.AccountID] = true
		}
	}
	accIDs := make([]int64, 0, len(need))
	for id := range need {
		accIDs = append(accIDs, id)
	}
	accs, err := s.store.AccountsByIDs(ctx, accIDs)
	if err != nil {
		return nil, herr.Internal(err)
	}
	viewer := c.AccountID()
	// Mastodon leaves out the accounts the viewer blocks (one query).
	blocked := map[int64]bool{}
	if viewer != 0 && len(accIDs) > 0 {
		rels, err := s.store.Relationships(ctx, viewer, accIDs)
		if err != nil {
			return nil, herr.Internal(err)
		}
		for _, r := range rels {
			blocked[r.TargetID] = r.Blocking
		}
	}
	out := make([]*CollectionView, 0, len(cols))
	for _, col := range cols {
		owner := accs[col.AccountID]
		if owner == nil || owner.SuspendedAt != nil {
			continue
		}
		v := &CollectionView{Collection: col, Items: []*storage.CollectionItem{}, Accounts: map[int64]*model.Account{owner.ID: owner}}
		for _, it := range items[col.ID] {
			a := accs[it.AccountID]
			if a == nil || a.SuspendedAt != nil || blocked[a.ID] {
				continue
			}
			if it.State == "accepted" || (viewer == col.AccountID && it.State == "pending") {
				v.Items = append(v.Items, it)
				v.Accounts[a.ID] = a
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// ownCollection loads a collection the caller owns (403 otherwise).
func (s *Service) ownCollection(ctx context.Context, c *Caller, id int64) (*storage.Collection, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	col, err := s.store.Collection(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("collection")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	if col.AccountID != c.Account.ID {
		return nil, herr.Forbidden("This action is not allowed")
	}
	return col, nil
}

// UpdateCollection changes a collection of the caller's.
func (s *Service) UpdateCollection(ctx context.Context, c *Caller, id int64, p CollectionParams) (*CollectionView, error) {
	if _, err := s.ownCollection(ctx, c, id); err != nil {
		return nil, err
	}
	u, err := validateCollection(p, false)
	if err != nil {
		return nil, err
	}
	if err := s.store.UpdateCollection(ctx, id, u, s.Now()); err != nil {
		return nil, herr.Internal(err)
	}
	return s.collectionView(ctx, c, id)
}

// DeleteCollection deletes a collection of the caller's.
func (s *Service) DeleteCollection(ctx context.Context, c *Caller, id int64) error {
	if _, err := s.ownCollection(ctx, c, id); err != nil {
		return err
	}
	if err := s.store.DeleteCollection(ctx, id); err != nil {
		return herr.Internal(err)
	}
	return nil
}

// AccountCollections lists an account's collections: the discoverable
// ones, or all of them for their owner.
func (s *Service) AccountCollections(ctx context.Context, c *Caller, accountID int64, offset, limit int) ([]*CollectionView, error) {
	if _, err := s.Account(ctx, accountID); err != nil {
		return nil, err
	}
	cols, err := s.store.AccountCollections(ctx, accountID, c.AccountID() != accountID, offset, limit)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return s.collectionViews(ctx, c, cols)
}

// CollectionsFeaturing lists the collections an account is in (the
// caller's own account: Mastodon's in_collections).
func (s *Service) CollectionsFeaturing(ctx context.Context, c *Caller, accountID int64, offset, limit int) ([]*CollectionView, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	if accountID != c.Account.ID {
		return nil, herr.Forbidden("This action is not allowed")
	}
	cols, err := s.store.CollectionsFeaturing(ctx, accountID, offset, limit)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return s.collectionViews(ctx, c, cols)
}

// AddCollectionItem adds an account to a collection of the caller's.
func (s *Service) AddCollectionItem(ctx context.Context, c *Caller, collectionID, accountID int64) (*storage.CollectionItem, error) {
	if _, err := s.ownCollection(ctx, c, collectionID); err != nil {
		return nil, err
	}
	if accountID == 0 {
		return nil, herr.Unprocessable("`account_id` parameter is missing")
	}
	if err := s.featurable(ctx, c.Account, accountID); err != nil {
		return nil, err
	}
	it := &storage.CollectionItem{CollectionID: collectionID, AccountID: accountID, State: "accepted", CreatedAt: s.Now().UTC()}
	if err := s.store.AddCollectionItem(ctx, it, collectionItemsMax); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return nil, herr.Unprocessable("Validation failed: The account is in the collection already, or it is full (maximum is 25)")
		}
		return nil, herr.Internal(err)
	}
	return it, nil
}

// RemoveCollectionItem removes an item from a collection of the caller's.
func (s *Service) RemoveCollectionItem(ctx context.Context, c *Caller, collectionID, itemID int64) error {
	if _, err := s.ownCollection(ctx, c, collectionID); err != nil {
		return err
	}
	ok, err := s.store.DeleteCollectionItem(ctx, collectionID, itemID)
	if err != nil {
		return herr.Internal(err)
	}
	if !ok {
		return herr.NotFound("collection item")
	}
	return nil
}

// RevokeCollectionItem takes the caller out of someone's collection.
func (s *Service) RevokeCollectionItem(ctx context.Context, c *Caller, collectionID, itemID int64) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	items, err := s.store.CollectionItems(ctx, []int64{collectionID})
	if err != nil {
		return herr.Internal(err)
	}
	for _, it := range items[collectionID] {
		if it.ID != itemID {
			continue
		}
		if it.AccountID != c.Account.ID {
			return herr.Forbidden("This action is not allowed")
		}
		if _, err := s.store.SetCollectionItemState(ctx, collectionID, itemID, "revoked"); err != nil {
			return herr.Internal(err)
		}
		return nil
	}
	return herr.NotFound("collection item")
}

// CollectionURL is a collection's URL (its id, as Mastodon's; Herald
// serves no page or ActivityPub document of it yet).
func (s *Service) CollectionURL(accountID, id int64) string {
	return s.Base() + "/collections/" + strconv.FormatInt(id, 10)
}

// CollectionURI is the ActivityPub id of a local collection, under its
// owner's actor as Mastodon's (uri in the client API).
func (s *Service) CollectionURI(username string, id int64) string {
	return s.LocalActorURI(username) + "/featured_collections/" + strconv.FormatInt(id, 10)
}

// FeaturedCollectionsURI is the actor's featuredCollections collection.
func (s *Service) FeaturedCollectionsURI(username string) string {
	return s.LocalActorURI(username) + "/featured_collections"
}

// SignerCollections lists a local account's collections as the server
// that signed a fetch sees them (signer nil: anonymous): the discoverable
// ones with their accepted items, as the client API shows them to that
// account (accounts the signer blocks left out). An account has at most
// collectionsPerUser collections: they come in one read.
func (s *Service) SignerCollections(ctx context.Context, signer *model.Account, accountID int64) ([]*CollectionView, error) {
	cols, err := s.store.AccountCollections(ctx, accountID, true, 0, collectionsPerUser*2)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return s.collectionViews(ctx, signerCaller(signer), cols)
}

// SignerCollection is one of a local account's collections for a fetch:
// 404 when it is not theirs or not discoverable (Mastodon serves only
// those on the actor).
func (s *Service) SignerCollection(ctx context.Context, signer *model.Account, accountID, id int64) (*CollectionView, error) {
	col, err := s.store.Collection(ctx, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (col.AccountID != accountID || !col.Discoverable)) {
		return nil, herr.NotFound("collection")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	views, err := s.collectionViews(ctx, signerCaller(signer), []*storage.Collection{col})
	if err != nil {
		return nil, err
	}
	if len(views) == 0 {
		return nil, herr.NotFound("collection")
	}
	return views[0], nil
}

// signerCaller is a fetch's signer as a viewer; only remote signers (and
// nil, anonymous) are expected, and they never see pending items.
func signerCaller(signer *model.Account) *Caller {
	if signer == nil || signer.Local() {
		return nil
	}
	return &Caller{Account: signer}
}
