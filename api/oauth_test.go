package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
)

type appCreds struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	ID           string `json:"id"`
	Name         string `json:"name"`
}

func createApp(t *testing.T, ts *server.TestServer, redirect, scopes string) appCreds {
	t.Helper()
	var app appCreds
	ts.JSON(t, "POST", "/api/v1/apps", "", url.Values{"client_name": {"test app"}, "redirect_uris": {redirect}, "scopes": {scopes}}, 200, &app)
	if app.ClientID == "" || app.ClientSecret == "" {
		t.Fatalf("app without credentials: %+v", app)
	}
	return app
}

type tokenResp struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
	CreatedAt   int64  `json:"created_at"`
	Error       string `json:"error"`
}

func TestPasswordGrantByEmailAndUsername(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	app := createApp(t, ts, "urn:ietf:wg:oauth:2.0:oob", "read write follow push")

	for _, login := range []string{"alice@example.org", "alice", "ALICE"} {
		var tok tokenResp
		// JSON body, as masto.js sends it.
		ts.JSON(t, "POST", "/oauth/token", "", map[string]any{"grant_type": "password", "client_id": app.ClientID,
			"client_secret": app.ClientSecret, "username": login, "password": server.TestPassword, "scope": "read write follow push"}, 200, &tok)
		if tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.Scope != "read write follow push" || tok.CreatedAt == 0 {
			t.Fatalf("login %q: bad token response %+v", login, tok)
		}
		var me struct{ Username string }
		ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil, 200, &me)
		if me.Username != "alice" {
			t.Fatalf("verify_credentials: %+v", me)
		}
	}
	// Form body with a wrong password.
	var bad tokenResp
	ts.JSON(t, "POST", "/oauth/token", "", url.Values{"grant_type": {"password"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "username": {"alice"}, "password": {"wrong password"}}, 400, &bad)
	if bad.Error != "invalid_grant" {
		t.Fatalf("wrong password: %+v", bad)
	}
	// A scope beyond the app's registration is refused.
	ts.JSON(t, "POST", "/oauth/token", "", url.Values{"grant_type": {"password"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "username": {"alice"}, "password": {server.TestPassword}, "scope": {"admin:write"}}, 400, nil)
	// A wrong client secret is refused.
	ts.JSON(t, "POST", "/oauth/token", "", url.Values{"grant_type": {"password"}, "client_id": {app.ClientID},
		"client_secret": {"nope"}, "username": {"alice"}, "password": {server.TestPassword}}, 401, nil)
}

func TestClientCredentialsAndRevoke(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "bob", "user")
	app := createApp(t, ts, "urn:ietf:wg:oauth:2.0:oob", "read write")
	var tok tokenResp
	ts.JSON(t, "POST", "/oauth/token", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "scope": {"read"}}, 200, &tok)
	var got struct{ Name string }
	ts.JSON(t, "GET", "/api/v1/apps/verify_credentials", tok.AccessToken, nil, 200, &got)
	if got.Name != "test app" {
		t.Fatalf("verify app: %+v", got)
	}
	// An app token is not a user.
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil, 422, nil)

	var user tokenResp
	ts.JSON(t, "POST", "/oauth/token", "", url.Values{"grant_type": {"password"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "username": {"bob"}, "password": {server.TestPassword}, "scope": {"read"}}, 200, &user)
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", user.AccessToken, nil, 200, nil)
	ts.JSON(t, "POST", "/oauth/revoke", "", url.Values{"client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
		"token": {user.AccessToken}}, 200, nil)
	// Revocation takes effect at once.
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", user.AccessToken, nil, 401, nil)
}

func TestScopesEnforced(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "carol", "user")
	readOnly := ts.Token(t, "carol", "read")
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", readOnly, nil, 200, nil)
	var e struct{ Error string }
	ts.JSON(t, "POST", "/api/v1/statuses", readOnly, url.Values{"status": {"hello"}}, 403, &e)
	if e.Error == "" {
		t.Fatal("403 without an error message")
	}
	granular := ts.Token(t, "carol", "write:statuses")
	ts.JSON(t, "POST", "/api/v1/statuses", granular, url.Values{"status": {"hello"}}, 200, nil)
	ts.JSON(t, "GET", "/api/v1/timelines/home", granular, nil, 403, nil)
	ts.JSON(t, "GET", "/api/v1/timelines/home", "not-a-token", nil, 401, nil)
	ts.JSON(t, "GET", "/api/v1/timelines/home", "", nil, 401, nil)
}

func TestAppValidation(t *testing.T) {
	ts := server.StartTest(t)
	ts.JSON(t, "POST", "/api/v1/apps", "", url.Values{"client_name": {""}, "redirect_uris": {"urn:ietf:wg:oauth:2.0:oob"}}, 422, nil)
	ts.JSON(t, "POST", "/api/v1/apps", "", url.Values{"client_name": {"x"}, "redirect_uris": {"not a uri"}}, 422, nil)
	ts.JSON(t, "POST", "/api/v1/apps", "", url.Values{"client_name": {"x"}, "redirect_uris": {"urn:ietf:wg:oauth:2.0:oob"}, "scopes": {"read sudo"}}, 422, nil)
	ts.JSON(t, "POST", "/api/v1/apps", "", `{"client_name": "x", "redirect_uris": ["com.tapbots.Ivory.10217:/request_token"], "scopes": "read write"}`, 200, nil)
	ts.JSON(t, "POST", "/api/v1/apps", "", `{"client_name": `, 400, nil)
	ts.JSON(t, "POST", "/api/v1/apps", "", `["not", "an", "object"]`, 400, nil)
	ts.JSON(t, "POST", "/api/v1/apps", "", strings.Repeat("[", 100)+strings.Repeat("]", 100), 400, nil)
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// browser drives the sign-in and consent forms as a person would.
func authorizeInBrowser(t *testing.T, ts *server.TestServer, q url.Values, login string) *http.Response {
	t.Helper()
	return authorizeInBrowser2FA(t, ts, q, login, "")
}

// authorizeInBrowser2FA is authorizeInBrowser for an account with
// two-factor authentication: after the password it gives code.
func authorizeInBrowser2FA(t *testing.T, ts *server.TestServer, q url.Values, login, code string) *http.Response {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Query().Get("code") != "" || req.URL.Scheme != "http" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	form := func(body string) url.Values {
		v := url.Values{}
		for _, m := range hiddenRe.FindAllStringSubmatch(body, -1) {
			v.Set(m[1], unescape(m[2]))
		}
		return v
	}
	resp, err := c.Get(ts.URL + "/oauth/authorize/?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if !strings.Contains(body, `type="password"`) {
		t.Fatalf("no sign-in form: %s", body)
	}
	v := form(body)
	v.Set("username", login)
	v.Set("password", server.TestPassword)
	resp, err = c.PostForm(ts.URL+"/auth/sign_in", v)
	if err != nil {
		t.Fatal(err)
	}
	body = readAll(t, resp)
	if code != "" {
		if !strings.Contains(body, `autocomplete="one-time-code"`) {
			t.Fatalf("no two-factor step after the password (%d): %s", resp.StatusCode, body)
		}
		v = form(body)
		v.Set("code", code)
		resp, err = c.PostForm(ts.URL+"/auth/two_factor", v)
		if err != nil {
			t.Fatal(err)
		}
		body = readAll(t, resp)
	}
	if !strings.Contains(body, "Authorise") {
		t.Fatalf("no consent page after sign-in (%d): %s", resp.StatusCode, body)
	}
	// Without the CSRF token the consent is refused.
	noCSRF := form(body[:strings.Index(body, "</form>")])
	noCSRF.Del("authenticity_token")
	noCSRF.Set("decision", "approve")
	r2, err := c.PostForm(ts.URL+"/oauth/authorize", noCSRF)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, r2)
	if r2.StatusCode != http.StatusForbidden {
		t.Fatalf("consent without CSRF token: %d", r2.StatusCode)
	}
	// The first form approves; the second (with _method=delete) denies.
	v = form(body[:strings.Index(body, "</form>")])
	v.Set("decision", "approve")
	resp, err = c.PostForm(ts.URL+"/oauth/authorize", v)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func unescape(s string) string {
	r := strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">")
	return r.Replace(s)
}

func readAll(t *testing.T, r *http.Response) string {
	t.Helper()
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAuthorizationCodeWithPKCE(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "dave", "user")
	const redirect = "com.example.app:/callback"
	app := createApp(t, ts, redirect, "read write")
	verifier := "a-verifier-that-is-long-enough-to-be-valid-0123456789"
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {redirect},
		"scope": {"read"}, "state": {"xyz"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}}
	resp := authorizeInBrowser(t, ts, q, "dave@example.org")
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirect+"?") {
		t.Fatalf("redirect %q", resp.Header.Get("Location"))
	}
	code := loc.Query().Get("code")
	if code == "" || loc.Query().Get("state") != "xyz" {
		t.Fatalf("redirect without code/state: %s", loc)
	}
	// A wrong verifier fails, and burns the code.
	ts.JSON(t, "POST", "/oauth/token", "", url.Values{"grant_type": {"authorization_code"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {"wrong"}}, 400, nil)
	ts.JSON(t, "POST", "/oauth/token", "", url.Values{"grant_type": {"authorization_code"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier}}, 400, nil)

	// A fresh code with the right verifier, as a public client (no secret).
	resp = authorizeInBrowser(t, ts, q, "dave")
	loc, _ = url.Parse(resp.Header.Get("Location"))
	var tok tokenResp
	ts.JSON(t, "POST", "/oauth/token", "", url.Values{"grant_type": {"authorization_code"}, "client_id": {app.ClientID},
		"code": {loc.Query().Get("code")}, "redirect_uri": {redirect}, "code_verifier": {verifier}}, 200, &tok)
	if tok.Scope != "read" {
		t.Fatalf("scope %q", tok.Scope)
	}
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil, 200, nil)
}

func TestAuthorizationCodeOutOfBand(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "erin", "user")
	app := createApp(t, ts, "urn:ietf:wg:oauth:2.0:oob", "read write follow push")
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {"urn:ietf:wg:oauth:2.0:oob"},
		"scope": {"read write follow push"}}
	resp := authorizeInBrowser(t, ts, q, "erin")
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc.Path != "/oauth/authorize/native" {
		t.Fatalf("oob redirect to %s", loc)
	}
	status, _, page := ts.Do(t, "GET", loc.String(), "", nil)
	if status != 200 || !strings.Contains(string(page), `class="oauth-code"`) {
		t.Fatalf("code page %d: %s", status, page)
	}
	var tok tokenResp
	ts.JSON(t, "POST", "/oauth/token", "", url.Values{"grant_type": {"authorization_code"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "code": {loc.Query().Get("code")}, "redirect_uri": {"urn:ietf:wg:oauth:2.0:oob"}}, 200, &tok)
	if tok.Scope != "read write follow push" {
		t.Fatalf("scope %q", tok.Scope)
	}
}

func TestOAuthMetadataAndInstance(t *testing.T) {
	ts := server.StartTest(t)
	var meta struct {
		GrantTypes []string `json:"grant_types_supported"`
		PKCE       []string `json:"code_challenge_methods_supported"`
	}
	ts.JSON(t, "GET", "/.well-known/oauth-authorization-server", "", nil, 200, &meta)
	if !strings.Contains(strings.Join(meta.GrantTypes, " "), "password") || meta.PKCE[0] != "S256" {
		t.Fatalf("metadata %+v", meta)
	}
	var v1 struct {
		Version string `json:"version"`
		URLs    struct {
			Streaming string `json:"streaming_api"`
		} `json:"urls"`
	}
	h := ts.JSON(t, "GET", "/api/v1/instance", "", nil, 200, &v1)
	if !regexp.MustCompile(`^4\.\d+\.\d+ \(compatible; Herald `).MatchString(v1.Version) || !strings.HasPrefix(v1.URLs.Streaming, "ws://") {
		t.Fatalf("instance v1 %+v", v1)
	}
	if h.Get("Content-Type") != "application/json" && !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("content type %q", h.Get("Content-Type"))
	}
	var v2 struct {
		Domain        string `json:"domain"`
		Registrations struct {
			Enabled bool `json:"enabled"`
		} `json:"registrations"`
		Configuration struct {
			Statuses struct {
				MaxCharacters int `json:"max_characters"`
			} `json:"statuses"`
		} `json:"configuration"`
	}
	ts.JSON(t, "GET", "/api/v2/instance", "", nil, 200, &v2)
	if v2.Domain != ts.Domain || v2.Registrations.Enabled || v2.Configuration.Statuses.MaxCharacters != 500 {
		t.Fatalf("instance v2 %+v", v2)
	}
	// HEAD is answered wherever GET is.
	if status, _, _ := ts.Do(t, "HEAD", "/api/v2/instance", "", nil); status != 200 {
		t.Fatalf("HEAD instance: %d", status)
	}
	// CORS preflight.
	status, hd, _ := ts.Do(t, "OPTIONS", "/api/v1/timelines/home", "", nil)
	if status != 200 || hd.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("preflight %d %v", status, hd)
	}
}

func TestUnusableUsersTokensRefused(t *testing.T) {
	ts := server.StartTest(t)
	ctx := context.Background()
	_, _, err := ts.Srv.Svc.CreateLocalAccount(ctx, core.NewAccountParams{Username: "unconfirmed",
		Email: "u@example.org", Password: server.TestPassword, Approved: true, Confirm: false})
	if err != nil {
		t.Fatal(err)
	}
	tok := ts.Token(t, "unconfirmed", "read")
	var e struct{ Error string }
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok, nil, 403, &e)
	if !strings.Contains(e.Error, "confirmed") {
		t.Fatalf("error %q", e.Error)
	}
	// The password grant refuses them too.
	app := createApp(t, ts, "urn:ietf:wg:oauth:2.0:oob", "read")
	ts.JSON(t, "POST", "/oauth/token", "", url.Values{"grant_type": {"password"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "username": {"unconfirmed"}, "password": {server.TestPassword}}, 403, nil)
}
