package activitypub

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/ratelimit"
)

// Per-domain inbox limit: a remote domain may deliver at most
// limits.inbox_per_domain_per_minute activities a minute to all our
// inboxes together. It is counted after the signature is verified, so a
// third party cannot spend another domain's budget. Past it the inbox
// answers 429 with Retry-After (and Mastodon's X-RateLimit headers):
// senders keep the activity and retry later, so nothing is lost.

func newInboxLimiter(perMinute int) *ratelimit.Limiter {
	if perMinute <= 0 {
		perMinute = 3000
	}
	return ratelimit.New(perMinute, time.Minute)
}

// inboxThrottled counts one activity from domain; when over the limit it
// answers 429 and returns true.
func (f *Federation) inboxThrottled(c echo.Context, domain string) (bool, error) {
	if f.inboxLimit == nil {
		return false, nil
	}
	now := time.Now()
	r := f.inboxLimit.Allow(domain, now)
	h := c.Response().Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(r.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(r.Remaining))
	h.Set("X-RateLimit-Reset", r.Reset.UTC().Format("2006-01-02T15:04:05.000Z"))
	if r.Allowed {
		return false, nil
	}
	h.Set("Retry-After", strconv.Itoa(int(math.Ceil(r.Reset.Sub(now).Seconds()))))
	f.log.Debug("inbox: domain over its rate limit", "domain", domain)
	return true, apError(c, http.StatusTooManyRequests, "Too many requests")
}

// Limiters names the engine's rate limiters, for the server to share
// their counts among the processes of one instance.
func (f *Federation) Limiters() map[string]*ratelimit.Limiter {
	if f.inboxLimit == nil {
		return nil
	}
	return map[string]*ratelimit.Limiter{"inbox_domain": f.inboxLimit}
}
