package webui

import (
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

// Pages are written by Go functions into a markup, not by html/template:
// text/template finds methods by name at run time, which makes the linker
// keep every exported method of every type that can reach an interface
// (about 5 MB of the binary), and the parse trees took memory too. The
// rule that kept pages safe stays: markup text is constant, written with
// raw or in a format; every value goes in escaped for the place it lands
// (text and quoted attribute values, URLs, integers), and only HTML that
// core rendered or sanitised goes in as it is (safeHTML).

// safeHTML is HTML rendered or sanitised by core, written as it is.
type safeHTML string

// markup is an HTML page being written.
type markup struct{ buf bytes.Buffer }

// raw writes markup: a constant of this package, never a value.
func (m *markup) raw(s string) { m.buf.WriteString(s) }

// text writes a value as text or as a quoted attribute's value.
func (m *markup) text(s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '&':
			esc = "&amp;"
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '+': // as html/template did (no UTF-7 reading of a value)
			esc = "&#43;"
		case 0:
			esc = "\uFFFD"
		default:
			continue
		}
		m.buf.WriteString(s[last:i])
		m.buf.WriteString(esc)
		last = i + 1
	}
	m.buf.WriteString(s[last:])
}

// url writes a URL as a quoted attribute's value (href, src, action):
// relative, http(s) or mailto only, as html/template allowed, so that a
// javascript: or data: link from anywhere never becomes one; and with
// what may not stand in a URL (spaces, quotes, non-ASCII bytes)
// percent-encoded, existing escapes kept.
func (m *markup) url(s string) {
	if !safeURL(s) {
		m.buf.WriteString("#blocked")
		return
	}
	m.text(normalURL(s))
}

func normalURL(s string) string {
	var b strings.Builder
	done := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte("!#$&*+,/:;=?@[]-._~", c) >= 0:
			continue
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			continue
		}
		b.WriteString(s[done:i])
		b.WriteByte('%')
		b.WriteByte("0123456789abcdef"[c>>4])
		b.WriteByte("0123456789abcdef"[c&15])
		done = i + 1
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func safeURL(s string) bool {
	i := strings.IndexAny(s, ":/?#")
	if i < 0 || s[i] != ':' {
		return true // no scheme: relative
	}
	switch strings.ToLower(s[:i]) {
	case "http", "https", "mailto":
		return true
	}
	return false
}

// html writes HTML that core rendered or sanitised.
func (m *markup) html(s safeHTML) { m.buf.WriteString(string(s)) }

// int writes an integer.
func (m *markup) int(n int64) { m.buf.WriteString(strconv.FormatInt(n, 10)) }

// f writes markup with values: %s writes a value as text (text, or
// quoted attribute value), %u a URL attribute's value, %d an integer, %h
// a safeHTML and %% a percent sign. A value of another kind than its
// verb asks for is a bug of the page: it is written as %!verb(type), as
// fmt does, and the page tests find it.
func (m *markup) f(format string, args ...any) {
	a := 0
	for {
		i := strings.IndexByte(format, '%')
		if i < 0 || i == len(format)-1 {
			m.buf.WriteString(format)
			return
		}
		m.buf.WriteString(format[:i])
		verb := format[i+1]
		format = format[i+2:]
		if verb == '%' {
			m.buf.WriteByte('%')
			continue
		}
		if a >= len(args) {
			m.buf.WriteString("%!" + string(verb) + "(MISSING)")
			continue
		}
		m.value(verb, args[a])
		a++
	}
}

func (m *markup) value(verb byte, v any) {
	switch verb {
	case 's':
		switch x := v.(type) {
		case string:
			m.text(x)
			return
		case int, int64, int32:
			m.int(toInt64(x))
			return
		case bool:
			m.raw(strconv.FormatBool(x))
			return
		}
	case 'u':
		if x, ok := v.(string); ok {
			m.url(x)
			return
		}
	case 'd':
		switch x := v.(type) {
		case int, int64, int32:
			m.int(toInt64(x))
			return
		}
	case 'h':
		if x, ok := v.(safeHTML); ok {
			m.html(x)
			return
		}
	}
	m.buf.WriteString(fmt.Sprintf("%%!%c(%T)", verb, v))
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case int32:
		return int64(x)
	}
	return 0
}

// attrIf writes s (an attribute, with its leading space) when on.
func (m *markup) attrIf(on bool, s string) {
	if on {
		m.buf.WriteString(s)
	}
}

// pick is a when on, else b: for words that depend on a state.
func pick(on bool, a, b string) string {
	if on {
		return a
	}
	return b
}

// A pageView writes a page: head adds to <head> (may be nil), content
// is the page's <main>. Both read the page's data.
type pageView struct {
	head    func(w *UI, m *markup, p page)
	content func(w *UI, m *markup, p page)
}

// get is a page value of type T, or T's zero value when the page has
// none (as a template's missing key).
func get[T any](p page, key string) T {
	v, _ := p[key].(T)
	return v
}

// layout writes the page around a view's content: head, the site's
// header and navigation, the flash message and the footer.
func (w *UI) layout(m *markup, p page, v pageView) {
	instance := get[string](p, "Instance")
	m.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" +
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
	if t := get[string](p, "Title"); t != "" {
		m.f("%s – ", t)
	}
	m.text(instance)
	m.raw("</title>\n<link rel=\"stylesheet\" href=\"/static/style.css\">\n<link rel=\"stylesheet\" href=\"/branding.css\">\n" +
		"<link rel=\"icon\" href=\"/branding/logo\">\n<script src=\"/static/app.js\" defer></script>\n")
	if og := get[map[string]string](p, "OG"); og != nil {
		m.f("<meta property=\"og:site_name\" content=\"%s\">\n<meta property=\"og:title\" content=\"%s\">\n"+
			"<meta property=\"og:type\" content=\"%s\">\n<meta property=\"og:url\" content=\"%s\">\n"+
			"<meta property=\"og:description\" content=\"%s\">\n<meta property=\"og:image\" content=\"%s\">\n"+
			"<meta name=\"description\" content=\"%s\">\n<link rel=\"canonical\" href=\"%u\">\n",
			instance, og["title"], og["type"], og["url"], og["description"], og["image"], og["description"], og["url"])
	}
	if v.head != nil {
		v.head(w, m, p)
	}
	m.raw("\n</head>\n<body>\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n<header class=\"site\">\n<a class=\"brand\" href=\"/\">")
	if b := get[core.Branding](p, "Brand"); len(b.Logo) > 0 {
		m.raw(`<img src="/branding/logo" alt="" class="logo">`)
	}
	m.f("<span>%s</span></a>\n<nav aria-label=\"Main\">\n", instance)
	if me := get[*model.Account](p, "Me"); me != nil {
		path := get[string](p, "Path")
		for i, l := range [...]struct{ href, label string }{
			{"/home", "Home"}, {"/local", "Local"}, {"/notifications", "Notifications"},
			{"/requests", "Requests"}, {"/search", "Search"}, {"/lists", "Lists"},
		} {
			if i > 0 {
				m.raw("\n")
			}
			m.f(`<a href="%u"`, l.href)
			m.attrIf(path == l.href, ` aria-current="page"`)
			m.f(">%s</a>", l.label)
		}
		m.f("\n<a href=\"/@%s\">Profile</a>\n<a href=\"/settings/profile\">Settings</a>\n", me.Username)
		if get[bool](p, "Staff") {
			m.raw("<a href=\"/admin\">Admin</a>")
		}
		m.raw("\n<a href=\"/auth/sign_out\">Sign out</a>\n")
	} else {
		m.raw("<a href=\"/about\">About</a>\n<a href=\"/auth/sign_in\">Sign in</a>")
	}
	m.raw("\n</nav>\n")
	w.switcher(m, p)
	m.raw("\n</header>\n<main id=\"main\" tabindex=\"-1\">\n")
	if f := get[string](p, "Flash"); f != "" {
		m.f("<p class=\"flash\" role=\"status\">%s</p>", f)
	}
	m.raw("\n")
	v.content(w, m, p)
	m.raw("\n</main>\n<footer class=\"site\"><a href=\"/about\">About</a> · <a href=\"/terms\">Terms</a> · " +
		"<a href=\"/privacy-policy\">Privacy</a> · Powered by Herald</footer>\n</body>\n</html>")
}

// switcher is the form by which someone who acts for other accounts
// (delegations) switches between them.
func (w *UI) switcher(m *markup, p page) {
	sw := get[[]*core.DelegationView](p, "Switch")
	if len(sw) == 0 {
		return
	}
	self := get[*model.Account](p, "Self")
	acting := get[*model.Account](p, "ActingAs")
	m.raw(`<form method="post" action="/switch_account" class="switcher">`)
	csrfField(m, p)
	m.raw("\n<label for=\"switch-account\">")
	if acting != nil {
		m.f("Acting as <strong>@%s</strong> (you are @%s)", acting.Username, self.Username)
	} else {
		m.raw("Act as")
	}
	m.raw("</label>\n<select id=\"switch-account\" name=\"account_id\"><option value=\"0\"")
	m.attrIf(acting == nil, " selected")
	m.f(">@%s (yourself)</option>\n", self.Username)
	for _, d := range sw {
		m.f(`<option value="%s"`, d.Account.ID)
		m.attrIf(acting != nil && acting.ID == d.Account.ID, " selected")
		m.f(">@%s</option>", d.Account.Username)
	}
	m.raw("</select>\n<button type=\"submit\" class=\"small\">Switch</button></form>")
}

// csrfField is the hidden field that carries the form's CSRF token.
func csrfField(m *markup, p page) {
	m.f(`<input type="hidden" name="authenticity_token" value="%s">`, get[string](p, "CSRF"))
}

// postButton writes a form of one button that posts to action, with the
// CSRF field; class is the button's (none when empty).
func postButton(m *markup, p page, action, class, label string) {
	m.f(`<form method="post" action="%u">`, action)
	csrfField(m, p)
	if class == "" {
		m.f("<button>%s</button></form>", label)
		return
	}
	m.f(`<button class="%s">%s</button></form>`, class, label)
}

// The values pages show of accounts and times.

func dname(a *model.Account) string {
	if a == nil {
		return ""
	}
	if a.DisplayName != "" {
		return a.DisplayName
	}
	return a.Username
}

func (w *UI) acct(a *model.Account) string {
	if a == nil {
		return ""
	}
	if a.Domain == "" {
		return a.Username + "@" + w.svc.Cfg.Instance.Domain
	}
	return a.Username + "@" + a.Domain
}

func (w *UI) avatarURL(a *model.Account) string {
	if a != nil {
		if u := w.svc.AccountImageURL(a, "avatar"); u != "" {
			return u
		}
	}
	return "/avatars/original/missing.png"
}

func (w *UI) headerURL(a *model.Account) string {
	if a != nil {
		if u := w.svc.AccountImageURL(a, "header"); u != "" {
			return u
		}
	}
	return "/headers/original/missing.png"
}

func profileURL(a *model.Account) string {
	if a == nil {
		return "/"
	}
	if a.Local() {
		return "/@" + a.Username
	}
	if a.URL != "" {
		return a.URL
	}
	return a.URI
}

func fmtDate(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04") }
func isoDate(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func fmtDatePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return fmtDate(*t)
}

// formVal is a field's value: what was typed when the page shows the
// form posted to action again after an error, else current (also for a
// field the form did not send, such as a disabled one).
func formVal(p page, action, name string, current any) string {
	if v, ok := sentForm(p, action)[name]; ok && len(v) > 0 {
		return v[0] // what was typed, even if emptied
	}
	if current == nil {
		return ""
	}
	return fmt.Sprint(current)
}

// formCheck is a checkbox's state, in the same way.
func formCheck(p page, action, name string, current bool) bool {
	if form := sentForm(p, action); form != nil {
		return form.Get(name) != ""
	}
	return current
}

// formErr is the error of the form posted to action, if any.
func formErr(p page, action string) string {
	if sentForm(p, action) != nil {
		s, _ := p["FormError"].(string)
		return s
	}
	return ""
}

// queryEscape is for a value placed in a URL's query by a page.
func queryEscape(s string) string { return url.QueryEscape(s) }

// mayOpen reports whether perms open a console area (core's rule); an
// area core does not know opens nothing.
func mayOpen(perms core.Permission, area string) bool {
	ok, err := perms.MayOpen(area)
	return ok && err == nil
}

// tab writes a navigation link, the current page when tab is one of its
// tabs.
func (m *markup) tab(href, label, tab string, tabs ...string) {
	m.f(`<a href="%u"`, href)
	for _, t := range tabs {
		if t == tab {
			m.raw(` aria-current="page"`)
			break
		}
	}
	m.f(">%s</a>", label)
}

// settingsNav is the settings' tabs.
func settingsNav(m *markup, p page) {
	tab := get[string](p, "Tab")
	m.raw("<nav class=\"tabs\" aria-label=\"Settings\">\n")
	for _, t := range [...]struct{ href, label, tab string }{
		{"/settings/profile", "Profile", "profile"}, {"/settings/account", "Account", "account"},
		{"/settings/interactions", "Interactions", "interactions"}, {"/settings/two_factor", "Two-factor", "two_factor"},
		{"/settings/apps", "Apps", "apps"}, {"/settings/sessions", "Sessions", "sessions"},
		{"/settings/delegations", "Team access", "delegations"}, {"/settings/strikes", "Strikes", "strikes"},
		{"/settings/export", "Export", "export"}, {"/settings/migration", "Move", "migration"},
	} {
		m.tab(t.href, t.label, tab, t.tab)
		m.raw("\n")
	}
	if !get[bool](p, "Staff") && mayOpen(get[core.Permission](p, "Perms"), "invites") {
		m.raw(`<a href="/admin/invites">Invites</a>`)
	}
	m.raw("\n</nav>")
}

// adminNav is the console's tabs: the areas the role may open.
func adminNav(m *markup, p page) {
	tab := get[string](p, "Tab")
	perms := get[core.Permission](p, "Perms")
	m.raw("<nav class=\"tabs\" aria-label=\"Administration\">\n")
	for _, a := range [...]struct {
		area, href, label string
		tabs              []string
	}{
		{"dashboard", "/admin", "Dashboard", []string{"dashboard"}},
		{"accounts", "/admin/accounts", "Accounts", []string{"accounts", "account", "disable_2fa"}},
		{"invites", "/admin/invites", "Invites", []string{"invites"}},
		{"reports", "/admin/reports", "Reports", []string{"reports", "report"}},
		{"appeals", "/admin/appeals", "Appeals", []string{"appeals"}},
		{"federation", "/admin/federation", "Federation", []string{"federation", "domain_block", "domain_import"}},
		{"blocks", "/admin/blocks", "Blocks", []string{"blocks"}},
		{"settings", "/admin/settings", "Settings", []string{"settings"}},
		{"rules", "/admin/rules", "Rules", []string{"rules"}},
		{"announcements", "/admin/announcements", "Announcements", []string{"announcements"}},
		{"roles", "/admin/roles", "Roles", []string{"roles", "role"}},
		{"emoji", "/admin/emoji", "Custom emoji", []string{"emoji"}},
		{"webhooks", "/admin/webhooks", "Webhooks", []string{"webhooks", "webhook"}},
		{"sso", "/admin/sso", "Single sign-on", []string{"sso"}},
		{"trends", "/admin/trends", "Trends", []string{"trends"}},
		{"audit", "/admin/audit", "Audit log", []string{"audit"}},
	} {
		if mayOpen(perms, a.area) {
			m.tab(a.href, a.label, tab, a.tabs...)
			m.raw("\n")
		}
	}
	m.raw("</nav>")
}
