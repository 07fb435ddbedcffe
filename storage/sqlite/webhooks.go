package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Admin webhooks and their delivery log (storage.Webhooks, migration 0017).

var _ storage.Webhooks = (*Store)(nil)

const webhookColumns = "id, url, events, secret, enabled, created_at, updated_at"

func scanWebhook(row scanner) (*model.Webhook, error) {
	var w model.Webhook
	var events string
	var created, updated int64
	if err := row.Scan(&w.ID, &w.URL, &events, &w.Secret, &w.Enabled, &created, &updated); err != nil {
		return notFoundOr[*model.Webhook](nil, err)
	}
	w.Events = strings.Fields(events)
	w.CreatedAt, w.UpdatedAt = fromMs(created), fromMs(updated)
	return &w, nil
}

// Webhooks lists webhooks, newest first.
func (s *Store) Webhooks(ctx context.Context, p model.Page) ([]*model.Webhook, error) {
	v, err := pageRows(ctx, s.r, "SELECT "+webhookColumns+" FROM webhooks WHERE 1=1", nil, "id", p, scanWebhook)
	return v, wrap("webhooks", err)
}

// WebhookByID returns one webhook.
func (s *Store) WebhookByID(ctx context.Context, webhookID int64) (*model.Webhook, error) {
	v, err := scanWebhook(s.r.QueryRowContext(ctx, "SELECT "+webhookColumns+" FROM webhooks WHERE id = ?", webhookID))
	return v, wrap("webhook by id", err)
}

// CreateWebhook stores a webhook.
func (s *Store) CreateWebhook(ctx context.Context, w *model.Webhook) error {
	w.ID = id.New()
	now := time.Now()
	w.CreatedAt, w.UpdatedAt = now, now
	_, err := s.w.ExecContext(ctx, "INSERT INTO webhooks ("+webhookColumns+") VALUES (?,?,?,?,?,?,?)",
		w.ID, w.URL, strings.Join(w.Events, " "), w.Secret, b2i(w.Enabled), ms(now), ms(now))
	return wrap("create webhook", conflictOr(err))
}

// UpdateWebhook stores a webhook's URL, events, secret and enabled flag.
func (s *Store) UpdateWebhook(ctx context.Context, w *model.Webhook) error {
	w.UpdatedAt = time.Now()
	res, err := s.w.ExecContext(ctx, "UPDATE webhooks SET url = ?, events = ?, secret = ?, enabled = ?, updated_at = ? WHERE id = ?",
		w.URL, strings.Join(w.Events, " "), w.Secret, b2i(w.Enabled), ms(w.UpdatedAt), w.ID)
	return wrap("update webhook", affected(res, err))
}

// DeleteWebhook deletes a webhook; its deliveries go with it (ON DELETE
// CASCADE).
func (s *Store) DeleteWebhook(ctx context.Context, webhookID int64) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM webhooks WHERE id = ?", webhookID)
	return wrap("delete webhook", affected(res, err))
}

// subscribedWebhooks selects the enabled webhooks subscribed to an event.
const subscribedWebhooks = "SELECT id FROM webhooks WHERE enabled = 1 AND instr(' ' || events || ' ', ' ' || ? || ' ') > 0"

// QueueWebhookEvent writes a pending delivery and its job for every enabled
// webhook subscribed to event. The webhooks are read first outside any
// transaction: most changes (every post) have no webhook to send to, and
// must not pay for a write transaction.
func (s *Store) QueueWebhookEvent(ctx context.Context, event string, objectID int64, at time.Time) (int, error) {
	ids, err := queryIDs(ctx, s.r, subscribedWebhooks, event)
	if err != nil || len(ids) == 0 {
		return 0, wrap("queue webhook event", err)
	}
	n := 0
	err = s.tx(ctx, func(tx *sql.Tx) error {
		// Read again in the transaction: a webhook disabled or deleted
		// since gets nothing.
		ids, err := queryIDs(ctx, tx, subscribedWebhooks, event)
		if err != nil {
			return err
		}
		queued := make([]storage.Job, 0, len(ids))
		for _, wid := range ids {
			did := id.New()
			if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, webhook_id, event, object_id, state, created_at, updated_at)
				VALUES (?,?,?,?,?,?,?)`, did, wid, event, objectID, model.DeliveryPending, ms(at), ms(at)); err != nil {
				return err
			}
			queued = append(queued, storage.WebhookJobFor(wid, did, at))
		}
		n = len(queued)
		return insertJobs(ctx, tx, queued)
	})
	return n, wrap("queue webhook event", err)
}

const webhookDeliveryColumns = "id, webhook_id, event, object_id, state, attempts, status_code, last_error, created_at, updated_at"

func scanWebhookDelivery(row scanner) (*model.WebhookDelivery, error) {
	var d model.WebhookDelivery
	var created, updated int64
	if err := row.Scan(&d.ID, &d.WebhookID, &d.Event, &d.ObjectID, &d.State, &d.Attempts, &d.StatusCode, &d.LastError,
		&created, &updated); err != nil {
		return notFoundOr[*model.WebhookDelivery](nil, err)
	}
	d.CreatedAt, d.UpdatedAt = fromMs(created), fromMs(updated)
	return &d, nil
}

// WebhookDelivery returns one delivery.
func (s *Store) WebhookDelivery(ctx context.Context, deliveryID int64) (*model.WebhookDelivery, error) {
	v, err := scanWebhookDelivery(s.r.QueryRowContext(ctx, "SELECT "+webhookDeliveryColumns+" FROM webhook_deliveries WHERE id = ?", deliveryID))
	return v, wrap("webhook delivery", err)
}

// WebhookDeliveries lists a webhook's deliveries, newest first.
func (s *Store) WebhookDeliveries(ctx context.Context, webhookID int64, p model.Page) ([]*model.WebhookDelivery, error) {
	v, err := pageRows(ctx, s.r, "SELECT "+webhookDeliveryColumns+" FROM webhook_deliveries WHERE webhook_id = ?",
		[]any{webhookID}, "id", p, scanWebhookDelivery)
	return v, wrap("webhook deliveries", err)
}

// RecordWebhookAttempt stores an attempt's outcome; an attempt without an
// error keeps the last one (a delivery that succeeded on a retry still says
// why the first attempt failed). A delivery that ends
// trims its webhook's log of ended deliveries to the newest
// storage.WebhookDeliveriesKept. A delivery deleted meanwhile (its webhook
// was) is not an error: there is nothing left to record.
func (s *Store) RecordWebhookAttempt(ctx context.Context, deliveryID int64, a storage.WebhookAttempt) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var webhookID int64
		err := tx.QueryRowContext(ctx, `UPDATE webhook_deliveries SET state = ?, attempts = ?, status_code = ?,
			last_error = coalesce(nullif(?, ''), last_error), updated_at = ?
			WHERE id = ? RETURNING webhook_id`, a.State, a.Attempts, a.StatusCode, a.Error, ms(a.At), deliveryID).Scan(&webhookID)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil || a.State == model.DeliveryPending {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE webhook_id = ? AND state <> ? AND id < (
			SELECT id FROM webhook_deliveries WHERE webhook_id = ? AND state <> ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
			webhookID, model.DeliveryPending, webhookID, model.DeliveryPending, storage.WebhookDeliveriesKept-1)
		return err
	})
	return wrap("record webhook attempt", err)
}
