package webui

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

// The console's webhooks (Manage Webhooks, checked by core): the list and
// the form to add one, and a page per webhook to edit, enable or disable
// it, rotate its secret, delete it, and see its recent deliveries.

// eventChoice is an event's checkbox.
type eventChoice struct {
	Name    string
	Checked bool
}

func eventChoices(chosen []string) []eventChoice {
	out := make([]eventChoice, 0, len(core.WebhookEvents))
	for _, e := range core.WebhookEvents {
		out = append(out, eventChoice{e, slices.Contains(chosen, e)})
	}
	return out
}

// webhookForm reads the URL and the events checked.
func webhookForm(c echo.Context) core.WebhookParams {
	u := c.FormValue("url")
	events := []string{}
	if f, err := c.FormParams(); err == nil {
		events = append(events, f["events"]...)
	}
	return core.WebhookParams{URL: &u, Events: &events}
}

func (w *UI) adminWebhooks(c echo.Context) error {
	list, err := w.svc.Webhooks(c.Request().Context(), w.caller(c), model.Page{Limit: 200})
	if err != nil {
		return w.fail(c, err)
	}
	return w.admin(c, "webhooks", "Webhooks", page{"List": list, "Events": eventChoices(nil)})
}

func (w *UI) adminWebhookCreate(c echo.Context) error {
	wh, err := w.svc.CreateWebhook(c.Request().Context(), w.caller(c), webhookForm(c))
	if err != nil {
		return w.fail(c, err)
	}
	return w.done(c, "/admin/webhooks/"+strconv.FormatInt(wh.ID, 10), "Webhook added. Check its requests with the secret shown here.")
}

func (w *UI) adminWebhook(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	wh, err := w.svc.Webhook(ctx, cl, idParam(c))
	if err != nil {
		return w.fail(c, err)
	}
	log, err := w.svc.WebhookDeliveries(ctx, cl, wh.ID, model.Page{Limit: 50})
	if err != nil {
		return w.fail(c, err)
	}
	return w.render(c, http.StatusOK, "admin_webhook", page{"Title": "Webhook", "Tab": "webhooks", "W": wh,
		"Events": eventChoices(wh.Events), "Deliveries": log})
}

func (w *UI) adminWebhookSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	id := idParam(c)
	back := "/admin/webhooks/" + c.Param("id")
	var err error
	msg := "Saved."
	switch c.Param("op") {
	case "update":
		_, err = w.svc.UpdateWebhook(ctx, cl, id, webhookForm(c))
	case "enable":
		_, err = w.svc.EnableWebhook(ctx, cl, id, true)
		msg = "Webhook enabled."
	case "disable":
		_, err = w.svc.EnableWebhook(ctx, cl, id, false)
		msg = "Webhook disabled: nothing more is sent to it."
	case "rotate":
		_, err = w.svc.RotateWebhookSecret(ctx, cl, id)
		msg = "New secret made: requests are signed with it from now on."
	case "delete":
		err = w.svc.DeleteWebhook(ctx, cl, id)
		back, msg = "/admin/webhooks", "Webhook deleted."
	default:
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such action.")
	}
	if err != nil {
		return w.fail(c, err)
	}
	return w.done(c, back, msg)
}
