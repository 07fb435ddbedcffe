package activitypub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Moderation across servers: reports (Flag) both ways, silenced and
// suspended domains applied to the accounts stored from them, deleted
// local accounts, account moves and featured (pinned) posts of remote
// actors.

// --- reports ---

// reportDeliveries renders a report.forward event: a Flag from the
// instance actor to the reported account's server (shared inbox
// preferred), naming the account and the reported statuses.
func (f *Federation) reportDeliveries(ctx context.Context, ev model.OutboxEvent) ([]storage.Delivery, error) {
	var p core.ForwardPayload
	if err := json.Unmarshal([]byte(ev.Payload), &p); err != nil {
		return nil, drop("report.forward payload: %v", err)
	}
	target, err := f.store.AccountByID(ctx, p.TargetID)
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
		if a, err := f.store.AccountByURI(ctx, iri); err == nil && a.Local() {
			if target == nil {
				target = a
			}
			continue
		}
		if st, err := f.store.StatusByURI(ctx, iri); err == nil && st.Local {
			statusIDs = append(statusIDs, st.ID)
			if statusAuthor == 0 {
				statusAuthor = st.AccountID
			}
		}
	}
	if target == nil && statusAuthor != 0 {
		a, err := f.store.AccountByID(ctx, statusAuthor)
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

// --- domain policy applied to stored accounts ---

// applyDomainPolicy silences (or suspends) a remote account stored from
// a silenced (or suspended) domain, so it stays off public timelines; pol
// is its domain's policy.
func (f *Federation) applyDomainPolicy(ctx context.Context, a *model.Account, pol core.DomainPolicy) *model.Account {
	if a == nil || a.Local() {
		return a
	}
	yes := true
	var m storage.AccountModeration
	switch {
	case a.SuspendedAt == nil && pol.Suspended():
		m.Suspended = &yes
	case a.SilencedAt == nil && pol.Silenced():
		m.Silenced = &yes
	default:
		return a
	}
	if err := f.store.ModerateAccount(ctx, a.ID, m, nil, nil, nil); err != nil {
		f.log.Error("apply domain policy to account", "account", a.URI, "err", err)
		return a
	}
	if m.Suspended != nil {
		f.svc.DropRemoteFollows(ctx, a.ID)
	}
	if fresh, err := f.store.AccountByID(ctx, a.ID); err == nil {
		return fresh
	}
	return a
}

// --- deleted local accounts ---

// retainSigner keeps a local account's signing key in memory beyond the
// account row: the Delete of a deleted account is signed with it after
// the row is gone.
func (f *Federation) retainSigner(ctx context.Context, accountID int64) error {
	s, err := f.signerFor(ctx, accountID)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return drop("the account is gone")
		}
		return drop("no signing key: %v", err)
	}
	f.signerMu.Lock()
	if f.retired == nil {
		f.retired = map[int64]signer{}
	}
	f.retired[accountID] = s
	f.signerMu.Unlock()
	return nil
}

// finishAccountDelete deletes a local account whose Delete was turned into
// deliveries (core keeps it, suspended, until then). The store leaves a
// tombstone, so its actor answers 410.
func (f *Federation) finishAccountDelete(ctx context.Context, accountID int64) {
	a, err := f.store.AccountByID(ctx, accountID)
	if err != nil || !a.Local() || a.SuspendedAt == nil {
		return
	}
	if err := f.store.DeleteAccount(context.WithoutCancel(ctx), accountID); err != nil {
		f.log.Error("delete account after its Delete was queued", "account", a.URI, "err", err)
		return
	}
	f.log.Info("local account deleted", "account", a.URI)
}

// --- Move ---

// migrateFollowers makes the local followers of from follow to instead
// (Mastodon's behaviour on Move): a Follow of the new account, an Undo of
// the old follow.
func (f *Federation) migrateFollowers(ctx context.Context, from, to *model.Account) error {
	var cursor int64
	for range 1000 {
		links, err := f.store.Followers(ctx, from.ID, model.Page{MaxID: cursor, Limit: 200})
		if err != nil {
			return err
		}
		if len(links) == 0 {
			return nil
		}
		ids := make([]int64, len(links))
		for i, l := range links {
			ids[i] = l.AccountID
			cursor = l.ID
		}
		accts, err := f.store.AccountsByIDs(ctx, ids)
		if err != nil {
			return err
		}
		for _, l := range links {
			a := accts[l.AccountID]
			if a == nil || !a.Local() || a.SuspendedAt != nil || a.ID == to.ID {
				continue
			}
			c := &core.Caller{Account: a}
			opts := core.FollowOptions{}
			if fl, err := f.store.FollowBetween(ctx, a.ID, from.ID); err == nil {
				reblogs, notify := fl.ShowReblogs, fl.Notify
				opts.Reblogs, opts.Notify = &reblogs, &notify
			}
			if _, err := f.svc.Follow(ctx, c, to.ID, opts); err != nil {
				f.log.Info("move: follower could not follow the new account", "follower", a.URI, "to", to.URI, "err", err)
			}
			if _, err := f.svc.Unfollow(ctx, c, from.ID); err != nil {
				f.log.Info("move: follower could not unfollow the old account", "follower", a.URI, "from", from.URI, "err", err)
			}
		}
		if len(links) < 200 {
			return nil
		}
	}
	return nil
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
	if !add {
		st, err := f.store.StatusByURI(ctx, objID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if st.AccountID != actor.ID {
			return permanentf("Remove of another actor's post")
		}
		return f.store.Unpin(ctx, actor.ID, st.ID, nil)
	}
	st, err := f.resolveStatus(ctx, objID, 0)
	if err != nil {
		return err
	}
	if st.AccountID != actor.ID {
		return permanentf("Add of another actor's post")
	}
	if err := f.store.Pin(ctx, actor.ID, st.ID, nil); errors.Is(err, storage.ErrPinLimit) {
		return permanentf("%s pins too many posts", actor.URI)
	} else if err != nil {
		return err
	}
	return nil
}
