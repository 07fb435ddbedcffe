package activitypub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/metrics"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Processing the inbox: each verified activity is a job of kind "inbox",
// applied through core. The job's key is the signer, so one signer's
// activities are applied one at a time in the order they arrived (a Create
// before its Delete), across processes; different signers run in parallel.

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

func permanentf(format string, args ...any) error {
	return permanentError{fmt.Errorf(format, args...)}
}

// isPermanent reports errors not worth a retry: bad or foreign input,
// missing or gone objects, refusals.
func isPermanent(err error) bool {
	var pe permanentError
	if errors.As(err, &pe) || errors.Is(err, errGone) || errors.Is(err, errBlockedDomain) ||
		errors.Is(err, errNotAP) || errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict) {
		return true
	}
	if s := statusOf(err); s >= 400 && s < 500 && s != 408 && s != 429 {
		return true
	}
	var he *herr.Error
	if errors.As(err, &he) && he.Status >= 400 && he.Status < 500 {
		return true
	}
	return false
}

// runInbox is the job of one incoming activity.
func (f *Federation) runInbox(ctx context.Context, job *storage.Job) ([]storage.Job, error) {
	it, err := storage.InboxItemOf(job)
	if err != nil {
		f.Metrics.InboxActivity("other", metrics.InboxRejected)
		return nil, jobs.Permanent(err)
	}
	act, then, err := f.safeProcess(ctx, it)
	if ctx.Err() != nil {
		return nil, ctx.Err() // stopping: the runtime hands the job back
	}
	typ := activityTypeLabel(act)
	log := f.log.With("activity", it.ActivityID, "signer", it.SignerURI)
	if err == nil || isPermanent(err) {
		if err != nil {
			log.Info("inbox activity not applied", "err", err)
			f.Metrics.InboxActivity(typ, metrics.InboxRejected)
			return nil, nil
		}
		f.Metrics.InboxActivity(typ, metrics.InboxApplied)
		return then, nil // its forwards, queued as the activity is marked done
	}
	if job.Attempts >= f.Tuning.InboxMaxAttempts {
		log.Warn("inbox activity failed for good", "err", err)
		f.Metrics.InboxActivity(typ, metrics.InboxFailed)
		return nil, nil
	}
	wait := time.Duration(30<<min(job.Attempts, 10)) * time.Second
	log.Debug("inbox activity failed, will retry", "err", err, "in", wait)
	f.Metrics.InboxActivity(typ, metrics.InboxRetry)
	return nil, jobs.RetryAt(f.now().Add(wait), err)
}

// safeProcess decodes and applies an activity, turning a panic into a
// permanent error: one bad activity must not stop the worker. It returns
// the activity decoded (nil if it is not one) for the metrics.
func (f *Federation) safeProcess(ctx context.Context, it storage.InboxItem) (act *Object, then []storage.Job, err error) {
	defer func() {
		if r := recover(); r != nil {
			then, err = nil, permanentf("panic: %v", r)
		}
	}()
	act, err = Decode(it.Payload)
	if err != nil {
		return nil, nil, permanentf("decode: %v", err)
	}
	then, err = f.processActivity(ctx, it, act)
	return act, then, err
}

// inboxTypes are the activity types processActivity handles: the type
// label of the inbox metrics is one of them or "other" (a sender's free
// text must not make new series).
var inboxTypes = []string{"Create", "Update", "Delete", "Follow", "Accept", "Reject", "Undo", "Announce", "Like",
	"Block", "Move", "Flag", "Add", "Remove", "ReplyRequest", "LikeRequest", "AnnounceRequest", "QuoteRequest"}

// activityTypeLabel is act's type for the metrics.
func activityTypeLabel(act *Object) string {
	if act != nil {
		for _, t := range inboxTypes {
			if act.Type.Is(t) {
				return t
			}
		}
	}
	return "other"
}

// processActivity applies one verified activity (it holds its payload,
// act the payload decoded). It returns the deliveries that forward it, if
// any (forwardsOf).
func (f *Federation) processActivity(ctx context.Context, it storage.InboxItem, act *Object) ([]storage.Job, error) {
	// Blocked: dropped; policy unavailable: retried later.
	if err := f.checkURL(ctx, it.SignerURI); err != nil {
		return nil, fmt.Errorf("signer %s: %w", it.SignerURI, err)
	}
	if act.Actor.ID != it.SignerURI {
		return nil, f.onForwarded(ctx, act) // the inbox let only these in
	}
	actor, err := f.accountByURI(ctx, it.SignerURI)
	if err != nil {
		return nil, err
	}
	if actor.SuspendedAt != nil {
		return nil, permanentf("actor %s is suspended", actor.URI)
	}
	switch {
	case act.Type.Is("Update"), act.Type.Is("Delete"):
		// Where it goes on is decided before it is applied: a Delete
		// takes the boosts of the post with it.
		fwd := f.forwardsOf(ctx, actor, act, it.Payload)
		if act.Type.Is("Update") {
			err = f.onUpdate(ctx, actor, act)
		} else {
			err = f.onDelete(ctx, actor, act)
		}
		if err != nil {
			return nil, err
		}
		return fwd, nil
	}
	return nil, f.apply(ctx, it, actor, act)
}

// apply applies an activity of its signer, actor.
func (f *Federation) apply(ctx context.Context, it storage.InboxItem, actor *model.Account, act *Object) error {
	switch {
	case act.Type.Is("Create"):
		return f.onCreate(ctx, actor, act)
	case act.Type.Is("Follow"):
		return f.onFollow(ctx, actor, act)
	case act.Type.Is("Accept"):
		return f.onAnswer(ctx, actor, act, true)
	case act.Type.Is("Reject"):
		return f.onAnswer(ctx, actor, act, false)
	case act.Type.Is("Undo"):
		return f.onUndo(ctx, actor, act)
	case act.Type.Is("Announce"):
		return f.onAnnounce(ctx, actor, act)
	case act.Type.Is("Like"):
		return f.onLike(ctx, actor, act)
	case act.Type.Is("Block"):
		return f.onBlock(ctx, actor, act)
	case act.Type.Is("Move"):
		return f.onMove(ctx, actor, act)
	case act.Type.Is("Flag"):
		return f.onFlag(ctx, actor, act, []byte(it.Payload))
	case act.Type.Is("Add"):
		return f.onFeatured(ctx, actor, act, true)
	case act.Type.Is("Remove"):
		return f.onFeatured(ctx, actor, act, false)
	case act.Type.Is("ReplyRequest", "LikeRequest", "AnnounceRequest", "QuoteRequest"):
		return f.onInteractionRequest(ctx, actor, act)
	}
	f.log.Debug("activity type not handled", "type", act.Type, "actor", actor.URI)
	return nil
}

// objectFromOrigin returns the activity's object, embedded when it comes
// from the actor's own host (the signature vouches for it), otherwise
// fetched from its origin.
func (f *Federation) objectFromOrigin(ctx context.Context, actor *model.Account, ref Ref) (*Object, error) {
	if ref.ID == "" {
		return nil, permanentf("activity without object id")
	}
	if ref.Obj != nil && hostOf(ref.ID) == hostOf(actor.URI) {
		return ref.Obj, nil
	}
	return f.fetchObject(ctx, ref.ID)
}

// wanted reports whether a remote post concerns anyone here: a local
// follower of its author, a local account mentioned or addressed, or a
// reply to a local status.
func (f *Federation) wanted(ctx context.Context, author *model.Account, o *Object) (bool, error) {
	followed, err := f.svc.HasLocalFollowers(ctx, author.ID)
	if err != nil {
		return false, err
	}
	if followed {
		return true, nil
	}
	for _, iri := range append(append([]string{}, o.To...), o.Cc...) {
		if f.isLocal(iri) {
			return true, nil
		}
	}
	for _, t := range o.Tag {
		if t.Type.Is("Mention") && f.isLocal(string(t.Href)) {
			return true, nil
		}
	}
	if p := o.InReplyTo.ID; p != "" && f.isLocal(p) {
		return true, nil
	}
	if q := quoteOf(o); q != "" && f.isLocal(q) { // a quote of a local post
		return true, nil
	}
	return false, nil
}

func (f *Federation) onCreate(ctx context.Context, actor *model.Account, act *Object) error {
	o, err := f.objectFromOrigin(ctx, actor, act.Object)
	if err != nil {
		return err
	}
	if !isStatusType(o) {
		f.log.Debug("Create of an unsupported type", "type", o.Type, "actor", actor.URI)
		return nil
	}
	if o.AttributedTo.ID != actor.URI {
		return permanentf("Create by %s of an object attributed to %q", actor.URI, o.AttributedTo.ID)
	}
	if voted, err := f.pollVote(ctx, actor, o); voted || err != nil {
		return err
	}
	ok, err := f.wanted(ctx, actor, o)
	if err != nil {
		return err
	}
	if !ok {
		f.log.Debug("unsolicited post dropped", "object", o.ID, "actor", actor.URI)
		return nil
	}
	_, err = f.ingestNote(ctx, actor, o, 0)
	return err
}

func (f *Federation) onUpdate(ctx context.Context, actor *model.Account, act *Object) error {
	ref := act.Object
	if ref.ID == actor.URI {
		// A profile update: the signature proves it comes from the actor,
		// but refetch when the embedded copy is missing or incomplete.
		if ref.Obj != nil && ref.Obj.IsActor() && len(ref.Obj.PublicKey) > 0 {
			_, err := f.storeActor(ctx, ref.Obj)
			return err
		}
		_, _, err := f.fetchActor(ctx, actor.URI)
		return err
	}
	o, err := f.objectFromOrigin(ctx, actor, ref)
	if err != nil {
		return err
	}
	if !isStatusType(o) {
		return nil
	}
	if o.AttributedTo.ID != actor.URI {
		return permanentf("Update by %s of an object attributed to %q", actor.URI, o.AttributedTo.ID)
	}
	stored, err := f.svc.StatusByURI(ctx, string(o.ID))
	if errors.Is(err, storage.ErrNotFound) {
		return nil // an edit of a post we never had
	} else if err != nil {
		return err
	}
	poll := pollOf(o)
	if poll != nil {
		if stored.AccountID != actor.ID {
			return permanentf("Update by %s of a poll it does not own", actor.URI)
		}
		// New counts are no edit: only an "updated" later than the one
		// applied makes one (Mastodon's implicit update).
		if o.Updated.IsZero() || (stored.EditedAt != nil && !o.Updated.After(*stored.EditedAt)) {
			return f.svc.RemotePoll(ctx, stored, poll)
		}
	}
	content, lang := o.ContentHTML()
	upd := &model.Status{
		URI:         string(o.ID),
		Content:     f.convertContent(o, content),
		SpoilerText: string(o.Summary),
		Sensitive:   bool(o.Sensitive),
		Language:    lang,
		Policy:      policyOf(o, actor),
	}
	if !o.Updated.IsZero() {
		t := o.Updated.Time
		upd.EditedAt = &t
	}
	_, tags := f.tagsOf(ctx, o)
	// The status, its poll and its attachments (those the edit removed
	// kept for the history) in one transaction.
	st, err := f.svc.EditRemotePost(ctx, actor.ID, core.RemoteEdit{Status: upd, Tags: tags, Poll: poll,
		SetMedia: true, Attachments: remoteAttachments(o)})
	if err != nil {
		return err
	}
	f.quoteUpdated(ctx, actor, st, o)
	f.ingestEmojis(ctx, actor.Domain, o)
	return nil
}

func (f *Federation) onDelete(ctx context.Context, actor *model.Account, act *Object) error {
	id := act.Object.ID
	if id == "" {
		return permanentf("Delete without object")
	}
	if id == actor.URI {
		f.log.Info("remote account deleted itself", "actor", actor.URI)
		f.keys.forget(actor.KeyID)
		return f.svc.RemoteAccountDeleted(ctx, actor.ID)
	}
	if hostOf(id) != hostOf(actor.URI) {
		return permanentf("Delete by %s of a foreign object %s", actor.URI, id)
	}
	// A quoted author revoking a quote deletes its QuoteAuthorization.
	if revoked, err := f.svc.RemoteQuoteRevoked(ctx, actor.ID, id); revoked || err != nil {
		return err
	}
	err := f.svc.RemoteDeleteStatus(ctx, actor.ID, id)
	if he := herr.As(err); err != nil && he.Status == http.StatusNotFound {
		return nil
	}
	return err
}

// localTarget finds the local account an IRI names.
func (f *Federation) localTarget(ctx context.Context, iri string) (*model.Account, error) {
	if !f.isLocal(iri) {
		return nil, permanentf("%q is not a local actor", iri)
	}
	a, err := f.svc.AccountByURI(ctx, iri)
	if err != nil {
		return nil, err
	}
	if !a.Local() {
		return nil, permanentf("%q is not a local actor", iri)
	}
	return a, nil
}

func (f *Federation) onFollow(ctx context.Context, actor *model.Account, act *Object) error {
	if act.Object.ID == f.InstanceActorURI() {
		return nil // relay-style follows of the instance actor: not supported
	}
	target, err := f.localTarget(ctx, act.Object.ID)
	if err != nil {
		return err
	}
	// Followers from a silenced domain (or silenced accounts) are
	// requests, even to unlocked accounts, as in Mastodon.
	pol, err := f.domainPolicy(ctx, hostOf(actor.URI))
	if err != nil {
		return err
	}
	if actor.SilencedAt != nil || pol.Silenced() {
		_, err = f.svc.RemoteFollowRequest(ctx, actor.ID, target.ID, string(act.ID))
		return err
	}
	_, err = f.svc.RemoteFollow(ctx, actor.ID, target.ID, string(act.ID))
	return err
}

// onAnswer applies Accept or Reject of a Follow a local account sent, or
// of a local account's interaction with the actor's post (interactions.go).
func (f *Federation) onAnswer(ctx context.Context, actor *model.Account, act *Object, accept bool) error {
	ref := act.Object
	if ref.Obj != nil && len(ref.Obj.Type) > 0 && !ref.Obj.Type.Is("Follow") {
		return f.onInteractionAnswer(ctx, actor, act, accept)
	}
	var followerID int64
	if ref.ID != "" {
		if fl, err := f.svc.FollowByURI(ctx, ref.ID); err == nil && fl.TargetID == actor.ID {
			followerID = fl.AccountID
		} else if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
	}
	if followerID == 0 && ref.Obj != nil && ref.Obj.Object.ID == actor.URI {
		if local, err := f.localTarget(ctx, ref.Obj.Actor.ID); err == nil {
			followerID = local.ID
		}
	}
	if followerID == 0 && ref.Obj == nil {
		// Not a follow: perhaps a reply (or boost) of ours it answers.
		return f.onInteractionAnswer(ctx, actor, act, accept)
	}
	if followerID == 0 {
		return permanentf("%s of an unknown follow %q", act.Type.First(), ref.ID)
	}
	if accept {
		return f.svc.FollowAccepted(ctx, followerID, actor.ID)
	}
	return f.svc.FollowRejected(ctx, followerID, actor.ID)
}

func (f *Federation) onUndo(ctx context.Context, actor *model.Account, act *Object) error {
	ref := act.Object
	if ref.ID == "" && ref.Obj == nil {
		return permanentf("Undo without object")
	}
	inner := ref.Obj
	if inner != nil && inner.Actor.ID != "" && inner.Actor.ID != actor.URI {
		return permanentf("Undo by %s of an activity of %s", actor.URI, inner.Actor.ID)
	}
	typ := ""
	if inner != nil {
		typ = inner.Type.First()
	}
	switch typ {
	case "Follow":
		target, err := f.localTarget(ctx, inner.Object.ID)
		if err != nil {
			return err
		}
		return f.svc.RemoteUnfollow(ctx, actor.ID, target.ID)
	case "Like":
		if st, err := f.svc.StatusByURI(ctx, inner.Object.ID); err == nil {
			if err := f.svc.RemoteUnfavourite(ctx, actor.ID, st.ID); err != nil {
				return err
			}
		}
		// By its id too: a Like held for approval has no favourite yet.
		return f.svc.RemoteUnfavouriteByURI(ctx, actor.ID, ref.ID)
	case "Announce":
		return f.svc.RemoteUndoReblog(ctx, actor.ID, ref.ID)
	case "Block":
		target, err := f.localTarget(ctx, inner.Object.ID)
		if err != nil {
			return err
		}
		return f.svc.RemoteUnblock(ctx, actor.ID, target.ID)
	case "":
		// Only an id: find what it names.
		if fl, err := f.svc.FollowByURI(ctx, ref.ID); err == nil {
			if fl.AccountID != actor.ID {
				return permanentf("Undo of someone else's follow")
			}
			return f.svc.RemoteUnfollow(ctx, actor.ID, fl.TargetID)
		}
		if liked, _ := f.svc.IsFavouriteURI(ctx, ref.ID); liked {
			return f.svc.RemoteUnfavouriteByURI(ctx, actor.ID, ref.ID)
		}
		return f.svc.RemoteUndoReblog(ctx, actor.ID, ref.ID)
	}
	return nil
}

func (f *Federation) onAnnounce(ctx context.Context, actor *model.Account, act *Object) error {
	objID := act.Object.ID
	if objID == "" {
		return permanentf("Announce without object")
	}
	if act.Object.Obj != nil && act.Object.Obj.Type.Is("Create", "Update", "Delete", "Like", "Announce", "Undo") {
		return nil // group-style wrapped activities (FEP-1b12): not supported yet
	}
	if _, err := f.svc.StatusByURI(ctx, string(act.ID)); err == nil {
		return nil // already have this boost
	}
	// Only boosts someone here cares about: of a local post, or by an
	// actor a local account follows.
	followed, err := f.svc.HasLocalFollowers(ctx, actor.ID)
	if err != nil {
		return err
	}
	if !followed && !f.isLocal(objID) {
		return nil
	}
	orig, err := f.resolveStatus(ctx, objID, 0)
	if err != nil {
		return err
	}
	if orig.ReblogOfID == 0 {
		if err := f.checkApproval(ctx, model.InteractReblog, actor, string(act.ID), orig,
			string(act.AnnounceAuthorization), string(act.ApprovedBy)); err != nil {
			return err
		}
	}
	_, err = f.svc.RemoteReblog(ctx, actor.ID, orig, string(act.ID), act.Published.Time)
	return err
}

func (f *Federation) onLike(ctx context.Context, actor *model.Account, act *Object) error {
	st, err := f.svc.StatusByURI(ctx, act.Object.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // a like of something we do not have
	}
	if err != nil {
		return err
	}
	if !st.Local {
		return nil
	}
	return f.svc.RemoteFavourite(ctx, actor.ID, st, string(act.ID))
}

func (f *Federation) onBlock(ctx context.Context, actor *model.Account, act *Object) error {
	target, err := f.localTarget(ctx, act.Object.ID)
	if err != nil {
		return err
	}
	return f.svc.RemoteBlock(ctx, actor.ID, target.ID)
}

// onMove records an account's move once the new actor confirms it with
// alsoKnownAs; core moves the local followers of the old account to the
// new one.
func (f *Federation) onMove(ctx context.Context, actor *model.Account, act *Object) error {
	if act.Object.ID != actor.URI {
		return permanentf("Move of another actor")
	}
	targetURI := act.Target.ID
	if targetURI == "" || targetURI == actor.URI {
		return permanentf("Move without target")
	}
	if err := f.checkURL(ctx, targetURI); err != nil {
		return fmt.Errorf("move to %s: %w", targetURI, err)
	}
	var target *model.Account
	var aliases IRIs
	if f.isLocal(targetURI) {
		// Moving here: the local account's aliases decide.
		t, err := f.localTarget(ctx, targetURI)
		if err != nil {
			return err
		}
		if aliases, err = f.svc.LocalAccountAliases(ctx, t.ID); err != nil {
			return err
		}
		target = t
	} else {
		t, o, err := f.fetchActor(ctx, targetURI)
		if err != nil {
			return err
		}
		target, aliases = t, o.AlsoKnownAs
	}
	if !aliases.Has(actor.URI) {
		return permanentf("Move: %s does not list %s in alsoKnownAs", targetURI, actor.URI)
	}
	if err := f.svc.RemoteAccountMoved(ctx, actor, target); err != nil {
		return err
	}
	f.log.Info("remote account moved", "from", actor.URI, "to", target.URI)
	return nil
}
