package server_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/server"
)

// Web security headers on every kind of response (HTML pages, API JSON,
// ActivityStreams, errors, static files), HSTS only over https, and the
// attributes of the web sign-in's cookies.

func getWith(t *testing.T, ts *server.TestServer, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultTransport.RoundTrip(req) // no redirects followed
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// securityPaths are responses of every kind.
var securityPaths = []struct {
	name, path string
	hdr        map[string]string
}{
	{"HTML home", "/", nil},
	{"HTML sign-in", "/auth/sign_in", nil},
	{"HTML profile", "/@alice", nil},
	{"HTML 404 page", "/@nobody", nil},
	{"API JSON", "/api/v1/instance", nil},
	{"API error", "/api/v1/accounts/verify_credentials", nil},
	{"ActivityPub actor", "/users/alice", map[string]string{"Accept": "application/activity+json"}},
	{"WebFinger", "/.well-known/webfinger?resource=acct:alice@x", nil},
	{"NodeInfo", "/nodeinfo/2.0", nil},
	{"default avatar", "/avatars/original/missing.png", nil},
	{"unknown route", "/no/such/page", nil},
}

func checkSecurityHeaders(t *testing.T, ts *server.TestServer, wantHSTS bool) {
	t.Helper()
	for _, p := range securityPaths {
		resp := getWith(t, ts, p.path, p.hdr)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if csp == "" || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s (%d): Content-Security-Policy %q lacks frame-ancestors 'none'", p.name, resp.StatusCode, csp)
		}
		for _, d := range []string{"default-src", "base-uri"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s: Content-Security-Policy %q lacks %s", p.name, csp, d)
			}
		}
		if strings.Contains(csp, "'unsafe-inline'") && strings.Contains(csp, "script-src") || strings.Contains(csp, "'unsafe-eval'") {
			t.Errorf("%s: Content-Security-Policy %q allows inline or eval'd scripts", p.name, csp)
		}
		if got := h.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s: X-Frame-Options %q, want DENY", p.name, got)
		}
		if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", p.name, got)
		}
		if got := h.Get("Referrer-Policy"); got == "" || got == "unsafe-url" || got == "no-referrer-when-downgrade" {
			t.Errorf("%s: Referrer-Policy %q", p.name, got)
		}
		hsts := h.Get("Strict-Transport-Security")
		if wantHSTS && !strings.HasPrefix(hsts, "max-age=") {
			t.Errorf("%s: Strict-Transport-Security %q over https", p.name, hsts)
		}
		if wantHSTS && strings.HasPrefix(hsts, "max-age=") && strings.HasPrefix(hsts, "max-age=0") {
			t.Errorf("%s: Strict-Transport-Security %q disables HSTS", p.name, hsts)
		}
		if !wantHSTS && hsts != "" {
			t.Errorf("%s: Strict-Transport-Security %q sent over plain http", p.name, hsts)
		}
		if strings.HasPrefix(h.Get("Content-Type"), "text/html") && !strings.Contains(csp, "script-src 'self'") && !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: HTML page CSP %q allows scripts from elsewhere", p.name, csp)
		}
	}
}

func TestSecurityHeadersHTTP(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	checkSecurityHeaders(t, ts, false)
}

// TestSecurityHeadersHTTPS: with protocol = "https" (Herald still listens
// on plain http behind its TLS proxy) every response carries HSTS.
func TestSecurityHeadersHTTPS(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) { c.Instance.Protocol = "https" })
	ts.CreateUser(t, "alice", "user")
	checkSecurityHeaders(t, ts, true)
}

var csrfField = regexp.MustCompile(`name="authenticity_token" value="([^"]+)"`)

// signInCookies signs alice in through the web form and returns every
// Set-Cookie of the sign-in page and of the successful sign-in.
func signInCookies(t *testing.T, ts *server.TestServer) []*http.Cookie {
	t.Helper()
	resp, err := http.Get(ts.URL + "/auth/sign_in")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no authenticity_token on the sign-in page: %s", body)
	}
	cookies := resp.Cookies()
	form := url.Values{"authenticity_token": {string(m[1])}, "username": {"alice"}, "password": {server.TestPassword}}
	req, _ := http.NewRequest("POST", ts.URL+"/auth/sign_in", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", ts.Srv.Cfg.BaseURL())
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp2, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusSeeOther && resp2.StatusCode != http.StatusFound {
		t.Fatalf("sign-in: %d %s", resp2.StatusCode, b2)
	}
	return append(cookies, resp2.Cookies()...)
}

func checkCookies(t *testing.T, cookies []*http.Cookie, wantSecure bool) {
	t.Helper()
	session := false
	for _, c := range cookies {
		if strings.Contains(c.Name, "session") && c.Value != "" {
			session = true
		}
		if !c.HttpOnly {
			t.Errorf("cookie %s is not HttpOnly", c.Name)
		}
		if c.SameSite != http.SameSiteLaxMode && c.SameSite != http.SameSiteStrictMode {
			t.Errorf("cookie %s: SameSite %v, want Lax or Strict", c.Name, c.SameSite)
		}
		if c.Secure != wantSecure {
			t.Errorf("cookie %s: Secure = %v, want %v", c.Name, c.Secure, wantSecure)
		}
		if c.Path != "/" {
			t.Errorf("cookie %s: Path %q", c.Name, c.Path)
		}
	}
	if !session {
		t.Errorf("no session cookie among %v", cookies)
	}
}

func TestSignInCookiesHTTP(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	checkCookies(t, signInCookies(t, ts), false)
}

func TestSignInCookiesHTTPS(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) { c.Instance.Protocol = "https" })
	ts.CreateUser(t, "alice", "user")
	checkCookies(t, signInCookies(t, ts), true)
}
