// Package webhook sends the admin webhooks' deliveries, as Mastodon does:
// a POST of the event's JSON (rendered by the surface whose format it is,
// api, handed to the worker as Render) with
//
//	Content-Type: application/json
//	X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body, keyed with the webhook's secret>
//
// Deliveries are jobs of kind "webhook" of the job runtime (internal/jobs),
// queued by core with a pending row of the delivery log when an event
// happens (core.webhookEvent). The worker runs that kind: it loads the
// delivery and the event's object as they are now, renders, signs and
// posts it through the SSRF guard (activitypub/netguard, as federation),
// and records every attempt in the log. A 2xx answer ends the delivery; a
// 4xx other than 408 and 429 ends it failed, as Mastodon's
// response_error_unsalvageable?, since sending the same body again cannot
// change it; anything else (5xx, 408, 429, no answer) is retried with
// backoff up to MaxAttempts, then the delivery ends failed.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/herald-social/herald/activitypub/netguard"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// MaxAttempts is how many times a delivery is tried: Mastodon's 16 retries
// and the first try. With the default backoff they span about a day and a
// half.
const MaxAttempts = 17

// Timeout bounds one attempt, answer included.
const Timeout = 10 * time.Second

// BaseBackoff is the first retry delay, doubled at each attempt up to 6 h
// (jobs.DefaultBackoff's shape); read when the worker is registered (tests
// shorten it).
var BaseBackoff = 10 * time.Second

// Worker sends queued webhook deliveries, as the runner's "webhook" kind
// (RegisterJobs).
type Worker struct {
	Svc    *core.Service
	Log    *slog.Logger
	Client *http.Client
	// Render turns a delivery into the request body (required).
	Render func(ctx context.Context, send *core.WebhookSend) ([]byte, error)
	// Concurrency bounds deliveries in flight (default 4), PerWebhook
	// those to one webhook (default 2), so that a slow endpoint cannot
	// hold every worker.
	Concurrency, PerWebhook int
}

// New makes a worker with a guarded HTTP client: no private addresses
// unless the federation settings allow them (tests), no redirects (a POST
// is not replayed elsewhere), the answer's body read to 64 KiB at most.
func New(svc *core.Service, log *slog.Logger, render func(context.Context, *core.WebhookSend) ([]byte, error)) *Worker {
	return &Worker{
		Svc: svc, Log: log, Render: render,
		Client: netguard.NewClient(netguard.Options{
			AllowPrivate: svc.Cfg.Federation.AllowPrivateAddresses,
			Timeout:      Timeout,
			MaxBody:      64 << 10,
			MaxRedirects: -1,
			UserAgent:    "Herald (+" + svc.Base() + ")",
		}),
	}
}

// RegisterJobs registers the kind "webhook" on r; set the worker's fields
// before.
func (w *Worker) RegisterJobs(r *jobs.Runner) {
	if w.Concurrency <= 0 {
		w.Concurrency = 4
	}
	if w.PerWebhook <= 0 {
		w.PerWebhook = 2
	}
	base := BaseBackoff
	backoff := func(n int) time.Duration {
		d := min(base<<min(max(n-1, 0), 12), 6*time.Hour)
		return d + rand.N(d/5+1) // jitter: failed deliveries do not retry in step
	}
	r.Handle(jobs.Kind{Name: storage.JobWebhook, Workers: w.Concurrency, PerKey: w.PerWebhook, MaxAttempts: MaxAttempts,
		Backoff: backoff, Run: w.run})
}

// Sign is the X-Hub-Signature of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// errFinal marks a failure that another attempt cannot change.
type errFinal struct{ error }

// run makes one attempt at a delivery and records it.
func (w *Worker) run(ctx context.Context, job *storage.Job) ([]storage.Job, error) {
	deliveryID, err := storage.WebhookDeliveryOf(job)
	if err != nil {
		return nil, jobs.Permanent(fmt.Errorf("webhook job %d: payload: %w", job.ID, err))
	}
	send, err := w.Svc.PrepareWebhook(ctx, deliveryID, job.Attempts)
	if err != nil {
		err = fmt.Errorf("webhook delivery %d: load: %w", deliveryID, err)
		if job.Attempts >= MaxAttempts && ctx.Err() == nil {
			// The runner drops the job now: the log must not say pending forever.
			_ = w.Svc.WebhookAttempted(ctx, deliveryID, storage.WebhookAttempt{State: model.DeliveryFailed, Attempts: job.Attempts, Error: err.Error()})
		}
		return nil, err
	}
	if send == nil {
		return nil, nil // nothing to send (PrepareWebhook said why in the log)
	}
	status, err := w.send(ctx, send)
	if ctx.Err() != nil {
		return nil, ctx.Err() // stopping: the runner hands the job back, unrecorded
	}
	a := storage.WebhookAttempt{State: model.DeliveryDelivered, Attempts: job.Attempts, StatusCode: status}
	var final errFinal
	switch {
	case err == nil:
	case errors.As(err, &final) || job.Attempts >= MaxAttempts:
		a.State, a.Error = model.DeliveryFailed, err.Error()
	default:
		a.State, a.Error = model.DeliveryPending, err.Error()
	}
	if rerr := w.Svc.WebhookAttempted(ctx, deliveryID, a); rerr != nil {
		w.Log.Error("webhooks: record attempt", "delivery", deliveryID, "err", rerr)
	}
	switch {
	case err == nil:
		return nil, nil
	case errors.As(err, &final):
		return nil, jobs.Permanent(fmt.Errorf("webhook delivery %d to %s: %w", deliveryID, send.Webhook.URL, err))
	default:
		return nil, fmt.Errorf("webhook delivery %d to %s: %w", deliveryID, send.Webhook.URL, err)
	}
}

// send renders, signs and posts a delivery; it returns the answer's status
// (0: none) and what went wrong.
func (w *Worker) send(ctx context.Context, send *core.WebhookSend) (int, error) {
	if w.Render == nil {
		return 0, errFinal{errors.New("no webhook renderer")}
	}
	body, err := w.Render(ctx, send)
	if err != nil {
		return 0, fmt.Errorf("render: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, send.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return 0, errFinal{err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature", Sign(send.Webhook.Secret, body))
	resp, err := w.Client.Do(req)
	if err != nil {
		if errors.Is(err, netguard.ErrForbiddenAddress) {
			// The guard refuses the address: it will refuse it next
			// time too (unless DNS changes, and then an admin can
			// look at the log and the endpoint).
			return 0, errFinal{err}
		}
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body) // capped by the client
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return code, nil
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		return code, errFinal{fmt.Errorf("the endpoint answered %d", code)}
	default:
		return code, fmt.Errorf("the endpoint answered %d", code)
	}
}
