package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

// Admin webhooks. Mastodon manages them in its admin UI only; these routes
// are Herald's own equivalent, with the fields of Mastodon's Webhook
// record (its template aside). Manage Webhooks, checked by core.

// AdminWebhook is a webhook as /api/v1/admin/webhooks shows it. The secret
// is shown to those who manage webhooks, as Mastodon's admin UI shows it:
// they need it to check the signatures.
type AdminWebhook struct {
	ID        string   `json:"id"`
	URL       string   `json:"url"`
	Events    []string `json:"events"`
	Enabled   bool     `json:"enabled"`
	Secret    string   `json:"secret"`
	CreatedAt string   `json:"created_at"`
	UpdatedAt string   `json:"updated_at"`
}

func adminWebhook(w *model.Webhook) AdminWebhook {
	events := w.Events
	if events == nil {
		events = []string{}
	}
	return AdminWebhook{ID: idString(w.ID), URL: w.URL, Events: events, Enabled: w.Enabled, Secret: w.Secret,
		CreatedAt: fmtTime(w.CreatedAt), UpdatedAt: fmtTime(w.UpdatedAt)}
}

// AdminWebhookDelivery is an entry of a webhook's delivery log.
type AdminWebhookDelivery struct {
	ID         string `json:"id"`
	Event      string `json:"event"`
	ObjectID   string `json:"object_id"`
	State      string `json:"state"` // pending, delivered or failed
	Attempts   int    `json:"attempts"`
	StatusCode *int   `json:"status_code"` // of the last attempt; null: none, or no answer
	LastError  string `json:"last_error"`
	CreatedAt  string `json:"created_at"`
	UpdatedAt  string `json:"updated_at"`
}

func adminWebhookDelivery(d *model.WebhookDelivery) AdminWebhookDelivery {
	out := AdminWebhookDelivery{ID: idString(d.ID), Event: d.Event, ObjectID: idString(d.ObjectID), State: d.State,
		Attempts: d.Attempts, LastError: d.LastError, CreatedAt: fmtTime(d.CreatedAt), UpdatedAt: fmtTime(d.UpdatedAt)}
	if d.StatusCode != 0 {
		code := d.StatusCode
		out.StatusCode = &code
	}
	return out
}

func (a *API) registerAdminWebhooks(e *echo.Echo) {
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	r, w := user("admin:read"), user("admin:write")
	const base = "/api/v1/admin/webhooks"
	a.handle(e, get, base, a.adminWebhooks, r)
	a.handle(e, post, base, a.adminCreateWebhook, w)
	a.handle(e, get, base+"/:id", a.adminWebhook, r)
	a.handle(e, put, base+"/:id", a.adminUpdateWebhook, w)
	a.handle(e, del, base+"/:id", a.adminDeleteWebhook, w)
	a.handle(e, post, base+"/:id/enable", a.adminEnableWebhook(true), w)
	a.handle(e, post, base+"/:id/disable", a.adminEnableWebhook(false), w)
	a.handle(e, post, base+"/:id/rotate_secret", a.adminRotateWebhookSecret, w)
	a.handle(e, get, base+"/:id/deliveries", a.adminWebhookDeliveries, r)
}

// webhookParams reads url, events[] and enabled.
func webhookParams(p *Params) (core.WebhookParams, error) {
	wp := core.WebhookParams{URL: optString(p, "url")}
	if p.Has("events") {
		events := p.Strings("events")
		wp.Events = &events
	}
	var err error
	wp.Enabled, err = optBool(p, "enabled")
	return wp, err
}

func webhookID(w *model.Webhook) int64 { return w.ID }

func (a *API) adminWebhooks(c echo.Context) error {
	return listRecords(c, 100, 200, a.svc.Webhooks, webhookID, adminWebhook)
}

func (a *API) adminWebhook(c echo.Context) error {
	return showByID(c, a.svc.Webhook, adminWebhook)
}

func (a *API) adminCreateWebhook(c echo.Context) error {
	return createRecord(c, webhookParams, a.svc.CreateWebhook, adminWebhook)
}

func (a *API) adminUpdateWebhook(c echo.Context) error {
	return updateByID(c, webhookParams, a.svc.UpdateWebhook, adminWebhook)
}

func (a *API) adminDeleteWebhook(c echo.Context) error {
	return actOnID(c, a.svc.DeleteWebhook)
}

func (a *API) adminEnableWebhook(enabled bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		return showByID(c, func(ctx context.Context, cl *core.Caller, id int64) (*model.Webhook, error) {
			return a.svc.EnableWebhook(ctx, cl, id, enabled)
		}, adminWebhook)
	}
}

func (a *API) adminRotateWebhookSecret(c echo.Context) error {
	return showByID(c, a.svc.RotateWebhookSecret, adminWebhook)
}

func (a *API) adminWebhookDeliveries(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return listRecords(c, 40, 100, func(ctx context.Context, cl *core.Caller, p model.Page) ([]*model.WebhookDelivery, error) {
		return a.svc.WebhookDeliveries(ctx, cl, id, p)
	}, func(d *model.WebhookDelivery) int64 { return d.ID }, adminWebhookDelivery)
}

// webhookEvent is the body of a webhook delivery, as Mastodon's
// REST::Admin::WebhookEventSerializer.
type webhookEvent struct {
	Event     string `json:"event"`
	CreatedAt string `json:"created_at"`
	Object    any    `json:"object"`
}

// RenderWebhook renders a delivery as Mastodon does: the event, when it
// happened, and its object as it is now: Admin::Account for account.*,
// Admin::Report for report.*, Status (seen by nobody in particular) for
// status.*. The server hands it to the webhook worker.
func (a *API) RenderWebhook(ctx context.Context, send *core.WebhookSend) ([]byte, error) {
	ev := webhookEvent{Event: send.Delivery.Event, CreatedAt: fmtTime(send.Delivery.CreatedAt)}
	switch {
	case send.Account != nil:
		ev.Object = a.adminAccount(ctx, send.Account)
	case send.Report != nil && len(send.Report.Reports) == 1:
		ev.Object = a.adminReportsOf(ctx, send.Report)[0]
	case send.Status != nil && len(send.Status.Statuses) == 1:
		st, ok := a.status(send.Status, send.Status.Statuses[0])
		if !ok {
			return nil, errors.New("webhook: the status cannot be rendered")
		}
		ev.Object = st
	case send.Delegation != nil:
		ev.Object = a.delegationEvent(send.Delegation)
	default:
		return nil, errors.New("webhook: nothing to render for " + send.Delivery.Event)
	}
	return json.Marshal(ev)
}
