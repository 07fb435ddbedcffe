package webui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// adminMoreViews are the pages of this file, by the name handlers render:
// the console's reports list, settings, rules, roles, custom emoji,
// webhooks, single sign-on and trends.
func adminMoreViews() map[string]pageView {
	return map[string]pageView{
		"admin_emoji":    {content: adminEmojiView},
		"admin_reports":  {content: adminReportsView},
		"admin_role":     {content: adminRoleView},
		"admin_roles":    {content: adminRolesView},
		"admin_rules":    {content: adminRulesView},
		"admin_settings": {content: adminSettingsView},
		"admin_sso":      {content: adminSSOView},
		"admin_trends":   {content: adminTrendsView},
		"admin_webhook":  {content: adminWebhookView},
		"admin_webhooks": {content: adminWebhooksView},
	}
}

// adminMoreFormError writes the error of the form posted to action, if any.
func adminMoreFormError(m *markup, p page, action string) {
	if e := formErr(p, action); e != "" {
		m.f(`<p class="error form-error" role="alert">%s</p>`, e)
	}
}

func adminReportsView(w *UI, m *markup, p page) {
	resolved := get[bool](p, "Resolved")
	m.raw("\n<h1 class=\"section\">Reports</h1>\n")
	adminNav(m, p)
	m.raw("\n<p class=\"tabs small\"><a href=\"/admin/reports\"")
	m.attrIf(!resolved, ` aria-current="page"`)
	m.raw(`>Open</a> <a href="/admin/reports?resolved=1"`)
	m.attrIf(resolved, ` aria-current="page"`)
	m.raw(">Resolved</a></p>\n<table class=\"card table\"><thead><tr><th scope=\"col\">Report</th><th scope=\"col\">About</th>" +
		"<th scope=\"col\">By</th><th scope=\"col\">Category</th><th scope=\"col\">Filed</th></tr></thead><tbody>\n")
	rows := get[[]ReportRow](p, "Reports")
	for _, r := range rows {
		m.f(`<tr><td><a href="/admin/reports/%d">#%d</a></td><td data-label="About">@%s</td><td data-label="By">`,
			r.ID, r.ID, w.acct(r.Target))
		if r.Reporter != nil {
			m.f("@%s", w.acct(r.Reporter))
		}
		m.f("</td><td data-label=\"Category\">%s</td><td>%s</td></tr>\n", reportCategory(r.Category), fmtDate(r.CreatedAt))
	}
	if len(rows) == 0 {
		m.f("<tr><td colspan=\"5\" class=\"muted\">No %s reports.</td></tr>", pick(resolved, "resolved", "open"))
	}
	m.raw("\n</tbody></table>\n")
}

func adminSettingsView(w *UI, m *markup, p page) {
	const action = "/admin/settings"
	s := get[core.Site](p, "S")
	// pinned is where the operator set a setting ("" when the console
	// sets it): such a field is shown read-only.
	pinned := func(key string) string { return s.Pinned[key] }
	disabled := func(key string) {
		if pinned(key) != "" {
			m.f(` disabled aria-describedby="%s_pinned"`, key)
		}
	}
	note := func(key string) {
		if where := pinned(key); where != "" {
			m.f(`<p class="muted pinned" id="%s_pinned">Set in the %s: change it there.</p>`, key, where)
		}
	}
	m.raw("\n<h1 class=\"section\">Instance settings</h1>\n")
	adminNav(m, p)
	m.raw("\n<section class=\"card\"><h2>About and registrations</h2>\n<form method=\"post\" action=\"/admin/settings\" class=\"stack\">")
	csrfField(m, p)
	m.raw("\n")
	adminMoreFormError(m, p, action)
	m.raw("\n")
	mode := s.RegistrationsMode
	if pinned("registrations_mode") == "" {
		mode = formVal(p, action, "registrations_mode", s.RegistrationsMode)
	}
	m.raw("\n")
	m.f(`<label for="title">Name</label><input id="title" name="title" type="text" value="%s" required`, formVal(p, action, "title", s.Title))
	disabled("title")
	m.raw(">")
	note("title")
	m.f("\n<label for=\"short_description\">Short description <span class=\"muted\">(one line: shown in apps, in other servers' directories and under the name)</span></label>"+
		`<input id="short_description" name="short_description" type="text" value="%s"`, formVal(p, action, "short_description", s.ShortDescription))
	disabled("short_description")
	m.raw(">")
	note("short_description")
	m.raw("\n<label for=\"description\">About <span class=\"muted\">(Markdown: the top of the about page and the apps' description of this instance)</span></label>" +
		`<textarea id="description" name="description" rows="4"`)
	disabled("description")
	m.f(">%s</textarea>", formVal(p, action, "description", s.Description))
	note("description")
	m.f("\n<label for=\"extended_description\">More about this instance <span class=\"muted\">(Markdown: the about page below the rules; apps show it as the extended description)</span></label>"+
		"<textarea id=\"extended_description\" name=\"extended_description\" rows=\"4\">%s</textarea>\n"+
		"<div class=\"row\"><div><label for=\"contact_account\">Contact account (username)</label><input id=\"contact_account\" name=\"contact_account\" type=\"text\" value=\"%s\"></div>\n"+
		"<div><label for=\"contact_email\">Contact e-mail</label><input id=\"contact_email\" name=\"contact_email\" type=\"email\" value=\"%s\"",
		formVal(p, action, "extended_description", s.ExtendedDescription), formVal(p, action, "contact_account", s.ContactAccount),
		formVal(p, action, "contact_email", s.ContactEmail))
	disabled("contact_email")
	m.raw(">")
	note("contact_email")
	m.raw("</div></div>\n<label for=\"registrations_mode\">Registrations</label>\n<select id=\"registrations_mode\" name=\"registrations_mode\"")
	disabled("registrations_mode")
	m.raw(">\n")
	for i, o := range [...]struct{ value, label string }{
		{"closed", "Closed: accounts are made by staff"}, {"invite", "By invite only"},
		{"approval", "Open with approval"}, {"open", "Open"},
	} {
		if i > 0 {
			m.raw("\n")
		}
		m.f(`<option value="%s"`, o.value)
		m.attrIf(mode == o.value, " selected")
		m.f(">%s</option>", o.label)
	}
	m.raw("</select>")
	note("registrations_mode")
	m.raw("\n<label class=\"check\"><input type=\"checkbox\" name=\"require_reason\" value=\"1\"")
	m.attrIf(formCheck(p, action, "require_reason", s.RequireReason), " checked")
	m.f("> Ask for a reason to join (approval mode)</label>\n"+
		`<label for="registrations_message">Message when registrations are closed</label><input id="registrations_message" name="registrations_message" type="text" value="%s">`+
		"\n<label class=\"check\"><input type=\"checkbox\" name=\"show_staff\" value=\"1\"",
		formVal(p, action, "registrations_message", s.RegistrationsMessage))
	m.attrIf(formCheck(p, action, "show_staff", s.ShowStaff), " checked")
	m.raw("> List the staff accounts on the about page (off: only the contact account, as Mastodon)</label>\n" +
		"<label class=\"check\"><input type=\"checkbox\" name=\"limited_federation\" value=\"1\"")
	m.attrIf(formCheck(p, action, "limited_federation", s.LimitedFederation), " checked")
	m.f("> Limited federation: only allowed domains</label>\n"+
		"<label for=\"terms_of_service\">Terms of service <span class=\"muted\">(Markdown)</span></label><textarea id=\"terms_of_service\" name=\"terms_of_service\" rows=\"5\">%s</textarea>\n"+
		"<label for=\"privacy_policy\">Privacy policy <span class=\"muted\">(Markdown)</span></label><textarea id=\"privacy_policy\" name=\"privacy_policy\" rows=\"5\">%s</textarea>\n"+
		"<button type=\"submit\">Save settings</button>\n</form></section>\n"+
		"<section class=\"card\"><h2>Branding</h2>\n<form method=\"post\" action=\"/admin/branding\" enctype=\"multipart/form-data\" class=\"stack\">",
		formVal(p, action, "terms_of_service", s.TermsOfService), formVal(p, action, "privacy_policy", s.PrivacyPolicy))
	csrfField(m, p)
	brand := get[core.Branding](p, "Brand")
	m.f("\n<label for=\"accent\">Accent colour</label><input id=\"accent\" name=\"accent\" type=\"color\" value=\"%s\">\n"+
		"<label for=\"logo\">Logo <span class=\"muted\">(PNG, JPEG or GIF, at most 256 KB)</span></label><input id=\"logo\" name=\"logo\" type=\"file\" accept=\"image/png,image/jpeg,image/gif\">\n",
		brand.Accent)
	if len(brand.Logo) > 0 {
		m.raw("<p><img src=\"/branding/logo\" alt=\"Current logo\" class=\"logo-preview\"></p>\n" +
			`<label class="check"><input type="checkbox" name="remove_logo" value="1"> Remove the logo</label>`)
	}
	m.raw("\n<button type=\"submit\">Save branding</button>\n</form></section>\n")
}

func adminRulesView(w *UI, m *markup, p page) {
	const create, update = "/admin/rules/create", "/admin/rules/update"
	m.raw("\n<h1 class=\"section\">Rules</h1>\n")
	adminNav(m, p)
	m.raw("\n<section class=\"card\"><h2>Add a rule</h2>\n<form method=\"post\" action=\"/admin/rules/create\" class=\"stack\">")
	csrfField(m, p)
	m.raw("\n")
	adminMoreFormError(m, p, create)
	m.f("\n<label for=\"text\">Rule</label><input id=\"text\" name=\"text\" type=\"text\" required maxlength=\"300\" value=\"%s\">\n"+
		"<label for=\"hint\">Explanation <span class=\"muted\">(optional)</span></label><textarea id=\"hint\" name=\"hint\" rows=\"2\" maxlength=\"1000\">%s</textarea>\n"+
		"<button type=\"submit\">Add rule</button></form></section>\n<section class=\"card\"><h2>Current rules</h2>\n\n",
		formVal(p, create, "text", ""), formVal(p, create, "hint", ""))
	sent := formVal(p, update, "id", "")
	rules := get[[]*model.Rule](p, "Rules")
	if len(rules) == 0 {
		m.raw(`<p class="muted">No rules yet.</p>`)
	} else {
		m.raw(`<ol class="rules rules-edit">`)
		for _, r := range rules {
			this := sent == strconv.FormatInt(r.ID, 10)
			m.raw(`<li><form method="post" action="/admin/rules/update" class="stack">`)
			csrfField(m, p)
			m.f("<input type=\"hidden\" name=\"id\" value=\"%d\">\n", r.ID)
			text, hint := r.Text, r.Hint
			if this {
				adminMoreFormError(m, p, update)
				text, hint = formVal(p, update, "text", r.Text), formVal(p, update, "hint", r.Hint)
			}
			m.f("\n<label for=\"r%d\">Rule</label><input id=\"r%d\" name=\"text\" type=\"text\" value=\"%s\" required>\n"+
				"<label for=\"h%d\">Explanation</label><textarea id=\"h%d\" name=\"hint\" rows=\"2\" maxlength=\"1000\">%s</textarea>\n"+
				"<div class=\"actions\"><button class=\"small secondary\">Save</button><button class=\"small danger\" form=\"rule-delete-%d\">Delete</button></div></form>\n"+
				`<form method="post" action="/admin/rules/delete" id="rule-delete-%d" class="confirm" data-confirm="Delete this rule?">`,
				r.ID, r.ID, text, r.ID, r.ID, hint, r.ID, r.ID)
			csrfField(m, p)
			m.f("<input type=\"hidden\" name=\"id\" value=\"%d\"></form></li>\n", r.ID)
		}
		m.raw("</ol>")
	}
	m.raw("</section>\n")
}

// roleFields are the role form's fields (partial "role_fields"): name,
// colour, rank and badge (not for the everyone role), and the
// permission checkboxes.
func roleFields(m *markup, p page, action, name, color string, position int, highlighted, user bool) {
	if !user {
		m.f("\n<label for=\"role-name\">Name</label><input id=\"role-name\" name=\"name\" type=\"text\" maxlength=\"100\" required value=\"%s\">\n"+
			"<div class=\"row\"><div><label for=\"role-color\">Colour <span class=\"muted\">(#rrggbb, optional)</span></label>"+
			"<input id=\"role-color\" name=\"color\" type=\"text\" pattern=\"#[0-9a-fA-F]{6}\" placeholder=\"#rrggbb\" value=\"%s\"></div>\n"+
			"<div><label for=\"role-position\">Rank <span class=\"muted\">(below yours, %d; higher ranks manage lower ones)</span></label>"+
			"<input id=\"role-position\" name=\"position\" type=\"number\" required value=\"%s\"></div></div>\n"+
			`<label class="check"><input type="checkbox" name="highlighted" value="1"`,
			formVal(p, action, "name", name), formVal(p, action, "color", color), get[core.RoleLimits](p, "Limits").Rank,
			formVal(p, action, "position", position))
		m.attrIf(formCheck(p, action, "highlighted", highlighted), " checked")
		m.raw("> Show the role as a badge on its users' profiles</label>")
	}
	m.raw("\n<fieldset class=\"stack perm-choices\"><legend>Permissions</legend>\n")
	for _, c := range get[[]permChoice](p, "Choices") {
		m.f(`<label class="check"><input type="checkbox" name="permissions" value="%s"`, c.Name)
		m.attrIf(c.Checked, " checked")
		m.attrIf(c.Disabled, " disabled")
		m.f(`> <span>%s <span class="muted small">– %s`, c.Label, c.Hint)
		m.attrIf(c.Disabled, " (you do not hold it)")
		m.raw("</span></span></label>\n")
	}
	m.raw("</fieldset>")
}

func adminRolesView(w *UI, m *markup, p page) {
	m.raw("\n<h1 class=\"section\">Roles</h1>\n")
	adminNav(m, p)
	m.raw("\n<section class=\"card\">\n<p class=\"muted\">A role gives its users permissions in the administration console. " +
		"Staff manage only roles ranked below their own and give only permissions they hold themselves. " +
		"Every user also has the permissions of the “User” role.</p>\n<ul class=\"role-list\">\n")
	for _, r := range get[[]roleRow](p, "Roles") {
		m.raw("<li class=\"role-row\">\n<div class=\"role-head\"><span class=\"role-badge\"")
		if r.Color != "" {
			m.f(` data-color="%s"`, r.Color)
		}
		m.f(">%s</span>\n", roleName(r.Role))
		if r.Highlighted {
			m.raw(`<span class="badge">shown on profiles</span>`)
		}
		m.f("\n<span class=\"muted small\">rank %d</span></div>\n<p class=\"muted small role-perms\">", r.Position)
		switch {
		case r.Key == "owner":
			m.raw("Every permission; cannot be changed.")
		case len(r.Perms) > 0:
			for i, l := range r.Perms {
				if i > 0 {
					m.raw(", ")
				}
				m.text(l.Label)
			}
		default:
			m.raw("No permissions")
		}
		m.raw("</p>\n<div class=\"actions\">")
		if r.Editable {
			m.f(`<a class="btn small secondary" href="/admin/roles/%d">Edit</a>`, r.ID)
		} else {
			m.f(`<span class="muted small">%s</span>`, pick(r.Key == "owner", "fixed", "ranked at or above yours"))
		}
		m.raw("</div>\n</li>")
	}
	m.raw("\n</ul>\n</section>\n<section class=\"card\"><h2>New role</h2>\n<form method=\"post\" action=\"/admin/roles\" class=\"stack\">")
	csrfField(m, p)
	m.raw("\n")
	adminMoreFormError(m, p, "/admin/roles")
	m.raw("\n")
	roleFields(m, p, "/admin/roles", "", "", 0, false, false)
	m.raw("\n<button type=\"submit\">Create role</button>\n</form></section>\n")
}

func adminRoleView(w *UI, m *markup, p page) {
	r := get[*model.Role](p, "R")
	if r == nil {
		r = &model.Role{}
	}
	action := get[string](p, "Action")
	m.f("\n<h1 class=\"section\">Role: %s</h1>\n", roleName(get[*model.Role](p, "R")))
	adminNav(m, p)
	m.raw("\n<p><a href=\"/admin/roles\">← All roles</a></p>\n")
	if !get[bool](p, "Editable") {
		m.f("<section class=\"card\"><p>%s</p></section>\n", pick(r.Key == "owner",
			"The owner role holds every permission and cannot be changed.",
			"This role ranks at or above yours: only someone of a higher rank can change it."))
		return
	}
	m.f(`<section class="card">`+"\n"+`<form method="post" action="%u" class="stack">`, action)
	csrfField(m, p)
	m.raw("\n")
	adminMoreFormError(m, p, action)
	m.raw("\n")
	if r.Key == "user" {
		m.raw("<p class=\"muted\">Every user has this role's permissions; it can hold only “Invite users”.</p>")
	}
	m.raw("\n")
	roleFields(m, p, action, r.Name, r.Color, r.Position, r.Highlighted, r.Key == "user")
	m.raw("\n<button type=\"submit\">Save role</button>\n</form></section>\n")
	if get[bool](p, "Deletable") {
		m.raw("<section class=\"card\"><h2>Delete this role</h2>\n")
		adminMoreFormError(m, p, fmt.Sprint("/admin/roles/", r.ID, "/delete"))
		m.f("\n<p class=\"muted\">Its users keep their accounts and lose the role's permissions.</p>\n"+
			`<form method="post" action="/admin/roles/%d/delete" class="confirm" data-confirm="Delete the role %s?">`, r.ID, roleName(r))
		csrfField(m, p)
		m.raw("<button class=\"danger\">Delete role</button></form>\n</section>")
	}
	m.raw("\n\n")
}

// adminEmojiRow is an emoji's row in a list (partial "emoji_row"), its
// checkbox in the form with id form.
func adminEmojiRow(m *markup, e EmojiRow, form string) {
	m.f("<tr><td><input type=\"checkbox\" name=\"ids\" value=\"%d\" aria-label=\"Choose :%s:\" form=\"%s\"></td>\n"+
		"<td><img class=\"emoji-preview\" src=\"%u\" alt=\":%s:\" width=\"32\" height=\"32\" loading=\"lazy\"></td>\n"+
		"<td><code>:%s:</code>", e.ID, e.Shortcode, form, e.URL, e.Shortcode, e.Shortcode)
	if e.Domain != "" {
		m.f(`<br><span class="muted small">%s</span>`, e.Domain)
	}
	m.raw("</td>\n<td data-label=\"Category\">")
	switch {
	case e.Domain != "":
		m.raw(`<span class="muted">remote</span>`)
	case e.Category != "":
		m.text(e.Category)
	default:
		m.raw(`<span class="muted">none</span>`)
	}
	m.raw("</td>\n<td>")
	if e.Disabled {
		m.raw(`<span class="badge">disabled</span>`)
	} else {
		m.raw("enabled")
	}
	if e.Domain == "" {
		if e.VisibleInPicker {
			m.raw(", in picker")
		} else {
			m.raw(`, <span class="muted">hidden from picker</span>`)
		}
	}
	m.raw("</td></tr>")
}

func adminEmojiView(w *UI, m *markup, p page) {
	const create, batch = "/admin/emoji/create", "/admin/emoji/batch"
	cats := get[[]string](p, "Categories")
	filter := get[storage.EmojiFilter](p, "Filter")
	m.raw("\n<h1 class=\"section\">Custom emoji</h1>\n")
	adminNav(m, p)
	m.raw("\n<section class=\"card\"><h2>Upload an emoji</h2>\n<form method=\"post\" action=\"/admin/emoji/create\" enctype=\"multipart/form-data\" class=\"stack\">")
	csrfField(m, p)
	m.raw("\n")
	adminMoreFormError(m, p, create)
	m.f("\n<div class=\"row\"><div><label for=\"shortcode\">Shortcode</label><input id=\"shortcode\" name=\"shortcode\" type=\"text\" required "+
		"pattern=\"[A-Za-z0-9_]{2,64}\" maxlength=\"64\" placeholder=\"city_logo\" value=\"%s\"></div>\n"+
		"<div><label for=\"category\">Category <span class=\"muted\">(optional)</span></label><input id=\"category\" name=\"category\" type=\"text\" "+
		"maxlength=\"64\" list=\"emoji-categories\" value=\"%s\"></div></div>\n"+
		"<label for=\"image\">Image <span class=\"muted\">(PNG, GIF or WebP, at most 256 KB; shown at most 256×256)</span></label>"+
		"<input id=\"image\" name=\"image\" type=\"file\" required accept=\"image/png,image/gif,image/webp\">\n"+
		`<label class="check"><input type="checkbox" name="visible_in_picker" value="1"`,
		formVal(p, create, "shortcode", ""), formVal(p, create, "category", ""))
	m.attrIf(formCheck(p, create, "visible_in_picker", true), " checked")
	m.raw("> Visible in the picker</label>\n<button type=\"submit\">Upload</button></form>\n" +
		"<p class=\"muted small\">Letters, digits and underscores, at least two. A whole folder can be imported with <code>herald emoji import</code>.</p></section>\n" +
		`<datalist id="emoji-categories">`)
	for _, c := range cats {
		m.f(`<option value="%s">`, c)
	}
	m.f("</datalist>\n\n<section class=\"card\"><h2>Copy from a remote post</h2>\n<form method=\"get\" action=\"/admin/emoji\" class=\"stack\">\n"+
		"<label for=\"post\">Address of a post known here</label><input id=\"post\" name=\"post\" type=\"text\" value=\"%s\" placeholder=\"https://other.example/@someone/123\">\n"+
		"<button type=\"submit\" class=\"secondary\">Show its emoji</button></form>\n", get[string](p, "PostRef"))
	if e := get[string](p, "PostError"); e != "" {
		m.f(`<p class="error form-error" role="alert">%s</p>`, e)
	}
	m.raw("\n")
	if get[*model.Status](p, "Post") != nil {
		if found := get[[]EmojiRow](p, "PostEmoji"); len(found) > 0 {
			m.raw(`<form method="post" action="/admin/emoji/batch" id="post-emoji">`)
			csrfField(m, p)
			m.raw("<input type=\"hidden\" name=\"return\" value=\"/admin/emoji\">\n<div class=\"table-wrap\"><table class=\"table\"><caption>Emoji in this post</caption>" +
				"<thead><tr><th scope=\"col\"><span class=\"sr\">Choose</span></th><th scope=\"col\">Image</th><th scope=\"col\">Shortcode</th>" +
				"<th scope=\"col\">Category</th><th scope=\"col\">State</th></tr></thead><tbody>\n")
			for _, e := range found {
				adminEmojiRow(m, e, "post-emoji")
			}
			m.raw("</tbody></table></div>\n<button name=\"action\" value=\"copy\">Copy the chosen emoji to this server</button></form>\n")
		} else {
			m.raw(`<p class="muted">That post uses no custom emoji.</p>`)
		}
	}
	m.raw("\n</section>\n\n<section class=\"card\"><h2>Emoji</h2>\n<form method=\"get\" action=\"/admin/emoji\" class=\"filters\">\n" +
		`<div><label for="origin">Origin</label><select id="origin" name="origin"><option value="local"`)
	m.attrIf(filter.Origin == "local", " selected")
	m.raw(`>This server</option><option value="remote"`)
	m.attrIf(filter.Origin == "remote", " selected")
	m.f(">Other servers</option></select></div>\n"+
		"<div><label for=\"q\">Shortcode</label><input id=\"q\" name=\"q\" type=\"search\" value=\"%s\"></div>\n"+
		`<div><label for="fcategory">Category</label><select id="fcategory" name="category"><option value="">All</option>`,
		filter.Query)
	for _, c := range cats {
		m.raw("<option")
		m.attrIf(filter.Category == c, " selected")
		m.f(">%s</option>", c)
	}
	m.f("</select></div>\n"+
		"<div><label for=\"fdomain\">Domain</label><input id=\"fdomain\" name=\"domain\" type=\"search\" value=\"%s\" placeholder=\"other.example\"></div>\n"+
		"<div><button type=\"submit\" class=\"secondary\">Filter</button></div></form>\n"+
		`<form method="post" action="/admin/emoji/batch" id="emoji-batch" class="stack">`, filter.Domain)
	csrfField(m, p)
	m.raw("\n")
	adminMoreFormError(m, p, batch)
	m.raw("\n<div class=\"table-wrap\"><table class=\"table\"><thead><tr><th scope=\"col\"><span class=\"sr\">Choose</span></th><th scope=\"col\">Image</th>" +
		"<th scope=\"col\">Shortcode</th><th scope=\"col\">Category</th><th scope=\"col\">State</th></tr></thead><tbody>\n")
	rows := get[[]EmojiRow](p, "Emoji")
	for _, e := range rows {
		adminEmojiRow(m, e, "emoji-batch")
	}
	if len(rows) == 0 {
		m.raw(`<tr><td colspan="5" class="muted">No emoji.</td></tr>`)
	}
	m.raw("\n</tbody></table></div>\n")
	if next := get[string](p, "Next"); next != "" {
		m.f(`<p><a href="%u">Next page</a></p>`, next)
	}
	m.f("\n<fieldset class=\"batch\"><legend>With the chosen emoji</legend>\n"+
		"<div class=\"actions\"><button class=\"small secondary\" name=\"action\" value=\"enable\">Enable</button><button class=\"small secondary\" name=\"action\" value=\"disable\">Disable</button>\n"+
		"<button class=\"small secondary\" name=\"action\" value=\"list\">Show in picker</button><button class=\"small secondary\" name=\"action\" value=\"unlist\">Hide from picker</button>\n"+
		"<button class=\"small secondary\" name=\"action\" value=\"copy\">Copy to this server</button>\n"+
		"<button class=\"small danger\" name=\"action\" value=\"delete\" data-confirm=\"Delete the chosen emoji?\">Delete</button></div>\n"+
		"<div class=\"inline-row\"><label for=\"bcategory\">Category</label><input id=\"bcategory\" name=\"category\" type=\"text\" maxlength=\"64\" list=\"emoji-categories\" value=\"%s\">"+
		"<button class=\"small secondary\" name=\"action\" value=\"category\">Set category</button></div>\n"+
		"</fieldset></form></section>\n", formVal(p, batch, "category", ""))
}

func adminSSOView(w *UI, m *markup, p page) {
	s := get[*core.SSOStatus](p, "S")
	if s == nil {
		s = &core.SSOStatus{}
	}
	m.raw("\n<h1 class=\"section\">Single sign-on</h1>\n")
	adminNav(m, p)
	m.raw("\n<section class=\"card sso-status\"><h2>Provider</h2>\n")
	if !s.Enabled {
		m.raw("<p>Single sign-on is off. It is set up in the <code>[oidc]</code> section of the configuration file.</p>\n")
	} else {
		m.f("<dl class=\"facts\">\n<dt>Name</dt><dd>%s</dd>\n<dt>Issuer</dt><dd><code>%s</code></dd>\n"+
			"<dt>Client ID</dt><dd><code>%s</code></dd>\n<dt>Reachable</dt><dd id=\"sso-reachable\">", s.Name, s.Issuer, s.ClientID)
		if s.Reachable {
			m.raw("yes")
		} else {
			m.raw("no")
			if s.Error != "" {
				m.f(": %s", s.Error)
			}
		}
		m.f("</dd>\n<dt>Redirect URI</dt><dd><code>%s</code></dd>\n<dt>Logout</dt><dd>%s;\n", s.RedirectURI,
			pick(s.EndSession, "signing out here signs out at the provider", "the provider publishes no end_session_endpoint"))
		if s.BackChannelLogout {
			m.f("back-channel logout at <code>%s</code>", s.BackChannelLogoutURI)
		} else {
			m.raw("the provider announces no back-channel logout")
		}
		m.f("</dd>\n<dt>New accounts</dt><dd>%s</dd>\n<dt>Password sign-in</dt><dd>",
			pick(s.CreateAccounts, "made on first sign-in", "none: only existing accounts are matched"))
		if s.PasswordLogin == "all" {
			m.raw("every account")
		} else {
			m.raw("owners")
			for _, a := range s.PasswordAccounts {
				m.f(", %s", a)
			}
		}
		m.raw("</dd>\n")
		if len(s.AllowedEmailDomains) > 0 {
			m.f("<dt>E-mail domains</dt><dd>%s</dd>", strings.Join(s.AllowedEmailDomains, ", "))
		}
		m.raw("\n")
		if len(s.RequiredGroups) > 0 {
			m.f("<dt>Required groups</dt><dd>%s</dd>", strings.Join(s.RequiredGroups, ", "))
		}
		m.raw("\n")
		if s.RoleClaim != "" {
			m.f("<dt>Role claim</dt><dd><code>%s</code></dd>", s.RoleClaim)
		}
		m.raw("\n</dl>")
	}
	m.f("\n<p>Linked accounts: <strong id=\"sso-linked\">%d</strong></p>\n</section>\n"+
		"<table class=\"card table sso-links\"><caption>Linked accounts</caption><thead><tr><th scope=\"col\">Account</th><th scope=\"col\">E-mail at the provider</th>"+
		"<th scope=\"col\">Subject</th><th scope=\"col\">Linked</th><th scope=\"col\">Last sign-in</th><th scope=\"col\"></th></tr></thead><tbody>\n", s.LinkedAccounts)
	links := get[[]*storage.OIDCLink](p, "Links")
	for _, l := range links {
		m.f(`<tr><td><a href="/admin/accounts/%d">@%s</a></td><td>%s</td><td><code>%s</code></td><td>%s</td><td>%s</td>`+"\n"+
			`<td><form method="post" action="/admin/sso/links/%d/unlink" class="confirm" data-confirm="Unlink @%s from the provider? Their sessions started through it end.">`,
			l.UserID, l.Username, l.Email, l.Subject, fmtDate(l.CreatedAt), fmtDatePtr(l.LastSignInAt), l.ID, l.Username)
		csrfField(m, p)
		m.raw("<button class=\"secondary\">Unlink</button></form></td></tr>\n")
	}
	if len(links) == 0 {
		m.raw("<tr><td colspan=\"6\" class=\"muted\">No account is linked yet.</td></tr>")
	}
	m.raw("</tbody></table>\n")
	if older := get[int64](p, "Older"); older != 0 {
		m.f(`<p><a href="/admin/sso?max_id=%d">Older links</a></p>`, older)
	}
	m.raw("\n")
}

func adminTrendsView(w *UI, m *markup, p page) {
	m.raw("\n<h1 class=\"section\">Trends</h1>\n")
	adminNav(m, p)
	m.raw("\n<p class=\"card muted\">")
	switch {
	case !get[bool](p, "Enabled"):
		m.raw("Trends are off ([instance] trends).")
	case get[bool](p, "Review"):
		m.raw("Only what you approve trends publicly; allowing an author lets all their posts trend but those you reject.")
	default:
		m.raw("Everything trends unless you reject it.")
	}
	m.raw(" Scores are computed every ten minutes from recent public posts.</p>\n<form method=\"post\" action=\"/admin/trends/refresh\" class=\"card\">")
	csrfField(m, p)
	m.raw("<button class=\"secondary\">Recompute now</button></form>\n")
	for _, s := range get[[]trendSection](p, "Sections") {
		m.f(`<table class="card table trends"><caption>%s</caption><thead><tr><th scope="col">%s</th><th scope="col">%s</th><th scope="col">Review</th></tr></thead><tbody>`+"\n",
			s.Title, s.Item, s.Count)
		for _, r := range s.Rows {
			m.f(`<tr><td class="trend-item"><a href="%u"`, r.Href)
			m.attrIf(r.Kind == "link", ` rel="noopener nofollow"`)
			m.f(">%s</a>", r.Label)
			if r.Author != "" {
				m.f(`<br><span class="muted">@%s</span>`, r.Author)
			}
			m.f("</td><td class=\"num\">%d</td>\n<td class=\"trend-review\"><span class=\"badge\">%s</span>\n", r.Count, r.State)
			trend := "/admin/trends/" + r.Kind + "/" + strconv.FormatInt(r.ID, 10)
			postButton(m, p, trend+"/approve", "small", "Approve")
			m.raw("\n")
			postButton(m, p, trend+"/reject", "small danger", "Reject")
			m.raw("\n")
			if r.AuthorID != 0 {
				postButton(m, p, "/admin/trends/account/"+strconv.FormatInt(r.AuthorID, 10)+"/approve", "small secondary", "Allow author")
			}
			m.raw("</td></tr>\n")
		}
		if len(s.Rows) == 0 {
			m.raw(`<tr><td colspan="3" class="muted">Nothing is trending.</td></tr>`)
		}
		m.raw("</tbody></table>\n")
	}
	m.raw("\n")
}

func adminWebhookView(w *UI, m *markup, p page) {
	wh := get[*model.Webhook](p, "W")
	if wh == nil {
		wh = &model.Webhook{}
	}
	m.raw("\n<h1 class=\"section\">Webhook</h1>\n")
	adminNav(m, p)
	m.f("\n<section class=\"card\">\n<dl class=\"facts\">\n<dt>Endpoint</dt><dd><code>%s</code></dd>\n<dt>Events</dt><dd>%s</dd>\n"+
		"<dt>State</dt><dd class=\"webhook-state\">%s</dd>\n<dt>Secret</dt><dd><code id=\"webhook-secret\">%s</code></dd>\n"+
		"<dt>Added</dt><dd>%s</dd>\n</dl>\n"+
		"<p class=\"muted\">Requests carry <code>X-Hub-Signature: sha256=</code> and the hex HMAC-SHA256 of the body keyed with the secret; check it before trusting a request.</p>\n"+
		"<div class=\"actions\">\n",
		wh.URL, strings.Join(wh.Events, ", "), pick(wh.Enabled, "Enabled", "Disabled: nothing is sent"), wh.Secret, fmtDate(wh.CreatedAt))
	hook := "/admin/webhooks/" + strconv.FormatInt(wh.ID, 10)
	if wh.Enabled {
		postButton(m, p, hook+"/disable", "secondary", "Disable")
		m.raw("\n")
	} else {
		postButton(m, p, hook+"/enable", "", "Enable")
	}
	m.f("\n"+`<form method="post" action="/admin/webhooks/%d/rotate" class="confirm" data-confirm="Make a new secret? The endpoint must use it from now on.">`, wh.ID)
	csrfField(m, p)
	m.f("<button class=\"secondary\">Rotate secret</button></form>\n"+
		`<form method="post" action="/admin/webhooks/%d/delete" class="confirm" data-confirm="Delete this webhook and its delivery log?">`, wh.ID)
	csrfField(m, p)
	m.f("<button class=\"danger\">Delete</button></form>\n</div>\n</section>\n<section class=\"card\"><h2>Edit</h2>\n"+
		`<form method="post" action="/admin/webhooks/%d/update" class="stack">`, wh.ID)
	csrfField(m, p)
	m.f("\n<label for=\"url\">Endpoint URL</label><input id=\"url\" name=\"url\" type=\"url\" required maxlength=\"2048\" value=\"%s\">\n"+
		"<fieldset><legend>Events</legend>\n", wh.URL)
	for _, e := range get[[]eventChoice](p, "Events") {
		m.f(`<label class="check"><input type="checkbox" name="events" value="%s"`, e.Name)
		m.attrIf(e.Checked, " checked")
		m.f("> %s</label>\n", e.Name)
	}
	m.raw("</fieldset>\n<button type=\"submit\">Save</button></form></section>\n" +
		"<table class=\"card table deliveries\"><caption>Recent deliveries</caption><thead><tr><th scope=\"col\">Event</th><th scope=\"col\">State</th>" +
		"<th scope=\"col\">Attempts</th><th scope=\"col\">Answer</th><th scope=\"col\">Last error</th><th scope=\"col\">Last attempt</th></tr></thead><tbody>\n")
	log := get[[]*model.WebhookDelivery](p, "Deliveries")
	for _, d := range log {
		m.f(`<tr><td>%s <span class="muted">#%d</span><br><span class="muted">%s</span></td><td><span class="badge">%s</span></td><td>%d</td><td>`,
			d.Event, d.ObjectID, fmtDate(d.CreatedAt), d.State, d.Attempts)
		if d.StatusCode != 0 {
			m.f("%d", d.StatusCode)
		} else {
			m.raw(`<span class="muted">none</span>`)
		}
		m.f("</td><td>%s</td><td>", d.LastError)
		if d.Attempts != 0 {
			m.text(fmtDate(d.UpdatedAt))
		}
		m.raw("</td></tr>\n")
	}
	if len(log) == 0 {
		m.raw(`<tr><td colspan="6" class="muted">Nothing sent yet.</td></tr>`)
	}
	m.raw("</tbody></table>\n")
}

func adminWebhooksView(w *UI, m *markup, p page) {
	m.raw("\n<h1 class=\"section\">Webhooks</h1>\n")
	adminNav(m, p)
	m.raw("\n<section class=\"card\"><h2>Add a webhook</h2>\n<p class=\"muted\">Each event is sent to the endpoint as a JSON POST signed with the webhook's secret: " +
		"<code>X-Hub-Signature: sha256=</code> and the hex HMAC-SHA256 of the body, as Mastodon's webhooks.</p>\n" +
		`<form method="post" action="/admin/webhooks" class="stack">`)
	csrfField(m, p)
	m.raw("\n<label for=\"url\">Endpoint URL</label><input id=\"url\" name=\"url\" type=\"url\" required maxlength=\"2048\" placeholder=\"https://hooks.example/herald\">\n" +
		"<fieldset><legend>Events</legend>\n")
	for _, e := range get[[]eventChoice](p, "Events") {
		m.f("<label class=\"check\"><input type=\"checkbox\" name=\"events\" value=\"%s\"> %s</label>\n", e.Name, e.Name)
	}
	m.raw("</fieldset>\n<button type=\"submit\">Add webhook</button></form></section>\n" +
		"<table class=\"card table webhooks\"><caption>Webhooks</caption><thead><tr><th scope=\"col\">Endpoint</th><th scope=\"col\">Events</th>" +
		"<th scope=\"col\">State</th></tr></thead><tbody>\n")
	list := get[[]*model.Webhook](p, "List")
	for _, wh := range list {
		m.f(`<tr><td><a href="/admin/webhooks/%d">%s</a></td><td>%s</td><td><span class="badge">%s</span></td></tr>`+"\n",
			wh.ID, wh.URL, strings.Join(wh.Events, ", "), pick(wh.Enabled, "enabled", "disabled"))
	}
	if len(list) == 0 {
		m.raw(`<tr><td colspan="3" class="muted">No webhooks yet.</td></tr>`)
	}
	m.raw("</tbody></table>\n")
}
