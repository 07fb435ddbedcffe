package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/storage"
)

func (a *API) registerNotifications(e *echo.Echo) {
	const read, write = "read:notifications", "write:notifications"
	a.handle(e, http.MethodGet, "/api/v1/notifications", a.listNotifications, user(read))
	a.handle(e, http.MethodGet, "/api/v1/notifications/unread_count", a.unreadNotifications, user(read))
	a.handle(e, http.MethodGet, "/api/v1/notifications/requests", a.notificationRequests, user(read))
	a.handle(e, http.MethodGet, "/api/v1/notifications/requests/merged", a.requestsMerged, user(read))
	a.handle(e, http.MethodPost, "/api/v1/notifications/requests/accept", a.acceptNotificationRequests, user(write))
	a.handle(e, http.MethodPost, "/api/v1/notifications/requests/dismiss", a.dismissNotificationRequests, user(write))
	a.handle(e, http.MethodGet, "/api/v1/notifications/requests/:id", a.notificationRequest, user(read))
	a.handle(e, http.MethodPost, "/api/v1/notifications/requests/:id/accept", a.acceptNotificationRequest, user(write))
	a.handle(e, http.MethodPost, "/api/v1/notifications/requests/:id/dismiss", a.dismissNotificationRequest, user(write))
	a.handle(e, http.MethodGet, "/api/v1/notifications/:id", a.getNotification, user(read))
	a.handle(e, http.MethodPost, "/api/v1/notifications/clear", a.clearNotifications, user(write))
	a.handle(e, http.MethodPost, "/api/v1/notifications/:id/dismiss", a.dismissNotification, user(write))
	a.handle(e, http.MethodGet, "/api/v2/notifications/policy", a.notificationPolicy, user(read))
	a.handle(e, http.MethodPatch, "/api/v2/notifications/policy", a.updateNotificationPolicy, user(write))
	a.handle(e, http.MethodPut, "/api/v2/notifications/policy", a.updateNotificationPolicy, user(write))
	a.handle(e, http.MethodGet, "/api/v1/notifications/policy", a.notificationPolicyV1, user(read))
	a.handle(e, http.MethodPatch, "/api/v1/notifications/policy", a.updateNotificationPolicy, user(write))
	for _, prefix := range []string{"/api/v2/notifications", "/api/v2_alpha/notifications"} {
		a.handle(e, http.MethodGet, prefix, a.groupedNotifications, user(read))
		a.handle(e, http.MethodGet, prefix+"/unread_count", a.unreadGroups, user(read))
		a.handle(e, http.MethodGet, prefix+"/:group_key", a.notificationGroup, user(read))
		a.handle(e, http.MethodPost, prefix+"/:group_key/dismiss", a.dismissGroup, user(write))
		a.handle(e, http.MethodGet, prefix+"/:group_key/accounts", a.groupAccounts, user(read))
	}
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
	pg, err := page(c, 40, 80)
	if err != nil {
		return err
	}
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
	return actOnID(c, a.svc.DismissNotification)
}

func (a *API) unreadNotifications(c echo.Context) error {
	n, err := a.svc.UnreadNotifications(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int64{"count": n})
}

func (a *API) requestsMerged(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]bool{"merged": true})
}

// notificationPolicy is Mastodon's NotificationPolicy (v2).
func (a *API) notificationPolicy(c echo.Context) error {
	p, err := a.svc.NotificationPolicy(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	return a.policyResponse(c, p, false)
}

// policyResponse renders a policy with its summary (v1: the 4.2 shape).
func (a *API) policyResponse(c echo.Context, p *storage.NotificationPolicy, v1 bool) error {
	reqs, ns, err := a.svc.NotificationRequestsSummary(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	out := policyEntity(p, reqs, ns)
	if v1 {
		for _, k := range []string{"for_not_following", "for_not_followers", "for_new_accounts", "for_private_mentions", "for_limited_accounts"} {
			delete(out, k)
		}
	}
	return c.JSON(http.StatusOK, out)
}

func policyEntity(p *storage.NotificationPolicy, pendingRequests, pendingNotifications int64) map[string]any {
	return map[string]any{
		"for_not_following":    p.ForNotFollowing,
		"for_not_followers":    p.ForNotFollowers,
		"for_new_accounts":     p.ForNewAccounts,
		"for_private_mentions": p.ForPrivateMentions,
		"for_limited_accounts": p.ForLimitedAccounts,
		// The v1 booleans, for clients of Mastodon 4.2.
		"filter_not_following":    p.ForNotFollowing != "accept",
		"filter_not_followers":    p.ForNotFollowers != "accept",
		"filter_new_accounts":     p.ForNewAccounts != "accept",
		"filter_private_mentions": p.ForPrivateMentions != "accept",
		"summary": map[string]int64{"pending_requests_count": pendingRequests,
			"pending_notifications_count": pendingNotifications},
	}
}

// notificationPolicyV1 is the 4.2 shape (booleans).
func (a *API) notificationPolicyV1(c echo.Context) error {
	p, err := a.svc.NotificationPolicy(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	return a.policyResponse(c, p, true)
}

// updateNotificationPolicy takes the v2 values (accept, filter, drop) or
// the v1 booleans (filter_*: true is "filter").
func (a *API) updateNotificationPolicy(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	var u core.PolicyUpdate
	field := func(v2, v1 string) *string {
		if p.Has(v2) {
			s := p.String(v2)
			return &s
		}
		if v1 != "" && p.Has(v1) {
			s := "accept"
			if p.BoolOr(v1, false) {
				s = "filter"
			}
			return &s
		}
		return nil
	}
	u.ForNotFollowing = field("for_not_following", "filter_not_following")
	u.ForNotFollowers = field("for_not_followers", "filter_not_followers")
	u.ForNewAccounts = field("for_new_accounts", "filter_new_accounts")
	u.ForPrivateMentions = field("for_private_mentions", "filter_private_mentions")
	u.ForLimitedAccounts = field("for_limited_accounts", "")
	pol, err := a.svc.UpdateNotificationPolicy(c.Request().Context(), caller(c), u)
	if err != nil {
		return err
	}
	return a.policyResponse(c, pol, false)
}
