package activitypub

import (
	"context"
	"errors"
	"strconv"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// One builder per kind of outbox event: each renders the event's activity
// and says whose inboxes it goes to. buildDeliveries has already loaded
// the (local, not suspended unless allowed) actor and the payload.

// outboxJob is an event as the builders get it.
type outboxJob struct {
	ev    model.OutboxEvent
	p     eventPayload
	actor *model.Account
}

// activityBuilder renders one kind of event: its activity and the inboxes
// to deliver it to.
type activityBuilder func(f *Federation, ctx context.Context, j outboxJob) (doc, []string, error)

// activityBuilders maps each outbox event kind to its builder.
var activityBuilders = map[string]activityBuilder{
	model.EventStatusCreate:  (*Federation).buildStatusCreate,
	model.EventStatusUpdate:  (*Federation).buildStatusUpdate,
	model.EventStatusDelete:  (*Federation).buildStatusDelete,
	model.EventFavourite:     (*Federation).buildFavourite,
	model.EventUnfavourite:   (*Federation).buildUnfavourite,
	model.EventReblog:        (*Federation).buildReblog,
	model.EventUnreblog:      (*Federation).buildUnreblog,
	model.EventFollow:        (*Federation).buildFollow,
	model.EventUnfollow:      (*Federation).buildUnfollow,
	model.EventFollowAccept:  (*Federation).buildFollowAccept,
	model.EventFollowReject:  (*Federation).buildFollowReject,
	model.EventBlock:         (*Federation).buildBlock,
	model.EventUnblock:       (*Federation).buildUnblock,
	model.EventAccountUpdate: (*Federation).buildAccountUpdate,
	model.EventAccountDelete: (*Federation).buildAccountDelete,
	model.EventAccountMove:   (*Federation).buildAccountMove,
	model.EventPin:           (*Federation).buildPin,
	model.EventUnpin:         (*Federation).buildUnpin,

	model.EventInteractionAccept: (*Federation).buildInteractionAccept,
	model.EventInteractionReject: (*Federation).buildInteractionReject,
	model.EventQuoteRequest:      (*Federation).buildQuoteRequest,
	model.EventQuoteRevoke:       (*Federation).buildQuoteRevoke,
}

// --- statuses ---

func (f *Federation) buildStatusCreate(ctx context.Context, j outboxJob) (doc, []string, error) {
	return f.statusActivity(ctx, j, f.createDoc)
}

func (f *Federation) buildStatusUpdate(ctx context.Context, j outboxJob) (doc, []string, error) {
	return f.statusActivity(ctx, j, f.updateDoc)
}

// statusActivity is a Create or an Update (render) of the event's status,
// to its audience.
func (f *Federation) statusActivity(ctx context.Context, j outboxJob, render func(*statusBundle) doc) (doc, []string, error) {
	st, err := f.svc.StatusByID(ctx, j.ev.ObjectID)
	if err != nil {
		return nil, nil, notFound(err, "the status")
	}
	if st.ReblogOfID != 0 {
		return nil, nil, drop("status %d is a boost", st.ID)
	}
	b, err := f.loadStatus(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	if st.PendingApproval {
		// A reply waiting for its parent's author goes to that author
		// alone; the whole audience gets it once the Accept comes
		// (GoToSocial's interaction requests).
		inbox, err := f.personalInbox(ctx, st.InReplyToAccountID)
		if err != nil {
			return nil, nil, err
		}
		return render(b), []string{inbox}, nil
	}
	inboxes, err := f.statusInboxes(ctx, j.actor, st.Visibility, b.mentions, st.InReplyToAccountID)
	if err != nil {
		return nil, nil, err
	}
	return render(b), inboxes, nil
}

// personalInbox is the inbox of a remote account (dropped: a local one).
func (f *Federation) personalInbox(ctx context.Context, accountID int64) (string, error) {
	a, err := f.svc.AccountByID(ctx, accountID)
	if err != nil {
		return "", notFound(err, "the account")
	}
	if a.Local() || a.InboxURL == "" {
		return "", drop("account %d has no remote inbox", a.ID)
	}
	return a.InboxURL, nil
}

// buildStatusDelete is a Delete of a Tombstone, addressed as the status was
// (its visibility and mentions are in the payload: the row is gone).
func (f *Federation) buildStatusDelete(ctx context.Context, j outboxJob) (doc, []string, error) {
	p, actor := j.p, j.actor
	if p.URI == "" {
		return nil, nil, drop("status.delete without uri")
	}
	vis := model.Public
	if p.Visibility != nil {
		vis = model.Visibility(*p.Visibility)
	}
	mentions, err := f.accountsByIDs(ctx, p.Mentions)
	if err != nil {
		return nil, nil, err
	}
	to, cc := addressing(vis, actor.URI+"/followers", mentions)
	act := withContext(doc{
		"id":     p.URI + "#delete",
		"type":   "Delete",
		"actor":  actor.URI,
		"to":     to,
		"cc":     cc,
		"object": doc{"id": p.URI, "type": "Tombstone", "atomUri": p.URI},
	})
	inboxes, err := f.statusInboxes(ctx, actor, vis, mentions, 0)
	if err != nil {
		return nil, nil, err
	}
	return act, inboxes, nil
}

// --- favourites ---

func (f *Federation) buildFavourite(ctx context.Context, j outboxJob) (doc, []string, error) {
	return f.likeActivity(ctx, j, false)
}

func (f *Federation) buildUnfavourite(ctx context.Context, j outboxJob) (doc, []string, error) {
	return f.likeActivity(ctx, j, true)
}

// likeActivity is a Like (or its Undo) sent to the remote author of the
// status; the payload keeps the status's URI and author for an Undo after
// the status is gone.
func (f *Federation) likeActivity(ctx context.Context, j outboxJob, undo bool) (doc, []string, error) {
	ev, p, actor := j.ev, j.p, j.actor
	st, err := f.svc.StatusByID(ctx, ev.ObjectID)
	statusURI, authorID := p.StatusURI, p.AuthorID
	if err == nil {
		statusURI, authorID = st.URI, st.AccountID
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, nil, err
	}
	if statusURI == "" {
		return nil, nil, drop("the status is gone")
	}
	author, err := f.svc.AccountByID(ctx, authorID)
	if err != nil {
		return nil, nil, notFound(err, "the author")
	}
	if author.Local() {
		return nil, nil, drop("local author")
	}
	likeID := p.URI
	if likeID == "" {
		likeID = actor.URI + "#likes/" + strconv.FormatInt(ev.ObjectID, 10)
	}
	like := doc{"id": likeID, "type": "Like", "actor": actor.URI, "object": statusURI}
	act := withContext(like)
	if undo {
		act = withContext(doc{"id": likeID + "/undo/" + strconv.FormatInt(ev.ID, 10), "type": "Undo", "actor": actor.URI, "object": like})
	}
	return act, []string{author.InboxURL}, nil
}

// --- boosts ---

// buildReblog is an Announce of the boosted status, to the booster's
// followers and the boosted author.
func (f *Federation) buildReblog(ctx context.Context, j outboxJob) (doc, []string, error) {
	boost, err := f.svc.StatusByID(ctx, j.ev.ObjectID)
	if err != nil {
		return nil, nil, notFound(err, "the boost")
	}
	orig, err := f.svc.StatusByID(ctx, boost.ReblogOfID)
	if err != nil {
		return nil, nil, notFound(err, "the boosted status")
	}
	origAuthor, err := f.svc.AccountByID(ctx, orig.AccountID)
	if err != nil {
		return nil, nil, notFound(err, "the boosted author")
	}
	act := f.announceDoc(boost, j.actor, orig, origAuthor)
	if boost.PendingApproval {
		// Waiting for the boosted author's Accept: to them alone.
		inbox, err := f.personalInbox(ctx, origAuthor.ID)
		if err != nil {
			return nil, nil, err
		}
		return act, []string{inbox}, nil
	}
	inboxes, err := f.statusInboxes(ctx, j.actor, boost.Visibility, nil, origAuthor.ID)
	if err != nil {
		return nil, nil, err
	}
	return act, inboxes, nil
}

// buildUnreblog is the Undo of an Announce; the boost is gone, its URIs
// are in the payload.
func (f *Federation) buildUnreblog(ctx context.Context, j outboxJob) (doc, []string, error) {
	p, actor := j.p, j.actor
	if p.URI == "" || p.OriginalURI == "" {
		return nil, nil, drop("unreblog without uris")
	}
	announce := doc{"id": announceID(p.URI), "type": "Announce", "actor": actor.URI, "object": p.OriginalURI}
	act := withContext(doc{
		"id": announceID(p.URI) + "#undo", "type": "Undo", "actor": actor.URI,
		"to": []string{Public}, "cc": []string{actor.URI + "/followers"}, "object": announce,
	})
	authorID := p.AuthorID
	if authorID == 0 {
		if orig, err := f.svc.StatusByURI(ctx, p.OriginalURI); err == nil {
			authorID = orig.AccountID
		}
	}
	inboxes, err := f.statusInboxes(ctx, actor, model.Public, nil, authorID)
	if err != nil {
		return nil, nil, err
	}
	return act, inboxes, nil
}

// --- follows ---

func (f *Federation) buildFollow(ctx context.Context, j outboxJob) (doc, []string, error) {
	return f.followActivity(ctx, j, false)
}

func (f *Federation) buildUnfollow(ctx context.Context, j outboxJob) (doc, []string, error) {
	return f.followActivity(ctx, j, true)
}

// followActivity is a Follow (or its Undo) sent to the remote target.
func (f *Federation) followActivity(ctx context.Context, j outboxJob, undo bool) (doc, []string, error) {
	target, err := f.remoteTarget(ctx, j.ev, j.p)
	if err != nil {
		return nil, nil, err
	}
	followID := j.p.URI
	if followID == "" {
		return nil, nil, drop("follow without uri")
	}
	follow := doc{"id": followID, "type": "Follow", "actor": j.actor.URI, "object": target.URI}
	return activityOrUndo(follow, followID, undo, j.actor.URI, j.ev.ID), []string{target.InboxURL}, nil
}

func (f *Federation) buildFollowAccept(ctx context.Context, j outboxJob) (doc, []string, error) {
	return f.followAnswer(ctx, j, "Accept")
}

func (f *Federation) buildFollowReject(ctx context.Context, j outboxJob) (doc, []string, error) {
	return f.followAnswer(ctx, j, "Reject")
}

// followAnswer is an Accept or Reject (typ) of a remote follower's Follow.
func (f *Federation) followAnswer(ctx context.Context, j outboxJob, typ string) (doc, []string, error) {
	ev, p, actor := j.ev, j.p, j.actor
	followerID := p.FollowerID
	if followerID == 0 {
		followerID = ev.ObjectID
	}
	follower, err := f.svc.AccountByID(ctx, followerID)
	if err != nil {
		return nil, nil, notFound(err, "the follower")
	}
	if follower.Local() {
		return nil, nil, drop("local follower")
	}
	follow := doc{"type": "Follow", "actor": follower.URI, "object": actor.URI}
	if p.URI != "" {
		follow["id"] = p.URI
	}
	act := withContext(doc{
		"id":     actor.URI + "#" + typ + "s/follows/" + strconv.FormatInt(ev.ID, 10),
		"type":   typ,
		"actor":  actor.URI,
		"object": follow,
	})
	return act, []string{follower.InboxURL}, nil
}

// --- blocks ---

func (f *Federation) buildBlock(ctx context.Context, j outboxJob) (doc, []string, error) {
	return f.blockActivity(ctx, j, false)
}

func (f *Federation) buildUnblock(ctx context.Context, j outboxJob) (doc, []string, error) {
	return f.blockActivity(ctx, j, true)
}

// blockActivity is a Block (or its Undo) sent to the remote target.
func (f *Federation) blockActivity(ctx context.Context, j outboxJob, undo bool) (doc, []string, error) {
	target, err := f.remoteTarget(ctx, j.ev, j.p)
	if err != nil {
		return nil, nil, err
	}
	blockID := j.p.URI
	if blockID == "" {
		blockID = j.actor.URI + "#blocks/" + strconv.FormatInt(target.ID, 10)
	}
	block := doc{"id": blockID, "type": "Block", "actor": j.actor.URI, "object": target.URI}
	return activityOrUndo(block, blockID, undo, j.actor.URI, j.ev.ID), []string{target.InboxURL}, nil
}

// --- the account ---

// buildAccountUpdate is an Update of the actor, to its followers.
func (f *Federation) buildAccountUpdate(ctx context.Context, j outboxJob) (doc, []string, error) {
	actor := j.actor
	person := f.actorDoc(ctx, actor)
	delete(person, "@context")
	act := withContext(doc{
		"id":     actor.URI + "#updates/" + strconv.FormatInt(j.ev.ID, 10),
		"type":   "Update",
		"actor":  actor.URI,
		"to":     []string{Public},
		"object": person,
	})
	inboxes, err := f.statusInboxes(ctx, actor, model.Public, nil, 0)
	if err != nil {
		return nil, nil, err
	}
	return act, inboxes, nil
}

// buildAccountMove is a Move of the actor to the account it moved to, to
// its followers, whose servers move them (Mastodon's Move).
func (f *Federation) buildAccountMove(ctx context.Context, j outboxJob) (doc, []string, error) {
	actor := j.actor
	to, err := f.svc.AccountByID(ctx, j.ev.ObjectID)
	if err != nil {
		return nil, nil, notFound(err, "the account moved to")
	}
	act := withContext(doc{
		"id":     actor.URI + "#moves/" + strconv.FormatInt(j.ev.ID, 10),
		"type":   "Move",
		"actor":  actor.URI,
		"object": actor.URI,
		"target": to.URI,
		"to":     []string{actor.URI + "/followers"},
	})
	inboxes, err := f.statusInboxes(ctx, actor, model.Public, nil, 0)
	if err != nil {
		return nil, nil, err
	}
	return act, inboxes, nil
}

// buildAccountDelete is a Delete of the actor, to its followers.
func (f *Federation) buildAccountDelete(ctx context.Context, j outboxJob) (doc, []string, error) {
	actor := j.actor
	// The account row, and with it the key that signs this Delete, stays
	// until the deliveries are done (runAccountPurge).
	act := withContext(doc{
		"id":     actor.URI + "#delete",
		"type":   "Delete",
		"actor":  actor.URI,
		"to":     []string{Public},
		"object": actor.URI,
	})
	inboxes, err := f.statusInboxes(ctx, actor, model.Public, nil, 0)
	if err != nil {
		return nil, nil, err
	}
	return act, inboxes, nil
}

// --- pins ---

func (f *Federation) buildPin(ctx context.Context, j outboxJob) (doc, []string, error) {
	return f.featuredActivity(ctx, j, "Add")
}

func (f *Federation) buildUnpin(ctx context.Context, j outboxJob) (doc, []string, error) {
	return f.featuredActivity(ctx, j, "Remove")
}

// featuredActivity is an Add or Remove (typ) of a status to the actor's
// featured collection.
func (f *Federation) featuredActivity(ctx context.Context, j outboxJob, typ string) (doc, []string, error) {
	actor := j.actor
	st, err := f.svc.StatusByID(ctx, j.ev.ObjectID)
	if err != nil {
		return nil, nil, notFound(err, "the status")
	}
	act := withContext(doc{
		"id":     actor.URI + "#" + typ + "/" + strconv.FormatInt(j.ev.ID, 10),
		"type":   typ,
		"actor":  actor.URI,
		"to":     []string{Public},
		"cc":     []string{actor.URI + "/followers"},
		"object": st.URI,
		"target": actor.URI + "/collections/featured",
	})
	inboxes, err := f.statusInboxes(ctx, actor, model.Public, nil, 0)
	if err != nil {
		return nil, nil, err
	}
	return act, inboxes, nil
}
