package storage

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// JobWebhook is the kind of the jobs that send one webhook delivery
// (WebhookJobFor). The store writes them itself (QueueWebhookEvent), with the
// delivery rows they send.
const JobWebhook = "webhook"

// webhookPayload is the payload of a webhook job.
type webhookPayload struct {
	DeliveryID int64 `json:"delivery_id"`
}

// WebhookJobFor makes the job that sends a delivery to a webhook. Jobs are
// keyed by webhook, so that a slow endpoint holds at most the kind's
// per-key share of the workers.
func WebhookJobFor(webhookID, deliveryID int64, at time.Time) Job {
	b, err := json.Marshal(webhookPayload{DeliveryID: deliveryID})
	if err != nil {
		panic("storage: webhook payload: " + err.Error())
	}
	return Job{Kind: JobWebhook, Key: strconv.FormatInt(webhookID, 10), Ref: webhookID, Payload: string(b), RunAt: at}
}

// WebhookDeliveryOf reads the delivery id of a webhook job.
func WebhookDeliveryOf(j *Job) (int64, error) {
	var p webhookPayload
	err := json.Unmarshal([]byte(j.Payload), &p)
	return p.DeliveryID, err
}

// WebhookDeliveriesKept is how many ended deliveries (delivered or failed)
// the log keeps per webhook; older ones are deleted as new ones end.
const WebhookDeliveriesKept = 100

// WebhookAttempt is the outcome of one attempt at a delivery.
type WebhookAttempt struct {
	State      string // model.DeliveryPending (will be retried), DeliveryDelivered or DeliveryFailed
	Attempts   int
	StatusCode int
	Error      string
	At         time.Time
}

// Webhooks stores the admin webhooks and their delivery log.
type Webhooks interface {
	// Webhooks lists webhooks, newest first.
	Webhooks(ctx context.Context, p model.Page) ([]*model.Webhook, error)
	WebhookByID(ctx context.Context, id int64) (*model.Webhook, error)
	// CreateWebhook stores w and sets its ID and times.
	CreateWebhook(ctx context.Context, w *model.Webhook) error
	// UpdateWebhook stores w's URL, events, secret and enabled flag.
	UpdateWebhook(ctx context.Context, w *model.Webhook) error
	// DeleteWebhook deletes a webhook and its delivery log; its queued
	// jobs find it gone when they run.
	DeleteWebhook(ctx context.Context, id int64) error

	// QueueWebhookEvent writes, in one transaction, a pending delivery
	// and a JobWebhook job (WebhookJobFor) for every enabled webhook subscribed to event,
	// and returns how many. It writes nothing when none is (the common
	// case costs one read).
	QueueWebhookEvent(ctx context.Context, event string, objectID int64, at time.Time) (int, error)
	WebhookDelivery(ctx context.Context, id int64) (*model.WebhookDelivery, error)
	// WebhookDeliveries lists a webhook's deliveries, newest first.
	WebhookDeliveries(ctx context.Context, webhookID int64, p model.Page) ([]*model.WebhookDelivery, error)
	// RecordWebhookAttempt stores the outcome of an attempt (a.Error ""
	// keeps the last error); when it ends
	// the delivery, the webhook's ended deliveries beyond the newest
	// WebhookDeliveriesKept are deleted.
	RecordWebhookAttempt(ctx context.Context, deliveryID int64, a WebhookAttempt) error
}
