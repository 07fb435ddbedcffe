package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/ratelimit"
)

// Application is Mastodon's Application / CredentialApplication entity.
type Application struct {
	ID                    string   `json:"id"`
	Name                  string   `json:"name"`
	Website               *string  `json:"website"`
	Scopes                []string `json:"scopes"`
	RedirectURI           string   `json:"redirect_uri"`
	RedirectURIs          []string `json:"redirect_uris"`
	VapidKey              string   `json:"vapid_key,omitempty"`
	ClientID              string   `json:"client_id,omitempty"`
	ClientSecret          string   `json:"client_secret,omitempty"`
	ClientSecretExpiresAt *int     `json:"client_secret_expires_at,omitempty"`
}

func application(app *model.App, withSecret bool) Application {
	out := Application{
		ID:           idString(app.ID),
		Name:         app.Name,
		Scopes:       strings.Fields(app.Scopes),
		RedirectURI:  strings.Join(app.RedirectURIs, "\n"),
		RedirectURIs: app.RedirectURIs,
	}
	if app.Website != "" {
		w := app.Website
		out.Website = &w
	}
	if withSecret {
		zero := 0
		out.ClientID, out.ClientSecret, out.ClientSecretExpiresAt = app.ClientID, app.ClientSecret, &zero
	}
	return out
}

func (a *API) registerOAuth(e *echo.Echo) {
	a.handle(e, http.MethodPost, "/api/v1/apps", a.createApp, public())
	a.handle(e, http.MethodGet, "/api/v1/apps/verify_credentials", a.verifyApp, app(""))
	a.handle(e, http.MethodPost, "/oauth/token", a.rateLimited(a.tokenLimiter, a.token), public())
	a.handle(e, http.MethodPost, "/oauth/revoke", a.revoke, public())
	a.handle(e, http.MethodGet, "/.well-known/oauth-authorization-server", a.oauthMetadata, public())
	a.handle(e, http.MethodGet, "/oauth/userinfo", a.userinfo, user("profile"))
	a.handle(e, http.MethodPost, "/oauth/userinfo", a.userinfo, user("profile"))
}

func (a *API) createApp(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	app, err := a.svc.CreateApp(c.Request().Context(), core.CreateAppParams{
		Name:         p.String("client_name"),
		RedirectURIs: p.Strings("redirect_uris"),
		Scopes:       strings.Join(p.Strings("scopes"), " "),
		Website:      p.String("website"),
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, application(app, true))
}

func (a *API) verifyApp(c echo.Context) error {
	app, err := a.svc.CallerApp(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	out := application(app, false)
	return c.JSON(http.StatusOK, out)
}

// Token is Mastodon's Token entity.
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
	CreatedAt   int64  `json:"created_at"`
}

func oauthErr(status int, code, desc string) error {
	return &herr.Error{Status: status, Msg: code + ": " + desc}
}

// token is POST /oauth/token: authorization_code, password and
// client_credentials grants.
func (a *API) token(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := params(c)
	if err != nil {
		return err
	}
	clientID, secret := p.String("client_id"), p.String("client_secret")
	if u, pw, ok := c.Request().BasicAuth(); ok && clientID == "" {
		clientID, secret = u, pw
	}
	if clientID == "" {
		return core.InvalidClient()
	}
	app, err := a.svc.AppByClientID(ctx, clientID)
	if err != nil {
		return core.InvalidClient()
	}
	grant := p.String("grant_type")
	if grant == "" {
		return oauthErr(http.StatusBadRequest, "invalid_request", "Missing required parameter: grant_type.")
	}
	// The authorization-code grant authenticates the client itself (a
	// public client may prove itself with PKCE instead of a secret).
	if grant != "authorization_code" && !core.CheckClient(app, secret) {
		return core.InvalidClient()
	}
	var plain string
	var tok *model.Token
	switch grant {
	case "authorization_code":
		plain, tok, err = a.svc.ExchangeCode(ctx, app, secret, p.String("code"), p.String("redirect_uri"), p.String("code_verifier"))
	case "password":
		scopes, serr := core.RequestScopes(app, strings.Join(p.Strings("scope"), " "))
		if serr != nil {
			return oauthErr(http.StatusBadRequest, "invalid_scope", "The requested scope is invalid, unknown, or malformed.")
		}
		u, aerr := a.svc.PasswordGrant(ctx, p.String("username"), p.String("password"), c.RealIP())
		if aerr != nil {
			var locked *core.SignInLocked
			if errors.As(aerr, &locked) {
				c.Response().Header().Set("Retry-After", strconv.Itoa(int(time.Until(locked.Until).Seconds())+1))
			}
			return aerr
		}
		plain, tok, err = a.svc.IssueToken(ctx, app.ID, u.ID, scopes)
	case "client_credentials":
		scopes, serr := core.RequestScopes(app, strings.Join(p.Strings("scope"), " "))
		if serr != nil {
			return oauthErr(http.StatusBadRequest, "invalid_scope", "The requested scope is invalid, unknown, or malformed.")
		}
		plain, tok, err = a.svc.IssueToken(ctx, app.ID, 0, scopes)
	default:
		return oauthErr(http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, Token{AccessToken: plain, TokenType: "Bearer", Scope: tok.Scopes, CreatedAt: tok.CreatedAt.Unix()})
}

func (a *API) revoke(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	clientID, secret := p.String("client_id"), p.String("client_secret")
	if u, pw, ok := c.Request().BasicAuth(); ok && clientID == "" {
		clientID, secret = u, pw
	}
	app, err := a.svc.AppByClientID(c.Request().Context(), clientID)
	if err != nil || !core.CheckClient(app, secret) {
		return oauthErr(http.StatusForbidden, "unauthorized_client", "You are not authorized to revoke this token")
	}
	// RFC 7009: an unknown token is not an error.
	if err := a.svc.RevokeToken(c.Request().Context(), app, p.String("token")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

func (a *API) oauthMetadata(c echo.Context) error {
	base := a.svc.Base()
	var scopes []string
	for _, s := range []string{"read", "write", "follow", "push", "profile",
		"read:accounts", "read:blocks", "read:bookmarks", "read:favourites", "read:filters", "read:follows",
		"read:lists", "read:mutes", "read:notifications", "read:search", "read:statuses",
		"write:accounts", "write:blocks", "write:bookmarks", "write:conversations", "write:favourites",
		"write:filters", "write:follows", "write:lists", "write:media", "write:mutes", "write:notifications",
		"write:reports", "write:statuses",
		"admin:read", "admin:read:accounts", "admin:read:reports", "admin:read:domain_allows",
		"admin:read:domain_blocks", "admin:read:ip_blocks", "admin:read:email_domain_blocks",
		"admin:read:canonical_email_blocks", "admin:write", "admin:write:accounts", "admin:write:reports",
		"admin:write:domain_allows", "admin:write:domain_blocks", "admin:write:ip_blocks",
		"admin:write:email_domain_blocks", "admin:write:canonical_email_blocks"} {
		scopes = append(scopes, s)
	}
	return c.JSON(http.StatusOK, map[string]any{
		"issuer":                                base + "/",
		"service_documentation":                 "https://docs.joinmastodon.org/",
		"authorization_endpoint":                base + "/oauth/authorize",
		"token_endpoint":                        base + "/oauth/token",
		"revocation_endpoint":                   base + "/oauth/revoke",
		"userinfo_endpoint":                     base + "/oauth/userinfo",
		"app_registration_endpoint":             base + "/api/v1/apps",
		"scopes_supported":                      scopes,
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"grant_types_supported":                 []string{"authorization_code", "password", "client_credentials"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	})
}

func (a *API) userinfo(c echo.Context) error {
	acc := caller(c).Account
	ent := a.account(acc)
	return c.JSON(http.StatusOK, map[string]any{
		"iss":                a.svc.Base() + "/",
		"sub":                acc.URI,
		"name":               acc.DisplayName,
		"preferred_username": acc.Username,
		"profile":            acc.URL,
		"picture":            ent.Avatar,
	})
}

// rateLimited wraps a handler with a per-IP limiter, answering 429 with
// Mastodon's X-RateLimit headers.
func (a *API) rateLimited(l *ratelimit.Limiter, h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if l == nil {
			return h(c)
		}
		r := l.AllowIP(c.RealIP(), time.Now())
		hd := c.Response().Header()
		hd.Set("X-RateLimit-Limit", strconv.Itoa(r.Limit))
		hd.Set("X-RateLimit-Remaining", strconv.Itoa(r.Remaining))
		hd.Set("X-RateLimit-Reset", r.Reset.UTC().Format(timeFormat))
		if !r.Allowed {
			hd.Set("Retry-After", strconv.Itoa(int(time.Until(r.Reset).Seconds())+1))
			return herr.New(http.StatusTooManyRequests, "Too many requests")
		}
		return h(c)
	}
}
