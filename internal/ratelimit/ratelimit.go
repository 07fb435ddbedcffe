// Package ratelimit counts requests per key (an IP, an account, a domain)
// in fixed windows, in memory. It answers whether a request may proceed and
// what to put in Mastodon's X-RateLimit headers; it knows nothing of HTTP.
//
// Several processes serving one instance share their counts (Share): each
// still counts in memory, so that no request waits for the others, and
// every second or so (Sync) adds what it counted to the shared counts and
// learns their totals. A key may then go over its limit by what the other
// processes counted since their last sync, no more.
package ratelimit

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
)

// Limiter allows Limit requests per Window for each key.
type Limiter struct {
	Limit  int
	Window time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time

	// Shared counts (Share): nil alone.
	name     string
	exchange Exchange
}

type bucket struct {
	count   int // this process's and, when shared, the others' as last synced
	reset   time.Time
	pending int   // counted here since the last sync (shared only)
	start   int64 // the window's start, Unix ms (shared only)
}

// Count is a key's count in the window that starts at Start (Unix ms).
type Count struct {
	Key   string
	Start int64
	N     int64
}

// Exchange adds counts (made in this process since the last exchange) to
// the shared counts of the limiter name and returns the new totals of
// those keys and windows.
type Exchange func(ctx context.Context, name string, counts []Count) ([]Count, error)

// Share makes l count with the other processes that share name through
// exchange: its windows then start at multiples of Window (the same in
// every process), and Sync exchanges the counts. Call it before use.
func (l *Limiter) Share(name string, exchange Exchange) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.name, l.exchange = name, exchange
}

// Sync adds what this process counted since the last Sync to the shared
// counts and takes their totals (a no-op unless shared). On failure the
// counts are kept for the next Sync.
func (l *Limiter) Sync(ctx context.Context) error {
	l.mu.Lock()
	if l.exchange == nil {
		l.mu.Unlock()
		return nil
	}
	var out []Count
	for k, b := range l.buckets {
		if b.pending > 0 {
			out = append(out, Count{Key: k, Start: b.start, N: int64(b.pending)})
			b.pending = 0
		}
	}
	name, exchange := l.name, l.exchange
	l.mu.Unlock()
	if len(out) == 0 {
		return nil
	}
	// One order in every process: their exchanges lock rows alike.
	slices.SortFunc(out, func(a, b Count) int { return strings.Compare(a.Key, b.Key) })
	totals, err := exchange(ctx, name, out)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		for _, c := range out {
			if b := l.buckets[c.Key]; b != nil && b.start == c.Start {
				b.pending += int(c.N)
			}
		}
		return err
	}
	for _, c := range totals {
		if b := l.buckets[c.Key]; b != nil && b.start == c.Start {
			// What was counted here during the exchange comes on top.
			b.count = max(b.count, int(c.N)+b.pending)
		}
	}
	return nil
}

// New makes a limiter.
func New(limit int, window time.Duration) *Limiter {
	return &Limiter{Limit: limit, Window: window, buckets: map[string]*bucket{}}
}

// Result is the outcome of one Allow call.
type Result struct {
	Allowed   bool
	Limit     int
	Remaining int
	Reset     time.Time
}

// Allow counts one request for key.
func (l *Limiter) Allow(key string, now time.Time) Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.After(l.sweep) {
		// Drop expired buckets now and then, so memory follows active keys only.
		for k, b := range l.buckets {
			if now.After(b.reset) {
				delete(l.buckets, k)
			}
		}
		l.sweep = now.Add(l.Window)
	}
	b := l.buckets[key]
	if l.exchange != nil {
		// Windows every process agrees on.
		start := now.Truncate(l.Window)
		if b == nil || b.start != start.UnixMilli() {
			b = &bucket{reset: start.Add(l.Window), start: start.UnixMilli()}
			l.buckets[key] = b
		}
		b.pending++
	} else if b == nil || now.After(b.reset) {
		b = &bucket{reset: now.Add(l.Window)}
		l.buckets[key] = b
	}
	b.count++
	rem := l.Limit - b.count
	if rem < 0 {
		rem = 0
	}
	return Result{Allowed: b.count <= l.Limit, Limit: l.Limit, Remaining: rem, Reset: b.reset}
}

// Safelisted reports whether the client at ip is exempt from rate limits:
// this machine itself (loopback), as Mastodon's safelist has it, so local
// tools, health checks and scripts are never throttled. Behind a trusted
// reverse proxy the address is the forwarded client's, not the proxy's.
func Safelisted(ip string) bool {
	addr, err := netip.ParseAddr(ip)
	return err == nil && addr.Unmap().IsLoopback()
}

// AllowIP counts one request from the client at ip, keyed by the address;
// a safelisted client is always allowed and sees the whole budget.
func (l *Limiter) AllowIP(ip string, now time.Time) Result {
	if Safelisted(ip) {
		return l.Unlimited(now)
	}
	return l.Allow(ip, now)
}

// Unlimited is the result for a request that is not counted.
func (l *Limiter) Unlimited(now time.Time) Result {
	return Result{Allowed: true, Limit: l.Limit, Remaining: l.Limit, Reset: now.Add(l.Window)}
}
