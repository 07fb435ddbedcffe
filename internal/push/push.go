// Package push delivers Web Push notifications (RFC 8030) encrypted with
// the subscription's keys (RFC 8291, aes128gcm) and signed with the
// instance's VAPID key (RFC 8292), through webpush-go.
//
// What is pushed is rendered by the surface whose format it is (api:
// Mastodon's Web Push JSON), handed to the worker as Render.
//
// Pushes are jobs of kind "push" of the job runtime (internal/jobs),
// written by the database itself in the transaction that stores a
// notification (the notifications_push trigger), one per subscription that
// wants it. The worker runs that kind: it sends each push and has failures
// retried with backoff, so a crash or restart loses nothing. A subscription
// whose endpoint answers 404 or 410 is gone and deleted; a push whose
// subscription or notification was removed after it was queued ends unsent
// when it runs.
package push

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/herald-social/herald/activitypub/netguard"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/storage"
)

// JobKind is the kind of the push jobs; the notifications_push trigger
// (storage/sqlite migrations) writes it too.
const JobKind = "push"

// MaxAttempts is how many times a push is tried before it is dropped.
const MaxAttempts = 8

// BaseBackoff is the first retry delay, doubled at each attempt (at most
// 6 h); read when the worker is registered (tests shorten it).
var BaseBackoff = 30 * time.Second

// Worker sends queued pushes, as the runner's "push" kind (RegisterJobs).
type Worker struct {
	Svc    *core.Service
	Log    *slog.Logger
	Client *http.Client
	// Render turns a notification to push into the payload (required).
	Render func(*core.PushNotice) ([]byte, error)
	// Concurrency bounds pushes in flight (default 8).
	Concurrency int
	// Backoff is the delay before attempt n+1 (default: BaseBackoff doubling, at most 6 h).
	Backoff func(attempts int) time.Duration
	// TTL is how long a push service keeps an undelivered push.
	TTL time.Duration
}

// New makes a worker with a guarded HTTP client (no private addresses
// unless the federation settings allow them, as for tests) that sends what
// render makes of each notification.
func New(svc *core.Service, log *slog.Logger, render func(*core.PushNotice) ([]byte, error)) *Worker {
	return &Worker{
		Svc: svc, Log: log, Render: render,
		Client: netguard.NewClient(netguard.Options{
			AllowPrivate: svc.Cfg.Federation.AllowPrivateAddresses,
			Timeout:      20 * time.Second,
			MaxBody:      64 << 10,
			MaxRedirects: -1,
			UserAgent:    "Herald (+" + svc.Base() + ")",
		}),
	}
}

// RegisterJobs registers the kind "push" on r; set the worker's fields
// before.
func (w *Worker) RegisterJobs(r *jobs.Runner) {
	if w.Concurrency <= 0 {
		w.Concurrency = 8
	}
	if w.Backoff == nil {
		base := BaseBackoff
		w.Backoff = func(n int) time.Duration {
			d := base << min(max(n-1, 0), 10)
			return min(d, 6*time.Hour)
		}
	}
	if w.TTL <= 0 {
		w.TTL = 48 * time.Hour
	}
	r.Handle(jobs.Kind{Name: JobKind, Workers: w.Concurrency, MaxAttempts: MaxAttempts, Backoff: w.Backoff, Run: w.run})
}

// payload is a push job's, as the notifications_push trigger writes it.
type payload struct {
	SubscriptionID int64 `json:"subscription_id"`
	NotificationID int64 `json:"notification_id"`
}

// errGone: the subscription no longer exists at the push service.
var errGone = errors.New("subscription gone")

// run sends one push. A push whose subscription or notification is gone
// (removed since it was queued) is done without being sent: there is no
// one to send it to, or nothing to send.
func (w *Worker) run(ctx context.Context, job *storage.Job) ([]storage.Job, error) {
	var p payload
	if err := jobs.Decode(job, &p); err != nil {
		return nil, err
	}
	j, err := w.Svc.PushJob(ctx, p.SubscriptionID, p.NotificationID)
	if err != nil {
		return nil, fmt.Errorf("push %d to subscription %d: load: %w", p.NotificationID, p.SubscriptionID, err)
	}
	if j == nil {
		return nil, nil
	}
	err = w.send(ctx, j)
	var perm permanentError
	switch {
	case err == nil:
		return nil, nil
	case errors.Is(err, errGone):
		w.Log.Info("push: subscription gone, removed", "subscription", p.SubscriptionID)
		if err := w.Svc.PushSubscriptionGone(ctx, p.SubscriptionID); err != nil {
			// Run again: it finds the subscription gone, or removes it.
			return nil, fmt.Errorf("push %d to subscription %d: remove the gone subscription: %w", p.NotificationID, p.SubscriptionID, err)
		}
		return nil, nil
	case errors.As(err, &perm):
		return nil, jobs.Permanent(fmt.Errorf("push %d to subscription %d: %w", p.NotificationID, p.SubscriptionID, perm.error))
	default:
		return nil, fmt.Errorf("push %d to subscription %d: %w", p.NotificationID, p.SubscriptionID, err)
	}
}

type permanentError struct{ error }

func (w *Worker) send(ctx context.Context, j *storage.PushJob) error {
	notice, err := w.Svc.PreparePush(ctx, j)
	if err != nil {
		return err
	}
	if notice == nil {
		return nil // not to be sent: done
	}
	if w.Render == nil {
		return permanentError{errors.New("no push renderer")}
	}
	payload, err := w.Render(notice)
	if err != nil {
		return err
	}
	keys, err := w.Svc.VAPIDKeys(ctx)
	if err != nil {
		return err
	}
	subscriber := w.Svc.Cfg.Instance.ContactEmail
	if subscriber == "" {
		subscriber = w.Svc.Base()
	}
	resp, err := webpush.SendNotificationWithContext(ctx, payload, &webpush.Subscription{
		Endpoint: j.Subscription.Endpoint,
		Keys:     webpush.Keys{Auth: j.Subscription.Auth, P256dh: j.Subscription.P256dh},
	}, &webpush.Options{
		HTTPClient:      w.Client,
		Subscriber:      subscriber,
		TTL:             int(w.TTL / time.Second),
		Urgency:         webpush.UrgencyNormal,
		Topic:           "",
		VAPIDPublicKey:  keys.Public,
		VAPIDPrivateKey: keys.Private,
	})
	if err != nil {
		if strings.Contains(err.Error(), "not a valid point") {
			return permanentError{err}
		}
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return errGone
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout:
		return fmt.Errorf("push service answered %d", resp.StatusCode)
	default:
		return permanentError{fmt.Errorf("push service answered %d", resp.StatusCode)}
	}
}
