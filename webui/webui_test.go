package webui_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
)

// browser is a cookie-keeping client that reads CSRF tokens from forms.
type browser struct {
	t    *testing.T
	ts   *server.TestServer
	c    *http.Client
	last string
}

func newBrowser(t *testing.T, ts *server.TestServer) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, ts: ts, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

func (b *browser) do(method, path string, form url.Values) (int, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		if tok := b.csrf(); tok != "" && form.Get("authenticity_token") == "" {
			form.Set("authenticity_token", tok)
		}
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.ts.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	b.last = string(raw)
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && resp.Header.Get("Content-Security-Policy") == "" {
		b.t.Errorf("%s %s: no Content-Security-Policy", method, path)
	}
	return resp.StatusCode, b.last
}

var csrfRe = regexp.MustCompile(`name="authenticity_token" value="([^"]+)"`)

func (b *browser) csrf() string {
	if m := csrfRe.FindStringSubmatch(b.last); m != nil {
		return m[1]
	}
	return ""
}

func (b *browser) signIn(login string) {
	b.t.Helper()
	b.do("GET", "/auth/sign_in", nil)
	if st, body := b.do("POST", "/auth/sign_in", url.Values{"username": {login}, "password": {server.TestPassword}}); st != 200 || !strings.Contains(body, "Sign out") {
		b.t.Fatalf("sign in as %s: %d %s", login, st, body)
	}
}

func TestPublicPages(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	tok := ts.Token(t, "alice", "read write")
	var st struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "Hello #herald", "visibility": "public"}, 200, &st)
	var priv struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "secret words", "visibility": "private"}, 200, &priv)
	b := newBrowser(t, ts)
	for path, want := range map[string]string{
		"/about": "Rules", "/@alice": "Hello", "/@alice/" + st.ID: "Hello", "/tags/herald": "Hello",
		"/terms": "Terms of service", "/auth/sign_in": `type="password"`,
	} {
		if code, body := b.do("GET", path, nil); code != 200 && !(path == "/about" && code == 200) {
			t.Errorf("GET %s: %d", path, code)
		} else if path != "/about" && !strings.Contains(body, want) {
			t.Errorf("GET %s: no %q", path, want)
		}
	}
	_, body := b.do("GET", "/@alice", nil)
	for _, want := range []string{`property="og:title"`, `rel="alternate" type="application/activity+json"`, `type="application/atom+xml"`} {
		if !strings.Contains(body, want) {
			t.Errorf("profile page lacks %s", want)
		}
	}
	if strings.Contains(body, "secret words") {
		t.Error("a followers-only post is on the public profile page")
	}
	if code, _ := b.do("GET", "/@alice/"+priv.ID, nil); code != 404 {
		t.Errorf("followers-only status page for a stranger: %d", code)
	}
	if code, body := b.do("GET", "/@alice.atom", nil); code != 200 || !strings.Contains(body, "<feed") || strings.Contains(body, "secret") {
		t.Errorf("atom feed: %d %s", code, body)
	}
	// Pages of signed-in users send strangers to the sign-in page.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(ts.URL + "/settings/profile")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/auth/sign_in") {
		t.Errorf("settings for a stranger: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestPublicPagesOff(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) { c.Instance.PublicPages = false })
	ts.CreateUser(t, "alice", "user")
	b := newBrowser(t, ts)
	if _, body := b.do("GET", "/@alice", nil); !strings.Contains(body, `type="password"`) {
		t.Error("with public pages off, a profile is shown to a stranger")
	}
	b.signIn("alice")
	if code, body := b.do("GET", "/@alice", nil); code != 200 || !strings.Contains(body, "p-name") {
		t.Errorf("signed in, profile: %d", code)
	}
}

// Limited federation closes the pages as public pages off does: the web UI
// and the client API follow one rule (core's AnonymousReadsAllowed).
func TestAllowlistModeClosesPublicPages(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) { c.Federation.AllowlistMode = true })
	ts.CreateUser(t, "alice", "user")
	b := newBrowser(t, ts)
	for _, p := range []string{"/@alice", "/tags/herald"} {
		if _, body := b.do("GET", p, nil); !strings.Contains(body, `type="password"`) {
			t.Errorf("in allowlist mode, %s is shown to a stranger", p)
		}
	}
	b.signIn("alice")
	if code, body := b.do("GET", "/@alice", nil); code != 200 || !strings.Contains(body, "p-name") {
		t.Errorf("signed in, profile: %d", code)
	}
}

func TestWebClientAndSettings(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	b := newBrowser(t, ts)
	b.signIn("alice")
	b.do("GET", "/home", nil)
	if code, body := b.do("POST", "/statuses", url.Values{"status": {"from the web"}, "visibility": {"public"}}); code != 200 || !strings.Contains(body, "from the web") {
		t.Fatalf("compose: %d", code)
	}
	// No CSRF token: refused.
	if code, _ := b.do("POST", "/statuses", url.Values{"status": {"forged"}, "authenticity_token": {"x"}}); code != 403 {
		t.Errorf("compose without CSRF: %d", code)
	}
	for _, p := range []string{"/local", "/notifications", "/settings/profile", "/settings/account", "/settings/two_factor",
		"/settings/apps", "/settings/sessions", "/settings/export", "/settings/export/following.csv", "/settings/export/outbox.json"} {
		if code, _ := b.do("GET", p, nil); code != 200 {
			t.Errorf("GET %s: %d", p, code)
		}
	}
	// The archive is the outbox that federated the posts: a Create of the
	// Note, addressed as it was sent.
	var archive struct {
		Context      any `json:"@context"`
		Type         string
		TotalItems   int `json:"totalItems"`
		OrderedItems []struct {
			Type   string
			Actor  string
			To     []string
			Object struct {
				ID, Type, Content, AttributedTo string
			}
		} `json:"orderedItems"`
	}
	if _, body := b.do("GET", "/settings/export/outbox.json", nil); json.Unmarshal([]byte(body), &archive) != nil ||
		archive.Type != "OrderedCollection" || archive.Context == nil || archive.TotalItems != 1 || len(archive.OrderedItems) != 1 {
		t.Fatalf("archive: %s", body)
	}
	item := archive.OrderedItems[0]
	if item.Type != "Create" || item.Object.Type != "Note" || !strings.Contains(item.Object.Content, "from the web") ||
		item.Actor != ts.URL+"/users/alice" || item.Object.AttributedTo != item.Actor ||
		len(item.To) != 1 || item.To[0] != "https://www.w3.org/ns/activitystreams#Public" {
		t.Errorf("archive item: %+v", item)
	}
	b.do("GET", "/settings/profile", nil)
	if code, _ := b.do("POST", "/settings/profile", url.Values{"display_name": {"Alice A."}, "note": {"Hi"}, "field_name": {"Site"}, "field_value": {"https://example.org"}, "discoverable": {"1"}}); code != 200 {
		t.Errorf("profile: %d", code)
	}
	a, _ := ts.Srv.Svc.LocalAccount(context.Background(), "alice")
	if a.DisplayName != "Alice A." || len(a.Fields) != 1 {
		t.Errorf("profile not saved: %+v", a)
	}
	// Staff pages are refused to a user.
	if code, _ := b.do("GET", "/admin", nil); code != 403 {
		t.Errorf("console for a user: %d", code)
	}
	// Sessions: one, this one.
	if _, body := b.do("GET", "/settings/sessions", nil); !strings.Contains(body, "this browser") {
		t.Error("sessions page does not show this session")
	}
}

func TestTwoFactorSignIn(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	b := newBrowser(t, ts)
	b.signIn("alice")
	b.do("GET", "/settings/two_factor", nil)
	if _, body := b.do("POST", "/settings/two_factor/setup", url.Values{}); !strings.Contains(body, "totp-secret") {
		t.Fatal("no secret shown")
	}
	if code, _ := b.do("GET", "/settings/two_factor/qr.png", nil); code != 200 {
		t.Errorf("QR code: %d", code)
	}
	b.do("GET", "/settings/two_factor", nil)
	secret := regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(b.last)[1]
	code, _ := core.TOTPCode(secret, core.TOTPStep(time.Now()))
	_, body := b.do("POST", "/settings/two_factor/confirm", url.Values{"code": {code}, "current_password": {server.TestPassword}})
	codes := regexp.MustCompile(`<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>`).FindAllStringSubmatch(body, -1)
	if len(codes) != 10 {
		t.Fatalf("recovery codes: %d", len(codes))
	}
	// A new browser: password, then the second step.
	b2 := newBrowser(t, ts)
	b2.do("GET", "/auth/sign_in", nil)
	if _, body := b2.do("POST", "/auth/sign_in", url.Values{"username": {"alice"}, "password": {server.TestPassword}}); !strings.Contains(body, `autocomplete="one-time-code"`) {
		t.Fatal("no second step")
	}
	if code, _ := b2.do("POST", "/auth/two_factor", url.Values{"code": {"000000"}}); code != 401 {
		t.Errorf("wrong code: %d", code)
	}
	if _, body := b2.do("POST", "/auth/two_factor", url.Values{"code": {codes[0][1]}}); !strings.Contains(body, "Sign out") {
		t.Error("recovery code did not sign in")
	}
	// A recovery code works once.
	b3 := newBrowser(t, ts)
	b3.do("GET", "/auth/sign_in", nil)
	b3.do("POST", "/auth/sign_in", url.Values{"username": {"alice"}, "password": {server.TestPassword}})
	if code, _ := b3.do("POST", "/auth/two_factor", url.Values{"code": {codes[0][1]}}); code != 401 {
		t.Errorf("a used recovery code: %d", code)
	}
}

func TestConsoleResolvesReport(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "bob", "user")
	ts.CreateUser(t, "mod", "moderator")
	bob, _ := ts.Srv.Svc.LocalAccount(context.Background(), "bob")
	var rep struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/reports", ts.Token(t, "alice", "write"), map[string]any{"account_id": strconv.FormatInt(bob.ID, 10), "comment": "spam here"}, 200, &rep)
	b := newBrowser(t, ts)
	b.signIn("mod")
	if _, body := b.do("GET", "/admin/reports", nil); !strings.Contains(body, "/admin/reports/"+rep.ID) {
		t.Fatal("report not listed")
	}
	b.do("GET", "/admin/reports/"+rep.ID, nil)
	if _, body := b.do("POST", "/admin/reports/"+rep.ID+"/resolve", url.Values{}); !strings.Contains(body, "Resolved") {
		t.Error("report not resolved")
	}
	// A moderator may not change settings: the same permission as the API.
	b.do("GET", "/admin", nil)
	if code, _ := b.do("POST", "/admin/settings", url.Values{"title": {"Pwned"}}); code != 403 {
		t.Errorf("moderator changed settings: %d", code)
	}
}
