package activitypub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
)

// The domain policy is core's (core.Service.DomainPolicy: the
// configuration's lists and the admins' blocks and allows, merged and
// matched there). This file only translates its answer for the engine:
//
//   - a suspended or not allowed domain: errBlockedDomain, a permanent
//     refusal (403 at the inbox, deliveries and inbox items dropped);
//   - a policy that could not be read: errPolicyUnavailable. The domain is
//     treated as suspended (fail closed) but the refusal is temporary:
//     the inbox answers 503 so that the sender retries, and queued work
//     (outbox events, deliveries, inbox items) is retried later instead of
//     being dropped, since the admins decided nothing.

// errBlockedDomain: the remote domain is suspended or not allowed.
var errBlockedDomain = errors.New("domain is blocked by this instance's policy")

// errPolicyUnavailable: the domain policy could not be read (it wraps the
// cause); nothing is exchanged with the domain for now.
var errPolicyUnavailable = errors.New("domain policy unavailable")

// domainPolicy returns core's policy for host (host[:port]); when it
// cannot be read, the fail-closed policy and an error wrapping
// errPolicyUnavailable.
func (f *Federation) domainPolicy(ctx context.Context, host string) (core.DomainPolicy, error) {
	p, err := f.svc.DomainPolicy(ctx, host)
	if err != nil {
		return p, fmt.Errorf("%w: %w", errPolicyUnavailable, err)
	}
	return p, nil
}

// checkDomain returns nil when host may be exchanged with, errBlockedDomain
// when it is suspended or not allowed (an empty host included), or an
// errPolicyUnavailable.
func (f *Federation) checkDomain(ctx context.Context, host string) error {
	p, err := f.domainPolicy(ctx, host)
	if err != nil {
		return err
	}
	if p.Suspended() {
		return errBlockedDomain
	}
	return nil
}

// checkURL applies checkDomain to a URL's host (unparsable URLs are blocked).
func (f *Federation) checkURL(ctx context.Context, raw string) error {
	return f.checkDomain(ctx, hostOf(raw))
}

// policyRefusal answers a request refused by the domain policy: 403 for a
// blocked domain, 503 (retry later) when the policy could not be read.
func policyRefusal(c echo.Context, err error) error {
	if errors.Is(err, errPolicyUnavailable) {
		c.Response().Header().Set("Retry-After", "60")
		return apError(c, http.StatusServiceUnavailable, "Service temporarily unavailable")
	}
	return apError(c, http.StatusForbidden, "Forbidden")
}

// isPolicyRefusal reports an error of checkDomain or checkURL.
func isPolicyRefusal(err error) bool {
	return errors.Is(err, errBlockedDomain) || errors.Is(err, errPolicyUnavailable)
}

// hostOf returns the lower-cased host[:port] of an absolute http(s) URL,
// or "" for anything else.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Host)
}
