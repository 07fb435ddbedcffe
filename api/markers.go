package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
)

// registerMisc mounts the small per-user endpoints (markers, preferences,
// suggestions), search, the profile directory and tag pages.
func (a *API) registerMisc(e *echo.Echo) {
	a.handle(e, http.MethodGet, "/api/v1/markers", a.getMarkers, user("read:statuses"))
	a.handle(e, http.MethodPost, "/api/v1/markers", a.setMarkers, user("write:statuses"))
	a.handle(e, http.MethodGet, "/api/v1/preferences", a.preferences, user("read:accounts"))
	a.handle(e, http.MethodGet, "/api/v1/suggestions", a.emptyListOf, user("read"))
	a.handle(e, http.MethodGet, "/api/v2/suggestions", a.emptyListOf, user("read"))
	a.handle(e, http.MethodDelete, "/api/v1/suggestions/:id", a.emptyObjectOf, user("read"))
	a.handle(e, http.MethodGet, "/api/v1/directory", a.directory, publicRead(""))
	a.handle(e, http.MethodGet, "/api/v2/search", a.search, publicRead("read:search"))
	a.handle(e, http.MethodGet, "/api/v1/tags/:name", a.getTag, publicRead(""))
	a.handle(e, http.MethodPost, "/api/v1/tags/:name/follow", a.tagAction(a.svc.FollowTag), user("write:follows"))
	a.handle(e, http.MethodPost, "/api/v1/tags/:name/unfollow", a.tagAction(a.svc.UnfollowTag), user("write:follows"))
	a.handle(e, http.MethodPost, "/api/v1/tags/:name/feature", a.tagAction(a.svc.FeatureTagByName), user("write:accounts"))
	a.handle(e, http.MethodPost, "/api/v1/tags/:name/unfeature", a.tagAction(a.svc.UnfeatureTagByName), user("write:accounts"))
}

func (a *API) emptyObjectOf(c echo.Context) error { return c.JSON(http.StatusOK, map[string]any{}) }

func (a *API) getMarkers(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	ms, err := a.svc.Markers(c.Request().Context(), caller(c), p.Strings("timeline"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, markers(ms))
}

func (a *API) setMarkers(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	pos := map[string]string{}
	for _, tl := range core.MarkerTimelines {
		if v, ok := p.Nested(tl, "last_read_id"); ok {
			pos[tl] = v
		}
	}
	ms, err := a.svc.SetMarkers(c.Request().Context(), caller(c), pos)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, markers(ms))
}

func (a *API) preferences(c echo.Context) error {
	u := caller(c).User
	var lang *string
	if u.DefaultLanguage != "" {
		lang = &u.DefaultLanguage
	}
	vis := u.DefaultVisibility
	if vis == "" {
		vis = "public"
	}
	return c.JSON(http.StatusOK, map[string]any{
		"posting:default:visibility":   vis,
		"posting:default:sensitive":    u.DefaultSensitive,
		"posting:default:language":     lang,
		"posting:default:quote_policy": a.defaultQuotePolicy(c.Request().Context(), caller(c).Account.ID),
		"reading:expand:media":         "default",
		"reading:expand:spoilers":      false,
		"reading:autoplay:gifs":        false,
	})
}
