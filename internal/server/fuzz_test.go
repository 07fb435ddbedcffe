package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/server"
)

// Fuzz targets for the OAuth endpoints, through the real router (all
// middleware, the API's handlers and the web UI's authorize page): whatever
// the parameters, the answer is never a 5xx. Seeds are under
// testdata/fuzz/<FuzzName>/. Run one with, for example,
//
//	go test ./internal/server -run '^$' -fuzz '^FuzzOAuthToken$' -fuzztime 60s

// fuzzServer starts a server with the abuse limits out of the way and one
// registered app, and returns the app's credentials.
func fuzzServer(f *testing.F) (*server.TestServer, string, string) {
	ts := server.StartTest(f, func(c *config.Config) { c.Limits.SignInPerMinute = 1 << 30 })
	ts.CreateUser(f, "alice", "user")
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	ts.JSON(f, "POST", "/api/v1/apps", "", map[string]any{"client_name": "fuzz",
		"redirect_uris": "urn:ietf:wg:oauth:2.0:oob\nhttps://app.example/cb", "scopes": "read write follow push"}, 200, &app)
	return ts, app.ClientID, app.ClientSecret
}

func serve(ts *server.TestServer, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	ts.Srv.Echo.ServeHTTP(rec, req)
	return rec
}

// FuzzOAuthToken: POST /oauth/token with any grant and parameters, as a
// form or as JSON, with or without HTTP basic client authentication.
func FuzzOAuthToken(f *testing.F) {
	ts, id, secret := fuzzServer(f)
	f.Add("password", id, secret, "", "", "", "read write", "alice", server.TestPassword, false)
	f.Add("password", id, secret, "", "", "", "admin:read", "alice", "wrong", true)
	f.Add("client_credentials", id, secret, "", "", "", "read read:statuses push", "", "", false)
	f.Add("authorization_code", id, "", "abc", "urn:ietf:wg:oauth:2.0:oob", "verifier-verifier-verifier-verifier-verifier", "", "", "", false)
	f.Add("authorization_code", id, secret, "", "https://app.example/cb", "", "", "", "", true)
	f.Add("refresh_token", "nope", "", "", "", "", "\x00", "", "", false)
	f.Add("", "", "", "", "", "", "", "", "", false)
	f.Fuzz(func(t *testing.T, grant, clientID, clientSecret, code, redirect, verifier, scope, username, password string, basic bool) {
		form := url.Values{"grant_type": {grant}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier},
			"scope": {scope}, "username": {username}, "password": {password}}
		if !basic {
			form.Set("client_id", clientID)
			form.Set("client_secret", clientSecret)
		}
		for _, ctype := range []string{"application/x-www-form-urlencoded", "application/json"} {
			body := form.Encode()
			if ctype == "application/json" {
				m := map[string]string{}
				for k, v := range form {
					m[k] = v[0]
				}
				b, _ := json.Marshal(m)
				body = string(b)
			}
			req := httptest.NewRequest(http.MethodPost, ts.URL+"/oauth/token", strings.NewReader(body))
			req.Header.Set("Content-Type", ctype)
			if basic {
				req.SetBasicAuth(clientID, clientSecret)
			}
			rec := serve(ts, req)
			if rec.Code >= 500 {
				t.Fatalf("POST /oauth/token %s %q: %d %s", ctype, body, rec.Code, rec.Body)
			}
		}
	})
}

// FuzzOAuthAuthorize: GET /oauth/authorize (the consent or sign-in page)
// and POST /oauth/authorize (the consent form, here without a session or
// with a forged CSRF token) with any parameters.
func FuzzOAuthAuthorize(f *testing.F) {
	ts, id, _ := fuzzServer(f)
	f.Add(id, "urn:ietf:wg:oauth:2.0:oob", "code", "read write", "st", "", "", "true", "en")
	f.Add(id, "https://app.example/cb", "code", "read", "", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256", "", "")
	f.Add(id, "https://evil.example/cb", "token", "admin:write", "<script>", "x", "plain", "1", "zz")
	f.Add("", "javascript:alert(1)", "", "", "", "", "", "", "")
	f.Add(id, "urn:ietf:wg:oauth:2.0:oob", "code", "read\x00write", "%", "", "S512", "maybe", "\xff")
	f.Fuzz(func(t *testing.T, clientID, redirect, responseType, scope, state, challenge, method, force, lang string) {
		q := url.Values{"client_id": {clientID}, "redirect_uri": {redirect}, "response_type": {responseType},
			"scope": {scope}, "state": {state}, "code_challenge": {challenge}, "code_challenge_method": {method},
			"force_login": {force}, "lang": {lang}}
		req := httptest.NewRequest(http.MethodGet, ts.URL+"/oauth/authorize?"+q.Encode(), nil)
		if rec := serve(ts, req); rec.Code >= 500 {
			t.Fatalf("GET /oauth/authorize?%s: %d %s", q.Encode(), rec.Code, rec.Body)
		}
		q.Set("authenticity_token", state)
		req = httptest.NewRequest(http.MethodPost, ts.URL+"/oauth/authorize", strings.NewReader(q.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "herald_csrf", Value: strings.Repeat("a", 32)})
		if rec := serve(ts, req); rec.Code >= 500 {
			t.Fatalf("POST /oauth/authorize %s: %d %s", q.Encode(), rec.Code, rec.Body)
		}
	})
}
