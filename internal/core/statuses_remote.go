package core

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/text"
	"github.com/herald-social/herald/storage"
)

// The federation engine calls these for remote activity. They queue no
// outbox events (nothing of ours to federate) and trust that the engine
// checked the actor's signature; they do check that the actor owns what it
// changes.

// remoteID gives a remote object a time-sortable id from its published
// date, never in the future.
func remoteID(published time.Time) (int64, time.Time) {
	now := time.Now().UTC()
	if published.IsZero() || published.After(now) {
		published = now
	}
	return id.At(published), published.UTC()
}

// IngestRemoteStatus stores a remote status (Create, or a fetch) with its
// mentions and tags: home feeds of local followers, notifications of the
// mentioned local accounts. Content is sanitised here whatever the caller
// did. A status whose URI is known is returned as stored.
func (s *FederationService) IngestRemoteStatus(ctx context.Context, st *model.Status, mentionIDs []int64, tags []string) (*model.Status, error) {
	return s.IngestRequestedStatus(ctx, st, mentionIDs, tags, "")
}

// IngestRequestedStatus is IngestRemoteStatus for a reply that came in a
// ReplyRequest (requestURI its id; "" for a Create): a reply to a local
// post that its policy does not approve automatically is held for the
// author (an interaction request), not shown; one approved only because
// its author follows ours is announced with an Accept, which the replying
// server waits for.
func (s *FederationService) IngestRequestedStatus(ctx context.Context, st *model.Status, mentionIDs []int64, tags []string, requestURI string) (*model.Status, error) {
	return s.IngestRemotePost(ctx, RemotePost{Status: st, MentionIDs: mentionIDs, Tags: tags, RequestURI: requestURI})
}

// RemotePost is a remote post as the federation engine read it: the
// status, who it mentions, its tags, its poll and attachments, and the
// ReplyRequest it came in ("" for a Create or a fetch).
type RemotePost struct {
	Status      *model.Status
	MentionIDs  []int64
	Tags        []string
	RequestURI  string
	Poll        *model.Poll
	Attachments []RemoteAttachment
}

// IngestRemotePost is IngestRequestedStatus with the post's poll and
// attachments, all stored in the status's own transaction: no reader sees
// the post without them, and an edit that follows can never be overtaken
// by a later step of this one. The attachments' files are fetched into
// the cache in the background (jobs queued with the post).
func (s *FederationService) IngestRemotePost(ctx context.Context, p RemotePost) (*model.Status, error) {
	st, mentionIDs, tags, requestURI := p.Status, p.MentionIDs, p.Tags, p.RequestURI
	if st.URI == "" || st.AccountID == 0 {
		return nil, herr.BadRequest("status without id or author")
	}
	st.Local = false
	st.Text = ""
	st.Content = text.SanitizeRemote(st.Content)
	st.SpoilerText = text.PlainText(st.SpoilerText)
	st.ID, st.CreatedAt = remoteID(st.CreatedAt)
	var parent *model.Status
	var err error
	if st.InReplyToID != 0 {
		parent, err = s.store.StatusByID(ctx, st.InReplyToID)
	} else if st.InReplyToURI != "" {
		parent, err = s.store.StatusByURI(ctx, st.InReplyToURI)
	}
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, herr.Internal(err)
	}
	var request *model.InteractionRequest
	var events []model.OutboxEvent
	if parent != nil {
		st.InReplyToID, st.InReplyToAccountID = parent.ID, parent.AccountID
		// A reply to a local post its author may not see is dropped. Only
		// local posts: who may see a remote one (its author's followers)
		// is known only to its own server.
		if parent.PendingApproval {
			// A reply to a held reply would show a thread that is not
			// shown yet (GoToSocial holds such replies too).
			return nil, herr.Forbidden("a reply to a post waiting for approval")
		}
		if parent.Local {
			if err := s.remoteMaySee(ctx, st.AccountID, parent); err != nil {
				return nil, err
			}
			request, events, err = s.judgeRemoteReply(ctx, st, parent, requestURI)
			if err != nil {
				return nil, err
			}
		}
	}
	var norm []string
	for _, t := range tags {
		if t = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(t), "#")); t != "" {
			norm = append(norm, t)
		}
	}
	if forced, err := s.sensitized(ctx, st.AccountID); err != nil {
		return nil, err
	} else if forced {
		st.Sensitive = true
	}
	n := storage.NewStatus{Status: st, MentionIDs: mentionIDs, Tags: norm, Request: request, Events: events}
	var rejected bool
	if len(p.Attachments) > 0 {
		author, err := s.store.AccountByID(ctx, st.AccountID)
		if err != nil {
			return nil, storeErr(err)
		}
		n.RemoteMedia, rejected = s.remoteMediaRows(author, st.CreatedAt, p.Attachments)
		var ids []int64
		for _, m := range n.RemoteMedia {
			ids = append(ids, m.ID)
		}
		n.Jobs = append(n.Jobs, s.remoteMediaJobs(n.RemoteMedia, rejected, ids)...)
	}
	if p.Poll != nil {
		p.Poll.StatusID = st.ID
		n.Poll = p.Poll
		if e := p.Poll.ExpiresAt; e != nil && p.Poll.ClosedAt == nil && e.After(s.Now()) && s.Jobs != nil {
			n.Jobs = append(n.Jobs, pollExpireJob(st.ID, *e)) // to tell the local voters
		}
	}
	out, existed, err := s.store.CreateStatus(ctx, n)
	if err != nil {
		return nil, herr.Internal(err)
	}
	if !existed {
		if len(events) > 0 {
			s.kick()
		}
		if len(n.Jobs) > 0 {
			s.Jobs.Wake(JobMediaAttachment)
			s.Jobs.Wake(JobPollExpire)
		}
		if e := p.Poll; e != nil && e.ExpiresAt != nil && e.ClosedAt == nil && !e.ExpiresAt.After(s.Now()) {
			// It ended already (its server says it closed): end it here.
			if err := s.expirePoll(ctx, out.ID); err != nil {
				return nil, herr.Internal(err)
			}
		}
		s.statusReleased(ctx, out)
	}
	return out, nil
}

// sensitized reports whether moderators forced the account's posts
// sensitive (the admin "sensitive" action, Mastodon's sensitize): its new
// posts and edits are marked sensitive whatever they say, as Mastodon does
// for local and remote posts alike.
func (s *FederationService) sensitized(ctx context.Context, accountID int64) (bool, error) {
	forced, err := s.store.AccountSensitized(ctx, accountID)
	if err != nil {
		return false, herr.Internal(err)
	}
	return forced, nil
}

// remoteOwned loads a status by URI and checks that actorID wrote it.
func (s *FederationService) remoteOwned(ctx context.Context, actorID int64, uri string) (*model.Status, error) {
	st, err := s.store.StatusByURI(ctx, uri)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("status")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	if st.AccountID != actorID {
		return nil, herr.Forbidden("not the author")
	}
	return st, nil
}

// UpdateRemoteStatus applies a remote edit (Update{Note}) from its author
// that leaves its attachments and poll as they are. upd carries the new
// URI-identified content, spoiler, sensitivity, language and interaction
// policy.
func (s *FederationService) UpdateRemoteStatus(ctx context.Context, actorID int64, upd *model.Status, tags []string) (*model.Status, error) {
	return s.EditRemotePost(ctx, actorID, RemoteEdit{Status: upd, Tags: tags})
}

// RemoteEdit is a remote post's edit as the federation engine read it
// (EditRemotePost).
type RemoteEdit struct {
	Status *model.Status // URI, content, spoiler, sensitive, language, edited_at, policy
	Tags   []string
	// Poll, when not nil, is the post's poll now.
	Poll *model.Poll
	// SetMedia: Attachments are the post's attachments now (none: it has
	// none left); otherwise they stay as they are.
	SetMedia    bool
	Attachments []RemoteAttachment
}

// EditRemotePost applies a remote edit (Update) from its author: the
// status, its poll and its attachments in one transaction, the version
// it replaces kept in the history (attachments removed by the edit stay
// for it). Alt text and focus come from the edit even when a fetch of
// the files started by the post's Create ends later.
func (s *FederationService) EditRemotePost(ctx context.Context, actorID int64, e RemoteEdit) (*model.Status, error) {
	upd := e.Status
	st, err := s.remoteOwned(ctx, actorID, upd.URI)
	if err != nil {
		return nil, err
	}
	st.Content = text.SanitizeRemote(upd.Content)
	st.SpoilerText = text.PlainText(upd.SpoilerText)
	st.Sensitive = upd.Sensitive
	if forced, err := s.sensitized(ctx, st.AccountID); err != nil {
		return nil, err
	} else if forced {
		st.Sensitive = true
	}
	st.Policy = upd.Policy // what the post says now (none: open)
	if upd.Language != "" {
		st.Language = upd.Language
	}
	at := time.Now().UTC()
	if upd.EditedAt != nil && upd.EditedAt.Before(at) {
		at = upd.EditedAt.UTC()
	}
	st.EditedAt = &at
	edit := storage.RemoteEdit{Status: st, Tags: e.Tags, Poll: e.Poll}
	var rejected bool
	if e.SetMedia {
		author, err := s.store.AccountByID(ctx, st.AccountID)
		if err != nil {
			return nil, storeErr(err)
		}
		edit.Media, rejected = s.remoteMediaRows(author, st.CreatedAt, e.Attachments)
		edit.SetMedia = true
	}
	done, err := s.store.EditRemoteStatus(ctx, edit)
	if err != nil {
		return nil, herr.Internal(err)
	}
	// Cached in the background (without a job runtime, when first shown).
	if _, err := s.queueJobs(ctx, s.remoteMediaJobs(edit.Media, rejected, done.Uncached)...); err != nil {
		s.Log.Warn("media: queue attachment fetches", "status", st.ID, "err", err)
	}
	if p := done.Poll; p != nil && p.ExpiresAt != nil && p.ClosedAt == nil {
		if !p.ExpiresAt.After(s.Now()) {
			if err := s.expirePoll(ctx, st.ID); err != nil {
				return nil, herr.Internal(err)
			}
		} else if _, err := s.queueJobs(ctx, pollExpireJob(st.ID, *p.ExpiresAt)); err != nil {
			return nil, herr.Internal(err)
		}
	}
	s.notify(ChangeStatusEdited, st.AccountID, st.ID)
	return st, nil
}

// RemoteDeleteStatus deletes a remote status on its author's Delete.
func (s *FederationService) RemoteDeleteStatus(ctx context.Context, actorID int64, uri string) error {
	st, err := s.remoteOwned(ctx, actorID, uri)
	if err != nil {
		return err
	}
	if err := s.store.DeleteStatus(ctx, st.ID, nil); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return herr.Internal(err)
	}
	s.notify(ChangeStatusDeleted, st.AccountID, st.ID)
	return nil
}

// remoteMaySee checks a remote actor's interaction with a status (Like,
// Announce, reply) by the one visibility rule, with the actor as viewer:
// who may not see a post may not favourite, boost or answer it.
func (s *FederationService) remoteMaySee(ctx context.Context, actorID int64, st *model.Status) error {
	ok, err := s.CanSeeStatus(ctx, actorID, st)
	if err != nil {
		return err
	}
	if !ok {
		return herr.Forbidden("the actor may not see this status")
	}
	return nil
}

// RemoteFavourite records a remote Like of a status the actor may see;
// one the status's policy does not approve automatically waits for its
// author's answer.
func (s *FederationService) RemoteFavourite(ctx context.Context, actorID int64, st *model.Status, uri string) error {
	if err := s.remoteMaySee(ctx, actorID, st); err != nil {
		return err
	}
	held, err := s.judgeRemoteInteraction(ctx, model.InteractFavourite, actorID, st, uri, "", time.Now())
	if err != nil || held {
		return err
	}
	if err := s.store.Favourite(ctx, actorID, st.ID, uri, nil); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return herr.NotFound("status")
		}
		return herr.Internal(err)
	}
	s.notify(ChangeNotification, st.AccountID, st.ID)
	return nil
}

// RemoteUnfavourite undoes a remote Like.
func (s *FederationService) RemoteUnfavourite(ctx context.Context, actorID, statusID int64) error {
	if err := s.store.Unfavourite(ctx, actorID, statusID, nil); err != nil {
		return herr.Internal(err)
	}
	return nil
}

// RemoteUnfavouriteByURI undoes a remote Like named by its id (or
// withdraws it while it waits for approval).
func (s *FederationService) RemoteUnfavouriteByURI(ctx context.Context, actorID int64, likeURI string) error {
	if err := s.store.WithdrawInteraction(ctx, actorID, likeURI); err != nil {
		return herr.Internal(err)
	}
	acc, statusID, err := s.store.FavouriteByURI(ctx, likeURI)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return herr.Internal(err)
	}
	if acc != actorID {
		return herr.Forbidden("not the author")
	}
	return s.RemoteUnfavourite(ctx, actorID, statusID)
}

// RemoteReblog records a remote Announce of a status; uri is the Announce
// id. A boost of a local post that its policy does not approve
// automatically waits for the author's answer (nil boost).
func (s *FederationService) RemoteReblog(ctx context.Context, actorID int64, orig *model.Status, uri string, published time.Time) (*model.Status, error) {
	if orig.ReblogOfID != 0 {
		return nil, herr.BadRequest("cannot boost a boost")
	}
	// Only public and unlisted posts may be boosted (stricter than
	// Mastodon, which lets authors announce their own private posts), and
	// only by actors who may see them (not blocked).
	if orig.Visibility != model.Public && orig.Visibility != model.Unlisted {
		return nil, herr.Forbidden("status cannot be boosted")
	}
	if err := s.remoteMaySee(ctx, actorID, orig); err != nil {
		return nil, err
	}
	if orig.Local {
		held, err := s.judgeRemoteInteraction(ctx, model.InteractReblog, actorID, orig, uri, "", published)
		if err != nil || held {
			return nil, err
		}
	}
	boost := &model.Status{URI: uri, AccountID: actorID, ReblogOfID: orig.ID, Visibility: model.Public}
	boost.ID, boost.CreatedAt = remoteID(published)
	out, err := s.store.Reblog(ctx, boost, nil)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, herr.NotFound("status")
		}
		return nil, herr.Internal(err)
	}
	if out.ID == boost.ID {
		s.notify(ChangeStatusCreated, actorID, out.ID)
		s.notify(ChangeNotification, orig.AccountID, orig.ID)
	}
	return out, nil
}

// RemoteUndoReblog removes a remote boost on Undo{Announce} (or withdraws
// it while it waits for approval).
func (s *FederationService) RemoteUndoReblog(ctx context.Context, actorID int64, uri string) error {
	if err := s.store.WithdrawInteraction(ctx, actorID, uri); err != nil {
		return herr.Internal(err)
	}
	st, err := s.remoteOwned(ctx, actorID, uri)
	if err != nil {
		if he := herr.As(err); he.Status == 404 {
			return nil
		}
		return err
	}
	if st.ReblogOfID == 0 {
		return herr.BadRequest("not a boost")
	}
	if err := s.store.DeleteStatus(ctx, st.ID, nil); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return herr.Internal(err)
	}
	s.notify(ChangeStatusDeleted, actorID, st.ID)
	return nil
}

// ForwardTargets says where a remote author's Update or Delete of their
// status st is forwarded, as Mastodon's ActivityPub::Forwarder does (with
// quotes since Mastodon 4.5, PR #36390): to the remote followers of the
// local accounts that boosted or quote it, when it is public or unlisted,
// less the inboxes on the author's own server (which sent it). Those
// followers saw it through the boost or the quote and hold a copy that
// the author's server does not know of. signerID is the local account
// whose key signs the forward (the first of them); no inboxes: nothing to
// forward.
func (s *FederationService) ForwardTargets(ctx context.Context, st *model.Status) (signerID int64, inboxes []string, err error) {
	if st.Local || (st.Visibility != model.Public && st.Visibility != model.Unlisted) {
		return 0, nil, nil
	}
	author, err := s.store.AccountByID(ctx, st.AccountID)
	if err != nil {
		return 0, nil, storeErr(err)
	}
	sharers, all, err := s.store.SharerFollowerInboxes(ctx, st.ID)
	if err != nil {
		return 0, nil, herr.Internal(err)
	}
	for _, in := range all {
		if hostOf(in) != strings.ToLower(author.Domain) {
			inboxes = append(inboxes, in)
		}
	}
	if len(sharers) == 0 || len(inboxes) == 0 {
		return 0, nil, nil
	}
	return sharers[0], inboxes, nil
}
