package webui

import (
	"sort"
	"strings"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// accountViews are the pages of this file, by the name handlers render:
// signing in, up and out, password resets, OAuth consent, the settings
// and team access.
func accountViews() map[string]pageView {
	return map[string]pageView{
		"settings_account":      {content: settingsAccountView},
		"settings_apps":         {content: settingsAppsView},
		"settings_export":       {content: settingsExportView},
		"settings_interactions": {content: settingsInteractionsView},
		"settings_migration":    {content: settingsMigrationView},
		"settings_profile":      {content: settingsProfileView},
		"settings_sessions":     {content: settingsSessionsView},
		"settings_strikes":      {content: settingsStrikesView},
		"settings_two_factor":   {content: settingsTwoFactorView},
		"delegations":           {content: delegationsView},
		"sign_in":               {content: signInView},
		"sign_up":               {content: signUpView},
		"sign_out":              {content: signOutView},
		"password_edit":         {content: passwordEditView},
		"password_new":          {content: passwordNewView},
		"two_factor":            {content: twoFactorView},
		"authorize":             {content: authorizeView},
		"code":                  {content: codeView},
	}
}

// accountSettingsTop is the heading and the tabs every settings page
// starts with.
func accountSettingsTop(m *markup, p page) {
	m.raw("\n<h1 class=\"section\">Settings</h1>\n")
	settingsNav(m, p)
	m.raw("\n")
}

func settingsAccountView(w *UI, m *markup, p page) {
	accountSettingsTop(m, p)
	user := get[*model.User](p, "User")
	m.raw(`<section class="card">
<h2>E-mail address</h2>
<form method="post" action="/settings/account/email" class="stack">
`)
	csrfField(m, p)
	m.f(`
<label for="email">E-mail address</label>
<input id="email" name="email" type="email" autocomplete="email" required value="%s">
`, user.Email)
	if user.ConfirmedAt == nil {
		m.raw(`<p class="muted">Not confirmed yet.</p>`)
	}
	m.raw(`
<label for="cp1">Current password</label>
<input id="cp1" name="current_password" type="password" autocomplete="current-password" required>
<button type="submit">Change e-mail address</button>
</form>
</section>
`)
	if prefs, ok := p["StaffPrefs"].(storage.StaffEmailPrefs); ok {
		m.raw("<section class=\"card\" id=\"staff-emails\">\n<h2>Moderation e-mails</h2>\n")
		if !get[bool](p, "MailEnabled") {
			m.raw(`<p class="muted">This server sends no mail; in-app notifications are always on.</p>`)
		}
		m.raw("\n<form method=\"post\" action=\"/settings/account/staff_emails\" class=\"stack\">\n")
		csrfField(m, p)
		for _, c := range [...]struct {
			shown, on   bool
			name, label string
		}{
			{get[bool](p, "StaffReports"), prefs.Report, "report", "Someone filed a new report"},
			{get[bool](p, "StaffSignUps"), prefs.SignUp, "sign_up", "A new sign-up awaits review"},
			{get[bool](p, "StaffTrends"), prefs.Trends, "trends", "New trends await review"},
		} {
			m.raw("\n")
			switch {
			case c.shown:
				m.f(`<label><input type="checkbox" name="%s" value="1"`, c.name)
				m.attrIf(c.on, " checked")
				m.f("> %s</label>", c.label)
			case c.on: // kept as it is when the role does not see it
				m.f(`<input type="hidden" name="%s" value="1">`, c.name)
			}
		}
		m.raw("\n<button type=\"submit\">Save e-mail preferences</button>\n</form>\n</section>")
	}
	m.raw("\n<section class=\"card\">\n<h2>Password</h2>\n<form method=\"post\" action=\"/settings/account/password\" class=\"stack\">\n")
	csrfField(m, p)
	m.raw(`
<label for="cp2">Current password</label>
<input id="cp2" name="current_password" type="password" autocomplete="current-password" required>
<label for="np">New password</label>
<input id="np" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="72" required>
<label for="np2">New password again</label>
<input id="np2" name="password_confirmation" type="password" autocomplete="new-password" minlength="8" maxlength="72" required>
<button type="submit">Change password</button>
</form>
<p class="muted">Changing the password signs out your other sessions. Apps keep their access until you revoke it under <a href="/settings/apps">Apps</a>.</p>
</section>
<section class="card"><h2>Two-factor authentication</h2><p><a href="/settings/two_factor">Set up or manage two-factor authentication</a></p></section>
`)
}

// accountAppUse is an authorised app's scopes and dates.
func accountAppUse(m *markup, a storage.AuthorizedApp) {
	m.f("%s · authorised %s", a.Scopes, fmtDate(a.CreatedAt))
	if a.LastUsedAt != nil {
		m.f(" · last used %s", fmtDatePtr(a.LastUsedAt))
	}
}

func accountAppName(m *markup, app *model.App) {
	m.f(`<div class="row-item"><div><strong>%s</strong>`, app.Name)
	if app.Website != "" {
		m.f(` <span class="muted">%s</span>`, app.Website)
	}
	m.raw("<br>\n")
}

func settingsAppsView(w *UI, m *markup, p page) {
	accountSettingsTop(m, p)
	apps := get[*core.AuthorizedApps](p, "Apps")
	csrf := get[string](p, "CSRF")
	m.raw("<section class=\"card\">\n<h2>Authorised apps</h2>\n")
	for _, a := range apps.Own {
		accountAppName(m, a.App)
		m.raw(`<span class="muted">Scopes: `)
		accountAppUse(m, a)
		m.f("</span></div>\n<form method=\"post\" action=\"/settings/apps/%d/revoke\" class=\"confirm\" data-confirm=\"Revoke the access of %s?\">\n"+
			"<input type=\"hidden\" name=\"authenticity_token\" value=\"%s\"><button class=\"small danger\">Revoke</button></form></div>\n",
			a.App.ID, a.App.Name, csrf)
	}
	if len(apps.Own) == 0 {
		m.raw(`<p class="muted">No app has access to your account.</p>`)
	}
	m.raw("\n</section>\n")
	if len(apps.Team) > 0 {
		m.raw(`<section class="card" id="team-apps">
<h2>Apps of your team</h2>
<p class="muted">Members of your team use these apps to act as your account. Revoking one signs the member out of that app; to end a member's access altogether, go to <a href="/settings/delegations">Team access</a>.</p>
`)
		for _, a := range apps.Team {
			accountAppName(m, a.App)
			member, whose := "(gone)", "this member"
			if a.Member != nil {
				member = "@" + a.Member.Username
				whose = member
			}
			m.f(`<span class="muted">Used by member %s through team access · scopes: `, member)
			accountAppUse(m, a.AuthorizedApp)
			m.f("</span></div>\n<form method=\"post\" action=\"/settings/apps/%d/revoke\" class=\"confirm\" data-confirm=\"Revoke the access of %s for %s?\">\n"+
				"<input type=\"hidden\" name=\"authenticity_token\" value=\"%s\"><input type=\"hidden\" name=\"member_id\" value=\"%d\">"+
				"<button class=\"small danger\">Revoke</button></form></div>\n", a.App.ID, a.App.Name, whose, csrf, a.MemberID)
		}
		m.raw("</section>")
	}
	m.raw("\n")
}

func settingsExportView(w *UI, m *markup, p page) {
	accountSettingsTop(m, p)
	m.raw(`<section class="card">
<h2>Export your data</h2>
<ul class="downloads">
<li><a href="/settings/export/following.csv" download>Follows (CSV)</a></li>
<li><a href="/settings/export/blocks.csv" download>Blocks (CSV)</a></li>
<li><a href="/settings/export/mutes.csv" download>Mutes (CSV)</a></li>
<li><a href="/settings/export/outbox.json" download>Your posts (ActivityPub outbox, JSON)</a></li>
</ul>
<p class="muted">The CSV files can be imported by Mastodon and compatible servers.</p>
</section>
<section class="card">
<h2>Archive of your posts</h2>
<p class="muted">Your posts published in the period, with their earlier versions and their media files, as a ZIP archive: an ActivityPub outbox, described by the README.txt inside. Dates are UTC; the first day is included, the last is not; leave a date empty for no bound.</p>
<form method="post" action="/settings/export/archive" class="stack">
`)
	csrfField(m, p)
	m.raw(`
<label for="from">From</label><input type="date" id="from" name="from">
<label for="to">Until (not included)</label><input type="date" id="to" name="to">
<label class="check"><input type="checkbox" name="include_private" value="1" checked> Include followers-only and direct posts (without them, the archive is your public record)</label>
<button type="submit">Download archive</button>
</form>
</section>
`)
}

func settingsInteractionsView(w *UI, m *markup, p page) {
	accountSettingsTop(m, p)
	m.raw(`<section class="card">
<h2>Who can interact with your posts</h2>
<p class="muted">The defaults for your new posts; you can choose otherwise for each post when you write it. What others must ask for waits for your approval under <a href="/requests">Requests</a>. People you mention can always reply; followers-only and direct posts cannot be boosted or quoted by others.</p>
<form method="post" action="/settings/interactions" class="stack">
`)
	csrfField(m, p)
	m.raw("\n")
	for _, f := range get[[]policyField](p, "PolicyFields") {
		m.f("<label for=\"%s\">%s</label>\n<select id=\"%s\" name=\"%s\">\n", f.Name, f.Label, f.Name, f.Name)
		if f.Selected == "custom" {
			m.raw("<option value=\"custom\" selected>Custom (set by an app)</option>\n")
		}
		for _, pr := range f.Presets {
			m.f(`<option value="%s"`, pr.Key)
			m.attrIf(pr.Key == f.Selected, " selected")
			m.f(">%s</option>\n", pr.Label)
		}
		m.raw("</select>\n")
	}
	m.raw("<button type=\"submit\">Save</button>\n</form>\n</section>\n")
}

func settingsMigrationView(w *UI, m *markup, p page) {
	accountSettingsTop(m, p)
	if to := get[page](p, "MovedTo"); len(to) > 0 {
		m.f(`<section class="card"><p>This account has moved to <a href="%u">%s</a>. It can no longer post.</p></section>`,
			get[string](to, "URL"), get[string](to, "Acct"))
	}
	m.raw(`
<section class="card">
<h2>Aliases</h2>
<p class="muted">To move an account from another server to this one, list it here first: this account then says it is also known as that one.</p>
`)
	if aliases := get[[]string](p, "Aliases"); len(aliases) > 0 {
		m.raw(`<ul class="stack">`)
		for _, a := range aliases {
			m.f("<li>%s\n<form method=\"post\" action=\"/settings/migration/aliases/remove\" class=\"inline\">\n", a)
			csrfField(m, p)
			m.f("\n<input type=\"hidden\" name=\"uri\" value=\"%s\">\n<button type=\"submit\">Remove</button>\n</form></li>", a)
		}
		m.raw("</ul>")
	} else {
		m.raw("<p>No aliases.</p>")
	}
	m.raw("\n<form method=\"post\" action=\"/settings/migration/aliases\" class=\"stack\">\n")
	csrfField(m, p)
	m.raw(`
<label for="alias">Handle of the old account</label>
<input id="alias" name="acct" type="text" placeholder="username@domain" required>
<button type="submit">Add alias</button>
</form>
</section>
<section class="card">
<h2>Move to another account</h2>
<p class="muted">The new account must first list this one as an alias. Your followers' servers then move them to the new account; this account keeps its posts but can no longer post.</p>
<form method="post" action="/settings/migration" class="stack">
`)
	csrfField(m, p)
	m.raw(`
<label for="target">Handle of the new account</label>
<input id="target" name="acct" type="text" placeholder="username@domain" required>
<label for="cp">Current password</label>
<input id="cp" name="current_password" type="password" autocomplete="current-password" required>
<button type="submit">Move followers</button>
</form>
</section>
`)
}

func settingsProfileView(w *UI, m *markup, p page) {
	accountSettingsTop(m, p)
	acc := get[*model.Account](p, "Account")
	m.raw("<section class=\"card\">\n<h2>Profile</h2>\n<form method=\"post\" action=\"/settings/profile\" enctype=\"multipart/form-data\" class=\"stack\">\n")
	csrfField(m, p)
	m.f(`
<label for="display_name">Display name</label>
<input id="display_name" name="display_name" type="text" maxlength="30" value="%s">
<label for="note">Bio</label>
<textarea id="note" name="note" rows="4" maxlength="500">%s</textarea>
<label for="avatar">Avatar <span class="muted">(PNG, JPEG, GIF or WebP; shown 400×400)</span></label>
<input id="avatar" name="avatar" type="file" accept="image/*">
<label for="header">Header <span class="muted">(shown 1500×500)</span></label>
<input id="header" name="header" type="file" accept="image/*">
<fieldset><legend>Profile fields</legend>
<p class="muted hint">Links to pages that link back to your profile with rel="me" are marked as verified.</p>
`, acc.DisplayName, acc.NoteSource)
	for i, f := range get[[]model.Field](p, "Fields") {
		m.f("<div class=\"row\">\n<div><label for=\"fn%d\">Label %d</label><input id=\"fn%d\" name=\"field_name\" type=\"text\" maxlength=\"255\" value=\"%s\"></div>\n"+
			"<div><label for=\"fv%d\">Content %d</label><input id=\"fv%d\" name=\"field_value\" type=\"text\" maxlength=\"255\" value=\"%s\"></div>\n</div>",
			i, i+1, i, f.Name, i, i+1, i, f.Raw)
	}
	m.raw("\n</fieldset>\n")
	for _, c := range [...]struct {
		name  string
		on    bool
		label string
	}{
		{"locked", acc.Locked, "Review follow requests (locked account)"},
		{"bot", acc.Bot, "This is an automated account (bot)"},
		{"discoverable", acc.Discoverable, "Suggest this account to others (discoverable)"},
	} {
		m.f(`<label class="check"><input type="checkbox" name="%s" value="1"`, c.name)
		m.attrIf(c.on, " checked")
		m.f("> %s</label>\n", c.label)
	}
	m.f("<button type=\"submit\">Save profile</button>\n</form>\n"+
		"<p class=\"muted\">Your profile: <a href=\"%u\">@%s</a>. Verify a link by adding <code>&lt;a rel=\"me\" href=\"%s\"&gt;</code> to its page.</p>\n</section>\n",
		"/@"+acc.Username, w.acct(acc), acc.URL)
}

func settingsSessionsView(w *UI, m *markup, p page) {
	accountSettingsTop(m, p)
	current := get[int64](p, "Current")
	m.raw("<section class=\"card\">\n<h2>Browser sessions</h2>\n")
	for _, s := range get[[]*storage.WebSession](p, "Sessions") {
		m.f(`<div class="row-item"><div><strong>%s</strong>`, pick(s.UserAgent != "", s.UserAgent, "Unknown browser"))
		if s.ID == current {
			m.raw(` <span class="badge">this browser</span>`)
		}
		m.f("<br>\n<span class=\"muted\">%s · signed in %s · last seen %s</span></div>\n", s.IP, fmtDate(s.CreatedAt), fmtDate(s.LastSeenAt))
		if s.ID != current {
			m.f("<form method=\"post\" action=\"/settings/sessions/%d/revoke\">\n"+
				"<input type=\"hidden\" name=\"authenticity_token\" value=\"%s\"><button class=\"small danger\">Sign out</button></form>",
				s.ID, get[string](p, "CSRF"))
		}
		m.raw("</div>\n")
	}
	m.raw("\n</section>\n")
}

func settingsStrikesView(w *UI, m *markup, p page) {
	accountSettingsTop(m, p)
	m.raw(`<section class="card">
<h2>Strikes</h2>
<p class="muted">Moderation decisions about your account or your posts, with the reasons given. You can appeal each decision once, within 20 days.</p>
</section>
`)
	strikes := get[[]core.Strike](p, "Strikes")
	for _, s := range strikes {
		wn := s.Warning
		m.f("<section class=\"card strike\" id=\"strike-%d\">\n<h3>%s</h3>\n<p class=\"muted\">Decided %s</p>\n",
			wn.ID, strikeTitle(wn.Action), fmtDate(wn.CreatedAt))
		if wn.OverruledAt != nil {
			m.f(`<p class="overruled-note"><span class="badge overruled">Overruled</span> on %s: the decision was reversed and no longer counts against you.</p>`,
				fmtDatePtr(wn.OverruledAt))
		}
		m.raw("\n")
		if wn.Text != "" {
			m.f(`<h4>The moderators' explanation</h4><p class="strike-text">%s</p>`, wn.Text)
		}
		m.raw("\n")
		if len(s.Rules) > 0 {
			m.raw(`<h4>Rules broken</h4><ol class="strike-rules">`)
			for _, r := range s.Rules {
				m.f("<li>%s</li>", r.Text)
			}
			m.raw("</ol>")
		}
		m.raw("\n")
		if len(s.Posts) > 0 {
			m.raw("<h4>Posts concerned</h4>")
			for _, st := range s.Posts {
				m.raw(`<blockquote class="strike-post">`)
				if st.SpoilerText != "" {
					m.f("<p><strong>%s</strong></p>", st.SpoilerText)
				}
				m.f(`%h<p class="muted small">posted %s</p></blockquote>`, safeHTML(st.Content), fmtDate(st.CreatedAt))
			}
		}
		m.raw("\n")
		switch a := s.Appeal; {
		case a != nil:
			state := "Pending: the moderators will decide"
			switch a.State() {
			case "approved":
				state = "Approved: the decision was reversed"
			case "rejected":
				state = "Rejected: the decision stands"
			}
			m.f("<h4>Your appeal</h4><p class=\"strike-text\">%s</p>\n<p class=\"appeal-state\"><span class=\"badge\">%s</span></p>\n", a.Text, state)
		case s.CanAppeal:
			m.f("<form method=\"post\" action=\"/settings/strikes/%d/appeal\" class=\"stack\">\n", wn.ID)
			csrfField(m, p)
			m.f("\n<label for=\"appeal-%d\">Appeal this decision</label>\n"+
				"<textarea id=\"appeal-%d\" name=\"text\" rows=\"4\" maxlength=\"2000\" required placeholder=\"Explain why the decision should be reversed\"></textarea>\n"+
				"<p><button>Appeal</button></p></form>\n", wn.ID, wn.ID)
		default:
			m.raw("<p class=\"muted\">This decision can no longer be appealed.</p>")
		}
		m.raw("\n</section>\n")
	}
	if len(strikes) == 0 {
		m.raw(`<p class="card muted">No strikes: the moderators have taken no action on your account.</p>`)
	}
	m.raw("\n")
}

func settingsTwoFactorView(w *UI, m *markup, p page) {
	accountSettingsTop(m, p)
	tf := get[core.TwoFactorStatus](p, "TF")
	m.raw("<section class=\"card\">\n<h2>Two-factor authentication</h2>\n")
	accountError(m, p)
	m.raw("\n")
	if codes := get[[]string](p, "Codes"); len(codes) > 0 {
		m.raw("<div class=\"codes\" role=\"status\"><p><strong>Your recovery codes.</strong> Keep them somewhere safe: each lets you sign in once without your phone. They are shown only now.</p>\n<ul class=\"recovery\">")
		for _, c := range codes {
			m.f("<li><code>%s</code></li>", c)
		}
		m.raw("</ul></div>")
	}
	m.raw("\n")
	switch {
	case tf.Enabled:
		m.f("\n<p>Two-factor authentication is <strong>on</strong>. %d recovery codes left.</p>\n"+
			"<form method=\"post\" action=\"/settings/two_factor/recovery_codes\" class=\"stack\">\n", tf.RecoveryCodes)
		csrfField(m, p)
		m.raw(`
<label for="cp3">Current password</label>
<input id="cp3" name="current_password" type="password" autocomplete="current-password" required>
<button type="submit" class="secondary">Make new recovery codes</button>
</form>
<h3>Turn off</h3>
<form method="post" action="/settings/two_factor/disable" class="stack">
`)
		csrfField(m, p)
		m.raw(`
<label for="cp4">Current password</label>
<input id="cp4" name="current_password" type="password" autocomplete="current-password" required>
<label for="dcode">A current code or a recovery code</label>
<input id="dcode" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required>
<button type="submit" class="danger">Turn off two-factor authentication</button>
</form>
`)
	case tf.Pending:
		m.f(`
<ol>
<li>Scan this QR code with an authenticator app (such as FreeOTP, Aegis or Google Authenticator):<br>
<img src="/settings/two_factor/qr.png" alt="QR code for your authenticator app" width="256" height="256" class="qr"></li>
<li>Or enter this secret by hand: <code class="secret" id="totp-secret">%s</code></li>
<li>Then enter the 6-digit code the app shows, with your password.</li>
</ol>
<form method="post" action="/settings/two_factor/confirm" class="stack">
`, tf.Secret)
		csrfField(m, p)
		m.raw(`
<label for="code">Code from the app</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required>
<label for="cp5">Current password</label>
<input id="cp5" name="current_password" type="password" autocomplete="current-password" required>
<button type="submit">Turn on two-factor authentication</button>
</form>
`)
	default:
		m.raw(`
<p>Two-factor authentication is <strong>off</strong>. With it on, signing in (here and in apps) also asks for a code from an app on your phone. Apps then sign in through this site; apps that ask for your password themselves can no longer sign in.</p>
<form method="post" action="/settings/two_factor/setup">
`)
		csrfField(m, p)
		m.raw("\n<button type=\"submit\">Set up two-factor authentication</button>\n</form>\n")
	}
	m.raw("\n</section>\n")
}

func delegationsView(w *UI, m *markup, p page) {
	acc := get[*model.Account](p, "Account")
	base := get[string](p, "Base")
	memberID := get[int64](p, "MemberID")
	if get[bool](p, "Admin") {
		m.f("\n<h1 class=\"section\">Team access of @%s</h1>\n", w.acct(acc))
		adminNav(m, p)
		m.f("\n<p><a href=\"/admin/accounts/%d\">Back to the account</a></p>", get[int64](p, "AccountID"))
	} else {
		m.raw("\n<h1 class=\"section\">Settings</h1>\n")
		settingsNav(m, p)
	}
	m.f(`
<section class="card" aria-labelledby="members-h">
<h2 id="members-h">Members</h2>
<p class="muted">Members sign in as themselves and act as @%s in the apps they authorise for it (they choose it on the authorisation screen). What they do is logged below with their name; it is never published. Revoking a member ends their access at once.</p>
`, acc.Username)
	members := get[[]*core.DelegationView](p, "Members")
	for _, d := range members {
		m.f("<div class=\"row-item delegation\" data-member=\"%s\"><div><strong>@%s</strong> %s<br>\n<span class=\"muted\">may: %s · since %s",
			d.Member.Username, d.Member.Username, dname(d.Member), strings.Join(d.Permissions, ", "), fmtDate(d.CreatedAt))
		if d.GrantedBy != nil {
			m.f(" · granted by @%s", d.GrantedBy.Username)
		}
		m.f("</span>\n· <a href=\"%u?member_id=%d\">activity</a></div>\n<form method=\"post\" action=\"%u/%d/revoke\">",
			base, d.Member.ID, base, d.Member.ID)
		csrfField(m, p)
		m.raw("<button class=\"small danger\">Revoke</button></form></div>\n")
	}
	if len(members) == 0 {
		m.raw("<p>No members.</p>")
	}
	m.f("\n<form method=\"post\" action=\"%u\" class=\"stack\">\n", base)
	csrfField(m, p)
	m.raw(`
<label for="member">Member's username</label>
<input type="text" id="member" name="member" required maxlength="64" autocomplete="off">
<fieldset><legend>Permissions</legend>
`)
	for _, perm := range get[[]string](p, "Permissions") {
		m.f(`<label class="check"><input type="checkbox" name="permissions" value="%s"`, perm)
		m.attrIf(perm == "post", " checked")
		m.f("> %s</label>\n", delegationPermText(perm))
	}
	m.raw("</fieldset>\n<button type=\"submit\">Grant access</button>\n</form>\n</section>\n" +
		"<section class=\"card\" aria-labelledby=\"log-h\">\n<h2 id=\"log-h\">Activity log")
	if memberID != 0 {
		m.f(` of one member (<a href="%u">all members</a>)`, base)
	}
	m.raw("</h2>\n<table class=\"delegation-log\"><thead><tr><th>When</th><th>Member</th><th>Action</th><th>Object</th></tr></thead><tbody>\n")
	log := get[[]*model.DelegationAction](p, "Log")
	for _, e := range log {
		m.f(`<tr><td>%s</td><td><a href="%u?member_id=%d">@%s</a></td><td>%s</td><td>`,
			fmtDate(e.CreatedAt), base, e.MemberID, e.Member, e.Action)
		if e.ObjectType == "statuses" && e.ObjectID != "" {
			m.f(`<a href="%u">post %s</a>`, "/@"+acc.Username+"/"+e.ObjectID, e.ObjectID)
		} else {
			m.f("%s %s", e.ObjectType, e.ObjectID)
		}
		m.raw("</td></tr>\n")
	}
	if len(log) == 0 {
		m.raw("<tr><td colspan=\"4\">Nothing yet.</td></tr>")
	}
	m.raw("\n</tbody></table>\n")
	if next := get[int64](p, "Next"); next != 0 {
		m.f(`<p><a href="%u?max_id=%d`, base, next)
		if memberID != 0 {
			m.f("&amp;member_id=%d", memberID)
		}
		m.raw(`">Older</a></p>`)
	}
	m.raw("\n</section>\n")
}

// accountError is the error a form page shows again, if any.
func accountError(m *markup, p page) {
	if e := get[string](p, "Error"); e != "" {
		m.f(`<p class="error" role="alert">%s</p>`, e)
	}
}

func signInView(w *UI, m *markup, p page) {
	m.raw("\n<section class=\"card narrow\">\n<h1>Sign in")
	if app := get[string](p, "AppName"); app != "" {
		m.f(" to authorise %s", app)
	}
	m.raw("</h1>\n")
	accountError(m, p)
	m.raw("\n")
	returnTo := get[string](p, "ReturnTo")
	if sso := get[string](p, "SSOName"); sso != "" {
		m.raw("<form method=\"post\" action=\"/auth/oidc\" class=\"stack sso\">\n")
		csrfField(m, p)
		m.f("\n<input type=\"hidden\" name=\"return_to\" value=\"%s\">\n<button type=\"submit\" id=\"sso-sign-in\">Sign in with %s</button>\n</form>\n"+
			"<p class=\"muted\">Or sign in with a password:</p>", returnTo, sso)
	}
	m.raw("\n<form method=\"post\" action=\"/auth/sign_in\" class=\"stack\">\n")
	csrfField(m, p)
	m.f(`
<input type="hidden" name="return_to" value="%s">
<label for="login">E-mail address or username</label>
<input id="login" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus value="%s">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<p class="muted"><a href="/auth/password/new">Forgot your password?</a>`, returnTo, get[string](p, "Login"))
	if get[bool](p, "CanSignUp") {
		m.raw(` · <a href="/auth/sign_up">Create an account</a>`)
	}
	m.raw("</p>\n</section>\n")
}

// accountFieldErrors are the errors of one field of the sign-up form.
func accountFieldErrors(m *markup, p page, field, label string) {
	for _, e := range get[map[string][]core.FieldError](p, "Fields")[field] {
		m.f(`<p class="error">%s %s</p>`, label, e.Description)
	}
}

func signUpView(w *UI, m *markup, p page) {
	invited := get[bool](p, "Invited")
	m.raw("\n<section class=\"card narrow\">\n<h1>")
	if invited {
		m.f("You are invited to %s", get[string](p, "Instance"))
	} else {
		m.raw("Create an account")
	}
	m.raw("</h1>\n")
	if e := get[string](p, "InviteError"); e != "" {
		m.f(`<p class="error" role="alert">%s</p>`, e)
	}
	m.raw("\n")
	if closed := get[string](p, "Closed"); closed != "" {
		m.f(`<p>%s</p><p><a href="/auth/sign_in">Sign in</a></p>`, closed)
		m.raw("\n</section>\n")
		return
	}
	m.raw("\n")
	accountError(m, p)
	m.raw("\n<form method=\"post\" action=\"/auth/sign_up\" class=\"stack\">\n")
	csrfField(m, p)
	m.raw("\n")
	if invited {
		m.f(`<input type="hidden" name="invite_code" value="%s">`, get[string](p, "InviteCode"))
	}
	m.f(`
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" pattern="[A-Za-z0-9_]{1,30}" maxlength="30" required value="%s" aria-describedby="username-hint">
<p id="username-hint" class="muted hint">Your address will be @username@%s. Letters, numbers and underscores.</p>
`, get[string](p, "Username"), get[string](p, "Domain"))
	accountFieldErrors(m, p, "username", "Username")
	m.f(`
<label for="email">E-mail address</label>
<input id="email" name="email" type="email" autocomplete="email" required value="%s">
`, get[string](p, "Email"))
	accountFieldErrors(m, p, "email", "E-mail")
	m.raw(`
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="72" required aria-describedby="pw-hint">
<p id="pw-hint" class="muted hint">8 to 72 characters.</p>
`)
	accountFieldErrors(m, p, "password", "Password")
	m.raw(`
<label for="password_confirmation">Password again</label>
<input id="password_confirmation" name="password_confirmation" type="password" autocomplete="new-password" minlength="8" maxlength="72" required>
`)
	if get[bool](p, "NeedReason") {
		m.f("<label for=\"reason\">Why do you want to join?</label>\n<textarea id=\"reason\" name=\"reason\" rows=\"3\" maxlength=\"1000\">%s</textarea>",
			get[string](p, "Reason"))
	}
	m.raw("\n")
	if rules := get[[]*model.Rule](p, "Rules"); len(rules) > 0 {
		m.raw(`<h2>Rules</h2><ol class="rules">`)
		for _, r := range rules {
			m.f("<li>%s", r.Text)
			if r.Hint != "" {
				m.f(`<br><span class="muted">%s</span>`, r.Hint)
			}
			m.raw("</li>")
		}
		m.raw("</ol>")
	}
	m.raw("\n<label class=\"check\"><input type=\"checkbox\" name=\"agreement\" value=\"1\" required> <span>I agree to the rules, the <a href=\"/terms\">terms of service</a> and the <a href=\"/privacy-policy\">privacy policy</a>.</span></label>\n")
	accountFieldErrors(m, p, "agreement", "Agreement")
	m.raw("\n<button type=\"submit\">Sign up</button>\n</form>\n<p class=\"muted\">Already have an account? <a href=\"/auth/sign_in\">Sign in</a></p>\n</section>\n")
}

func signOutView(w *UI, m *markup, p page) {
	m.f("\n<section class=\"card narrow\">\n<h1>Sign out</h1>\n<p>Sign out of %s in this browser?</p>\n<form method=\"post\" action=\"/auth/sign_out\">\n",
		get[string](p, "Instance"))
	csrfField(m, p)
	m.raw("\n<button type=\"submit\">Sign out</button>\n</form>\n</section>\n")
}

func passwordEditView(w *UI, m *markup, p page) {
	m.raw("\n<section class=\"card narrow\">\n<h1>Choose a new password</h1>\n")
	accountError(m, p)
	m.raw("\n<form method=\"post\" action=\"/auth/password\" class=\"stack\">\n")
	csrfField(m, p)
	m.f(`
<input type="hidden" name="reset_password_token" value="%s">
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="72" required>
<label for="password_confirmation">New password again</label>
<input id="password_confirmation" name="password_confirmation" type="password" autocomplete="new-password" minlength="8" maxlength="72" required>
<button type="submit">Set password</button>
</form>
</section>
`, get[string](p, "Token"))
}

func passwordNewView(w *UI, m *markup, p page) {
	m.raw("\n<section class=\"card narrow\">\n<h1>Forgot your password?</h1>\n")
	if get[bool](p, "MailEnabled") {
		m.raw("<form method=\"post\" action=\"/auth/password/new\" class=\"stack\">\n")
		csrfField(m, p)
		m.raw(`
<label for="email">E-mail address</label>
<input id="email" name="email" type="email" autocomplete="email" required>
<button type="submit">Send me a reset link</button>
</form>`)
	} else {
		m.raw("<p>This instance does not send e-mail: ask an administrator to reset your password.</p>")
	}
	m.raw("\n</section>\n")
}

func twoFactorView(w *UI, m *markup, p page) {
	m.raw("\n<section class=\"card narrow\">\n<h1>Two-factor authentication</h1>\n")
	accountError(m, p)
	m.raw("\n<p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>\n<form method=\"post\" action=\"/auth/two_factor\" class=\"stack\">\n")
	csrfField(m, p)
	m.f(`
<input type="hidden" name="return_to" value="%s">
<label for="code">Code</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required autofocus maxlength="20">
<button type="submit">Verify</button>
</form>
</section>
`, get[string](p, "ReturnTo"))
}

// accountHidden writes the OAuth request's fields that the consent forms
// post back, in the order of their names.
func accountHidden(m *markup, hidden map[string]string) {
	keys := make([]string, 0, len(hidden))
	for k := range hidden {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m.f("<input type=\"hidden\" name=\"%s\" value=\"%s\">\n", k, hidden[k])
	}
}

func authorizeView(w *UI, m *markup, p page) {
	app := get[*model.App](p, "App")
	user := get[string](p, "Username")
	hidden := get[map[string]string](p, "Hidden")
	m.f("\n<section class=\"card narrow\">\n<h1>Authorisation required</h1>\n<p><strong>%s</strong>", app.Name)
	if app.Website != "" {
		m.f(` (<a href="%u" rel="noopener nofollow">%s</a>)`, app.Website, app.Website)
	}
	m.f("\nwould like permission to access your account <strong>@%s</strong>.</p>\n<p>It asks to:</p>\n<ul class=\"scopes\">", user)
	// The handler's list of scopes is of a type local to it; the scopes
	// are those the form posts back, explained by scopeText as it does.
	for _, s := range strings.Fields(hidden["scope"]) {
		m.f(`<li>%s <code class="muted">%s</code></li>`, scopeText(s), s)
	}
	m.raw("</ul>\n<div class=\"actions\">\n<form method=\"post\" action=\"/oauth/authorize\">\n")
	csrfField(m, p)
	m.raw("\n")
	accountHidden(m, hidden)
	if ds := get[[]*core.DelegationView](p, "Delegations"); len(ds) > 0 {
		m.f("<fieldset class=\"act-as\">\n<legend>Act as</legend>\n<label><input type=\"radio\" name=\"act_as\" value=\"0\" checked> yourself, @%s</label>\n", user)
		for _, d := range ds {
			m.f(`<label><input type="radio" name="act_as" value="%d"> @%s`, d.Account.ID, d.Account.Username)
			if d.Account.DisplayName != "" {
				m.f(" (%s)", d.Account.DisplayName)
			}
			m.f("\n<span class=\"muted\">as its member: %s</span></label>\n", strings.Join(d.Permissions, ", "))
		}
		m.raw("<p class=\"muted\">The app will act as the account you choose; what you do as a shared account is logged with your name for its owner and administrators.</p>\n</fieldset>\n")
	}
	m.raw("<button type=\"submit\" name=\"decision\" value=\"approve\">Authorise</button>\n</form>\n<form method=\"post\" action=\"/oauth/authorize\">\n")
	csrfField(m, p)
	m.raw("\n<input type=\"hidden\" name=\"_method\" value=\"delete\">\n")
	accountHidden(m, hidden)
	m.f("<button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\">Deny</button>\n</form>\n</div>\n"+
		"<p class=\"muted\">Signed in as @%s. <a href=\"/auth/sign_out\">Not you?</a></p>\n</section>\n", user)
}

func codeView(w *UI, m *markup, p page) {
	m.f(`
<section class="card narrow">
<h1>Authorisation code</h1>
<p>Copy this code and paste it into the application.</p>
<label for="authorization_code">Code</label>
<div class="copy-row"><input id="authorization_code" class="oauth-code" type="text" readonly value="%s"><button type="button" class="secondary" data-copy="authorization_code" hidden>Copy</button></div>
</section>
`, get[string](p, "Code"))
}
