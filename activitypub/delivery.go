package activitypub

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/storage"
)

// The delivery pool: a dispatcher claims due deliveries from the store and
// hands them to at most Federation.DeliveryWorkers concurrent POSTs, at
// most DeliveryPerHost per host. Retries follow Mastodon's schedule; 4xx
// answers other than 401, 408 and 429 (and 501) are final; a domain whose
// deliveries ran out of retries on FailureDays distinct days is marked
// unavailable until it succeeds again or sends us something.

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

func (f *Federation) deliveryLoop(ctx context.Context) {
	workers := max(f.cfg.Federation.DeliveryWorkers, 1)
	perHost := max(f.cfg.Federation.DeliveryPerHost, 1)
	inflight := map[string]int{}
	total := 0
	done := make(chan string, workers)
	var backlog []storage.Delivery // claimed, waiting for a host slot
	var wg sync.WaitGroup
	defer wg.Wait()

	start := func(d storage.Delivery) {
		inflight[d.Host]++
		total++
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.attempt(ctx, d)
			done <- d.Host
		}()
	}
	finish := func(host string) {
		inflight[host]--
		if inflight[host] <= 0 {
			delete(inflight, host)
		}
		total--
	}
	for {
		// Hand out what may go now.
		for i := 0; i < len(backlog) && total < workers; {
			if inflight[backlog[i].Host] < perHost {
				start(backlog[i])
				backlog = append(backlog[:i], backlog[i+1:]...)
				continue
			}
			i++
		}
		// Claim more while there is room.
		if total < workers && len(backlog) < workers {
			var busy []string
			for h, n := range inflight {
				if n >= perHost {
					busy = append(busy, h)
				}
			}
			for _, d := range backlog {
				busy = append(busy, d.Host)
			}
			ds, err := f.queue.ClaimDueDeliveries(ctx, f.now(), busy, workers*2)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				f.log.Error("claim deliveries", "err", err)
			} else if len(ds) > 0 {
				backlog = append(backlog, ds...)
				continue
			}
		}
		// Sleep until something is due, a worker finishes, or a kick.
		wait := f.Tuning.IdleWait
		if len(backlog) == 0 {
			if next, ok, err := f.queue.NextDeliveryDue(ctx); err == nil && ok {
				wait = min(wait, max(time.Until(next), f.Tuning.BusyPoll/4))
			}
		} else {
			wait = f.Tuning.IdleWait // a finishing worker wakes us
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			// Drain the finishing workers so wg.Wait does not block on done.
			go func() {
				for range done {
				}
			}()
			wg.Wait()
			close(done)
			return
		case h := <-done:
			finish(h)
		case <-f.deliveryWake:
		case <-t.C:
		}
		t.Stop()
		// Collect any other finished workers without blocking.
	drain:
		for {
			select {
			case h := <-done:
				finish(h)
			default:
				break drain
			}
		}
	}
}

// signerFor returns the signing identity of a delivery: a local account's
// key, or the instance actor's (SignerID 0).
func (f *Federation) signerFor(ctx context.Context, accountID int64) (signer, error) {
	if accountID == 0 {
		return f.instanceSigner(ctx)
	}
	f.signerMu.Lock()
	s, ok := f.signers[accountID]
	if !ok {
		s, ok = f.retired[accountID]
	}
	f.signerMu.Unlock()
	if ok {
		return s, nil
	}
	a, err := f.svc.AccountByID(ctx, accountID)
	if err != nil {
		return signer{}, err
	}
	if !a.Local() || a.PrivateKeyPEM == "" {
		return signer{}, errors.New("account has no private key")
	}
	k, err := httpsig.ParsePrivateKeyPEM(a.PrivateKeyPEM)
	if err != nil {
		return signer{}, err
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

// attempt makes one delivery attempt and records its outcome.
func (f *Federation) attempt(ctx context.Context, d storage.Delivery) {
	log := f.log.With("delivery", d.ID, "inbox", d.InboxURL, "type", d.Kind, "attempt", d.Attempts+1)
	finish := func() {
		if err := f.queue.DeliveryDone(context.WithoutCancel(ctx), d.ID); err != nil {
			log.Error("delete delivery", "err", err)
		}
	}
	if err := f.checkDomain(ctx, d.Host); errors.Is(err, errPolicyUnavailable) {
		// Our failure, not the admins' decision: nothing is sent, and the
		// delivery waits for the policy without spending an attempt (an
		// outage of ours must neither exhaust them nor mark the domain
		// as failing).
		wait := f.Tuning.Backoff(max(d.Attempts, 1))
		log.Warn("delivery postponed: domain policy unavailable", "err", err, "in", wait)
		if err := f.queue.RetryDelivery(context.WithoutCancel(ctx), d.ID, d.Attempts, f.now().Add(wait), err.Error()); err != nil {
			log.Error("reschedule delivery", "err", err)
		}
		return
	} else if err != nil || (d.Kind != "Follow" && f.isUnavailable(d.Host)) {
		log.Debug("delivery dropped: domain blocked or unavailable")
		finish()
		return
	}
	s, err := f.signerFor(ctx, d.SignerID)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) || ctx.Err() == nil {
			log.Warn("delivery dropped: no signing key", "err", err)
			finish()
		}
		return
	}
	err = f.post(ctx, d.InboxURL, []byte(d.Activity), s)
	if ctx.Err() != nil {
		return // shutting down: the claim is released at the next start
	}
	if err == nil {
		log.Debug("delivered")
		finish()
		f.domainAlive(ctx, d.Host)
		return
	}
	status := statusOf(err)
	switch {
	case status == http.StatusGone:
		log.Info("delivery: inbox gone", "err", err)
		if _, err := f.svc.MarkInboxGone(context.WithoutCancel(ctx), d.InboxURL); err != nil {
			log.Error("mark inbox gone", "err", err)
		}
		finish()
		return
	case status == http.StatusNotImplemented,
		status >= 400 && status < 500 && status != 401 && status != 408 && status != 429:
		log.Info("delivery refused, not retried", "err", err)
		finish()
		return
	}
	attempts := d.Attempts + 1
	if attempts >= f.Tuning.MaxAttempts {
		log.Warn("delivery failed for good", "err", err)
		finish()
		f.domainFailed(ctx, d.Host)
		return
	}
	wait := f.Tuning.Backoff(attempts)
	var he *HTTPError
	if errors.As(err, &he) && he.RetryAfter > wait {
		wait = min(he.RetryAfter, 24*time.Hour)
	}
	log.Debug("delivery failed, will retry", "err", err, "in", wait)
	if err := f.queue.RetryDelivery(context.WithoutCancel(ctx), d.ID, attempts, f.now().Add(wait), err.Error()); err != nil {
		log.Error("reschedule delivery", "err", err)
	}
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
	delete(f.unavailable, host)
	f.aliveSeen[host] = true
	f.unavailMu.Unlock()
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
			n, _ := f.queue.DropDeliveriesToHost(context.WithoutCancel(ctx), host)
			f.log.Warn("domain marked unavailable", "host", host, "failure_days", f.Tuning.FailureDays, "dropped", n)
		}
	}
}

// housekeeping prunes old dedupe records hourly.
func (f *Federation) housekeeping(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := f.queue.ForgetSeenActivities(ctx, f.now().Add(-14*24*time.Hour)); err != nil && ctx.Err() == nil {
			f.log.Error("prune seen activities", "err", err)
		} else if n > 0 {
			f.log.Debug("pruned seen activities", "n", strconv.FormatInt(n, 10))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
