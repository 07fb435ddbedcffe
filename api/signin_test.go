package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
)

// enableTwoFactor turns two-factor authentication on for a user through
// the same core calls as the settings page and returns its recovery codes.
func enableTwoFactor(t *testing.T, ts *server.TestServer, username string) []string {
	t.Helper()
	ctx := context.Background()
	cl, err := ts.Srv.Svc.CallerByToken(ctx, ts.Token(t, username, "read"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := ts.Srv.Svc.BeginTwoFactor(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	code, err := core.TOTPCode(st.Secret, core.TOTPStep(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	recovery, err := ts.Srv.Svc.ConfirmTwoFactor(ctx, cl, server.TestPassword, code)
	if err != nil {
		t.Fatal(err)
	}
	return recovery
}

type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// The password grant has no second step: an account with two-factor
// authentication is refused (as Mastodon), and signs in through the
// authorization-code flow, where the web sign-in asks for the code.
func TestPasswordGrantRefusedWithTwoFactor(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "tfa", "user")
	app := createApp(t, ts, "urn:ietf:wg:oauth:2.0:oob", "read write follow push")
	grant := url.Values{"grant_type": {"password"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
		"username": {"tfa@example.org"}, "password": {server.TestPassword}, "scope": {"read write"}}
	ts.JSON(t, "POST", "/oauth/token", "", grant, 200, nil)

	recovery := enableTwoFactor(t, ts, "tfa")
	var e oauthError
	ts.JSON(t, "POST", "/oauth/token", "", grant, 400, &e)
	if e.Error != "invalid_grant" || !strings.Contains(e.Description, "two-factor") {
		t.Fatalf("password grant with two-factor on: %+v", e)
	}
	// The browser flow asks for the code, then issues a token.
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {core.OOB}, "scope": {"read write"}}
	resp := authorizeInBrowser2FA(t, ts, q, "tfa", recovery[0])
	loc, _ := url.Parse(resp.Header.Get("Location"))
	var tok tokenResp
	ts.JSON(t, "POST", "/oauth/token", "", url.Values{"grant_type": {"authorization_code"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "code": {loc.Query().Get("code")}, "redirect_uri": {core.OOB}}, 200, &tok)
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil, 200, nil)
}

// syncBuffer collects the server's log lines while the server writes them.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tokenFrom posts a token request as if from ip (the server trusts
// X-Forwarded-For from loopback, as from a local proxy).
func tokenFrom(t *testing.T, ts *server.TestServer, ip string, form url.Values) (int, http.Header, oauthError) {
	t.Helper()
	req, _ := http.NewRequest("POST", ts.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", ip)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e oauthError
	_ = json.Unmarshal(raw, &e)
	return resp.StatusCode, resp.Header, e
}

// Failed sign-ins are limited per account, from any address: after the
// limit the right password is refused too; each failure is logged for
// fail2ban.
func TestFailedSignInsLockAccount(t *testing.T) {
	logs := &syncBuffer{}
	ts := server.StartTestLogging(t, logs, func(c *configT) { c.Limits.FailedSignInsPerAccount = 5 })
	ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "bob", "user")
	app := createApp(t, ts, core.OOB, "read")
	grant := func(login, password string) url.Values {
		return url.Values{"grant_type": {"password"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
			"username": {login}, "password": {password}}
	}
	// Three wrong guesses, a success (which does not wipe them), two more:
	// by username and by e-mail, from five addresses.
	ips := []string{"198.51.100.1", "198.51.100.2", "198.51.100.3", "203.0.113.4", "203.0.113.5"}
	for i, ip := range ips {
		if i == 3 {
			if st, _, e := tokenFrom(t, ts, "198.51.100.9", grant("alice", server.TestPassword)); st != 200 {
				t.Fatalf("right password before the limit: %d %+v", st, e)
			}
		}
		login := "alice"
		if i%2 == 1 {
			login = "Alice@example.org"
		}
		if st, _, e := tokenFrom(t, ts, ip, grant(login, "guess "+ip)); st != 400 || e.Error != "invalid_grant" {
			t.Fatalf("guess %d: %d %+v", i, st, e)
		}
	}
	// Locked: the right password is refused from a new address, with Retry-After.
	st, hd, e := tokenFrom(t, ts, "192.0.2.77", grant("alice@example.org", server.TestPassword))
	if st != http.StatusTooManyRequests || hd.Get("Retry-After") == "" || !strings.Contains(e.Error, "Too many failed sign-in attempts") {
		t.Fatalf("right password while locked: %d %v %+v", st, hd, e)
	}
	// The web sign-in is refused too, with a message.
	b := newWebSession(t, ts)
	status, page := b.signIn("alice", server.TestPassword)
	if status != http.StatusTooManyRequests || !strings.Contains(page, "Too many failed sign-in attempts") {
		t.Fatalf("web sign-in while locked: %d", status)
	}
	// Another account is not affected.
	if st, _, e := tokenFrom(t, ts, "198.51.100.1", grant("bob", server.TestPassword)); st != 200 {
		t.Fatalf("bob: %d %+v", st, e)
	}
	// An unknown login locks the same way (a lock-out does not tell which
	// accounts exist).
	for i := 0; i < 5; i++ {
		tokenFrom(t, ts, ips[i], grant("nobody", "guess"))
	}
	if st, _, _ := tokenFrom(t, ts, ips[0], grant("nobody", "guess")); st != http.StatusTooManyRequests {
		t.Fatalf("unknown login after 5 failures: %d", st)
	}

	out := logs.String()
	for _, want := range []string{
		`level=INFO msg="sign-in failed" account=alice ip=198.51.100.1 via=password_grant reason=password failures=1`,
		`level=INFO msg="sign-in failed" account=alice ip=203.0.113.5 via=password_grant reason=password failures=5`,
		`level=WARN msg="sign-in locked out" account=alice ip=203.0.113.5 via=password_grant failures=5 until=`,
		`level=INFO msg="sign-in failed" account=alice ip=192.0.2.77 via=password_grant reason=locked`,
		`level=INFO msg="sign-in failed" account=alice ip=127.0.0.1 via=web reason=locked`,
		`level=INFO msg="sign-in failed" account=nobody ip=198.51.100.1 via=password_grant reason=password failures=1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q; log:\n%s", want, out)
		}
	}
	if strings.Contains(out, "account=bob") || strings.Contains(out, server.TestPassword) {
		t.Errorf("log names a successful sign-in or a password:\n%s", out)
	}
}

// Wrong two-factor codes in the web sign-in count as failed sign-ins.
func TestFailedSecondFactorsLockAccount(t *testing.T) {
	ts := server.StartTest(t, func(c *configT) { c.Limits.FailedSignInsPerAccount = 3 })
	ts.CreateUser(t, "carl", "user")
	recovery := enableTwoFactor(t, ts, "carl")
	b := newWebSession(t, ts)
	if _, page := b.signIn("carl", server.TestPassword); !strings.Contains(page, `autocomplete="one-time-code"`) {
		t.Fatal("no second step")
	}
	for i := 0; i < 3; i++ {
		if st, _ := b.post("/auth/two_factor", url.Values{"code": {"000000"}}); st != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: %d", i, st)
		}
	}
	// Now even a good recovery code, and the password, wait for the window.
	if st, page := b.post("/auth/two_factor", url.Values{"code": {recovery[0]}}); st != http.StatusTooManyRequests ||
		!strings.Contains(page, "Too many failed sign-in attempts") {
		t.Fatalf("recovery code while locked: %d", st)
	}
	if st, _ := newWebSession(t, ts).signIn("carl", server.TestPassword); st != http.StatusTooManyRequests {
		t.Fatalf("password while locked: %d", st)
	}
}

// webSession is a cookie-keeping browser for the sign-in forms.
type webSession struct {
	t    *testing.T
	ts   *server.TestServer
	c    *http.Client
	last string
}

func newWebSession(t *testing.T, ts *server.TestServer) *webSession {
	jar, _ := cookiejar.New(nil)
	return &webSession{t: t, ts: ts, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

var csrfRe = regexp.MustCompile(`name="authenticity_token" value="([^"]+)"`)

func (b *webSession) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	if m := csrfRe.FindStringSubmatch(b.last); m != nil {
		form.Set("authenticity_token", m[1])
	}
	resp, err := b.c.PostForm(b.ts.URL+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	b.last = readAll(b.t, resp)
	return resp.StatusCode, b.last
}

func (b *webSession) signIn(login, password string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.ts.URL + "/auth/sign_in")
	if err != nil {
		b.t.Fatal(err)
	}
	b.last = readAll(b.t, resp)
	return b.post("/auth/sign_in", url.Values{"username": {login}, "password": {password}})
}
