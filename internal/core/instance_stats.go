package core

import (
	"context"

	"github.com/herald-social/herald/internal/herr"
)

// InstanceCounts are the counts Mastodon's instance entity publishes.
type InstanceCounts struct {
	Users    int64 // local accounts
	Statuses int64 // local statuses
	Domains  int64 // other servers known
}

// InstanceStats counts the instance's users, statuses and known domains.
func (s *Service) InstanceStats(ctx context.Context) (InstanceCounts, error) {
	var n InstanceCounts
	var err error
	if n.Users, err = s.LocalAccountCount(ctx); err != nil {
		return InstanceCounts{}, err
	}
	if n.Statuses, err = s.Store.CountLocalStatuses(ctx); err != nil {
		return InstanceCounts{}, herr.Internal(err)
	}
	if n.Domains, err = s.Store.CountKnownDomains(ctx); err != nil {
		return InstanceCounts{}, herr.Internal(err)
	}
	return n, nil
}

// LocalAccountCount counts the local accounts.
func (s *Service) LocalAccountCount(ctx context.Context) (int64, error) {
	n, err := s.Store.CountLocalAccounts(ctx)
	if err != nil {
		return 0, herr.Internal(err)
	}
	return n, nil
}

// maxPeers bounds the list of peers: the answer stays one response.
const maxPeers = 10000

// Peers lists the domains of the other servers this one knows, sorted.
func (s *Service) Peers(ctx context.Context) ([]string, error) {
	d, err := s.Store.KnownDomains(ctx, maxPeers)
	if err != nil {
		return nil, herr.Internal(err)
	}
	if d == nil {
		d = []string{}
	}
	return d, nil
}
