package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Admin webhooks, as Mastodon's (Administration > Webhooks): an endpoint is
// sent the events it subscribes to as JSON {"event", "created_at",
// "object"}, signed with its secret (X-Hub-Signature: sha256=<hex HMAC>).
// Holders of Manage Webhooks create, change, enable, disable and delete
// them and rotate their secrets; each change goes to the audit log.
//
// When an event happens, webhookEvent queues one "webhook" job per enabled
// webhook subscribed to it, with a pending row of the delivery log. The
// job (internal/webhook) loads the object as it is when it is sent
// (PrepareWebhook), has the surface render it, signs and posts it, and
// records each attempt (WebhookAttempted).

// The webhook events: Mastodon's (Webhook::EVENTS), fired where Mastodon
// fires them.
const (
	// EventAccountCreated: a local account was made (sign-up, invite,
	// the command line).
	EventAccountCreated = "account.created"
	// EventAccountApproved: a local account became usable, approved and
	// its address confirmed, whichever came last (Mastodon's
	// User#prepare_new_user!).
	EventAccountApproved = "account.approved"
	// EventAccountUpdated: a local account's profile or moderation state
	// (suspended, silenced, sensitive) changed.
	EventAccountUpdated = "account.updated"
	// EventReportCreated: a report was filed, locally or by another
	// server (a Flag).
	EventReportCreated = "report.created"
	// EventReportUpdated: a report was changed, assigned, resolved or
	// reopened (also by an account action that resolves it).
	EventReportUpdated = "report.updated"
	// EventStatusCreated: a local status was posted (boosts too, as
	// Mastodon's).
	EventStatusCreated = "status.created"
	// EventStatusUpdated: a local status was edited.
	EventStatusUpdated = "status.updated"
)

// WebhookEvents lists the events a webhook may subscribe to.
var WebhookEvents = []string{EventAccountApproved, EventAccountCreated, EventAccountUpdated,
	EventDelegationAction, EventDelegationGranted, EventDelegationRevoked,
	EventReportCreated, EventReportUpdated, EventStatusCreated, EventStatusUpdated}

// maxWebhookURL bounds a webhook's URL.
const maxWebhookURL = 2048

// WebhookParams creates or changes a webhook; nil fields stay as they are.
type WebhookParams struct {
	URL     *string
	Events  *[]string
	Enabled *bool
}

// applyWebhook validates p onto w.
func applyWebhook(w *model.Webhook, p WebhookParams) error {
	if p.URL != nil {
		w.URL = strings.TrimSpace(*p.URL)
	}
	if p.Events != nil {
		var events []string
		for _, e := range *p.Events {
			if e = strings.TrimSpace(e); e != "" && !slices.Contains(events, e) {
				events = append(events, e)
			}
		}
		w.Events = events
	}
	if p.Enabled != nil {
		w.Enabled = *p.Enabled
	}
	if err := validWebhookURL(w.URL); err != nil {
		return err
	}
	if len(w.Events) == 0 {
		return herr.Unprocessable("Validation failed: Events can't be blank")
	}
	for _, e := range w.Events {
		if !slices.Contains(WebhookEvents, e) {
			return herr.Unprocessable("Validation failed: Events is invalid (%s is not one of %s)", e, strings.Join(WebhookEvents, ", "))
		}
	}
	slices.Sort(w.Events)
	return nil
}

// validWebhookURL accepts an absolute http or https URL with a host. Where
// it may point is the SSRF guard's to decide when it is called, as for
// federation: an address can change between now and then.
func validWebhookURL(s string) error {
	if s == "" {
		return herr.Unprocessable("Validation failed: Url can't be blank")
	}
	u, err := url.Parse(s)
	if err != nil || len(s) > maxWebhookURL || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return herr.Unprocessable("Validation failed: Url is not a valid http or https URL")
	}
	return nil
}

// newWebhookSecret is a webhook's secret: 20 random bytes in hex, as
// Mastodon's (SecureRandom.hex(20)).
func newWebhookSecret() string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// webhookTarget names a webhook in the audit log by its id and host only:
// a webhook URL often carries a token (chat services' incoming webhooks),
// and the audit log is read by people who may not manage webhooks.
func webhookTarget(w *model.Webhook) string {
	host := w.URL
	if u, err := url.Parse(w.URL); err == nil {
		host = u.Host
	}
	return "webhook #" + itoa64(w.ID) + " (" + host + ")"
}

// Webhooks pages through the webhooks (Manage Webhooks).
func (s *AdminService) Webhooks(ctx context.Context, c *Caller, p model.Page) ([]*model.Webhook, error) {
	return adminRead(ctx, s, c, PermManageWebhooks, "webhooks", func() ([]*model.Webhook, error) { return s.store.Webhooks(ctx, p) })
}

// Webhook returns one webhook, its secret included.
func (s *AdminService) Webhook(ctx context.Context, c *Caller, id int64) (*model.Webhook, error) {
	return adminRead(ctx, s, c, PermManageWebhooks, "webhook", func() (*model.Webhook, error) { return s.store.WebhookByID(ctx, id) })
}

// CreateWebhook adds a webhook, enabled unless p says otherwise, with a new
// secret.
func (s *AdminService) CreateWebhook(ctx context.Context, c *Caller, p WebhookParams) (*model.Webhook, error) {
	if err := s.Authorize(ctx, c, PermManageWebhooks); err != nil {
		return nil, err
	}
	w := &model.Webhook{Enabled: true, Secret: newWebhookSecret()}
	if err := applyWebhook(w, p); err != nil {
		return nil, err
	}
	if err := writeErr(s.store.CreateWebhook(ctx, w), ""); err != nil {
		return nil, err
	}
	s.audit(ctx, c, "create_webhook", "Webhook", itoa64(w.ID), "created "+webhookTarget(w)+" for "+strings.Join(w.Events, ", "))
	return w, nil
}

// UpdateWebhook changes a webhook's URL, events or enabled flag.
func (s *AdminService) UpdateWebhook(ctx context.Context, c *Caller, id int64, p WebhookParams) (*model.Webhook, error) {
	apply := func(w *model.Webhook) error { return applyWebhook(w, p) }
	return adminUpdate(ctx, c, id, s.Webhook, apply, s.store.UpdateWebhook, "", func(w *model.Webhook) {
		s.audit(ctx, c, "update_webhook", "Webhook", itoa64(w.ID), "changed "+webhookTarget(w))
	})
}

// EnableWebhook starts (true) or stops (false) a webhook's deliveries; a
// disabled webhook's deliveries still queued are not sent.
func (s *AdminService) EnableWebhook(ctx context.Context, c *Caller, id int64, enabled bool) (*model.Webhook, error) {
	action, verb := "disable_webhook", "disabled "
	if enabled {
		action, verb = "enable_webhook", "enabled "
	}
	apply := func(w *model.Webhook) error { return applyWebhook(w, WebhookParams{Enabled: &enabled}) }
	return adminUpdate(ctx, c, id, s.Webhook, apply, s.store.UpdateWebhook, "", func(w *model.Webhook) {
		s.audit(ctx, c, action, "Webhook", itoa64(w.ID), verb+webhookTarget(w))
	})
}

// RotateWebhookSecret gives a webhook a new secret; deliveries sent from now
// on, retries included, are signed with it.
func (s *AdminService) RotateWebhookSecret(ctx context.Context, c *Caller, id int64) (*model.Webhook, error) {
	apply := func(w *model.Webhook) error { w.Secret = newWebhookSecret(); return nil }
	return adminUpdate(ctx, c, id, s.Webhook, apply, s.store.UpdateWebhook, "", func(w *model.Webhook) {
		s.audit(ctx, c, "rotate_webhook_secret", "Webhook", itoa64(w.ID), "rotated the secret of "+webhookTarget(w))
	})
}

// DeleteWebhook deletes a webhook and its delivery log.
func (s *AdminService) DeleteWebhook(ctx context.Context, c *Caller, id int64) error {
	return adminDelete(ctx, c, id, s.Webhook, s.store.DeleteWebhook, func(w *model.Webhook) {
		s.audit(ctx, c, "destroy_webhook", "Webhook", itoa64(w.ID), "deleted "+webhookTarget(w))
	})
}

// WebhookDeliveries pages through a webhook's delivery log, newest first.
func (s *AdminService) WebhookDeliveries(ctx context.Context, c *Caller, id int64, p model.Page) ([]*model.WebhookDelivery, error) {
	if _, err := s.Webhook(ctx, c, id); err != nil {
		return nil, err
	}
	return orInternal(s.store.WebhookDeliveries(ctx, id, p))
}

// --- events ---

// webhookEvent queues the deliveries of an event about objectID (the
// account, report or status) to the webhooks subscribed to it. It runs
// once the change is stored, as Mastodon's after_commit hooks do: the
// change stands whatever happens here, so a failure is logged, not
// returned, and a client that hung up does not cancel it.
func (s *AdminService) webhookEvent(ctx context.Context, event string, objectID int64) {
	n, err := s.store.QueueWebhookEvent(context.WithoutCancel(ctx), event, objectID, time.Now().UTC())
	if err != nil {
		if s.Log != nil {
			s.Log.Error("webhooks: queue event", "event", event, "object", objectID, "err", err)
		}
		return
	}
	if n > 0 && s.Jobs != nil {
		s.Jobs.Wake(storage.JobWebhook)
	}
}

// WebhookSend is a delivery about to be sent: the webhook, the delivery,
// and the event's object as it is now, for the surface to render (api:
// Admin::Account, Admin::Report or Status). One of Account, Report and
// Status is set, by the event.
type WebhookSend struct {
	Webhook  *model.Webhook
	Delivery *model.WebhookDelivery
	Account  *storage.AdminAccount // account.*
	Report   *ReportView           // report.*: the one report
	Status   *StatusView           // status.*: the one status
	// Delegation: delegation.*: the entry of the account's activity log
	// (Herald's own events: a member's action, a grant, a revocation).
	Delegation *DelegationLogEntry
}

// errWebhookObjectGone: the event's object was deleted before the delivery
// was sent.
var errWebhookObjectGone = errors.New("the object of the event no longer exists")

// PrepareWebhook loads a queued delivery. It answers nil (and no error)
// when there is nothing to send: the delivery is gone (its webhook was
// deleted), or it is recorded as failed here because its webhook was
// disabled since it was queued or the event's object was deleted.
func (s *AdminService) PrepareWebhook(ctx context.Context, deliveryID int64, attempt int) (*WebhookSend, error) {
	d, err := s.store.WebhookDelivery(ctx, deliveryID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	w, err := s.store.WebhookByID(ctx, d.WebhookID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if !w.Enabled {
		return nil, s.WebhookAttempted(ctx, d.ID, storage.WebhookAttempt{State: model.DeliveryFailed, Attempts: attempt,
			Error: "not sent: the webhook was disabled"})
	}
	send := &WebhookSend{Webhook: w, Delivery: d}
	err = s.loadWebhookObject(ctx, send)
	if errors.Is(err, errWebhookObjectGone) {
		return nil, s.WebhookAttempted(ctx, d.ID, storage.WebhookAttempt{State: model.DeliveryFailed, Attempts: attempt,
			Error: "not sent: " + err.Error()})
	}
	if err != nil {
		return nil, err
	}
	return send, nil
}

// loadWebhookObject loads the object of send's event as moderators see it:
// every status whatever its visibility, as Mastodon's webhooks send them.
func (s *AdminService) loadWebhookObject(ctx context.Context, send *WebhookSend) error {
	objectID := send.Delivery.ObjectID
	gone := func(err error) error {
		if errors.Is(err, storage.ErrNotFound) {
			return errWebhookObjectGone
		}
		return err
	}
	switch kind, _, _ := strings.Cut(send.Delivery.Event, "."); kind {
	case "account":
		aa, err := s.store.AdminAccount(ctx, objectID)
		if err != nil {
			return gone(err)
		}
		send.Account = aa
	case "report":
		r, err := s.store.ReportByID(ctx, objectID)
		if err != nil {
			return gone(err)
		}
		v, err := s.viewReports(ctx, 0, []*model.Report{r})
		if err != nil {
			return err
		}
		send.Report = v
	case "status":
		m, err := s.store.StatusesByIDs(ctx, []int64{objectID})
		if err != nil {
			return err
		}
		st := m[objectID]
		if st == nil {
			return errWebhookObjectGone
		}
		v, err := s.View(ctx, 0, []*model.Status{st}, ViewOptions{moderator: true})
		if err != nil {
			return err
		}
		if len(v.Statuses) == 0 { // a boost whose original is gone
			return errWebhookObjectGone
		}
		send.Status = v
	case "delegation":
		e, err := s.delegationLogEntry(ctx, objectID)
		if err != nil {
			return gone(err)
		}
		send.Delegation = e
	default:
		return errors.New("unknown webhook event " + send.Delivery.Event)
	}
	return nil
}

// WebhookAttempted records the outcome of an attempt at a delivery.
func (s *AdminService) WebhookAttempted(ctx context.Context, deliveryID int64, a storage.WebhookAttempt) error {
	if a.At.IsZero() {
		a.At = time.Now().UTC()
	}
	if r := []rune(a.Error); len(r) > 500 {
		a.Error = string(r[:500])
	}
	return s.store.RecordWebhookAttempt(ctx, deliveryID, a)
}
