package webui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/ratelimit"
)

// webLimits are the per-address limits of the sign-in, sign-up,
// password-reset and remote-interaction forms.
type webLimits struct {
	signIn, signUp, reset *ratelimit.Limiter
	// remote bounds the remote-interaction form: each submission makes this
	// server look up (WebFinger) an address a visitor typed, so without a
	// bound anyone could make it fetch from other servers as fast as they
	// post.
	remote *ratelimit.Limiter
}

func newWebLimits() webLimits {
	return webLimits{
		signIn: ratelimit.New(30, 5*time.Minute),
		signUp: ratelimit.New(10, 30*time.Minute),
		reset:  ratelimit.New(5, 30*time.Minute),
		remote: ratelimit.New(10, 5*time.Minute),
	}
}

// Limiters names the web UI's rate limiters, for the server to share their
// counts among the processes of one instance (ratelimit.Limiter.Share).
func (w *UI) Limiters() map[string]*ratelimit.Limiter {
	return map[string]*ratelimit.Limiter{"web_sign_in": w.limits.signIn, "web_sign_up": w.limits.signUp, "web_reset": w.limits.reset,
		"web_remote_interaction": w.limits.remote}
}

func (w *UI) signInPage(c echo.Context) error {
	if w.currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeReturn(c.QueryParam("return_to")))
	}
	return w.render(c, http.StatusOK, "sign_in", w.signInData(c, page{"Title": "Sign in", "ReturnTo": safeReturn(c.QueryParam("return_to")),
		"CanSignUp": w.canSignUp(c)}))
}

func (w *UI) canSignUp(c echo.Context) bool {
	return core.RegistrationsOpen(w.svc.RegistrationsMode(c.Request().Context()))
}

func (w *UI) signInSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	returnTo := safeReturn(c.FormValue("return_to"))
	again := func(status int, msg string) error {
		return w.render(c, status, "sign_in", w.signInData(c, page{"Title": "Sign in", "ReturnTo": returnTo,
			"Error": msg, "Login": c.FormValue("username"), "CanSignUp": w.canSignUp(c)}))
	}
	if r := w.limits.signIn.AllowIP(c.RealIP(), time.Now()); !r.Allowed {
		return again(http.StatusTooManyRequests, "Too many attempts. Please wait a few minutes.")
	}
	u, second, err := w.svc.SignInWithPassword(ctx, c.FormValue("username"), c.FormValue("password"), c.RealIP(), core.ViaWeb)
	if err != nil {
		he := herr.As(err)
		switch {
		case he.Status >= 500:
			return err
		case he.Status == http.StatusForbidden || he.Status == http.StatusTooManyRequests:
			return again(he.Status, he.Msg)
		}
		return again(http.StatusUnauthorized, "Invalid e-mail address, username or password.")
	}
	if second {
		if err := w.setPending(c, u); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/auth/two_factor?return_to="+url.QueryEscape(returnTo))
	}
	if err := w.signIn(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, returnTo)
}

func (w *UI) twoFactorPage(c echo.Context) error {
	returnTo := safeReturn(c.QueryParam("return_to"))
	if w.pendingUser(c) == nil {
		return c.Redirect(http.StatusSeeOther, "/auth/sign_in?return_to="+url.QueryEscape(returnTo))
	}
	return w.render(c, http.StatusOK, "two_factor", page{"Title": "Two-factor authentication", "ReturnTo": returnTo})
}

func (w *UI) twoFactorSubmit(c echo.Context) error {
	returnTo := safeReturn(c.FormValue("return_to"))
	u := w.pendingUser(c)
	if u == nil {
		return w.done(c, "/auth/sign_in?return_to="+url.QueryEscape(returnTo), "That took too long: sign in again.")
	}
	again := func(status int, msg string) error {
		return w.render(c, status, "two_factor", page{"Title": "Two-factor authentication", "ReturnTo": returnTo, "Error": msg})
	}
	// Wrong codes count against the account in core (SignInSecondFactor).
	if err := w.svc.SignInSecondFactor(c.Request().Context(), u, c.FormValue("code"), c.RealIP()); err != nil {
		he := herr.As(err)
		switch {
		case he.Status >= 500:
			return err
		case he.Status == http.StatusTooManyRequests:
			return again(he.Status, he.Msg)
		}
		return again(http.StatusUnauthorized, he.Msg)
	}
	if err := w.signIn(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, returnTo)
}

// signOutPage asks for confirmation (a link must not sign anyone out).
func (w *UI) signOutPage(c echo.Context) error {
	if w.currentUser(c) == nil {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	return w.render(c, http.StatusOK, "sign_out", page{"Title": "Sign out"})
}

func (w *UI) signOutSubmit(c echo.Context) error {
	if next := w.signOut(c); next != "" {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

// Sign-up, honouring the registration mode; /invite/CODE pre-fills it.

func (w *UI) signUpData(c echo.Context, code string) (page, int) {
	ctx := c.Request().Context()
	site, _ := w.svc.Site(ctx)
	rules, _ := w.svc.Rules(ctx)
	d := page{"Title": "Sign up", "Mode": site.RegistrationsMode, "Rules": rules, "InviteCode": code}
	open := core.RegistrationsOpen(site.RegistrationsMode)
	if code != "" {
		inv, err := w.svc.InviteByCode(ctx, code)
		valid := false
		if err == nil {
			valid, err = w.svc.InviteValid(ctx, inv, time.Now())
		}
		switch {
		case err != nil:
			d["InviteError"] = "This invite link is not valid."
		case !valid:
			d["InviteError"] = "This invite is no longer valid: it was revoked, has expired or was used up, or whoever made it may no longer invite. Ask for a new one."
		default:
			d["Invited"] = true
			open = true
		}
	}
	d["Open"] = open
	d["NeedReason"] = site.RegistrationsMode == "approval" && d["Invited"] == nil
	if !open {
		msg := site.RegistrationsMessage
		if msg == "" {
			msg = "Registrations are closed on this server."
			if site.RegistrationsMode == "invite" {
				msg = "Registrations are by invitation only: ask for an invite link."
			}
		}
		d["Closed"] = msg
		if d["InviteError"] != nil {
			return d, http.StatusGone
		}
		return d, http.StatusForbidden
	}
	return d, http.StatusOK
}

func (w *UI) signUpPage(c echo.Context) error {
	if w.currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/home")
	}
	d, status := w.signUpData(c, strings.TrimSpace(c.QueryParam("invite")))
	if status == http.StatusForbidden {
		status = http.StatusOK
	}
	return w.render(c, status, "sign_up", d)
}

func (w *UI) signUpSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	code := strings.TrimSpace(c.FormValue("invite_code"))
	d, _ := w.signUpData(c, code)
	d["Username"], d["Email"], d["Reason"] = c.FormValue("username"), c.FormValue("email"), c.FormValue("reason")
	if r := w.limits.signUp.AllowIP(c.RealIP(), time.Now()); !r.Allowed {
		d["Error"] = "Too many sign-ups from your address. Please wait."
		return w.render(c, http.StatusTooManyRequests, "sign_up", d)
	}
	if c.FormValue("password") != c.FormValue("password_confirmation") {
		d["Error"] = "The two passwords differ."
		return w.render(c, http.StatusUnprocessableEntity, "sign_up", d)
	}
	_, u, err := w.svc.Register(ctx, core.RegisterParams{Username: c.FormValue("username"), Email: c.FormValue("email"),
		Password: c.FormValue("password"), Agreement: c.FormValue("agreement") != "", Reason: c.FormValue("reason"),
		InviteCode: code, IP: c.RealIP(), Locale: "en"})
	if err != nil {
		var ve *core.ValidationError
		if errors.As(err, &ve) {
			d["Error"] = "Please correct the form."
			d["Fields"] = ve.Details
			return w.render(c, http.StatusUnprocessableEntity, "sign_up", d)
		}
		he := herr.As(err)
		if he.Status >= 500 {
			return err
		}
		d["Error"] = he.Msg
		return w.render(c, he.Status, "sign_up", d)
	}
	if w.svc.UsableUser(ctx, u) == nil && u.ConfirmedAt != nil {
		if err := w.signIn(c, u); err != nil {
			return err
		}
		return w.done(c, "/home", "Welcome! Your account is ready.")
	}
	msg := []string{}
	if u.ConfirmedAt == nil {
		msg = append(msg, "We sent a confirmation link to "+u.Email+": open it to confirm your address.")
	}
	if !u.Approved {
		msg = append(msg, "Your account waits for a moderator's approval; you can sign in once it is approved.")
	}
	return w.render(c, http.StatusOK, "message", page{"Title": "Almost done", "Paras": msg})
}

// Password reset request (the link in the mail leads to /auth/password/edit).

func (w *UI) passwordNewPage(c echo.Context) error {
	return w.render(c, http.StatusOK, "password_new", page{"Title": "Forgot your password?", "MailEnabled": w.svc.MailEnabled()})
}

func (w *UI) passwordNewSubmit(c echo.Context) error {
	if r := w.limits.reset.AllowIP(c.RealIP(), time.Now()); !r.Allowed {
		return w.errorPage(c, http.StatusTooManyRequests, "Too many requests", "Please wait a while and try again.")
	}
	if err := w.svc.RequestPasswordReset(c.Request().Context(), strings.TrimSpace(c.FormValue("email"))); err != nil {
		return w.fail(c, err)
	}
	return w.render(c, http.StatusOK, "message", page{"Title": "Check your e-mail",
		"Paras": []string{"If the address belongs to an account, a link to choose a new password is on its way. It is valid for 2 hours."}})
}

// The pages that e-mails and invite links lead to.

// invitePage is GET /invite/CODE: the sign-up form with the code filled in.
// Apps read an invite's validity from GET /api/v1/invites/CODE.
func (w *UI) invitePage(c echo.Context) error {
	d, status := w.signUpData(c, c.Param("code"))
	if d["InviteError"] != nil && status == http.StatusOK {
		status = http.StatusNotFound
	}
	return w.render(c, status, "sign_up", d)
}

// confirmPage is GET /auth/confirmation, the link of the confirmation mail.
func (w *UI) confirmPage(c echo.Context) error {
	if _, err := w.svc.Confirm(c.Request().Context(), c.QueryParam("confirmation_token")); err != nil {
		he := herr.As(err)
		if he.Status >= 500 {
			return err
		}
		return w.render(c, he.Status, "message", page{"Title": "Confirmation failed", "Paras": []string{he.Msg}})
	}
	return w.render(c, http.StatusOK, "message", page{"Title": "E-mail address confirmed",
		"Paras": []string{"Your e-mail address is confirmed."}, "SignInLink": true})
}

// passwordEditPage is GET /auth/password/edit, the link of the reset mail.
func (w *UI) passwordEditPage(c echo.Context) error {
	tok := c.QueryParam("reset_password_token")
	if tok == "" {
		return w.errorPage(c, http.StatusBadRequest, "Reset your password", "This link is incomplete.")
	}
	return w.render(c, http.StatusOK, "password_edit", page{"Title": "Choose a new password", "Token": tok})
}

// passwordEditSubmit is POST /auth/password, the form of the reset page.
// Apps reset with POST /api/v1/auth/password.
func (w *UI) passwordEditSubmit(c echo.Context) error {
	tok := c.FormValue("reset_password_token")
	if c.FormValue("password_confirmation") != "" && c.FormValue("password") != c.FormValue("password_confirmation") {
		return w.render(c, http.StatusUnprocessableEntity, "password_edit", page{"Title": "Choose a new password", "Token": tok, "Error": "The two passwords differ."})
	}
	if err := w.svc.ResetPassword(c.Request().Context(), tok, c.FormValue("password")); err != nil {
		he := herr.As(err)
		if he.Status >= 500 {
			return err
		}
		return w.render(c, he.Status, "password_edit", page{"Title": "Choose a new password", "Token": tok, "Error": he.Msg})
	}
	return w.render(c, http.StatusOK, "message", page{"Title": "Password changed",
		"Paras": []string{"Your password was changed. Sign in with the new one."}, "SignInLink": true})
}

// readAuthRequest reads the OAuth parameters of GET or POST
// /oauth/authorize (the consent form posts them back as hidden fields);
// core validates them.
func (w *UI) readAuthRequest(c echo.Context) (*core.AuthRequest, error) {
	get := func(k string) string {
		if v := c.FormValue(k); v != "" {
			return v
		}
		return c.QueryParam(k)
	}
	return w.svc.AuthorizationRequest(c.Request().Context(), core.AuthorizeParams{
		ResponseType: get("response_type"), ClientID: get("client_id"), RedirectURI: get("redirect_uri"),
		Scope: get("scope"), State: get("state"),
		CodeChallenge: get("code_challenge"), CodeChallengeMethod: get("code_challenge_method"),
	})
}

// authHidden are the fields the consent form posts back.
func authHidden(req *core.AuthRequest) map[string]string {
	return map[string]string{
		"client_id": req.App.ClientID, "redirect_uri": req.RedirectURI, "scope": strings.Join(req.Scopes, " "),
		"response_type": "code", "state": req.State,
		"code_challenge": req.CodeChallenge, "code_challenge_method": req.CodeChallengeMethod,
	}
}

// scopeText explains a scope in words.
func scopeText(s string) string {
	top, sub, _ := strings.Cut(s, ":")
	if strings.HasPrefix(s, "admin:") {
		top, sub, _ = strings.Cut(strings.TrimPrefix(s, "admin:"), ":")
		top = "admin " + top
	}
	verb := map[string]string{"read": "Read", "write": "Change", "follow": "Manage follows, blocks and mutes",
		"push": "Receive push notifications", "profile": "See your profile only",
		"admin read": "Read administration data", "admin write": "Take moderation and administration actions"}[top]
	if verb == "" {
		verb = s
	}
	if sub != "" {
		return verb + ": " + strings.ReplaceAll(sub, "_", " ")
	}
	switch top {
	case "read":
		return "Read all your account's data"
	case "write":
		return "Post and change everything in your account"
	}
	return verb
}

func (w *UI) authorizePage(c echo.Context) error {
	req, err := w.readAuthRequest(c)
	if err != nil {
		return w.errorPage(c, http.StatusBadRequest, "An error has occurred", herr.As(err).Msg)
	}
	cl := w.caller(c)
	if cl == nil {
		return w.render(c, http.StatusOK, "sign_in", w.signInData(c, page{"Title": "Sign in",
			"ReturnTo": "/oauth/authorize?" + c.Request().URL.RawQuery, "AppName": req.App.Name}))
	}
	type scope struct{ Name, Text string }
	var scopes []scope
	for _, s := range req.Scopes {
		scopes = append(scopes, scope{s, scopeText(s)})
	}
	// A member of shared accounts chooses which one the app acts for.
	ds, err := w.svc.MyDelegations(c.Request().Context(), cl)
	if err != nil {
		return w.errorPage(c, http.StatusInternalServerError, "An error has occurred", herr.As(err).Msg)
	}
	return w.render(c, http.StatusOK, "authorize", page{"Title": "Authorise", "App": req.App,
		"Scopes": scopes, "Hidden": authHidden(req), "Username": cl.Account.Username, "Delegations": ds})
}

func (w *UI) authorizeSubmit(c echo.Context) error {
	req, err := w.readAuthRequest(c)
	if err != nil {
		return w.errorPage(c, http.StatusBadRequest, "An error has occurred", herr.As(err).Msg)
	}
	u := w.currentUser(c)
	state := req.State
	if c.FormValue("decision") != "approve" || c.FormValue("_method") == "delete" {
		if req.RedirectURI == core.OOB {
			return w.errorPage(c, http.StatusOK, "Authorisation denied", "You denied the application access to your account.")
		}
		return c.Redirect(http.StatusFound, withQuery(req.RedirectURI, url.Values{"error": {"access_denied"},
			"error_description": {"The resource owner or authorization server denied the request."}, "state": optional(state)}))
	}
	var actAs int64
	if v := c.FormValue("act_as"); v != "" {
		if actAs, err = strconv.ParseInt(v, 10, 64); err != nil || actAs < 0 {
			return w.errorPage(c, http.StatusBadRequest, "An error has occurred", "Choose an account to act as.")
		}
	}
	code, err := w.svc.IssueCodeAs(c.Request().Context(), req.App, u.ID, actAs, req.RedirectURI, req.Scopes,
		req.CodeChallenge, req.CodeChallengeMethod)
	if err != nil {
		return w.errorPage(c, http.StatusBadRequest, "An error has occurred", herr.As(err).Msg)
	}
	if req.RedirectURI == core.OOB {
		return c.Redirect(http.StatusFound, "/oauth/authorize/native?code="+url.QueryEscape(code))
	}
	return c.Redirect(http.StatusFound, withQuery(req.RedirectURI, url.Values{"code": {code}, "state": optional(state)}))
}

func (w *UI) codePage(c echo.Context) error {
	code := c.QueryParam("code")
	if code == "" || len(code) > 128 {
		return w.errorPage(c, http.StatusBadRequest, "An error has occurred", "No authorisation code.")
	}
	return w.render(c, http.StatusOK, "code", page{"Title": "Authorisation code", "Code": code})
}

func optional(v string) []string {
	if v == "" {
		return nil
	}
	return []string{v}
}

// withQuery appends parameters to a redirect URI that may already carry a
// query, including custom schemes such as com.example.app:/callback.
func withQuery(uri string, v url.Values) string {
	for k, vs := range v {
		if len(vs) == 0 {
			delete(v, k)
		}
	}
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	return uri + sep + v.Encode()
}
