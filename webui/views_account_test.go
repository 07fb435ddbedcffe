package webui_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
)

// recoveryCodesRe finds the recovery codes a page shows: new ones each
// time they are made.
var recoveryCodesRe = regexp.MustCompile(`<li><code>[a-z2-7]{4}-[a-z2-7]{4}</code></li>`)

// accountSamePageCodes posts a form that makes new recovery codes and
// checks the page shows ten.
func (b *browser) accountSamePageCodes(path string, form url.Values) string {
	b.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("authenticity_token", b.csrf())
	_, now := b.do("POST", path, f)
	if len(recoveryCodesRe.FindAllString(now, -1)) != 10 {
		b.t.Fatalf("POST %s: no recovery codes: %s", path, now)
	}
	return now
}

var codeValueRe = regexp.MustCompile(`id="authorization_code" class="oauth-code" type="text" readonly value="([^"]+)"`)

// accountAuthorizeQuery is an OAuth authorisation request of app (spaces
// as %20: see the report on '+' in attribute values).
func accountAuthorizeQuery(clientID string) string {
	return "/oauth/authorize?client_id=" + clientID + "&redirect_uri=" + url.QueryEscape(core.OOB) +
		"&scope=read%20write%20follow%20push%20read:statuses%20admin:read&response_type=code&state=s1"
}

// TestAccountViews: the pages of signing in, up and out,
// of passwords, OAuth consent, the settings and team access, written in
// Go, render in each of their states.
func TestAccountViews(t *testing.T) {
	ctx := context.Background()
	ts := server.StartTest(t)
	ts.CreateUser(t, "admin1", "admin")
	city := ts.CreateUser(t, "city", "user")
	mia := ts.CreateUser(t, "mia", "user")
	troll := ts.CreateUser(t, "troll", "user")
	ts.CreateUser(t, "oldie", "user")
	ts.CreateUser(t, "newbie", "user")
	ts.CreateUser(t, "tfa", "user")
	adminTok := ts.Token(t, "admin1", "read write admin:read admin:write")
	giveRole(t, ts, adminTok, "reporter", core.PermManageReports)
	giveRole(t, ts, adminTok, "inviter", core.PermInviteUsers)

	var rule1, rule2 struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/admin/rules", adminTok, map[string]any{"text": "No insults <ever>", "hint": "Be \"kind\" & fair"}, 200, &rule1)
	ts.JSON(t, "POST", "/api/v1/admin/rules", adminTok, map[string]any{"text": "No spam"}, 200, &rule2)

	// Signed out: sign-in, sign-up (closed), password pages, an invite.
	anon := newBrowser(t, ts)
	anon.view("GET", "/auth/sign_in", nil)
	anon.view("GET", "/auth/sign_in?return_to=/settings/profile", nil)
	anon.view("POST", "/auth/sign_in", url.Values{"username": {`city"<x>`}, "password": {"wrong"}, "return_to": {"/settings/apps"}})
	anon.view("GET", "/auth/sign_up", nil)
	anon.view("GET", "/invite/nosuchcode", nil)
	anon.view("GET", "/auth/password/new", nil)
	anon.view("GET", "/auth/password/edit?reset_password_token=tok%22%3Cen%3E", nil)
	anon.view("POST", "/auth/password", url.Values{"reset_password_token": {"tok"}, "password": {"newpassword1"}, "password_confirmation": {"other"}})
	anon.view("POST", "/auth/password", url.Values{"reset_password_token": {"bad-token"}, "password": {"newpassword1"}, "password_confirmation": {"newpassword1"}})
	anon.view("GET", "/oauth/authorize/native?code=c0de%3C%22%3E", nil)

	var inv struct{ Code string }
	ts.JSON(t, "POST", "/api/v1/admin/invites", adminTok, map[string]any{"max_uses": 5}, 200, &inv)
	accountHas(t, anon.view("GET", "/invite/"+inv.Code, nil), "You are invited to", "Be &#34;kind&#34; &amp; fair")
	anon.view("GET", "/auth/sign_up?invite="+inv.Code, nil)
	// Refused sign-ups by invite, with what was typed: the passwords
	// differ; then the fields are wrong.
	anon.view("POST", "/auth/sign_up", url.Values{"invite_code": {inv.Code}, "username": {"new<one>"}, "email": {"a@b.example"},
		"password": {"password1"}, "password_confirmation": {"password2"}, "agreement": {"1"}})
	accountHas(t, anon.view("POST", "/auth/sign_up", url.Values{"invite_code": {inv.Code}, "username": {"city"}, "email": {"not-an-email"},
		"password": {"short"}, "password_confirmation": {"short"}}), `<p class="error">Username`, `<p class="error">Password`, `<p class="error">Agreement`)

	// An app, and OAuth consent asked of someone signed out.
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	ts.JSON(t, "POST", "/api/v1/apps", "", map[string]any{"client_name": "Tusk & <Co>", "redirect_uris": core.OOB,
		"scopes": "read write follow push admin:read", "website": "https://tusk.example/app?a=1&b=2"}, 200, &app)
	authQuery := accountAuthorizeQuery(app.ClientID)
	accountHas(t, anon.view("GET", authQuery, nil), "Sign in to authorise Tusk &amp; &lt;Co&gt;")

	// city: an app of her own (used), a member (mia) who acts for her,
	// two browser sessions.
	var own struct {
		AccessToken string `json:"access_token"`
	}
	ts.JSON(t, "POST", "/oauth/token", "", map[string]any{"grant_type": "password", "client_id": app.ClientID,
		"client_secret": app.ClientSecret, "username": "city", "password": server.TestPassword, "scope": "read write"}, 200, &own)
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", own.AccessToken, nil, 200, nil)
	cityTok := ts.Token(t, "city", "read write")
	ts.JSON(t, "POST", "/api/v1/delegations", cityTok, map[string]any{"member": "mia", "permissions": []string{"post", "interact"}}, 200, nil)

	cb := newBrowser(t, ts)
	cb.signIn("city")
	other := newBrowser(t, ts)
	other.signIn("city")
	// The database beside the server: a token's last use, on a fixed day
	// (the shown date must not depend on today) and, below, a warning too old to appeal.
	seed := ts.SeedSQL(t)
	seed(`UPDATE tokens SET last_used_at = ? WHERE app_id IS NOT NULL`, time.Date(2026, 3, 10, 12, 34, 0, 0, time.UTC).UnixMilli())
	cb.view("GET", "/auth/sign_out", nil)
	cb.view("GET", "/settings/apps", nil)
	seed(`UPDATE web_sessions SET user_agent = '', ip = '192.0.2.1' WHERE user_id = ?`, city.ID)
	accountHas(t, cb.view("GET", "/settings/sessions", nil), "Unknown browser", "this browser", "/revoke")
	cb.view("GET", "/settings/export", nil)
	cb.view("GET", "/settings/account", nil)
	cb.view("GET", "/settings/strikes", nil)
	cb.view("GET", "/settings/migration", nil)
	cb.view("GET", "/settings/two_factor", nil)
	cb.view("GET", "/settings/interactions", nil)
	cb.view("GET", "/settings/profile", nil)
	accountHas(t, cb.view("GET", authQuery, nil), "Authorisation required", "admin:read") // no shared accounts
	var plain struct {
		ClientID string `json:"client_id"`
	}
	ts.JSON(t, "POST", "/api/v1/apps", "", map[string]any{"client_name": "Plain", "redirect_uris": core.OOB, "scopes": "read"}, 200, &plain)
	cb.view("GET", "/oauth/authorize?response_type=code&scope=read&redirect_uri="+url.QueryEscape(core.OOB)+"&client_id="+plain.ClientID, nil)
	// Settings forms refused: the error page (a form of this area's own is
	// not shown again by the handlers, except those below).
	cb.view("POST", "/settings/account/email", url.Values{"email": {"x@example.org"}, "current_password": {"wrong"}})
	cb.view("POST", "/settings/migration", url.Values{"acct": {"newbie@" + ts.Domain}, "current_password": {"wrong"}})
	cb.view("POST", "/settings/interactions", url.Values{"policy_reply": {"everybody"}})

	// A profile with fields, a bio and a locked, bot, discoverable
	// account; interactions set by an app (custom).
	cb.do("GET", "/settings/profile", nil)
	if code, _ := cb.do("POST", "/settings/profile", url.Values{"display_name": {`City <"Hall">`}, "note": {"Bio & <things>\nsecond line"},
		"field_name": {"Site", "Mail & more"}, "field_value": {"https://city.example", `"quoted" <v>`},
		"locked": {"1"}, "bot": {"1"}, "discoverable": {"1"}}); code != 200 {
		t.Fatalf("profile: %d", code)
	}
	cb.view("GET", "/settings/profile", nil)
	custom := model.PolicyRule{Automatic: []string{model.PolicyMentioned, model.PolicyFollowing}}
	if err := ts.Srv.Store.SetInteractionDefaults(ctx, city.ID, model.InteractionDefaults{Public: &model.InteractionPolicy{
		Favourite: custom, Reply: model.PolicyRule{Automatic: []string{model.PolicyFollowers}}, Reblog: custom, Quote: custom}}); err != nil {
		t.Fatal(err)
	}
	accountHas(t, cb.view("GET", "/settings/interactions", nil), `<option value="custom" selected>`)

	// mia: the switcher shown, acting as herself; OAuth consent with the
	// shared account to choose; an app authorised as city.
	mb := newBrowser(t, ts)
	mb.signIn("mia")
	mb.view("GET", "/settings/profile", nil)
	mb.view("GET", "/settings/delegations", nil)
	mb.view("GET", "/settings/apps", nil)
	accountHas(t, mb.view("GET", authQuery, nil), `name="act_as" value="`+fmt.Sprint(city.ID), "Act as</label>")
	form := url.Values{"decision": {"approve"}, "act_as": {fmt.Sprint(city.ID)}, "client_id": {app.ClientID},
		"redirect_uri": {core.OOB}, "scope": {"read write"}, "response_type": {"code"}}
	code, body := mb.do("POST", "/oauth/authorize", form)
	m := codeValueRe.FindStringSubmatch(body)
	if code != 200 || m == nil {
		t.Fatalf("authorise as city: %d %s", code, body)
	}
	var member struct {
		AccessToken string `json:"access_token"`
	}
	ts.JSON(t, "POST", "/oauth/token", "", map[string]any{"grant_type": "authorization_code", "code": m[1], "client_id": app.ClientID,
		"client_secret": app.ClientSecret, "redirect_uri": core.OOB}, 200, &member)
	// Acting as city: the switcher says so on every page.
	mb.do("GET", "/home", nil)
	if code, body := mb.do("POST", "/switch_account", url.Values{"account_id": {fmt.Sprint(city.ID)}}); code != 200 || !strings.Contains(body, "Acting as") {
		t.Fatalf("switch: %d", code)
	}
	if code, _ := mb.do("POST", "/statuses", url.Values{"status": {"posted as city"}, "visibility": {"public"}}); code != 200 {
		t.Fatalf("post as city: %d", code)
	}
	accountHas(t, mb.view("GET", "/settings/account", nil), "Acting as <strong>@city</strong>")
	mb.view("GET", "/settings/profile", nil)
	mb.view("GET", "/settings/sessions", nil)
	mb.view("GET", authQuery, nil)

	// city's team page: the member, the log (a post by the member, grants);
	// her apps with the team's; then a log long enough for a next page.
	accountHas(t, cb.view("GET", "/settings/apps", nil), `id="team-apps"`, "Used by member @mia", "last used")
	accountHas(t, cb.view("GET", "/settings/delegations", nil), `data-member="mia"`, "granted by @city", ">post ")
	cb.view("GET", fmt.Sprintf("/settings/delegations?member_id=%d", mia.ID), nil)
	for i := 0; i < 20; i++ {
		ts.JSON(t, "POST", "/api/v1/delegations", cityTok, map[string]any{"member": "newbie", "permissions": "post"}, 200, nil)
		ts.JSON(t, "DELETE", fmt.Sprintf("/api/v1/delegations/%d", mustAccount(t, ts, "newbie").ID), cityTok, nil, 200, nil)
	}
	page := cb.view("GET", "/settings/delegations", nil)
	if !strings.Contains(page, "max_id=") {
		t.Fatal("no next page of the log")
	}
	accountHas(t, cb.view("GET", fmt.Sprintf("/settings/delegations?member_id=%d", mustAccount(t, ts, "newbie").ID), nil),
		"&amp;member_id=", "all members</a>")
	// The console's page of an account's team.
	ab := newBrowser(t, ts)
	ab.signIn("admin1")
	ab.view("GET", fmt.Sprintf("/admin/accounts/%d/delegations", city.ID), nil)
	ab.view("GET", fmt.Sprintf("/admin/accounts/%d/delegations?member_id=%d", city.ID, mia.ID), nil)
	ab.view("GET", fmt.Sprintf("/admin/accounts/%d/delegations?max_id=999999&member_id=%d", city.ID, mustAccount(t, ts, "newbie").ID), nil)
	// Staff e-mail preferences: all three for an admin; one shown and the
	// others kept hidden for a role with Manage Reports only; none for an
	// inviter, whose settings lead to the invites.
	ab.view("GET", "/settings/account", nil)
	ab.do("POST", "/settings/account/staff_emails", url.Values{"report": {"1"}})
	ab.view("GET", "/settings/account", nil)
	rb := newBrowser(t, ts)
	rb.signIn("reporter")
	accountHas(t, rb.view("GET", "/settings/account", nil), `<input type="hidden" name="sign_up" value="1">`, `name="report" value="1" checked`)
	ib := newBrowser(t, ts)
	ib.signIn("inviter")
	accountHas(t, ib.view("GET", "/settings/profile", nil), `<a href="/admin/invites">Invites</a>`)

	// Migration: newbie lists oldie as an alias, oldie moves to newbie.
	nb := newBrowser(t, ts)
	nb.signIn("newbie")
	nb.do("GET", "/settings/migration", nil)
	if code, _ := nb.do("POST", "/settings/migration/aliases", url.Values{"acct": {"oldie@" + ts.Domain}}); code != 200 {
		t.Fatalf("alias: %d", code)
	}
	nb.view("GET", "/settings/migration", nil)
	ob := newBrowser(t, ts)
	ob.signIn("oldie")
	ob.do("GET", "/settings/migration", nil)
	if code, _ := ob.do("POST", "/settings/migration", url.Values{"acct": {"newbie@" + ts.Domain}, "current_password": {server.TestPassword}}); code != 200 {
		t.Fatalf("move: %d", code)
	}
	accountHas(t, ob.view("GET", "/settings/migration", nil), "This account has moved to")

	// Strikes: a removed post (with a content warning) and the rules of
	// the report, appealed and pending; a warning appealed and approved
	// (overruled); one rejected; one still open to appeal.
	trollTok := ts.Token(t, "troll", "read write")
	reporterTok := ts.Token(t, "city", "read write")
	var st struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", trollTok, url.Values{"status": {"you are all <idiots> & worse"}, "spoiler_text": {"rant \"here\""}}, 200, &st)
	var rep struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/reports", reporterTok, map[string]any{"account_id": fmt.Sprint(troll.ID), "status_ids": []string{st.ID},
		"rule_ids": []string{rule1.ID, rule2.ID}, "comment": "insulting"}, 200, &rep)
	ts.JSON(t, "POST", "/api/v1/admin/status_actions", adminTok, map[string]any{"type": "delete", "report_id": rep.ID,
		"text": "Insults are not allowed <here>."}, 200, nil)
	for _, text := range []string{"First warning.", "Second warning.", "Third warning."} {
		ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/action", troll.ID), adminTok, map[string]any{"type": "none", "text": text}, 200, nil)
	}
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/action", troll.ID), adminTok, map[string]any{"type": "sensitive"}, 200, nil)
	seed(`UPDATE account_warnings SET created_at = ? WHERE action = 'sensitive'`, time.Now().AddDate(0, 0, -30).UnixMilli())
	tb := newBrowser(t, ts)
	tb.signIn("troll")
	tb.view("GET", "/settings/strikes", nil)
	var ws []struct{ ID string }
	ts.JSON(t, "GET", "/api/v1/account_warnings", trollTok, nil, 200, &ws)
	if len(ws) != 5 {
		t.Fatalf("warnings: %+v", ws)
	}
	for i, text := range []string{"", "It was a joke & <nothing> more.", "Sorry.", "Really sorry."} {
		if text == "" {
			continue
		}
		tb.do("GET", "/settings/strikes", nil)
		if code, _ := tb.do("POST", "/settings/strikes/"+ws[i].ID+"/appeal", url.Values{"text": {text}}); code != 200 {
			t.Fatalf("appeal: %d", code)
		}
	}
	var as []struct {
		ID   string
		Text string
	}
	ts.JSON(t, "GET", "/api/v1/admin/appeals", adminTok, nil, 200, &as)
	ab.do("GET", "/admin/appeals", nil)
	for _, a := range as {
		switch a.Text {
		case "Sorry.":
			ab.do("POST", "/admin/appeals/"+a.ID+"/approve", url.Values{})
		case "Really sorry.":
			ab.do("POST", "/admin/appeals/"+a.ID+"/reject", url.Values{})
		}
	}
	accountHas(t, tb.view("GET", "/settings/strikes", nil), "Posts concerned", "Rules broken", "<strong>rant &#34;here&#34;</strong>",
		"Overruled", "Pending: the moderators", "Rejected: the decision", "Appeal this decision", "can no longer be appealed", "It was a joke &amp; &lt;nothing&gt; more.")
	tb.view("POST", "/settings/strikes/"+ws[1].ID+"/appeal", url.Values{"text": {"again"}})

	// Two-factor: off, set up (pending, a wrong code shown again), on (new
	// recovery codes, a wrong password shown again); then signing in asks
	// for a code, and a wrong one is shown again.
	fb := newBrowser(t, ts)
	fb.signIn("tfa")
	fb.view("GET", "/settings/two_factor", nil)
	fb.do("POST", "/settings/two_factor/setup", url.Values{})
	fb.view("GET", "/settings/two_factor", nil)
	accountHas(t, fb.view("POST", "/settings/two_factor/confirm", url.Values{"code": {"000000"}, "current_password": {server.TestPassword}}),
		`role="alert"`, "totp-secret")
	fb.do("GET", "/settings/two_factor", nil)
	secret := regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(fb.last)[1]
	totp, _ := core.TOTPCode(secret, core.TOTPStep(time.Now()))
	if _, body := fb.do("POST", "/settings/two_factor/confirm", url.Values{"code": {totp}, "current_password": {server.TestPassword}}); !strings.Contains(body, "recovery codes left") {
		t.Fatalf("two-factor not on: %s", body)
	}
	fb.view("GET", "/settings/two_factor", nil)
	fb.accountSamePageCodes("/settings/two_factor/recovery_codes", url.Values{"current_password": {server.TestPassword}})
	accountHas(t, fb.view("POST", "/settings/two_factor/recovery_codes", url.Values{"current_password": {"wrong"}}), `role="alert"`, "<strong>on</strong>")
	fb.view("POST", "/settings/two_factor/disable", url.Values{"current_password": {server.TestPassword}, "code": {"000000"}})
	sb := newBrowser(t, ts)
	sb.do("GET", "/auth/sign_in", nil)
	if _, body := sb.do("POST", "/auth/sign_in", url.Values{"username": {"tfa"}, "password": {server.TestPassword}, "return_to": {"/settings/apps"}}); !strings.Contains(body, `autocomplete="one-time-code"`) {
		t.Fatal("no second step")
	}
	sb.view("GET", "/auth/two_factor?return_to=/settings/apps", nil)
	accountHas(t, sb.view("POST", "/auth/two_factor", url.Values{"code": {"000000"}, "return_to": {"/settings/apps"}}), `role="alert"`)
}

// TestAccountViewsOpen: the same on a server that sends
// mail and reviews sign-ups (approval: a reason to give), with SSO
// offered on the sign-in page.
func TestAccountViewsOpen(t *testing.T) {
	mbox := testutil.StartMailbox(t)
	ts := server.StartTest(t, func(c *config.Config) {
		c.SMTP.Host = "127.0.0.1"
		c.SMTP.Port = mbox.Port
		c.SMTP.Security = "none"
		c.SMTP.From = "Herald <noreply@herald.test>"
		c.Registration.Mode = "approval"
	})
	ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "mod", "moderator")
	anon := newBrowser(t, ts)
	anon.view("GET", "/auth/sign_in", nil)
	anon.view("GET", "/auth/sign_up", nil)
	anon.view("GET", "/auth/password/new", nil)
	accountHas(t, anon.view("POST", "/auth/sign_up", url.Values{"username": {"bad name!"}, "email": {"bad"}, "password": {"password1"},
		"password_confirmation": {"password1"}, "reason": {"I like <b>it</b> & \"you\"\nreally"}}), "Why do you want to join?", "I like &lt;b&gt;it")
	anon.view("POST", "/auth/sign_up", url.Values{"username": {"carol"}, "email": {"carol@example.org"}, "password": {"password1"},
		"password_confirmation": {"password2"}, "reason": {"because"}, "agreement": {"1"}})
	anon.do("GET", "/auth/sign_up", nil)
	if code, _ := anon.do("POST", "/auth/sign_up", url.Values{"username": {"dave"}, "email": {"dave@example.org"}, "password": {"password1"},
		"password_confirmation": {"password1"}, "reason": {"because"}, "agreement": {"1"}}); code != 200 {
		t.Fatalf("sign-up: %d", code)
	}
	// dave waits for approval: signing in is refused with the reason.
	anon.do("GET", "/auth/sign_in", nil)
	anon.view("POST", "/auth/sign_in", url.Values{"username": {"dave"}, "password": {"password1"}})

	// Staff who get mail. (A user whose address waits for confirmation
	// cannot use the web pages: the account page's "Not confirmed yet" is
	// not shown to anyone.)
	mod := newBrowser(t, ts)
	mod.signIn("mod")
	if page := mod.view("GET", "/settings/account", nil); strings.Contains(page, "sends no mail") || !strings.Contains(page, "staff-emails") {
		t.Fatalf("staff e-mails with mail: %s", page)
	}

	s := startSSO(t)
	sso := newBrowser(t, s.ts)
	accountHas(t, sso.view("GET", "/auth/sign_in?return_to=/settings/export", nil), "Sign in with Test Provider")
	sso.view("POST", "/auth/sign_in", url.Values{"username": {"nobody"}, "password": {"wrong"}})
}

func mustAccount(t *testing.T, ts *server.TestServer, username string) *model.Account {
	t.Helper()
	a, err := ts.Srv.Svc.LocalAccount(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// accountHas fails unless page has each of wants: the state compared is
// the one meant.
func accountHas(t *testing.T, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Fatalf("the page lacks %q:\n%s", w, page)
		}
	}
}
