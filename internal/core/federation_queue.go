package core

import (
	"context"
	"time"

	"github.com/herald-social/herald/storage"
)

// FederationQueue is the federation engine's bookkeeping beside its jobs:
// the inbox's entry (dedupe by activity id, then an inbox job) and the
// health of remote domains. It is mechanics only, no rules: its methods
// are the store's, errors unchanged.
type FederationQueue struct{ federationQueue }

// federationQueue is the part of the store it uses; its methods are
// documented on storage.Federation.
type federationQueue interface {
	EnqueueInbox(ctx context.Context, it storage.InboxItem, signerDomain string) (queued bool, err error)
	ForgetSeenActivities(ctx context.Context, before time.Time) (int64, error)
	DomainFailed(ctx context.Context, domain, day string, threshold int) (unavailable bool, err error)
	DomainAlive(ctx context.Context, domain string) error
	UnavailableDomains(ctx context.Context) ([]string, error)
}

// FederationQueue returns the engine's view of its queues.
func (s *Service) FederationQueue() *FederationQueue { return &FederationQueue{s.store} }
