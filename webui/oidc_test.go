package webui_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil/oidcprovider"
)

// The single sign-on tests run a real OpenID Provider
// (internal/testutil/oidcprovider: discovery, login page, signed ID
// tokens, JWKS, back-channel logout) and a real Herald configured for it,
// and walk the browser's way through both with a cookie jar.

type ssoSetup struct {
	ts *server.TestServer
	op *oidcprovider.Provider
}

var ssoUsers = []oidcprovider.User{
	{Subject: "sub-ada", Username: "ada", Password: "ada-pw", Email: "ada.lovelace@staff.example", EmailVerified: true, Name: "Ada Lovelace",
		Claims: map[string]any{"groups": []string{"herald-users", "herald-admins"}}},
	{Subject: "sub-bob", Username: "bob", Password: "bob-pw", Email: "bob@staff.example", EmailVerified: true,
		Claims: map[string]any{"groups": []string{"herald-users"}}},
	{Subject: "sub-eve", Username: "eve", Password: "eve-pw", Email: "eve@elsewhere.example", EmailVerified: true,
		Claims: map[string]any{"groups": []string{"herald-users"}}},
	// The provider sends no email_verified claim for her.
	{Subject: "sub-una", Username: "una", Password: "una-pw", Email: "una@staff.example", EmailVerified: false,
		Claims: map[string]any{"groups": []string{"herald-users"}}},
	{Subject: "sub-nogroup", Username: "nogroup", Password: "ng-pw", Email: "ng@staff.example", EmailVerified: true},
	{Subject: "sub-svc", Username: "svc-sso", Password: "svc-pw", Email: "svc@example.org", EmailVerified: true,
		Claims: map[string]any{"groups": []string{"herald-users"}}},
}

func startSSO(t *testing.T, mutate ...func(*config.OIDC)) *ssoSetup {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	ts := server.StartTest(t, func(c *config.Config) {
		c.OIDC.Enabled = true
		c.OIDC.Name = "Test Provider"
		c.OIDC.Issuer = issuer
		c.OIDC.ClientID = "herald"
		c.OIDC.ClientSecret = "herald-secret"
		c.OIDC.AllowedEmailDomains = []string{"staff.example", "example.org"}
		c.OIDC.RequiredGroups = []string{"herald-users"}
		c.OIDC.RoleClaim = "groups"
		c.OIDC.RoleMap = []string{"herald-admins=admin", "herald-mods=moderator"}
		c.OIDC.PasswordLogin = "listed"
		c.OIDC.PasswordAccounts = []string{"service"}
		for _, m := range mutate {
			m(&c.OIDC)
		}
	})
	op, err := oidcprovider.Start(oidcprovider.Config{Listener: ln, ClientID: "herald", ClientSecret: "herald-secret",
		RedirectURIs: []string{ts.URL + "/auth/oidc/callback"}, PostLogoutRedirectURIs: []string{ts.URL + "/"},
		BackChannelLogoutURI: ts.URL + "/auth/oidc/backchannel_logout", Users: ssoUsers})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { op.Close() })
	return &ssoSetup{ts: ts, op: op}
}

var (
	opFormRe  = regexp.MustCompile(`name="id" value="([^"]+)"`)
	errTextRe = regexp.MustCompile(`(?s)role="alert">([^<]*)<`)
)

// ssoSignIn signs in through the provider as user (password pw) from a
// fresh browser, starting at the sign-in page (with returnTo), and
// returns the browser, the final status, URL and body.
func (s *ssoSetup) ssoSignIn(t *testing.T, b *browser, returnTo, user, pw string) (int, string, string) {
	t.Helper()
	path := "/auth/sign_in"
	if returnTo != "" {
		path += "?return_to=" + url.QueryEscape(returnTo)
	}
	if st, body := b.do("GET", path, nil); st != 200 || !strings.Contains(body, "Sign in with Test Provider") {
		t.Fatalf("sign-in page: %d, no SSO button:\n%s", st, body)
	}
	tok := b.csrf()
	// The button posts to /auth/oidc, which redirects to the provider's
	// login page (followed by the client).
	resp, err := b.c.PostForm(s.ts.URL+"/auth/oidc", url.Values{"authenticity_token": {tok}, "return_to": {returnTo}})
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(t, resp)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Request.URL.String(), s.op.Issuer+"/login") {
		t.Fatalf("not at the provider's login page: %d %s\n%s", resp.StatusCode, resp.Request.URL, page)
	}
	m := opFormRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("provider login page without a request id:\n%s", page)
	}
	// Signing in at the provider sends the browser back to Herald's
	// callback, which signs in and redirects to return_to.
	resp, err = b.c.PostForm(s.op.Issuer+"/login/username", url.Values{"id": {m[1]}, "username": {user}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	b.last = body
	return resp.StatusCode, resp.Request.URL.String(), body
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func alertText(body string) string {
	if m := errTextRe.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// whoAmI returns the username the browser's session signs in as (its
// settings page), "" when signed out.
func whoAmI(t *testing.T, b *browser) string {
	t.Helper()
	st, body := b.do("GET", "/settings/account", nil)
	if st != 200 || !strings.Contains(body, "Sign out") {
		return ""
	}
	return body
}

func TestSSOFirstSignInCreatesAccountWithMappedRole(t *testing.T) {
	s := startSSO(t)
	ctx := context.Background()
	b := newBrowser(t, s.ts)
	st, at, body := s.ssoSignIn(t, b, "/home", "ada", "ada-pw")
	if st != 200 || !strings.HasSuffix(at, "/home") || !strings.Contains(body, "Sign out") {
		t.Fatalf("after SSO: %d %s\n%s", st, at, body)
	}
	// The account was made with the username from preferred_username and
	// the role the groups claim maps to, confirmed and approved.
	a, err := s.ts.Srv.Svc.LocalAccount(ctx, "ada")
	if err != nil {
		t.Fatalf("no account made: %v", err)
	}
	u, err := s.ts.Srv.Svc.PendingSignIn(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != "admin" || u.Email != "ada.lovelace@staff.example" || !u.Approved || u.ConfirmedAt == nil {
		t.Fatalf("user: %+v", u)
	}
	// The admin console is open to the mapped role.
	if st, _ := b.do("GET", "/admin", nil); st != 200 {
		t.Errorf("admin console for the mapped admin: %d", st)
	}

	// A second sign-in (another browser) reuses the account, and a role
	// change at the provider follows.
	s.op.SetClaim("sub-ada", "groups", []string{"herald-users", "herald-mods"})
	b2 := newBrowser(t, s.ts)
	if st, at, _ := s.ssoSignIn(t, b2, "", "ada", "ada-pw"); st != 200 || strings.Contains(at, "/auth/") {
		t.Fatalf("second SSO: %d %s", st, at)
	}
	if _, err := s.ts.Srv.Svc.LocalAccount(ctx, "ada2"); err == nil {
		t.Error("a second account was made for the same provider user")
	}
	if u, _ := s.ts.Srv.Svc.PendingSignIn(ctx, a.ID); u.Role != "moderator" {
		t.Errorf("role after the provider changed it: %q", u.Role)
	}
	// SSO users have no Herald password: the form refuses them.
	b3 := newBrowser(t, s.ts)
	b3.do("GET", "/auth/sign_in", nil)
	if st, _ := b3.do("POST", "/auth/sign_in", url.Values{"username": {"ada"}, "password": {"ada-pw"}}); st == 200 {
		t.Error("password sign-in accepted for an SSO account")
	}
}

func TestSSORefusals(t *testing.T) {
	s := startSSO(t)
	for _, c := range []struct{ user, pw, want string }{
		{"eve", "eve-pw", "may not sign in here"}, // e-mail domain not allowed
		{"nogroup", "ng-pw", "not in a group"},    // required group missing
	} {
		b := newBrowser(t, s.ts)
		st, at, body := s.ssoSignIn(t, b, "", c.user, c.pw)
		if st != http.StatusForbidden || !strings.Contains(at, "/auth/oidc/callback") || !strings.Contains(alertText(body), c.want) {
			t.Errorf("%s: %d %s %q", c.user, st, at, alertText(body))
		}
		if _, err := s.ts.Srv.Svc.LocalAccount(context.Background(), c.user); err == nil {
			t.Errorf("%s: an account was made", c.user)
		}
	}
	// A callback that this browser did not start is refused.
	b := newBrowser(t, s.ts)
	if st, _ := b.do("GET", "/auth/oidc/callback?code=abc&state=forged", nil); st != http.StatusBadRequest {
		t.Errorf("forged callback: %d", st)
	}
	// The provider's own refusal is shown.
	if st, body := b.do("GET", "/auth/oidc/callback?error=access_denied&error_description=no+thanks", nil); st != http.StatusForbidden || !strings.Contains(body, "no thanks") {
		t.Errorf("provider error: %d", st)
	}
}

func TestSSOMatchOnlyAndSuspended(t *testing.T) {
	s := startSSO(t, func(o *config.OIDC) { o.CreateAccounts = false })
	ctx := context.Background()
	// bob has no account: refused.
	b := newBrowser(t, s.ts)
	if st, _, body := s.ssoSignIn(t, b, "", "bob", "bob-pw"); st != http.StatusForbidden || !strings.Contains(alertText(body), "No account on this server matches") {
		t.Fatalf("match-only, unknown user: %d %q", st, alertText(body))
	}
	// A pre-created account with bob's address is matched and linked.
	if _, _, err := s.ts.Srv.Svc.CreateLocalAccount(ctx, coreAccount("robert", "bob@staff.example")); err != nil {
		t.Fatal(err)
	}
	b = newBrowser(t, s.ts)
	if st, at, body := s.ssoSignIn(t, b, "", "bob", "bob-pw"); st != 200 || !strings.Contains(body, "Sign out") {
		t.Fatalf("match-only, pre-created: %d %s %q", st, at, alertText(body))
	}
	if body := whoAmI(t, b); !strings.Contains(body, "robert") {
		t.Errorf("signed in, but not as robert")
	}
	// Suspended: refused even though linked.
	s.ts.CreateUser(t, "boss", "owner")
	tok := s.ts.Token(t, "boss", "admin:write admin:read")
	a, _ := s.ts.Srv.Svc.LocalAccount(ctx, "robert")
	s.ts.JSON(t, "POST", "/api/v1/admin/accounts/"+itoa64(a.ID)+"/action", tok, map[string]any{"type": "suspend"}, 200, nil)
	b = newBrowser(t, s.ts)
	if st, _, body := s.ssoSignIn(t, b, "", "bob", "bob-pw"); st != http.StatusForbidden || !strings.Contains(alertText(body), "suspended") {
		t.Errorf("suspended: %d %q", st, alertText(body))
	}
}

func TestSSOPasswordLoginListed(t *testing.T) {
	s := startSSO(t)
	s.ts.CreateUser(t, "service", "user")
	s.ts.CreateUser(t, "regular", "user")
	s.ts.CreateUser(t, "root", "owner")
	// The listed service account and the owner (break-glass) sign in with
	// their passwords.
	for _, name := range []string{"service", "root"} {
		b := newBrowser(t, s.ts)
		b.signIn(name)
	}
	// Others are refused, with a pointer to the provider, even with the
	// right password; a wrong password stays the usual answer.
	b := newBrowser(t, s.ts)
	b.do("GET", "/auth/sign_in", nil)
	st, body := b.do("POST", "/auth/sign_in", url.Values{"username": {"regular"}, "password": {server.TestPassword}})
	if st != http.StatusForbidden || !strings.Contains(body, "signs in with Test Provider") {
		t.Errorf("regular with password: %d %q", st, alertText(body))
	}
	st, _ = b.do("POST", "/auth/sign_in", url.Values{"username": {"regular"}, "password": {"wrong password!"}})
	if st != http.StatusUnauthorized {
		t.Errorf("regular, wrong password: %d", st)
	}
	// The OAuth password grant follows the same rule.
	clientID, clientSecret := registerApp(t, s.ts)
	for name, want := range map[string]int{"regular": 403, "service": 200} {
		status, _, body := s.ts.Do(t, "POST", "/oauth/token", "", url.Values{"grant_type": {"password"}, "username": {name},
			"password": {server.TestPassword}, "client_id": {clientID}, "client_secret": {clientSecret}, "scope": {"read"}})
		if status != want {
			t.Errorf("password grant for %s: %d %s", name, status, body)
		}
	}
}

func TestSSOBackChannelAndProviderLogout(t *testing.T) {
	s := startSSO(t)
	ctx := context.Background()
	b := newBrowser(t, s.ts)
	if st, _, body := s.ssoSignIn(t, b, "", "bob", "bob-pw"); st != 200 || !strings.Contains(body, "Sign out") {
		t.Fatalf("sign in: %d", st)
	}
	other := newBrowser(t, s.ts)
	s.ts.CreateUser(t, "service", "user")
	other.signIn("service")
	// The provider signs bob out: its signed logout token ends his session
	// here, and no one else's.
	if err := s.op.BackChannelLogout(ctx, "sub-bob", ""); err != nil {
		t.Fatal(err)
	}
	if whoAmI(t, b) != "" {
		t.Error("bob's session survived the back-channel logout")
	}
	if whoAmI(t, other) == "" {
		t.Error("another user's session ended")
	}
	// A logout token is accepted once.
	tok, err := s.op.LogoutToken(ctx, "sub-bob", "")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{200, 400} {
		if status, _, body := s.ts.Do(t, "POST", "/auth/oidc/backchannel_logout", "", url.Values{"logout_token": {tok}}); status != want {
			t.Errorf("logout token, use %d: %d %s", i+1, status, body)
		}
	}
	// A logout token not signed by the provider is refused.
	forged := forgedLogoutToken(t, s.op.Issuer)
	status, _, _ := s.ts.Do(t, "POST", "/auth/oidc/backchannel_logout", "", url.Values{"logout_token": {forged}})
	if status != http.StatusBadRequest {
		t.Errorf("forged logout token: %d", status)
	}
	if status, _, _ := s.ts.Do(t, "POST", "/auth/oidc/backchannel_logout", "", url.Values{}); status != http.StatusBadRequest {
		t.Errorf("no logout token: %d", status)
	}

	// Signing out of Herald sends the browser to the provider's
	// end_session with the ID token as a hint, which comes back to Herald.
	b = newBrowser(t, s.ts)
	s.ssoSignIn(t, b, "", "bob", "bob-pw")
	b.do("GET", "/auth/sign_out", nil)
	resp, err := b.c.PostForm(s.ts.URL+"/auth/sign_out", url.Values{"authenticity_token": {b.csrf()}})
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if resp.Request.URL.String() != s.ts.URL+"/" {
		t.Errorf("after sign-out the browser is at %s", resp.Request.URL)
	}
	var hops []string
	for r := resp.Request; r != nil; r = redirectedFrom(r) {
		hops = append(hops, r.URL.Host+r.URL.Path)
	}
	if !strings.Contains(strings.Join(hops, " "), strings.TrimPrefix(s.op.Issuer, "http://")+"/end_session") {
		t.Errorf("sign-out did not go through the provider's end_session: %v", hops)
	}
	if whoAmI(t, b) != "" {
		t.Error("still signed in after sign-out")
	}
}

func redirectedFrom(r *http.Request) *http.Request {
	if r.Response == nil {
		return nil
	}
	return r.Response.Request
}

// The OAuth authorization flow of apps goes through the sign-in page, so
// after single sign-on the browser is at the consent screen.
func TestSSOInOAuthAuthorizeFlow(t *testing.T) {
	s := startSSO(t)
	clientID, _ := registerApp(t, s.ts)
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {"urn:ietf:wg:oauth:2.0:oob"}, "scope": {"read"}}
	b := newBrowser(t, s.ts)
	authorize := "/oauth/authorize?" + q.Encode()
	if st, body := b.do("GET", authorize, nil); st != 200 || !strings.Contains(body, "Sign in with Test Provider") {
		t.Fatalf("authorize page for a stranger: %d", st)
	}
	st, at, body := s.ssoSignIn(t, b, authorize, "bob", "bob-pw")
	if st != 200 || !strings.Contains(at, "/oauth/authorize") || !strings.Contains(body, `name="decision"`) {
		t.Fatalf("after SSO not at the consent screen: %d %s\n%s", st, at, body)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func coreAccount(username, email string) core.NewAccountParams {
	return core.NewAccountParams{Username: username, Email: email, Password: server.TestPassword, Approved: true, Confirm: true}
}

// registerApp registers an OAuth app with an out-of-band redirect.
func registerApp(t *testing.T, ts *server.TestServer) (id, secret string) {
	t.Helper()
	var app struct{ ClientID, ClientSecret string }
	var raw map[string]any
	ts.JSON(t, "POST", "/api/v1/apps", "", map[string]any{"client_name": "SSO app", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
		"scopes": "read write"}, 200, &raw)
	app.ClientID, _ = raw["client_id"].(string)
	app.ClientSecret, _ = raw["client_secret"].(string)
	return app.ClientID, app.ClientSecret
}

// forgedLogoutToken is a well-formed logout token signed by a key that is
// not the provider's.
func forgedLogoutToken(t *testing.T, issuer string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("logout+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{"iss": issuer, "aud": "herald", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix(),
		"jti": "x", "sub": "sub-service", "events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}}})
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

// The admin API and the console show the provider's status and the linked
// accounts, and unlinking ends the sessions started through the link.
func TestSSOAdmin(t *testing.T) {
	s := startSSO(t)
	s.ts.CreateUser(t, "root", "owner")
	s.ts.CreateUser(t, "plain", "user")
	tok := s.ts.Token(t, "root", "admin:read admin:write")
	bob := newBrowser(t, s.ts)
	if st, _, _ := s.ssoSignIn(t, bob, "", "bob", "bob-pw"); st != 200 {
		t.Fatalf("sign in: %d", st)
	}

	var status struct {
		Enabled, Reachable, EndSession bool
		Issuer                         string
		LinkedAccounts                 int64  `json:"linked_accounts"`
		EndSessionSupported            bool   `json:"end_session_supported"`
		BackChannel                    bool   `json:"backchannel_logout_supported"`
		RedirectURI                    string `json:"redirect_uri"`
	}
	s.ts.JSON(t, "GET", "/api/v1/admin/sso", tok, nil, 200, &status)
	if !status.Enabled || !status.Reachable || status.Issuer != s.op.Issuer || status.LinkedAccounts != 1 ||
		!status.EndSessionSupported || !status.BackChannel || status.RedirectURI != s.ts.URL+"/auth/oidc/callback" {
		t.Errorf("status: %+v", status)
	}
	var links []struct{ ID, Username, Subject, Email string }
	s.ts.JSON(t, "GET", "/api/v1/admin/sso/links", tok, nil, 200, &links)
	if len(links) != 1 || links[0].Username != "bob" || links[0].Subject != "sub-bob" || links[0].Email != "bob@staff.example" {
		t.Fatalf("links: %+v", links)
	}
	// Not for users without Manage Users.
	plainTok := s.ts.Token(t, "plain", "admin:read admin:write")
	if st, _, _ := s.ts.Do(t, "GET", "/api/v1/admin/sso", plainTok, nil); st != 403 {
		t.Errorf("status for a user: %d", st)
	}

	// The console page shows the same, and unlinks.
	console := newBrowser(t, s.ts)
	console.signIn("root")
	st, body := console.do("GET", "/admin/sso", nil)
	if st != 200 || !strings.Contains(body, s.op.Issuer) || !strings.Contains(body, "sub-bob") || !strings.Contains(body, `id="sso-reachable">yes`) {
		t.Fatalf("console page: %d\n%s", st, body)
	}
	if st, _ := console.do("POST", "/admin/sso/links/"+links[0].ID+"/unlink", url.Values{}); st != 200 {
		t.Errorf("unlink: %d", st)
	}
	if whoAmI(t, bob) != "" {
		t.Error("bob's SSO session survived the unlink")
	}
	s.ts.JSON(t, "GET", "/api/v1/admin/sso/links", tok, nil, 200, &links)
	if len(links) != 0 {
		t.Errorf("links after unlink: %+v", links)
	}
	if _, _, audit := s.ts.Do(t, "GET", "/api/v1/admin/audit_log", tok, nil); !strings.Contains(string(audit), "destroy_sso_link") {
		t.Errorf("unlink not in the audit log: %s", audit)
	}
	if st, _, _ := s.ts.Do(t, "DELETE", "/api/v1/admin/sso/links/"+itoa64(999), tok, nil); st != 404 {
		t.Errorf("unlink unknown: %d", st)
	}
	// Bob signs in again: his verified address links the same account.
	if st, _, _ := s.ssoSignIn(t, newBrowser(t, s.ts), "", "bob", "bob-pw"); st != 200 {
		t.Errorf("sign in after unlink: %d", st)
	}
	if _, err := s.ts.Srv.Svc.LocalAccount(context.Background(), "bob2"); err == nil {
		t.Error("a second account was made after the unlink")
	}
}

// A code from another browser's sign-in, delivered to this browser with
// this browser's state (code injection), is refused: the PKCE verifier and
// the nonce kept for this browser do not match that sign-in.
func TestSSOCodeInjectionRefused(t *testing.T) {
	s := startSSO(t)
	// The victim's browser starts a sign-in and stops at the provider.
	victim := newBrowser(t, s.ts)
	victim.do("GET", "/auth/sign_in", nil)
	noFollow := *victim.c
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.PostForm(s.ts.URL+"/auth/oidc", url.Values{"authenticity_token": {victim.csrf()}})
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	authURL, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || authURL.Query().Get("state") == "" || authURL.Query().Get("nonce") == "" ||
		authURL.Query().Get("code_challenge_method") != "S256" || authURL.Query().Get("code_challenge") == "" {
		t.Fatalf("authorization request lacks state, nonce or PKCE: %s", resp.Header.Get("Location"))
	}
	victimState := authURL.Query().Get("state")

	// The attacker signs in at the provider in their own browser and
	// keeps the code instead of following the redirect.
	attacker := newBrowser(t, s.ts)
	attacker.do("GET", "/auth/sign_in", nil)
	resp, err = attacker.c.PostForm(s.ts.URL+"/auth/oidc", url.Values{"authenticity_token": {attacker.csrf()}})
	if err != nil {
		t.Fatal(err)
	}
	m := opFormRe.FindStringSubmatch(readAll(t, resp))
	if m == nil {
		t.Fatal("no provider login page")
	}
	stop := *attacker.c
	stop.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(r.URL.String(), s.ts.URL) {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, err = stop.PostForm(s.op.Issuer+"/login/username", url.Values{"id": {m[1]}, "username": {"bob"}, "password": {"bob-pw"}})
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	cb, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || cb.Query().Get("code") == "" {
		t.Fatalf("no code in %q", resp.Header.Get("Location"))
	}
	// Delivered to the victim with the victim's state: refused.
	st, body := victim.do("GET", "/auth/oidc/callback?code="+url.QueryEscape(cb.Query().Get("code"))+"&state="+url.QueryEscape(victimState), nil)
	if st == 200 || strings.Contains(body, "Sign out") {
		t.Errorf("injected code accepted: %d", st)
	}
	if whoAmI(t, victim) != "" {
		t.Error("the victim is signed in as the attacker")
	}
}

// The provider owns multi-factor authentication: a sign-in through it
// does not ask for the account's Herald two-factor code.
func TestSSOSkipsHeraldTwoFactor(t *testing.T) {
	s := startSSO(t)
	ctx := context.Background()
	a, u, err := s.ts.Srv.Svc.CreateLocalAccount(ctx, coreAccount("carol", "bob@staff.example"))
	if err != nil {
		t.Fatal(err)
	}
	cl := &core.Caller{User: u, Account: a, Token: &model.Token{UserID: u.ID, Scopes: core.WebScopes}}
	st, err := s.ts.Srv.Svc.BeginTwoFactor(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := core.TOTPCode(st.Secret, core.TOTPStep(time.Now()))
	if _, err := s.ts.Srv.Svc.ConfirmTwoFactor(ctx, cl, server.TestPassword, code); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s.ts)
	status, at, body := s.ssoSignIn(t, b, "", "bob", "bob-pw")
	if status != 200 || strings.Contains(at, "two_factor") || !strings.Contains(body, "Sign out") {
		t.Fatalf("SSO for an account with two-factor on: %d %s", status, at)
	}
	if !strings.Contains(whoAmI(t, b), "carol") {
		t.Error("not signed in as carol")
	}
}

// An address counts as verified only when the provider says so, or, with
// assume_email_verified, when it says nothing.
func TestSSOUnverifiedEmail(t *testing.T) {
	s := startSSO(t)
	st, _, body := s.ssoSignIn(t, newBrowser(t, s.ts), "", "una", "una-pw")
	if st != http.StatusForbidden || !strings.Contains(alertText(body), "only verified addresses") {
		t.Errorf("no email_verified claim: %d %q", st, alertText(body))
	}
	s = startSSO(t, func(o *config.OIDC) { o.AssumeEmailVerified = true })
	if st, _, body := s.ssoSignIn(t, newBrowser(t, s.ts), "", "una", "una-pw"); st != 200 || !strings.Contains(body, "Sign out") {
		t.Errorf("assume_email_verified: %d %q", st, alertText(body))
	}
}

// A logout token naming a session (sid) ends only the browser session
// started with it.
func TestSSOBackChannelLogoutBySession(t *testing.T) {
	s := startSSO(t)
	first, second := newBrowser(t, s.ts), newBrowser(t, s.ts)
	s.ssoSignIn(t, first, "", "bob", "bob-pw")
	s.ssoSignIn(t, second, "", "bob", "bob-pw")
	sids := s.op.SessionIDs("sub-bob")
	if len(sids) != 2 {
		t.Fatalf("provider sessions: %v", sids)
	}
	if err := s.op.BackChannelLogout(context.Background(), "", sids[0]); err != nil {
		t.Fatal(err)
	}
	if whoAmI(t, first) != "" {
		t.Error("the session named by the logout token survived")
	}
	if whoAmI(t, second) == "" {
		t.Error("the other session of the same user ended")
	}
}
