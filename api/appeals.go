package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

// Appeals of moderation decisions. Mastodon has them only in its web
// interface; these routes are Herald's own: the warned user appeals
// (POST /api/v1/account_warnings/:id/appeal), moderators with Manage
// Appeals list and decide (/api/v1/admin/appeals).

func (a *API) registerAppeals(e *echo.Echo) {
	a.handle(e, http.MethodPost, "/api/v1/account_warnings/:id/appeal", a.appealWarning, user("write:accounts"))
	a.adminRoute(e, http.MethodGet, "/api/v1/admin/appeals", "admin:read:accounts", a.adminAppeals)
	a.adminRoute(e, http.MethodGet, "/api/v1/admin/appeals/:id", "admin:read:accounts", a.adminAppeal)
	a.adminRoute(e, http.MethodPost, "/api/v1/admin/appeals/:id/approve", "admin:write:accounts", a.adminDecideAppeal(true))
	a.adminRoute(e, http.MethodPost, "/api/v1/admin/appeals/:id/reject", "admin:write:accounts", a.adminDecideAppeal(false))
}

func (a *API) appealWarning(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := a.svc.Appeal(ctx, caller(c), id, p.String("text")); err != nil {
		return err
	}
	w, err := a.svc.AccountWarning(ctx, caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.warnings(ctx, []*model.AccountWarning{w})[0])
}

// AdminAppeal is Herald's admin view of an appeal.
type AdminAppeal struct {
	ID        string         `json:"id"`
	Text      string         `json:"text"`
	State     string         `json:"state"`
	CreatedAt string         `json:"created_at"`
	DecidedAt *string        `json:"decided_at"`
	Account   Account        `json:"account"`
	Warning   AccountWarning `json:"warning"`
}

func (a *API) adminAppealEntity(it *core.AppealItem) AdminAppeal {
	out := AdminAppeal{ID: idString(it.Appeal.ID), Text: it.Appeal.Text, State: it.Appeal.State(), CreatedAt: fmtTime(it.Appeal.CreatedAt),
		Account: a.account(it.Account), Warning: a.warningEntity(it.Warning, it.Account, it.Appeal)}
	if it.Appeal.ApprovedAt != nil {
		out.DecidedAt = fmtTimePtr(it.Appeal.ApprovedAt)
	} else if it.Appeal.RejectedAt != nil {
		out.DecidedAt = fmtTimePtr(it.Appeal.RejectedAt)
	}
	return out
}

func (a *API) adminAppeals(c echo.Context) error {
	pg, err := page(c, 40, 200)
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	accountID, err := p.ID("account_id")
	if err != nil {
		return err
	}
	items, err := a.svc.AdminAppeals(c.Request().Context(), caller(c), p.BoolOr("pending", false), accountID, pg)
	if err != nil {
		return err
	}
	if len(items) > 0 {
		setPageLink(c, pg, items[0].Appeal.ID, items[len(items)-1].Appeal.ID)
	}
	out := make([]AdminAppeal, 0, len(items))
	for i := range items {
		out = append(out, a.adminAppealEntity(&items[i]))
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) adminAppeal(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	it, err := a.svc.AdminAppeal(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.adminAppealEntity(it))
}

func (a *API) adminDecideAppeal(approve bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		it, err := a.svc.DecideAppeal(c.Request().Context(), caller(c), id, approve)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, a.adminAppealEntity(it))
	}
}
