package api

import (
	"context"
	"encoding/json"
	"maps"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/stream"
)

// The dispatcher turns core's change hints (Service.Notify) into streaming
// events: it asks core who may receive a status (StatusAudience), renders
// it once for everybody who did nothing to it and once for each account
// that did (their flags differ), and hands the events to the hub. It runs
// in one goroutine, so events keep their order; Notify never blocks.
//
// Notifications are not taken from the hints (the stores write them inside
// their transactions, without telling their ids): a tailer reads every
// notification of the last few seconds, woken by the hints and every two
// seconds, and streams those not sent yet whose recipient is connected.

type hint struct {
	kind              core.ChangeKind
	accountID, object int64
}

// Notify receives core's hints (set as core.Service.Notify).
func (a *API) Notify(kind core.ChangeKind, accountID, objectID int64) {
	rt := a.realtime()
	if kind == core.ChangeNotification {
		select {
		case rt.wake <- struct{}{}:
		default:
		}
		return
	}
	select {
	case rt.hints <- hint{kind, accountID, objectID}:
	default:
		a.log.Warn("streaming: event queue full, event dropped", "kind", kind, "object", objectID)
	}
}

// RunRealtime runs the hub, the dispatcher and the notification tailer
// until ctx ends (a server worker).
func (a *API) RunRealtime(ctx context.Context) {
	rt := a.realtime()
	done := make(chan struct{})
	go func() { rt.hub.Run(ctx); close(done) }()
	go a.tailNotifications(ctx)
	recheck := time.NewTicker(streamRecheck)
	defer recheck.Stop()
	for {
		select {
		case <-ctx.Done():
			<-done
			return
		case <-recheck.C:
			if _, err := a.RecheckStreams(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("streaming: checking tokens", "err", err)
			}
		case h := <-rt.hints:
			if rt.hub.Len() == 0 {
				continue
			}
			a.dispatch(ctx, h)
		}
	}
}

func (a *API) dispatch(ctx context.Context, h hint) {
	hub := a.realtime().hub
	// Core's kinds of change, as Mastodon's stream events.
	switch h.kind {
	case core.ChangeStatusCreated:
		a.streamStatus(ctx, "update", h.object)
	case core.ChangeStatusEdited:
		a.streamStatus(ctx, "status.update", h.object)
	case core.ChangeStatusDeleted:
		// The status is gone: its audience with it. Its id alone is
		// harmless, so every stream hears of it (as Mastodon's clients
		// expect, they drop ids they do not show).
		hub.Broadcast(stream.Event{Name: "delete", Payload: idString(h.object)})
	case core.ChangeConversation:
		key := stream.DirectKey(h.accountID)
		if !hub.Has(key) {
			return
		}
		page, err := a.svc.ConversationFor(ctx, h.accountID, h.object)
		if err != nil || len(page.Conversations) == 0 {
			return
		}
		b, err := json.Marshal(a.conversation(page, page.Conversations[0]))
		if err == nil {
			hub.Publish(key, stream.Event{Name: "conversation", Payload: string(b), Direct: true})
		}
	case core.ChangeFilters:
		hub.Publish(stream.UserKey(h.accountID), stream.Event{Name: "filters_changed", NoPayload: true})
	case core.ChangeAnnouncement:
		an, err := a.svc.PublishedAnnouncement(ctx, h.object)
		if err != nil {
			return
		}
		if b, err := json.Marshal(announcementEntity(an, nil)); err == nil {
			hub.BroadcastUsers(stream.Event{Name: "announcement", Payload: string(b)})
		}
	case core.ChangeAnnouncementDeleted:
		hub.BroadcastUsers(stream.Event{Name: "announcement.delete", Payload: idString(h.object)})
	}
}

// streamStatus sends a new or edited status to its audience.
func (a *API) streamStatus(ctx context.Context, event string, statusID int64) {
	hub := a.realtime().hub
	aud, err := a.svc.StatusAudience(ctx, statusID)
	if err != nil {
		a.log.Error("streaming: audience", "status", statusID, "err", err)
		return
	}
	if aud == nil {
		return
	}
	shared, ok := a.status(aud.View, aud.Status)
	if !ok {
		return
	}
	b, err := json.Marshal(shared)
	if err != nil {
		return
	}
	payload := string(b)
	// Personal renderings, made only for accounts that are connected.
	per := map[int64]string{}
	// The viewer's filters (core's rule, hiding.go): a "hide" filter of
	// the stream's context drops the event for them; any other match
	// gives them their own rendering, which carries `filtered`.
	type filterKey struct {
		acc     int64
		context string
	}
	hidden := map[filterKey]bool{}
	matched := map[int64]bool{}
	filteredOut := func(acc int64, context string) bool {
		k := filterKey{acc, context}
		if h, done := hidden[k]; done {
			return h
		}
		hide, res, err := a.svc.FilterStatusFor(ctx, acc, aud.View, context)
		hidden[k] = hide || err != nil
		if len(res) > 0 {
			matched[acc] = true
		}
		return hidden[k]
	}
	personal := func(acc int64) {
		if !aud.Personal[acc] && !matched[acc] {
			return
		}
		if _, done := per[acc]; done {
			return
		}
		v, err := a.svc.StatusViewFor(ctx, acc, aud.Status)
		if err != nil || !v.Has(aud.Status.ID) {
			return
		}
		if s, ok := a.status(v, aud.Status); ok {
			if b, err := json.Marshal(s); err == nil {
				per[acc] = string(b)
			}
		}
	}
	for _, acc := range aud.Home {
		key := stream.UserKey(acc)
		if !hub.Has(key) || filteredOut(acc, "home") {
			continue
		}
		personal(acc)
		p := payload
		if x, ok := per[acc]; ok {
			p = x
		}
		hub.Publish(key, stream.Event{Name: event, Payload: p, Direct: aud.DirectOnly()})
	}
	for _, l := range aud.Lists {
		key := stream.ListKey(l.ID)
		if !hub.Has(key) || filteredOut(l.OwnerID, "home") {
			continue
		}
		personal(l.OwnerID)
		p := payload
		if x, ok := per[l.OwnerID]; ok {
			p = x
		}
		hub.Publish(key, stream.Event{Name: event, Payload: p, Direct: aud.DirectOnly()})
	}
	if aud.Public {
		keys := []string{stream.PublicKey(false, false, false), stream.PublicKey(aud.Local, !aud.Local, false)}
		if len(aud.View.Media[aud.Status.ID]) > 0 {
			// public:media and its local and remote halves: posts with media only.
			keys = append(keys, stream.PublicKey(false, false, true), stream.PublicKey(aud.Local, !aud.Local, true))
		}
		for _, t := range aud.Tags {
			keys = append(keys, stream.HashtagKey(t, false))
			if aud.Local {
				keys = append(keys, stream.HashtagKey(t, true))
			}
		}
		personalDone := false
		skip := aud.Hidden
		for _, key := range keys {
			if !hub.Has(key) {
				continue
			}
			if !personalDone {
				// Each listener's filters: the public context.
				skip = maps.Clone(aud.Hidden)
				if skip == nil {
					skip = map[int64]bool{}
				}
				for _, k := range keys {
					for _, acc := range hub.Accounts(k) {
						if !skip[acc] && filteredOut(acc, "public") {
							skip[acc] = true
						}
					}
				}
				for acc := range aud.Personal {
					if !skip[acc] && hub.Connected(acc) {
						personal(acc)
					}
				}
				for acc := range matched {
					if !skip[acc] {
						personal(acc)
					}
				}
				personalDone = true
			}
			hub.Publish(key, stream.Event{Name: event, Payload: payload, Skip: skip, Per: per})
		}
	}
}

// Notification tailing: how far back each pass reads (ids are made in the
// writing transaction, which commits a moment later), and how often it
// reads when no hint wakes it. Variables for tests.
var (
	notificationLookback = 10 * time.Second
	notificationPoll     = 2 * time.Second
)

// tailNotifications streams new notifications to their connected
// recipients. Each pass reads the notifications of the last lookback and
// sends those not sent yet whose recipient is connected; one whose
// recipient is not is tried again on the next passes, so that a stream
// opened just after a notification was committed still gets it. Each is
// sent once: it is remembered until it is older than the window.
func (a *API) tailNotifications(ctx context.Context) {
	rt := a.realtime()
	sent := map[int64]bool{}
	tick := time.NewTicker(notificationPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-rt.wake:
		case <-tick.C:
		}
		floor := id.Min(time.Now().Add(-notificationLookback))
		for k := range sent {
			if k < floor {
				delete(sent, k)
			}
		}
		if rt.hub.Len() == 0 {
			continue
		}
		from := floor
		for {
			ns, err := a.svc.NotificationsSince(ctx, from, 200)
			if err != nil {
				if ctx.Err() == nil {
					a.log.Error("streaming: notifications", "err", err)
				}
				break
			}
			for _, n := range ns {
				from = n.ID
				if !sent[n.ID] && a.streamNotification(ctx, n) {
					sent[n.ID] = true
				}
			}
			if len(ns) < 200 {
				break
			}
		}
	}
}

// wakeTail makes the notification tailer read at once (a user stream was
// just subscribed).
func (a *API) wakeTail() {
	select {
	case a.realtime().wake <- struct{}{}:
	default:
	}
}

// streamNotification sends n to its recipient's streams; false when none
// is connected (it may be tried again).
func (a *API) streamNotification(ctx context.Context, n *model.Notification) bool {
	hub := a.realtime().hub
	keys := []string{stream.UserKey(n.AccountID), stream.UserNotificationKey(n.AccountID)}
	if !hub.Has(keys[0]) && !hub.Has(keys[1]) {
		return false
	}
	page, err := a.svc.NotificationFor(ctx, n)
	if err != nil || page == nil {
		return true
	}
	e, ok := a.notification(page, n)
	if !ok {
		return true
	}
	b, err := json.Marshal(e)
	if err != nil {
		return true
	}
	for _, k := range keys {
		hub.Publish(k, stream.Event{Name: "notification", Payload: string(b), Direct: page.DirectOnly()})
	}
	return true
}
