package core

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// The social graph's rules: following (local, locked, remote), follow
// requests, blocks, mutes, private notes; and what the federation engine
// calls when remote actors follow, accept, reject or block.
//
// Outbox events queued here (AccountID is always the local actor):
//
//	follow         ObjectID target   {"uri": follow id}
//	unfollow       ObjectID target   {"uri": follow id, "target_id": id}
//	follow.accept  ObjectID follower {"uri": follow id, "follower_id": id}
//	follow.reject  ObjectID follower {"uri": follow id, "follower_id": id}
//	block          ObjectID target   {"uri": block id}
//	unblock        ObjectID target   {"uri": block id, "target_id": id}

// maxNoteLength bounds a private note on an account, as Mastodon.
const maxNoteLength = 2000

func payload(m map[string]any) string {
	b, _ := json.Marshal(m)
	return string(b)
}

// actor is the caller's own account; app tokens have none.
func actor(c *Caller) (*model.Account, error) {
	if c == nil || c.Account == nil {
		return nil, herr.New(422, "This method requires an authenticated user")
	}
	return c.Account, nil
}

// own reads the caller's own records; read is given the caller's account
// id, by which the store keys them.
func own[T any](c *Caller, read func(accountID int64) (T, error)) (T, error) {
	var zero T
	me, err := actor(c)
	if err != nil {
		return zero, err
	}
	v, err := read(me.ID)
	if err != nil {
		return zero, storeErr(err)
	}
	return v, nil
}

// changeOwn runs a change of the caller's own records, keyed as own's.
func changeOwn(c *Caller, change func(accountID int64) error) error {
	me, err := actor(c)
	if err != nil {
		return err
	}
	if err := change(me.ID); err != nil {
		return storeErr(err)
	}
	return nil
}

var errNotAllowed = herr.Forbidden("This action is not allowed")

// FollowOptions are the optional settings of a follow; nil keeps the
// current value (or the default: reblogs on, notify off).
type FollowOptions struct {
	Reblogs *bool
	Notify  *bool
}

// followURI is the ActivityPub id of a local account's follow.
func (s *Service) followURI(followID int64) string {
	return s.Base() + "/follows/" + strconv.FormatInt(followID, 10)
}

func (s *Service) blockURI(blockID int64) string {
	return s.Base() + "/blocks/" + strconv.FormatInt(blockID, 10)
}

// target finds the other account of a social action.
func (s *Service) target(ctx context.Context, me *model.Account, targetID int64) (*model.Account, error) {
	if targetID == me.ID {
		return nil, errNotAllowed
	}
	return s.Account(ctx, targetID)
}

func storeErr(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return herr.NotFound("record")
	}
	var he *herr.Error
	if errors.As(err, &he) {
		return he
	}
	return herr.Internal(err)
}

// Follow follows an account: at once when it is local and unlocked, as a
// request when it is locked, and as a request sent to its server when it is
// remote (it becomes a follow when the Accept arrives, see FollowAccepted).
// Following again only changes the options.
func (s *Service) Follow(ctx context.Context, c *Caller, targetID int64, o FollowOptions) (*model.Relationship, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	target, err := s.target(ctx, me, targetID)
	if err != nil {
		return nil, err
	}
	if blocked, err := s.store.IsBlockedEitherWay(ctx, me.ID, target.ID); err != nil {
		return nil, herr.Internal(err)
	} else if blocked {
		return nil, errNotAllowed
	}
	f := &model.Follow{AccountID: me.ID, TargetID: target.ID, ShowReblogs: true}
	existing, err := s.store.FollowBetween(ctx, me.ID, target.ID)
	kind := "follow"
	if errors.Is(err, storage.ErrNotFound) {
		existing, err = s.store.FollowRequestBetween(ctx, me.ID, target.ID)
		kind = "request"
	}
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, herr.Internal(err)
	}
	if existing != nil {
		f.ShowReblogs, f.Notify = existing.ShowReblogs, existing.Notify
	}
	if o.Reblogs != nil {
		f.ShowReblogs = *o.Reblogs
	}
	if o.Notify != nil {
		f.Notify = *o.Notify
	}
	switch {
	case existing != nil && kind == "follow":
		err = s.store.Follow(ctx, f, nil)
	case existing != nil:
		err = s.store.RequestFollow(ctx, f, nil)
	case target.Local() && !target.Locked:
		f.ID = id.New()
		f.URI = s.followURI(f.ID)
		err = s.store.Follow(ctx, f, nil)
	case target.Local():
		f.ID = id.New()
		f.URI = s.followURI(f.ID)
		err = s.store.RequestFollow(ctx, f, nil)
	default:
		f.ID = id.New()
		f.URI = s.followURI(f.ID)
		err = s.store.RequestFollow(ctx, f, []model.OutboxEvent{{
			Kind: model.EventFollow, AccountID: me.ID, ObjectID: target.ID, Payload: payload(map[string]any{"uri": f.URI}),
		}})
		if err == nil {
			s.kick()
		}
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	if target.Local() {
		s.notify(ChangeNotification, target.ID, 0)
	}
	return s.Relationship(ctx, me.ID, target.ID)
}

// Unfollow stops following an account or withdraws a pending request.
func (s *Service) Unfollow(ctx context.Context, c *Caller, targetID int64) (*model.Relationship, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	target, err := s.target(ctx, me, targetID)
	if err != nil {
		return nil, err
	}
	var events []model.OutboxEvent
	if !target.Local() {
		f, err := s.store.FollowBetween(ctx, me.ID, target.ID)
		if errors.Is(err, storage.ErrNotFound) {
			f, err = s.store.FollowRequestBetween(ctx, me.ID, target.ID)
		}
		if err == nil {
			events = append(events, unfollowEvent(me.ID, target.ID, f.URI))
		} else if !errors.Is(err, storage.ErrNotFound) {
			return nil, herr.Internal(err)
		}
	}
	if _, err := s.store.Unfollow(ctx, me.ID, target.ID, events); err != nil {
		return nil, herr.Internal(err)
	}
	return s.relationshipAfter(ctx, events, me.ID, target.ID)
}

// relationshipAfter wakes the delivery worker when events were queued and
// returns the caller's relationship with the other account.
func (s *Service) relationshipAfter(ctx context.Context, events []model.OutboxEvent, meID, otherID int64) (*model.Relationship, error) {
	if len(events) > 0 {
		s.kick()
	}
	return s.Relationship(ctx, meID, otherID)
}

// unfollowEvent tells a remote target's server that meID no longer follows it
// (or withdraws the request) through the follow with the given uri.
func unfollowEvent(meID, targetID int64, uri string) model.OutboxEvent {
	return model.OutboxEvent{Kind: model.EventUnfollow, AccountID: meID, ObjectID: targetID,
		Payload: payload(map[string]any{"uri": uri, "target_id": targetID})}
}

// rejectFollowEvent tells a remote follower's server that meID rejects (or
// removes) its follow with the given uri.
func rejectFollowEvent(meID, followerID int64, uri string) model.OutboxEvent {
	return model.OutboxEvent{Kind: model.EventFollowReject, AccountID: meID, ObjectID: followerID,
		Payload: payload(map[string]any{"uri": uri, "follower_id": followerID})}
}

// RemoveFromFollowers makes an account stop following the caller.
func (s *Service) RemoveFromFollowers(ctx context.Context, c *Caller, followerID int64) (*model.Relationship, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	follower, err := s.target(ctx, me, followerID)
	if err != nil {
		return nil, err
	}
	f, err := s.store.FollowBetween(ctx, follower.ID, me.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return s.Relationship(ctx, me.ID, follower.ID)
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	var events []model.OutboxEvent
	if !follower.Local() {
		events = append(events, rejectFollowEvent(me.ID, follower.ID, f.URI))
	}
	if _, err := s.store.Unfollow(ctx, follower.ID, me.ID, events); err != nil {
		return nil, herr.Internal(err)
	}
	return s.relationshipAfter(ctx, events, me.ID, follower.ID)
}

// AuthorizeFollowRequest accepts a pending request to follow the caller.
func (s *Service) AuthorizeFollowRequest(ctx context.Context, c *Caller, requesterID int64) (*model.Relationship, error) {
	return s.answerFollowRequest(ctx, c, requesterID, true)
}

// RejectFollowRequest refuses a pending request to follow the caller.
func (s *Service) RejectFollowRequest(ctx context.Context, c *Caller, requesterID int64) (*model.Relationship, error) {
	return s.answerFollowRequest(ctx, c, requesterID, false)
}

func (s *Service) answerFollowRequest(ctx context.Context, c *Caller, requesterID int64, accept bool) (*model.Relationship, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	req, err := s.store.FollowRequestBetween(ctx, requesterID, me.ID)
	if err != nil {
		return nil, storeErr(err)
	}
	requester, err := s.store.AccountByID(ctx, requesterID)
	if err != nil {
		return nil, storeErr(err)
	}
	var events []model.OutboxEvent
	if !requester.Local() {
		kind := model.EventFollowReject
		if accept {
			kind = model.EventFollowAccept
		}
		events = append(events, model.OutboxEvent{Kind: kind, AccountID: me.ID, ObjectID: requester.ID,
			Payload: payload(map[string]any{"uri": req.URI, "follower_id": requester.ID})})
	}
	if accept {
		_, err = s.store.AuthorizeFollowRequest(ctx, requester.ID, me.ID, events)
	} else {
		_, err = s.store.RejectFollowRequest(ctx, requester.ID, me.ID, events)
	}
	if err != nil {
		return nil, storeErr(err)
	}
	return s.relationshipAfter(ctx, events, me.ID, requester.ID)
}

// Block blocks an account: follows both ways end, and a remote account's
// server is told (Undo Follow / Reject Follow, then Block).
func (s *Service) Block(ctx context.Context, c *Caller, targetID int64) (*model.Relationship, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	target, err := s.target(ctx, me, targetID)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.BlockURI(ctx, me.ID, target.ID); err == nil {
		return s.Relationship(ctx, me.ID, target.ID)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, herr.Internal(err)
	}
	uri := s.blockURI(id.New())
	var events []model.OutboxEvent
	if !target.Local() {
		if f, err := s.store.FollowBetween(ctx, me.ID, target.ID); err == nil {
			events = append(events, unfollowEvent(me.ID, target.ID, f.URI))
		} else if f, err := s.store.FollowRequestBetween(ctx, me.ID, target.ID); err == nil {
			events = append(events, unfollowEvent(me.ID, target.ID, f.URI))
		}
		if f, err := s.store.FollowBetween(ctx, target.ID, me.ID); err == nil {
			events = append(events, rejectFollowEvent(me.ID, target.ID, f.URI))
		} else if f, err := s.store.FollowRequestBetween(ctx, target.ID, me.ID); err == nil {
			events = append(events, rejectFollowEvent(me.ID, target.ID, f.URI))
		}
		events = append(events, model.OutboxEvent{Kind: model.EventBlock, AccountID: me.ID, ObjectID: target.ID,
			Payload: payload(map[string]any{"uri": uri})})
	}
	if err := s.store.Block(ctx, me.ID, target.ID, uri, events); err != nil {
		return nil, herr.Internal(err)
	}
	return s.relationshipAfter(ctx, events, me.ID, target.ID)
}

// Unblock lifts a block.
func (s *Service) Unblock(ctx context.Context, c *Caller, targetID int64) (*model.Relationship, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	target, err := s.target(ctx, me, targetID)
	if err != nil {
		return nil, err
	}
	uri, err := s.store.BlockURI(ctx, me.ID, target.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return s.Relationship(ctx, me.ID, target.ID)
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	var events []model.OutboxEvent
	if !target.Local() {
		events = append(events, model.OutboxEvent{Kind: model.EventUnblock, AccountID: me.ID, ObjectID: target.ID,
			Payload: payload(map[string]any{"uri": uri, "target_id": target.ID})})
	}
	if err := s.store.Unblock(ctx, me.ID, target.ID, events); err != nil {
		return nil, herr.Internal(err)
	}
	return s.relationshipAfter(ctx, events, me.ID, target.ID)
}

// Mute hides an account's posts (and, with notifications, its
// notifications) from the caller; duration 0 mutes without end.
func (s *Service) Mute(ctx context.Context, c *Caller, targetID int64, notifications bool, duration time.Duration) (*model.Relationship, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	target, err := s.target(ctx, me, targetID)
	if err != nil {
		return nil, err
	}
	var exp *int64
	if duration > 0 {
		v := time.Now().Add(duration).UnixMilli()
		exp = &v
	}
	if err := s.store.Mute(ctx, me.ID, target.ID, notifications, exp); err != nil {
		return nil, herr.Internal(err)
	}
	return s.Relationship(ctx, me.ID, target.ID)
}

// Unmute lifts a mute.
func (s *Service) Unmute(ctx context.Context, c *Caller, targetID int64) (*model.Relationship, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	target, err := s.target(ctx, me, targetID)
	if err != nil {
		return nil, err
	}
	if err := s.store.Unmute(ctx, me.ID, target.ID); err != nil {
		return nil, herr.Internal(err)
	}
	return s.Relationship(ctx, me.ID, target.ID)
}

// SetAccountNote stores the caller's private note on an account.
func (s *Service) SetAccountNote(ctx context.Context, c *Caller, targetID int64, comment string) (*model.Relationship, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	target, err := s.target(ctx, me, targetID)
	if err != nil {
		return nil, err
	}
	if len([]rune(comment)) > maxNoteLength {
		return nil, herr.Unprocessable("Validation failed: Comment is too long (maximum is %d characters)", maxNoteLength)
	}
	if err := s.store.SetAccountNote(ctx, me.ID, target.ID, comment); err != nil {
		return nil, herr.Internal(err)
	}
	return s.Relationship(ctx, me.ID, target.ID)
}

// Relationship is what viewer is to target.
func (s *Service) Relationship(ctx context.Context, viewerID, targetID int64) (*model.Relationship, error) {
	rels, err := s.store.Relationships(ctx, viewerID, []int64{targetID})
	if err != nil {
		return nil, herr.Internal(err)
	}
	if len(rels) == 0 {
		return &model.Relationship{TargetID: targetID}, nil
	}
	return &rels[0], nil
}

// Relationships is what viewer is to each existing target, in order.
func (s *Service) Relationships(ctx context.Context, viewerID int64, targetIDs []int64) ([]model.Relationship, error) {
	rels, err := s.store.Relationships(ctx, viewerID, targetIDs)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return rels, nil
}

// familiarMax bounds the familiar followers listed for one account.
const familiarMax = 40

// FamiliarFollowers is Mastodon's familiar_followers: for each account,
// the accounts the caller follows that follow it, leaving out those that
// hide their network, and none for an account that hides its own. Unknown
// ids get an empty list.
func (s *Service) FamiliarFollowers(ctx context.Context, c *Caller, ids []int64) (map[int64][]*model.Account, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	targets, err := s.store.AccountsByIDs(ctx, ids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	var shown []int64
	for _, id := range ids {
		if t := targets[id]; t != nil && !t.HideCollections {
			shown = append(shown, id)
		}
	}
	m, err := s.store.FamiliarFollowers(ctx, c.Account.ID, shown, familiarMax)
	if err != nil {
		return nil, herr.Internal(err)
	}
	var need []int64
	for _, fs := range m {
		need = append(need, fs...)
	}
	accs, err := s.store.AccountsByIDs(ctx, need)
	if err != nil {
		return nil, herr.Internal(err)
	}
	out := map[int64][]*model.Account{}
	for target, fs := range m {
		for _, id := range fs {
			if a := accs[id]; a != nil {
				out[target] = append(out[target], a)
			}
		}
	}
	return out, nil
}

// --- called by the federation engine ---

// RemoteFollow handles a remote actor's Follow of a local account. An
// unlocked target accepts at once (an Accept is queued, again for a repeated
// Follow); a locked one gets a request to answer; a target that blocks the
// follower rejects it.
func (s *Service) RemoteFollow(ctx context.Context, followerID, targetID int64, uri string) (accepted bool, err error) {
	return s.remoteFollow(ctx, followerID, targetID, uri, false)
}

// RemoteFollowRequest is RemoteFollow that always makes a follow request,
// even to an unlocked account (a follower from a silenced domain).
func (s *Service) RemoteFollowRequest(ctx context.Context, followerID, targetID int64, uri string) (accepted bool, err error) {
	return s.remoteFollow(ctx, followerID, targetID, uri, true)
}

func (s *Service) remoteFollow(ctx context.Context, followerID, targetID int64, uri string, forceRequest bool) (accepted bool, err error) {
	target, err := s.Account(ctx, targetID)
	if err != nil {
		return false, err
	}
	if !target.Local() {
		return false, herr.Unprocessable("follow target is not local")
	}
	answer := func(kind string) []model.OutboxEvent {
		return []model.OutboxEvent{{Kind: kind, AccountID: target.ID, ObjectID: followerID,
			Payload: payload(map[string]any{"uri": uri, "follower_id": followerID})}}
	}
	defer func() {
		if err == nil {
			s.kick()
			s.notify(ChangeNotification, target.ID, 0)
		}
	}()
	blocked, err := s.store.IsBlockedEitherWay(ctx, followerID, target.ID)
	if err != nil {
		return false, herr.Internal(err)
	}
	if !blocked {
		// A domain the target blocks may not follow them (as Mastodon).
		rel, err := s.store.ViewerRelations(ctx, target.ID, []int64{followerID})
		if err != nil {
			return false, herr.Internal(err)
		}
		blocked = rel.DomainBlocked[followerID]
	}
	if blocked {
		if err := s.store.QueueEvents(ctx, answer(model.EventFollowReject)); err != nil {
			return false, herr.Internal(err)
		}
		return false, nil
	}
	f := &model.Follow{AccountID: followerID, TargetID: target.ID, URI: uri, ShowReblogs: true}
	existing, err := s.store.FollowBetween(ctx, followerID, target.ID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return false, herr.Internal(err)
	}
	if existing != nil || (!target.Locked && !forceRequest) {
		if existing != nil {
			f.ShowReblogs, f.Notify = existing.ShowReblogs, existing.Notify
		}
		if err := s.store.Follow(ctx, f, answer(model.EventFollowAccept)); err != nil {
			return false, herr.Internal(err)
		}
		return true, nil
	}
	if err := s.store.RequestFollow(ctx, f, nil); err != nil {
		return false, herr.Internal(err)
	}
	return false, nil
}

// RemoteUnfollow handles a remote actor's Undo Follow.
func (s *Service) RemoteUnfollow(ctx context.Context, followerID, targetID int64) error {
	if _, err := s.store.Unfollow(ctx, followerID, targetID, nil); err != nil {
		return herr.Internal(err)
	}
	return nil
}

// FollowAccepted turns a local account's pending request to a remote one
// into a follow, when the remote Accept arrives.
func (s *Service) FollowAccepted(ctx context.Context, followerID, targetID int64) error {
	_, err := s.store.AuthorizeFollowRequest(ctx, followerID, targetID, nil)
	if errors.Is(err, storage.ErrNotFound) {
		if _, ferr := s.store.FollowBetween(ctx, followerID, targetID); ferr == nil {
			return nil // already following: a repeated Accept
		}
		return herr.NotFound("follow request")
	}
	if err != nil {
		return herr.Internal(err)
	}
	return nil
}

// FollowRejected handles a remote Reject of a local account's request,
// or of its existing follow (the remote account removed a follower).
func (s *Service) FollowRejected(ctx context.Context, followerID, targetID int64) error {
	_, err := s.store.RejectFollowRequest(ctx, followerID, targetID, nil)
	if errors.Is(err, storage.ErrNotFound) {
		if _, err := s.store.Unfollow(ctx, followerID, targetID, nil); err != nil {
			return herr.Internal(err)
		}
		return nil
	}
	if err != nil {
		return herr.Internal(err)
	}
	return nil
}

// RemoteBlock handles a remote actor's Block of a local account: follows
// both ways end and the block is recorded (blocked_by).
func (s *Service) RemoteBlock(ctx context.Context, actorID, targetID int64) error {
	if err := s.store.Block(ctx, actorID, targetID, "", nil); err != nil {
		return herr.Internal(err)
	}
	return nil
}

// RemoteUnblock handles a remote actor's Undo Block.
func (s *Service) RemoteUnblock(ctx context.Context, actorID, targetID int64) error {
	if err := s.store.Unblock(ctx, actorID, targetID, nil); err != nil {
		return herr.Internal(err)
	}
	return nil
}
