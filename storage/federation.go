package storage

import (
	"context"
	"time"
)

// Delivery is one signed POST of one activity to one inbox, retried with
// backoff until it succeeds, fails for good or runs out of attempts.
type Delivery struct {
	ID       int64
	InboxURL string
	Host     string // the inbox's host (with port): per-host limits and domain health
	// SignerID is the local account whose key signs; 0: the instance actor.
	SignerID      int64
	Activity      string // JSON, as sent
	Kind          string // the activity type ("Create", "Follow", ...), for logs and policy
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
}

// InboxItem is an incoming activity whose signature was verified, waiting
// to be processed.
type InboxItem struct {
	ID            int64
	ActivityID    string
	SignerURI     string // the actor whose key signed the POST
	Payload       string // the raw JSON body
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	ReceivedAt    time.Time
}

// Federation stores the federation engine's queues and bookkeeping. Every
// queue lives in the database, so that a crash or kill -9 loses nothing: a
// worker "claims" rows while it works on them, and ReleaseClaims (called
// once at start, when no worker runs) hands back whatever a dead process held.
type Federation interface {
	// CompleteEvent turns an outbox event into its deliveries: it inserts
	// them and deletes the event in one transaction (no deliveries: the
	// event is only deleted).
	CompleteEvent(ctx context.Context, eventID int64, deliveries []Delivery) error

	// ClaimDueDeliveries marks as claimed and returns up to limit unclaimed
	// deliveries due at now, oldest due first, skipping excludeHosts (hosts
	// at their concurrency limit).
	ClaimDueDeliveries(ctx context.Context, now time.Time, excludeHosts []string, limit int) ([]Delivery, error)
	// NextDeliveryDue is the earliest next_attempt_at of unclaimed
	// deliveries (ok = false when there is none).
	NextDeliveryDue(ctx context.Context) (t time.Time, ok bool, err error)
	// DeliveryDone deletes a delivery (it succeeded or failed for good).
	DeliveryDone(ctx context.Context, id int64) error
	// RetryDelivery releases a claimed delivery for another attempt at next.
	RetryDelivery(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error
	// DropDeliveriesToHost deletes every unclaimed delivery to host (a
	// domain that became unavailable or blocked) and returns how many.
	DropDeliveriesToHost(ctx context.Context, host string) (int64, error)
	CountDeliveries(ctx context.Context) (int64, error)

	// EnqueueInbox stores a verified activity unless its id was seen
	// before (queued = false then). In the same transaction it records the
	// id as seen and clears the failure record of signerDomain: an activity
	// received from a domain proves it is alive.
	EnqueueInbox(ctx context.Context, it *InboxItem, signerDomain string) (queued bool, err error)
	// ClaimInbox marks as claimed and returns up to limit due items.
	ClaimInbox(ctx context.Context, now time.Time, limit int) ([]InboxItem, error)
	NextInboxDue(ctx context.Context) (t time.Time, ok bool, err error)
	InboxDone(ctx context.Context, id int64) error
	RetryInbox(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error
	// ForgetSeenActivities drops dedupe records older than before.
	ForgetSeenActivities(ctx context.Context, before time.Time) (int64, error)

	// ReleaseClaims unclaims every delivery and inbox item (at start).
	ReleaseClaims(ctx context.Context) error

	// DomainFailed records that a delivery to domain failed for good on
	// day (YYYY-MM-DD). Once failures were recorded on threshold distinct
	// days the domain is marked unavailable (unavailable = true).
	DomainFailed(ctx context.Context, domain, day string, threshold int) (unavailable bool, err error)
	// DomainAlive clears domain's failure record (a delivery succeeded).
	DomainAlive(ctx context.Context, domain string) error
	// UnavailableDomains lists the domains marked unavailable.
	UnavailableDomains(ctx context.Context) ([]string, error)

	// CountActiveLocalUsers counts local users who signed in, or whose
	// account posted, since the given time (NodeInfo activeMonth/Halfyear).
	CountActiveLocalUsers(ctx context.Context, since time.Time) (int64, error)
	// CountLocalFollowers counts accountID's followers that are local
	// accounts: is anyone here interested in a remote actor's posts?
	CountLocalFollowers(ctx context.Context, accountID int64) (int64, error)
	// MarkInboxGone marks the remote accounts whose personal inbox is
	// inboxURL as gone (the inbox answered 410) and returns how many.
	MarkInboxGone(ctx context.Context, inboxURL string) (int64, error)
	// SetMovedTo records that accountID moved to targetID (ActivityPub Move).
	SetMovedTo(ctx context.Context, accountID, targetID int64) error
}
