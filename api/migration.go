package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Account migration. Mastodon has no public API for it (its settings pages
// /settings/aliases and /settings/migration do it); these are Herald's own
// endpoints for the same rules (core's account_migration.go).
func (a *API) registerMigration(e *echo.Echo) {
	a.handle(e, http.MethodGet, "/api/v1/herald/aliases", a.listAliases, user("read:accounts"))
	a.handle(e, http.MethodPost, "/api/v1/herald/aliases", a.addAlias, user("write:accounts"))
	a.handle(e, http.MethodDelete, "/api/v1/herald/aliases", a.removeAlias, user("write:accounts"))
	a.handle(e, http.MethodPost, "/api/v1/herald/move", a.moveAccount, user("write:accounts"))
}

// Alias is one entry of an account's alsoKnownAs.
type Alias struct {
	URI string `json:"uri"`
}

func (a *API) listAliases(c echo.Context) error {
	uris, err := a.svc.AccountAliases(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	out := make([]Alias, len(uris))
	for i, u := range uris {
		out[i] = Alias{URI: u}
	}
	return c.JSON(http.StatusOK, out)
}

// addAlias takes acct: user@domain or an actor URL.
func (a *API) addAlias(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	uri, err := a.svc.AddAccountAlias(c.Request().Context(), caller(c), p.String("acct"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, Alias{URI: uri})
}

// removeAlias takes uri, as listed.
func (a *API) removeAlias(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	if err := a.svc.RemoveAccountAlias(c.Request().Context(), caller(c), p.String("uri")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct{}{})
}

// moveAccount takes acct (the new account) and current_password, and
// answers the caller's account, now with moved.
func (a *API) moveAccount(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	cl := caller(c)
	if _, err := a.svc.MoveAccount(c.Request().Context(), cl, p.String("acct"), p.String("current_password")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.credentialAccount(c.Request().Context(), cl.Account, cl.User))
}
