package activitypub

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/metrics"
	"github.com/herald-social/herald/storage"
)

// Deliveries are jobs of kind "deliver", keyed by the inbox's host: the
// runtime runs at most Federation.DeliveryWorkers at once in a process and
// DeliveryPerHost per host across processes. Retries follow Mastodon's
// schedule; 4xx answers other than 401, 408 and 429 (and 501) are final; a
// domain whose deliveries ran out of retries on FailureDays distinct days
// is marked unavailable until it succeeds again or sends us something.

// MastodonBackoff is Sidekiq's schedule as Mastodon's delivery worker uses
// it: count^4 + 15 s plus up to half as much jitter, where count is the
// number of retries before this one. Sixteen attempts span about two to
// three days.
func MastodonBackoff(attempt int) time.Duration {
	count := float64(max(attempt-1, 0))
	base := math.Pow(count, 4)
	secs := base + 15 + rand.Float64()*0.5*base
	return time.Duration(secs * float64(time.Second))
}

// signerFor returns the signing identity of a delivery: a local account's
// key, or the instance actor's (SignerID 0).
func (f *Federation) signerFor(ctx context.Context, accountID int64) (signer, error) {
	if accountID == 0 {
		return f.instanceSigner(ctx)
	}
	f.signerMu.Lock()
	s, ok := f.signers[accountID]
	f.signerMu.Unlock()
	if ok {
		return s, nil
	}
	a, err := f.svc.AccountByID(ctx, accountID)
	if err != nil {
		return signer{}, err
	}
	if !a.Local() || a.PrivateKeyPEM == "" {
		return signer{}, jobs.Permanent(errors.New("account has no private key"))
	}
	k, err := httpsig.ParsePrivateKeyPEM(a.PrivateKeyPEM)
	if err != nil {
		return signer{}, jobs.Permanent(err)
	}
	s = signer{keyID: keyIDOf(a), key: k}
	f.signerMu.Lock()
	if len(f.signers) > 1000 {
		f.signers = map[int64]signer{}
	}
	f.signers[accountID] = s
	f.signerMu.Unlock()
	return s, nil
}

// runDelivery makes one delivery attempt; what it returns tells the
// runtime whether to delete the job or when to try again.
func (f *Federation) runDelivery(ctx context.Context, job *storage.Job) ([]storage.Job, error) {
	d, err := storage.DeliveryOf(job)
	if err != nil {
		f.Metrics.Delivery(metrics.DeliveryDropped, 0)
		return nil, jobs.Permanent(err)
	}
	log := f.log.With("delivery", job.ID, "inbox", d.InboxURL, "type", d.Kind, "attempt", job.Attempts)
	if err := f.checkDomain(ctx, d.Host); errors.Is(err, errPolicyUnavailable) {
		// Our failure, not the admins' decision: nothing is sent, and the
		// delivery waits for the policy without spending an attempt (an
		// outage of ours must neither exhaust them nor mark the domain
		// as failing).
		wait := f.Tuning.Backoff(max(job.Attempts-1, 1))
		log.Warn("delivery postponed: domain policy unavailable", "err", err, "in", wait)
		f.Metrics.Delivery(metrics.DeliveryPostponed, 0)
		return nil, jobs.Snooze(wait, err.Error())
	} else if err != nil || (d.Kind != "Follow" && f.isUnavailable(d.Host)) {
		log.Debug("delivery dropped: domain blocked or unavailable")
		f.Metrics.Delivery(metrics.DeliveryDropped, 0)
		return nil, nil
	}
	s, err := f.signerFor(ctx, d.SignerID)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			log.Warn("delivery dropped: no signing key", "err", err)
			f.Metrics.Delivery(metrics.DeliveryDropped, 0)
			return nil, nil
		}
		if !jobs.IsPermanent(err) {
			f.Metrics.Delivery(metrics.DeliveryRetry, 0)
		} else {
			f.Metrics.Delivery(metrics.DeliveryDropped, 0)
		}
		return nil, err
	}
	start := time.Now()
	err = f.post(ctx, d.InboxURL, d.Activity, s)
	if ctx.Err() != nil {
		return nil, ctx.Err() // stopping: the runtime hands the job back
	}
	took := time.Since(start)
	if err == nil {
		log.Debug("delivered")
		f.Metrics.Delivery(metrics.DeliveryDelivered, took)
		f.domainAlive(ctx, d.Host)
		return nil, nil
	}
	status := statusOf(err)
	switch {
	case status == http.StatusGone:
		log.Info("delivery: inbox gone", "err", err)
		f.Metrics.Delivery(metrics.DeliveryGone, took)
		if _, err := f.svc.MarkInboxGone(context.WithoutCancel(ctx), d.InboxURL); err != nil {
			log.Error("mark inbox gone", "err", err)
		}
		return nil, nil
	case status == http.StatusNotImplemented,
		status >= 400 && status < 500 && status != 401 && status != 408 && status != 429:
		log.Info("delivery refused, not retried", "err", err)
		f.Metrics.Delivery(metrics.DeliveryRefused, took)
		return nil, nil
	}
	if job.Attempts >= f.Tuning.MaxAttempts {
		log.Warn("delivery failed for good", "err", err)
		f.Metrics.Delivery(metrics.DeliveryFailed, took)
		f.domainFailed(ctx, d.Host)
		return nil, nil
	}
	wait := f.Tuning.Backoff(job.Attempts)
	var he *HTTPError
	if errors.As(err, &he) && he.RetryAfter > wait {
		wait = min(he.RetryAfter, 24*time.Hour)
	}
	log.Debug("delivery failed, will retry", "err", err, "in", wait)
	f.Metrics.Delivery(metrics.DeliveryRetry, took)
	return nil, jobs.RetryAt(f.now().Add(wait), err)
}

// --- domain health ---

func (f *Federation) isUnavailable(host string) bool {
	f.unavailMu.RLock()
	defer f.unavailMu.RUnlock()
	return f.unavailable[host]
}

// domainAlive clears a host's failure record, once per process unless it
// failed since (so a steady stream of successes costs no writes).
func (f *Federation) domainAlive(ctx context.Context, host string) {
	f.unavailMu.Lock()
	known := f.aliveSeen[host]
	f.aliveSeen[host] = true
	wasDown := f.unavailable[host]
	delete(f.unavailable, host)
	f.unavailMu.Unlock()
	if wasDown {
		f.tellDomainState(host, false)
	}
	if known && !wasDown {
		return
	}
	if err := f.queue.DomainAlive(context.WithoutCancel(ctx), host); err != nil {
		f.log.Error("domain alive", "host", host, "err", err)
	}
}

// markAlive is domainAlive for an inbound activity (the store already
// cleared the record in the same transaction).
func (f *Federation) markAlive(host string) {
	f.unavailMu.Lock()
	wasDown := f.unavailable[host]
	delete(f.unavailable, host)
	f.aliveSeen[host] = true
	f.unavailMu.Unlock()
	if wasDown {
		f.tellDomainState(host, false)
	}
}

// tellDomainState tells the other processes on the database that host
// became unavailable or available again (OnDomainState).
func (f *Federation) tellDomainState(host string, down bool) {
	if f.OnDomainState != nil {
		f.OnDomainState(host, down)
	}
}

// DomainStateElsewhere applies what another process found of host (its
// OnDomainState): marked unavailable, or available again. Without it, a
// process that still held host as unavailable would drop deliveries to
// it after another one heard from it again.
func (f *Federation) DomainStateElsewhere(host string, down bool) {
	f.unavailMu.Lock()
	defer f.unavailMu.Unlock()
	if down {
		f.unavailable[host] = true
		delete(f.aliveSeen, host)
	} else {
		delete(f.unavailable, host)
	}
}

// DropDomainStates reloads the domains marked unavailable from the store
// (hints from other processes may have been missed).
func (f *Federation) DropDomainStates(ctx context.Context) {
	ds, err := f.queue.UnavailableDomains(ctx)
	if err != nil {
		f.log.Warn("unavailable domains", "err", err)
		return
	}
	f.unavailMu.Lock()
	defer f.unavailMu.Unlock()
	clear(f.unavailable)
	clear(f.aliveSeen)
	for _, d := range ds {
		f.unavailable[d] = true
	}
}

func (f *Federation) domainFailed(ctx context.Context, host string) {
	day := f.now().UTC().Format("2006-01-02")
	f.unavailMu.Lock()
	delete(f.aliveSeen, host)
	f.unavailMu.Unlock()
	down, err := f.queue.DomainFailed(context.WithoutCancel(ctx), host, day, f.Tuning.FailureDays)
	if err != nil {
		f.log.Error("domain failed", "host", host, "err", err)
		return
	}
	if down {
		f.unavailMu.Lock()
		already := f.unavailable[host]
		f.unavailable[host] = true
		f.unavailMu.Unlock()
		if !already {
			f.tellDomainState(host, true)
			var n int64
			if f.jobs != nil {
				n, _ = f.jobs.Cancel(context.WithoutCancel(ctx), storage.JobDeliver, host)
			}
			f.log.Warn("domain marked unavailable", "host", host, "failure_days", f.Tuning.FailureDays, "dropped", n)
		}
	}
}
