package webui

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/model"
)

// The console's single sign-on page (Manage Users, checked by core): the
// provider's status and the accounts linked to it, each with an unlink
// button.

const ssoLinksPage = 100

func (w *UI) adminSSO(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	st, err := w.svc.SSOStatus(ctx, cl)
	if err != nil {
		return w.fail(c, err)
	}
	maxID, _ := strconv.ParseInt(c.QueryParam("max_id"), 10, 64)
	links, err := w.svc.SSOLinks(ctx, cl, model.Page{MaxID: maxID, Limit: ssoLinksPage})
	if err != nil {
		return w.fail(c, err)
	}
	d := page{"S": st, "Links": links}
	if len(links) == ssoLinksPage {
		d["Older"] = links[len(links)-1].ID
	}
	return w.admin(c, "sso", "Single sign-on", d)
}

func (w *UI) adminSSOUnlink(c echo.Context) error {
	if err := w.svc.UnlinkSSO(c.Request().Context(), w.caller(c), idParam(c)); err != nil {
		return w.fail(c, err)
	}
	return w.done(c, "/admin/sso", "Link removed; the browser sessions it started have ended.")
}
