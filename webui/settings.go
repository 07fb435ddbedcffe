package webui

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Settings: profile, account (e-mail, password, two-factor), authorised
// apps, sessions and data export. Each change goes through core.

func (w *UI) settingsPage(c echo.Context, name, title string, d page) error {
	if d == nil {
		d = page{}
	}
	d["Title"] = title
	d["Tab"] = name
	return w.render(c, http.StatusOK, "settings_"+name, d)
}

func (w *UI) settingsProfile(c echo.Context) error {
	acc := w.caller(c).Account
	fields := append([]model.Field{}, acc.Fields...)
	for len(fields) < core.MaxProfileFields {
		fields = append(fields, model.Field{})
	}
	return w.settingsPage(c, "profile", "Profile", page{"Account": acc, "Fields": fields})
}

func (w *UI) settingsProfileSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	dn, note := c.FormValue("display_name"), c.FormValue("note")
	names, values := formValues(c, "field_name"), formValues(c, "field_value")
	var fields []core.FieldParam
	for i := range names {
		v := ""
		if i < len(values) {
			v = values[i]
		}
		fields = append(fields, core.FieldParam{Name: names[i], Value: v})
	}
	locked, bot, disc := c.FormValue("locked") != "", c.FormValue("bot") != "", c.FormValue("discoverable") != ""
	if _, _, err := w.svc.UpdateCredentials(ctx, cl, core.ProfileParams{DisplayName: &dn, Note: &note, Fields: &fields,
		Locked: &locked, Bot: &bot, Discoverable: &disc}); err != nil {
		return w.fail(c, err)
	}
	for _, kind := range []string{"avatar", "header"} {
		fh, err := c.FormFile(kind)
		if err != nil || fh.Size == 0 {
			continue
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		data, err := io.ReadAll(io.LimitReader(f, w.svc.Cfg.Media.MaxImageBytes+1))
		f.Close()
		if err != nil {
			return err
		}
		if _, err := w.svc.SetProfileImage(ctx, cl, kind, data); err != nil {
			return w.fail(c, err)
		}
	}
	return w.done(c, "/settings/profile", "Profile saved.")
}

func formValues(c echo.Context, name string) []string {
	if err := c.Request().ParseMultipartForm(32 << 20); err != nil {
		_ = c.Request().ParseForm()
	}
	return c.Request().Form[name]
}

func (w *UI) settingsAccount(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	d := page{"User": cl.User, "MailEnabled": w.svc.MailEnabled()}
	// Staff choose the mail they get about reports, sign-ups and trends
	// (Mastodon's notification_emails.report, .pending_account, .trends).
	d["StaffReports"] = w.svc.Authorize(ctx, cl, core.PermManageReports) == nil
	d["StaffSignUps"] = w.svc.Authorize(ctx, cl, core.PermManageUsers) == nil
	d["StaffTrends"] = w.svc.Authorize(ctx, cl, core.PermManageTaxonomies) == nil
	if d["StaffReports"] == true || d["StaffSignUps"] == true || d["StaffTrends"] == true {
		prefs, err := w.svc.StaffEmailPrefs(ctx, cl)
		if err != nil {
			return w.fail(c, err)
		}
		d["StaffPrefs"] = prefs
	}
	return w.settingsPage(c, "account", "Account", d)
}

func (w *UI) settingsStaffEmails(c echo.Context) error {
	p := storage.StaffEmailPrefs{Report: c.FormValue("report") == "1", SignUp: c.FormValue("sign_up") == "1", Trends: c.FormValue("trends") == "1"}
	if err := w.svc.SetStaffEmailPrefs(c.Request().Context(), w.caller(c), p); err != nil {
		return w.fail(c, err)
	}
	return w.done(c, "/settings/account", "E-mail preferences saved.")
}

func (w *UI) settingsEmail(c echo.Context) error {
	if err := w.svc.ChangeEmail(c.Request().Context(), w.caller(c), c.FormValue("current_password"), strings.TrimSpace(c.FormValue("email"))); err != nil {
		return w.fail(c, err)
	}
	msg := "E-mail address changed."
	if w.svc.MailEnabled() {
		msg += " Confirm it with the link we sent."
	}
	return w.done(c, "/settings/account", msg)
}

func (w *UI) settingsPassword(c echo.Context) error {
	if c.FormValue("password") != c.FormValue("password_confirmation") {
		return w.errorPage(c, http.StatusUnprocessableEntity, "Password not changed", "The two new passwords differ.")
	}
	s := w.session(c)
	if err := w.svc.ChangePassword(c.Request().Context(), s.caller, c.FormValue("current_password"), c.FormValue("password"), s.id); err != nil {
		return w.fail(c, err)
	}
	return w.done(c, "/settings/account", "Password changed. Your other sessions were signed out.")
}

func (w *UI) settingsTwoFactor(c echo.Context) error {
	st, err := w.svc.TwoFactor(c.Request().Context(), w.caller(c))
	if err != nil {
		return w.fail(c, err)
	}
	return w.settingsPage(c, "two_factor", "Two-factor authentication", page{"TF": st})
}

func (w *UI) twoFactorQR(c echo.Context) error {
	st, err := w.svc.TwoFactor(c.Request().Context(), w.caller(c))
	if err != nil || !st.Pending {
		return w.errorPage(c, http.StatusNotFound, "Not found", "No two-factor set-up in progress.")
	}
	png, err := qrcode.Encode(st.URI, qrcode.Medium, 256)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "image/png", png)
}

func (w *UI) settingsTwoFactorSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	switch c.Param("op") {
	case "setup":
		if _, err := w.svc.BeginTwoFactor(ctx, cl); err != nil {
			return w.fail(c, err)
		}
		return c.Redirect(http.StatusSeeOther, "/settings/two_factor")
	case "confirm", "recovery_codes":
		var codes []string
		var err error
		if c.Param("op") == "confirm" {
			codes, err = w.svc.ConfirmTwoFactor(ctx, cl, c.FormValue("current_password"), c.FormValue("code"))
		} else {
			codes, err = w.svc.RegenerateRecoveryCodes(ctx, cl, c.FormValue("current_password"))
		}
		if err != nil {
			he := herr.As(err)
			if he.Status >= 500 {
				return err
			}
			st, _ := w.svc.TwoFactor(ctx, cl)
			c.Response().Status = he.Status
			return w.render(c, he.Status, "settings_two_factor", page{"Title": "Two-factor authentication", "Tab": "two_factor", "TF": st, "Error": he.Msg})
		}
		st, _ := w.svc.TwoFactor(ctx, cl)
		return w.settingsPage(c, "two_factor", "Two-factor authentication", page{"TF": st, "Codes": codes})
	case "disable":
		if err := w.svc.DisableTwoFactor(ctx, cl, c.FormValue("current_password"), c.FormValue("code")); err != nil {
			return w.fail(c, err)
		}
		return w.done(c, "/settings/two_factor", "Two-factor authentication is off.")
	}
	return w.errorPage(c, http.StatusNotFound, "Not found", "No such action.")
}

func (w *UI) settingsApps(c echo.Context) error {
	apps, err := w.svc.AuthorizedApps(c.Request().Context(), w.caller(c))
	if err != nil {
		return w.fail(c, err)
	}
	return w.settingsPage(c, "apps", "Authorised apps", page{"Apps": apps})
}

func (w *UI) settingsAppRevoke(c echo.Context) error {
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	member, _ := strconv.ParseInt(c.FormValue("member_id"), 10, 64) // absent: the user's own
	if err := w.svc.RevokeAuthorizedApp(c.Request().Context(), w.caller(c), id, member); err != nil {
		return w.fail(c, err)
	}
	return w.done(c, "/settings/apps", "Access revoked.")
}

func (w *UI) settingsSessions(c echo.Context) error {
	s := w.session(c)
	list, err := w.svc.WebSessions(c.Request().Context(), s.caller)
	if err != nil {
		return w.fail(c, err)
	}
	return w.settingsPage(c, "sessions", "Sessions", page{"Sessions": list, "Current": s.id})
}

func (w *UI) settingsSessionRevoke(c echo.Context) error {
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	if err := w.svc.RevokeWebSession(c.Request().Context(), w.caller(c), id); err != nil {
		return w.fail(c, err)
	}
	return w.done(c, "/settings/sessions", "Session ended.")
}

func (w *UI) settingsExport(c echo.Context) error {
	return w.settingsPage(c, "export", "Export your data", nil)
}

func (w *UI) settingsExportFile(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	var data []byte
	var err error
	ctype := "text/csv; charset=utf-8"
	switch f := c.Param("file"); f {
	case "following.csv", "blocks.csv", "mutes.csv":
		data, err = w.svc.ExportCSV(ctx, cl, strings.TrimSuffix(f, ".csv"))
	case "outbox.json":
		return w.sendOutbox(c)
	default:
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such export.")
	}
	if err != nil {
		return w.fail(c, err)
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="`+c.Param("file")+`"`)
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, ctype, data)
}

// settingsMigration shows the account's aliases and the move form
// (Mastodon's /settings/aliases and /settings/migration on one page).
func (w *UI) settingsMigration(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	aliases, err := w.svc.AccountAliases(ctx, cl)
	if err != nil {
		return w.fail(c, err)
	}
	d := page{"Aliases": aliases}
	if cl.Account.MovedToID != 0 {
		if to, err := w.svc.AccountByID(ctx, cl.Account.MovedToID); err == nil {
			d["MovedTo"] = page{"Acct": to.Acct(), "URL": to.URL}
		}
	}
	return w.settingsPage(c, "migration", "Move", d)
}

func (w *UI) settingsAliasAdd(c echo.Context) error {
	if _, err := w.svc.AddAccountAlias(c.Request().Context(), w.caller(c), strings.TrimSpace(c.FormValue("acct"))); err != nil {
		return w.fail(c, err)
	}
	return w.done(c, "/settings/migration", "Alias added.")
}

func (w *UI) settingsAliasRemove(c echo.Context) error {
	if err := w.svc.RemoveAccountAlias(c.Request().Context(), w.caller(c), c.FormValue("uri")); err != nil {
		return w.fail(c, err)
	}
	return w.done(c, "/settings/migration", "Alias removed.")
}

func (w *UI) settingsMove(c echo.Context) error {
	to, err := w.svc.MoveAccount(c.Request().Context(), w.caller(c), strings.TrimSpace(c.FormValue("acct")), c.FormValue("current_password"))
	if err != nil {
		return w.fail(c, err)
	}
	return w.done(c, "/settings/migration", "This account has moved to "+to.Acct()+". Your followers are being moved.")
}
