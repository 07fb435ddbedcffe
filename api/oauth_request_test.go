package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/server"
)

// The authorization request's rules live in core, whichever surface shows
// the consent page: core validates the request, and IssueCode refuses a
// code for what the app did not register even when called directly.
func TestAuthorizationRequestRulesInCore(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "fay", "user")
	const redirect = "com.example.app:/callback"
	app := createApp(t, ts, redirect, "read write")
	ctx := context.Background()
	svc := ts.Srv.Svc
	challenge := s256("a-verifier-that-is-long-enough-to-be-valid-0123456789")

	good := core.AuthorizeParams{ResponseType: "code", ClientID: app.ClientID, Scope: "read", State: "xyz",
		CodeChallenge: challenge, CodeChallengeMethod: "S256"}
	req, err := svc.AuthorizationRequest(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	// The only registered redirect URI is the default.
	if req.RedirectURI != redirect || strings.Join(req.Scopes, " ") != "read" || req.State != "xyz" || req.CodeChallengeMethod != "S256" {
		t.Fatalf("request: %+v", req)
	}
	for name, mutate := range map[string]func(p *core.AuthorizeParams){
		"response type":      func(p *core.AuthorizeParams) { p.ResponseType = "token" },
		"unknown client":     func(p *core.AuthorizeParams) { p.ClientID = "nope" },
		"other redirect":     func(p *core.AuthorizeParams) { p.RedirectURI = "https://evil.example/cb" },
		"prefix of redirect": func(p *core.AuthorizeParams) { p.RedirectURI = "com.example.app:/" },
		"wider scope":        func(p *core.AuthorizeParams) { p.Scope = "read admin:write" },
		"plain challenge":    func(p *core.AuthorizeParams) { p.CodeChallengeMethod = "plain" },
		"short challenge":    func(p *core.AuthorizeParams) { p.CodeChallenge = "abc" },
	} {
		p := good
		mutate(&p)
		if _, err := svc.AuthorizationRequest(ctx, p); err == nil || herr.As(err).Status != 400 {
			t.Errorf("%s: %v, want a 400", name, err)
		}
	}

	fay, err := svc.LocalAccount(ctx, "fay")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.IssueCode(ctx, req.App, fay.ID, redirect, req.Scopes, challenge, "S256"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.IssueCode(ctx, req.App, fay.ID, "https://evil.example/cb", req.Scopes, challenge, "S256"); err == nil {
		t.Error("core issued a code for a redirect URI the app did not register")
	}
	if _, err := svc.IssueCode(ctx, req.App, fay.ID, redirect, []string{"admin:write"}, challenge, "S256"); err == nil {
		t.Error("core issued a code for a scope the app did not register")
	}
}
