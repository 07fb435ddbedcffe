package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/storage"
)

// Single sign-on administration (Herald's own; Mastodon has none): the
// provider's status and the accounts linked to it. Manage Users.

// AdminSSOLink is an account linked to the provider.
type AdminSSOLink struct {
	ID           string  `json:"id"`
	AccountID    string  `json:"account_id"`
	Username     string  `json:"username"`
	Issuer       string  `json:"issuer"`
	Subject      string  `json:"subject"`
	Email        string  `json:"email"`
	CreatedAt    string  `json:"created_at"`
	LastSignInAt *string `json:"last_sign_in_at"`
}

func adminSSOLink(l *storage.OIDCLink) AdminSSOLink {
	return AdminSSOLink{ID: idString(l.ID), AccountID: idString(l.UserID), Username: l.Username, Issuer: l.Issuer,
		Subject: l.Subject, Email: l.Email, CreatedAt: fmtTime(l.CreatedAt), LastSignInAt: fmtTimePtr(l.LastSignInAt)}
}

func (a *API) registerAdminSSO(e *echo.Echo) {
	r, w := user("admin:read"), user("admin:write")
	const base = "/api/v1/admin/sso"
	a.handle(e, http.MethodGet, base, a.adminSSOStatus, r)
	a.handle(e, http.MethodGet, base+"/links", a.adminSSOLinks, r)
	a.handle(e, http.MethodDelete, base+"/links/:id", a.adminSSOUnlink, w)
}

func (a *API) adminSSOStatus(c echo.Context) error {
	st, err := a.svc.SSOStatus(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (a *API) adminSSOLinks(c echo.Context) error {
	return listRecords(c, 40, 200, a.svc.SSOLinks, func(l *storage.OIDCLink) int64 { return l.ID }, adminSSOLink)
}

func (a *API) adminSSOUnlink(c echo.Context) error {
	return actOnID(c, func(ctx context.Context, cl *core.Caller, id int64) error { return a.svc.UnlinkSSO(ctx, cl, id) })
}
