-- Admin webhooks, as Mastodon's: an endpoint, the events it subscribes to
-- and the secret its deliveries are signed with (X-Hub-Signature).
-- events is space-separated ("account.created report.created"), matched as
-- the push alerts are: instr(' ' || events || ' ', ' ' || event || ' ').
CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    url        TEXT    NOT NULL,
    events     TEXT    NOT NULL,
    secret     TEXT    NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The delivery log: one row per event sent to a webhook, written with the
-- "webhook" job that sends it and updated after every attempt. state is
-- pending (queued, or waiting for a retry), delivered or failed (given up).
-- It is bounded: when a delivery ends, the webhook's ended deliveries
-- beyond the newest storage.WebhookDeliveriesKept are deleted; pending ones
-- stay until their job ends them.
CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY,
    webhook_id  INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event       TEXT    NOT NULL,
    object_id   INTEGER NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'pending',
    attempts    INTEGER NOT NULL DEFAULT 0,
    status_code INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, id);
