package activitypub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// The outbox worker: core records each local change as an outbox event in
// the change's own transaction; this turns every event into its activity
// and one delivery per recipient inbox, and in one transaction stores the
// deliveries and deletes the event. An event whose subject vanished (a
// status deleted before its Create went out) is dropped.

const eventBatch = 100

func (f *Federation) outboxLoop(ctx context.Context) {
	for {
		n, err := f.processEvents(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			f.log.Error("outbox events", "err", err)
		}
		if n >= eventBatch && err == nil {
			continue
		}
		wait := f.Tuning.IdleWait
		if err != nil {
			wait = f.Tuning.BusyPoll
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-f.outboxWake:
		case <-t.C:
		}
		t.Stop()
	}
}

// processEvents turns pending events into deliveries; it returns how many
// events it read.
func (f *Federation) processEvents(ctx context.Context) (int, error) {
	events, err := f.store.PendingEvents(ctx, eventBatch)
	if err != nil {
		return 0, err
	}
	queued := false
	var firstErr error
	for _, ev := range events {
		ds, err := f.buildDeliveries(ctx, ev)
		if err != nil && !errors.Is(err, errDropEvent) {
			if ctx.Err() != nil {
				return len(events), ctx.Err()
			}
			// A store error: leave the event for the next pass.
			if firstErr == nil {
				firstErr = fmt.Errorf("event %d (%s): %w", ev.ID, ev.Kind, err)
			}
			continue
		}
		if err != nil {
			f.log.Debug("outbox event dropped", "id", ev.ID, "kind", ev.Kind, "reason", err)
		}
		if err := f.store.CompleteEvent(ctx, ev.ID, ds); err != nil {
			return len(events), err
		}
		if ev.Kind == model.EventAccountDelete {
			f.finishAccountDelete(ctx, ev.AccountID)
		}
		if len(ds) > 0 {
			queued = true
		}
	}
	if queued {
		wake(f.deliveryWake)
	}
	if firstErr != nil {
		return len(events), firstErr
	}
	return len(events), nil
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
	actor, err := f.store.AccountByID(ctx, ev.AccountID)
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
	var act doc
	var inboxes []string
	switch ev.Kind {
	case model.EventStatusCreate, model.EventStatusUpdate:
		st, err := f.store.StatusByID(ctx, ev.ObjectID)
		if err != nil {
			return nil, notFound(err, "the status")
		}
		if st.ReblogOfID != 0 {
			return nil, drop("status %d is a boost", st.ID)
		}
		b, err := f.loadStatus(ctx, st)
		if err != nil {
			return nil, err
		}
		if ev.Kind == model.EventStatusCreate {
			act = f.createDoc(b)
		} else {
			act = f.updateDoc(b)
		}
		inboxes, err = f.statusInboxes(ctx, actor, st.Visibility, b.mentions, st.InReplyToAccountID)
		if err != nil {
			return nil, err
		}

	case model.EventStatusDelete:
		if p.URI == "" {
			return nil, drop("status.delete without uri")
		}
		vis := model.Public
		if p.Visibility != nil {
			vis = model.Visibility(*p.Visibility)
		}
		mentions, err := f.accountsByIDs(ctx, p.Mentions)
		if err != nil {
			return nil, err
		}
		to, cc := addressing(vis, actor.URI+"/followers", mentions)
		act = withContext(doc{
			"id":     p.URI + "#delete",
			"type":   "Delete",
			"actor":  actor.URI,
			"to":     to,
			"cc":     cc,
			"object": doc{"id": p.URI, "type": "Tombstone", "atomUri": p.URI},
		})
		inboxes, err = f.statusInboxes(ctx, actor, vis, mentions, 0)
		if err != nil {
			return nil, err
		}

	case model.EventFavourite, model.EventUnfavourite:
		st, err := f.store.StatusByID(ctx, ev.ObjectID)
		statusURI, authorID := p.StatusURI, p.AuthorID
		if err == nil {
			statusURI, authorID = st.URI, st.AccountID
		} else if !errors.Is(err, storage.ErrNotFound) {
			return nil, err
		}
		if statusURI == "" {
			return nil, drop("the status is gone")
		}
		author, err := f.store.AccountByID(ctx, authorID)
		if err != nil {
			return nil, notFound(err, "the author")
		}
		if author.Local() {
			return nil, drop("local author")
		}
		likeID := p.URI
		if likeID == "" {
			likeID = actor.URI + "#likes/" + strconv.FormatInt(ev.ObjectID, 10)
		}
		like := doc{"id": likeID, "type": "Like", "actor": actor.URI, "object": statusURI}
		if ev.Kind == model.EventFavourite {
			act = withContext(like)
		} else {
			act = withContext(doc{"id": likeID + "/undo/" + strconv.FormatInt(ev.ID, 10), "type": "Undo", "actor": actor.URI, "object": like})
		}
		inboxes = []string{author.InboxURL}

	case model.EventReblog:
		boost, err := f.store.StatusByID(ctx, ev.ObjectID)
		if err != nil {
			return nil, notFound(err, "the boost")
		}
		orig, err := f.store.StatusByID(ctx, boost.ReblogOfID)
		if err != nil {
			return nil, notFound(err, "the boosted status")
		}
		origAuthor, err := f.store.AccountByID(ctx, orig.AccountID)
		if err != nil {
			return nil, notFound(err, "the boosted author")
		}
		act = f.announceDoc(boost, actor, orig, origAuthor)
		inboxes, err = f.statusInboxes(ctx, actor, boost.Visibility, nil, origAuthor.ID)
		if err != nil {
			return nil, err
		}

	case model.EventUnreblog:
		if p.URI == "" || p.OriginalURI == "" {
			return nil, drop("unreblog without uris")
		}
		announce := doc{"id": announceID(p.URI), "type": "Announce", "actor": actor.URI, "object": p.OriginalURI}
		act = withContext(doc{
			"id": announceID(p.URI) + "#undo", "type": "Undo", "actor": actor.URI,
			"to": []string{Public}, "cc": []string{actor.URI + "/followers"}, "object": announce,
		})
		authorID := p.AuthorID
		if authorID == 0 {
			if orig, err := f.store.StatusByURI(ctx, p.OriginalURI); err == nil {
				authorID = orig.AccountID
			}
		}
		inboxes, err = f.statusInboxes(ctx, actor, model.Public, nil, authorID)
		if err != nil {
			return nil, err
		}

	case model.EventFollow, model.EventUnfollow:
		target, err := f.remoteTarget(ctx, ev, p)
		if err != nil {
			return nil, err
		}
		followID := p.URI
		if followID == "" {
			return nil, drop("follow without uri")
		}
		follow := doc{"id": followID, "type": "Follow", "actor": actor.URI, "object": target.URI}
		act = activityOrUndo(follow, followID, ev.Kind != model.EventFollow, actor.URI, ev.ID)
		inboxes = []string{target.InboxURL}

	case model.EventFollowAccept, model.EventFollowReject:
		followerID := p.FollowerID
		if followerID == 0 {
			followerID = ev.ObjectID
		}
		follower, err := f.store.AccountByID(ctx, followerID)
		if err != nil {
			return nil, notFound(err, "the follower")
		}
		if follower.Local() {
			return nil, drop("local follower")
		}
		typ := "Accept"
		if ev.Kind == model.EventFollowReject {
			typ = "Reject"
		}
		follow := doc{"type": "Follow", "actor": follower.URI, "object": actor.URI}
		if p.URI != "" {
			follow["id"] = p.URI
		}
		act = withContext(doc{
			"id":     actor.URI + "#" + typ + "s/follows/" + strconv.FormatInt(ev.ID, 10),
			"type":   typ,
			"actor":  actor.URI,
			"object": follow,
		})
		inboxes = []string{follower.InboxURL}

	case model.EventBlock, model.EventUnblock:
		target, err := f.remoteTarget(ctx, ev, p)
		if err != nil {
			return nil, err
		}
		blockID := p.URI
		if blockID == "" {
			blockID = actor.URI + "#blocks/" + strconv.FormatInt(target.ID, 10)
		}
		block := doc{"id": blockID, "type": "Block", "actor": actor.URI, "object": target.URI}
		act = activityOrUndo(block, blockID, ev.Kind != model.EventBlock, actor.URI, ev.ID)
		inboxes = []string{target.InboxURL}

	case model.EventAccountUpdate:
		person := f.actorDoc(ctx, actor)
		delete(person, "@context")
		act = withContext(doc{
			"id":     actor.URI + "#updates/" + strconv.FormatInt(ev.ID, 10),
			"type":   "Update",
			"actor":  actor.URI,
			"to":     []string{Public},
			"object": person,
		})
		inboxes, err = f.statusInboxes(ctx, actor, model.Public, nil, 0)
		if err != nil {
			return nil, err
		}

	case model.EventAccountDelete:
		// Keep the key: the account row goes once the event is complete
		// (finishAccountDelete), before the deliveries are made.
		if err := f.retainSigner(ctx, actor.ID); err != nil {
			return nil, err
		}
		act = withContext(doc{
			"id":     actor.URI + "#delete",
			"type":   "Delete",
			"actor":  actor.URI,
			"to":     []string{Public},
			"object": actor.URI,
		})
		inboxes, err = f.statusInboxes(ctx, actor, model.Public, nil, 0)
		if err != nil {
			return nil, err
		}

	case model.EventPin, model.EventUnpin:
		st, err := f.store.StatusByID(ctx, ev.ObjectID)
		if err != nil {
			return nil, notFound(err, "the status")
		}
		typ := "Add"
		if ev.Kind == model.EventUnpin {
			typ = "Remove"
		}
		act = withContext(doc{
			"id":     actor.URI + "#" + typ + "/" + strconv.FormatInt(ev.ID, 10),
			"type":   typ,
			"actor":  actor.URI,
			"to":     []string{Public},
			"cc":     []string{actor.URI + "/followers"},
			"object": st.URI,
			"target": actor.URI + "/collections/featured",
		})
		inboxes, err = f.statusInboxes(ctx, actor, model.Public, nil, 0)
		if err != nil {
			return nil, err
		}

	default:
		return nil, drop("unknown event kind %q", ev.Kind)
	}
	return f.deliveriesFor(ctx, act, actor.ID, inboxes)
}

// deliveriesFor makes one delivery per inbox, skipping blocked and
// unavailable domains (a Follow still goes to an unavailable one, as in
// Mastodon) and anything on this instance.
// remoteTarget loads the account a follow or block event is aimed at (the
// payload's target, else the event's object); a local target is dropped.
func (f *Federation) remoteTarget(ctx context.Context, ev model.OutboxEvent, p eventPayload) (*model.Account, error) {
	targetID := ev.ObjectID
	if p.TargetID != 0 {
		targetID = p.TargetID
	}
	target, err := f.store.AccountByID(ctx, targetID)
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

func (f *Federation) deliveriesFor(ctx context.Context, act doc, signerID int64, inboxes []string) ([]storage.Delivery, error) {
	if len(inboxes) == 0 {
		return nil, nil
	}
	body, err := marshalAS(act)
	if err != nil {
		return nil, err
	}
	kind, _ := act["type"].(string)
	now := time.Now()
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
		out = append(out, storage.Delivery{
			InboxURL: in, Host: host, SignerID: signerID, Activity: string(body), Kind: kind, NextAttemptAt: now,
		})
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
	m, err := f.store.AccountsByIDs(ctx, ids)
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
		fi, err := f.store.FollowerInboxes(ctx, author.ID)
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
		if a, err := f.store.AccountByID(ctx, extraID); err == nil {
			add(a)
		}
	}
	return out, nil
}
