package storage

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// Delivery is one signed POST of one activity to one inbox, retried with
// backoff until it succeeds, fails for good or runs out of attempts. It is
// the payload of a job of kind JobDeliver.
type Delivery struct {
	InboxURL string `json:"inbox"`
	Host     string `json:"-"` // the inbox's host (with port): the job's key, for per-host limits and domain health
	// SignerID is the local account whose key signs; 0: the instance
	// actor. The job's ref: an account's key is kept until none is left.
	SignerID int64           `json:"-"`
	Activity json.RawMessage `json:"activity"` // as sent
	Kind     string          `json:"kind"`     // the activity type ("Create", "Follow", ...), for logs and policy
}

// Job makes the delivery's job.
func (d Delivery) Job() Job {
	b, err := json.Marshal(d)
	if err != nil {
		panic("storage: delivery payload: " + err.Error()) // Activity is JSON we made
	}
	return Job{Kind: JobDeliver, Key: strings.ToLower(d.Host), Ref: d.SignerID, Payload: string(b)}
}

// DeliveryOf reads a delivery job.
func DeliveryOf(j *Job) (Delivery, error) {
	var d Delivery
	err := json.Unmarshal([]byte(j.Payload), &d)
	d.Host, d.SignerID = j.Key, j.Ref
	return d, err
}

// InboxItem is an incoming activity whose signature was verified, waiting
// to be processed: the payload of a job of kind JobInbox, keyed by its
// signer (one signer's activities are applied one at a time, in order).
type InboxItem struct {
	ActivityID string          `json:"id"`
	SignerURI  string          `json:"-"` // the actor whose key signed the POST
	Payload    json.RawMessage `json:"activity"`
}

// Job makes the item's job.
func (it InboxItem) Job() Job {
	b, err := json.Marshal(it)
	if err != nil {
		panic("storage: inbox payload: " + err.Error()) // the body was parsed as JSON before
	}
	return Job{Kind: JobInbox, Key: it.SignerURI, Payload: string(b)}
}

// InboxItemOf reads an inbox job.
func InboxItemOf(j *Job) (InboxItem, error) {
	var it InboxItem
	err := json.Unmarshal([]byte(j.Payload), &it)
	it.SignerURI = j.Key
	return it, err
}

// EventJob makes the job of an outbox event: a local change to send to
// other servers, written in the change's own transaction. One account's
// events are handled one at a time, in order (the job's key).
func EventJob(ev model.OutboxEvent) Job {
	b, err := json.Marshal(eventPayload{Kind: ev.Kind, AccountID: ev.AccountID, ObjectID: ev.ObjectID, Payload: json.RawMessage(ev.Payload)})
	if err != nil {
		panic("storage: event payload: " + err.Error())
	}
	return Job{Kind: JobFederate, Key: strconv.FormatInt(ev.AccountID, 10), Ref: ev.AccountID, Payload: string(b)}
}

// EventOf reads an outbox event job.
func EventOf(j *Job) (model.OutboxEvent, error) {
	var p eventPayload
	err := json.Unmarshal([]byte(j.Payload), &p)
	return model.OutboxEvent{ID: j.ID, Kind: p.Kind, AccountID: p.AccountID, ObjectID: p.ObjectID, Payload: string(p.Payload),
		CreatedAt: j.CreatedAt}, err
}

type eventPayload struct {
	Kind      string          `json:"kind"`
	AccountID int64           `json:"account_id"`
	ObjectID  int64           `json:"object_id,omitempty"`
	Payload   json.RawMessage `json:"payload,omitempty"`
}

// Federation stores the federation engine's bookkeeping; its queues
// (outbox events, deliveries, the inbox) are jobs (storage.Jobs).
type Federation interface {
	// CountDeliveries counts the deliveries waiting or running.
	CountDeliveries(ctx context.Context) (int64, error)
	// NextDeliveryDue is the earliest run of the deliveries waiting (ok =
	// false when there is none).
	NextDeliveryDue(ctx context.Context) (t time.Time, ok bool, err error)

	// EnqueueInbox stores a verified activity as a job unless its id was
	// seen before (queued = false then). In the same transaction it
	// records the id as seen and clears the failure record of
	// signerDomain: an activity received from a domain proves it is alive.
	EnqueueInbox(ctx context.Context, it InboxItem, signerDomain string) (queued bool, err error)
	// ForgetSeenActivities drops dedupe records older than before.
	ForgetSeenActivities(ctx context.Context, before time.Time) (int64, error)

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
	// SetMovedTo records that accountID moved to targetID (ActivityPub
	// Move) and inserts jobs (moving its local followers) in the same
	// transaction.
	SetMovedTo(ctx context.Context, accountID, targetID int64, jobs ...Job) error
	// MoveAccount records that the local accountID moved to targetID and
	// queues events (the Move and the actor Update) and inserts jobs
	// (moving its local followers) in the same transaction.
	MoveAccount(ctx context.Context, accountID, targetID int64, events []model.OutboxEvent, jobs ...Job) error
	// AccountAliases lists the actor URIs accountID is also known as,
	// oldest first (at most MaxAliases).
	AccountAliases(ctx context.Context, accountID int64) ([]string, error)
	// SetAccountAlias adds (add) or removes an alias and queues events;
	// adding an alias already there, or removing one that is not, changes
	// nothing and queues nothing. Adding beyond MaxAliases is ErrAliasLimit.
	SetAccountAlias(ctx context.Context, accountID int64, uri string, add bool, events []model.OutboxEvent) (changed bool, err error)
}

// MaxAliases is how many aliases an account may list.
const MaxAliases = 10

// ErrAliasLimit: the account already lists MaxAliases aliases.
var ErrAliasLimit = errors.New("alias limit reached")
