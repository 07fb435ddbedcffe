package core

import (
	"context"
	"time"
)

// Usage is what the instance publishes about its own size: NodeInfo's
// usage section and the client API's instance entities count the same.
type Usage struct {
	Users          int64 // local accounts
	LocalPosts     int64
	ActiveMonth    int64 // local users active in the last 30 days
	ActiveHalfyear int64 // ... in the last 180 days
	Domains        int64 // other servers known
}

// InstanceUsage counts the instance's users, posts, active users (as of
// now) and known servers. Errors are the store's.
func (s *FederationService) InstanceUsage(ctx context.Context, now time.Time) (Usage, error) {
	var u Usage
	var err error
	if u.Users, err = s.store.CountLocalAccounts(ctx); err != nil {
		return Usage{}, err
	}
	if u.LocalPosts, err = s.store.CountLocalStatuses(ctx); err != nil {
		return Usage{}, err
	}
	if u.ActiveMonth, err = s.store.CountActiveLocalUsers(ctx, now.AddDate(0, 0, -30)); err != nil {
		return Usage{}, err
	}
	if u.ActiveHalfyear, err = s.store.CountActiveLocalUsers(ctx, now.AddDate(0, 0, -180)); err != nil {
		return Usage{}, err
	}
	if u.Domains, err = s.store.CountKnownDomains(ctx); err != nil {
		return Usage{}, err
	}
	return u, nil
}
