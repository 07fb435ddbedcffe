package core

import (
	"context"
	"sync"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// The account cache: the account rows that pages of statuses show (as
// storage.Accounts.AccountsToShow reads them, without keys), kept between
// requests. It follows the auth cache's rule (authcache.go): entries are
// used only at the value of the store's "accounts" counter they were read
// at, which triggers bump in the transaction of any change to an account
// row, by any process; when it moved, the whole cache is dropped. If the
// counter cannot be read, the rows are read from the store.
type accountCache struct {
	mu       sync.Mutex
	version  int64
	accounts map[int64]*model.Account
}

const accountCacheMax = 4096

// accountsToShow returns the accounts among ids, from the cache where it
// may, reading the others in one query.
func (s *Service) accountsToShow(ctx context.Context, ids []int64) (map[int64]*model.Account, error) {
	v, err := s.store.AccountsVersion(ctx)
	if err != nil {
		return orInternal(s.store.AccountsToShow(ctx, ids))
	}
	c := &s.accountCache
	out := make(map[int64]*model.Account, len(ids))
	var missing []int64
	c.mu.Lock()
	if c.version != v || c.accounts == nil {
		c.version, c.accounts = v, map[int64]*model.Account{}
	}
	for _, id := range ids {
		if _, done := out[id]; done {
			continue
		}
		if a := c.accounts[id]; a != nil {
			cp := *a
			out[id] = &cp
		} else {
			missing = append(missing, id)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	got, err := s.store.AccountsToShow(ctx, missing)
	if err != nil {
		return nil, herr.Internal(err)
	}
	c.mu.Lock()
	if c.version == v {
		if len(c.accounts)+len(got) > accountCacheMax {
			clear(c.accounts)
		}
		for id, a := range got {
			cp := *a
			c.accounts[id] = &cp
		}
	}
	c.mu.Unlock()
	for id, a := range got {
		out[id] = a
	}
	return out, nil
}
