package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
)

// registerLists mounts /api/v1/lists and its members.
func (a *API) registerLists(e *echo.Echo) {
	a.handle(e, http.MethodGet, "/api/v1/lists", a.getLists, user("read:lists"))
	a.handle(e, http.MethodPost, "/api/v1/lists", a.createList, user("write:lists"))
	a.handle(e, http.MethodGet, "/api/v1/lists/:id", a.getList, user("read:lists"))
	a.handle(e, http.MethodPut, "/api/v1/lists/:id", a.updateList, user("write:lists"))
	a.handle(e, http.MethodDelete, "/api/v1/lists/:id", a.deleteList, user("write:lists"))
	a.handle(e, http.MethodGet, "/api/v1/lists/:id/accounts", a.listAccounts, user("read:lists"))
	a.handle(e, http.MethodPost, "/api/v1/lists/:id/accounts", a.addListAccounts, user("write:lists"))
	a.handle(e, http.MethodDelete, "/api/v1/lists/:id/accounts", a.removeListAccounts, user("write:lists"))
}

func listParams(p *Params) (core.ListParams, error) {
	var lp core.ListParams
	if p.Has("title") {
		t := p.String("title")
		lp.Title = &t
	}
	if p.Has("replies_policy") {
		r := p.String("replies_policy")
		lp.RepliesPolicy = &r
	}
	if v, ok, err := p.Bool("exclusive"); err != nil {
		return lp, err
	} else if ok {
		lp.Exclusive = &v
	}
	return lp, nil
}

func (a *API) getLists(c echo.Context) error {
	ls, err := a.svc.Lists(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listEntities(ls))
}

func (a *API) createList(c echo.Context) error {
	return createRecord(c, listParams, a.svc.CreateList, listEntity)
}

func (a *API) getList(c echo.Context) error {
	return showByID(c, a.svc.List, listEntity)
}

func (a *API) updateList(c echo.Context) error {
	return updateByID(c, listParams, a.svc.UpdateList, listEntity)
}

func (a *API) deleteList(c echo.Context) error {
	return actOnID(c, a.svc.DeleteList)
}

func (a *API) listAccounts(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := page(c, 40, 80)
	if err != nil {
		return err
	}
	if c.QueryParam("limit") == "0" {
		p.Limit = 0 // all members, as Mastodon
	}
	ctx := c.Request().Context()
	ids, err := a.svc.ListAccounts(ctx, caller(c), id, p)
	if err != nil {
		return err
	}
	out, err := a.accounts(ctx, ids)
	if err != nil {
		return err
	}
	if len(ids) > 0 && p.Limit > 0 {
		setLink(c, ids[0], ids[len(ids)-1])
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) listMemberIDs(c echo.Context) (int64, []int64, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return 0, nil, err
	}
	p, err := params(c)
	if err != nil {
		return 0, nil, err
	}
	return id, idList(p, "account_ids", 250), nil
}

func (a *API) addListAccounts(c echo.Context) error {
	id, members, err := a.listMemberIDs(c)
	if err != nil {
		return err
	}
	if err := a.svc.AddListAccounts(c.Request().Context(), caller(c), id, members); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

func (a *API) removeListAccounts(c echo.Context) error {
	id, members, err := a.listMemberIDs(c)
	if err != nil {
		return err
	}
	if err := a.svc.RemoveListAccounts(c.Request().Context(), caller(c), id, members); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}
