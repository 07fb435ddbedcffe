package webui

import (
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// Access is who may call a web route. The wrapper made by Register
// enforces it before the handler runs; handlers that act for staff also
// go through core, which checks the same permission as the admin API.
type Access string

const (
	Public      Access = "public"       // anyone
	CSRF        Access = "csrf"         // a form from anyone, with the CSRF token (sign-in, sign-up)
	Session     Access = "session"      // a signed-in user (GET pages)
	CSRFSession Access = "csrf+session" // a form from a signed-in user
	Staff       Access = "staff"        // a signed-in staff user (core's Permission.IsStaff; GET pages)
	CSRFStaff   Access = "csrf+staff"   // a console form
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

	// The administration console.
	get("/admin", Staff, w.adminDashboard)
	get("/admin/accounts", Staff, w.adminAccounts)
	get("/admin/accounts/:id", Staff, w.adminAccount)
	post("/admin/accounts/:id/:op", CSRFStaff, w.adminAccountSubmit)
	post("/admin/accounts/:id/export", CSRFStaff, w.adminAccountExport)
	get("/admin/accounts/:id/delegations", Staff, w.adminDelegations)
	post("/admin/accounts/:id/delegations", CSRFStaff, w.adminDelegationSubmit)
	post("/admin/accounts/:id/delegations/:member_id/revoke", CSRFStaff, w.adminDelegationSubmit)
	get("/admin/invites", Staff, w.adminInvites)
	post("/admin/invites", CSRFStaff, w.adminInviteCreate)
	post("/admin/invites/:id/revoke", CSRFStaff, w.adminInviteRevoke)
	get("/admin/appeals", Staff, w.adminAppeals)
	post("/admin/appeals/:id/:op", CSRFStaff, w.adminAppealSubmit)
	get("/admin/reports", Staff, w.adminReports)
	get("/admin/reports/:id", Staff, w.adminReport)
	post("/admin/reports/:id/:op", CSRFStaff, w.adminReportSubmit)
	get("/admin/federation", Staff, w.adminFederation)
	post("/admin/federation/:op", CSRFStaff, w.adminFederationSubmit)
	get("/admin/federation/blocks/:id", Staff, w.adminDomainBlock)
	post("/admin/federation/blocks/:id", CSRFStaff, w.adminDomainBlockUpdate)
	get("/admin/federation/export.csv", Staff, w.adminDomainBlocksExport)
	post("/admin/federation/import", CSRFStaff, w.adminDomainBlocksImport)
	get("/admin/blocks", Staff, w.adminBlocks)
	post("/admin/blocks/:op", CSRFStaff, w.adminBlocksSubmit)
	get("/admin/settings", Staff, w.adminSettings)
	post("/admin/settings", CSRFStaff, w.adminSettingsSubmit)
	post("/admin/branding", CSRFStaff, w.adminBrandingSubmit)
	get("/admin/rules", Staff, w.adminRules)
	post("/admin/rules/:op", CSRFStaff, w.adminRulesSubmit)
	get("/admin/announcements", Staff, w.adminAnnouncements)
	post("/admin/announcements/:op", CSRFStaff, w.adminAnnouncementsSubmit)
	get("/admin/audit", Staff, w.adminAudit)
	get("/admin/emoji", Staff, w.adminEmoji)
	post("/admin/emoji/create", CSRFStaff, w.adminEmojiCreate)
	post("/admin/emoji/batch", CSRFStaff, w.adminEmojiBatch)
	get("/admin/webhooks", Staff, w.adminWebhooks)
	post("/admin/webhooks", CSRFStaff, w.adminWebhookCreate)
	get("/admin/webhooks/:id", Staff, w.adminWebhook)
	get("/admin/sso", Staff, w.adminSSO)
	post("/admin/sso/links/:id/unlink", CSRFStaff, w.adminSSOUnlink)
	post("/admin/webhooks/:id/:op", CSRFStaff, w.adminWebhookSubmit)
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
				perms, _, err := w.svc.PermissionsOf(c.Request().Context(), cl.User)
				if err != nil {
					return err
				}
				if !perms.IsStaff() {
					return w.errorPage(c, http.StatusForbidden, "Not allowed", "The administration console is for staff.")
				}
			}
		}
		return r.h(c)
	}
}
