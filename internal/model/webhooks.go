package model

import "time"

// Webhook is an admin webhook, as Mastodon's: an endpoint that is sent the
// events it subscribes to, each request signed with Secret.
type Webhook struct {
	ID        int64
	URL       string
	Events    []string // event names, e.g. "account.created"
	Secret    string
	Enabled   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// The states of a webhook delivery.
const (
	DeliveryPending   = "pending"   // queued, or waiting for a retry
	DeliveryDelivered = "delivered" // the endpoint answered 2xx
	DeliveryFailed    = "failed"    // given up
)

// WebhookDelivery is one event sent (or to be sent) to one webhook: a row
// of the delivery log.
type WebhookDelivery struct {
	ID        int64
	WebhookID int64
	Event     string
	ObjectID  int64
	State     string
	Attempts  int
	// StatusCode is the HTTP status of the last attempt (0: none, or no
	// answer).
	StatusCode int
	LastError  string    // of the last attempt that failed, kept after a later success
	CreatedAt  time.Time // when the event happened
	UpdatedAt  time.Time // the last attempt
}
