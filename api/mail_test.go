package api_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
)

// startMailbox is the shared SMTP test mailbox (a real server on loopback).
func startMailbox(t *testing.T) *testutil.Mailbox { return testutil.StartMailbox(t) }

func withMail(mb *testutil.Mailbox) func(*config.Config) {
	return func(c *config.Config) {
		c.SMTP.Host = "127.0.0.1"
		c.SMTP.Port = mb.Port
		c.SMTP.Security = "none"
		c.SMTP.From = "Herald <noreply@herald.test>"
	}
}

var linkRe = regexp.MustCompile(`https?://\S+`)

func TestMails(t *testing.T) {
	mb := startMailbox(t)
	ts := server.StartTest(t, withMail(mb), func(c *config.Config) { c.Registration.Mode = "open" })
	ts.CreateUser(t, "boss", "admin")
	ts.CreateUser(t, "mod", "moderator")
	adminTok := ts.Token(t, "boss", "read write admin:read admin:write")
	appTok := appToken(t, ts, "read write")

	// Sign-up: a confirmation link that confirms.
	var tok tokenResp
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("newbie", "newbie@example.org", ""), 200, &tok)
	m := mb.Wait(t, "newbie@example.org", "Confirm your e-mail address")
	if m.From != "noreply@herald.test" || !strings.Contains(m.Body, "@newbie") {
		t.Fatalf("confirmation mail: %+v", m)
	}
	link := linkRe.FindString(m.Body)
	if !strings.HasPrefix(link, ts.URL+"/auth/confirmation?confirmation_token=") {
		t.Fatalf("confirmation link %q in %q", link, m.Body)
	}
	type adminAcc struct {
		ID        string `json:"id"`
		Username  string `json:"username"`
		Confirmed bool   `json:"confirmed"`
	}
	var list []adminAcc
	ts.JSON(t, "GET", "/api/v2/admin/accounts?username=newbie", adminTok, nil, 200, &list)
	if len(list) != 1 || list[0].Confirmed {
		t.Fatalf("before confirmation: %+v", list)
	}
	if status, _, body := ts.Do(t, "GET", strings.TrimPrefix(link, ts.URL), "", nil); status != 200 || !strings.Contains(string(body), "confirmed") {
		t.Fatalf("confirm: %d %s", status, body)
	}
	ts.JSON(t, "GET", "/api/v2/admin/accounts?username=newbie", adminTok, nil, 200, &list)
	if !list[0].Confirmed {
		t.Fatalf("after confirmation: %+v", list)
	}
	// A link works once.
	if status, _, _ := ts.Do(t, "GET", strings.TrimPrefix(link, ts.URL), "", nil); status != 422 {
		t.Fatalf("second confirmation: %d", status)
	}

	// Password reset: request, link, new password.
	ts.JSON(t, "POST", "/api/v1/auth/password_reset", "", map[string]any{"email": "newbie@example.org"}, 200, nil)
	ts.JSON(t, "POST", "/api/v1/auth/password_reset", "", map[string]any{"email": "nobody@example.org"}, 200, nil)
	m = mb.Wait(t, "newbie@example.org", "Reset your password")
	link = linkRe.FindString(m.Body)
	u, err := url.Parse(link)
	if err != nil || u.Path != "/auth/password/edit" {
		t.Fatalf("reset link %q", link)
	}
	if status, _, body := ts.Do(t, "GET", u.RequestURI(), "", nil); status != 200 || !strings.Contains(string(body), "<form") {
		t.Fatalf("reset form: %d %s", status, body)
	}
	resetTok := u.Query().Get("reset_password_token")
	ts.JSON(t, "POST", "/api/v1/auth/password", "", map[string]any{"reset_password_token": resetTok, "password": "short"}, 422, nil)
	ts.JSON(t, "POST", "/api/v1/auth/password", "", map[string]any{"reset_password_token": resetTok, "password": "the new long password"}, 200, nil)
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil, 401, nil) // tokens revoked
	app := createApp(t, ts, "urn:ietf:wg:oauth:2.0:oob", "read")
	ts.JSON(t, "POST", "/oauth/token", "", url.Values{"grant_type": {"password"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
		"username": {"newbie"}, "password": {"the new long password"}}, 200, nil)
	ts.JSON(t, "POST", "/api/v1/auth/password", "", map[string]any{"reset_password_token": resetTok, "password": "yet another password"}, 422, nil)

	// Approval decisions, and the notice to staff.
	ts.JSON(t, "PUT", "/api/v1/admin/settings", adminTok, map[string]any{"registrations_mode": "approval"}, 200, nil)
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("hopeful", "hopeful@example.org", "reason=new+colleague"), 200, nil)
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("spammer", "spammer@example.org", "reason=buy+now"), 200, nil)
	mb.Wait(t, "hopeful@example.org", "Confirm your e-mail address")
	mb.Wait(t, "spammer@example.org", "Confirm your e-mail address")
	n := mb.Wait(t, "boss@example.org", "awaiting approval")
	if !strings.Contains(n.Body, "hopeful") && !strings.Contains(n.Body, "spammer") {
		t.Fatalf("staff notice: %+v", n)
	}
	mb.Wait(t, "mod@example.org", "awaiting approval")
	// One notice per pending sign-up and staff member.
	mb.Wait(t, "boss@example.org", "awaiting approval")
	mb.Wait(t, "mod@example.org", "awaiting approval")
	ts.JSON(t, "GET", "/api/v2/admin/accounts?status=pending", adminTok, nil, 200, &list)
	if len(list) != 2 {
		t.Fatalf("pending: %+v", list)
	}
	for _, a := range list {
		op := "approve"
		if a.Username == "spammer" {
			op = "reject"
		}
		ts.JSON(t, "POST", "/api/v1/admin/accounts/"+a.ID+"/"+op, adminTok, nil, 200, nil)
	}
	if m := mb.Wait(t, "hopeful@example.org", "Welcome"); !strings.Contains(m.Body, "approved") {
		t.Fatalf("approval mail: %+v", m)
	}
	if m := mb.Wait(t, "spammer@example.org", "Your sign-up"); !strings.Contains(m.Body, "not approved") {
		t.Fatalf("rejection mail: %+v", m)
	}
	ts.JSON(t, "GET", "/api/v2/admin/accounts?username=spammer", adminTok, nil, 200, &list)
	if len(list) != 0 {
		t.Fatalf("rejected account kept: %+v", list)
	}

	// A new report is announced to the moderators.
	ts.CreateUser(t, "alice", "user")
	bad := ts.CreateUser(t, "bad", "user")
	ts.JSON(t, "POST", "/api/v1/reports", ts.Token(t, "alice", "write"), map[string]any{"account_id": fmt.Sprint(bad.ID), "comment": "rude"}, 200, nil)
	for _, to := range []string{"mod@example.org", "boss@example.org"} {
		if m := mb.Wait(t, to, "New report"); !strings.Contains(m.Body, "rude") || !strings.Contains(m.Subject, "@bad") {
			t.Fatalf("report notice: %+v", m)
		}
	}
	// A warning with send_email_notification reaches the user.
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/action", bad.ID), adminTok, map[string]any{"type": "silence", "text": "Calm down."}, 200, nil)
	if m := mb.Wait(t, "bad@example.org", "moderation action"); !strings.Contains(m.Body, "Calm down.") {
		t.Fatalf("warning mail: %+v", m)
	}
}

// Without SMTP, sign-ups are confirmed at once and password reset says so.
func TestNoMailConfigured(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) { c.Registration.Mode = "open" })
	ts.CreateUser(t, "boss", "admin")
	adminTok := ts.Token(t, "boss", "admin:read")
	appTok := appToken(t, ts, "read write")
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("plain", "plain@example.org", ""), 200, nil)
	var list []struct{ Confirmed bool }
	ts.JSON(t, "GET", "/api/v2/admin/accounts?username=plain", adminTok, nil, 200, &list)
	if len(list) != 1 || !list[0].Confirmed {
		t.Fatalf("without SMTP: %+v", list)
	}
	ts.JSON(t, "POST", "/api/v1/auth/password_reset", "", map[string]any{"email": "plain@example.org"}, 422, nil)
}
