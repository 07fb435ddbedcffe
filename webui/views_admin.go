package webui

import (
	"strconv"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// adminViews are the pages of this file, by the name handlers render:
// the console's accounts, moderation, invites, announcements, blocks,
// federation and audit pages.
func adminViews() map[string]pageView {
	return map[string]pageView{
		"admin_dashboard":     {content: adminDashboardView},
		"admin_accounts":      {content: adminAccountsView},
		"admin_account":       {content: adminAccountView},
		"admin_disable_2fa":   {content: adminDisable2FAView},
		"admin_invites":       {content: adminInvitesView},
		"admin_announcements": {content: adminAnnouncementsView},
		"admin_appeals":       {content: adminAppealsView},
		"admin_audit":         {content: adminAuditView},
		"admin_blocks":        {content: adminBlocksView},
		"admin_federation":    {content: adminFederationView},
		"admin_domain_block":  {content: adminDomainBlockView},
		"admin_domain_import": {content: adminDomainImportView},
	}
}

// adminViewsAlert writes the error of a refused form, if there is one.
func adminViewsAlert(m *markup, msg string) {
	if msg != "" {
		m.f(`<p class="error form-error" role="alert">%s</p>`, msg)
	}
}

// adminViewsHeading writes a console page's heading and tabs.
func adminViewsHeading(m *markup, p page, heading string) {
	m.f("\n<h1 class=\"section\">%s</h1>\n", heading)
	adminNav(m, p)
	m.raw("\n")
}

// adminViewsOption writes a select's option, selected when value is sel.
func adminViewsOption(m *markup, value, sel, label string) {
	m.f(`<option value="%s"`, value)
	m.attrIf(value == sel, " selected")
	m.f(">%s</option>", label)
}

// adminViewsCheckbox writes a checkbox (value 1) with its label's text.
func adminViewsCheckbox(m *markup, name string, on bool, label string) {
	m.f(`<label class="check"><input type="checkbox" name="%s" value="1"`, name)
	m.attrIf(on, " checked")
	m.f("> %s</label>", label)
}

func adminDashboardView(w *UI, m *markup, p page) {
	adminViewsHeading(m, p, "Administration")
	d := get[*core.Dashboard](p, "D")
	if d == nil {
		m.raw("<p class=\"card muted\">Your role does not include the dashboard. Use the sections above.</p>\n")
		return
	}
	perms := get[core.Permission](p, "Perms")
	m.f("<section class=\"grid stats\" aria-label=\"Overview\">\n"+
		"<div class=\"card stat\"><span class=\"num\">%d</span> local users</div>\n"+
		"<div class=\"card stat\"><span class=\"num\">%d</span> local posts</div>\n"+
		"<div class=\"card stat\"><span class=\"num\">%d</span> federation peers</div>\n<div class=\"card stat\">",
		d.Users, d.Statuses, d.Peers)
	if mayOpen(perms, "accounts") {
		m.f(`<a href="/admin/accounts?status=pending"><span class="num">%d</span> waiting for approval</a>`, d.PendingUsers)
	} else {
		m.f(`<span class="num">%d</span> waiting for approval`, d.PendingUsers)
	}
	m.raw("</div>\n<div class=\"card stat\">")
	if mayOpen(perms, "reports") {
		m.f(`<a href="/admin/reports"><span class="num">%d</span> open reports</a>`, d.OpenReports)
	} else {
		m.f(`<span class="num">%d</span> open reports`, d.OpenReports)
	}
	m.f("</div>\n<div class=\"card stat\"><span class=\"num\">%d</span> deliveries queued", d.QueuedDeliveries)
	if d.NextDeliveryDue != nil {
		m.f(`<br><span class="muted">next %s</span>`, fmtDatePtr(d.NextDeliveryDue))
	}
	m.f("</div>\n<div class=\"card stat\"><span class=\"num\">%d</span> activities waiting to be fanned out</div>\n</section>\n", d.PendingOutbox)
	if ms := get[[]dashMeasure](p, "Measures"); len(ms) > 0 {
		m.raw("<section class=\"card\" aria-labelledby=\"measures-h\"><h2 id=\"measures-h\">The last 30 days</h2>\n" +
			"<table class=\"table measures\"><thead><tr><th scope=\"col\">Measure</th><th scope=\"col\">Total</th>" +
			"<th scope=\"col\">30 days before</th><th scope=\"col\">Per day</th></tr></thead><tbody>\n")
		for _, ms := range ms {
			m.f("<tr><th scope=\"row\">%s</th><td class=\"num\">%d</td><td class=\"num muted\">%d</td>\n"+
				"<td><svg class=\"spark\" viewBox=\"0 0 100 24\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"%s per day\">"+
				"<polyline points=\"%s\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\" vector-effect=\"non-scaling-stroke\"/></svg></td></tr>\n",
				ms.Label, ms.Total, ms.Prev, ms.Label, ms.Points)
		}
		m.raw("</tbody></table></section>")
	}
	m.raw("\n\n")
}

func adminAccountsView(w *UI, m *markup, p page) {
	adminViewsHeading(m, p, "Accounts")
	f := get[storage.AdminAccountFilter](p, "F")
	m.f("<form method=\"get\" action=\"/admin/accounts\" class=\"card filters\">\n"+
		"<div><label for=\"q\">Username</label><input id=\"q\" name=\"q\" type=\"search\" value=\"%s\"></div>\n"+
		"<div><label for=\"origin\">Origin</label><select id=\"origin\" name=\"origin\">", get[string](p, "Q"))
	adminViewsOption(m, "local", f.Origin, "Local")
	adminViewsOption(m, "remote", f.Origin, "Remote")
	m.raw("</select></div>\n<div><label for=\"status\">Status</label><select id=\"status\" name=\"status\">\n<option value=\"\">Any</option>")
	for _, s := range [...]string{"active", "pending", "disabled", "silenced", "suspended", "sensitized"} {
		adminViewsOption(m, s, f.Status, s)
	}
	m.f("</select></div>\n<div><label for=\"email\">E-mail</label><input id=\"email\" name=\"email\" type=\"search\" value=\"%s\"></div>\n"+
		"<div><button type=\"submit\">Search</button></div>\n</form>\n"+
		"<table class=\"card table\"><thead><tr><th scope=\"col\">Account</th><th scope=\"col\">Role</th><th scope=\"col\">State</th>"+
		"<th scope=\"col\">Joined</th></tr></thead><tbody>\n", f.Email)
	list := get[[]*storage.AdminAccount](p, "List")
	for _, aa := range list {
		m.f(`<tr><td><a href="/admin/accounts/%s">@%s</a>`, aa.Account.ID, w.acct(aa.Account))
		if u := aa.User; u != nil {
			m.f(`<br><span class="muted">%s</span>`, u.Email)
		}
		m.raw("</td>\n<td>")
		if u := aa.User; u != nil {
			m.text(u.Role)
		} else {
			m.raw("remote")
		}
		m.raw("</td>\n<td>")
		if u := aa.User; u != nil {
			m.attrIf(!u.Approved, "pending ")
			m.attrIf(u.Disabled, "disabled ")
		}
		m.attrIf(aa.Account.SuspendedAt != nil, "suspended ")
		m.attrIf(aa.Account.SilencedAt != nil, "limited ")
		m.f("</td>\n<td>%s</td></tr>\n", fmtDate(aa.Account.CreatedAt))
	}
	if len(list) == 0 {
		m.raw("<tr><td colspan=\"4\" class=\"muted\">No accounts match.</td></tr>")
	}
	m.raw("\n</tbody></table>\n")
}

// adminAccountView is an account as moderators see it, with the actions
// the role may take.
func adminAccountView(w *UI, m *markup, p page) {
	aa := get[*storage.AdminAccount](p, "AA")
	a, u := aa.Account, aa.User
	perms := get[core.Permission](p, "Perms")
	role := get[*model.Role](p, "Role")
	adminViewsHeading(m, p, "@"+w.acct(a))
	m.f("<section class=\"card\">\n<div class=\"p-top flat\"><img class=\"avatar big\" src=\"%u\" alt=\"\" width=\"88\" height=\"88\"><div>\n"+
		"<h2>%s</h2><p><a href=\"%u\">Public profile</a></p></div></div>\n<dl class=\"facts\">\n",
		w.avatarURL(a), dname(a), profileURL(a))
	if u != nil {
		m.f("<dt>E-mail</dt><dd>%s", u.Email)
		m.attrIf(u.ConfirmedAt == nil, " (not confirmed)")
		m.raw("</dd>\n<dt>Role</dt><dd>")
		if role != nil {
			m.text(roleName(role))
		}
		m.f("</dd>\n<dt>State</dt><dd>%s", pick(u.Approved, "approved", "waiting for approval"))
		m.attrIf(u.Disabled, ", login disabled")
		m.f("</dd>\n<dt>Last sign-in</dt><dd>%s</dd>", fmtDatePtr(u.LastSignInAt))
	}
	m.f("\n<dt>Joined</dt><dd>%s</dd>\n<dt>Posts</dt><dd>%d</dd>\n", fmtDate(a.CreatedAt), a.StatusesCount)
	if a.SuspendedAt != nil {
		m.f("<dt>Suspended</dt><dd>%s</dd>", fmtDatePtr(a.SuspendedAt))
	}
	m.raw("\n")
	if a.SilencedAt != nil {
		m.f("<dt>Limited</dt><dd>%s</dd>", fmtDatePtr(a.SilencedAt))
	}
	m.raw("\n")
	if r := aa.Registration; r != nil && r.Reason != "" {
		m.f("<dt>Reason given</dt><dd>%s</dd>", r.Reason)
	}
	m.raw("\n")
	if len(aa.IPs) > 0 {
		m.raw("<dt>Addresses</dt><dd>")
		for _, ip := range aa.IPs {
			m.f("%s (%s) ", ip.IP, fmtDate(ip.UsedAt))
		}
		m.raw("</dd>")
	}
	m.raw("\n</dl>\n</section>\n\n")

	acc := "/admin/accounts/" + strconv.FormatInt(a.ID, 10)
	users := perms.Has(core.PermManageUsers)
	reports := perms.Has(core.PermManageReports)
	roles := get[[]*model.Role](p, "Roles")
	if users || reports || (u != nil && len(roles) > 0) {
		m.raw("<section class=\"card\"><h2>Actions</h2>\n")
		if users {
			m.raw("<div class=\"actions\">\n")
			if u != nil {
				if !u.Approved {
					m.f("\n<form method=\"post\" action=\"%u/approve\">", acc)
					csrfField(m, p)
					m.f("<button>Approve</button></form>\n<form method=\"post\" action=\"%u/reject\" class=\"confirm\" data-confirm=\"Reject and delete this sign-up?\">", acc)
					csrfField(m, p)
					m.raw("<button class=\"danger\">Reject</button></form>\n")
				}
				if u.Disabled {
					postButton(m, p, acc+"/enable", "", "Enable login")
				}
			}
			m.raw("\n")
			for _, b := range [...]struct {
				on        bool
				op, label string
			}{
				{a.SuspendedAt != nil, "unsuspend", "Unsuspend"},
				{a.SilencedAt != nil, "unsilence", "Lift limit"},
				{aa.SensitizedAt != nil, "unsensitive", "Undo force-sensitive"},
			} {
				if b.on {
					postButton(m, p, acc+"/"+b.op, "", b.label)
				}
				m.raw("\n")
			}
			m.raw("</div>")
		}
		m.raw("\n")
		for _, op := range [...]string{"approve", "reject", "enable", "unsuspend", "unsilence", "unsensitive"} {
			adminViewsAlert(m, formErr(p, acc+"/"+op))
		}
		m.raw("\n")
		if users || reports {
			act := acc + "/action"
			m.f("<form method=\"post\" action=\"%u\" class=\"stack\">\n", act)
			csrfField(m, p)
			m.raw("\n")
			adminViewsAlert(m, formErr(p, act))
			m.raw("\n")
			if rid := get[string](p, "ReportID"); rid != "" {
				m.f(`<input type="hidden" name="report_id" value="%s">`, rid)
			}
			m.raw("\n<label for=\"type\">Moderation action</label>\n<select id=\"type\" name=\"type\">")
			typ := formVal(p, act, "type", "none")
			labels := get[map[string]string](p, "ActionLabels")
			for _, v := range [...]string{"none", "sensitive", "disable", "silence", "suspend"} {
				adminViewsOption(m, v, typ, labels[v])
			}
			m.f("</select>\n<label for=\"text\">Message to the account</label>\n"+
				"<textarea id=\"text\" name=\"text\" rows=\"2\" maxlength=\"5000\">%s</textarea>\n", formVal(p, act, "text", ""))
			adminViewsCheckbox(m, "send_email", formCheck(p, act, "send_email", false), "Notify by e-mail")
			m.raw("\n<button type=\"submit\" class=\"danger\">Take action</button>\n</form>")
		}
		m.raw("\n")
		if u != nil && len(roles) > 0 {
			ra := acc + "/role"
			m.f("<form method=\"post\" action=\"%u\" class=\"stack role-form\">\n", ra)
			csrfField(m, p)
			m.raw("\n")
			adminViewsAlert(m, formErr(p, ra))
			cur := u.Role
			if role != nil {
				cur = strconv.FormatInt(role.ID, 10)
			}
			sel := formVal(p, ra, "role_id", cur)
			m.raw("\n\n<label for=\"role_id\">Role</label>\n<select id=\"role_id\" name=\"role_id\">")
			for _, r := range roles {
				adminViewsOption(m, strconv.FormatInt(r.ID, 10), sel, roleName(r))
			}
			m.raw("</select>\n<button type=\"submit\" class=\"secondary\">Change role</button>\n</form>")
		}
		m.raw("\n</section>")
	}
	m.raw("\n")

	mail := get[bool](p, "MailEnabled")
	if u != nil && get[bool](p, "Recovery") {
		m.raw("<section class=\"card\" id=\"recovery\"><h2>Account recovery</h2>\n")
		adminViewsAlert(m, formErr(p, acc+"/reset_password"))
		m.raw("\n")
		if link := get[string](p, "ResetLink"); link != "" {
			m.f("<div class=\"reset-link\" role=\"status\"><p><strong>One-time password reset link</strong> (valid for 2 hours, shown only now). "+
				"Give it only to the owner of the account, after checking who they are:</p>\n"+
				"<input type=\"text\" readonly value=\"%s\" class=\"invite-url\" aria-label=\"Password reset link\"></div>", link)
		}
		m.raw("\n<p class=\"muted\">Resetting the password signs the user out everywhere and makes their old password useless; they choose a new one with a link")
		if mail {
			m.f(" mailed to %s", u.Email)
		} else {
			m.raw(". This server sends no e-mail, so you get the link here to hand over yourself")
		}
		m.f(".</p>\n<form method=\"post\" action=\"%u/reset_password\" class=\"confirm\" data-confirm=\"Reset the password of @%s? They will be signed out everywhere.\">",
			acc, a.Username)
		csrfField(m, p)
		m.f("<button class=\"secondary\">%s</button></form>\n", pick(mail, "Send a password reset", "Reset the password and show a link"))
		if u.ConfirmedAt == nil {
			for _, op := range [...]string{"confirm", "resend_confirmation"} {
				adminViewsAlert(m, formErr(p, acc+"/"+op))
			}
			m.f("\n<p class=\"muted\">The e-mail address is not confirmed.</p><div class=\"actions\">\n"+
				"<form method=\"post\" action=\"%u/confirm\" class=\"confirm\" data-confirm=\"Confirm the address %s without a link?\">", acc, u.Email)
			csrfField(m, p)
			m.raw("<button class=\"secondary\">Confirm the address</button></form>\n")
			if mail {
				postButton(m, p, acc+"/resend_confirmation", "secondary", "Resend the confirmation link")
			}
			m.raw("\n</div>")
		}
		twoFactor := get[bool](p, "TwoFactor")
		m.f("\n<p class=\"muted\">Two-factor authentication: %s</p>\n", pick(twoFactor, "on.", "off."))
		if twoFactor {
			m.f(`<p><a class="btn secondary" href="%u/disable_2fa">Turn off two-factor authentication…</a></p>`, acc)
		}
		m.raw("\n</section>")
	}
	m.raw("\n")
	if u != nil && users {
		m.f("<section class=\"card\"><h2>Export public record</h2>\n"+
			"<p class=\"muted\">The account's public and unlisted posts published in the period, with their earlier versions and their media files, "+
			"as a ZIP archive (an ActivityPub outbox, described by the README.txt inside). Dates are UTC; the first day is included, the last is not; "+
			"leave a date empty for no bound. The export is recorded in the audit log.</p>\n"+
			"<form method=\"post\" action=\"/admin/accounts/%s/export\" class=\"stack\">\n", a.ID)
		csrfField(m, p)
		m.raw("\n<label for=\"from\">From</label><input type=\"date\" id=\"from\" name=\"from\">\n" +
			"<label for=\"to\">Until (not included)</label><input type=\"date\" id=\"to\" name=\"to\">\n" +
			"<button type=\"submit\" class=\"secondary\">Export public record</button>\n</form>\n</section>")
	}
	m.raw("\n")
	if u != nil && users {
		m.f("<section class=\"card\"><h2>Team access</h2>\n<p class=\"muted\">Members who may act as this account, and what they did as it.</p>\n"+
			"<p><a href=\"/admin/accounts/%s/delegations\">Manage team access</a></p>\n</section>", a.ID)
	}
	m.raw("\n")
	if appeals := get[[]core.AppealItem](p, "Appeals"); len(appeals) > 0 {
		m.raw(`<section class="card" id="pending-appeals"><h2>Pending appeals</h2>`)
		for _, it := range appeals {
			m.f("<div class=\"appeal\">\n<p>%s, of “%s” (%s): %s</p>\n<div class=\"actions\">",
				fmtDate(it.Appeal.CreatedAt), moderationAction(it.Warning.Action), fmtDate(it.Warning.CreatedAt), it.Appeal.Text)
			appeal := "/admin/appeals/" + strconv.FormatInt(it.Appeal.ID, 10)
			postButton(m, p, appeal+"/approve", "small", "Approve")
			m.raw("\n")
			postButton(m, p, appeal+"/reject", "small danger", "Reject")
			m.raw("</div></div>")
		}
		m.raw("\n</section>")
	}
	m.raw("\n")
	if warnings := get[[]*model.AccountWarning](p, "Warnings"); len(warnings) > 0 {
		m.raw(`<section class="card"><h2>Past actions</h2><ul>`)
		for _, wa := range warnings {
			m.f("<li>%s: %s", fmtDate(wa.CreatedAt), moderationAction(wa.Action))
			if wa.Text != "" {
				m.f(" – %s", wa.Text)
			}
			if wa.OverruledAt != nil {
				m.f(` <span class="badge overruled">overruled %s</span>`, fmtDatePtr(wa.OverruledAt))
			}
			m.raw("</li>")
		}
		m.raw("</ul></section>")
	}
	m.raw("\n")
}

// adminDisable2FAView asks staff to confirm they checked who asks before
// two-factor authentication is turned off.
func adminDisable2FAView(w *UI, m *markup, p page) {
	a := get[*storage.AdminAccount](p, "AA").Account
	adminViewsHeading(m, p, "@"+w.acct(a))
	act := "/admin/accounts/" + strconv.FormatInt(a.ID, 10) + "/disable_2fa"
	m.f("<section class=\"card narrow\"><h2>Turn off two-factor authentication</h2>\n\n<form method=\"post\" action=\"%u\" class=\"stack\">", act)
	csrfField(m, p)
	m.raw("\n")
	adminViewsAlert(m, formErr(p, act))
	m.raw("\n<p>Whoever asks for this gets into the account with the password alone. Do it only for the account's owner, " +
		"who lost their authenticator and recovery codes: check who they are first, as your institution does for such requests " +
		"(in person with an identity document, or by a call-back to a number on record), not by the e-mail or message that asked.</p>\n")
	adminViewsCheckbox(m, "identity_checked", formCheck(p, act, "identity_checked", false), "I checked that the person asking is the owner of @"+w.acct(a))
	m.f("\n<div class=\"actions\"><button class=\"danger\">Turn off two-factor authentication</button> <a href=\"/admin/accounts/%s\">Cancel</a></div>\n</form></section>\n", a.ID)
}

func adminInvitesView(w *UI, m *markup, p page) {
	const act = "/admin/invites"
	adminViewsHeading(m, p, "Invites")
	m.raw("<section class=\"card\"><h2>New invite</h2>\n<form method=\"post\" action=\"/admin/invites\" class=\"stack\">\n")
	csrfField(m, p)
	m.raw("\n")
	adminViewsAlert(m, formErr(p, act))
	m.raw("\n<div class=\"row\">\n<div><label for=\"max_uses\">Uses</label><select id=\"max_uses\" name=\"max_uses\">" +
		"<option value=\"1\">1</option><option value=\"5\">5</option><option value=\"25\">25</option><option value=\"0\">Unlimited</option></select></div>\n" +
		"<div><label for=\"exp\">Expires after</label><select id=\"exp\" name=\"expires_in_hours\"><option value=\"24\">1 day</option>" +
		"<option value=\"168\" selected>1 week</option><option value=\"720\">30 days</option><option value=\"0\">Never</option></select></div>\n")
	if roles := get[[]*model.Role](p, "Roles"); len(roles) > 0 {
		sel := formVal(p, act, "role", "user")
		m.raw(`<div><label for="role">Role</label><select id="role" name="role">`)
		for _, r := range roles {
			adminViewsOption(m, r.Key, sel, roleName(r))
		}
		m.raw("</select></div>")
	}
	m.f("\n</div>\n<label for=\"comment\">Note <span class=\"muted\">(for staff)</span></label>\n"+
		"<input id=\"comment\" name=\"comment\" type=\"text\" maxlength=\"420\" value=\"%s\">\n<button type=\"submit\">Create invite</button>\n</form></section>\n"+
		"<table class=\"card table\"><thead><tr><th scope=\"col\">Link</th><th scope=\"col\">Uses</th><th scope=\"col\">Expires</th>"+
		"<th scope=\"col\"><span class=\"sr\">Actions</span></th></tr></thead><tbody>\n", formVal(p, act, "comment", ""))
	invites := get[[]adminInviteRow](p, "Invites")
	for _, i := range invites {
		m.f(`<tr><td><div class="copy-row"><input id="invite-%s" type="text" readonly value="%s" class="invite-url" aria-label="Invite link">`+
			`<button type="button" class="small secondary" data-copy="invite-%s" hidden>Copy</button></div>`, i.ID, i.URL, i.ID)
		if i.Comment != "" {
			m.f(`<br><span class="muted">%s</span>`, i.Comment)
		}
		m.f("</td>\n<td>%d", i.Uses)
		if i.MaxUses != 0 {
			m.f(" / %d", i.MaxUses)
		}
		m.raw("</td><td>")
		if i.ExpiresAt != nil {
			m.text(fmtDatePtr(i.ExpiresAt))
		} else {
			m.raw("never")
		}
		m.attrIf(!i.Usable, " (inactive)")
		m.raw("</td>\n<td>")
		if i.Usable {
			m.f(`<form method="post" action="/admin/invites/%s/revoke">`, i.ID)
			csrfField(m, p)
			m.raw(`<button class="small danger">Revoke</button></form>`)
		}
		m.raw("</td></tr>\n")
	}
	if len(invites) == 0 {
		m.raw("<tr><td colspan=\"4\" class=\"muted\">No active invites.</td></tr>")
	}
	m.raw("\n</tbody></table>\n")
}

func adminAnnouncementsView(w *UI, m *markup, p page) {
	const act = "/admin/announcements/create"
	adminViewsHeading(m, p, "Announcements")
	m.raw("<section class=\"card\"><h2>New announcement</h2>\n<form method=\"post\" action=\"/admin/announcements/create\" class=\"stack\">")
	csrfField(m, p)
	m.raw("\n")
	adminViewsAlert(m, formErr(p, act))
	m.f("\n<label for=\"text\">Text</label><textarea id=\"text\" name=\"text\" rows=\"3\" required>%s</textarea>\n", formVal(p, act, "text", ""))
	adminViewsCheckbox(m, "published", formCheck(p, act, "published", true), "Publish now")
	m.raw("\n<button type=\"submit\">Save announcement</button></form></section>\n")
	list := get[[]*model.Announcement](p, "List")
	for _, an := range list {
		m.f("<section class=\"card\"><div>%h</div>\n<p class=\"muted\">", safeHTML(an.Content))
		if an.PublishedAt != nil {
			m.f("Published %s", fmtDatePtr(an.PublishedAt))
		} else {
			m.raw("Draft")
		}
		m.raw("</p>\n<div class=\"actions\">")
		if an.PublishedAt != nil {
			m.raw(`<form method="post" action="/admin/announcements/unpublish">`)
			csrfField(m, p)
			m.f("<input type=\"hidden\" name=\"id\" value=\"%s\"><button class=\"small secondary\">Unpublish</button></form>\n", an.ID)
		} else {
			m.raw(`<form method="post" action="/admin/announcements/publish">`)
			csrfField(m, p)
			m.f(`<input type="hidden" name="id" value="%s"><button class="small">Publish</button></form>`, an.ID)
		}
		m.raw("\n<form method=\"post\" action=\"/admin/announcements/delete\" class=\"confirm\" data-confirm=\"Delete this announcement?\">")
		csrfField(m, p)
		m.f("<input type=\"hidden\" name=\"id\" value=\"%s\"><button class=\"small danger\">Delete</button></form></div>\n</section>", an.ID)
	}
	if len(list) == 0 {
		m.raw(`<p class="card muted">No announcements.</p>`)
	}
	m.raw("\n")
}

func adminAppealsView(w *UI, m *markup, p page) {
	adminViewsHeading(m, p, "Appeals")
	decided := get[bool](p, "Decided")
	m.raw(`<p class="tabs small"><a href="/admin/appeals"`)
	m.attrIf(!decided, ` aria-current="page"`)
	m.raw(`>Pending</a> <a href="/admin/appeals?decided=1"`)
	m.attrIf(decided, ` aria-current="page"`)
	m.raw(">All</a></p>\n")
	appeals := get[[]core.AppealItem](p, "Appeals")
	for _, it := range appeals {
		ap, wa := it.Appeal, it.Warning
		m.f("<section class=\"card appeal\" id=\"appeal-%s\">\n<h2><a href=\"/admin/accounts/%s\">@%s</a> appeals: %s</h2>\n"+
			"<p class=\"muted\">Decided %s · appealed %s</p>\n",
			ap.ID, it.Account.ID, w.acct(it.Account), moderationAction(wa.Action), fmtDate(wa.CreatedAt), fmtDate(ap.CreatedAt))
		if wa.Text != "" {
			m.f("<p><strong>Moderator's explanation:</strong> %s</p>", wa.Text)
		}
		m.raw("\n")
		for _, st := range wa.Statuses {
			m.f(`<blockquote class="strike-post">%h</blockquote>`, safeHTML(st.Content))
		}
		m.f("\n<p><strong>Appeal:</strong> %s</p>\n", ap.Text)
		if ap.State() == "pending" {
			m.raw("<div class=\"actions\">\n")
			appeal := "/admin/appeals/" + strconv.FormatInt(ap.ID, 10)
			postButton(m, p, appeal+"/approve", "", "Approve (reverse the action)")
			m.raw("\n")
			postButton(m, p, appeal+"/reject", "danger", "Reject")
			m.raw("\n</div>")
			if wa.Action == "delete_statuses" {
				m.raw(`<p class="muted small">Removed posts do not come back when an appeal is approved.</p>`)
			}
			m.raw("\n")
		} else {
			m.f(`<p><span class="badge">%s</span></p>`, ap.State())
		}
		m.raw("\n</section>")
	}
	if len(appeals) == 0 {
		m.f(`<p class="card muted">No %sappeals.</p>`, pick(!decided, "pending ", ""))
	}
	m.raw("\n")
}

func adminAuditView(w *UI, m *markup, p page) {
	adminViewsHeading(m, p, "Audit log")
	m.raw("<table class=\"card table\"><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Who</th><th scope=\"col\">Action</th>" +
		"<th scope=\"col\">Target</th></tr></thead><tbody>\n")
	list := get[[]*model.AuditEntry](p, "List")
	accs := get[map[int64]*model.Account](p, "Accounts")
	for _, e := range list {
		m.f("<tr><td>%s</td><td>", fmtDate(e.CreatedAt))
		if a := accs[e.AccountID]; a != nil {
			m.f("@%s", a.Username)
		} else {
			m.raw("command line")
		}
		m.f("</td><td>%s", auditAction(e))
		if e.Summary != "" {
			m.f(`<br><span class="muted">%s</span>`, e.Summary)
		}
		m.f("</td><td>%s %s</td></tr>\n", auditTarget(e.TargetType), e.TargetID)
	}
	if len(list) == 0 {
		m.raw("<tr><td colspan=\"4\" class=\"muted\">Nothing recorded yet.</td></tr>")
	}
	m.raw("\n</tbody></table>\n")
}

func adminBlocksView(w *UI, m *markup, p page) {
	const ipAct, emailAct = "/admin/blocks/ip", "/admin/blocks/email"
	adminViewsHeading(m, p, "IP and e-mail blocks")
	m.raw("<section class=\"card\"><h2>Block an address range</h2>\n<form method=\"post\" action=\"/admin/blocks/ip\" class=\"stack\">")
	csrfField(m, p)
	m.raw("\n")
	adminViewsAlert(m, formErr(p, ipAct))
	sev := formVal(p, ipAct, "severity", "sign_up_requires_approval")
	m.f("\n\n<div class=\"row\"><div><label for=\"ip\">IP address or range</label>"+
		"<input id=\"ip\" name=\"ip\" type=\"text\" required placeholder=\"192.0.2.0/24\" value=\"%s\"></div>\n"+
		"<div><label for=\"severity\">Rule</label><select id=\"severity\" name=\"severity\">", formVal(p, ipAct, "ip", ""))
	adminViewsOption(m, "sign_up_requires_approval", sev, "Sign-ups need approval")
	adminViewsOption(m, "sign_up_block", sev, "Block sign-ups")
	adminViewsOption(m, "no_access", sev, "Block access")
	m.f("</select></div>\n<div><label for=\"days\">Expires after (days, 0 never)</label>"+
		"<input id=\"days\" name=\"expires_in_days\" type=\"number\" min=\"0\" value=\"%s\"></div></div>\n"+
		"<label for=\"comment\">Comment</label><input id=\"comment\" name=\"comment\" type=\"text\" value=\"%s\">\n"+
		"<button type=\"submit\">Add rule</button></form></section>\n"+
		"<table class=\"card table\"><caption>Address rules</caption><thead><tr><th scope=\"col\">Range</th><th scope=\"col\">Rule</th>"+
		"<th scope=\"col\">Expires</th><th scope=\"col\"><span class=\"sr\">Actions</span></th></tr></thead><tbody>\n",
		formVal(p, ipAct, "expires_in_days", "0"), formVal(p, ipAct, "comment", ""))
	ips := get[[]*model.IPBlock](p, "IPs")
	for _, b := range ips {
		m.f("<tr><td>%s", b.IP)
		if b.Comment != "" {
			m.f(`<br><span class="muted">%s</span>`, b.Comment)
		}
		m.f("</td><td>%s</td><td>", b.Severity)
		if b.ExpiresAt != nil {
			m.text(fmtDatePtr(b.ExpiresAt))
		} else {
			m.raw("never")
		}
		m.raw("</td>\n<td><form method=\"post\" action=\"/admin/blocks/ip_delete\">")
		csrfField(m, p)
		m.f("<input type=\"hidden\" name=\"id\" value=\"%s\"><button class=\"small secondary\">Delete</button></form></td></tr>\n", b.ID)
	}
	if len(ips) == 0 {
		m.raw("<tr><td colspan=\"4\" class=\"muted\">No address rules.</td></tr>")
	}
	m.raw("</tbody></table>\n<section class=\"card\"><h2>Block an e-mail domain</h2>\n<form method=\"post\" action=\"/admin/blocks/email\" class=\"stack\">")
	csrfField(m, p)
	m.raw("\n")
	adminViewsAlert(m, formErr(p, emailAct))
	m.f("\n<label for=\"edomain\">E-mail domain</label><input id=\"edomain\" name=\"domain\" type=\"text\" required placeholder=\"mail.example\" value=\"%s\">\n",
		formVal(p, emailAct, "domain", ""))
	adminViewsCheckbox(m, "allow_with_approval", formCheck(p, emailAct, "allow_with_approval", false), "Allow sign-ups with approval instead")
	m.raw("\n<button type=\"submit\">Block e-mail domain</button></form>\n<ul>")
	for _, b := range get[[]*model.EmailDomainBlock](p, "Emails") {
		m.f("<li>%s", b.Domain)
		m.attrIf(b.AllowWithApproval, " (approval)")
		m.raw(` <form method="post" action="/admin/blocks/email_delete" class="inline">`)
		csrfField(m, p)
		m.f(`<input type="hidden" name="id" value="%s"><button class="small secondary">Delete</button></form></li>`, b.ID)
	}
	m.raw("</ul>\n</section>\n")
}

// adminViewsSeverity writes the options of a domain block's severity.
func adminViewsSeverity(m *markup, sev string) {
	adminViewsOption(m, "silence", sev, "Limit")
	adminViewsOption(m, "suspend", sev, "Suspend")
	adminViewsOption(m, "noop", sev, "None (only the options below)")
}

// adminViewsBlockTerms writes a domain block's severity and what it
// rejects.
func adminViewsBlockTerms(m *markup, b *model.DomainBlock) {
	m.text(b.Severity)
	m.attrIf(b.RejectMedia, ", no media")
	m.attrIf(b.RejectReports, ", no reports")
}

func adminFederationView(w *UI, m *markup, p page) {
	const blockAct, importAct, allowAct = "/admin/federation/block", "/admin/federation/import", "/admin/federation/allow"
	adminViewsHeading(m, p, "Federation")
	m.raw("<section class=\"card\"><h2>Block a domain</h2>\n<form method=\"post\" action=\"/admin/federation/block\" class=\"stack\">\n")
	csrfField(m, p)
	m.raw("\n")
	adminViewsAlert(m, formErr(p, blockAct))
	sev := formVal(p, blockAct, "severity", "suspend")
	m.f("\n\n<div class=\"row\"><div><label for=\"domain\">Domain</label>"+
		"<input id=\"domain\" name=\"domain\" type=\"text\" required placeholder=\"spam.example\" value=\"%s\"></div>\n"+
		"<div><label for=\"severity\">Severity</label><select id=\"severity\" name=\"severity\">", formVal(p, blockAct, "domain", ""))
	adminViewsSeverity(m, sev)
	m.raw("</select></div></div>\n")
	adminViewsCheckbox(m, "reject_media", formCheck(p, blockAct, "reject_media", false), "Reject media files")
	m.raw("\n")
	adminViewsCheckbox(m, "reject_reports", formCheck(p, blockAct, "reject_reports", false), "Reject reports")
	m.raw("\n")
	adminViewsCheckbox(m, "obfuscate", formCheck(p, blockAct, "obfuscate", false), "Obfuscate the domain on the public list")
	m.f("\n<label for=\"public_comment\">Public comment</label><input id=\"public_comment\" name=\"public_comment\" type=\"text\" value=\"%s\">\n"+
		"<label for=\"private_comment\">Private comment</label><input id=\"private_comment\" name=\"private_comment\" type=\"text\" value=\"%s\">\n"+
		"<button type=\"submit\">Block domain</button>\n</form></section>\n<section class=\"card\"><h2>Blocked domains</h2>\n"+
		"<div class=\"table-wrap\"><table class=\"table\"><thead><tr><th scope=\"col\">Domain</th><th scope=\"col\">Severity</th>"+
		"<th scope=\"col\">Comments</th><th scope=\"col\"><span class=\"sr\">Actions</span></th></tr></thead><tbody>\n",
		formVal(p, blockAct, "public_comment", ""), formVal(p, blockAct, "private_comment", ""))
	blocks := get[[]*model.DomainBlock](p, "Blocks")
	configured := get[[]core.ConfiguredDomainPolicy](p, "Configured")
	for _, b := range blocks {
		m.f(`<tr><td><a href="/admin/federation/blocks/%s">%s</a>`, b.ID, b.Domain)
		m.attrIf(b.Obfuscate, `<br><span class="muted small">obfuscated in public</span>`)
		m.raw("</td><td>")
		adminViewsBlockTerms(m, b)
		m.raw("</td>\n<td>")
		if b.PublicComment != "" {
			m.f(`<div><span class="small">Public:</span> %s</div>`, b.PublicComment)
		}
		if b.PrivateComment != "" {
			m.f(`<div><span class="small">Private:</span> <span class="muted">%s</span></div>`, b.PrivateComment)
		}
		m.f(`</td>`+"\n"+`<td><div class="actions nowrap"><a class="btn small secondary" href="/admin/federation/blocks/%s">Edit</a>`+
			`<form method="post" action="/admin/federation/unblock" class="confirm" data-confirm="Unblock %s?">`, b.ID, b.Domain)
		csrfField(m, p)
		m.f("<input type=\"hidden\" name=\"id\" value=\"%s\"><button class=\"small secondary\">Unblock</button></form></div></td></tr>\n", b.ID)
	}
	if len(blocks) == 0 && len(configured) == 0 {
		m.raw(`<tr><td colspan="4" class="muted">No blocked domains.</td></tr>`)
	}
	m.raw("\n")
	for _, c := range configured {
		if c.Policy == "allow" {
			continue
		}
		m.f(`<tr class="configured"><td>%s</td><td>`, c.Domain)
		switch c.Policy {
		case "suspend":
			m.raw("suspend")
		case "silence":
			m.raw("silence")
		case "reject_media":
			m.raw("no media")
		}
		m.f(`</td><td class="muted">Set in the %s</td><td><span class="muted small">read-only: change it there</span></td></tr>`, c.Source)
	}
	m.raw("\n</tbody></table></div>\n<h3>Import and export</h3>\n" +
		"<p class=\"muted small\">CSV in Mastodon's format: <code>#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate</code>. " +
		"Blocks set in the configuration are not exported.</p>\n" +
		"<p><a class=\"btn secondary small\" href=\"/admin/federation/export.csv\" download>Export blocks (CSV)</a></p>\n" +
		"<form method=\"post\" action=\"/admin/federation/import\" enctype=\"multipart/form-data\" class=\"stack\">")
	csrfField(m, p)
	m.raw("\n")
	adminViewsAlert(m, formErr(p, importAct))
	m.raw("\n<label for=\"import-file\">CSV file to import <span class=\"muted\">(you choose which domains to block on the next page)</span></label>" +
		"<input id=\"import-file\" name=\"file\" type=\"file\" accept=\".csv,text/csv\" required>\n<button type=\"submit\" class=\"secondary\">Preview import</button></form>\n" +
		"</section>\n<section class=\"card\"><h2>Allowed domains</h2>\n<p class=\"muted\">Limited federation (allow-list mode) is ")
	if get[bool](p, "Limited") {
		m.raw("<strong>on</strong>: only these domains federate")
	} else {
		m.raw("off")
	}
	m.raw(". Change it in <a href=\"/admin/settings\">settings</a>.</p>\n<form method=\"post\" action=\"/admin/federation/allow\" class=\"inline\">")
	csrfField(m, p)
	m.raw("\n")
	adminViewsAlert(m, formErr(p, allowAct))
	m.f("\n<label for=\"adomain\">Domain</label> <input id=\"adomain\" name=\"domain\" type=\"text\" required value=\"%s\"> <button type=\"submit\">Allow</button></form>\n<ul>",
		formVal(p, allowAct, "domain", ""))
	for _, a := range get[[]*model.DomainAllow](p, "Allows") {
		m.f(`<li>%s <form method="post" action="/admin/federation/disallow" class="inline">`, a.Domain)
		csrfField(m, p)
		m.f(`<input type="hidden" name="id" value="%s"><button class="small secondary">Remove</button></form></li>`, a.ID)
	}
	m.raw("</ul>\n</section>\n")
}

func adminDomainBlockView(w *UI, m *markup, p page) {
	b := get[*model.DomainBlock](p, "Block")
	adminViewsHeading(m, p, "Block of "+b.Domain)
	act := "/admin/federation/blocks/" + strconv.FormatInt(b.ID, 10)
	m.f("<section class=\"card\"><h2>Change the block</h2>\n\n<form method=\"post\" action=\"%u\" class=\"stack\">", act)
	csrfField(m, p)
	m.raw("\n")
	adminViewsAlert(m, formErr(p, act))
	sev := formVal(p, act, "severity", b.Severity)
	m.f("\n\n<p>Domain: <strong>%s</strong> <span class=\"muted small\">(blocked %s; a different domain is a new block)</span></p>\n"+
		"<label for=\"severity\">Severity</label><select id=\"severity\" name=\"severity\">", b.Domain, fmtDate(b.CreatedAt))
	adminViewsSeverity(m, sev)
	m.raw("</select>\n")
	adminViewsCheckbox(m, "reject_media", formCheck(p, act, "reject_media", b.RejectMedia), "Reject media files")
	m.raw("\n")
	adminViewsCheckbox(m, "reject_reports", formCheck(p, act, "reject_reports", b.RejectReports), "Reject reports")
	m.raw("\n")
	adminViewsCheckbox(m, "obfuscate", formCheck(p, act, "obfuscate", b.Obfuscate), "Obfuscate the domain on the public list")
	m.f("\n<label for=\"public_comment\">Public comment <span class=\"muted\">(shown on the about page)</span></label>"+
		"<input id=\"public_comment\" name=\"public_comment\" type=\"text\" value=\"%s\">\n"+
		"<label for=\"private_comment\">Private comment <span class=\"muted\">(staff only)</span></label>"+
		"<textarea id=\"private_comment\" name=\"private_comment\" rows=\"3\">%s</textarea>\n"+
		"<div class=\"actions\"><button type=\"submit\">Save</button> <a href=\"/admin/federation\">Cancel</a></div>\n</form></section>\n",
		formVal(p, act, "public_comment", b.PublicComment), formVal(p, act, "private_comment", b.PrivateComment))
}

func adminDomainImportView(w *UI, m *markup, p page) {
	imp := get[*core.DomainBlockImport](p, "Import")
	source := get[string](p, "Source")
	adminViewsHeading(m, p, "Import domain blocks")
	m.f("<section class=\"card\"><h2>From %s</h2>\n", source)
	adminViewsAlert(m, get[string](p, "ImportError"))
	m.raw("\n")
	if len(imp.Errors) > 0 {
		m.raw(`<div class="import-errors"><h3>Lines that cannot be imported</h3><ul>`)
		for _, e := range imp.Errors {
			m.f("<li>Line %d: %s</li>", e.Line, e.Message)
		}
		m.raw("</ul></div>")
	}
	m.raw("\n")
	if len(imp.Existing) > 0 {
		m.raw("<h3>Already blocked, left as they are</h3><ul>")
		for _, e := range imp.Existing {
			m.f("<li>%s — ", e.Domain)
			if e.Domain == e.Covered {
				m.raw("blocked")
			} else {
				m.f("covered by the block of %s", e.Covered)
			}
			m.f(" (%s)</li>", e.Current)
		}
		m.raw("</ul>")
	}
	m.raw("\n")
	if len(imp.Blocks) > 0 {
		m.raw("\n<form method=\"post\" action=\"/admin/federation/import\" class=\"stack\">")
		csrfField(m, p)
		m.f("\n<input type=\"hidden\" name=\"apply\" value=\"1\"><input type=\"hidden\" name=\"source\" value=\"%s\"><textarea name=\"csv\" hidden>%s</textarea>\n"+
			"<p>Choose the domains to block. Each gets the private comment “Imported from %s” with today's date.</p>\n"+
			"<div class=\"table-wrap\"><table class=\"table\"><thead><tr><th scope=\"col\"><span class=\"sr\">Block</span></th><th scope=\"col\">Domain</th>"+
			"<th scope=\"col\">Severity</th><th scope=\"col\">Public comment</th></tr></thead><tbody>\n", source, get[string](p, "CSV"), source)
		for _, b := range imp.Blocks {
			m.f(`<tr><td><input type="checkbox" name="domains" value="%s" checked aria-label="Block %s"></td><td>%s`, b.Domain, b.Domain, b.Domain)
			m.attrIf(b.Obfuscate, `<br><span class="muted small">obfuscated</span>`)
			m.raw("</td>\n<td>")
			adminViewsBlockTerms(m, b)
			m.f("</td><td>%s</td></tr>", b.PublicComment)
		}
		m.raw("\n</tbody></table></div>\n<div class=\"actions\"><button type=\"submit\">Block the chosen domains</button> " +
			"<a href=\"/admin/federation\">Cancel</a></div>\n</form>\n")
	} else {
		m.raw(`<p class="muted">Nothing to import.</p><p><a href="/admin/federation">Back</a></p>`)
	}
	m.raw("\n</section>\n")
}
