package core

import (
	"context"

	"github.com/herald-social/herald/internal/herr"
)

// LocalAccountCount counts the local accounts.
func (s *Service) LocalAccountCount(ctx context.Context) (int64, error) {
	return orInternal(s.store.CountLocalAccounts(ctx))
}

// maxPeers bounds the list of peers: the answer stays one response.
const maxPeers = 10000

// Peers lists the domains of the other servers this one knows, sorted.
func (s *Service) Peers(ctx context.Context) ([]string, error) {
	d, err := s.store.KnownDomains(ctx, maxPeers)
	if err != nil {
		return nil, herr.Internal(err)
	}
	if d == nil {
		d = []string{}
	}
	return d, nil
}
