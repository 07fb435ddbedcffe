package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
)

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// RFC 6749 §4.1.3 and RFC 7636: a code without PKCE needs the client
// secret; redirect_uri must be the authorised one; S256 only.
func TestAuthorizationCodeClientAuthentication(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "fay", "user")
	const redirect = "com.example.app:/callback"
	app := createApp(t, ts, redirect, "read write")
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {redirect}, "scope": {"read"}}
	ctx := context.Background()
	appRow, err := ts.Srv.Svc.AppByClientID(ctx, app.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	fay, err := ts.Srv.Svc.LocalAccount(ctx, "fay")
	if err != nil {
		t.Fatal(err)
	}
	// Codes come from the core call behind the consent form (the browser
	// flow itself is covered by the tests above).
	newCode := func(challenge string) string {
		t.Helper()
		method := ""
		if challenge != "" {
			method = "S256"
		}
		code, err := ts.Srv.Svc.IssueCode(ctx, appRow, fay.ID, redirect, []string{"read"}, challenge, method)
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	redeem := func(form url.Values, status int, wantErr string) tokenResp {
		t.Helper()
		form.Set("grant_type", "authorization_code")
		form.Set("client_id", app.ClientID)
		var out tokenResp
		ts.JSON(t, "POST", "/oauth/token", "", form, status, &out)
		if out.Error != wantErr {
			t.Fatalf("%v: error %q, want %q", form, out.Error, wantErr)
		}
		return out
	}

	// No PKCE: client_id and any verifier, without the secret, is not enough.
	redeem(url.Values{"code": {newCode("")}, "redirect_uri": {redirect}, "code_verifier": {"anything-at-all"}}, 401, "invalid_client")
	redeem(url.Values{"code": {newCode("")}, "redirect_uri": {redirect}}, 401, "invalid_client")
	// A wrong secret is refused whatever the code.
	redeem(url.Values{"code": {newCode("")}, "redirect_uri": {redirect}, "client_secret": {"nope"}}, 401, "invalid_client")
	// redirect_uri is required and must be the authorised one.
	redeem(url.Values{"code": {newCode("")}, "client_secret": {app.ClientSecret}}, 400, "invalid_request")
	redeem(url.Values{"code": {newCode("")}, "client_secret": {app.ClientSecret}, "redirect_uri": {redirect + "/other"}}, 400, "invalid_grant")
	// A verifier for a code issued without a challenge (Doorkeeper refuses it too).
	redeem(url.Values{"code": {newCode("")}, "client_secret": {app.ClientSecret}, "redirect_uri": {redirect},
		"code_verifier": {"a-verifier-that-is-long-enough-to-be-valid-0123456789"}}, 400, "invalid_grant")
	// The confidential client with its secret and redirect_uri.
	tok := redeem(url.Values{"code": {newCode("")}, "client_secret": {app.ClientSecret}, "redirect_uri": {redirect}}, 200, "")
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil, 200, nil)

	// S256 PKCE: the verifier is required; with it no secret is needed.
	verifier := "a-verifier-that-is-long-enough-to-be-valid-0123456789"
	challenge := s256(verifier)
	redeem(url.Values{"code": {newCode(challenge)}, "redirect_uri": {redirect}}, 400, "invalid_request")
	redeem(url.Values{"code": {newCode(challenge)}, "code_verifier": {verifier}}, 400, "invalid_request")
	redeem(url.Values{"code": {newCode(challenge)}, "redirect_uri": {redirect}, "code_verifier": {verifier}}, 200, "")

	// plain (or no method) is refused at the authorize endpoint, before sign-in.
	for _, method := range []string{"plain", ""} {
		bad := url.Values{}
		for k, v := range q {
			bad[k] = v
		}
		bad.Set("code_challenge", verifier)
		if method != "" {
			bad.Set("code_challenge_method", method)
		}
		status, _, body := ts.Do(t, "GET", "/oauth/authorize?"+bad.Encode(), "", nil)
		if status != 400 || !strings.Contains(string(body), "S256") {
			t.Fatalf("authorize with code_challenge_method %q: %d %s", method, status, body)
		}
	}
	if _, err := ts.Srv.Svc.IssueCode(ctx, appRow, fay.ID, redirect, []string{"read"}, verifier, "plain"); err == nil {
		t.Fatal("core issued a code with a plain challenge")
	}
	// A plain code stored before the upgrade is refused at the token endpoint.
	plainCode := "a-plain-code-from-an-older-herald-0123456789"
	sum := sha256.Sum256([]byte(plainCode))
	if err := ts.Srv.Store.CreateAuthCode(ctx, &model.AuthCode{CodeHash: sum[:], AppID: appRow.ID,
		UserID: fay.ID, RedirectURI: redirect, Scopes: "read", CodeChallenge: verifier, CodeChallengeMethod: "plain",
		ExpiresAt: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	redeem(url.Values{"code": {plainCode}, "redirect_uri": {redirect}, "code_verifier": {verifier}}, 400, "invalid_grant")
}
