package webui

import (
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

// areaRefusal says why a console area is closed to a role, naming the
// permissions that would open it.
func areaRefusal(role *model.Role, area string) string {
	var names []string
	for _, p := range core.ConsoleAreas[area] {
		for _, l := range core.PermissionLabels {
			if l.Flag == p {
				names = append(names, "“"+l.Label+"”")
			}
		}
	}
	msg := "Your role"
	if role != nil {
		msg += " (" + roleName(role) + ")"
	}
	if len(names) == 0 {
		return msg + " does not open this part of the administration console."
	}
	return msg + " does not include " + strings.Join(names, " or ") + ", which this page needs. An administrator can give it to your role."
}

// Access is who may call a web route. The wrapper made by Register
// enforces it before the handler runs; handlers that act for staff also
// go through core, which checks the same permission as the admin API.
type Access string

const (
	Public      Access = "public"       // anyone
	CSRF        Access = "csrf"         // a form from anyone, with the CSRF token (sign-in, sign-up)
	Session     Access = "session"      // a signed-in user (GET pages)
	CSRFSession Access = "csrf+session" // a form from a signed-in user
	Staff       Access = "staff"        // a signed-in user whose role opens the route's console area (core's Permission.MayOpen; GET pages)
	CSRFStaff   Access = "csrf+staff"   // a console form, in the same way
	// Signed is a POST from another server that carries its own signed
	// token, which the handler verifies (the provider's back-channel
	// logout); no cookie, no CSRF token.
	Signed Access = "signed"
)

// NeedsCSRF reports whether the access rule checks the CSRF token.
func (a Access) NeedsCSRF() bool { return strings.HasPrefix(string(a), "csrf") }

// NeedsSession reports whether the access rule needs a signed-in user.
func (a Access) NeedsSession() bool { return a != Public && a != CSRF && a != Signed }

// Route is one web UI route.
type Route struct {
	Method, Path string
	Access       Access
	Area         string // Staff routes: the console area (core.ConsoleAreas)
	h            echo.HandlerFunc
}

// Routes is the web UI's route table (for the route audit). GET routes
// also answer HEAD.
func (w *UI) Routes() []Route { return w.routes }

func (w *UI) routeTable() []Route {
	var rs []Route
	add := func(method, path string, a Access, h echo.HandlerFunc) {
		rs = append(rs, Route{Method: method, Path: path, Access: a, h: h})
	}
	get := func(path string, a Access, h echo.HandlerFunc) { add(http.MethodGet, path, a, h) }
	post := func(path string, a Access, h echo.HandlerFunc) { add(http.MethodPost, path, a, h) }

	// Assets.
	static, _ := fs.Sub(staticFS, "static")
	sh := http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	get("/static/*", Public, func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=3600")
		sh.ServeHTTP(c.Response(), c.Request())
		return nil
	})
	get("/branding.css", Public, w.brandingCSS)
	get("/branding/logo", Public, w.brandingLogo)
	get("/favicon.ico", Public, w.brandingLogo) // asked for by browsers, feed readers and link previews whatever the page says
	get("/avatars/original/missing.png", Public, w.pngHandler(func() []byte { return w.avatarPNG }))
	get("/headers/original/missing.png", Public, w.pngHandler(func() []byte { return w.headerPNG }))

	// Public pages.
	get("/", Public, w.home)
	get("/about", Public, w.about)
	get("/terms", Public, w.legal("terms"))
	get("/privacy-policy", Public, w.legal("privacy"))
	get("/@:username", Public, w.profile)
	get("/@:username/:id", Public, w.statusPage)
	get("/@:username/wrapstodon/:year/:key", Public, w.wrapstodon)
	get("/tags/:tag", Public, w.tagPage)
	// Remote interaction: following from another server, and the page
	// other servers send their users to (WebFinger's subscribe template).
	get("/remote_interaction", Public, w.remoteInteractionPage)
	post("/remote_interaction", CSRF, w.remoteInteractionSubmit)
	get("/authorize_interaction", Session, w.authorizeInteraction)

	// Authentication.
	get("/auth/sign_in", Public, w.signInPage)
	post("/auth/sign_in", CSRF, w.signInSubmit)
	get("/auth/two_factor", Public, w.twoFactorPage)
	post("/auth/two_factor", CSRF, w.twoFactorSubmit)
	get("/auth/sign_out", Public, w.signOutPage)
	post("/auth/sign_out", CSRF, w.signOutSubmit)
	get("/auth/sign_up", Public, w.signUpPage)
	post("/auth/sign_up", CSRF, w.signUpSubmit)
	post("/auth/oidc", CSRF, w.ssoStart)
	get("/auth/oidc/callback", Public, w.ssoCallback)
	post("/auth/oidc/backchannel_logout", Signed, w.ssoBackChannelLogout)
	get("/auth/password/new", Public, w.passwordNewPage)
	post("/auth/password/new", CSRF, w.passwordNewSubmit)
	// The links of invites and mails (core's InviteURL, ConfirmationURL, PasswordResetURL).
	get("/invite/:code", Public, w.invitePage)
	get("/auth/confirmation", Public, w.confirmPage)
	get("/auth/password/edit", Public, w.passwordEditPage)
	post("/auth/password", CSRF, w.passwordEditSubmit)
	for _, p := range []string{"/oauth/authorize", "/oauth/authorize/"} {
		get(p, Public, w.authorizePage) // shows the sign-in form to strangers
		post(p, CSRFSession, w.authorizeSubmit)
	}
	get("/oauth/authorize/native", Public, w.codePage)

	// The web client.
	get("/home", Session, w.homeTimeline)
	get("/local", Session, w.localTimeline)
	get("/notifications", Session, w.notificationsPage)
	get("/search", Session, w.search)
	get("/lists", Session, w.listsPage)
	post("/lists", CSRFSession, w.listCreate)
	get("/lists/:id", Session, w.listPage)
	post("/lists/:id/:op", CSRFSession, w.listSubmit)
	get("/requests", Session, w.requestsPage)
	post("/requests/:id/:op", CSRFSession, w.requestAnswer)
	post("/statuses", CSRFSession, w.compose)
	post("/statuses/:id/:op", CSRFSession, w.statusAction)
	get("/statuses/:id/report", Session, w.reportPage)
	post("/statuses/:id/report", CSRFSession, w.reportSubmit)
	post("/switch_account", CSRFSession, w.switchAccount)
	post("/accounts/:id/:op", CSRFSession, w.accountAction)
	post("/announcements/:id/dismiss", CSRFSession, w.announcementDismiss)

	// Settings.
	get("/settings", Session, func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/settings/profile") })
	get("/settings/profile", Session, w.settingsProfile)
	post("/settings/profile", CSRFSession, w.settingsProfileSubmit)
	get("/settings/account", Session, w.settingsAccount)
	post("/settings/account/email", CSRFSession, w.settingsEmail)
	post("/settings/account/staff_emails", CSRFSession, w.settingsStaffEmails)
	post("/settings/account/password", CSRFSession, w.settingsPassword)
	get("/settings/interactions", Session, w.settingsInteractions)
	post("/settings/interactions", CSRFSession, w.settingsInteractionsSubmit)
	get("/settings/two_factor", Session, w.settingsTwoFactor)
	get("/settings/two_factor/qr.png", Session, w.twoFactorQR)
	post("/settings/two_factor/:op", CSRFSession, w.settingsTwoFactorSubmit)
	get("/settings/apps", Session, w.settingsApps)
	post("/settings/apps/:id/revoke", CSRFSession, w.settingsAppRevoke)
	get("/settings/sessions", Session, w.settingsSessions)
	post("/settings/sessions/:id/revoke", CSRFSession, w.settingsSessionRevoke)
	get("/settings/delegations", Session, w.settingsDelegations)
	post("/settings/delegations", CSRFSession, w.settingsDelegationSubmit)
	post("/settings/delegations/:member_id/revoke", CSRFSession, w.settingsDelegationSubmit)
	get("/settings/strikes", Session, w.settingsStrikes)
	post("/settings/strikes/:id/appeal", CSRFSession, w.settingsAppealSubmit)
	get("/settings/export", Session, w.settingsExport)
	get("/settings/export/:file", Session, w.settingsExportFile)
	post("/settings/export/archive", CSRFSession, w.settingsExportArchive)
	get("/settings/migration", Session, w.settingsMigration)
	post("/settings/migration", CSRFSession, w.settingsMove)
	post("/settings/migration/aliases", CSRFSession, w.settingsAliasAdd)
	post("/settings/migration/aliases/remove", CSRFSession, w.settingsAliasRemove)

	// The administration console: each route names the console area it
	// belongs to, and core says which permissions open the area
	// (core.ConsoleAreas); the guard refuses the rest with a page of the
	// console.
	sget := func(path, area string, h echo.HandlerFunc) {
		rs = append(rs, Route{Method: http.MethodGet, Path: path, Access: Staff, Area: area, h: h})
	}
	spost := func(path, area string, h echo.HandlerFunc) {
		rs = append(rs, Route{Method: http.MethodPost, Path: path, Access: CSRFStaff, Area: area, h: h})
	}
	sget("/admin", "dashboard", w.adminDashboard)
	sget("/admin/accounts", "accounts", w.adminAccounts)
	sget("/admin/accounts/:id", "account", w.adminAccount)
	// The actions of the account page need different permissions (core
	// checks each): any that opens one of them opens the route.
	spost("/admin/accounts/:id/:op", "account_admin", w.adminAccountSubmit)
	sget("/admin/accounts/:id/disable_2fa", "account_admin", w.adminDisable2FAPage)
	spost("/admin/accounts/:id/export", "accounts", w.adminAccountExport)
	sget("/admin/accounts/:id/delegations", "accounts", w.adminDelegations)
	spost("/admin/accounts/:id/delegations", "accounts", w.adminDelegationSubmit)
	spost("/admin/accounts/:id/delegations/:member_id/revoke", "accounts", w.adminDelegationSubmit)
	sget("/admin/invites", "invites", w.adminInvites)
	spost("/admin/invites", "invites", w.adminInviteCreate)
	spost("/admin/invites/:id/revoke", "invites", w.adminInviteRevoke)
	sget("/admin/appeals", "appeals", w.adminAppeals)
	spost("/admin/appeals/:id/:op", "appeals", w.adminAppealSubmit)
	sget("/admin/reports", "reports", w.adminReports)
	sget("/admin/reports/:id", "reports", w.adminReport)
	spost("/admin/reports/:id/:op", "reports", w.adminReportSubmit)
	sget("/admin/federation", "federation", w.adminFederation)
	spost("/admin/federation/:op", "federation", w.adminFederationSubmit)
	sget("/admin/federation/blocks/:id", "federation", w.adminDomainBlock)
	spost("/admin/federation/blocks/:id", "federation", w.adminDomainBlockUpdate)
	sget("/admin/federation/export.csv", "federation", w.adminDomainBlocksExport)
	spost("/admin/federation/import", "federation", w.adminDomainBlocksImport)
	sget("/admin/blocks", "blocks", w.adminBlocks)
	spost("/admin/blocks/:op", "blocks", w.adminBlocksSubmit)
	sget("/admin/settings", "settings", w.adminSettings)
	spost("/admin/settings", "settings", w.adminSettingsSubmit)
	spost("/admin/branding", "settings", w.adminBrandingSubmit)
	sget("/admin/rules", "rules", w.adminRules)
	spost("/admin/rules/:op", "rules", w.adminRulesSubmit)
	sget("/admin/announcements", "announcements", w.adminAnnouncements)
	spost("/admin/announcements/:op", "announcements", w.adminAnnouncementsSubmit)
	sget("/admin/roles", "roles", w.adminRoles)
	spost("/admin/roles", "roles", w.adminRoleCreate)
	sget("/admin/roles/:id", "roles", w.adminRole)
	spost("/admin/roles/:id/:op", "roles", w.adminRoleSubmit)
	sget("/admin/audit", "audit", w.adminAudit)
	sget("/admin/emoji", "emoji", w.adminEmoji)
	spost("/admin/emoji/create", "emoji", w.adminEmojiCreate)
	spost("/admin/emoji/batch", "emoji", w.adminEmojiBatch)
	sget("/admin/trends", "trends", w.adminTrends)
	spost("/admin/trends/refresh", "trends", w.adminTrendsRefresh)
	spost("/admin/trends/:kind/:id/:op", "trends", w.adminTrendsSubmit)
	sget("/admin/webhooks", "webhooks", w.adminWebhooks)
	spost("/admin/webhooks", "webhooks", w.adminWebhookCreate)
	sget("/admin/webhooks/:id", "webhooks", w.adminWebhook)
	spost("/admin/webhooks/:id/:op", "webhooks", w.adminWebhookSubmit)
	sget("/admin/sso", "sso", w.adminSSO)
	spost("/admin/sso/links/:id/unlink", "sso", w.adminSSOUnlink)
	return rs
}

// Register mounts the web UI's routes, each behind its access rule.
func (w *UI) Register(e *echo.Echo) {
	for _, r := range w.routes {
		h := w.guard(r)
		e.Add(r.Method, r.Path, h)
		if r.Method == http.MethodGet {
			e.Add(http.MethodHead, r.Path, h)
		}
	}
}

// guard enforces a route's access rule.
func (w *UI) guard(r Route) echo.HandlerFunc {
	a := r.Access
	return func(c echo.Context) error {
		if a.NeedsCSRF() && !w.checkCSRF(c) {
			return w.errorPage(c, http.StatusForbidden, "Session expired", "Your session expired or the form is out of date. Go back, reload the page and try again.")
		}
		if a.NeedsSession() {
			cl := w.caller(c)
			if cl == nil {
				if c.Request().Method == http.MethodGet || c.Request().Method == http.MethodHead {
					return c.Redirect(http.StatusSeeOther, "/auth/sign_in?return_to="+url.QueryEscape(c.Request().URL.RequestURI()))
				}
				return w.errorPage(c, http.StatusForbidden, "Signed out", "Sign in again to do this.")
			}
			if a == Staff || a == CSRFStaff {
				perms, role, err := w.svc.PermissionsOf(c.Request().Context(), cl.User)
				if err != nil {
					return err
				}
				ok, err := perms.MayOpen(r.Area)
				if err != nil {
					return err
				}
				if !ok {
					if !perms.IsStaff() && !perms.HasAny(core.ConsoleAreas["invites"]...) {
						return w.errorPage(c, http.StatusForbidden, "Not allowed", "The administration console is for staff.")
					}
					return w.errorPage(c, http.StatusForbidden, "Not allowed", areaRefusal(role, r.Area))
				}
			}
		}
		return r.h(c)
	}
}
