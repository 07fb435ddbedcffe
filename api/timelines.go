package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
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

// respondTimeline reads the page parameters, loads that page of statuses
// with load and writes it with its Link header.
func (a *API) respondTimeline(c echo.Context, load func(p model.Page) (*core.Timeline, error)) error {
	pg, err := page(c, 20, 40)
	if err != nil {
		return err
	}
	t, err := load(pg)
	if err != nil {
		return err
	}
	setPageLink(c, pg, t.Newest, t.Oldest)
	return c.JSON(http.StatusOK, a.statuses(t.View))
}

func (a *API) homeTimeline(c echo.Context) error {
	return a.respondTimeline(c, func(pg model.Page) (*core.Timeline, error) {
		return a.svc.HomeTimeline(c.Request().Context(), caller(c), pg)
	})
}

func (a *API) publicTimeline(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	return a.respondTimeline(c, func(pg model.Page) (*core.Timeline, error) {
		return a.svc.PublicTimeline(c.Request().Context(), caller(c), p.BoolOr("local", false), p.BoolOr("remote", false),
			p.BoolOr("only_media", false), pg)
	})
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
	return a.respondTimeline(c, func(pg model.Page) (*core.Timeline, error) {
		return a.svc.TagTimeline(c.Request().Context(), caller(c), q, p.BoolOr("only_media", false), pg)
	})
}

func (a *API) listTimeline(c echo.Context) error {
	id, err := pathID(c, "list_id")
	if err != nil {
		return err
	}
	return a.respondTimeline(c, func(pg model.Page) (*core.Timeline, error) {
		return a.svc.ListTimeline(c.Request().Context(), caller(c), id, pg)
	})
}

func (a *API) directTimeline(c echo.Context) error {
	return a.respondTimeline(c, func(pg model.Page) (*core.Timeline, error) {
		return a.svc.DirectTimeline(c.Request().Context(), caller(c), pg)
	})
}

func (a *API) favourites(c echo.Context) error {
	return a.respondTimeline(c, func(pg model.Page) (*core.Timeline, error) {
		return a.svc.Favourites(c.Request().Context(), caller(c), pg)
	})
}

func (a *API) bookmarks(c echo.Context) error {
	return a.respondTimeline(c, func(pg model.Page) (*core.Timeline, error) {
		return a.svc.Bookmarks(c.Request().Context(), caller(c), pg)
	})
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
	return a.respondTimeline(c, func(pg model.Page) (*core.Timeline, error) {
		return a.svc.AccountStatuses(c.Request().Context(), caller(c), id, f, pg)
	})
}
