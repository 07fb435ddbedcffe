package activitypub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Outbox events: core records each local change as a job of kind
// "federate" in the change's own transaction; runEvent turns it into its
// activity and one delivery job per recipient inbox, inserted as the event
// job is deleted (one transaction). An event whose subject vanished (a
// status deleted before its Create went out) is dropped.

// runEvent is the job of one outbox event.
func (f *Federation) runEvent(ctx context.Context, job *storage.Job) ([]storage.Job, error) {
	ev, err := storage.EventOf(job)
	if err != nil {
		return nil, jobs.Permanent(err)
	}
	ds, err := f.buildDeliveries(ctx, ev)
	if errors.Is(err, errDropEvent) {
		f.log.Debug("outbox event dropped", "id", ev.ID, "kind", ev.Kind, "reason", err)
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("event %d (%s): %w", ev.ID, ev.Kind, err)
	}
	then := make([]storage.Job, 0, len(ds)+1)
	for _, d := range ds {
		then = append(then, d.Job())
	}
	if ev.Kind == model.EventAccountDelete {
		// The account and its key stay until the Delete is delivered.
		then = append(then, storage.Job{Kind: jobAccountPurge, Ref: ev.AccountID})
	}
	return then, nil
}

// errDropEvent: the event has nothing (left) to deliver.
var errDropEvent = errors.New("nothing to deliver")

func drop(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errDropEvent, fmt.Sprintf(format, args...))
}

// eventPayload is the union of the payloads core writes.
type eventPayload struct {
	URI         string  `json:"uri"`
	StatusURI   string  `json:"status_uri"`
	OriginalURI string  `json:"original_uri"`
	AuthorID    int64   `json:"author_id"`
	TargetID    int64   `json:"target_id"`
	FollowerID  int64   `json:"follower_id"`
	Mentions    []int64 `json:"mentions"`
	Visibility  *int    `json:"visibility"`
}

// notFound turns a store's not-found into a dropped event.
func notFound(err error, what string) error {
	if errors.Is(err, storage.ErrNotFound) {
		return drop("%s is gone", what)
	}
	return err
}

// buildDeliveries renders an event's activity and addresses it.
func (f *Federation) buildDeliveries(ctx context.Context, ev model.OutboxEvent) ([]storage.Delivery, error) {
	var p eventPayload
	if ev.Payload != "" {
		_ = json.Unmarshal([]byte(ev.Payload), &p)
	}
	if ev.Kind == model.EventReportForward {
		return f.reportDeliveries(ctx, ev)
	}
	actor, err := f.svc.AccountByID(ctx, ev.AccountID)
	if err != nil {
		return nil, notFound(err, "the actor")
	}
	if !actor.Local() {
		return nil, drop("actor %d is not local", actor.ID)
	}
	// A suspended account federates nothing but the announcement of its
	// suspension (the Update suspend and unsuspend queue) and its Delete.
	if actor.SuspendedAt != nil && ev.Kind != model.EventAccountUpdate && ev.Kind != model.EventAccountDelete {
		return nil, drop("actor %d is suspended", actor.ID)
	}
	build, ok := activityBuilders[ev.Kind]
	if !ok {
		return nil, drop("unknown event kind %q", ev.Kind)
	}
	act, inboxes, err := build(f, ctx, outboxJob{ev: ev, p: p, actor: actor})
	if err != nil {
		return nil, err
	}
	return f.deliveriesFor(ctx, act, actor.ID, inboxes)
}

// remoteTarget loads the account a follow or block event is aimed at (the
// payload's target, else the event's object); a local target is dropped.
func (f *Federation) remoteTarget(ctx context.Context, ev model.OutboxEvent, p eventPayload) (*model.Account, error) {
	targetID := ev.ObjectID
	if p.TargetID != 0 {
		targetID = p.TargetID
	}
	target, err := f.svc.AccountByID(ctx, targetID)
	if err != nil {
		return nil, notFound(err, "the target")
	}
	if target.Local() {
		return nil, drop("local target")
	}
	return target, nil
}

// activityOrUndo returns the activity act (whose id is id) ready to send, or,
// when undo is set, an Undo of it sent by actorURI for outbox event eventID.
func activityOrUndo(act doc, id string, undo bool, actorURI string, eventID int64) doc {
	if !undo {
		return withContext(act)
	}
	return withContext(doc{"id": id + "#undo/" + strconv.FormatInt(eventID, 10), "type": "Undo", "actor": actorURI, "object": act})
}

// deliveriesFor makes one delivery per inbox, skipping blocked and
// unavailable domains (a Follow still goes to an unavailable one, as in
// Mastodon) and anything on this instance.
func (f *Federation) deliveriesFor(ctx context.Context, act doc, signerID int64, inboxes []string) ([]storage.Delivery, error) {
	if len(inboxes) == 0 {
		return nil, nil
	}
	body, err := marshalAS(act)
	if err != nil {
		return nil, err
	}
	kind, _ := act["type"].(string)
	return f.deliveriesOf(ctx, body, kind, signerID, inboxes)
}

// deliveriesOf is deliveriesFor with the activity's body as it is (kind
// its type).
func (f *Federation) deliveriesOf(ctx context.Context, body []byte, kind string, signerID int64, inboxes []string) ([]storage.Delivery, error) {
	seen := map[string]bool{}
	var out []storage.Delivery
	for _, in := range inboxes {
		host := hostOf(in)
		if host == "" || seen[in] || f.isLocal(in) {
			continue
		}
		if err := f.checkDomain(ctx, host); errors.Is(err, errPolicyUnavailable) {
			return nil, err // the event waits for the policy
		} else if err != nil {
			continue
		}
		if kind != "Follow" && f.isUnavailable(host) {
			continue
		}
		seen[in] = true
		out = append(out, storage.Delivery{InboxURL: in, Host: host, SignerID: signerID, Activity: body, Kind: kind})
	}
	return out, nil
}

func marshalAS(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func (f *Federation) accountsByIDs(ctx context.Context, ids []int64) ([]*model.Account, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	m, err := f.svc.AccountsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []*model.Account
	for _, id := range ids {
		if a := m[id]; a != nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// statusInboxes addresses something an author publishes: the followers'
// inboxes (shared where known; not for direct messages), the mentioned
// remote accounts (personal inboxes for direct messages) and the author
// of the status replied to or boosted (extraID), when remote.
func (f *Federation) statusInboxes(ctx context.Context, author *model.Account, vis model.Visibility, mentions []*model.Account, extraID int64) ([]string, error) {
	var out []string
	if vis != model.Direct {
		fi, err := f.svc.FollowerInboxes(ctx, author.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, fi...)
	}
	add := func(a *model.Account) {
		if a == nil || a.Local() || a.GoneAt != nil || a.SuspendedAt != nil {
			return
		}
		if vis != model.Direct && a.SharedInboxURL != "" {
			out = append(out, a.SharedInboxURL)
		} else if a.InboxURL != "" {
			out = append(out, a.InboxURL)
		}
	}
	for _, m := range mentions {
		add(m)
	}
	if extraID != 0 && vis != model.Direct {
		if a, err := f.svc.AccountByID(ctx, extraID); err == nil {
			add(a)
		}
	}
	return out, nil
}
