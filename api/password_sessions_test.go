package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/server"
)

// webBrowser is a signed-in browser of the web UI (a cookie jar, no
// automatic redirects).
type webBrowser struct {
	t  *testing.T
	ts *server.TestServer
	c  *http.Client
}

var authenticityRe = regexp.MustCompile(`name="authenticity_token" value="([^"]+)"`)

func (b *webBrowser) do(method, path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.ts.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), resp.Header
}

// token reads the CSRF token of a page's form.
func (b *webBrowser) token(path string) string {
	b.t.Helper()
	_, body, _ := b.do("GET", path, nil)
	m := authenticityRe.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no form on %s: %.300s", path, body)
	}
	return m[1]
}

func signInBrowser(t *testing.T, ts *server.TestServer, login, password string) *webBrowser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &webBrowser{t: t, ts: ts, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	tok := b.token("/auth/sign_in")
	if st, body, _ := b.do("POST", "/auth/sign_in", url.Values{"authenticity_token": {tok}, "username": {login}, "password": {password}}); st != 303 {
		t.Fatalf("sign in as %s: %d %.300s", login, st, body)
	}
	if !b.signedIn() {
		t.Fatalf("%s is not signed in after signing in", login)
	}
	return b
}

// signedIn reports whether the browser's session still opens a page of
// signed-in users (else it is sent to the sign-in page).
func (b *webBrowser) signedIn() bool {
	b.t.Helper()
	st, _, h := b.do("GET", "/settings/account", nil)
	switch {
	case st == 200:
		return true
	case st == 303 && strings.HasPrefix(h.Get("Location"), "/auth/sign_in"):
		return false
	}
	b.t.Fatalf("GET /settings/account: %d %s", st, h.Get("Location"))
	return false
}

// post writes a status from the web client and returns the HTTP status.
func (b *webBrowser) post(text string) int {
	b.t.Helper()
	page := "/home"
	if st, _, _ := b.do("GET", page, nil); st != 200 {
		page = "/auth/sign_in" // signed out: the form it has
	}
	tok := b.token(page)
	st, _, _ := b.do("POST", "/statuses", url.Values{"authenticity_token": {tok}, "status": {text}, "visibility": {"public"}})
	return st
}

func verifyStatus(t *testing.T, ts *server.TestServer, token string) int {
	t.Helper()
	st, _, _ := ts.Do(t, "GET", "/api/v1/accounts/verify_credentials", token, nil)
	return st
}

// A password set by an administrator (the `herald account set-password`
// command calls this) signs every browser out and revokes every token.
func TestAdminSetPasswordEndsEverySession(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	b1 := signInBrowser(t, ts, "alice", server.TestPassword)
	b2 := signInBrowser(t, ts, "alice", server.TestPassword)
	tok := ts.Token(t, "alice", "read write")
	if st := b1.post("before"); st != 200 && st != 303 {
		t.Fatalf("post before the change: %d", st)
	}

	if err := ts.Srv.Svc.SetPassword(context.Background(), "alice", "an administrator's new password"); err != nil {
		t.Fatal(err)
	}
	for i, b := range []*webBrowser{b1, b2} {
		if b.signedIn() {
			t.Errorf("browser %d is still signed in after the administrator set the password", i+1)
		}
		if st := b.post("after"); st != 403 {
			t.Errorf("browser %d posted after the administrator set the password: %d", i+1, st)
		}
	}
	if st := verifyStatus(t, ts, tok); st != 401 {
		t.Errorf("token after the administrator set the password: %d", st)
	}
	signInBrowser(t, ts, "alice", "an administrator's new password")
}

// Changing one's own password keeps the browser that did it and ends
// every other session and token.
func TestSelfServicePasswordChangeKeepsThisSessionOnly(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	b1 := signInBrowser(t, ts, "alice", server.TestPassword)
	b2 := signInBrowser(t, ts, "alice", server.TestPassword)
	tok := ts.Token(t, "alice", "read write")

	csrf := b1.token("/settings/account")
	st, body, _ := b1.do("POST", "/settings/account/password", url.Values{"authenticity_token": {csrf},
		"current_password": {server.TestPassword}, "password": {"my own new password"}, "password_confirmation": {"my own new password"}})
	if st != 303 {
		t.Fatalf("change password: %d %.300s", st, body)
	}
	if !b1.signedIn() {
		t.Error("the browser that changed its password was signed out")
	}
	if st := b1.post("still here"); st != 200 && st != 303 {
		t.Errorf("the browser that changed its password cannot post: %d", st)
	}
	if b2.signedIn() {
		t.Error("another browser is still signed in after a password change")
	}
	if st := verifyStatus(t, ts, tok); st != 401 {
		t.Errorf("token after a password change: %d", st)
	}
}

// A password reset through the mailed link signs every browser out and
// revokes every token.
func TestPasswordResetEndsEverySession(t *testing.T) {
	mb := startMailbox(t)
	ts := server.StartTest(t, withMail(mb))
	ts.CreateUser(t, "alice", "user")
	b1 := signInBrowser(t, ts, "alice", server.TestPassword)
	tok := ts.Token(t, "alice", "read write")

	ts.JSON(t, "POST", "/api/v1/auth/password_reset", "", map[string]any{"email": "alice@example.org"}, 200, nil)
	m := mb.Wait(t, "alice@example.org", "Reset your password")
	u, err := url.Parse(linkRe.FindString(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	// The form the link opens, in another browser.
	jar, _ := cookiejar.New(nil)
	stranger := &webBrowser{t: t, ts: ts, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	csrf := stranger.token(u.RequestURI())
	st, body, _ := stranger.do("POST", "/auth/password", url.Values{"authenticity_token": {csrf}, "reset_password_token": {u.Query().Get("reset_password_token")},
		"password": {"a reset password"}, "password_confirmation": {"a reset password"}})
	if st != 200 || !strings.Contains(body, "Password changed") {
		t.Fatalf("reset: %d %.300s", st, body)
	}
	if b1.signedIn() {
		t.Error("a browser is still signed in after a password reset")
	}
	if st := b1.post("after"); st != 403 {
		t.Errorf("a browser posted after a password reset: %d", st)
	}
	if st := verifyStatus(t, ts, tok); st != 401 {
		t.Errorf("token after a password reset: %d", st)
	}
}
