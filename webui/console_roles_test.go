package webui_test

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
)

var consoleTabs = []string{"/admin/accounts", "/admin/invites", "/admin/reports", "/admin/appeals", "/admin/federation",
	"/admin/blocks", "/admin/settings", "/admin/rules", "/admin/announcements", "/admin/roles", "/admin/webhooks", "/admin/audit"}

// TestConsoleShowsEachRoleWhatItMayUse: for the owner, an admin, a
// moderator and a custom role with one permission, the console's
// navigation lists exactly the areas the role opens, the others answer
// 403 with a page inside the console (its navigation, the permission
// missing), and a refused form keeps what was typed.
func TestConsoleShowsEachRoleWhatItMayUse(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	admin := ts.CreateUser(t, "admin1", "admin")
	ts.CreateUser(t, "mod1", "moderator")
	ownerTok := ts.Token(t, "owner1", "admin:read admin:write")
	giveRole(t, ts, ownerTok, "rules1", core.PermManageRules)
	giveRole(t, ts, ownerTok, "inviter1", core.PermInviteUsers)

	all := map[string]bool{}
	for _, p := range consoleTabs {
		all[p] = true
	}
	open := map[string]map[string]bool{
		"owner1": all,
		"admin1": all,
		"mod1":   {"/admin/accounts": true, "/admin/reports": true, "/admin/audit": true},
		"rules1": {"/admin/rules": true},
	}
	for user, want := range open {
		b := newBrowser(t, ts)
		b.signIn(user)
		code, dash := b.do("GET", "/admin", nil)
		if code != 200 {
			t.Fatalf("%s: console %d", user, code)
		}
		for _, p := range consoleTabs {
			if shown := strings.Contains(dash, `href="`+p+`"`); shown != want[p] {
				t.Errorf("%s: navigation shows %s: %v, want %v", user, p, shown, want[p])
			}
			code, body := b.do("GET", p, nil)
			if want[p] && code != 200 {
				t.Errorf("%s: GET %s = %d, want 200", user, p, code)
			}
			if !want[p] {
				if code != 403 || !strings.Contains(body, `aria-label="Administration"`) || !strings.Contains(body, "Not allowed") {
					t.Errorf("%s: GET %s = %d, want 403 inside the console: %.300s", user, p, code, body)
				}
			}
		}
	}

	// The moderator's refusal of the settings names the permission, and
	// a settings form posted anyway changes nothing.
	mod := newBrowser(t, ts)
	mod.signIn("mod1")
	_, body := mod.do("GET", "/admin/settings", nil)
	if !strings.Contains(html.UnescapeString(body), "“Manage settings”") || !strings.Contains(body, `href="/admin/reports"`) {
		t.Errorf("refusal page: %.600s", body)
	}
	mod.do("GET", "/admin", nil)
	if code, _ := mod.do("POST", "/admin/settings", url.Values{"title": {"Taken over"}}); code != 403 {
		t.Errorf("moderator's settings form: %d", code)
	}
	var inst struct{ Title string }
	ts.JSON(t, "GET", "/api/v2/instance", "", nil, 200, &inst)
	if inst.Title == "Taken over" {
		t.Fatal("a moderator changed the settings")
	}
	// Invites open to a user who may only invite (not staff: no other
	// area), and to no moderator (a console page, not a bare 403).
	inv := newBrowser(t, ts)
	inv.signIn("inviter1")
	if code, body := inv.do("GET", "/admin/invites", nil); code != 200 || strings.Contains(body, `href="/admin/reports"`) {
		t.Errorf("inviter's invites page: %d", code)
	}
	if code, body := inv.do("GET", "/admin/reports", nil); code != 403 || !strings.Contains(body, `href="/admin/invites"`) {
		t.Errorf("inviter's reports: %d", code)
	}
	if _, body := inv.do("GET", "/settings/profile", nil); !strings.Contains(body, `href="/admin/invites"`) {
		t.Error("the settings do not lead an inviter to the invites")
	}
	if _, body := inv.do("GET", "/admin/invites", nil); strings.Contains(body, `id="role"`) {
		t.Error("an inviter without Manage Roles gets an (empty) role menu")
	}
	if code, _ := inv.do("POST", "/admin/invites", url.Values{"max_uses": {"1"}, "expires_in_hours": {"24"}, "comment": {"for a colleague"}}); code != 200 {
		t.Errorf("inviter's invite: %d", code)
	}

	// The moderator's account page: moderation, no role menu, no
	// account recovery (Manage Roles, Manage User Access); the admin's
	// has both.
	target := ts.CreateUser(t, "someone", "user")
	acc := fmt.Sprintf("/admin/accounts/%d", target.ID)
	_, body = mod.do("GET", acc, nil)
	if !strings.Contains(body, acc+"/action") || strings.Contains(body, acc+"/role") || strings.Contains(body, acc+"/reset_password") {
		t.Errorf("moderator's account page: action %v, role %v, recovery %v", strings.Contains(body, acc+"/action"),
			strings.Contains(body, acc+"/role"), strings.Contains(body, acc+"/reset_password"))
	}
	adm := newBrowser(t, ts)
	adm.signIn("admin1")
	_, body = adm.do("GET", acc, nil)
	if !strings.Contains(body, acc+"/role") || !strings.Contains(body, acc+"/reset_password") {
		t.Error("admin's account page lacks the role menu or account recovery")
	}

	// A refused action keeps the input: the moderator acts on the admin
	// (who outranks them) and gets the account page again with the error,
	// the chosen action and the typed message.
	adminAcc := fmt.Sprintf("/admin/accounts/%d", admin.ID)
	mod.do("GET", adminAcc, nil)
	code, body := mod.do("POST", adminAcc+"/action", url.Values{"type": {"silence"}, "text": {"Typed with care"}})
	if code != 403 || !strings.Contains(body, "form-error") || !strings.Contains(body, ">Typed with care</textarea>") ||
		!strings.Contains(body, `<option value="silence" selected>`) {
		t.Errorf("refused action: %d, input kept: %v", code, strings.Contains(body, "Typed with care"))
	}
	// An admin may not invite to the owner role: refused on the page,
	// the note kept.
	adm.do("GET", "/admin/invites", nil)
	code, body = adm.do("POST", "/admin/invites", url.Values{"role": {"owner"}, "max_uses": {"1"}, "expires_in_hours": {"24"}, "comment": {"for the mayor"}})
	if code != 403 || !strings.Contains(body, "form-error") || !strings.Contains(body, `value="for the mayor"`) {
		t.Errorf("refused invite: %d, note kept: %v", code, strings.Contains(body, "for the mayor"))
	}
	// An admin may not give the owner role: refused on the page, the
	// choice kept.
	adm.do("GET", acc, nil)
	code, body = adm.do("POST", acc+"/role", url.Values{"role_id": {"3"}})
	if code != 403 || !strings.Contains(body, "form-error") || !strings.Contains(body, `<option value="3" selected>`) {
		t.Errorf("refused role change: %d", code)
	}
}

// TestRoleEditor: the console creates, edits and deletes custom roles with
// their permissions, rank, colour and badge, within the editor's limits
// (roles below their own, permissions they hold); the owner role is
// fixed; the everyone role holds only Invite Users; a highlighted role is
// a badge on its users' profiles.
func TestRoleEditor(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "admin1", "admin")
	member := ts.CreateUser(t, "member", "user")
	b := newBrowser(t, ts)
	b.signIn("admin1")

	_, body := b.do("GET", "/admin/roles", nil)
	for _, want := range []string{"Owner", "Admin", "Moderator", "User (no staff role)", `name="permissions" value="manage_reports"`} {
		if !strings.Contains(body, want) {
			t.Errorf("roles page lacks %q", want)
		}
	}
	// Administrator is not the admin's to give: its box is disabled.
	if !regexp.MustCompile(`value="administrator"[^>]*disabled`).MatchString(body) {
		t.Error("the Administrator permission can be ticked by an admin")
	}
	// A role at the admin's own rank (100) is refused, the form kept.
	form := url.Values{"name": {"Press office"}, "color": {"#aa3300"}, "position": {"100"}, "permissions": {"manage_reports", "manage_rules"}, "highlighted": {"1"}}
	code, body := b.do("POST", "/admin/roles", form)
	if code != 403 || !strings.Contains(body, "form-error") || !strings.Contains(body, `value="Press office"`) ||
		!regexp.MustCompile(`value="manage_rules" checked`).MatchString(body) {
		t.Fatalf("role at own rank: %d %.300s", code, body)
	}
	// A permission the admin lacks, sent anyway, is refused.
	form.Set("position", "50")
	form["permissions"] = []string{"manage_reports", "administrator"}
	if code, _ := b.do("POST", "/admin/roles", form); code != 403 {
		t.Fatalf("granting administrator: %d", code)
	}
	form["permissions"] = []string{"manage_reports", "manage_rules"}
	form.Set("color", "red")
	if code, body := b.do("POST", "/admin/roles", form); code != 422 || !strings.Contains(body, "hex format") {
		t.Fatalf("bad colour: %d", code)
	}
	form.Set("color", "#aa3300")
	if code, _ := b.do("POST", "/admin/roles", form); code != 200 {
		t.Fatalf("create role: %d", code)
	}
	ownerTok := ts.Token(t, "admin1", "admin:read admin:write")
	var roles []struct {
		ID, Name, Color, Permissions string
		Position                     int
		Highlighted                  bool
	}
	ts.JSON(t, "GET", "/api/v1/admin/roles", ownerTok, nil, 200, &roles)
	var id string
	for _, r := range roles {
		if r.Name == "Press office" {
			id = r.ID
			if r.Color != "#aa3300" || r.Position != 50 || !r.Highlighted || r.Permissions != fmt.Sprint(uint64(core.PermManageReports|core.PermManageRules)) {
				t.Fatalf("created role: %+v", r)
			}
		}
	}
	if id == "" {
		t.Fatalf("role not created: %+v", roles)
	}
	// Edit: rename, drop a permission.
	b.do("GET", "/admin/roles/"+id, nil)
	if code, _ := b.do("POST", "/admin/roles/"+id+"/update", url.Values{"name": {"Communications"}, "color": {""}, "position": {"40"},
		"permissions": {"manage_reports"}, "highlighted": {"1"}}); code != 200 {
		t.Fatalf("update role: %d", code)
	}
	// Its user gets it and shows its badge on the public profile.
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/role", member.ID), ownerTok, map[string]any{"role_id": id}, 200, nil)
	if _, body := newBrowser(t, ts).do("GET", "/@member", nil); !strings.Contains(body, `class="role-badge"`) || !strings.Contains(body, "Communications") {
		t.Error("the highlighted role is not a badge on the profile")
	}
	m := newBrowser(t, ts)
	m.signIn("member")
	if code, _ := m.do("GET", "/admin/reports", nil); code != 200 {
		t.Errorf("the role's user cannot open reports: %d", code)
	}
	if code, _ := m.do("GET", "/admin/rules", nil); code != 403 {
		t.Errorf("the dropped permission still opens rules: %d", code)
	}

	// Fixed roles: the owner's cannot be edited, the admin's own rank
	// neither; the everyone role offers Invite Users only.
	_, body = b.do("GET", "/admin/roles/3", nil)
	if strings.Contains(body, `action="/admin/roles/3/update"`) || !strings.Contains(body, "cannot be changed") {
		t.Error("the owner role is editable")
	}
	if code, _ := b.do("POST", "/admin/roles/2/update", url.Values{"name": {"Boss"}, "position": {"1"}}); code != 403 {
		t.Errorf("admin edits their own role: %d", code)
	}
	_, body = b.do("GET", "/admin/roles/-99", nil)
	if n := strings.Count(body, `name="permissions"`); n != 1 || !strings.Contains(body, `value="invite_users"`) || strings.Contains(body, `name="name"`) {
		t.Errorf("everyone role form: %d permission boxes", n)
	}
	// Delete: the user loses the role.
	b.do("GET", "/admin/roles/"+id, nil)
	if code, _ := b.do("POST", "/admin/roles/"+id+"/delete", url.Values{}); code != 200 {
		t.Fatalf("delete role: %d", code)
	}
	if code, _ := m.do("GET", "/admin/reports", nil); code != 403 {
		t.Errorf("reports after the role was deleted: %d", code)
	}
}

// TestAccountRecovery: staff with Manage User Access reset a user's
// password (mailed when mail is set up, else a one-time link on the page)
// and turn off their two-factor authentication after confirming they
// checked the person's identity; both end the user's sessions or second
// factor, are audited, and are refused to a moderator.
func TestAccountRecovery(t *testing.T) {
	for _, mailed := range []bool{false, true} {
		t.Run(fmt.Sprintf("mail=%v", mailed), func(t *testing.T) {
			var mb *testutil.Mailbox
			var opts []func(*config.Config)
			if mailed {
				mb = testutil.StartMailbox(t)
				opts = append(opts, func(c *config.Config) {
					c.SMTP.Host, c.SMTP.Port, c.SMTP.Security, c.SMTP.From = "127.0.0.1", mb.Port, "none", "Herald <noreply@herald.test>"
				})
			}
			ts := server.StartTest(t, opts...)
			ts.CreateUser(t, "admin1", "admin")
			ts.CreateUser(t, "mod1", "moderator")
			alice := ts.CreateUser(t, "alice", "user")
			aliceTok := ts.Token(t, "alice", "read")
			acc := fmt.Sprintf("/admin/accounts/%d", alice.ID)

			mod := newBrowser(t, ts)
			mod.signIn("mod1")
			mod.do("GET", acc, nil)
			if code, _ := mod.do("POST", acc+"/reset_password", url.Values{}); code != 403 {
				t.Errorf("moderator resets a password: %d", code)
			}

			b := newBrowser(t, ts)
			b.signIn("admin1")
			b.do("GET", acc, nil)
			code, body := b.do("POST", acc+"/reset_password", url.Values{})
			if code != 200 {
				t.Fatalf("reset: %d", code)
			}
			var link string
			if mailed {
				m := mb.Wait(t, "alice@", "Reset your password")
				link = regexp.MustCompile(`https?://\S+`).FindString(m.Body)
				if !strings.Contains(body, "mailed to alice@") {
					t.Errorf("no word of the mail: %.300s", body)
				}
			} else {
				mm := regexp.MustCompile(`value="(https?://[^"]+/auth/password/edit\?reset_password_token=[^"]+)"`).FindStringSubmatch(body)
				if mm == nil {
					t.Fatalf("no one-time link on the page: %.500s", body)
				}
				link = html.UnescapeString(mm[1])
			}
			// The old credentials are gone.
			ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", aliceTok, nil, 401, nil)
			u := newBrowser(t, ts)
			u.do("GET", "/auth/sign_in", nil)
			if _, body := u.do("POST", "/auth/sign_in", url.Values{"username": {"alice"}, "password": {server.TestPassword}}); strings.Contains(body, "Sign out") {
				t.Fatal("the old password still works")
			}
			// The link sets a new one.
			path := strings.TrimPrefix(link, ts.URL)
			u.do("GET", path, nil)
			tok := regexp.MustCompile(`reset_password_token=([^&"]+)`).FindStringSubmatch(path)[1]
			tokv, _ := url.QueryUnescape(tok)
			if code, _ := u.do("POST", "/auth/password", url.Values{"reset_password_token": {tokv}, "password": {"a new long password 1"},
				"password_confirmation": {"a new long password 1"}}); code != 200 {
				t.Fatalf("new password: %d %.300s", code, u.last)
			}
			u.do("GET", "/auth/sign_in", nil)
			if _, body := u.do("POST", "/auth/sign_in", url.Values{"username": {"alice"}, "password": {"a new long password 1"}}); !strings.Contains(body, "Sign out") {
				t.Fatal("the new password does not work")
			}

			// Two-factor: on; turned off only with the identity check.
			enableTwoFactorFor(t, ts, "alice", "a new long password 1")
			_, body = b.do("GET", acc, nil)
			if !strings.Contains(body, acc+"/disable_2fa") {
				t.Fatal("no way to turn off two-factor on the account page")
			}
			b.do("GET", acc+"/disable_2fa", nil)
			code, body = b.do("POST", acc+"/disable_2fa", url.Values{})
			if code != 422 || !strings.Contains(body, "checked the identity") {
				t.Fatalf("without the identity check: %d", code)
			}
			if on, _ := ts.Srv.Svc.TwoFactorEnabled(context.Background(), alice.ID); !on {
				t.Fatal("two-factor turned off without the identity check")
			}
			if code, _ := b.do("POST", acc+"/disable_2fa", url.Values{"identity_checked": {"1"}}); code != 200 {
				t.Fatalf("disable 2fa: %d", code)
			}
			if on, _ := ts.Srv.Svc.TwoFactorEnabled(context.Background(), alice.ID); on {
				t.Fatal("two-factor still on")
			}
			if mailed {
				mb.Wait(t, "alice@", "Two-factor authentication turned off")
			}
			_, audit := b.do("GET", "/admin/audit", nil)
			for _, want := range []string{"Reset the password of a user", "Turned off the two-factor authentication of a user"} {
				if !strings.Contains(audit, want) {
					t.Errorf("audit log lacks %q", want)
				}
			}
		})
	}
}

// enableTwoFactorFor turns two-factor authentication on for a user through
// core, as the settings page does.
func enableTwoFactorFor(t *testing.T, ts *server.TestServer, username, password string) {
	t.Helper()
	ctx := context.Background()
	cl, err := ts.Srv.Svc.CallerByToken(ctx, ts.Token(t, username, "read"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := ts.Srv.Svc.BeginTwoFactor(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := core.TOTPCode(st.Secret, core.TOTPStep(time.Now()))
	if _, err := ts.Srv.Svc.ConfirmTwoFactor(ctx, cl, password, code); err != nil {
		t.Fatal(err)
	}
}

// A role with Manage User Access alone (not Manage Users nor Manage
// Reports) finds the user who asks for help and recovers their access on
// the account page: the recovery buttons (password reset, e-mail
// confirmation), none of the moderation nor the role menu; the admin API
// agrees (the account is readable, moderation refused).
func TestConsoleManageUserAccessAlone(t *testing.T) {
	mb := testutil.StartMailbox(t)
	ts := server.StartTest(t, func(c *config.Config) {
		c.SMTP.Host, c.SMTP.Port, c.SMTP.Security, c.SMTP.From = "127.0.0.1", mb.Port, "none", "Herald <noreply@herald.test>"
		c.Registration.Mode = "open"
	})
	ts.CreateUser(t, "owner1", "owner")
	ownerTok := ts.Token(t, "owner1", "admin:read admin:write")
	giveRole(t, ts, ownerTok, "helpdesk", core.PermManageUserAccess)

	// A newcomer whose address waits for confirmation.
	nb := newBrowser(t, ts)
	nb.do("GET", "/auth/sign_up", nil)
	nb.do("POST", "/auth/sign_up", url.Values{"username": {"newbie"}, "email": {"newbie@example.org"}, "password": {"a long password 1"},
		"password_confirmation": {"a long password 1"}, "agreement": {"1"}})
	mb.Wait(t, "newbie@example.org", "Confirm your e-mail address")
	newbie, err := ts.Srv.Svc.LocalAccount(t.Context(), "newbie")
	if err != nil {
		t.Fatal(err)
	}
	acc := fmt.Sprintf("/admin/accounts/%d", newbie.ID)

	b := newBrowser(t, ts)
	b.signIn("helpdesk")
	_, dash := b.do("GET", "/admin", nil)
	for _, p := range consoleTabs {
		if shown := strings.Contains(dash, `href="`+p+`"`); shown != (p == "/admin/accounts") {
			t.Errorf("navigation shows %s: %v", p, shown)
		}
	}
	if code, body := b.do("GET", "/admin/accounts?q=newbie", nil); code != 200 || !strings.Contains(body, `href="`+acc+`"`) {
		t.Fatalf("accounts list: %d, links to newbie: %v", code, strings.Contains(body, acc))
	}
	code, body := b.do("GET", acc, nil)
	if code != 200 {
		t.Fatalf("account page: %d", code)
	}
	for _, want := range []string{acc + "/reset_password", acc + "/confirm", acc + "/resend_confirmation"} {
		if !strings.Contains(body, `action="`+want+`"`) {
			t.Errorf("account page lacks %s", want)
		}
	}
	for _, not := range []string{acc + "/action", acc + "/role", acc + "/approve", "/export", "/delegations"} {
		if strings.Contains(body, not+`"`) {
			t.Errorf("account page offers %s", not)
		}
	}
	if code, _ := b.do("POST", acc+"/resend_confirmation", url.Values{}); code != 200 {
		t.Fatalf("resend confirmation: %d", code)
	}
	mb.Wait(t, "newbie@example.org", "Confirm your e-mail address")
	b.do("GET", acc, nil)
	if code, body := b.do("POST", acc+"/confirm", url.Values{}); code != 200 || strings.Contains(body, acc+"/confirm\"") {
		t.Fatalf("confirm: %d", code)
	}
	b.do("GET", acc, nil)
	if code, _ := b.do("POST", acc+"/confirm", url.Values{}); code != 422 {
		t.Errorf("confirming again: %d, want 422", code)
	}
	b.do("GET", acc, nil)
	if code, _ := b.do("POST", acc+"/action", url.Values{"type": {"silence"}}); code != 403 {
		t.Errorf("moderation action: %d, want 403", code)
	}
	b.do("GET", acc, nil)
	if code, _ := b.do("POST", acc+"/reset_password", url.Values{}); code != 200 {
		t.Errorf("password reset: %d", code)
	}
	mb.Wait(t, "newbie@example.org", "Reset your password")

	// The admin API: the same rules.
	tok := ts.Token(t, "helpdesk", "admin:read admin:write")
	var got struct {
		Username  string
		Confirmed bool
	}
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/admin/accounts/%d", newbie.ID), tok, nil, 200, &got)
	if got.Username != "newbie" || !got.Confirmed {
		t.Errorf("admin API account: %+v", got)
	}
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/action", newbie.ID), tok, map[string]any{"type": "silence"}, 403, nil)
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/approve", newbie.ID), tok, nil, 403, nil)
}
