package activitypub

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Moderation across servers: reports (Flag) both ways, deleted local
// accounts and featured (pinned) posts of remote actors. The rules
// (policy of silenced and suspended domains for the accounts stored from
// them, account moves, whose posts an actor may feature) are core's
// (federation_accounts.go); this file translates the activities.

// --- reports ---

// reportDeliveries renders a report.forward event: a Flag from the
// instance actor to the reported account's server (shared inbox
// preferred), naming the account and the reported statuses.
func (f *Federation) reportDeliveries(ctx context.Context, ev model.OutboxEvent) ([]storage.Delivery, error) {
	var p core.ForwardPayload
	if err := json.Unmarshal([]byte(ev.Payload), &p); err != nil {
		return nil, drop("report.forward payload: %v", err)
	}
	target, err := f.svc.AccountByID(ctx, p.TargetID)
	if err != nil {
		return nil, notFound(err, "the reported account")
	}
	if target.Local() {
		return nil, drop("report about a local account")
	}
	inbox := target.SharedInboxURL
	if inbox == "" {
		inbox = target.InboxURL
	}
	objects := []any{target.URI}
	for _, u := range p.StatusURIs {
		if u != "" {
			objects = append(objects, u)
		}
	}
	flag := withContext(doc{
		"id":      f.base + "/reports/" + strconv.FormatInt(ev.ObjectID, 10) + "#flag/" + strconv.FormatInt(ev.ID, 10),
		"type":    "Flag",
		"actor":   f.InstanceActorURI(),
		"content": p.Comment,
		"object":  objects,
	})
	return f.deliveriesFor(ctx, flag, 0, []string{inbox})
}

// flagObjectIDs reads every IRI of a Flag's object (an array, unlike the
// other activities' single object).
func flagObjectIDs(payload []byte) []string {
	var raw struct {
		Object json.RawMessage `json:"object"`
	}
	if json.Unmarshal(payload, &raw) != nil || len(raw.Object) == 0 {
		return nil
	}
	var items []json.RawMessage
	if b := bytes.TrimSpace(raw.Object); len(b) > 0 && b[0] == '[' {
		if json.Unmarshal(b, &items) != nil {
			return nil
		}
	} else {
		items = []json.RawMessage{raw.Object}
	}
	var out []string
	for _, it := range items {
		var s string
		if json.Unmarshal(it, &s) == nil {
			if s != "" {
				out = append(out, s)
			}
		} else {
			var o struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(it, &o) == nil && o.ID != "" {
				out = append(out, o.ID)
			}
		}
		if len(out) >= 101 {
			break
		}
	}
	return out
}

// onFlag files a report from a remote server about a local account (and
// some of its statuses).
func (f *Federation) onFlag(ctx context.Context, actor *model.Account, act *Object, payload []byte) error {
	// Whether the domain's reports are accepted is ReceiveFlag's rule.
	domain := hostOf(actor.URI)
	var target *model.Account
	var statusIDs []int64
	var statusAuthor int64
	for _, iri := range flagObjectIDs(payload) {
		if !f.isLocal(iri) {
			continue
		}
		if a, err := f.svc.AccountByURI(ctx, iri); err == nil && a.Local() {
			if target == nil {
				target = a
			}
			continue
		}
		if st, err := f.svc.StatusByURI(ctx, iri); err == nil && st.Local {
			statusIDs = append(statusIDs, st.ID)
			if statusAuthor == 0 {
				statusAuthor = st.AccountID
			}
		}
	}
	if target == nil && statusAuthor != 0 {
		a, err := f.svc.AccountByID(ctx, statusAuthor)
		if err != nil {
			return err
		}
		target = a
	}
	if target == nil {
		return permanentf("Flag by %s names no local account", actor.URI)
	}
	content, _ := act.ContentHTML()
	if content == "" {
		content = string(act.Content)
	}
	return f.svc.ReceiveFlag(ctx, domain, actor.ID, target.ID, statusIDs, content, string(act.ID))
}

// --- deleted local accounts ---

// runAccountPurge deletes a local account whose Delete was queued, once
// no delivery its key signs is left (the Delete is signed with the key the
// account row holds until then).
func (f *Federation) runAccountPurge(ctx context.Context, job *storage.Job) ([]storage.Job, error) {
	left, err := f.jobs.Count(ctx, storage.JobDeliver, job.Ref)
	if err != nil {
		return nil, err
	}
	if left > 0 {
		// Deliveries usually end within seconds, retries within days:
		// look again soon at first, then more rarely.
		wait := min(max(f.now().Sub(job.CreatedAt)/4, 2*time.Second), 10*time.Minute)
		return nil, jobs.Snooze(wait, strconv.FormatInt(left, 10)+" deliveries signed by the account are left")
	}
	a, err := f.svc.FinishLocalAccountDelete(ctx, job.Ref)
	if err != nil {
		return nil, err
	}
	if a != nil {
		f.signerMu.Lock()
		delete(f.signers, job.Ref)
		f.signerMu.Unlock()
		f.log.Info("local account deleted", "account", a.URI)
	}
	return nil, nil
}

// --- featured (pinned) posts of remote actors ---

// isFeaturedOf reports whether target names actor's featured collection.
func isFeaturedOf(actor *model.Account, target string) bool {
	if target == "" {
		return false
	}
	if actor.FeaturedURL != "" {
		return target == actor.FeaturedURL
	}
	return hostOf(target) == hostOf(actor.URI)
}

// onFeatured applies Add/Remove of a post to/from the actor's featured
// collection (others' targets, such as featured tags, are ignored).
func (f *Federation) onFeatured(ctx context.Context, actor *model.Account, act *Object, add bool) error {
	if !isFeaturedOf(actor, act.Target.ID) {
		f.log.Debug("Add/Remove of another collection ignored", "actor", actor.URI, "target", act.Target.ID)
		return nil
	}
	objID := act.Object.ID
	if objID == "" || hostOf(objID) != hostOf(actor.URI) {
		return permanentf("%s of a foreign object %q", act.Type.First(), objID)
	}
	// Whose posts an actor may feature, and how many, is core's rule.
	if !add {
		return f.svc.RemoteUnpin(ctx, actor.ID, objID)
	}
	st, err := f.resolveStatus(ctx, objID, 0)
	if err != nil {
		return err
	}
	return f.svc.RemotePin(ctx, actor.ID, st)
}
