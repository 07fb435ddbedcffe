package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/herald-social/herald/api"
	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/webui"
)

// The authorisation audit. Every route on the router must be declared by
// one of the three tables — the client API's (API.Routes, with an Access
// rule), the federation engine's (Federation.RouteTable) or the web UI's
// list below — and every route open without a token or a signature must
// appear in one of the explicit public lists here. A new route that is
// open by accident fails this test until someone adds it to a list on
// purpose. The rules are then checked by calling the routes.

// publicAPI are the client API routes callable without a token whatever
// the instance's settings: what a client needs before signing in.
var publicAPI = []string{
	"GET /.well-known/oauth-authorization-server",
	"GET /api/v1/custom_emojis",
	"GET /api/v1/instance",
	"GET /api/v1/instance/activity",
	"GET /api/v1/instance/domain_blocks",
	"GET /api/v1/instance/extended_description",
	"GET /api/v1/instance/languages",
	"GET /api/v1/instance/peers",
	"GET /api/v1/instance/privacy_policy",
	"GET /api/v1/instance/rules",
	"GET /api/v1/instance/terms_of_service",
	"GET /api/v1/instance/translation_languages",
	"GET /api/v1/invites/:code", // an invite's validity, for the sign-up form
	"GET /api/v1/streaming",     // checks the token itself (it may come as the websocket protocol)
	"GET /api/v1/streaming/health",
	"GET /api/v2/instance",
	"GET /health",
	"POST /api/v1/apps",
	"POST /api/v1/auth/password",       // password reset with its token
	"POST /api/v1/auth/password_reset", // asks for a reset mail
	"POST /oauth/revoke",
	"POST /oauth/token",
}

// readAPI are the client API routes that show content or accounts (Access
// Read): callable without a token only while the instance is open to
// anonymous readers; a token must carry the route's scope.
var readAPI = []string{
	"GET /api/v1/accounts", // several accounts by id
	"GET /api/v1/accounts/:id",
	"GET /api/v1/accounts/:id/collections",
	"GET /api/v1/accounts/:id/endorsements",
	"GET /api/v1/accounts/:id/featured_tags",
	"GET /api/v1/accounts/:id/followers",
	"GET /api/v1/accounts/:id/following",
	"GET /api/v1/accounts/:id/statuses",
	"GET /api/v1/accounts/lookup",
	"GET /api/v1/collections/:id",
	"GET /api/v1/directory",
	"GET /api/v1/polls/:id",
	"GET /api/v1/statuses", // several statuses by id, visibility checked per status
	"GET /api/v1/statuses/:id",
	"GET /api/v1/statuses/:id/context",
	"GET /api/v1/statuses/:id/favourited_by",
	"GET /api/v1/statuses/:id/history",
	"GET /api/v1/statuses/:id/reblogged_by",
	"GET /api/v1/tags/:name",
	"GET /api/v1/timelines/public",
	"GET /api/v1/timelines/tag/:hashtag",
	"GET /api/v1/trends",
	"GET /api/v1/trends/links",
	"GET /api/v1/trends/statuses",
	"GET /api/v1/trends/tags",
	"GET /api/v2/search",
}

// publicOther are routes mounted directly on the router by other parts:
// stored media files (public by URL, as in Mastodon) and the media proxy.
var publicOther = []string{
	"GET /media_proxy/:kind/:id/:variant",
	"GET /system/*",
}

// publicFederation are the federation routes served without a signature
// even under authorized fetch.
var publicFederation = []string{
	"GET /.well-known/host-meta",
	"GET /.well-known/host-meta.json",
	"GET /.well-known/nodeinfo",
	"GET /.well-known/webfinger",
	"GET /actor",
	"GET /actor/outbox",
	"GET /nodeinfo/2.0",
	"GET /nodeinfo/2.1",
	"GET /users/:username",
}

// publicWeb are the web UI's routes open to anyone (Access Public in
// UI.Routes); the rest need a CSRF token, a session or a staff role, and
// the web UI's guard enforces that before any handler runs.
var publicWeb = []string{
	"GET /",
	"GET /@:username",
	"GET /@:username/:id",
	"GET /@:username/wrapstodon/:year/:key", // an annual report's share page: the key is its owner's link
	"GET /about",
	"GET /auth/confirmation",  // e-mail confirmation link
	"GET /auth/oidc/callback", // the single sign-on provider sends the browser back (state checked)
	"GET /auth/password/edit", // password reset link (its form posts with the CSRF token)
	"GET /auth/password/new",
	"GET /auth/sign_in",
	"GET /auth/sign_out", // a confirmation page; signing out is a POST
	"GET /auth/sign_up",
	"GET /auth/two_factor", // only with the short-lived cookie of a right password
	"GET /avatars/original/missing.png",
	"GET /branding.css",
	"GET /branding/logo",
	"GET /favicon.ico",
	"GET /headers/original/missing.png",
	"GET /invite/:code",    // the sign-up form with the invite's code
	"GET /oauth/authorize", // shows the sign-in form to strangers
	"GET /oauth/authorize/",
	"GET /oauth/authorize/native",
	"GET /privacy-policy",
	"GET /remote_interaction", // the "Follow from your server" form (its POST checks the CSRF token)
	"GET /static/*",
	"GET /tags/:tag",
	"GET /terms",
}

func TestRouteAudit(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "root", "owner")

	apiRoutes := map[string]bool{}
	for _, r := range ts.Srv.API.Routes() {
		key := r.Method + " " + r.Path
		apiRoutes[key] = true
		if r.Method == http.MethodGet {
			apiRoutes["HEAD "+r.Path] = true
		}
		acc := r.Access
		switch {
		case acc.Public && acc.Read:
			t.Errorf("API route %s is both Public and Read", key)
		case acc.Public:
			if !slices.Contains(publicAPI, key) {
				t.Errorf("API route %s is public but not in the audit's publicAPI list: open by accident?", key)
			}
			if acc.Scope != "" {
				t.Errorf("public API route %s requires scope %q: make it a Read route", key, acc.Scope)
			}
		case acc.Read:
			if !slices.Contains(readAPI, key) {
				t.Errorf("API route %s is readable without a token but not in the audit's readAPI list: open by accident?", key)
			}
		case acc.Scope == "" && !acc.App && !acc.User:
			t.Errorf("API route %s declares no access rule", key)
		}
		if acc.Scope != "" {
			if _, err := core.ParseScopes(acc.Scope); err != nil {
				t.Errorf("API route %s requires unknown scope %q", key, acc.Scope)
			}
		}
		if isAdminPath(r.Path) {
			// The permission is checked by the core method the route
			// calls; the enforcement pass below proves it.
			if acc.Public || !acc.User || !strings.HasPrefix(acc.Scope, "admin:") {
				t.Errorf("admin route %s must require a user token with an admin: scope, declares %+v", key, acc)
			}
		}
	}
	declared := map[string]api.Access{}
	for _, r := range ts.Srv.API.Routes() {
		declared[r.Method+" "+r.Path] = r.Access
	}
	for _, k := range publicAPI {
		if acc, ok := declared[k]; !ok || !acc.Public {
			t.Errorf("publicAPI lists %s, which is not a registered public route (remove it)", k)
		}
	}
	for _, k := range readAPI {
		if acc, ok := declared[k]; !ok || !acc.Read {
			t.Errorf("readAPI lists %s, which is not a registered Read route (remove it)", k)
		}
	}

	fedRoutes := map[string]bool{}
	for _, r := range ts.Srv.Fed.RouteTable() {
		key := r.Method + " " + r.Path
		fedRoutes[key] = true
		if r.Public && !slices.Contains(publicFederation, strings.Replace(key, "HEAD ", "GET ", 1)) {
			t.Errorf("federation route %s is public but not in publicFederation", key)
		}
	}
	for _, k := range publicFederation {
		if !fedRoutes[k] {
			t.Errorf("publicFederation lists %s, which is not registered (remove it)", k)
		}
	}
	webRoutes := map[string]webui.Access{}
	for _, r := range ts.Srv.UI.Routes() {
		key := r.Method + " " + r.Path
		webRoutes[key] = r.Access
		if r.Access == webui.Public && !slices.Contains(publicWeb, key) {
			t.Errorf("web route %s is public but not in the audit's publicWeb list: open by accident?", key)
		}
		if r.Access == webui.Signed && key != "POST /auth/oidc/backchannel_logout" {
			t.Errorf("web route %s takes a signed token instead of a CSRF check: add it to the audit if meant", key)
		}
		if r.Method != http.MethodGet && !r.Access.NeedsCSRF() && r.Access != webui.Signed {
			t.Errorf("web route %s changes state without a CSRF check", key)
		}
	}
	for _, k := range publicWeb {
		if webRoutes[k] != webui.Public {
			t.Errorf("publicWeb lists %s, which is not a public web route (remove it)", k)
		}
	}
	webSeen := map[string]bool{}
	for _, r := range ts.Srv.Echo.Routes() {
		key := r.Method + " " + r.Path
		if apiRoutes[key] || fedRoutes[key] {
			continue
		}
		wk := strings.Replace(key, "HEAD ", "GET ", 1)
		if slices.Contains(publicOther, wk) {
			continue
		}
		if _, ok := webRoutes[wk]; ok {
			webSeen[wk] = true
			continue
		}
		t.Errorf("route %s is registered by no declared table (API.Routes, Federation.RouteTable, webRoutes)", key)
	}
	for k := range webRoutes {
		if !webSeen[k] {
			t.Errorf("webRoutes lists %s, which is not registered (remove it)", k)
		}
	}
	if t.Failed() {
		return
	}

	// Enforcement, route by route.
	ctx := context.Background()
	userOnly := ts.Token(t, "alice", "read write follow push admin:read admin:write")
	appTok := appToken(t, ts)
	tokens := map[string]string{}
	tokenFor := func(scope string) string {
		if tok, ok := tokens[scope]; ok {
			return tok
		}
		tokens[scope] = ts.Token(t, "root", scope)
		return tokens[scope]
	}
	do := func(method, path, token string) int {
		req := httptest.NewRequestWithContext(ctx, method, ts.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		ts.Srv.Echo.ServeHTTP(rec, req)
		return rec.Code
	}
	checked := 0
	for _, r := range ts.Srv.API.Routes() {
		acc := r.Access
		path := fillParams(r.Path, "1")
		if !acc.Public && !acc.Read { // Read routes: TestRouteAuditClosedInstance
			if got := do(r.Method, path, ""); got != http.StatusUnauthorized {
				t.Errorf("%s %s without a token: %d, want 401", r.Method, r.Path, got)
			}
		}
		if !acc.Public {
			if got := do(r.Method, path, "not-a-token"); got != http.StatusUnauthorized {
				t.Errorf("%s %s with a bad token: %d, want 401", r.Method, r.Path, got)
			}
		}
		// Read routes too: they show the token's user's private posts.
		if acc.Scope != "" {
			other := ""
			for _, s := range []string{"push", "read:filters", "write:lists", "profile"} {
				if !core.ScopesAllow(s, acc.Scope) {
					other = s
					break
				}
			}
			if got := do(r.Method, path, tokenFor(other)); got != http.StatusForbidden {
				t.Errorf("%s %s with scope %q (needs %q): %d, want 403", r.Method, r.Path, other, acc.Scope, got)
			}
		}
		if acc.User {
			if got := do(r.Method, path, appTok); got != http.StatusUnprocessableEntity && got != http.StatusForbidden && got != http.StatusUnauthorized {
				t.Errorf("%s %s with an app token: %d, want 422 (user required)", r.Method, r.Path, got)
			}
		}
		if isAdminPath(r.Path) {
			if got := do(r.Method, path, userOnly); got != http.StatusForbidden {
				t.Errorf("%s %s by a user without staff permissions: %d, want 403", r.Method, r.Path, got)
			}
		}
		checked++
	}
	// Federation: inboxes need a signature; with authorized fetch (the
	// default) so do the documents that are not public.
	var post struct {
		ID string `json:"id"`
	}
	ts.JSON(t, "POST", "/api/v1/statuses", ts.Token(t, "alice", "write"), map[string]any{"status": "public post"}, 200, &post)
	for _, r := range ts.Srv.Fed.RouteTable() {
		if r.Public || r.Method == http.MethodHead {
			continue
		}
		path := strings.ReplaceAll(fillParams(r.Path, post.ID), "/users/"+post.ID, "/users/alice")
		req := httptest.NewRequestWithContext(ctx, r.Method, ts.URL+path, strings.NewReader(`{"type":"Follow","actor":"https://evil.example/u","object":"x"}`))
		req.Header.Set("Accept", "application/activity+json")
		req.Header.Set("Content-Type", "application/activity+json")
		rec := httptest.NewRecorder()
		ts.Srv.Echo.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("federation %s %s unsigned: %d, want 401", r.Method, r.Path, rec.Code)
		}
		checked++
	}
	// Web UI: the routes that act refuse a form without the CSRF cookie;
	// the pages of signed-in users and staff send strangers to sign in.
	for k, rule := range webRoutes {
		method, path, _ := strings.Cut(k, " ")
		path = fillParams(path, "1")
		if method == http.MethodGet && rule.NeedsSession() {
			req := httptest.NewRequestWithContext(ctx, method, ts.URL+path, nil)
			rec := httptest.NewRecorder()
			ts.Srv.Echo.ServeHTTP(rec, req)
			if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/auth/sign_in") {
				t.Errorf("web %s without a session: %d %s, want 303 to the sign-in page", k, rec.Code, rec.Header().Get("Location"))
			}
			checked++
			continue
		}
		if !rule.NeedsCSRF() {
			continue
		}
		req := httptest.NewRequestWithContext(ctx, method, ts.URL+path, strings.NewReader("username=alice&password="+server.TestPassword+"&decision=approve"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		ts.Srv.Echo.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden {
			t.Errorf("web %s without CSRF token: %d, want 403", k, rec.Code)
		}
		if strings.Contains(rec.Header().Get("Set-Cookie"), "herald_session=ey") {
			t.Errorf("web %s without CSRF token set a session", k)
		}
		checked++
	}
	t.Logf("audited %d routes on the router; enforcement checked on %d", len(ts.Srv.Echo.Routes()), checked)
}

// TestRouteAuditClosedInstance: on an instance closed to anonymous readers
// every Read route of the client API refuses callers without a user token,
// and the public routes stay open.
func TestRouteAuditClosedInstance(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) { c.Instance.PublicPages = false })
	ts.CreateUser(t, "alice", "user")
	userTok := ts.Token(t, "alice", "read")
	appTok := appToken(t, ts)
	do := func(method, path, token string) (int, string) {
		req := httptest.NewRequestWithContext(context.Background(), method, ts.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		ts.Srv.Echo.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	const closed = "This method requires an authenticated user"
	reads := 0
	for _, r := range ts.Srv.API.Routes() {
		path := fillParams(r.Path, "1")
		switch {
		case r.Access.Read:
			for _, tok := range []string{"", appTok} {
				if code, body := do(r.Method, path, tok); code != http.StatusUnauthorized || !strings.Contains(body, closed) {
					t.Errorf("%s %s on a closed instance (token %t): %d %s, want 401", r.Method, r.Path, tok != "", code, body)
				}
			}
			if code, body := do(r.Method, path, userTok); code == http.StatusUnauthorized || code == http.StatusForbidden {
				t.Errorf("%s %s on a closed instance with a user's read token: %d %s", r.Method, r.Path, code, body)
			}
			reads++
		case r.Access.Public:
			if code, body := do(r.Method, path, ""); strings.Contains(body, closed) {
				t.Errorf("public %s %s on a closed instance: %d %s", r.Method, r.Path, code, body)
			}
		}
	}
	if reads != len(readAPI) {
		t.Errorf("checked %d Read routes, the audit lists %d", reads, len(readAPI))
	}
}

func fillParams(p, v string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") {
			segs[i] = v
		}
		if s == "*" {
			segs[i] = "x"
		}
	}
	return strings.Join(segs, "/")
}

// appToken is a client-credentials token: an app, no user.
func appToken(t *testing.T, ts *server.TestServer) string {
	t.Helper()
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	ts.JSON(t, "POST", "/api/v1/apps", "", map[string]any{"client_name": "audit", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write follow push"}, 200, &app)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	ts.JSON(t, "POST", "/oauth/token", "", map[string]any{"grant_type": "client_credentials", "client_id": app.ClientID, "client_secret": app.ClientSecret, "scope": "read write follow push"}, 200, &tok)
	return tok.AccessToken
}

func isAdminPath(p string) bool {
	return strings.HasPrefix(p, "/api/v1/admin/") || strings.HasPrefix(p, "/api/v2/admin/")
}

// TestAuditListsSorted keeps the audit lists easy to review.
func TestAuditListsSorted(t *testing.T) {
	for _, l := range [][]string{publicAPI, readAPI, publicFederation, publicOther, publicWeb} {
		if !sort.StringsAreSorted(l) {
			t.Errorf("list not sorted: %v", l)
		}
	}
}
