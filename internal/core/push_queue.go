package core

import (
	"context"
	"time"

	"github.com/herald-social/herald/storage"
)

// PushQueue is the queue of Web Push deliveries as the push worker
// (internal/push) works it: which pushes are due, and what became of each.
// Which notifications are pushed, and how, is decided when they are queued
// and by PreparePush.
type PushQueue struct{ st storage.Store }

// PushQueue returns the Web Push queue.
func (s *Service) PushQueue() *PushQueue { return &PushQueue{st: s.store} }

// ReleaseClaims unclaims every push, at start: no other process sends.
func (q *PushQueue) ReleaseClaims(ctx context.Context) error { return q.st.ReleasePushClaims(ctx) }

// ClaimDue claims and returns up to limit pushes due at now.
func (q *PushQueue) ClaimDue(ctx context.Context, now time.Time, limit int) ([]storage.PushJob, error) {
	return q.st.ClaimDuePushes(ctx, now, limit)
}

// NextDue is when the next push falls due (ok false: none queued).
func (q *PushQueue) NextDue(ctx context.Context) (t time.Time, ok bool, err error) {
	return q.st.NextPushDue(ctx)
}

// Done removes a push that was sent, or that will not be.
func (q *PushQueue) Done(ctx context.Context, id int64) error { return q.st.PushDone(ctx, id) }

// Retry puts a push back, due at next, after attempts failures.
func (q *PushQueue) Retry(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error {
	return q.st.RetryPush(ctx, id, attempts, next, lastErr)
}

// SubscriptionGone removes a subscription the push service no longer
// knows.
func (q *PushQueue) SubscriptionGone(ctx context.Context, subscriptionID int64) error {
	return q.st.DeletePushSubscriptionByID(ctx, subscriptionID)
}
