package activitypub

import (
	"context"
	"errors"
	"net/http"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Forwarding, as Mastodon's ActivityPub::Forwarder (quotes included since
// Mastodon 4.5, PR #36390): the followers of a local account that boosted
// or quoted a remote post saw the post through it, and its author's server
// does not know them; so an Update or Delete of the post that reaches
// here goes on, as it came, to their inboxes, signed by that account.
//
// Mastodon forwards only activities with a linked-data signature, which
// its receivers verify. Herald neither makes nor verifies those: it
// forwards what its author signed over HTTP, and a Herald receiving a
// forward (signed by the forwarder, not by the activity's actor) believes
// none of it but the post's id, and asks the post's own server.

// forwardsOf returns the deliveries that forward actor's Update or Delete
// of one of their posts (payload, as it came) to the remote followers of
// the local accounts that boosted or quote it (core's ForwardTargets).
// Failures are logged: the activity itself is applied all the same.
func (f *Federation) forwardsOf(ctx context.Context, actor *model.Account, act *Object, payload []byte) []storage.Job {
	id := act.Object.ID
	if id == "" || id == actor.URI || hostOf(id) != hostOf(actor.URI) {
		return nil
	}
	st, err := f.svc.StatusByURI(ctx, id)
	if err != nil || st.AccountID != actor.ID {
		return nil
	}
	signer, inboxes, err := f.svc.ForwardTargets(ctx, st)
	if err == nil && len(inboxes) > 0 {
		var ds []storage.Delivery
		kind := "Update"
		if act.Type.Is("Delete") {
			kind = "Delete"
		}
		if ds, err = f.deliveriesOf(ctx, payload, kind, signer, inboxes); err == nil {
			jobs := make([]storage.Job, 0, len(ds))
			for _, d := range ds {
				jobs = append(jobs, d.Job())
			}
			return jobs
		}
	}
	if err != nil {
		f.log.Info("activity not forwarded", "object", id, "err", err)
	}
	return nil
}

// onForwarded applies an Update or Delete of a post that another server
// forwarded (the inbox lets no other activity in unsigned by its actor).
// Only a post stored here is looked at, and only what its own server
// serves is believed: an Update applies the post as fetched from there
// now, a Delete is applied when that server says the post is gone.
func (f *Federation) onForwarded(ctx context.Context, act *Object) error {
	id, actorURI := act.Object.ID, act.Actor.ID
	if !act.Type.Is("Update", "Delete") || id == "" || actorURI == "" || id == actorURI || hostOf(id) != hostOf(actorURI) {
		return permanentf("forwarded %v of %q by %q: not forwarded here", act.Type, id, actorURI)
	}
	if err := f.checkURL(ctx, actorURI); err != nil {
		return err
	}
	st, err := f.svc.StatusByURI(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // a post never stored here: nothing to change
	} else if err != nil {
		return err
	}
	actor, err := f.accountByURI(ctx, actorURI)
	if err != nil {
		return err
	}
	if st.AccountID != actor.ID {
		return permanentf("forwarded %v of %s by %s, not its author", act.Type, id, actorURI)
	}
	o, err := f.fetchObject(ctx, id)
	if act.Type.Is("Delete") {
		if errors.Is(err, errGone) || statusOf(err) == http.StatusNotFound || (err == nil && o.Type.Is("Tombstone")) {
			return f.onDelete(ctx, actor, &Object{Type: act.Type, Actor: act.Actor, Object: Ref{ID: id}})
		}
		if err != nil {
			return err
		}
		return permanentf("forwarded Delete of %s, which its server still serves", id)
	}
	if err != nil {
		return err
	}
	if string(o.ID) != id {
		return permanentf("forwarded Update of %s: its server serves %s", id, o.ID)
	}
	// No edit there since the one applied here: nothing to do (a forward
	// of an old or made-up Update, or one that came the direct way too).
	if o.Updated.IsZero() || (st.EditedAt != nil && !o.Updated.After(*st.EditedAt)) {
		return nil
	}
	return f.onUpdate(ctx, actor, &Object{Type: act.Type, Actor: act.Actor, Object: Ref{ID: id, Obj: o}})
}
