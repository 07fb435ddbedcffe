package webui_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
)

// plant sets a cookie in a browser as a sibling subdomain could (cookie
// tossing): same name, a value of the attacker's choosing.
func (b *browser) plant(name, value string) {
	u, _ := url.Parse(b.ts.URL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// A CSRF cookie and form value chosen by an attacker are refused: for the
// OAuth consent of a signed-in user, for another form of theirs, and for
// the sign-in form (no session yet); so is the token of the attacker's own
// session. The genuine forms still work.
func TestCSRFTokenBoundToSession(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "mallory", "user")
	app, err := ts.Srv.Svc.CreateApp(context.Background(), core.CreateAppParams{Name: "evil app", RedirectURIs: []string{"https://evil.example/cb"}, Scopes: "read write"})
	if err != nil {
		t.Fatal(err)
	}
	consent := url.Values{"client_id": {app.ClientID}, "redirect_uri": {"https://evil.example/cb"}, "response_type": {"code"},
		"scope": {"read write"}, "decision": {"approve"}}
	noRedirect := func(b *browser) func() {
		old := b.c.CheckRedirect
		b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		return func() { b.c.CheckRedirect = old }
	}

	victim := newBrowser(t, ts)
	victim.signIn("alice")
	mallory := newBrowser(t, ts)
	mallory.signIn("mallory")
	mallory.do("GET", "/home", nil)
	mallorysToken := mallory.csrf()

	const planted = "attacker-chosen-value-0123456789abcdef"
	victim.plant("herald_csrf", planted)
	forged := url.Values{"authenticity_token": {planted}}
	for k, v := range consent {
		forged[k] = v
	}
	restore := noRedirect(victim)
	if code, _ := victim.do("POST", "/oauth/authorize", forged); code != http.StatusForbidden {
		t.Errorf("forged consent with a planted CSRF cookie: %d, want 403", code)
	}
	if code, _ := victim.do("POST", "/statuses", url.Values{"authenticity_token": {planted}, "status": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("forged post with a planted CSRF cookie: %d, want 403", code)
	}
	forged.Set("authenticity_token", mallorysToken)
	if code, _ := victim.do("POST", "/oauth/authorize", forged); code != http.StatusForbidden {
		t.Errorf("consent with the token of another session: %d, want 403", code)
	}
	restore()

	// The genuine consent, planted cookie or not.
	q := url.Values{"client_id": {app.ClientID}, "redirect_uri": {"https://evil.example/cb"}, "response_type": {"code"}, "scope": {"read write"}}
	if code, body := victim.do("GET", "/oauth/authorize?"+q.Encode(), nil); code != 200 || !strings.Contains(body, "evil app") {
		t.Fatalf("consent page: %d", code)
	}
	genuine := url.Values{"authenticity_token": {victim.csrf()}}
	for k, v := range consent {
		genuine[k] = v
	}
	restore = noRedirect(victim)
	req, _ := http.NewRequest("POST", ts.URL+"/oauth/authorize", strings.NewReader(genuine.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := victim.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	restore()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.Contains(loc, "code=") {
		t.Errorf("genuine consent: %d %s", resp.StatusCode, loc)
	}

	// Before a session: a planted cookie and form value do not sign in.
	stranger := newBrowser(t, ts)
	stranger.plant("herald_csrf", planted)
	if code, _ := stranger.do("POST", "/auth/sign_in", url.Values{"authenticity_token": {planted}, "username": {"mallory"}, "password": {server.TestPassword}}); code != http.StatusForbidden {
		t.Errorf("sign-in with a planted CSRF cookie: %d, want 403", code)
	}
	if code, _ := stranger.do("GET", "/home", nil); code != 200 || strings.Contains(stranger.last, "Sign out") {
		t.Errorf("a forged sign-in signed the browser in")
	}
	// The genuine sign-in form works (the page set a cookie of its own).
	stranger.signIn("alice")
}

// Over https every cookie of the web UI is a __Host- cookie: Secure,
// Path=/, no Domain; the unprefixed names count for nothing.
func TestHTTPSCookiesHostPrefixed(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) { c.Instance.Protocol = "https" })
	ts.CreateUser(t, "alice", "user")
	serve := func(method, path string, form url.Values, cookies []*http.Cookie) *httptest.ResponseRecorder {
		var body *strings.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		} else {
			body = strings.NewReader("")
		}
		req := httptest.NewRequest(method, "https://"+ts.Domain+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		ts.Srv.Echo.ServeHTTP(rec, req)
		return rec
	}
	rec := serve("GET", "/auth/sign_in", nil, nil)
	resp := rec.Result()
	var csrf *http.Cookie
	for _, c := range resp.Cookies() {
		if strings.Contains(c.Name, "csrf") {
			csrf = c
		}
	}
	if csrf == nil || csrf.Name != "__Host-herald_csrf" || !csrf.Secure || csrf.Path != "/" || csrf.Domain != "" {
		t.Fatalf("CSRF cookie over https: %+v", csrf)
	}
	m := csrfRe.FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatal("no CSRF token on the sign-in page")
	}
	creds := url.Values{"authenticity_token": {m[1]}, "username": {"alice"}, "password": {server.TestPassword}}
	// The same value under the unprefixed name, as a sibling could set it.
	if rec := serve("POST", "/auth/sign_in", creds, []*http.Cookie{{Name: "herald_csrf", Value: csrf.Value}}); rec.Code != http.StatusForbidden {
		t.Errorf("sign-in with an unprefixed CSRF cookie over https: %d, want 403", rec.Code)
	}
	rec = serve("POST", "/auth/sign_in", creds, []*http.Cookie{csrf})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("sign-in over https: %d", rec.Code)
	}
	var session *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if strings.Contains(c.Name, "session") {
			session = c
		}
	}
	if session == nil || session.Name != "__Host-herald_session" || !session.Secure || session.Path != "/" || session.Domain != "" {
		t.Fatalf("session cookie over https: %+v", session)
	}
	if rec := serve("GET", "/settings/account", nil, []*http.Cookie{session}); rec.Code != 200 {
		t.Errorf("signed-in page with the session cookie: %d", rec.Code)
	}
}
