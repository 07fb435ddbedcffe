package webui

import (
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
)

// Single sign-on (core's oidc.go has the rules): the sign-in page's
// "Sign in with ..." button starts it, the provider sends the browser back
// to the callback, and the provider's back-channel logout posts here.

const (
	ssoCookie = "herald_oidc" // state, nonce and PKCE verifier until the provider answers
	ssoTTL    = 10 * time.Minute
)

// signInData adds the single sign-on button to the sign-in page's data.
func (w *UI) signInData(c echo.Context, d page) page {
	if w.svc.SSOEnabled() {
		d["SSOName"] = w.svc.SSOName()
	}
	return d
}

type ssoClaims struct {
	jwt.RegisteredClaims
	core.SSOState
}

// ssoStart is POST /auth/oidc: it sends the browser to the provider,
// keeping the request's state in a signed short-lived cookie.
func (w *UI) ssoStart(c echo.Context) error {
	if !w.svc.SSOEnabled() {
		return w.errorPage(c, http.StatusNotFound, "Not found", "Single sign-on is not configured on this server.")
	}
	ctx := c.Request().Context()
	returnTo := safeReturn(c.FormValue("return_to"))
	target, st, err := w.svc.BeginSSO(ctx, returnTo)
	if err != nil {
		if he := herr.As(err); he.Status == http.StatusBadGateway {
			return w.ssoFailed(c, he.Status, returnTo, he.Msg)
		}
		return w.fail(c, err)
	}
	key, err := w.sessionSecret(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, ssoClaims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: w.svc.Base(), Audience: jwt.ClaimStrings{"oidc"}, IssuedAt: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ssoTTL))}, SSOState: *st}).SignedString(key)
	if err != nil {
		return err
	}
	c.SetCookie(w.cookie(ssoCookie, signed, ssoTTL))
	return c.Redirect(http.StatusSeeOther, target)
}

// ssoState reads the state cookie (nil when absent, expired or forged).
func (w *UI) ssoState(c echo.Context) *core.SSOState {
	ck, err := c.Cookie(w.cookieName(ssoCookie))
	if err != nil || ck.Value == "" {
		return nil
	}
	key, err := w.sessionSecret(c.Request().Context())
	if err != nil {
		return nil
	}
	var claims ssoClaims
	if _, err := jwt.ParseWithClaims(ck.Value, &claims, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(w.svc.Base()), jwt.WithExpirationRequired(),
		jwt.WithAudience("oidc")); err != nil {
		return nil
	}
	return &claims.SSOState
}

// ssoCallback is GET /auth/oidc/callback, where the provider sends the
// browser back.
func (w *UI) ssoCallback(c echo.Context) error {
	if !w.svc.SSOEnabled() {
		return w.errorPage(c, http.StatusNotFound, "Not found", "Single sign-on is not configured on this server.")
	}
	ctx := c.Request().Context()
	st := w.ssoState(c)
	c.SetCookie(w.cookie(ssoCookie, "", -time.Hour)) // one use
	returnTo := "/"
	if st != nil {
		returnTo = safeReturn(st.ReturnTo)
	}
	if r := w.limits.signIn.AllowIP(c.RealIP(), time.Now()); !r.Allowed {
		return w.ssoFailed(c, http.StatusTooManyRequests, returnTo, "Too many attempts. Please wait a few minutes.")
	}
	si, err := w.svc.FinishSSO(ctx, st, core.SSOCallback{Code: c.QueryParam("code"), State: c.QueryParam("state"),
		Error: c.QueryParam("error"), ErrorDescription: c.QueryParam("error_description")}, c.RealIP())
	if err != nil {
		he := herr.As(err)
		if he.Status >= 500 && he.Status != http.StatusBadGateway {
			return err
		}
		return w.ssoFailed(c, he.Status, returnTo, he.Msg)
	}
	sid, err := w.svc.StartSSOSession(ctx, si, c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return err
	}
	if err := w.setSession(c, si.User, sid); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, returnTo)
}

// ssoFailed shows the sign-in page again with why single sign-on failed.
func (w *UI) ssoFailed(c echo.Context, status int, returnTo, msg string) error {
	return w.render(c, status, "sign_in", w.signInData(c, page{"Title": "Sign in", "ReturnTo": returnTo,
		"Error": msg, "CanSignUp": w.canSignUp(c)}))
}

// ssoBackChannelLogout is POST /auth/oidc/backchannel_logout: the
// provider posts a signed logout token (no cookie, no CSRF token; the
// token's signature is the check), and the sessions it names end. It
// answers as the specification asks: 200, or 400 with a JSON error.
func (w *UI) ssoBackChannelLogout(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	if !w.svc.SSOEnabled() {
		return c.JSON(http.StatusNotFound, map[string]string{"error": "invalid_request", "error_description": "single sign-on is not configured"})
	}
	if _, err := w.svc.BackChannelLogout(c.Request().Context(), c.FormValue("logout_token")); err != nil {
		he := herr.As(err)
		if he.Status >= 500 && he.Status != http.StatusBadGateway {
			return err
		}
		return c.JSON(http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": he.Msg})
	}
	return c.NoContent(http.StatusOK)
}
