// Package ratelimit counts requests per key (an IP, an account, a domain)
// in fixed windows, in memory. It answers whether a request may proceed and
// what to put in Mastodon's X-RateLimit headers; it knows nothing of HTTP.
package ratelimit

import (
	"net/netip"
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
}

type bucket struct {
	count int
	reset time.Time
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
	if b == nil || now.After(b.reset) {
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
