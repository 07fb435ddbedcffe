package webui

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/ratelimit"
)

var signInLimiter = ratelimit.New(30, 5*time.Minute)

func (w *UI) signInPage(c echo.Context) error {
	if w.currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeReturn(c.QueryParam("return_to")))
	}
	return w.render(c, http.StatusOK, "sign_in", page{"Title": "Sign in", "CSRF": w.csrfToken(c), "ReturnTo": safeReturn(c.QueryParam("return_to"))})
}

func (w *UI) signInSubmit(c echo.Context) error {
	returnTo := safeReturn(c.FormValue("return_to"))
	again := func(status int, msg string) error {
		return w.render(c, status, "sign_in", page{"Title": "Sign in", "CSRF": w.csrfToken(c), "ReturnTo": returnTo,
			"Error": msg, "Login": c.FormValue("username")})
	}
	if !w.checkCSRF(c) {
		return again(http.StatusForbidden, "Your session expired. Please try again.")
	}
	if r := signInLimiter.Allow(c.RealIP(), time.Now()); !r.Allowed {
		return again(http.StatusTooManyRequests, "Too many attempts. Please wait a few minutes.")
	}
	u, err := w.svc.Authenticate(c.Request().Context(), c.FormValue("username"), c.FormValue("password"))
	if err != nil {
		he := herr.As(err)
		if he.Status >= 500 {
			return err
		}
		if he.Status == http.StatusForbidden {
			return again(http.StatusForbidden, he.Msg)
		}
		return again(http.StatusUnauthorized, "Invalid e-mail address, username or password.")
	}
	if err := w.signIn(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, returnTo)
}

func (w *UI) signOutPage(c echo.Context) error {
	w.signOut(c)
	return c.Redirect(http.StatusSeeOther, "/")
}

// authRequest is a validated authorization request.
type authRequest struct {
	app         *model.App
	redirectURI string
	scopes      []string
	hidden      map[string]string
}

// readAuthRequest validates the OAuth parameters of GET or POST /oauth/authorize.
func (w *UI) readAuthRequest(c echo.Context) (*authRequest, error) {
	get := func(k string) string {
		if v := c.FormValue(k); v != "" {
			return v
		}
		return c.QueryParam(k)
	}
	if rt := get("response_type"); rt != "" && rt != "code" {
		return nil, herr.BadRequest("The authorization server does not support this response type.")
	}
	app, err := w.svc.AppByClientID(c.Request().Context(), get("client_id"))
	if err != nil {
		return nil, herr.BadRequest("Client authentication failed due to unknown client.")
	}
	redirect := get("redirect_uri")
	if redirect == "" && len(app.RedirectURIs) == 1 {
		redirect = app.RedirectURIs[0]
	}
	if !slices.Contains(app.RedirectURIs, redirect) {
		return nil, herr.BadRequest("The redirect URI included is not valid.")
	}
	scopes, err := core.RequestScopes(app, get("scope"))
	if err != nil {
		return nil, herr.BadRequest("The requested scope is invalid, unknown, or malformed.")
	}
	method := get("code_challenge_method")
	if get("code_challenge") != "" && method != "" && method != "S256" && method != "plain" {
		return nil, herr.BadRequest("Invalid code challenge method.")
	}
	hidden := map[string]string{
		"client_id": app.ClientID, "redirect_uri": redirect, "scope": strings.Join(scopes, " "),
		"response_type": "code", "state": get("state"),
		"code_challenge": get("code_challenge"), "code_challenge_method": method,
	}
	return &authRequest{app: app, redirectURI: redirect, scopes: scopes, hidden: hidden}, nil
}

func (w *UI) authorizePage(c echo.Context) error {
	req, err := w.readAuthRequest(c)
	if err != nil {
		return w.errorPage(c, http.StatusBadRequest, "An error has occurred", herr.As(err).Msg)
	}
	u := w.currentUser(c)
	if u == nil {
		return w.render(c, http.StatusOK, "sign_in", page{"Title": "Sign in", "CSRF": w.csrfToken(c),
			"ReturnTo": "/oauth/authorize?" + c.Request().URL.RawQuery})
	}
	acc, err := w.svc.Store.AccountByID(c.Request().Context(), u.AccountID)
	if err != nil {
		return err
	}
	return w.render(c, http.StatusOK, "authorize", page{"Title": "Authorise", "CSRF": w.csrfToken(c), "App": req.app,
		"Scopes": req.scopes, "Hidden": req.hidden, "Username": acc.Username})
}

func (w *UI) authorizeSubmit(c echo.Context) error {
	if !w.checkCSRF(c) {
		return w.errorPage(c, http.StatusForbidden, "Session expired", "Your session expired. Go back and try again.")
	}
	req, err := w.readAuthRequest(c)
	if err != nil {
		return w.errorPage(c, http.StatusBadRequest, "An error has occurred", herr.As(err).Msg)
	}
	u := w.currentUser(c)
	if u == nil {
		return c.Redirect(http.StatusSeeOther, "/auth/sign_in?return_to="+url.QueryEscape("/oauth/authorize?"+encodeHidden(req.hidden)))
	}
	state := req.hidden["state"]
	if c.FormValue("decision") != "approve" || c.FormValue("_method") == "delete" {
		if req.redirectURI == core.OOB {
			return w.errorPage(c, http.StatusOK, "Authorisation denied", "You denied the application access to your account.")
		}
		return c.Redirect(http.StatusFound, withQuery(req.redirectURI, url.Values{"error": {"access_denied"},
			"error_description": {"The resource owner or authorization server denied the request."}, "state": optional(state)}))
	}
	code, err := w.svc.IssueCode(c.Request().Context(), req.app, u.ID, req.redirectURI, req.scopes,
		req.hidden["code_challenge"], req.hidden["code_challenge_method"])
	if err != nil {
		return w.errorPage(c, http.StatusBadRequest, "An error has occurred", herr.As(err).Msg)
	}
	if req.redirectURI == core.OOB {
		return c.Redirect(http.StatusFound, "/oauth/authorize/native?code="+url.QueryEscape(code))
	}
	return c.Redirect(http.StatusFound, withQuery(req.redirectURI, url.Values{"code": {code}, "state": optional(state)}))
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

func encodeHidden(h map[string]string) string {
	v := url.Values{}
	for k, s := range h {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v.Encode()
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
