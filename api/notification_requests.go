package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
)

// NotificationRequest is Mastodon's entity (4.3): the filtered
// notifications of one sender; its id is the sender's.
type NotificationRequest struct {
	ID                 string  `json:"id"`
	CreatedAt          string  `json:"created_at"`
	UpdatedAt          string  `json:"updated_at"`
	Account            Account `json:"account"`
	NotificationsCount string  `json:"notifications_count"`
	LastStatus         *Status `json:"last_status,omitempty"`
}

func (a *API) notificationRequestEntities(p *core.NotificationRequestPage) []NotificationRequest {
	out := make([]NotificationRequest, 0, len(p.Requests))
	for _, r := range p.Requests {
		acc := p.Accounts[r.FromAccountID]
		if acc == nil {
			continue
		}
		e := NotificationRequest{ID: idString(r.FromAccountID), CreatedAt: fmtTime(r.FirstAt), UpdatedAt: fmtTime(r.LastAt),
			Account: a.account(acc), NotificationsCount: idString(r.Count)}
		if st := p.Statuses[r.LastStatusID]; st != nil {
			if s, ok := a.status(p.View, st); ok {
				e.LastStatus = &s
			}
		}
		out = append(out, e)
	}
	return out
}

func (a *API) notificationRequests(c echo.Context) error {
	pg, err := page(c, 40, 80)
	if err != nil {
		return err
	}
	np, err := a.svc.NotificationRequests(c.Request().Context(), caller(c), 0, pg)
	if err != nil {
		return err
	}
	setPageLink(c, pg, np.Newest, np.Oldest)
	return c.JSON(http.StatusOK, a.notificationRequestEntities(np))
}

func (a *API) notificationRequest(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	np, err := a.svc.NotificationRequest(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.notificationRequestEntities(np)[0])
}

func (a *API) acceptNotificationRequest(c echo.Context) error {
	return actOnID(c, a.svc.AcceptNotificationRequest)
}

func (a *API) dismissNotificationRequest(c echo.Context) error {
	return actOnID(c, a.svc.DismissNotificationRequest)
}

func (a *API) acceptNotificationRequests(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	if err := a.svc.AcceptNotificationRequests(c.Request().Context(), caller(c), idList(p, "id", 100)); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

func (a *API) dismissNotificationRequests(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	if err := a.svc.DismissNotificationRequests(c.Request().Context(), caller(c), idList(p, "id", 100)); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}
