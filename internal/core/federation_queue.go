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
// mechanics only, no rules: each method hands the call to the store, whose
// errors it returns unchanged. (These queues are meant to move to a job
// runtime; until then the engine reaches them only through this type.)
type FederationQueue struct {
	st storage.Store
}

// FederationQueue returns the federation engine's queues.
func (s *Service) FederationQueue() *FederationQueue { return &FederationQueue{st: s.store} }

// ReleaseClaims hands back every delivery and inbox item a previous
// process held (called once at start, before any worker runs).
func (q *FederationQueue) ReleaseClaims(ctx context.Context) error {
	return q.st.ReleaseClaims(ctx)
}

// --- outbox events ---

// PendingEvents returns up to limit outbox events, oldest first.
func (q *FederationQueue) PendingEvents(ctx context.Context, limit int) ([]model.OutboxEvent, error) {
	return q.st.PendingEvents(ctx, limit)
}

// CompleteEvent stores an event's deliveries and deletes the event, in one
// transaction (no deliveries: the event is only deleted).
func (q *FederationQueue) CompleteEvent(ctx context.Context, eventID int64, ds []storage.Delivery) error {
	return q.st.CompleteEvent(ctx, eventID, ds)
}

// --- deliveries ---

// ClaimDueDeliveries claims up to limit deliveries due at now, skipping
// excludeHosts.
func (q *FederationQueue) ClaimDueDeliveries(ctx context.Context, now time.Time, excludeHosts []string, limit int) ([]storage.Delivery, error) {
	return q.st.ClaimDueDeliveries(ctx, now, excludeHosts, limit)
}

// NextDeliveryDue is when the next unclaimed delivery is due (ok = false:
// none is queued).
func (q *FederationQueue) NextDeliveryDue(ctx context.Context) (time.Time, bool, error) {
	return q.st.NextDeliveryDue(ctx)
}

// DeliveryDone deletes a delivery that succeeded or failed for good.
func (q *FederationQueue) DeliveryDone(ctx context.Context, id int64) error {
	return q.st.DeliveryDone(ctx, id)
}

// RetryDelivery releases a claimed delivery for another attempt at next.
func (q *FederationQueue) RetryDelivery(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error {
	return q.st.RetryDelivery(ctx, id, attempts, next, lastErr)
}

// DropDeliveriesToHost deletes the unclaimed deliveries to host and
// returns how many.
func (q *FederationQueue) DropDeliveriesToHost(ctx context.Context, host string) (int64, error) {
	return q.st.DropDeliveriesToHost(ctx, host)
}

// --- the inbox queue ---

// EnqueueInbox stores a verified activity unless its id was seen before
// (queued = false), recording the id and that signerDomain is alive.
func (q *FederationQueue) EnqueueInbox(ctx context.Context, it *storage.InboxItem, signerDomain string) (queued bool, err error) {
	return q.st.EnqueueInbox(ctx, it, signerDomain)
}

// ClaimInbox claims up to limit inbox items due at now.
func (q *FederationQueue) ClaimInbox(ctx context.Context, now time.Time, limit int) ([]storage.InboxItem, error) {
	return q.st.ClaimInbox(ctx, now, limit)
}

// NextInboxDue is when the next unclaimed inbox item is due.
func (q *FederationQueue) NextInboxDue(ctx context.Context) (time.Time, bool, error) {
	return q.st.NextInboxDue(ctx)
}

// InboxDone deletes a processed (or abandoned) inbox item.
func (q *FederationQueue) InboxDone(ctx context.Context, id int64) error {
	return q.st.InboxDone(ctx, id)
}

// RetryInbox releases a claimed inbox item for another attempt at next.
func (q *FederationQueue) RetryInbox(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error {
	return q.st.RetryInbox(ctx, id, attempts, next, lastErr)
}

// ForgetSeenActivities drops the dedupe records older than before.
func (q *FederationQueue) ForgetSeenActivities(ctx context.Context, before time.Time) (int64, error) {
	return q.st.ForgetSeenActivities(ctx, before)
}

// --- domain health ---

// DomainFailed records a delivery to domain that failed for good on day
// (YYYY-MM-DD); unavailable is set once threshold distinct days failed.
func (q *FederationQueue) DomainFailed(ctx context.Context, domain, day string, threshold int) (unavailable bool, err error) {
	return q.st.DomainFailed(ctx, domain, day, threshold)
}

// DomainAlive clears domain's failure record.
func (q *FederationQueue) DomainAlive(ctx context.Context, domain string) error {
	return q.st.DomainAlive(ctx, domain)
}

// UnavailableDomains lists the domains marked unavailable.
func (q *FederationQueue) UnavailableDomains(ctx context.Context) ([]string, error) {
	return q.st.UnavailableDomains(ctx)
}
