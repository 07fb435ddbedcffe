package core

import (
	"context"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// FederationQueue is the federation engine's durable work: the outbox
// events core records, the deliveries made of them, the inbox queue with
// its dedupe records, and the health of remote domains. It is queue
// mechanics only, no rules: its methods are the store's, errors unchanged.
// (These queues are meant to move to a job
// runtime; until then the engine reaches them only through this type.)
type FederationQueue struct{ federationQueue }

// federationQueue is the part of the store the engine's queues use; its
// methods are documented on the storage interfaces.
type federationQueue interface {
	ReleaseClaims(ctx context.Context) error
	PendingEvents(ctx context.Context, limit int) ([]model.OutboxEvent, error)
	CompleteEvent(ctx context.Context, eventID int64, ds []storage.Delivery) error
	ClaimDueDeliveries(ctx context.Context, now time.Time, excludeHosts []string, limit int) ([]storage.Delivery, error)
	NextDeliveryDue(ctx context.Context) (time.Time, bool, error)
	DeliveryDone(ctx context.Context, id int64) error
	RetryDelivery(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error
	DropDeliveriesToHost(ctx context.Context, host string) (int64, error)
	EnqueueInbox(ctx context.Context, it *storage.InboxItem, signerDomain string) (queued bool, err error)
	ClaimInbox(ctx context.Context, now time.Time, limit int) ([]storage.InboxItem, error)
	NextInboxDue(ctx context.Context) (time.Time, bool, error)
	InboxDone(ctx context.Context, id int64) error
	RetryInbox(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error
	ForgetSeenActivities(ctx context.Context, before time.Time) (int64, error)
	DomainFailed(ctx context.Context, domain, day string, threshold int) (unavailable bool, err error)
	DomainAlive(ctx context.Context, domain string) error
	UnavailableDomains(ctx context.Context) ([]string, error)
}

// FederationQueue returns the federation engine's queues.
func (s *Service) FederationQueue() *FederationQueue { return &FederationQueue{s.store} }
