package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/api"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/webui"
)

// Each surface owns its wire format: the client API answers JSON only and
// the web UI serves every HTML page.

// browserAccept is what a browser sends when it opens a link.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// TestAPIAnswersNoHTML calls every client API route as a browser would,
// without a token and with a staff token of every scope, and fails if any
// answers HTML: a page on an API route is the web UI's to serve.
func TestAPIAnswersNoHTML(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "root", "owner")
	token := ts.Token(t, "root", "read write follow push profile admin:read admin:write")
	calls := 0
	for _, tok := range []string{"", token} {
		for _, r := range ts.Srv.API.Routes() {
			// Streams answer forever by design; without a token they refuse.
			if tok != "" && strings.HasPrefix(r.Path, "/api/v1/streaming") && r.Path != "/api/v1/streaming/health" {
				continue
			}
			methods := []string{r.Method}
			if r.Method == http.MethodGet {
				methods = append(methods, http.MethodHead)
			}
			for _, m := range methods {
				req := httptest.NewRequestWithContext(context.Background(), m, ts.URL+fillParams(r.Path, "1"), nil)
				req.Header.Set("Accept", browserAccept)
				if tok != "" {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				rec := httptest.NewRecorder()
				ts.Srv.Echo.ServeHTTP(rec, req)
				calls++
				ct := rec.Header().Get("Content-Type")
				head := strings.ToLower(strings.TrimSpace(rec.Body.String()))
				if strings.HasPrefix(ct, "text/html") || strings.HasPrefix(head, "<!doctype") || strings.HasPrefix(head, "<html") {
					t.Errorf("API route %s %s (token %t) answered HTML: %d %s %.80q", m, r.Path, tok != "", rec.Code, ct, head)
				}
			}
		}
	}
	t.Logf("%d calls", calls)
}

// linkPages are the pages that invites and mails link to (core's
// InviteURL, ConfirmationURL and PasswordResetURL) and the reset form.
var linkPages = []string{
	"GET /auth/confirmation",
	"GET /auth/password/edit",
	"GET /invite/:code",
	"POST /auth/password",
}

// TestLinkPagesAreTheWebUIs: the pages that invites and mails link to are
// declared in the web UI's route table (behind its access rules), no route
// is declared by both the API and the web UI, and the pages are the web
// UI's whichever part registers first.
func TestLinkPagesAreTheWebUIs(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "root", "owner")
	adminTok := ts.Token(t, "root", "admin:write")
	var inv struct {
		Code string `json:"code"`
	}
	ts.JSON(t, "POST", "/api/v1/admin/invites", adminTok, map[string]any{}, 200, &inv)

	web := map[string]webui.Access{}
	for _, r := range ts.Srv.UI.Routes() {
		web[r.Method+" "+r.Path] = r.Access
	}
	for _, k := range linkPages {
		if _, ok := web[k]; !ok {
			t.Errorf("%s is not in the web UI's route table", k)
		}
	}
	if web["POST /auth/password"] != webui.CSRF {
		t.Errorf("POST /auth/password: access %q, want %q", web["POST /auth/password"], webui.CSRF)
	}
	for _, r := range ts.Srv.API.Routes() {
		if _, ok := web[r.Method+" "+r.Path]; ok {
			t.Errorf("%s %s is declared by both the API and the web UI", r.Method, r.Path)
		}
	}

	// The same pages with the API registered before and after the web UI.
	for _, apiFirst := range []bool{true, false} {
		e := echo.New()
		e.HTTPErrorHandler = api.ErrorHandler(ts.Srv.Log)
		a := api.New(ts.Srv.Svc)
		ui, err := webui.New(ts.Srv.Svc)
		if err != nil {
			t.Fatal(err)
		}
		if apiFirst {
			a.Register(e)
			ui.Register(e)
		} else {
			ui.Register(e)
			a.Register(e)
		}
		for _, c := range []struct {
			path, want string
			status     int
		}{
			{"/invite/" + inv.Code, `name="invite_code" value="` + inv.Code + `"`, http.StatusOK},
			{"/invite/nosuchcode", "This invite link is not valid.", http.StatusGone}, // registrations are closed by default
			{"/auth/confirmation?confirmation_token=nosuchtoken", "Confirmation failed", http.StatusUnprocessableEntity},
			{"/auth/password/edit?reset_password_token=sometoken", `name="authenticity_token"`, http.StatusOK},
		} {
			req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, ts.URL+c.path, nil)
			req.Header.Set("Accept", browserAccept)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			body := rec.Body.String()
			// Content-Security-Policy is set by the web UI's renderer only.
			if rec.Code != c.status || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") ||
				rec.Header().Get("Content-Security-Policy") == "" || !strings.Contains(body, c.want) {
				t.Errorf("API first %t: GET %s: %d %q %.300s", apiFirst, c.path, rec.Code, rec.Header().Get("Content-Type"), body)
			}
		}
	}
}
