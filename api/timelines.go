package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/storage"
)

func (a *API) registerTimelines(e *echo.Echo) {
	const read = "read:statuses"
	a.handle(e, http.MethodGet, "/api/v1/timelines/home", a.homeTimeline, user(read))
	a.handle(e, http.MethodGet, "/api/v1/timelines/public", a.publicTimeline, publicRead(read))
	a.handle(e, http.MethodGet, "/api/v1/timelines/tag/:hashtag", a.tagTimeline, publicRead(read))
	a.handle(e, http.MethodGet, "/api/v1/timelines/list/:list_id", a.listTimeline, user("read:lists"))
	a.handle(e, http.MethodGet, "/api/v1/timelines/direct", a.directTimeline, user(read))
	a.handle(e, http.MethodGet, "/api/v1/favourites", a.favourites, user("read:favourites"))
	a.handle(e, http.MethodGet, "/api/v1/bookmarks", a.bookmarks, user("read:bookmarks"))
	a.handle(e, http.MethodGet, "/api/v1/accounts/:id/statuses", a.accountStatuses, publicRead(read))
}

// respondTimeline writes a page of statuses with its Link header.
func (a *API) respondTimeline(c echo.Context, t *core.Timeline, err error) error {
	if err != nil {
		return err
	}
	setPageLink(c, page(c, 20, 40), t.Newest, t.Oldest)
	return c.JSON(http.StatusOK, a.statuses(t.View))
}

func (a *API) homeTimeline(c echo.Context) error {
	t, err := a.svc.HomeTimeline(c.Request().Context(), caller(c), page(c, 20, 40))
	return a.respondTimeline(c, t, err)
}

func (a *API) publicTimeline(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	t, err := a.svc.PublicTimeline(c.Request().Context(), caller(c), p.BoolOr("local", false), p.BoolOr("remote", false),
		p.BoolOr("only_media", false), page(c, 20, 40))
	return a.respondTimeline(c, t, err)
}

func (a *API) tagTimeline(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	q := storage.TagQuery{
		Any:        append([]string{c.Param("hashtag")}, p.Strings("any")...),
		All:        p.Strings("all"),
		None:       p.Strings("none"),
		LocalOnly:  p.BoolOr("local", false),
		RemoteOnly: p.BoolOr("remote", false),
	}
	t, err := a.svc.TagTimeline(c.Request().Context(), caller(c), q, p.BoolOr("only_media", false), page(c, 20, 40))
	return a.respondTimeline(c, t, err)
}

func (a *API) listTimeline(c echo.Context) error {
	id, err := pathID(c, "list_id")
	if err != nil {
		return err
	}
	t, err := a.svc.ListTimeline(c.Request().Context(), caller(c), id, page(c, 20, 40))
	return a.respondTimeline(c, t, err)
}

func (a *API) directTimeline(c echo.Context) error {
	t, err := a.svc.DirectTimeline(c.Request().Context(), caller(c), page(c, 20, 40))
	return a.respondTimeline(c, t, err)
}

func (a *API) favourites(c echo.Context) error {
	t, err := a.svc.Favourites(c.Request().Context(), caller(c), page(c, 20, 40))
	return a.respondTimeline(c, t, err)
}

func (a *API) bookmarks(c echo.Context) error {
	t, err := a.svc.Bookmarks(c.Request().Context(), caller(c), page(c, 20, 40))
	return a.respondTimeline(c, t, err)
}

func (a *API) accountStatuses(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	f := storage.AccountStatusFilter{
		ExcludeReplies: p.BoolOr("exclude_replies", false),
		ExcludeReblogs: p.BoolOr("exclude_reblogs", false),
		OnlyMedia:      p.BoolOr("only_media", false),
		Pinned:         p.BoolOr("pinned", false),
		Tagged:         p.String("tagged"),
	}
	t, err := a.svc.AccountStatuses(c.Request().Context(), caller(c), id, f, page(c, 20, 40))
	return a.respondTimeline(c, t, err)
}
