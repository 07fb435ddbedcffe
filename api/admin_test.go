package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
)

// appToken registers an app and returns a client-credentials token with
// the given scopes (what an app signs people up with).
func appToken(t *testing.T, ts *server.TestServer, scopes string) string {
	t.Helper()
	app := createApp(t, ts, "urn:ietf:wg:oauth:2.0:oob", scopes)
	var tok tokenResp
	ts.JSON(t, "POST", "/oauth/token", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "scope": {scopes}}, 200, &tok)
	return tok.AccessToken
}

type signUpErr struct {
	Error   string `json:"error"`
	Details map[string][]struct {
		Error       string `json:"error"`
		Description string `json:"description"`
	} `json:"details"`
}

func signUpForm(username, email, extra string) url.Values {
	v := url.Values{"username": {username}, "email": {email}, "password": {"a long password"}, "agreement": {"true"}, "locale": {"en"}}
	if extra != "" {
		q, _ := url.ParseQuery(extra)
		for k, vs := range q {
			v[k] = vs
		}
	}
	return v
}

func setMode(t *testing.T, ts *server.TestServer, adminTok, mode string) {
	t.Helper()
	var s struct {
		RegistrationsMode string `json:"registrations_mode"`
	}
	ts.JSON(t, "PUT", "/api/v1/admin/settings", adminTok, map[string]any{"registrations_mode": mode}, 200, &s)
	if s.RegistrationsMode != mode {
		t.Fatalf("mode %q not set: %+v", mode, s)
	}
}

func TestRegistrationModes(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "boss", "admin")
	adminTok := ts.Token(t, "boss", "read write admin:read admin:write")
	appTok := appToken(t, ts, "read write follow")

	// A fresh instance refuses public sign-up.
	var e signUpErr
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("newbie", "newbie@example.org", ""), 403, &e)
	if !strings.Contains(strings.ToLower(e.Error), "closed") {
		t.Fatalf("closed: %+v", e)
	}
	var v1 struct {
		Registrations    bool `json:"registrations"`
		ApprovalRequired bool `json:"approval_required"`
		InvitesEnabled   bool `json:"invites_enabled"`
	}
	ts.JSON(t, "GET", "/api/v1/instance", "", nil, 200, &v1)
	if v1.Registrations || v1.ApprovalRequired {
		t.Fatalf("instance v1 while closed: %+v", v1)
	}
	// A user token cannot sign people up; neither can anonymous callers.
	ts.JSON(t, "POST", "/api/v1/accounts", "", signUpForm("newbie", "newbie@example.org", ""), 401, nil)

	// Open: validation errors in Mastodon's shape, then success with a token.
	setMode(t, ts, adminTok, "open")
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, url.Values{"username": {"admin"}, "email": {"nope"}, "password": {"short"}}, 422, &e)
	for field, code := range map[string]string{"username": "ERR_RESERVED", "email": "ERR_INVALID", "password": "ERR_TOO_SHORT", "agreement": "ERR_ACCEPTED"} {
		if len(e.Details[field]) == 0 || e.Details[field][0].Error != code {
			t.Errorf("%s: want %s in %+v", field, code, e.Details)
		}
	}
	if !strings.HasPrefix(e.Error, "Validation failed: ") {
		t.Errorf("error text %q", e.Error)
	}
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("boss", "other@example.org", ""), 422, &e)
	if e.Details["username"][0].Error != "ERR_TAKEN" {
		t.Fatalf("taken: %+v", e)
	}
	var tok tokenResp
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("Opener", "opener@example.org", ""), 200, &tok)
	if tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.Scope != "read write follow" {
		t.Fatalf("token: %+v", tok)
	}
	var me struct{ Username string }
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil, 200, &me)
	if me.Username != "opener" {
		t.Fatalf("me: %+v", me)
	}
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("opener2", "OPENER@example.org", ""), 422, &e)
	if e.Details["email"][0].Error != "ERR_TAKEN" {
		t.Fatalf("email taken: %+v", e)
	}

	// Approval: the account waits; the token does not work until approved.
	setMode(t, ts, adminTok, "approval")
	ts.JSON(t, "PUT", "/api/v1/admin/settings", adminTok, map[string]any{"require_reason": true}, 200, nil)
	var v2 struct {
		Registrations struct {
			Enabled          bool `json:"enabled"`
			ApprovalRequired bool `json:"approval_required"`
			ReasonRequired   bool `json:"reason_required"`
		} `json:"registrations"`
	}
	ts.JSON(t, "GET", "/api/v2/instance", "", nil, 200, &v2)
	if !v2.Registrations.Enabled || !v2.Registrations.ApprovalRequired || !v2.Registrations.ReasonRequired {
		t.Fatalf("instance v2 in approval mode: %+v", v2)
	}
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("waiter", "waiter@example.org", ""), 422, &e)
	if e.Details["reason"][0].Error != "ERR_BLANK" {
		t.Fatalf("reason: %+v", e)
	}
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("waiter", "waiter@example.org", "reason=I+work+here"), 200, &tok)
	// As Mastodon: the token is valid, the login is not usable yet (403 with the reason).
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil, 403, nil)
	var pending []struct {
		ID            string  `json:"id"`
		Username      string  `json:"username"`
		Approved      bool    `json:"approved"`
		InviteRequest *string `json:"invite_request"`
	}
	ts.JSON(t, "GET", "/api/v2/admin/accounts?status=pending&origin=local", adminTok, nil, 200, &pending)
	if len(pending) != 1 || pending[0].Username != "waiter" || pending[0].Approved || pending[0].InviteRequest == nil || *pending[0].InviteRequest != "I work here" {
		t.Fatalf("pending: %+v", pending)
	}
	ts.JSON(t, "POST", "/api/v1/admin/accounts/"+pending[0].ID+"/approve", adminTok, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil, 200, nil)

	// Invite mode without an invite.
	setMode(t, ts, adminTok, "invite")
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("later", "later@example.org", ""), 403, nil)
	ts.JSON(t, "GET", "/api/v1/instance", "", nil, 200, &v1)
	if v1.Registrations || !v1.InvitesEnabled {
		t.Fatalf("instance v1 in invite mode: %+v", v1)
	}
	// Bad modes are refused.
	ts.JSON(t, "PUT", "/api/v1/admin/settings", adminTok, map[string]any{"registrations_mode": "sometimes"}, 422, nil)
}

func TestInvitesExpiryAndMaxUses(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "boss", "admin")
	adminTok := ts.Token(t, "boss", "read write admin:read admin:write")
	appTok := appToken(t, ts, "read write")

	type invite struct {
		ID, Code, URL, Role string
		Uses                int     `json:"uses"`
		MaxUses             *int    `json:"max_uses"`
		ExpiresAt           *string `json:"expires_at"`
		Valid               bool    `json:"valid"`
		Revoked             bool    `json:"revoked"`
	}
	var two invite
	ts.JSON(t, "POST", "/api/v1/admin/invites", adminTok, map[string]any{"max_uses": 2, "expires_in": "7d", "comment": "for the press team"}, 200, &two)
	if two.Code == "" || two.MaxUses == nil || *two.MaxUses != 2 || two.ExpiresAt == nil || !two.Valid || two.URL != ts.URL+"/invite/"+two.Code {
		t.Fatalf("invite: %+v", two)
	}
	for i, name := range []string{"first", "second"} {
		var tok tokenResp
		ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm(name, name+"@example.org", "invite_code="+two.Code), 200, &tok)
		ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil, 200, nil)
		var got invite
		ts.JSON(t, "GET", "/api/v1/admin/invites/"+two.ID, adminTok, nil, 200, &got)
		if got.Uses != i+1 {
			t.Fatalf("uses after %d: %+v", i+1, got)
		}
	}
	// Used up.
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("third", "third@example.org", "invite_code="+two.Code), 403, nil)

	// Expired: an invite valid for one second.
	var short invite
	ts.JSON(t, "POST", "/api/v1/admin/invites", adminTok, map[string]any{"expires_in": 1}, 200, &short)
	testutil.Eventually(t, 5*time.Second, "the one-second invite expired", func() bool {
		var got invite
		ts.JSON(t, "GET", "/api/v1/admin/invites/"+short.ID, adminTok, nil, 200, &got)
		return !got.Valid
	})
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("late", "late@example.org", "invite_code="+short.Code), 403, nil)

	// Revoked.
	var rev invite
	ts.JSON(t, "POST", "/api/v1/admin/invites", adminTok, map[string]any{}, 200, &rev)
	ts.JSON(t, "DELETE", "/api/v1/admin/invites/"+rev.ID, adminTok, nil, 200, &rev)
	if !rev.Revoked || rev.Valid {
		t.Fatalf("revoked: %+v", rev)
	}
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("revoked", "revoked@example.org", "invite_code="+rev.Code), 403, nil)

	// An invite with a role gives it; the invite page answers.
	var mod invite
	ts.JSON(t, "POST", "/api/v1/admin/invites", adminTok, map[string]any{"role": "moderator", "max_uses": 1}, 200, &mod)
	var info struct {
		Code  string `json:"code"`
		Valid bool   `json:"valid"`
	}
	ts.JSON(t, "GET", "/api/v1/invites/"+mod.Code, "", nil, 200, &info)
	if !info.Valid || info.Code != mod.Code {
		t.Fatalf("invite info: %+v", info)
	}
	status, _, body := ts.Do(t, "GET", "/invite/"+mod.Code, "", nil)
	if status != 200 || !strings.Contains(string(body), mod.Code) {
		t.Fatalf("invite page: %d %s", status, body)
	}
	var tok tokenResp
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("newmod", "newmod@example.org", "invite_code="+mod.Code), 200, &tok)
	var me struct {
		Role struct{ Name string } `json:"role"`
	}
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil, 200, &me)
	if me.Role.Name != "Moderator" {
		t.Fatalf("invited moderator: %+v", me)
	}
	// A moderator may not invite admins (and has no Invite Users by default).
	modTok := ts.Token(t, "newmod", "read write admin:read admin:write")
	ts.JSON(t, "POST", "/api/v1/admin/invites", modTok, map[string]any{}, 403, nil)
	ts.JSON(t, "POST", "/api/v1/admin/invites", adminTok, map[string]any{"role": "owner"}, 403, nil)

	// The list shows every invite to admins, active ones on request.
	var all, active []invite
	ts.JSON(t, "GET", "/api/v1/admin/invites", adminTok, nil, 200, &all)
	ts.JSON(t, "GET", "/api/v1/admin/invites?active=true", adminTok, nil, 200, &active)
	if len(all) != 4 || len(active) != 0 {
		t.Fatalf("list: %d all, %d active", len(all), len(active))
	}
}

func TestEmailDomainAllowlistAndBlocks(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) {
		c.Registration.Mode = "open"
		c.Registration.EmailDomainAllowlist = []string{"ministry.example"}
		c.Registration.ReservedUsernames = []string{"minister"}
	})
	ts.CreateUser(t, "boss", "admin")
	adminTok := ts.Token(t, "boss", "read write admin:read admin:write")
	appTok := appToken(t, ts, "read write")
	var e signUpErr
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("outsider", "outsider@gmail.example", ""), 422, &e)
	if e.Details["email"][0].Error != "ERR_BLOCKED" {
		t.Fatalf("outside the allowlist: %+v", e)
	}
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("clerk", "clerk@ministry.example", ""), 200, nil)
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("deputy", "deputy@press.ministry.example", ""), 200, nil)
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("minister", "minister@ministry.example", ""), 422, &e)
	if e.Details["username"][0].Error != "ERR_RESERVED" {
		t.Fatalf("configured reserved name: %+v", e)
	}
	// An invite bypasses the allowlist.
	var inv struct{ Code string }
	ts.JSON(t, "POST", "/api/v1/admin/invites", adminTok, map[string]any{}, 200, &inv)
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("guest", "guest@partner.example", "invite_code="+inv.Code), 200, nil)

	// E-mail domain blocks and canonical blocks apply on top.
	var edb struct{ ID, Domain string }
	ts.JSON(t, "POST", "/api/v1/admin/email_domain_blocks", adminTok, map[string]any{"domain": "press.ministry.example"}, 200, &edb)
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("reporter", "reporter@press.ministry.example", ""), 422, &e)
	if e.Details["email"][0].Error != "ERR_BLOCKED" {
		t.Fatalf("blocked domain: %+v", e)
	}
	var cb struct {
		ID   string `json:"id"`
		Hash string `json:"canonical_email_hash"`
	}
	ts.JSON(t, "POST", "/api/v1/admin/canonical_email_blocks", adminTok, map[string]any{"email": "Troll.Maker+x@ministry.example"}, 200, &cb)
	var matches []struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/admin/canonical_email_blocks/test", adminTok, map[string]any{"email": "trollmaker@ministry.example"}, 200, &matches)
	if len(matches) != 1 || matches[0].ID != cb.ID {
		t.Fatalf("canonical test: %+v", matches)
	}
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("troll", "troll.maker+y@ministry.example", ""), 422, &e)
	if e.Details["email"][0].Error != "ERR_BLOCKED" {
		t.Fatalf("canonical block: %+v", e)
	}
	// IP blocks: sign-ups from loopback are refused, then lifted.
	var ipb struct{ ID, IP, Severity string }
	ts.JSON(t, "POST", "/api/v1/admin/ip_blocks", adminTok, map[string]any{"ip": "127.0.0.1", "severity": "sign_up_block", "comment": "test"}, 200, &ipb)
	if ipb.IP != "127.0.0.1/32" {
		t.Fatalf("ip block: %+v", ipb)
	}
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("fromhome", "fromhome@ministry.example", ""), 403, nil)
	ts.JSON(t, "PUT", "/api/v1/admin/ip_blocks/"+ipb.ID, adminTok, map[string]any{"severity": "sign_up_requires_approval"}, 200, nil)
	var tok tokenResp
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("fromhome", "fromhome@ministry.example", ""), 200, &tok)
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil, 403, nil) // pending approval
	ts.JSON(t, "DELETE", "/api/v1/admin/ip_blocks/"+ipb.ID, adminTok, nil, 200, nil)
}

// A moderator handles a report end to end: a user reports, the moderator
// lists, assigns, notes, suspends, and the report is resolved; the audit
// log lists it all and the suspended user sees the warning... until
// suspension stops their token.
func TestModeratorHandlesReport(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	troll := ts.CreateUser(t, "troll", "user")
	ts.CreateUser(t, "mod", "moderator")
	aliceTok := ts.Token(t, "alice", "read write")
	trollTok := ts.Token(t, "troll", "read write")
	modTok := ts.Token(t, "mod", "read write admin:read admin:write")

	var st struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", trollTok, url.Values{"status": {"something nasty"}}, 200, &st)
	var rule struct{ ID string }
	ownerTok := func() string {
		ts.CreateUser(t, "owner", "owner")
		return ts.Token(t, "owner", "read write admin:read admin:write")
	}()
	ts.JSON(t, "POST", "/api/v1/admin/rules", ownerTok, map[string]any{"text": "Be kind"}, 200, &rule)
	var rules []struct{ ID, Text string }
	ts.JSON(t, "GET", "/api/v1/instance/rules", "", nil, 200, &rules)
	if len(rules) != 1 || rules[0].Text != "Be kind" {
		t.Fatalf("rules: %+v", rules)
	}

	// The user reports.
	var rep struct {
		ID            string              `json:"id"`
		Category      string              `json:"category"`
		StatusIDs     []string            `json:"status_ids"`
		RuleIDs       []string            `json:"rule_ids"`
		TargetAccount struct{ ID string } `json:"target_account"`
	}
	ts.JSON(t, "POST", "/api/v1/reports", aliceTok, map[string]any{"account_id": fmt.Sprint(troll.ID), "status_ids": []string{st.ID},
		"comment": "this is abusive", "rule_ids": []string{rule.ID}}, 200, &rep)
	if rep.Category != "violation" || len(rep.StatusIDs) != 1 || len(rep.RuleIDs) != 1 || rep.TargetAccount.ID != fmt.Sprint(troll.ID) {
		t.Fatalf("report: %+v", rep)
	}
	// A status of someone else cannot be attached.
	var own struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", aliceTok, url.Values{"status": {"mine"}}, 200, &own)
	ts.JSON(t, "POST", "/api/v1/reports", aliceTok, map[string]any{"account_id": fmt.Sprint(troll.ID), "status_ids": []string{own.ID}}, 404, nil)
	// Users cannot see reports.
	ts.JSON(t, "GET", "/api/v1/admin/reports", aliceTok, nil, 403, nil)

	// The moderator lists, assigns, notes.
	type adminReport struct {
		ID              string `json:"id"`
		ActionTaken     bool   `json:"action_taken"`
		Comment         string `json:"comment"`
		AssignedAccount *struct {
			Username string `json:"username"`
		} `json:"assigned_account"`
		TargetAccount struct {
			Username string `json:"username"`
			Email    string `json:"email"`
		} `json:"target_account"`
		Statuses []struct{ ID, Content string } `json:"statuses"`
		Rules    []struct{ ID, Text string }    `json:"rules"`
	}
	var open []adminReport
	ts.JSON(t, "GET", "/api/v1/admin/reports", modTok, nil, 200, &open)
	if len(open) != 1 || open[0].ID != rep.ID || open[0].TargetAccount.Username != "troll" || len(open[0].Statuses) != 1 ||
		len(open[0].Rules) != 1 || open[0].Comment != "this is abusive" {
		t.Fatalf("open reports: %+v", open)
	}
	var r adminReport
	ts.JSON(t, "POST", "/api/v1/admin/reports/"+rep.ID+"/assign_to_self", modTok, nil, 200, &r)
	if r.AssignedAccount == nil || r.AssignedAccount.Username != "mod" {
		t.Fatalf("assigned: %+v", r)
	}
	ts.JSON(t, "POST", "/api/v1/admin/reports/"+rep.ID+"/notes", modTok, map[string]any{"content": "Looked at it: clear violation."}, 200, nil)
	var notes []struct{ Content string }
	ts.JSON(t, "GET", "/api/v1/admin/reports/"+rep.ID+"/notes", modTok, nil, 200, &notes)
	if len(notes) != 1 {
		t.Fatalf("notes: %+v", notes)
	}
	ts.JSON(t, "PUT", "/api/v1/admin/reports/"+rep.ID, modTok, map[string]any{"category": "spam"}, 200, &r)

	// A moderator cannot act on an owner.
	var ownerAcc struct{ ID string }
	ts.JSON(t, "GET", "/api/v1/accounts/lookup?acct=owner", "", nil, 200, &ownerAcc)
	ts.JSON(t, "POST", "/api/v1/admin/accounts/"+ownerAcc.ID+"/action", modTok, map[string]any{"type": "suspend"}, 403, nil)

	// The troll sees a warning first, then is suspended with the report.
	ts.JSON(t, "POST", "/api/v1/admin/accounts/"+fmt.Sprint(troll.ID)+"/action", modTok,
		map[string]any{"type": "none", "text": "Please stop."}, 200, nil)
	var warns []struct {
		Action, Text string
	}
	ts.JSON(t, "GET", "/api/v1/account_warnings", trollTok, nil, 200, &warns)
	if len(warns) != 1 || warns[0].Action != "none" || warns[0].Text != "Please stop." {
		t.Fatalf("warnings: %+v", warns)
	}
	ts.JSON(t, "POST", "/api/v1/admin/accounts/"+fmt.Sprint(troll.ID)+"/action", modTok,
		map[string]any{"type": "suspend", "report_id": rep.ID, "text": "Repeated abuse."}, 200, nil)
	ts.JSON(t, "GET", "/api/v1/admin/reports/"+rep.ID, modTok, nil, 200, &r)
	if !r.ActionTaken {
		t.Fatalf("the report is not resolved: %+v", r)
	}
	ts.JSON(t, "GET", "/api/v1/admin/reports", modTok, nil, 200, &open)
	if len(open) != 0 {
		t.Fatalf("still open: %+v", open)
	}
	var resolved []adminReport
	ts.JSON(t, "GET", "/api/v1/admin/reports?resolved=true", modTok, nil, 200, &resolved)
	if len(resolved) != 1 {
		t.Fatalf("resolved: %+v", resolved)
	}
	// The suspended account is gone for everyone, its token stops working.
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", trollTok, nil, 403, nil)
	ts.JSON(t, "GET", "/api/v1/accounts/"+fmt.Sprint(troll.ID), aliceTok, nil, 404, nil)
	var aa struct {
		Suspended bool `json:"suspended"`
		Account   struct{ Username string }
	}
	ts.JSON(t, "GET", "/api/v1/admin/accounts/"+fmt.Sprint(troll.ID), modTok, nil, 200, &aa)
	if !aa.Suspended || aa.Account.Username != "troll" {
		t.Fatalf("admin account: %+v", aa)
	}
	var suspended []struct{ Username string }
	ts.JSON(t, "GET", "/api/v1/admin/accounts?suspended=true", modTok, nil, 200, &suspended)
	if len(suspended) != 1 || suspended[0].Username != "troll" {
		t.Fatalf("v1 filter: %+v", suspended)
	}
	// Reopen, resolve again by hand.
	ts.JSON(t, "POST", "/api/v1/admin/reports/"+rep.ID+"/reopen", modTok, nil, 200, &r)
	if r.ActionTaken {
		t.Fatal("reopen did not reopen")
	}
	ts.JSON(t, "POST", "/api/v1/admin/reports/"+rep.ID+"/resolve", modTok, nil, 200, &r)

	// The audit log lists every step (moderators may view it).
	var log []struct {
		Action   string `json:"action"`
		TargetID string `json:"target_id"`
		Account  *struct{ Username string }
	}
	ts.JSON(t, "GET", "/api/v1/admin/audit_log?limit=100", modTok, nil, 200, &log)
	seen := map[string]bool{}
	for _, e := range log {
		seen[e.Action] = true
		if e.Account == nil {
			t.Errorf("entry without actor: %+v", e)
		}
	}
	for _, want := range []string{"assigned_to_self_report", "create_report_note", "update_report", "none_account", "suspend_account",
		"resolve_report", "reopen_report", "create_rule"} {
		if !seen[want] {
			t.Errorf("audit log lacks %s: %+v", want, log)
		}
	}
	// Unsuspend restores the account.
	ts.JSON(t, "POST", "/api/v1/admin/accounts/"+fmt.Sprint(troll.ID)+"/unsuspend", modTok, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", trollTok, nil, 200, nil)
}

func TestInstanceSettingsAndAnnouncements(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "boss", "owner")
	ts.CreateUser(t, "alice", "user")
	adminTok := ts.Token(t, "boss", "read write admin:read admin:write")
	aliceTok := ts.Token(t, "alice", "read write")
	ts.JSON(t, "PUT", "/api/v1/admin/settings", adminTok, map[string]any{"title": "Ministry Social", "short_description": "Official",
		"description": "The long one", "extended_description": "All about *us*", "contact_account": "boss", "contact_email": "press@ministry.example",
		"terms_of_service": "Be nice.", "privacy_policy": "We keep little."}, 200, nil)
	var v1 struct {
		Title            string                     `json:"title"`
		ShortDescription string                     `json:"short_description"`
		Email            string                     `json:"email"`
		ContactAccount   *struct{ Username string } `json:"contact_account"`
	}
	ts.JSON(t, "GET", "/api/v1/instance", "", nil, 200, &v1)
	if v1.Title != "Ministry Social" || v1.ShortDescription != "Official" || v1.Email != "press@ministry.example" ||
		v1.ContactAccount == nil || v1.ContactAccount.Username != "boss" {
		t.Fatalf("v1: %+v", v1)
	}
	var v2 struct {
		Title   string `json:"title"`
		Contact struct {
			Email   string                     `json:"email"`
			Account *struct{ Username string } `json:"account"`
		} `json:"contact"`
	}
	ts.JSON(t, "GET", "/api/v2/instance", "", nil, 200, &v2)
	if v2.Title != "Ministry Social" || v2.Contact.Email != "press@ministry.example" || v2.Contact.Account == nil {
		t.Fatalf("v2: %+v", v2)
	}
	var text struct {
		Content   string  `json:"content"`
		UpdatedAt *string `json:"updated_at"`
	}
	ts.JSON(t, "GET", "/api/v1/instance/extended_description", "", nil, 200, &text)
	if !strings.Contains(text.Content, "All about") || text.UpdatedAt == nil {
		t.Fatalf("extended description: %+v", text)
	}
	ts.JSON(t, "GET", "/api/v1/instance/privacy_policy", "", nil, 200, &text)
	if !strings.Contains(text.Content, "We keep little.") {
		t.Fatalf("privacy: %+v", text)
	}
	var tos struct{ Content string }
	ts.JSON(t, "GET", "/api/v1/instance/terms_of_service", "", nil, 200, &tos)
	if !strings.Contains(tos.Content, "Be nice.") {
		t.Fatalf("terms: %+v", tos)
	}
	// Users cannot change settings.
	ts.JSON(t, "PUT", "/api/v1/admin/settings", aliceTok, map[string]any{"title": "Mine"}, 403, nil)

	// Announcements.
	var an struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/admin/announcements", adminTok, map[string]any{"text": "Office closed on Friday"}, 200, &an)
	var draft struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/admin/announcements", adminTok, map[string]any{"text": "Draft", "published": false}, 200, &draft)
	type announcement struct {
		ID        string `json:"id"`
		Content   string `json:"content"`
		Read      bool   `json:"read"`
		Reactions []struct {
			Name  string `json:"name"`
			Count int    `json:"count"`
			Me    bool   `json:"me"`
		} `json:"reactions"`
	}
	var list []announcement
	ts.JSON(t, "GET", "/api/v1/announcements", aliceTok, nil, 200, &list)
	if len(list) != 1 || !strings.Contains(list[0].Content, "Office closed") {
		t.Fatalf("announcements: %+v", list)
	}
	ts.JSON(t, "PUT", "/api/v1/announcements/"+an.ID+"/reactions/%F0%9F%91%8D", aliceTok, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/announcements", aliceTok, nil, 200, &list)
	if len(list[0].Reactions) != 1 || list[0].Reactions[0].Name != "👍" || !list[0].Reactions[0].Me || list[0].Reactions[0].Count != 1 {
		t.Fatalf("reaction: %+v", list[0])
	}
	ts.JSON(t, "DELETE", "/api/v1/announcements/"+an.ID+"/reactions/%F0%9F%91%8D", aliceTok, nil, 200, nil)
	ts.JSON(t, "POST", "/api/v1/announcements/"+an.ID+"/dismiss", aliceTok, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/announcements", aliceTok, nil, 200, &list)
	if len(list) != 0 {
		t.Fatalf("dismissed still listed: %+v", list)
	}
	ts.JSON(t, "GET", "/api/v1/announcements?with_dismissed=true", aliceTok, nil, 200, &list)
	if len(list) != 1 || !list[0].Read {
		t.Fatalf("with_dismissed: %+v", list)
	}
	ts.JSON(t, "POST", "/api/v1/announcements/"+draft.ID+"/dismiss", aliceTok, nil, 404, nil)
	ts.JSON(t, "DELETE", "/api/v1/admin/announcements/"+an.ID, adminTok, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/announcements?with_dismissed=true", aliceTok, nil, 200, &list)
	if len(list) != 0 {
		t.Fatalf("deleted still listed: %+v", list)
	}
}

func TestDomainBlocksAndPolicy(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) { c.Federation.SilencedDomains = []string{"loud.example"} })
	ts.CreateUser(t, "boss", "admin")
	adminTok := ts.Token(t, "boss", "read write admin:read admin:write")
	svc := ts.Srv.Svc
	ctx := t.Context()
	var b struct {
		ID            string `json:"id"`
		Domain        string `json:"domain"`
		Severity      string `json:"severity"`
		RejectReports bool   `json:"reject_reports"`
		Digest        string `json:"digest"`
	}
	ts.JSON(t, "POST", "/api/v1/admin/domain_blocks", adminTok, map[string]any{"domain": "Spam.Example", "severity": "suspend",
		"public_comment": "spam", "obfuscate": true}, 200, &b)
	if b.Domain != "spam.example" || b.Severity != "suspend" || len(b.Digest) != 64 {
		t.Fatalf("block: %+v", b)
	}
	var dup struct {
		Existing *struct{ ID string } `json:"existing_domain_block"`
	}
	ts.JSON(t, "POST", "/api/v1/admin/domain_blocks", adminTok, map[string]any{"domain": "spam.example"}, 422, &dup)
	if dup.Existing == nil || dup.Existing.ID != b.ID {
		t.Fatalf("duplicate: %+v", dup)
	}
	pol, err := svc.DomainPolicy(ctx, "sub.spam.example")
	if err != nil || !pol.Suspended() || !pol.RejectReports {
		t.Fatalf("policy of a subdomain: %+v %v", pol, err)
	}
	if pol, _ := svc.DomainPolicy(ctx, "loud.example"); !pol.Silenced() {
		t.Fatalf("config silence: %+v", pol)
	}
	if pol, _ := svc.DomainPolicy(ctx, "fine.example"); pol.Severity != "" {
		t.Fatalf("no policy: %+v", pol)
	}
	// Changes take effect at once (the cache is invalidated).
	ts.JSON(t, "PUT", "/api/v1/admin/domain_blocks/"+b.ID, adminTok, map[string]any{"severity": "silence", "reject_media": true}, 200, nil)
	if pol, _ := svc.DomainPolicy(ctx, "spam.example"); !pol.Silenced() || !pol.RejectMedia {
		t.Fatalf("after update: %+v", pol)
	}
	var public []struct{ Domain, Severity string }
	ts.JSON(t, "GET", "/api/v1/instance/domain_blocks", "", nil, 200, &public)
	found := false
	for _, p := range public {
		if strings.Contains(p.Domain, "*") && p.Severity == "silence" {
			found = true
		}
	}
	if !found {
		t.Fatalf("public list: %+v", public)
	}
	ts.JSON(t, "DELETE", "/api/v1/admin/domain_blocks/"+b.ID, adminTok, nil, 200, nil)
	if pol, _ := svc.DomainPolicy(ctx, "spam.example"); pol.Severity != "" {
		t.Fatalf("after delete: %+v", pol)
	}
	// Allow-list mode from the settings, with domain allows.
	ts.JSON(t, "POST", "/api/v1/admin/domain_allows", adminTok, map[string]any{"domain": "friend.example"}, 200, nil)
	ts.JSON(t, "PUT", "/api/v1/admin/settings", adminTok, map[string]any{"limited_federation": true}, 200, nil)
	if pol, _ := svc.DomainPolicy(ctx, "other.example"); !pol.Suspended() || !pol.NotAllowed {
		t.Fatalf("allow-list: %+v", pol)
	}
	if pol, _ := svc.DomainPolicy(ctx, "www.friend.example"); pol.Suspended() {
		t.Fatalf("allowed: %+v", pol)
	}
}

// An invite lives only while its creator may make it (issue 12): an
// admin's moderator invite stops working once the admin is demoted,
// suspended or disabled, on every surface (sign-up, invite info, the
// admin list, the invite page).
func TestInvitesEndWithTheirCreatorsStanding(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner", "owner")
	ownerTok := ts.Token(t, "owner", "read write admin:read admin:write")
	appTok := appToken(t, ts, "read write")
	setMode(t, ts, ownerTok, "approval")

	type invite struct {
		ID, Code string
		Valid    bool `json:"valid"`
	}
	n := 0
	signUp := func(t *testing.T, code string, want int) signUpErr {
		t.Helper()
		n++
		name := fmt.Sprintf("newcomer%d", n)
		var e signUpErr
		ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm(name, name+"@example.org", "invite_code="+code), want, &e)
		return e
	}
	for _, c := range []struct {
		name   string
		revoke func(adminID int64)
	}{
		{"demoted", func(id int64) {
			ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/role", id), ownerTok, map[string]any{"role": "user"}, 200, nil)
		}},
		{"suspended", func(id int64) {
			ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/action", id), ownerTok, map[string]any{"type": "suspend"}, 200, nil)
		}},
		{"disabled", func(id int64) {
			ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/action", id), ownerTok, map[string]any{"type": "disable"}, 200, nil)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			admin := ts.CreateUser(t, "chief_"+c.name, "admin")
			adminTok := ts.Token(t, admin.Username, "read write admin:read admin:write")
			var inv invite
			ts.JSON(t, "POST", "/api/v1/admin/invites", adminTok, map[string]any{"role": "moderator"}, 200, &inv)
			var tok tokenResp
			n++
			name := fmt.Sprintf("newcomer%d", n)
			ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm(name, name+"@example.org", "invite_code="+inv.Code), 200, &tok)
			var me struct {
				Role struct{ Name string } `json:"role"`
			}
			ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil, 200, &me)
			if me.Role.Name != "Moderator" {
				t.Fatalf("before: invited %+v", me)
			}

			c.revoke(admin.ID)

			// Sign-up: 422 with Mastodon's details, as for any invalid invite
			// while registrations are open (approval mode)...
			e := signUp(t, inv.Code, 422)
			if len(e.Details["invite_code"]) == 0 || e.Details["invite_code"][0].Error != "ERR_INVALID" {
				t.Fatalf("sign-up with a dead invite: %+v", e)
			}
			// ... and 403 when only invites let people in.
			setMode(t, ts, ownerTok, "invite")
			signUp(t, inv.Code, 403)
			setMode(t, ts, ownerTok, "approval")

			var info struct {
				Valid bool `json:"valid"`
			}
			ts.JSON(t, "GET", "/api/v1/invites/"+inv.Code, "", nil, 200, &info)
			var listed invite
			ts.JSON(t, "GET", "/api/v1/admin/invites/"+inv.ID, ownerTok, nil, 200, &listed)
			if info.Valid || listed.Valid {
				t.Fatalf("invite still shown valid: info %+v, admin %+v", info, listed)
			}
			req, _ := http.NewRequest("GET", ts.URL+"/invite/"+inv.Code, nil)
			req.Header.Set("Accept", "text/html")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "no longer valid") {
				t.Fatalf("invite page: %d %s", resp.StatusCode, body)
			}
		})
	}
}

// TestDomainPolicyRefusesWhatIsNoHost: a domain block, an allowed domain
// and an e-mail domain block take host names only (IDN and a port too);
// markup, paths or spaces are refused with 422 and nothing is stored.
func TestDomainPolicyRefusesWhatIsNoHost(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	tok := ts.Token(t, "owner1", "admin:read admin:write")
	for _, bad := range []string{"<bad>", "a b.example", "x.example/path", "\"quoted\".example", "a..b", "x.example:port", "-"} {
		ts.JSON(t, "POST", "/api/v1/admin/domain_allows", tok, map[string]any{"domain": bad}, 422, nil)
		ts.JSON(t, "POST", "/api/v1/admin/domain_blocks", tok, map[string]any{"domain": bad, "severity": "suspend"}, 422, nil)
		ts.JSON(t, "POST", "/api/v1/admin/email_domain_blocks", tok, map[string]any{"domain": bad}, 422, nil)
	}
	var allows, blocks []map[string]any
	ts.JSON(t, "GET", "/api/v1/admin/domain_allows", tok, nil, 200, &allows)
	ts.JSON(t, "GET", "/api/v1/admin/domain_blocks", tok, nil, 200, &blocks)
	if len(allows) != 0 || len(blocks) != 0 {
		t.Fatalf("stored: %v %v", allows, blocks)
	}
	for _, good := range []string{"Friends.Example", "bücher.example", "127.0.0.1:8080", "*.wild.example"} {
		ts.JSON(t, "POST", "/api/v1/admin/domain_allows", tok, map[string]any{"domain": good}, 200, nil)
	}
	ts.JSON(t, "POST", "/api/v1/admin/email_domain_blocks", tok, map[string]any{"domain": "mail-spam.example"}, 200, nil)
}
