package server

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/ratelimit"
	"github.com/herald-social/herald/storage"
	"github.com/herald-social/herald/storage/sqlite"
)

// Several `herald serve` processes on one PostgreSQL database (any number,
// behind a load balancer) share what one process would keep to itself
// through the store's bus (sqlite.Store.Publish and Listen: NOTIFY and
// LISTEN): core's change hints (statuses, conversations and filters to
// stream, notifications to tail), ended credentials (their streams close
// wherever they are open), caches to drop (domain policy, custom emoji)
// and domains found unavailable or alive again, and the kinds of jobs just
// queued (each runner looks for them at once). Each process streams what
// it hears to its own clients, re-reading the objects from the database;
// it does not hear its own hints. The job runtime (but for its wake-ups),
// the per-host delivery limit, periodic work, ids (each process holds a
// node: ClaimNode), the auth caches' version counters, the rate limits and
// the failed sign-ins need no bus: they live in the database.
//
// A hint is one line: a letter, then space-separated fields.
//
//	c KIND ACCOUNT OBJECT   core change (core.ChangeKind)
//	r ACCOUNT TOKEN,TOKEN…  credentials ended (core.Revocation)
//	d HOST / u HOST         domain unavailable / available again
//	w KIND KIND…            jobs of these kinds were queued (jobs.Runner.Wake)

// busQueue bounds the hints waiting to be published; beyond it they are
// dropped (hints are advisory: a stream misses an event, a cache keeps
// its entries for its TTL).
const busQueue = 4096

func changeHint(kind core.ChangeKind, accountID, objectID int64) string {
	return "c " + strconv.Itoa(int(kind)) + " " + strconv.FormatInt(accountID, 10) + " " + strconv.FormatInt(objectID, 10)
}

func revocationHint(r core.Revocation) string {
	toks := make([]string, len(r.TokenIDs))
	for i, t := range r.TokenIDs {
		toks[i] = strconv.FormatInt(t, 10)
	}
	return "r " + strconv.FormatInt(r.AccountID, 10) + " " + strings.Join(toks, ",")
}

// mountCluster makes the process one of several on its PostgreSQL
// database (nothing on SQLite): it publishes this process's hints and
// applies the others'. After mountRealtime and mountFederation.
func (s *Server) mountCluster() {
	if !s.Store.Clustered() {
		return
	}
	out := make(chan string, busQueue)
	send := func(h string) {
		select {
		case out <- h:
		default:
			s.Log.Warn("cluster bus: queue full, hint dropped", "hint", h)
		}
	}
	notify, revoked := s.Svc.Notify, s.Svc.Revoked
	s.Svc.Notify = func(kind core.ChangeKind, accountID, objectID int64) {
		if notify != nil {
			notify(kind, accountID, objectID)
		}
		send(changeHint(kind, accountID, objectID))
	}
	s.Svc.Revoked = func(r core.Revocation) {
		if revoked != nil {
			revoked(r)
		}
		// At once, not queued: when the request that ended them answers,
		// the other processes are on their way to closing their streams.
		if err := s.Store.Publish(context.Background(), revocationHint(r)); err != nil {
			s.Log.Error("cluster bus: publish a revocation", "err", err)
		}
	}
	s.Fed.OnDomainState = func(host string, down bool) {
		if down {
			send("d " + host)
		} else {
			send("u " + host)
		}
	}
	s.shareRateLimits()
	s.tellJobWakes()
	s.AddWorker(func(ctx context.Context) { s.publishHints(ctx, out) })
	s.AddWorker(func(ctx context.Context) {
		s.Store.Listen(ctx, s.Log, func(hints []string) { s.applyHints(ctx, hints) })
	})
}

// rateSync is how often a process adds its rate-limit counts to the
// shared ones and reads their totals: a key can go over its limit by what
// the other processes counted in this time, no more.
const rateSync = time.Second

// shareRateLimits makes the client API's, the web forms' and the inboxes'
// rate limits count for the whole instance: each process counts in memory (no query
// on a request's path) and, every rateSync, adds its counts to the table
// rate_limits in one statement per limiter and takes the totals.
func (s *Server) shareRateLimits() {
	limiters := map[string]*ratelimit.Limiter{}
	maps.Copy(limiters, s.API.Limiters())
	maps.Copy(limiters, s.Fed.Limiters())
	maps.Copy(limiters, s.UI.Limiters())
	// The failed sign-ins per account are a lock-out, not a rate: counted
	// in the same table but at each attempt, so that none goes over.
	s.Svc.SharedSignInFailures = s.Store.ExchangeRateCounts
	keep := max(2*time.Hour, 3*s.Cfg.Limits.FailedSignInsWindow.Duration)
	exchange := func(ctx context.Context, name string, counts []ratelimit.Count) ([]ratelimit.Count, error) {
		in := make([]storage.RateCount, len(counts))
		for i, c := range counts {
			in[i] = storage.RateCount(c)
		}
		got, err := s.Store.ExchangeRateCounts(ctx, name, in)
		out := make([]ratelimit.Count, len(got))
		for i, c := range got {
			out[i] = ratelimit.Count(c)
		}
		return out, err
	}
	for name, l := range limiters {
		l.Share(name, exchange)
	}
	s.AddWorker(func(ctx context.Context) {
		t := time.NewTicker(rateSync)
		defer t.Stop()
		var pruned time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				for name, l := range limiters {
					if err := l.Sync(ctx); err != nil && ctx.Err() == nil {
						s.Log.Warn("rate limits: sync", "limiter", name, "err", err)
					}
				}
				// Windows last at most an hour (failed sign-ins: two
				// windows are read): older counts go (any process may do
				// it; doing it twice costs nothing).
				if now.Sub(pruned) > 10*time.Minute {
					pruned = now
					if err := s.Store.PruneRateCounts(ctx, now.Add(-keep).UnixMilli()); err != nil && ctx.Err() == nil {
						s.Log.Warn("rate limits: prune", "err", err)
					}
				}
			}
		}
	})
}

// tellJobWakes makes the job kinds woken here (jobs queued by this
// process) wake the other processes' runners too, which otherwise find the
// jobs only at their next poll ([jobs] poll): an idle process then helps
// with a burst at once. The kinds woken while one hint is being published
// go in the next: at most one notification per round trip to the
// database, however many jobs are queued.
func (s *Server) tellJobWakes() {
	var mu sync.Mutex
	woken := map[string]bool{}
	ready := make(chan struct{}, 1)
	s.Jobs.TellOthers(func(kinds ...string) {
		mu.Lock()
		for _, k := range kinds {
			woken[k] = true
		}
		mu.Unlock()
		select {
		case ready <- struct{}{}:
		default:
		}
	})
	s.AddWorker(func(ctx context.Context) {
		for {
			select {
			case <-ctx.Done():
				return
			case <-ready:
			}
			mu.Lock()
			kinds := slices.Sorted(maps.Keys(woken))
			clear(woken)
			mu.Unlock()
			if len(kinds) == 0 {
				continue
			}
			if err := s.Store.Publish(context.WithoutCancel(ctx), "w "+strings.Join(kinds, " ")); err != nil {
				s.Log.Warn("cluster bus: publish job wakes", "err", err)
			}
		}
	})
}

// publishHints sends the queued hints, as many per notification as have
// piled up, in order.
func (s *Server) publishHints(ctx context.Context, out chan string) {
	for {
		var batch []string
		select {
		case <-ctx.Done():
			return
		case h := <-out:
			batch = append(batch, h)
		}
	more:
		for len(batch) < 256 {
			select {
			case h := <-out:
				batch = append(batch, h)
			default:
				break more
			}
		}
		if err := s.Store.Publish(context.WithoutCancel(ctx), batch...); err != nil {
			s.Log.Error("cluster bus: publish", "hints", len(batch), "err", err)
		}
	}
}

// applyHints applies what other processes published; nil: hints may
// have been missed (the bus reconnected), so every cache they invalidate
// is dropped.
func (s *Server) applyHints(ctx context.Context, hints []string) {
	if hints == nil {
		s.Svc.DropCaches(0)
		s.Fed.DropDomainStates(ctx)
		return
	}
	for _, h := range hints {
		f := strings.Fields(h)
		if len(f) == 0 {
			continue
		}
		switch {
		case f[0] == "c" && len(f) == 4:
			k, _ := strconv.Atoi(f[1])
			acc, _ := strconv.ParseInt(f[2], 10, 64)
			obj, _ := strconv.ParseInt(f[3], 10, 64)
			kind := core.ChangeKind(k)
			if kind.Cached() {
				s.Svc.DropCaches(kind)
			} else {
				s.API.Notify(kind, acc, obj)
			}
		case f[0] == "r" && len(f) >= 2:
			var r core.Revocation
			r.AccountID, _ = strconv.ParseInt(f[1], 10, 64)
			if len(f) == 3 {
				for _, t := range strings.Split(f[2], ",") {
					if v, err := strconv.ParseInt(t, 10, 64); err == nil {
						r.TokenIDs = append(r.TokenIDs, v)
					}
				}
			}
			s.API.EndStreams(r)
		case f[0] == "w" && len(f) >= 2:
			s.Jobs.WakeHere(f[1:]...)
		case (f[0] == "d" || f[0] == "u") && len(f) == 2:
			s.Fed.DomainStateElsewhere(f[1], f[0] == "d")
		default:
			s.Log.Warn("cluster bus: unknown hint", "hint", h)
		}
	}
}

// tellOthers makes a one-off command's changes heard by the serving
// processes on the same PostgreSQL database (an emoji imported, a
// password set from the command line); nothing on SQLite.
func tellOthers(ctx context.Context, svc *core.Service, store *sqlite.Store) {
	if !store.Clustered() {
		return
	}
	svc.Notify = func(kind core.ChangeKind, accountID, objectID int64) {
		if err := store.Publish(context.WithoutCancel(ctx), changeHint(kind, accountID, objectID)); err != nil {
			svc.Log.Warn("cluster bus: publish", "err", err)
		}
	}
	svc.Revoked = func(r core.Revocation) {
		if err := store.Publish(context.WithoutCancel(ctx), revocationHint(r)); err != nil {
			svc.Log.Warn("cluster bus: publish", "err", err)
		}
	}
}
