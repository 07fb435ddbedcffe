package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/storage"
)

func (a *API) registerNotifications(e *echo.Echo) {
	const read, write = "read:notifications", "write:notifications"
	a.handle(e, http.MethodGet, "/api/v1/notifications", a.listNotifications, user(read))
	a.handle(e, http.MethodGet, "/api/v1/notifications/unread_count", a.unreadNotifications, user(read))
	a.handle(e, http.MethodGet, "/api/v1/notifications/requests", a.emptyList, user(read))
	a.handle(e, http.MethodGet, "/api/v1/notifications/:id", a.getNotification, user(read))
	a.handle(e, http.MethodPost, "/api/v1/notifications/clear", a.clearNotifications, user(write))
	a.handle(e, http.MethodPost, "/api/v1/notifications/:id/dismiss", a.dismissNotification, user(write))
	a.handle(e, http.MethodGet, "/api/v2/notifications/policy", a.notificationPolicy, user(read))
	a.handle(e, http.MethodGet, "/api/v2/notifications/unread_count", a.unreadNotifications, user(read))
}

func (a *API) listNotifications(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	f := storage.NotificationFilter{ExcludeTypes: p.Strings("exclude_types")}
	if p.Has("types") {
		f.Types = p.Strings("types")
		if f.Types == nil {
			f.Types = []string{}
		}
	}
	if f.FromAccount, err = p.ID("account_id"); err != nil {
		return err
	}
	pg := page(c, 40, 80)
	np, err := a.svc.Notifications(c.Request().Context(), caller(c), f, pg)
	if err != nil {
		return err
	}
	setPageLink(c, pg, np.Newest, np.Oldest)
	return c.JSON(http.StatusOK, a.notifications(np))
}

func (a *API) getNotification(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	np, err := a.svc.Notification(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	out := a.notifications(np)
	if len(out) == 0 {
		return herr.NotFound("notification")
	}
	return c.JSON(http.StatusOK, out[0])
}

func (a *API) clearNotifications(c echo.Context) error {
	if err := a.svc.ClearNotifications(c.Request().Context(), caller(c)); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

func (a *API) dismissNotification(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.svc.DismissNotification(c.Request().Context(), caller(c), id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

func (a *API) unreadNotifications(c echo.Context) error {
	n, err := a.svc.UnreadNotifications(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int64{"count": n})
}

// notificationPolicy is Mastodon's default policy: nothing is filtered.
func (a *API) notificationPolicy(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{
		"for_not_following":       "accept",
		"for_not_followers":       "accept",
		"for_new_accounts":        "accept",
		"for_private_mentions":    "accept",
		"for_limited_accounts":    "accept",
		"filter_not_following":    false,
		"filter_not_followers":    false,
		"filter_new_accounts":     false,
		"filter_private_mentions": false,
		"summary":                 map[string]int{"pending_requests_count": 0, "pending_notifications_count": 0},
	})
}
