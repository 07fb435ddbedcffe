// Package api is Herald's Mastodon-compatible client API: HTTP handlers
// that authenticate the caller, read and validate parameters, call the
// domain layer (internal/core) and render Mastodon's entities as JSON. Rules
// live in core, SQL in storage; handlers stay thin.
package api

import (
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/ratelimit"
)

// Version is Herald's own version; the API reports a Mastodon version
// before it, as clients gate features on that.
var Version = "0.1.0"

// MastodonVersion is the Mastodon API level Herald answers as.
const MastodonVersion = "4.5.0"

// MastodonAPIVersion is api_versions.mastodon in /api/v2/instance: the
// number Mastodon 4.5 reports.
const MastodonAPIVersion = 7

// API holds the client API's dependencies.
type API struct {
	svc    *core.Service
	log    *slog.Logger
	routes []Route

	tokenLimiter *ratelimit.Limiter
	limits       *apiLimits // per account and per IP (ratelimit.go)

	rt realtime // streaming state (streaming.go)

	// SessionCaller, when set (by the server, from the web UI), returns
	// the caller signed in by the request's session cookie, or nil; the
	// media proxy uses it for browsers, which send no token.
	SessionCaller func(echo.Context) *core.Caller
}

// Access says who may call a route. Every route declares one: the route
// audit test walks them all.
type Access struct {
	// Scope the token must carry; "" for none.
	Scope string
	// User: a user token is required (not an app token).
	User bool
	// Public: callable without a token, whatever the instance's settings:
	// what clients need before signing in (instance information, rules,
	// custom emojis, app registration, OAuth, password reset).
	Public bool
	// Read: shows content or accounts (statuses, timelines, profiles,
	// search...). Callable without a token only while the instance is
	// open to anonymous readers (core's AnonymousReadsAllowed); otherwise
	// it needs a user token, as Mastodon's require_authenticated_user!.
	// A token must carry Scope, as Mastodon's authorize_if_got_token!:
	// the route shows the token's user's private posts too.
	Read bool
	// App: an app or user token is required.
	App bool
	// Unconfirmed: with User, the token of a user still awaiting e-mail
	// confirmation is accepted too (Mastodon's e-mail confirmation
	// endpoints); everywhere else it gets 403.
	Unconfirmed bool
	// Staff permissions are not declared here: the core method a route
	// calls checks them (Service.Authorize), for every surface alike.
}

// Route is a registered route with its access rule, for audits.
type Route struct {
	Method, Path string
	Access       Access
}

// New makes the client API.
func New(svc *core.Service) *API {
	return &API{
		svc:          svc,
		log:          svc.Log,
		tokenLimiter: ratelimit.New(svc.Cfg.Limits.SignInPerMinute*3, time.Minute),
		limits:       newAPILimits(svc),
	}
}

// Routes lists every registered route, sorted.
func (a *API) Routes() []Route {
	out := append([]Route(nil), a.routes...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// handle registers a route with its access rule; GET routes answer HEAD too.
func (a *API) handle(e *echo.Echo, method, path string, h echo.HandlerFunc, acc Access) {
	if acc.Scope == "" && !acc.Public && !acc.Read && !acc.App && !acc.User {
		panic("api: route " + method + " " + path + " declares no access rule")
	}
	wrapped := a.authenticate(acc)(h)
	e.Add(method, path, wrapped)
	a.routes = append(a.routes, Route{method, path, acc})
	if method == http.MethodGet {
		e.Add(http.MethodHead, path, wrapped)
	}
}

// Common access rules.
func public() Access                 { return Access{Public: true} }
func user(scope string) Access       { return Access{Scope: scope, User: true} }
func app(scope string) Access        { return Access{Scope: scope, App: true} }
func publicRead(scope string) Access { return Access{Scope: scope, Read: true} }

const callerKey = "herald.caller"

// errAuthenticatedUser is Mastodon's answer when an instance closed to
// anonymous readers is read without a user token.
func errAuthenticatedUser() error {
	return herr.Unauthorized("This method requires an authenticated user")
}

// caller returns the authenticated caller, or nil for anonymous requests.
func caller(c echo.Context) *core.Caller {
	v, _ := c.Get(callerKey).(*core.Caller)
	return v
}

// bearer extracts the access token from the Authorization header or the
// access_token parameter.
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		if t, ok := strings.CutPrefix(h, "bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	return r.URL.Query().Get("access_token")
}

// authenticate enforces an access rule.
func (a *API) authenticate(acc Access) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			token := bearer(c.Request())
			if token == "" {
				if err := a.throttle(c, nil); err != nil {
					return err
				}
				if acc.Public {
					return next(c)
				}
				if acc.Read {
					if !a.svc.AnonymousReadsAllowed(c.Request().Context()) {
						return errAuthenticatedUser()
					}
					return next(c)
				}
				return herr.Unauthorized("The access token is invalid")
			}
			authenticate := a.svc.CallerByToken
			if acc.Unconfirmed {
				authenticate = a.svc.CallerAwaitingConfirmation
			}
			cl, err := authenticate(c.Request().Context(), token)
			if err != nil {
				if terr := a.throttle(c, nil); terr != nil {
					return terr
				}
				return err
			}
			if err := a.throttle(c, cl); err != nil {
				return err
			}
			if acc.User && cl.User == nil {
				return herr.New(http.StatusUnprocessableEntity, "This method requires an authenticated user")
			}
			if acc.Read && cl.User == nil && !a.svc.AnonymousReadsAllowed(c.Request().Context()) {
				return errAuthenticatedUser()
			}
			if acc.Scope != "" && !cl.Allows(acc.Scope) {
				return herr.Forbidden("This action is outside the authorized scopes")
			}
			c.Set(callerKey, cl)
			if cl.Delegated() {
				// Every successful write of a member acting for an account
				// is logged, before its answer is sent.
				c.Response().Before(func() { a.recordDelegated(c, cl) })
			}
			return next(c)
		}
	}
}

// ErrorHandler renders every error as Mastodon does: {"error": "..."}.
func ErrorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, msg := http.StatusInternalServerError, "Internal server error"
		var he *herr.Error
		var ee *echo.HTTPError
		switch {
		case errors.As(err, &he):
			status, msg = he.Status, he.Msg
			if status >= 500 {
				log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
			}
		case errors.As(err, &ee):
			status = ee.Code
			msg = http.StatusText(status)
			if m, ok := ee.Message.(string); ok && m != "" {
				msg = m
			}
			if status == http.StatusNotFound {
				msg = "Record not found"
			}
		default:
			log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		body := map[string]string{"error": msg}
		if code, desc, ok := strings.Cut(msg, ": "); ok && isOAuthErrorCode(code) {
			body = map[string]string{"error": code, "error_description": desc}
		}
		_ = c.JSON(status, body)
	}
}

func isOAuthErrorCode(s string) bool {
	switch s {
	case "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope", "access_denied", "unsupported_response_type":
		return true
	}
	return false
}
