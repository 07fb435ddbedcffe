package webui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// The administration console. Every page and action calls the same core
// function as the admin API, which checks the same permission.

func (w *UI) admin(c echo.Context, name, title string, d page) error {
	if d == nil {
		d = page{}
	}
	d["Title"] = title
	d["Tab"] = name
	status := http.StatusOK
	if st, ok := d["FormStatus"].(int); ok { // a form shown again with its error
		status = st
	}
	return w.render(c, status, "admin_"+name, d)
}

func idParam(c echo.Context) int64 {
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	return id
}

func formID(c echo.Context, name string) int64 {
	id, _ := strconv.ParseInt(c.FormValue(name), 10, 64)
	return id
}

func ptr[T any](v T) *T { return &v }

// formIDs reads the ids a form's checkboxes send under name.
func formIDs(c echo.Context, name string) []int64 {
	form, _ := c.FormParams()
	var ids []int64
	for _, v := range form[name] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

// accountActionChoices name the account actions in the console's menus.
var accountActionChoices = map[string]string{"none": "Warning only", "sensitive": "Force media sensitive",
	"disable": "Disable login", "silence": "Limit", "suspend": "Suspend"}

// postActions are the console's names of the actions on posts.
var postActions = map[string]string{"delete_statuses": "delete", "mark_statuses_as_sensitive": "mark_as_sensitive"}

func (w *UI) adminDashboard(c echo.Context) error {
	d, err := w.svc.AdminDashboard(c.Request().Context(), w.caller(c))
	if err != nil && herr.As(err).Status != http.StatusForbidden {
		return w.fail(c, err)
	}
	return w.admin(c, "dashboard", "Dashboard", page{"D": d, "Measures": w.dashMeasures(c)})
}

func (w *UI) adminAccounts(c echo.Context) error {
	q := c.QueryParams()
	f := storage.AdminAccountFilter{Origin: q.Get("origin"), Status: q.Get("status"), Username: strings.TrimPrefix(strings.TrimSpace(q.Get("q")), "@"),
		Email: q.Get("email"), IP: q.Get("ip"), Staff: q.Get("staff") != ""}
	if f.Origin == "" {
		f.Origin = "local"
	}
	pg, err := pageParams(c)
	if err != nil {
		return w.fail(c, err)
	}
	list, err := w.svc.AdminAccounts(c.Request().Context(), w.caller(c), f, pg)
	if err != nil {
		return w.fail(c, err)
	}
	return w.admin(c, "accounts", "Accounts", page{"List": list, "F": f, "Q": q.Get("q")})
}

func (w *UI) adminAccount(c echo.Context) error { return w.adminAccountPage(c, nil) }

func (w *UI) adminAccountPage(c echo.Context, d page) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	aa, err := w.svc.AdminAccount(ctx, cl, idParam(c))
	if err != nil {
		return w.fail(c, err)
	}
	roles, _ := w.svc.Roles(ctx, cl) // none without Manage Roles
	warnings, _ := w.svc.AdminAccountWarnings(ctx, cl, aa.Account.ID, model.Page{Limit: 20})
	appeals, _ := w.svc.AdminAppeals(ctx, cl, true, aa.Account.ID, model.Page{Limit: 20}) // none without Manage Appeals
	if d == nil {
		d = page{}
	}
	d["AA"], d["Roles"], d["Warnings"], d["ReportID"], d["Appeals"] = aa, roles, warnings, c.FormValue("report_id"), appeals
	d["ActionLabels"] = accountActionChoices
	if aa.User != nil {
		role, err := w.svc.RoleOf(ctx, aa.User)
		if err != nil {
			return err
		}
		d["Role"] = role
		if perms, _, _ := w.svc.PermissionsOf(ctx, cl.User); perms.Has(core.PermManageUserAccess) {
			on, err := w.svc.TwoFactorEnabled(ctx, aa.User.ID)
			if err != nil {
				return err
			}
			d["Recovery"], d["TwoFactor"], d["MailEnabled"] = true, on, w.svc.MailEnabled()
		}
	}
	return w.admin(c, "account", "@"+aa.Account.Acct(), d)
}

func (w *UI) adminAccountSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	id := idParam(c)
	back := "/admin/accounts/" + c.Param("id")
	var err error
	msg := "Done."
	switch op := c.Param("op"); op {
	case "approve", "reject", "enable", "unsilence", "unsuspend", "unsensitive":
		_, err = w.svc.AccountState(ctx, cl, id, op)
		if op == "reject" && err == nil {
			back = "/admin/accounts?status=pending"
		}
	case "action":
		err = w.svc.AccountAction(ctx, cl, id, core.AccountActionParams{Type: c.FormValue("type"), ReportID: formID(c, "report_id"),
			Text: c.FormValue("text"), SendEmail: c.FormValue("send_email") != ""})
		if rid := c.FormValue("report_id"); rid != "" && err == nil {
			back = "/admin/reports/" + rid
		}
	case "role":
		_, err = w.svc.AssignRole(ctx, cl, id, c.FormValue("role_id"))
		msg = "Role changed."
	case "reset_password":
		var r *core.PasswordReset
		if r, err = w.svc.AdminResetPassword(ctx, cl, id); err == nil {
			if r.Mailed {
				return w.done(c, back, "Password reset: the user is signed out everywhere, and a link to choose a new password was mailed to "+r.Email+".")
			}
			// No mail: the link is shown once, on this page, for the
			// staff member to hand over.
			return w.adminAccountPage(c, page{"ResetLink": r.Link})
		}
	case "confirm":
		err = w.svc.AdminConfirmEmail(ctx, cl, id)
		msg = "E-mail address confirmed."
	case "resend_confirmation":
		err = w.svc.AdminResendConfirmation(ctx, cl, id)
		msg = "A new confirmation link was mailed."
	case "disable_2fa":
		if err = w.svc.AdminDisableTwoFactor(ctx, cl, id, c.FormValue("identity_checked") != ""); err != nil {
			return w.formFailed(c, err, w.adminDisable2FAView)
		}
		msg = "Two-factor authentication turned off."
	default:
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such action.")
	}
	if err != nil {
		return w.formFailed(c, err, w.adminAccountPage)
	}
	return w.done(c, back, msg)
}

// adminDisable2FAPage asks for the identity check before two-factor
// authentication is turned off.
func (w *UI) adminDisable2FAPage(c echo.Context) error { return w.adminDisable2FAView(c, nil) }

func (w *UI) adminDisable2FAView(c echo.Context, d page) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	aa, err := w.svc.AdminAccount(ctx, cl, idParam(c))
	if err != nil {
		return w.fail(c, err)
	}
	if aa.User == nil {
		return w.fail(c, herr.NotFound("local account"))
	}
	if err := w.svc.Authorize(ctx, cl, core.PermManageUserAccess); err != nil {
		return w.fail(c, err)
	}
	if d == nil {
		d = page{}
	}
	d["AA"] = aa
	return w.admin(c, "disable_2fa", "Turn off two-factor authentication of @"+aa.Account.Acct(), d)
}

func (w *UI) adminInvites(c echo.Context) error { return w.adminInvitesPage(c, nil) }

// adminInviteRow is an invite as the invites page lists it.
type adminInviteRow struct {
	*model.Invite
	URL    string
	Usable bool
}

func (w *UI) adminInvitesPage(c echo.Context, d page) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	list, err := w.svc.Invites(ctx, cl, c.QueryParam("all") == "", model.Page{Limit: 100})
	if err != nil {
		return w.fail(c, err)
	}
	roles, _ := w.svc.Roles(ctx, cl)
	var out []adminInviteRow
	for _, i := range list {
		valid, err := w.svc.InviteValid(ctx, i, time.Now())
		if err != nil {
			return w.fail(c, err)
		}
		out = append(out, adminInviteRow{i, w.svc.InviteURL(i.Code), valid})
	}
	if d == nil {
		d = page{}
	}
	d["Invites"], d["Roles"] = out, roles
	return w.admin(c, "invites", "Invites", d)
}

func (w *UI) adminInviteCreate(c echo.Context) error {
	maxUses, _ := strconv.Atoi(c.FormValue("max_uses"))
	hours, _ := strconv.Atoi(c.FormValue("expires_in_hours"))
	inv, err := w.svc.CreateInvite(c.Request().Context(), w.caller(c), core.InviteParams{MaxUses: maxUses,
		ExpiresIn: time.Duration(hours) * time.Hour, Role: c.FormValue("role"), Comment: c.FormValue("comment")})
	if err != nil {
		return w.formFailed(c, err, w.adminInvitesPage)
	}
	return w.done(c, "/admin/invites", "Invite created: "+w.svc.InviteURL(inv.Code))
}

func (w *UI) adminInviteRevoke(c echo.Context) error {
	if _, err := w.svc.RevokeInvite(c.Request().Context(), w.caller(c), idParam(c)); err != nil {
		return w.fail(c, err)
	}
	return w.done(c, "/admin/invites", "Invite revoked.")
}

// ReportRow is a report with its accounts.
type ReportRow struct {
	*model.Report
	Reporter, Target, Assigned *model.Account
}

// reportRows are the rows of reports, from core's moderator view of them.
func reportRows(v *core.ReportView) []ReportRow {
	acc := func(id int64) *model.Account {
		if aa := v.Accounts[id]; aa != nil {
			return aa.Account
		}
		return nil
	}
	out := make([]ReportRow, 0, len(v.Reports))
	for _, r := range v.Reports {
		out = append(out, ReportRow{r, acc(r.AccountID), acc(r.TargetAccountID), acc(r.AssignedID)})
	}
	return out
}

func (w *UI) adminReports(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	resolved := c.QueryParam("resolved") != ""
	pg, err := pageParams(c)
	if err != nil {
		return w.fail(c, err)
	}
	list, err := w.svc.AdminReports(ctx, cl, storage.ReportFilter{Resolved: &resolved}, pg)
	if err != nil {
		return w.fail(c, err)
	}
	v, err := w.svc.ViewReports(ctx, cl, list)
	if err != nil {
		return w.fail(c, err)
	}
	return w.admin(c, "reports", "Reports", page{"Reports": reportRows(v), "Resolved": resolved})
}

func (w *UI) adminReport(c echo.Context) error { return w.adminReportPage(c, nil) }

func (w *UI) adminReportPage(c echo.Context, d page) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	r, err := w.svc.AdminReport(ctx, cl, idParam(c))
	if err != nil {
		return w.fail(c, err)
	}
	v, err := w.svc.ViewReports(ctx, cl, []*model.Report{r})
	if err != nil {
		return w.fail(c, err)
	}
	notes, _ := w.svc.ReportNotes(ctx, cl, r.ID)
	var ids []int64
	for _, n := range notes {
		ids = append(ids, n.AccountID)
	}
	noteAccs, _ := w.svc.AccountsByIDs(ctx, ids)
	posts := *v.Posts
	posts.Statuses = v.PostsOf(r)
	rules := make([]*model.Rule, 0, len(v.Rules))
	for _, id := range r.RuleIDs {
		if rule := v.Rules[id]; rule != nil {
			rules = append(rules, rule)
		}
	}
	if d == nil {
		d = page{}
	}
	d["R"], d["Notes"], d["NoteAccounts"], d["Statuses"], d["Rules"] = reportRows(v)[0], notes, noteAccs, w.items(&posts, nil), rules
	return w.admin(c, "report", "Report #"+c.Param("id"), d)
}

func (w *UI) adminReportSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	id := idParam(c)
	back := "/admin/reports/" + c.Param("id")
	var err error
	msg := ""
	switch c.Param("op") {
	case "resolve":
		_, err = w.svc.ResolveReport(ctx, cl, id, true)
		msg = "Report resolved."
	case "reopen":
		_, err = w.svc.ResolveReport(ctx, cl, id, false)
		msg = "Report reopened."
	case "assign":
		_, err = w.svc.AssignReport(ctx, cl, id, true)
	case "unassign":
		_, err = w.svc.AssignReport(ctx, cl, id, false)
	case "note":
		_, err = w.svc.AddReportNote(ctx, cl, id, c.FormValue("content"))
		msg = "Note added."
		if err == nil && c.FormValue("and_resolve") != "" {
			_, err = w.svc.ResolveReport(ctx, cl, id, true)
			msg = "Note added and report resolved."
		}
	case "action":
		if postAction, ok := postActions[c.FormValue("type")]; ok {
			chosen := formIDs(c, "status_ids")
			if len(chosen) == 0 { // none ticked is not "all of the report's"
				return w.formFailed(c, herr.Unprocessable("Choose the posts to act on."), w.adminReportPage)
			}
			_, err = w.svc.StatusAction(ctx, cl, core.StatusActionParams{Type: postAction, ReportID: id, StatusIDs: chosen,
				Text: c.FormValue("text"), SendEmail: c.FormValue("send_email") != ""})
			msg = "Action taken on the posts; the report is resolved."
			break
		}
		var r *model.Report
		if r, err = w.svc.AdminReport(ctx, cl, id); err == nil {
			err = w.svc.AccountAction(ctx, cl, r.TargetAccountID, core.AccountActionParams{Type: c.FormValue("type"), ReportID: id,
				Text: c.FormValue("text"), SendEmail: c.FormValue("send_email") != ""})
			msg = "Action taken; the report is resolved."
		}
	default:
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such action.")
	}
	if err != nil {
		return w.formFailed(c, err, w.adminReportPage)
	}
	return w.done(c, back, msg)
}

func (w *UI) adminFederation(c echo.Context) error { return w.adminFederationPage(c, nil) }

func (w *UI) adminFederationPage(c echo.Context, d page) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	blocks, err := w.svc.DomainBlocks(ctx, cl, model.Page{Limit: 200})
	if err != nil {
		return w.fail(c, err)
	}
	allows, err := w.svc.DomainAllows(ctx, cl, model.Page{Limit: 200})
	if err != nil {
		return w.fail(c, err)
	}
	site, _ := w.svc.Site(ctx)
	if d == nil {
		d = page{}
	}
	d["Blocks"], d["Allows"], d["Limited"] = blocks, allows, site.LimitedFederation
	d["Configured"] = w.svc.ConfiguredDomainPolicies()
	return w.admin(c, "federation", "Federation", d)
}

func (w *UI) adminFederationSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	var err error
	switch c.Param("op") {
	case "block":
		_, err = w.svc.CreateDomainBlock(ctx, cl, core.DomainBlockParams{Domain: strings.TrimSpace(c.FormValue("domain")),
			Severity: ptr(c.FormValue("severity")), RejectMedia: ptr(c.FormValue("reject_media") != ""),
			RejectReports: ptr(c.FormValue("reject_reports") != ""), PublicComment: ptr(c.FormValue("public_comment")),
			PrivateComment: ptr(c.FormValue("private_comment")), Obfuscate: ptr(c.FormValue("obfuscate") != "")})
	case "unblock":
		err = w.svc.DeleteDomainBlock(ctx, cl, formID(c, "id"))
	case "allow":
		_, err = w.svc.CreateDomainAllow(ctx, cl, strings.TrimSpace(c.FormValue("domain")))
	case "disallow":
		err = w.svc.DeleteDomainAllow(ctx, cl, formID(c, "id"))
	default:
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such action.")
	}
	if err != nil {
		return w.formFailed(c, err, w.adminFederationPage)
	}
	return w.done(c, "/admin/federation", "Saved.")
}

func (w *UI) adminBlocks(c echo.Context) error { return w.adminBlocksPage(c, nil) }

func (w *UI) adminBlocksPage(c echo.Context, d page) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	ips, err := w.svc.IPBlocks(ctx, cl, model.Page{Limit: 200})
	if err != nil {
		return w.fail(c, err)
	}
	emails, err := w.svc.EmailDomainBlocks(ctx, cl, model.Page{Limit: 200})
	if err != nil {
		return w.fail(c, err)
	}
	if d == nil {
		d = page{}
	}
	d["IPs"], d["Emails"] = ips, emails
	return w.admin(c, "blocks", "IP and e-mail blocks", d)
}

func (w *UI) adminBlocksSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	var err error
	switch c.Param("op") {
	case "ip":
		p := core.IPBlockParams{IP: ptr(strings.TrimSpace(c.FormValue("ip"))), Severity: ptr(c.FormValue("severity")), Comment: ptr(c.FormValue("comment"))}
		if days, _ := strconv.Atoi(c.FormValue("expires_in_days")); days > 0 {
			p.ExpiresIn = ptr(time.Duration(days) * 24 * time.Hour)
		}
		_, err = w.svc.CreateIPBlock(ctx, cl, p)
	case "ip_delete":
		err = w.svc.DeleteIPBlock(ctx, cl, formID(c, "id"))
	case "email":
		_, err = w.svc.CreateEmailDomainBlock(ctx, cl, strings.TrimSpace(c.FormValue("domain")), c.FormValue("allow_with_approval") != "")
	case "email_delete":
		err = w.svc.DeleteEmailDomainBlock(ctx, cl, formID(c, "id"))
	default:
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such action.")
	}
	if err != nil {
		return w.formFailed(c, err, w.adminBlocksPage)
	}
	return w.done(c, "/admin/blocks", "Saved.")
}

func (w *UI) adminSettings(c echo.Context) error { return w.adminSettingsPage(c, nil) }

func (w *UI) adminSettingsPage(c echo.Context, d page) error {
	site, err := w.svc.AdminSite(c.Request().Context(), w.caller(c))
	if err != nil {
		return w.fail(c, err)
	}
	if d == nil {
		d = page{}
	}
	d["S"] = site
	return w.admin(c, "settings", "Instance settings", d)
}

func (w *UI) adminSettingsSubmit(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return w.errorPage(c, http.StatusBadRequest, "Not saved", "The form could not be read.")
	}
	// A field the form did not send (a setting pinned by the config is
	// shown disabled) stays as it is.
	f := func(k string) *string {
		if v, ok := form[k]; ok && len(v) > 0 {
			return &v[0]
		}
		return nil
	}
	u := core.SiteUpdate{RegistrationsMode: f("registrations_mode"), RegistrationsMessage: f("registrations_message"),
		Title: f("title"), ShortDescription: f("short_description"), Description: f("description"),
		ExtendedDescription: f("extended_description"), ContactAccount: f("contact_account"), ContactEmail: f("contact_email"),
		TermsOfService: f("terms_of_service"), PrivacyPolicy: f("privacy_policy"),
		RequireReason: ptr(c.FormValue("require_reason") != ""), LimitedFederation: ptr(c.FormValue("limited_federation") != ""),
		ShowStaff: ptr(c.FormValue("show_staff") != "")}
	if _, err := w.svc.UpdateSite(c.Request().Context(), w.caller(c), u); err != nil {
		return w.formFailed(c, err, w.adminSettingsPage)
	}
	return w.done(c, "/admin/settings", "Settings saved.")
}

func (w *UI) adminBrandingSubmit(c echo.Context) error {
	u := core.BrandingUpdate{Accent: ptr(c.FormValue("accent")), RemoveLogo: c.FormValue("remove_logo") != ""}
	if fh, err := c.FormFile("logo"); err == nil && fh.Size > 0 {
		if fh.Size > core.MaxLogoBytes {
			return w.errorPage(c, http.StatusUnprocessableEntity, "Not saved", "The logo is too large (at most 256 KB).")
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		buf := make([]byte, fh.Size)
		if _, err := f.Read(buf); err != nil {
			return err
		}
		u.Logo = buf
	}
	if _, err := w.svc.UpdateBranding(c.Request().Context(), w.caller(c), u); err != nil {
		return w.fail(c, err)
	}
	return w.done(c, "/admin/settings", "Branding saved.")
}

func (w *UI) adminRules(c echo.Context) error { return w.adminRulesPage(c, nil) }

func (w *UI) adminRulesPage(c echo.Context, d page) error {
	rules, err := w.svc.AdminRules(c.Request().Context(), w.caller(c))
	if err != nil {
		return w.fail(c, err)
	}
	if d == nil {
		d = page{}
	}
	d["Rules"] = rules
	return w.admin(c, "rules", "Rules", d)
}

func (w *UI) adminRulesSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	var err error
	switch c.Param("op") {
	case "create":
		_, err = w.svc.CreateRule(ctx, cl, core.RuleParams{Text: ptr(c.FormValue("text")), Hint: ptr(c.FormValue("hint"))})
	case "update":
		_, err = w.svc.UpdateRule(ctx, cl, formID(c, "id"), core.RuleParams{Text: ptr(c.FormValue("text")), Hint: ptr(c.FormValue("hint"))})
	case "delete":
		err = w.svc.DeleteRule(ctx, cl, formID(c, "id"))
	default:
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such action.")
	}
	if err != nil {
		return w.formFailed(c, err, w.adminRulesPage)
	}
	return w.done(c, "/admin/rules", "Rules saved.")
}

func (w *UI) adminAnnouncements(c echo.Context) error { return w.adminAnnouncementsPage(c, nil) }

func (w *UI) adminAnnouncementsPage(c echo.Context, d page) error {
	list, err := w.svc.AdminAnnouncements(c.Request().Context(), w.caller(c))
	if err != nil {
		return w.fail(c, err)
	}
	if d == nil {
		d = page{}
	}
	d["List"] = list
	return w.admin(c, "announcements", "Announcements", d)
}

func (w *UI) adminAnnouncementsSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	var err error
	switch c.Param("op") {
	case "create":
		_, err = w.svc.CreateAnnouncement(ctx, cl, core.AnnouncementParams{Text: ptr(c.FormValue("text")), Published: ptr(c.FormValue("published") != "")})
	case "publish", "unpublish":
		_, err = w.svc.UpdateAnnouncement(ctx, cl, formID(c, "id"), core.AnnouncementParams{Published: ptr(c.Param("op") == "publish")})
	case "delete":
		err = w.svc.DeleteAnnouncement(ctx, cl, formID(c, "id"))
	default:
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such action.")
	}
	if err != nil {
		return w.formFailed(c, err, w.adminAnnouncementsPage)
	}
	return w.done(c, "/admin/announcements", "Saved.")
}

func (w *UI) adminAudit(c echo.Context) error {
	ctx := c.Request().Context()
	pg, err := pageParams(c)
	if err != nil {
		return w.fail(c, err)
	}
	list, err := w.svc.AuditLog(ctx, w.caller(c), storage.AuditFilter{}, pg)
	if err != nil {
		return w.fail(c, err)
	}
	var ids []int64
	for _, e := range list {
		ids = append(ids, e.AccountID)
	}
	accs, _ := w.svc.AccountsByIDs(ctx, ids)
	return w.admin(c, "audit", "Audit log", page{"List": list, "Accounts": accs})
}
