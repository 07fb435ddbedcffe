package api

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// Sign-up (POST /api/v1/accounts), the invite page, e-mail confirmation,
// password reset, reports by users and the warnings they received.

func (a *API) registerRegistration(e *echo.Echo) {
	get, post := http.MethodGet, http.MethodPost
	a.handle(e, post, "/api/v1/accounts", a.signUp, app("write:accounts"))
	a.handle(e, get, "/invite/:code", a.invitePage, public())
	a.handle(e, get, "/api/v1/invites/:code", a.inviteInfo, public())
	a.handle(e, get, "/auth/confirmation", a.confirmPage, public())
	a.handle(e, post, "/api/v1/emails/confirmations", a.resendConfirmation, user(""))
	a.handle(e, post, "/api/v1/auth/password_reset", a.passwordResetRequest, public())
	a.handle(e, post, "/api/v1/auth/password", a.passwordResetAPI, public())
	a.handle(e, get, "/auth/password/edit", a.passwordResetForm, public())
	a.handle(e, post, "/auth/password", a.passwordResetSubmit, public())
	a.handle(e, post, "/api/v1/reports", a.createReport, user("write:reports"))
	a.handle(e, get, "/api/v1/account_warnings", a.accountWarnings, user("read:accounts"))
	a.handle(e, get, "/api/v1/account_warnings/:id", a.accountWarning, user("read:accounts"))
	a.registerAnnouncements(e)
	a.registerAdmin(e)
}

func (a *API) signUp(c echo.Context) error {
	ctx := c.Request().Context()
	cl := caller(c)
	p, err := params(c)
	if err != nil {
		return err
	}
	agreement, _, _ := p.Bool("agreement")
	_, u, err := a.svc.Register(ctx, core.RegisterParams{Username: p.String("username"), Email: p.String("email"),
		Password: p.String("password"), Agreement: agreement, Locale: p.String("locale"), Reason: p.String("reason"),
		InviteCode: p.String("invite_code"), IP: c.RealIP(), AppID: cl.Token.AppID})
	if err != nil {
		return a.fail(c, err)
	}
	// The new user gets a token of the app, with the scopes of the app's token.
	plain, tok, err := a.svc.IssueToken(ctx, cl.Token.AppID, u.ID, strings.Fields(cl.Token.Scopes))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, Token{AccessToken: plain, TokenType: "Bearer", Scope: tok.Scopes, CreatedAt: tok.CreatedAt.Unix()})
}

// InviteInfo is Herald's own entity for the public invite page.
type InviteInfo struct {
	Code      string  `json:"code"`
	Valid     bool    `json:"valid"`
	ExpiresAt *string `json:"expires_at"`
	Instance  string  `json:"instance"`
	// SignUp tells an app how to use the code: POST /api/v1/accounts with
	// invite_code.
	SignUp map[string]string `json:"sign_up"`
}

func (a *API) inviteInfoOf(c echo.Context) (*InviteInfo, *model.Invite, error) {
	ctx := c.Request().Context()
	inv, err := a.svc.InviteByCode(ctx, c.Param("code"))
	if err != nil {
		return nil, nil, err
	}
	valid, err := a.svc.InviteValid(ctx, inv, time.Now())
	if err != nil {
		return nil, nil, err
	}
	return &InviteInfo{Code: inv.Code, Valid: valid, ExpiresAt: fmtTimePtr(inv.ExpiresAt), Instance: a.svc.Cfg.Instance.Domain,
		SignUp: map[string]string{"method": "POST", "url": a.svc.Base() + "/api/v1/accounts", "param": "invite_code"}}, inv, nil
}

func (a *API) inviteInfo(c echo.Context) error {
	info, _, err := a.inviteInfoOf(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, info)
}

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} - {{.Site}}</title><link rel="stylesheet" href="/static/style.css"></head>
<body><main class="box"><h1>{{.Title}}</h1>{{range .Paras}}<p>{{.}}</p>{{end}}
{{if .Code}}<p>Invite code: <code>{{.Code}}</code></p>{{end}}
{{if .Form}}<form method="post" action="/auth/password">
<input type="hidden" name="reset_password_token" value="{{.Form}}">
<label>New password <input type="password" name="password" minlength="8" maxlength="72" required autocomplete="new-password"></label>
<button type="submit">Set password</button></form>{{end}}
</main></body></html>`))

type pageData struct {
	Title, Site, Code, Form string
	Paras                   []string
}

func (a *API) htmlPage(c echo.Context, status int, d pageData) error {
	d.Site = a.svc.Cfg.Instance.Title
	if st, err := a.svc.Site(c.Request().Context()); err == nil {
		d.Site = st.Title
	}
	c.Response().Header().Set("Content-Type", "text/html; charset=utf-8")
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().WriteHeader(status)
	return pageTmpl.Execute(c.Response(), d)
}

func wantsHTML(c echo.Context) bool {
	acc := c.Request().Header.Get("Accept")
	return strings.Contains(acc, "text/html") || acc == ""
}

// invitePage is GET /invite/CODE: until the web UI has a sign-up form, it
// tells the person (HTML) or the app (JSON) to sign up with the code.
func (a *API) invitePage(c echo.Context) error {
	info, _, err := a.inviteInfoOf(c)
	if !wantsHTML(c) {
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, info)
	}
	if err != nil {
		return a.htmlPage(c, http.StatusNotFound, pageData{Title: "Invite not found", Paras: []string{"This invite link is not valid."}})
	}
	if !info.Valid {
		return a.htmlPage(c, http.StatusGone, pageData{Title: "Invite expired", Paras: []string{"This invite was revoked, has expired or was used up. Ask for a new one."}})
	}
	return a.htmlPage(c, http.StatusOK, pageData{Title: "You are invited", Code: info.Code, Paras: []string{
		"You are invited to join " + a.svc.Cfg.Instance.Domain + ".",
		"Sign up from a Mastodon app that supports invite codes (the app sends the code as invite_code to POST /api/v1/accounts), using the code below.",
	}})
}

func (a *API) confirmPage(c echo.Context) error {
	_, err := a.svc.Confirm(c.Request().Context(), c.QueryParam("confirmation_token"))
	if err != nil {
		he := herr.As(err)
		return a.htmlPage(c, he.Status, pageData{Title: "Confirmation failed", Paras: []string{he.Msg}})
	}
	return a.htmlPage(c, http.StatusOK, pageData{Title: "E-mail address confirmed", Paras: []string{"Your e-mail address is confirmed. You can return to your app."}})
}

func (a *API) resendConfirmation(c echo.Context) error {
	if err := a.svc.ResendConfirmation(c.Request().Context(), caller(c)); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

func (a *API) passwordResetRequest(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	if err := a.svc.RequestPasswordReset(c.Request().Context(), p.String("email")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

func (a *API) passwordResetAPI(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	if err := a.svc.ResetPassword(c.Request().Context(), p.String("reset_password_token"), p.String("password")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

func (a *API) passwordResetForm(c echo.Context) error {
	tok := c.QueryParam("reset_password_token")
	if tok == "" {
		return a.htmlPage(c, http.StatusBadRequest, pageData{Title: "Reset your password", Paras: []string{"This link is incomplete."}})
	}
	return a.htmlPage(c, http.StatusOK, pageData{Title: "Reset your password", Form: tok, Paras: []string{"Choose a new password (8 to 72 characters)."}})
}

func (a *API) passwordResetSubmit(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	if err := a.svc.ResetPassword(c.Request().Context(), p.String("reset_password_token"), p.String("password")); err != nil {
		he := herr.As(err)
		return a.htmlPage(c, he.Status, pageData{Title: "Password not changed", Paras: []string{he.Msg}})
	}
	return a.htmlPage(c, http.StatusOK, pageData{Title: "Password changed", Paras: []string{"Your password was changed. Sign in again from your apps."}})
}

func (a *API) createReport(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := params(c)
	if err != nil {
		return err
	}
	target, err := p.ID("account_id")
	if err != nil {
		return err
	}
	if target == 0 {
		return herr.NotFound("account")
	}
	r, err := a.svc.CreateReport(ctx, caller(c), core.ReportParams{AccountID: target, StatusIDs: splitIDs(p.Strings("status_ids")),
		Comment: p.String("comment"), Category: p.String("category"), RuleIDs: splitIDs(p.Strings("rule_ids")), Forward: p.BoolOr("forward", false)})
	if err != nil {
		return err
	}
	acc, err := a.svc.Store.AccountByID(ctx, r.TargetAccountID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.reportEntity(r, acc))
}

func (a *API) accountWarnings(c echo.Context) error {
	pg := page(c, 40, 80)
	ws, err := a.svc.AccountWarnings(c.Request().Context(), caller(c), pg)
	if err != nil {
		return err
	}
	if len(ws) > 0 {
		setPageLink(c, pg, ws[0].ID, ws[len(ws)-1].ID)
	}
	return c.JSON(http.StatusOK, a.warnings(c.Request().Context(), ws))
}

func (a *API) accountWarning(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	w, err := a.svc.AccountWarning(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.warnings(c.Request().Context(), []*model.AccountWarning{w})[0])
}
