package core

import (
	"context"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Applying a domain block to the remote accounts already known (owned by
// the federation engine; called from CreateDomainBlock/UpdateDomainBlock).
// A suspended domain's accounts are suspended and every follow between
// them and local accounts is dropped (nothing is sent: no delivery goes to
// a suspended domain); a silenced domain's accounts are silenced. Accounts
// met later get the same when the federation engine stores them
// (StoreRemoteAccount).

// enforceDomainBlock applies b to the known accounts of b.Domain and its
// subdomains. Errors are logged: the block itself is in place.
func (s *AdminService) enforceDomainBlock(ctx context.Context, b *model.DomainBlock) {
	if b == nil || (b.Severity != "suspend" && b.Severity != "silence") {
		return
	}
	ctx = context.WithoutCancel(ctx)
	domains, err := s.store.KnownDomains(ctx, 100000)
	if err != nil {
		s.Log.Error("domain block: known domains", "err", err)
		return
	}
	for _, d := range domains {
		if !domainMatches(d, b.Domain) {
			continue
		}
		var cursor int64
		for {
			aas, err := s.store.AdminAccounts(ctx, storage.AdminAccountFilter{Origin: "remote", ByDomain: d}, model.Page{MaxID: cursor, Limit: 200})
			if err != nil {
				s.Log.Error("domain block: accounts", "domain", d, "err", err)
				return
			}
			for _, aa := range aas {
				a := aa.Account
				cursor = a.ID
				if a.Local() {
					continue
				}
				if err := s.moderateForDomain(ctx, a.ID, b.Severity == "suspend"); err != nil {
					s.Log.Error("domain block: moderate account", "account", a.URI, "err", err)
				}
			}
			if len(aas) < 200 {
				break
			}
		}
	}
}

// DropRemoteFollows ends every follow between a
// remote account and local accounts, without federating anything: the
// remote side is suspended.
func (s *AdminService) DropRemoteFollows(ctx context.Context, remoteID int64) {
	for _, dir := range []bool{true, false} {
		for range 1000 { // bounded: each round removes a page
			var links []storage.AccountLink
			var err error
			if dir {
				links, err = s.store.Followers(ctx, remoteID, model.Page{Limit: 200})
			} else {
				links, err = s.store.Following(ctx, remoteID, model.Page{Limit: 200})
			}
			if err != nil {
				s.Log.Error("drop follows", "account", remoteID, "err", err)
				return
			}
			if len(links) == 0 {
				break
			}
			for _, l := range links {
				follower, target := l.AccountID, remoteID
				if !dir {
					follower, target = remoteID, l.AccountID
				}
				if _, err := s.store.Unfollow(ctx, follower, target, nil); err != nil {
					s.Log.Error("drop follow", "follower", follower, "target", target, "err", err)
					return
				}
			}
		}
	}
}
