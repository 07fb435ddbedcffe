package core

import (
	"context"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Lists of accounts: an account's followers and follows, and the caller's
// follow requests, blocks and mutes. Each is kept as links paged by the
// link's row id; what a viewer is shown of them is decided here.

// AccountPage is one page of a list of accounts.
type AccountPage struct {
	// Accounts are those shown, in list order.
	Accounts []*model.Account
	// ExpiresAt is, for a page of mutes, when each mute ends (absent or
	// nil: never).
	ExpiresAt map[int64]*time.Time
	// Newest and Oldest are the page's cursors (the links' row ids), 0 on
	// an empty page. They cover hidden accounts too, so that paging goes
	// on past a page whose accounts were all hidden.
	Newest, Oldest int64
}

// VisibleAccounts returns the accounts of ids that exist and are not
// suspended, in the order of ids: the accounts a list may show.
func (s *Service) VisibleAccounts(ctx context.Context, ids []int64) ([]*model.Account, error) {
	m, err := s.store.AccountsByIDs(ctx, ids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	out := make([]*model.Account, 0, len(ids))
	for _, id := range ids {
		if a := m[id]; a != nil && a.SuspendedAt == nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// Followers pages through the accounts that follow accountID, as the
// caller may see them (graphList).
func (s *Service) Followers(ctx context.Context, c *Caller, accountID int64, p model.Page) (*AccountPage, error) {
	return s.graphList(ctx, c, accountID, p, s.store.Followers)
}

// Following pages through the accounts accountID follows, as the caller
// may see them (graphList).
func (s *Service) Following(ctx context.Context, c *Caller, accountID int64, p model.Page) (*AccountPage, error) {
	return s.graphList(ctx, c, accountID, p, s.store.Following)
}

// graphList is Mastodon's rule for an account's followers and follows: an
// account that blocks the viewer shows the viewer an empty list, and the
// viewer is not shown the accounts it blocks, is blocked by or mutes
// (Mastodon's excluded_from_timeline_account_ids), except in its own
// lists. Suspended accounts are never shown.
func (s *Service) graphList(ctx context.Context, c *Caller, accountID int64, p model.Page,
	list func(ctx context.Context, id int64, p model.Page) ([]storage.AccountLink, error)) (*AccountPage, error) {
	acc, err := s.Account(ctx, accountID)
	if err != nil {
		return nil, err
	}
	viewer := c.AccountID()
	other := viewer != 0 && viewer != acc.ID
	if acc.HideCollections && viewer != acc.ID {
		// Its owner asked to show the lists to nobody else (the counts
		// stay on the profile), as Mastodon's hide_collections.
		return &AccountPage{}, nil
	}
	if other {
		rel, err := s.Relationship(ctx, viewer, acc.ID)
		if err != nil {
			return nil, err
		}
		if rel.BlockedBy {
			return &AccountPage{}, nil
		}
	}
	links, err := list(ctx, acc.ID, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	out, err := s.accountPage(ctx, links)
	if err != nil || !other || len(out.Accounts) == 0 {
		return out, err
	}
	ids := make([]int64, len(out.Accounts))
	for i, a := range out.Accounts {
		ids[i] = a.ID
	}
	rels, err := s.Relationships(ctx, viewer, ids)
	if err != nil {
		return nil, err
	}
	excluded := map[int64]bool{}
	for _, r := range rels {
		if r.Blocking || r.BlockedBy || r.Muting {
			excluded[r.TargetID] = true
		}
	}
	shown := out.Accounts[:0]
	for _, a := range out.Accounts {
		if !excluded[a.ID] {
			shown = append(shown, a)
		}
	}
	out.Accounts = shown
	return out, nil
}

// FollowRequests pages through the accounts waiting for the caller's
// answer to their follow request.
func (s *Service) FollowRequests(ctx context.Context, c *Caller, p model.Page) (*AccountPage, error) {
	return s.ownList(ctx, c, p, s.store.FollowRequests)
}

// Blocks pages through the accounts the caller blocks.
func (s *Service) Blocks(ctx context.Context, c *Caller, p model.Page) (*AccountPage, error) {
	return s.ownList(ctx, c, p, s.store.Blocks)
}

// Mutes pages through the accounts the caller mutes (unexpired mutes),
// with when each mute ends.
func (s *Service) Mutes(ctx context.Context, c *Caller, p model.Page) (*AccountPage, error) {
	return s.ownList(ctx, c, p, s.store.Mutes)
}

func (s *Service) ownList(ctx context.Context, c *Caller, p model.Page,
	list func(ctx context.Context, id int64, p model.Page) ([]storage.AccountLink, error)) (*AccountPage, error) {
	links, err := own(c, func(me int64) ([]storage.AccountLink, error) { return list(ctx, me, p) })
	if err != nil {
		return nil, err
	}
	return s.accountPage(ctx, links)
}

// accountPage loads the visible accounts of a page of links.
func (s *Service) accountPage(ctx context.Context, links []storage.AccountLink) (*AccountPage, error) {
	out := &AccountPage{}
	if len(links) == 0 {
		return out, nil
	}
	out.Newest, out.Oldest = links[0].ID, links[len(links)-1].ID
	ids := make([]int64, len(links))
	for i, l := range links {
		ids[i] = l.AccountID
		if l.ExpiresAt != nil {
			if out.ExpiresAt == nil {
				out.ExpiresAt = map[int64]*time.Time{}
			}
			out.ExpiresAt[l.AccountID] = l.ExpiresAt
		}
	}
	accs, err := s.VisibleAccounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out.Accounts = accs
	return out, nil
}
