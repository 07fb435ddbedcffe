package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// Sign-up (POST /api/v1/accounts), invites, e-mail confirmation, password
// reset, reports by users and the warnings they received. The pages that
// invites and mails link to are the web UI's: the API answers JSON only.

func (a *API) registerRegistration(e *echo.Echo) {
	get, post := http.MethodGet, http.MethodPost
	a.handle(e, post, "/api/v1/accounts", a.signUp, app("write:accounts"))
	a.handle(e, get, "/api/v1/invites/:code", a.inviteInfo, public())
	// It answers the tokens of users awaiting confirmation, as Mastodon's.
	a.handle(e, post, "/api/v1/emails/confirmations", a.resendConfirmation, Access{Scope: "write:accounts", User: true, Unconfirmed: true})
	// Mastodon 4.x: whether the signed-in user's e-mail is confirmed, for
	// apps waiting on the confirmation after a sign-up. App tokens are let
	// through so that core answers them Mastodon's 401.
	a.handle(e, get, "/api/v1/emails/check_confirmation", a.checkConfirmation, Access{Scope: "read:accounts", App: true, Unconfirmed: true})
	a.handle(e, post, "/api/v1/auth/password_reset", a.passwordResetRequest, public())
	a.handle(e, post, "/api/v1/auth/password", a.passwordResetAPI, public())
	a.handle(e, post, "/api/v1/reports", a.createReport, user("write:reports"))
	a.handle(e, get, "/api/v1/account_warnings", a.accountWarnings, user("read:accounts"))
	a.handle(e, get, "/api/v1/account_warnings/:id", a.accountWarning, user("read:accounts"))
	a.registerAnnouncements(e)
	a.registerAdmin(e)
	a.registerAppeals(e)
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

// InviteInfo is Herald's own entity for an invite (GET /api/v1/invites/CODE),
// for apps that sign up with a code; people open the web UI's /invite/CODE.
type InviteInfo struct {
	Code      string  `json:"code"`
	Valid     bool    `json:"valid"`
	ExpiresAt *string `json:"expires_at"`
	Instance  string  `json:"instance"`
	// SignUp tells an app how to use the code: POST /api/v1/accounts with
	// invite_code.
	SignUp map[string]string `json:"sign_up"`
}

func (a *API) inviteInfo(c echo.Context) error {
	ctx := c.Request().Context()
	inv, err := a.svc.InviteByCode(ctx, c.Param("code"))
	if err != nil {
		return err
	}
	valid, err := a.svc.InviteValid(ctx, inv, time.Now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, InviteInfo{Code: inv.Code, Valid: valid, ExpiresAt: fmtTimePtr(inv.ExpiresAt), Instance: a.svc.Cfg.Instance.Domain,
		SignUp: map[string]string{"method": "POST", "url": a.svc.Base() + "/api/v1/accounts", "param": "invite_code"}})
}

func (a *API) resendConfirmation(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	var email *string
	if p.Has("email") {
		v := p.String("email")
		email = &v
	}
	if err := a.svc.RequestConfirmationMail(c.Request().Context(), caller(c), email); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

func (a *API) checkConfirmation(c echo.Context) error {
	ok, err := a.svc.EmailConfirmed(caller(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ok)
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
	accs, err := a.svc.AccountsByIDs(ctx, []int64{r.TargetAccountID})
	if err != nil {
		return err
	}
	acc := accs[r.TargetAccountID]
	if acc == nil {
		return herr.NotFound("account")
	}
	return c.JSON(http.StatusOK, a.reportEntity(r, acc))
}

func (a *API) accountWarnings(c echo.Context) error {
	pg, err := page(c, 40, 80)
	if err != nil {
		return err
	}
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
