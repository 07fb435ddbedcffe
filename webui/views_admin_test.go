package webui_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
)

// adminPost sends a console form that must succeed (the page it leads
// to answers 200), after a page that carries the CSRF token.
func (b *browser) adminPost(path string, form url.Values) string {
	b.t.Helper()
	b.do("GET", "/settings/profile", nil)
	st, body := b.do("POST", path, form)
	if st != 200 {
		b.t.Fatalf("POST %s: %d %.500s", path, st, body)
	}
	return body
}

// sameRefusal is samePage for a form the console refuses: the page comes
// back with status want and the error shown.
func (b *browser) sameRefusal(path string, form url.Values, want int, msg string) string {
	b.t.Helper()
	b.do("GET", "/settings/profile", nil)
	body := b.view("POST", path, form)
	st, _ := b.do("POST", path, form)
	if st != want || !strings.Contains(body, `role="alert">`) || !strings.Contains(body, msg) {
		b.t.Fatalf("POST %s: %d (want %d), error %q shown: %v\n%s", path, st, want, msg, strings.Contains(body, msg), body)
	}
	return body
}

// sameMasked is view for a page that carries a value made anew at each
// request (a one-time link), which mask finds.
func (b *browser) sameMasked(method, path string, form url.Values, mask *regexp.Regexp) string {
	b.t.Helper()
	now := b.view(method, path, form)
	if !mask.MatchString(now) {
		b.t.Fatalf("%s %s: nothing to mask", method, path)
	}
	return now
}

// shows fails unless body has each of parts: the states the comparison
// is meant to cover are there.
func shows(t *testing.T, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Errorf("the page does not show %q", p)
		}
	}
}

// sameUpload is samePage for a form that sends a file (multipart): the
// console's CSV import.
func (b *browser) sameUpload(path, field, filename, content string) string {
	b.t.Helper()
	b.do("GET", "/settings/profile", nil)
	tok := b.csrf()
	send := func() (int, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("authenticity_token", tok)
		fw, _ := mw.CreateFormFile(field, filename)
		io.WriteString(fw, content)
		mw.Close()
		req, _ := http.NewRequest("POST", b.ts.URL+path, &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Accept", "text/html")
		resp, err := b.c.Do(req)
		if err != nil {
			b.t.Fatalf("POST %s: %v", path, err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	st, now := send()
	if st != 200 || strings.Contains(now, "%!") {
		b.t.Fatalf("POST %s: %d\n%s", path, st, now)
	}
	return now
}

// TestAdminViews: the console's accounts, moderation,
// invites, announcements, blocks, federation and audit pages written in
// Go render for the owner and for roles that see only
// part of them, with data, empty, and with refused forms shown again.
func TestAdminViews(t *testing.T) {
	mb := testutil.StartMailbox(t)
	ts := server.StartTest(t, func(c *config.Config) {
		c.SMTP.Host, c.SMTP.Port, c.SMTP.Security, c.SMTP.From = "127.0.0.1", mb.Port, "none", "Herald <noreply@herald.test>"
		c.Registration.Mode = "approval"
		c.Federation.BlockedDomains = []string{"cfg-blocked.example"}
		c.Federation.SilencedDomains = []string{"cfg-silenced.example"}
		c.Federation.RejectMediaDomains = []string{"cfg-nomedia.example"}
		c.Federation.AllowedDomains = []string{"cfg-allowed.example"}
	})
	ctx := t.Context()
	owner := ts.CreateUser(t, "owner1", "owner")
	ownerTok := ts.Token(t, "owner1", "admin:read admin:write")
	giveRole(t, ts, ownerTok, "partial1", core.PermManageReports|core.PermManageAppeals|core.PermInviteUsers|core.PermViewAuditLog)
	giveRole(t, ts, ownerTok, "manager1", core.PermManageUsers|core.PermManageRoles|core.PermViewDashboard|core.PermManageInvites|
		core.PermManageFederation|core.PermManageBlocks|core.PermManageAnnouncements)
	giveRole(t, ts, ownerTok, "helpdesk1", core.PermManageUserAccess)
	alice := ts.CreateUser(t, "alice", "user")
	bob := ts.CreateUser(t, "bob", "user")
	aliceTok := ts.Token(t, "alice", "read write")
	rob := &model.Account{Username: "rob", Domain: "remote.example", DisplayName: "Rob <the> \"remote\" & co",
		URI: "https://remote.example/users/rob", URL: "https://remote.example/@rob", InboxURL: "https://remote.example/users/rob/inbox"}
	if err := ts.Srv.Store.UpsertRemoteAccount(ctx, rob); err != nil {
		t.Fatal(err)
	}

	// Alice signs in (an address and a last sign-in), posts, and is
	// moderated: warned, her post removed, media forced sensitive and
	// limited; she appeals three decisions, one is approved.
	ab := newBrowser(t, ts)
	ab.do("GET", "/auth/sign_in", nil)
	ab.do("POST", "/auth/sign_in", url.Values{"username": {"alice"}, "password": {server.TestPassword}})
	enableTwoFactorFor(t, ts, "alice", server.TestPassword)
	var st struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", aliceTok, map[string]any{"status": "a <b>bad</b> post & more"}, 200, &st)
	accAction := func(id int64, typ, text string) {
		ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/action", id), ownerTok, map[string]any{"type": typ, "text": text}, 200, nil)
	}
	accAction(alice.ID, "none", "Mind the <rules> & \"manners\"")
	ts.JSON(t, "POST", "/api/v1/admin/status_actions", ownerTok, map[string]any{"type": "delete", "status_ids": []string{st.ID},
		"text": "Removed."}, 200, nil)
	accAction(alice.ID, "sensitive", "")
	accAction(alice.ID, "silence", "Too loud.")
	var warns []struct{ ID, Action string }
	ts.JSON(t, "GET", "/api/v1/account_warnings", aliceTok, nil, 200, &warns)
	appealIDs := map[string]string{}
	for _, w := range warns {
		if w.Action == "sensitive" {
			continue
		}
		ts.JSON(t, "POST", "/api/v1/account_warnings/"+w.ID+"/appeal", aliceTok, map[string]string{"text": "I <disagree> with " + w.Action}, 200, nil)
	}
	var appeals []struct {
		ID      string
		Warning struct{ Action string }
	}
	ts.JSON(t, "GET", "/api/v1/admin/appeals", ownerTok, nil, 200, &appeals)
	for _, ap := range appeals {
		appealIDs[ap.Warning.Action] = ap.ID
	}
	// Bob is disabled and suspended; Rob (remote) suspended.
	accAction(bob.ID, "disable", "")
	accAction(bob.ID, "suspend", "Gone.")
	accAction(rob.ID, "suspend", "")
	// A sign-up waiting for approval, its address not confirmed.
	nb := newBrowser(t, ts)
	nb.do("GET", "/auth/sign_up", nil)
	nb.do("POST", "/auth/sign_up", url.Values{"username": {"newbie"}, "email": {"newbie@example.org"}, "password": {"a long password 1"},
		"password_confirmation": {"a long password 1"}, "agreement": {"1"}, "reason": {"I like <b>this</b> & that"}})
	newbie, err := ts.Srv.Svc.LocalAccount(ctx, "newbie")
	if err != nil {
		t.Fatal(err)
	}

	// An invite made on the command line (no one signed in).
	if _, err := ts.Srv.Svc.CreateInvite(ctx, nil, core.InviteParams{Comment: "from the shell"}); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, ts)
	b.signIn("owner1")
	acct := func(id int64) string { return fmt.Sprintf("/admin/accounts/%d", id) }
	// The decisions of the appeals: the warning's one approved, the
	// removal's one left pending, the limit's one rejected later.
	b.adminPost("/admin/appeals/"+appealIDs["none"]+"/approve", url.Values{})

	// Console content made through its forms.
	b.adminPost("/admin/federation/block", url.Values{"domain": {"spam.example"}, "severity": {"suspend"}, "reject_media": {"1"},
		"reject_reports": {"1"}, "public_comment": {"Spam <&> \"spam\""}, "private_comment": {"Seen 'often'"}, "obfuscate": {"1"}})
	b.adminPost("/admin/federation/block", url.Values{"domain": {"quiet.example"}, "severity": {"silence"}})
	b.adminPost("/admin/federation/allow", url.Values{"domain": {"friend.example"}})
	b.adminPost("/admin/blocks/ip", url.Values{"ip": {"192.0.2.0/24"}, "severity": {"no_access"}, "expires_in_days": {"3"}, "comment": {"Bots <here>"}})
	b.adminPost("/admin/blocks/ip", url.Values{"ip": {"198.51.100.7"}, "severity": {"sign_up_block"}, "expires_in_days": {"0"}})
	b.adminPost("/admin/blocks/email", url.Values{"domain": {"mail.example"}, "allow_with_approval": {"1"}})
	b.adminPost("/admin/blocks/email", url.Values{"domain": {"junk.example"}})
	b.adminPost("/admin/announcements/create", url.Values{"text": {"Hello **all** <script>x</script> & friends"}, "published": {"1"}})
	b.adminPost("/admin/announcements/create", url.Values{"text": {"A draft"}})
	b.adminPost("/admin/invites", url.Values{"max_uses": {"5"}, "expires_in_hours": {"168"}, "role": {"moderator"}, "comment": {"For <the> team"}})
	b.adminPost("/admin/invites", url.Values{"max_uses": {"0"}, "expires_in_hours": {"0"}})
	b.adminPost("/admin/invites", url.Values{"max_uses": {"1"}, "expires_in_hours": {"24"}, "comment": {"revoked"}})
	var invs []struct{ ID, Comment string }
	ts.JSON(t, "GET", "/api/v1/admin/invites", ownerTok, nil, 200, &invs)
	for _, i := range invs {
		if i.Comment == "revoked" {
			b.adminPost("/admin/invites/"+i.ID+"/revoke", url.Values{})
		}
	}

	t.Run("owner", func(t *testing.T) {
		b.t = t
		shows(t, b.view("GET", "/admin", nil), "The last 30 days", `href="/admin/reports"`)
		for _, q := range []string{"", "?origin=remote", "?status=pending", "?status=suspended&q=bo", "?q=%3Cx%3E&email=%22none%22&status=sensitized"} {
			b.view("GET", "/admin/accounts"+q, nil)
		}
		shows(t, b.view("GET", acct(alice.ID), nil), "Addresses", "Last sign-in", "Limited", "Lift limit", "Undo force-sensitive",
			"Two-factor authentication: on.", "/disable_2fa", "Pending appeals", "overruled", "Change role", "mailed to alice@", "Team access")
		shows(t, b.view("GET", acct(bob.ID), nil), "Enable login", "Unsuspend", "login disabled", "Two-factor authentication: off.")
		rb := b.view("GET", acct(rob.ID), nil)
		shows(t, rb, "Unsuspend", "Rob &lt;the&gt; &#34;remote&#34; &amp; co", "https://remote.example/@rob")
		if strings.Contains(rb, "Account recovery") || strings.Contains(rb, "Change role") {
			t.Error("recovery or roles for a remote account")
		}
		shows(t, b.view("GET", acct(newbie.ID), nil), "Approve", "Reject", "Reason given", "waiting for approval", "(not confirmed)",
			"Resend the confirmation link")
		b.view("GET", acct(owner.ID), nil)
		shows(t, b.view("GET", acct(alice.ID)+"?report_id=42", nil), `name="report_id" value="42"`)
		b.view("GET", acct(alice.ID)+"/disable_2fa", nil)
		shows(t, b.view("GET", "/admin/appeals", nil), "Removed posts do not come back", `class="strike-post"`, "Moderator's explanation")
		shows(t, b.view("GET", "/admin/appeals?decided=1", nil), `<span class="badge">approved</span>`)
		shows(t, b.view("GET", "/admin/audit", nil), "@owner1", "command line")
		shows(t, b.view("GET", "/admin/blocks", nil), "Bots &lt;here&gt;", "never", " (approval)")
		shows(t, b.view("GET", "/admin/federation", nil), "obfuscated in public", "cfg-blocked.example", "no media", "friend.example")
		shows(t, b.view("GET", "/admin/announcements", nil), "Unpublish", "Draft")
		shows(t, b.view("GET", "/admin/invites", nil), "For &lt;the&gt; team", " / 5", "Revoke")
		shows(t, b.view("GET", "/admin/invites?all=1", nil), "(inactive)")
		body := b.view("GET", "/admin/federation", nil)
		id := regexp.MustCompile(`/admin/federation/blocks/(\d+)">spam\.example`).FindStringSubmatch(body)
		if id == nil {
			t.Fatalf("no block of spam.example: %s", body)
		}
		b.view("GET", "/admin/federation/blocks/"+id[1], nil)

		// Refused forms come back with what was typed.
		b.sameRefusal(acct(alice.ID)+"/approve", url.Values{}, 403, "not pending approval")
		shows(t, b.sameRefusal(acct(alice.ID)+"/action", url.Values{"type": {"bogus"}, "text": {"Typed <text> & \"more\""}, "send_email": {"1"},
			"report_id": {""}}, 422, "Type must be"), "Typed &lt;text&gt; &amp; &#34;more&#34;</textarea>", `value="1" checked`)
		b.sameRefusal(acct(alice.ID)+"/role", url.Values{"role_id": {"nosuch"}}, 422, "Role does not exist")
		b.sameRefusal(acct(rob.ID)+"/enable", url.Values{}, 403, "Only local accounts")
		b.sameRefusal(acct(alice.ID)+"/disable_2fa", url.Values{}, 422, "")
		b.sameRefusal("/admin/federation/blocks/"+id[1], url.Values{"severity": {"bogus"}, "public_comment": {"typed <public>"},
			"private_comment": {"typed\n'private'"}, "reject_media": {"1"}}, 422, "Severity must be")
		b.sameRefusal("/admin/federation/block", url.Values{"domain": {"not a domain"}, "severity": {"noop"}, "reject_reports": {"1"},
			"obfuscate": {"1"}, "public_comment": {"p <1>"}, "private_comment": {"p \"2\""}}, 422, "not a valid domain")
		b.sameRefusal("/admin/federation/allow", url.Values{"domain": {"bad domain"}}, 422, "not a valid domain")
		b.sameRefusal("/admin/federation/import", url.Values{}, 422, "Choose a CSV file")
		b.sameRefusal("/admin/blocks/ip", url.Values{"ip": {"not-an-ip"}, "severity": {"sign_up_block"}, "expires_in_days": {"7"},
			"comment": {"typed <comment>"}}, 422, "Ip is invalid")
		b.sameRefusal("/admin/blocks/email", url.Values{"domain": {"bad domain"}, "allow_with_approval": {"1"}}, 422, "not a valid domain")
		b.sameRefusal("/admin/announcements/create", url.Values{"text": {"  "}}, 422, "can&#39;t be blank")
		b.sameRefusal("/admin/invites", url.Values{"max_uses": {"1"}, "expires_in_hours": {"24"}, "role": {"nosuch"},
			"comment": {"typed <note>"}}, 422, "Role does not exist")

		// An import file's preview, shown again when nothing was chosen.
		csv := "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n" +
			"new-one.example,suspend,true,true,Bad <actors> & co,true\n" +
			"new-two.example,silence,false,false,,false\n" +
			"spam.example,suspend,false,false,,false\n" +
			"sub.quiet.example,silence,false,false,,false\n" +
			"bad domain,suspend,false,false,,false\n" +
			"worse.example,sometimes,false,false,,false\n"
		shows(t, b.sameRefusal("/admin/federation/import", url.Values{"apply": {"1"}, "source": {"list <1>.csv"}, "csv": {csv}}, 422, "Choose the domains"),
			"Lines that cannot be imported", "covered by the block of quiet.example", "— blocked", "obfuscated", "no reports")
		shows(t, b.sameUpload("/admin/federation/import", "file", "list <2>.csv", csv), "From list &lt;2&gt;.csv", "Block the chosen domains")
		nothing := "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\nspam.example,suspend,false,false,,false\n"
		shows(t, b.sameRefusal("/admin/federation/import", url.Values{"apply": {"1"}, "source": {"none.csv"}, "csv": {nothing}}, 422, "Choose the domains"),
			"Nothing to import.")
	})

	// A role with some permissions: the parts it may not use are hidden.
	t.Run("partial", func(t *testing.T) {
		p := newBrowser(t, ts)
		p.signIn("partial1")
		shows(t, p.view("GET", "/admin", nil), "Your role does not include the dashboard")
		for _, id := range []int64{alice.ID, rob.ID, newbie.ID} {
			body := p.view("GET", acct(id), nil)
			shows(t, body, "Take action")
			if strings.Contains(body, "Change role") || strings.Contains(body, "Account recovery") || strings.Contains(body, "Unsuspend") {
				t.Error("a role without Manage Users, Roles or User Access sees their forms")
			}
		}
		p.view("GET", "/admin/appeals", nil)
		p.view("GET", "/admin/appeals?decided=1", nil)
		p.view("GET", "/admin/audit", nil)
		if body := p.view("GET", "/admin/invites", nil); strings.Contains(body, `id="role"`) {
			t.Error("a role without Manage Roles chooses an invite's role")
		}
		p.sameRefusal(acct(owner.ID)+"/action", url.Values{"type": {"suspend"}, "text": {"kept"}}, 403, "")
		p.sameRefusal(acct(alice.ID)+"/unsilence", url.Values{}, 403, "")
	})
	t.Run("manager", func(t *testing.T) {
		m := newBrowser(t, ts)
		m.signIn("manager1")
		shows(t, m.view("GET", "/admin", nil), `href="/admin/accounts?status=pending"`)
		m.view("GET", "/admin/accounts", nil)
		for _, id := range []int64{alice.ID, bob.ID, rob.ID, newbie.ID, owner.ID} {
			m.view("GET", acct(id), nil)
		}
		m.view("GET", "/admin/invites", nil)
		m.view("GET", "/admin/federation", nil)
		m.view("GET", "/admin/blocks", nil)
		m.view("GET", "/admin/announcements", nil)
		m.sameRefusal(acct(owner.ID)+"/action", url.Values{"type": {"silence"}, "text": {"no"}}, 403, "")
		m.sameRefusal(acct(alice.ID)+"/role", url.Values{"role_id": {"0"}}, 422, "Role does not exist")
	})
	t.Run("helpdesk", func(t *testing.T) {
		h := newBrowser(t, ts)
		h.signIn("helpdesk1")
		h.view("GET", "/admin", nil)
		h.view("GET", "/admin/accounts", nil)
		for _, id := range []int64{alice.ID, newbie.ID, owner.ID} {
			body := h.view("GET", acct(id), nil)
			shows(t, body, "Account recovery")
			if strings.Contains(body, "Take action") {
				t.Error("a role with User Access alone sees the moderation form")
			}
		}
		h.view("GET", acct(alice.ID)+"/disable_2fa", nil)
		h.sameRefusal(acct(owner.ID)+"/reset_password", url.Values{}, 403, "")
		h.sameRefusal(acct(alice.ID)+"/disable_2fa", url.Values{}, 422, "")
	})
}

// TestAdminViewsEmpty: the same pages of a server without
// mail nor data, and the one-time password reset link.
func TestAdminViewsEmpty(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	alice := ts.CreateUser(t, "alice", "user")
	cl, err := ts.Srv.Svc.CallerByToken(t.Context(), ts.Token(t, "owner1", "admin:write"))
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, ts)
	b.signIn("owner1")
	shows(t, b.view("GET", "/admin/audit", nil), "Nothing recorded yet.")
	on := true
	if _, err := ts.Srv.Svc.UpdateSite(t.Context(), cl, core.SiteUpdate{LimitedFederation: &on}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"/admin": "The last 30 days", "/admin/accounts?status=silenced": "No accounts match.",
		"/admin/appeals": "No pending appeals.", "/admin/appeals?decided=1": "No appeals.", "/admin/audit": "Changed instance settings",
		"/admin/blocks": "No address rules.", "/admin/federation": "No blocked domains.", "/admin/announcements": "No announcements.",
		"/admin/invites": "No active invites.", fmt.Sprintf("/admin/accounts/%d", alice.ID): "This server sends no e-mail"} {
		shows(t, b.view("GET", path, nil), want)
	}
	b.do("GET", fmt.Sprintf("/admin/accounts/%d", alice.ID), nil)
	b.sameMasked("POST", fmt.Sprintf("/admin/accounts/%d/reset_password", alice.ID), url.Values{},
		regexp.MustCompile(`reset_password_token=[^"]+`))
}
