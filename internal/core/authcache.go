package core

import (
	"context"
	"crypto/sha256"
	"sync"

	"github.com/herald-social/herald/internal/model"
)

// The auth cache: what every authenticated request reads before its own
// work (its token's caller: token, user, account; the roles behind
// permissions, the follow requests an account's credentials show), kept in
// memory between requests.
//
// Correctness does not rest on this process seeing the changes: the store
// keeps a version counter (storage.Auth.AuthVersion) that triggers bump in
// the transaction of every change to tokens, users, local accounts, roles
// and follow requests, whoever makes it (this process, the command line, a
// second server on the same database). Each lookup reads the counter first
// (one primary-key row on a kept prepared statement) and uses only entries
// read at that same value; when it moved, the whole cache is dropped. So a
// revoked token, a suspended account or a changed role takes effect at the
// next request, as without the cache, in every process. Entries are read
// after the counter, so that a change committed in between only makes them
// look older than they are (they are read again at the next request).
//
// If the counter cannot be read, nothing is cached or served from the
// cache: the request reads the store as it would without it.
type authCache struct {
	mu       sync.Mutex
	version  int64
	callers  map[[sha256.Size]byte]*Caller
	roles    map[string]*model.Role
	requests map[int64]int64 // follow requests waiting, by local account
}

// authCacheMax bounds each map; a full map is emptied (a busy instance
// refills it at one read per active token).
const authCacheMax = 4096

// at makes v the version of the cache, dropping entries of another one;
// under c.mu.
func (c *authCache) at(v int64) {
	if c.version != v || c.callers == nil {
		c.version = v
		c.callers = map[[sha256.Size]byte]*Caller{}
		c.roles = map[string]*model.Role{}
		c.requests = map[int64]int64{}
	}
}

func (c *authCache) caller(v int64, key [sha256.Size]byte) *Caller {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at(v)
	if cl := c.callers[key]; cl != nil {
		return cl.clone()
	}
	return nil
}

func (c *authCache) putCaller(v int64, key [sha256.Size]byte, cl *Caller) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at(v)
	if len(c.callers) >= authCacheMax {
		clear(c.callers)
	}
	c.callers[key] = cl.clone()
}

func (c *authCache) role(v int64, key string) *model.Role {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at(v)
	if r := c.roles[key]; r != nil {
		cp := *r
		return &cp
	}
	return nil
}

func (c *authCache) putRole(v int64, key string, r *model.Role) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at(v)
	if len(c.roles) >= authCacheMax {
		clear(c.roles)
	}
	cp := *r
	c.roles[key] = &cp
}

func (c *authCache) followRequests(v int64, accountID int64) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at(v)
	n, ok := c.requests[accountID]
	return n, ok
}

func (c *authCache) putFollowRequests(v int64, accountID, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at(v)
	if len(c.requests) >= authCacheMax {
		clear(c.requests)
	}
	c.requests[accountID] = n
}

// clone copies the caller's records, so that no request changes what
// another one is given. Every field of Caller is copied: a field left out
// here would be missing from every cached caller (a delegated token would
// lose its delegation's limits).
func (c *Caller) clone() *Caller {
	out := &Caller{}
	if c.Member != nil {
		m := *c.Member
		out.Member = &m
	}
	if c.Delegation != nil {
		d := *c.Delegation
		d.Permissions = append([]string(nil), c.Delegation.Permissions...)
		out.Delegation = &d
	}
	if c.Token != nil {
		t := *c.Token
		out.Token = &t
	}
	if c.User != nil {
		u := *c.User
		out.User = &u
	}
	if c.Account != nil {
		a := *c.Account
		out.Account = &a
	}
	return out
}

// authVersion reads the store's auth counter; ok false when it could not
// (the caller then does without the cache).
func authVersion(ctx context.Context, read func(context.Context) (int64, error)) (int64, bool) {
	v, err := read(ctx)
	return v, err == nil
}
