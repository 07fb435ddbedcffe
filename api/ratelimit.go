package api

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/ratelimit"
)

// Abuse limits of the client API, as Mastodon's Rack::Attack sets them:
// every call made with a valid token counts against its account (or, for
// an app token, against the token), every call without one against the
// client's IP address, and sign-ups have their own per-IP budget. Every
// response carries X-RateLimit-Limit, -Remaining and -Reset; a caller over
// its budget gets 429 with Retry-After. The token endpoint keeps its own,
// tighter limiter (oauth.go), and the web sign-in form its own (webui).
// Clients on this machine (loopback, after X-Forwarded-For from a trusted
// proxy is applied) are not counted: ratelimit.Safelisted.

// apiLimits are the API's limiters.
type apiLimits struct {
	account *ratelimit.Limiter // per account or app token
	ip      *ratelimit.Limiter // per IP, calls without a valid token
	signUp  *ratelimit.Limiter // per IP, POST /api/v1/accounts
}

func newAPILimits(svc *core.Service) *apiLimits {
	l := svc.Cfg.Limits
	return &apiLimits{
		account: ratelimit.New(max(l.APIPer5Minutes, 1), 5*time.Minute),
		ip:      ratelimit.New(max(l.APIPerIPPer5Minutes, 1), 5*time.Minute),
		signUp:  ratelimit.New(max(l.SignUpPer5Minutes, 1), 5*time.Minute),
	}
}

// signUpRoute is Mastodon's sign-up endpoint (registered by accounts code).
const signUpRoute = "/api/v1/accounts"

// throttle counts one API call by cl (nil: anonymous, counted by IP), sets
// the rate-limit headers and returns a 429 error when over the limit.
func (a *API) throttle(c echo.Context, cl *core.Caller) error {
	if a.limits == nil {
		return nil
	}
	now := time.Now()
	var r ratelimit.Result
	switch {
	case cl != nil && ratelimit.Safelisted(c.RealIP()):
		r = a.limits.account.Unlimited(now)
	case cl != nil && cl.Account != nil:
		r = a.limits.account.Allow("a:"+strconv.FormatInt(cl.Account.ID, 10), now)
	case cl != nil && cl.Token != nil:
		r = a.limits.account.Allow("t:"+strconv.FormatInt(cl.Token.ID, 10), now)
	default:
		r = a.limits.ip.AllowIP(c.RealIP(), now)
	}
	if r.Allowed && c.Request().Method == http.MethodPost && c.Path() == signUpRoute {
		r = a.limits.signUp.AllowIP(c.RealIP(), now)
	}
	return setRateLimit(c, r, now)
}

// setRateLimit writes Mastodon's X-RateLimit headers for r, and answers
// 429 with Retry-After when r was refused.
func setRateLimit(c echo.Context, r ratelimit.Result, now time.Time) error {
	// Stored as Set would (under the canonical keys), the three values in
	// one allocation: this runs for every request.
	hd := c.Response().Header()
	v := []string{strconv.Itoa(r.Limit), strconv.Itoa(r.Remaining), r.Reset.UTC().Format(timeFormat)}
	hd["X-Ratelimit-Limit"], hd["X-Ratelimit-Remaining"], hd["X-Ratelimit-Reset"] = v[0:1:1], v[1:2:2], v[2:3:3]
	if r.Allowed {
		return nil
	}
	hd.Set("Retry-After", strconv.Itoa(int(math.Ceil(r.Reset.Sub(now).Seconds()))))
	return herr.New(http.StatusTooManyRequests, "Too many requests")
}

// Limiters names the API's rate limiters, for the server to share their
// counts among the processes of one instance (ratelimit.Limiter.Share).
func (a *API) Limiters() map[string]*ratelimit.Limiter {
	out := map[string]*ratelimit.Limiter{"oauth_token": a.tokenLimiter}
	if a.limits != nil {
		out["api_account"], out["api_ip"], out["api_sign_up"] = a.limits.account, a.limits.ip, a.limits.signUp
	}
	return out
}
