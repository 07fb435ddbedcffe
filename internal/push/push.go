// Package push delivers Web Push notifications (RFC 8030) encrypted with
// the subscription's keys (RFC 8291, aes128gcm) and signed with the
// instance's VAPID key (RFC 8292), through webpush-go.
//
// What is pushed is rendered by the surface whose format it is (api:
// Mastodon's Web Push JSON), handed to the worker as Render.
//
// The queue is the push_queue table, filled by the database itself when a
// notification is stored; the worker claims due rows, sends them, and
// retries failures with backoff, so a crash or restart loses nothing (claims
// are released at start). A subscription whose endpoint answers 404 or 410
// is gone and deleted, with its queued pushes.
package push

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/herald-social/herald/activitypub/netguard"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/storage"
)

// MaxAttempts is how many times a push is tried before it is dropped.
const MaxAttempts = 8

// BaseBackoff is the first retry delay, doubled at each attempt (at most
// 6 h); read when a worker starts (tests shorten it).
var BaseBackoff = 30 * time.Second

// Worker sends queued pushes.
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

	wake chan struct{}
	once sync.Once
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

func (w *Worker) init() {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		if w.Concurrency <= 0 {
			w.Concurrency = 8
		}
		if w.Backoff == nil {
			base := BaseBackoff
			w.Backoff = func(n int) time.Duration {
				d := base << min(n-1, 10)
				return min(d, 6*time.Hour)
			}
		}
		if w.TTL <= 0 {
			w.TTL = 48 * time.Hour
		}
	})
}

// Wake tells the worker that pushes may have been queued.
func (w *Worker) Wake() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run sends pushes until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	queue := w.Svc.PushQueue()
	if err := queue.ReleaseClaims(ctx); err != nil && ctx.Err() == nil {
		w.Log.Error("push: release claims", "err", err)
	}
	sem := make(chan struct{}, w.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		jobs, err := queue.ClaimDue(ctx, time.Now(), w.Concurrency*4)
		if err != nil && ctx.Err() == nil {
			w.Log.Error("push: claim", "err", err)
		}
		for _, j := range jobs {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				w.deliver(ctx, j)
			}()
		}
		if len(jobs) > 0 {
			continue
		}
		// Sleep until the next due push, a wake-up, or a second (pushes
		// queued by another process).
		wait := time.Second
		if t, ok, err := queue.NextDue(ctx); err == nil && ok {
			wait = min(wait, max(time.Until(t), 0))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-w.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// errGone: the subscription no longer exists at the push service.
var errGone = errors.New("subscription gone")

func (w *Worker) deliver(ctx context.Context, j storage.PushJob) {
	queue := w.Svc.PushQueue()
	err := w.send(ctx, j)
	switch {
	case err == nil:
		_ = queue.Done(context.WithoutCancel(ctx), j.ID)
	case errors.Is(err, errGone):
		w.Log.Info("push: subscription gone, removed", "subscription", j.Subscription.ID)
		_ = queue.SubscriptionGone(context.WithoutCancel(ctx), j.Subscription.ID)
	case ctx.Err() != nil:
		// Shutting down: the claim is released at the next start.
	default:
		attempts := j.Attempts + 1
		var perm permanentError
		if errors.As(err, &perm) || attempts >= MaxAttempts {
			w.Log.Warn("push: dropped", "subscription", j.Subscription.ID, "notification", j.Notification.ID, "attempts", attempts, "err", err)
			_ = queue.Done(context.WithoutCancel(ctx), j.ID)
			return
		}
		w.Log.Debug("push: will retry", "subscription", j.Subscription.ID, "attempts", attempts, "err", err)
		_ = queue.Retry(context.WithoutCancel(ctx), j.ID, attempts, time.Now().Add(w.Backoff(attempts)), err.Error())
	}
}

type permanentError struct{ error }

func (w *Worker) send(ctx context.Context, j storage.PushJob) error {
	notice, err := w.Svc.PreparePush(ctx, &j)
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
