package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/text"
	"github.com/herald-social/herald/storage"
)

// WebPushSubscription is Mastodon's entity.
type WebPushSubscription struct {
	ID        string          `json:"id"`
	Endpoint  string          `json:"endpoint"`
	Standard  bool            `json:"standard"`
	Alerts    map[string]bool `json:"alerts"`
	Policy    string          `json:"policy"`
	ServerKey string          `json:"server_key"`
}

func (a *API) registerPush(e *echo.Echo) {
	a.handle(e, http.MethodPost, "/api/v1/push/subscription", a.createPush, user("push"))
	a.handle(e, http.MethodGet, "/api/v1/push/subscription", a.getPush, user("push"))
	a.handle(e, http.MethodPut, "/api/v1/push/subscription", a.updatePush, user("push"))
	a.handle(e, http.MethodDelete, "/api/v1/push/subscription", a.deletePush, user("push"))
}

// VAPIDPublicKey is the instance's Web Push key as clients read it
// (instance v2 configuration.vapid.public_key, a subscription's
// server_key): as Mastodon shows it, URL-safe base64 with padding.
func (a *API) VAPIDPublicKey(c echo.Context) string {
	return a.vapidKey(c.Request().Context())
}

func (a *API) vapidKey(ctx context.Context) string {
	k, err := a.svc.VAPIDKeys(ctx)
	if err != nil {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(k.Public)
	if err != nil {
		return ""
	}
	return base64.URLEncoding.EncodeToString(raw)
}

func (a *API) pushEntity(c echo.Context, s *storage.PushSubscription) WebPushSubscription {
	alerts := map[string]bool{}
	for _, t := range core.PushAlertTypes {
		alerts[t] = false
	}
	for _, t := range s.Alerts {
		alerts[t] = true
	}
	return WebPushSubscription{ID: idString(s.ID), Endpoint: s.Endpoint, Standard: s.Standard, Alerts: alerts,
		Policy: s.Policy, ServerKey: a.VAPIDPublicKey(c)}
}

// lookup reads a nested parameter: a[b][c] in forms, {"a":{"b":{"c":..}}} in JSON.
func (p *Params) lookup(keys ...string) (string, bool) {
	if p.json != nil {
		var v any = p.json
		for _, k := range keys {
			m, ok := v.(map[string]any)
			if !ok {
				return "", false
			}
			if v, ok = m[k]; !ok {
				return "", false
			}
		}
		return scalarText(v), true
	}
	name := keys[0]
	for _, k := range keys[1:] {
		name += "[" + k + "]"
	}
	if v, ok := p.values[name]; ok && len(v) > 0 {
		return v[0], true
	}
	return "", false
}

// pushData reads data[alerts][*] (nil when none given) and data[policy]
// (or a top-level policy, as Mastodon's PUT).
func pushData(p *Params) (map[string]bool, string) {
	var alerts map[string]bool
	for _, t := range core.PushAlertTypes {
		if v, ok := p.lookup("data", "alerts", t); ok {
			if alerts == nil {
				alerts = map[string]bool{}
			}
			alerts[t] = v == "true" || v == "1" || v == "on"
		}
	}
	policy, ok := p.lookup("data", "policy")
	if !ok {
		policy = p.String("policy")
	}
	return alerts, policy
}

func (a *API) createPush(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	pp := core.PushParams{}
	pp.Endpoint, _ = p.lookup("subscription", "endpoint")
	pp.P256dh, _ = p.lookup("subscription", "keys", "p256dh")
	pp.Auth, _ = p.lookup("subscription", "keys", "auth")
	if v, ok := p.lookup("subscription", "standard"); ok {
		pp.Standard = v == "true" || v == "1"
	}
	pp.Alerts, pp.Policy = pushData(p)
	if pp.Alerts == nil {
		pp.Alerts = map[string]bool{}
	}
	sub, err := a.svc.Subscribe(c.Request().Context(), caller(c), pp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.pushEntity(c, sub))
}

func (a *API) getPush(c echo.Context) error {
	sub, err := a.svc.PushSubscription(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.pushEntity(c, sub))
}

func (a *API) updatePush(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	var pp core.PushParams
	pp.Alerts, pp.Policy = pushData(p)
	sub, err := a.svc.UpdatePushSubscription(c.Request().Context(), caller(c), pp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.pushEntity(c, sub))
}

func (a *API) deletePush(c echo.Context) error {
	if err := a.svc.Unsubscribe(c.Request().Context(), caller(c)); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

// webPushNotification is the JSON pushed for a notification, as Mastodon's
// Web::NotificationSerializer. (access_token stays empty: tokens are not
// kept in the clear.)
type webPushNotification struct {
	AccessToken      string `json:"access_token,omitempty"`
	PreferredLocale  string `json:"preferred_locale"`
	NotificationID   string `json:"notification_id"`
	NotificationType string `json:"notification_type"`
	Icon             string `json:"icon"`
	Title            string `json:"title"`
	Body             string `json:"body"`
}

// RenderPush renders a push as Mastodon's Web Push notification JSON; the
// server hands it to the push worker.
func (a *API) RenderPush(p *core.PushNotice) ([]byte, error) {
	n, from := p.Notification, p.From
	name := strings.TrimSpace(from.DisplayName)
	if name == "" {
		name = from.Username
	}
	body := text.PlainText(from.Note)
	if st := p.Status; st != nil {
		body = st.SpoilerText
		if body == "" {
			body = text.PlainText(st.Content)
		}
	}
	return json.Marshal(webPushNotification{
		PreferredLocale: "en", NotificationID: idString(n.ID), NotificationType: n.Type,
		Icon: a.account(from).Avatar, Title: pushTitle(n.Type, name), Body: truncateRunes(body, 140),
	})
}

// pushTitle is the push's title, as Mastodon's (English) notification_mailer
// subjects.
func pushTitle(typ, name string) string {
	switch typ {
	case model.NotifyMention:
		return "You were mentioned by " + name
	case model.NotifyStatus:
		return name + " just posted"
	case model.NotifyReblog:
		return name + " boosted your post"
	case model.NotifyFollow:
		return name + " is now following you"
	case model.NotifyFollowRequest:
		return name + " has requested to follow you"
	case model.NotifyFavourite:
		return name + " favourited your post"
	case model.NotifyUpdate:
		return name + " edited a post"
	case model.NotifyQuote:
		return name + " quoted your post"
	case model.NotifyQuotedUpdate:
		return name + " edited a post you have quoted"
	case "poll":
		return "A poll has ended"
	case "admin.sign_up":
		return name + " signed up"
	case "admin.report":
		return "New report"
	}
	return "New notification from " + name
}

// truncateRunes trims s and cuts it to n runes, the last an ellipsis.
func truncateRunes(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// vapidPublicKey is for instance v2 configuration.vapid.public_key.
func (a *API) vapidPublicKey() string { return a.vapidKey(context.Background()) }
