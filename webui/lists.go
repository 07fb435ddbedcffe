package webui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

// Lists in the web client: the account's lists, each a timeline of the
// accounts put in it (only accounts it follows, core's rule). Core owns
// every rule; these handlers translate forms.

func (w *UI) listsPage(c echo.Context) error {
	ls, err := w.svc.Lists(c.Request().Context(), w.actor(c))
	if err != nil {
		return w.fail(c, err)
	}
	return w.render(c, http.StatusOK, "lists", page{"Title": "Lists", "Lists": ls})
}

func (w *UI) listCreate(c echo.Context) error {
	title := strings.TrimSpace(c.FormValue("title"))
	l, err := w.svc.CreateList(c.Request().Context(), w.actor(c), core.ListParams{Title: &title})
	if err != nil {
		return w.fail(c, err)
	}
	return w.done(c, "/lists/"+strconv.FormatInt(l.ID, 10), "List created.")
}

func listID(c echo.Context) int64 {
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	return id
}

// listPage is a list's timeline and its members.
func (w *UI) listPage(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.actor(c)
	l, err := w.svc.List(ctx, cl, listID(c))
	if err != nil {
		return w.fail(c, err)
	}
	pg, err := pageParams(c)
	if err != nil {
		return w.fail(c, err)
	}
	tl, err := w.svc.ListTimeline(ctx, cl, l.ID, pg)
	if err != nil {
		return w.fail(c, err)
	}
	ids, err := w.svc.ListAccounts(ctx, cl, l.ID, model.Page{Limit: 80})
	if err != nil {
		return w.fail(c, err)
	}
	accs, err := w.svc.AccountsByIDs(ctx, ids)
	if err != nil {
		return w.fail(c, err)
	}
	var members []*model.Account
	for _, id := range ids {
		if a := accs[id]; a != nil {
			members = append(members, a)
		}
	}
	return w.render(c, http.StatusOK, "list", page{"Title": l.Title, "List": l, "Members": members,
		"Items": w.items(tl.View, cl), "Next": nextLink(c, tl)})
}

// listSubmit is rename, delete, add (by address) and remove.
func (w *UI) listSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.actor(c)
	id := listID(c)
	back := "/lists/" + strconv.FormatInt(id, 10)
	var err error
	msg := ""
	switch c.Param("op") {
	case "rename":
		title := strings.TrimSpace(c.FormValue("title"))
		_, err = w.svc.UpdateList(ctx, cl, id, core.ListParams{Title: &title})
	case "delete":
		err = w.svc.DeleteList(ctx, cl, id)
		back, msg = "/lists", "List deleted."
	case "add":
		var acc *model.Account
		if acc, err = w.svc.LookupAcct(ctx, c.FormValue("acct"), true); err == nil {
			err = w.svc.AddListAccounts(ctx, cl, id, []int64{acc.ID})
			msg = "Added @" + acc.Acct() + "."
		}
	case "remove":
		aid, perr := strconv.ParseInt(c.FormValue("account_id"), 10, 64)
		if perr != nil {
			return w.errorPage(c, http.StatusNotFound, "Not found", "No such account.")
		}
		err = w.svc.RemoveListAccounts(ctx, cl, id, []int64{aid})
	default:
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such action.")
	}
	if err != nil {
		return w.fail(c, err)
	}
	return w.done(c, back, msg)
}
