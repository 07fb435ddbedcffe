package core

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// The streaming API's rules: which streams a caller may open, and who may
// receive a status. The api package renders and the stream hub delivers.

// Stream names, as Mastodon's.
const (
	StreamUser             = "user"
	StreamUserNotification = "user:notification"
	StreamPublic           = "public"
	StreamPublicLocal      = "public:local"
	StreamPublicRemote     = "public:remote"
	StreamHashtag          = "hashtag"
	StreamHashtagLocal     = "hashtag:local"
	StreamList             = "list"
	StreamDirect           = "direct"
)

// StreamSpec is a stream a caller may open.
type StreamSpec struct {
	Name   string // one of the Stream* names (":media" variants keep it)
	Media  bool
	Tag    string // hashtag streams: normalised tag
	ListID int64
}

// ResolveStream checks that the caller may open a stream (a user token
// with the right scope; a list of their own) and normalises it.
func (s *Service) ResolveStream(ctx context.Context, c *Caller, name, tag, list string) (StreamSpec, error) {
	if c == nil || c.Account == nil {
		return StreamSpec{}, herr.Unauthorized("Error connecting to the streaming server: a user token is required")
	}
	spec := StreamSpec{Name: name}
	if base, ok := strings.CutSuffix(name, ":media"); ok && strings.HasPrefix(base, "public") {
		spec.Name, spec.Media = base, true
	}
	scope := "read:statuses"
	switch spec.Name {
	case StreamUser, StreamPublic, StreamPublicLocal, StreamPublicRemote, StreamDirect:
	case StreamUserNotification:
		scope = "read:notifications"
	case StreamHashtag, StreamHashtagLocal:
		spec.Tag = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(tag), "#"))
		if spec.Tag == "" {
			return StreamSpec{}, herr.BadRequest("No tag for stream provided")
		}
	case StreamList:
		id, err := strconv.ParseInt(strings.TrimSpace(list), 10, 64)
		if err != nil || id <= 0 {
			return StreamSpec{}, herr.BadRequest("No list id for stream provided")
		}
		owner, err := s.store.TimelineListOwner(ctx, id)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && owner != c.Account.ID) {
			return StreamSpec{}, herr.NotFound("list")
		}
		if err != nil {
			return StreamSpec{}, herr.Internal(err)
		}
		spec.ListID = id
	default:
		return StreamSpec{}, herr.BadRequest("Unknown stream type")
	}
	if !c.Allows(scope) {
		return StreamSpec{}, herr.Forbidden("Access token does not have the required scopes")
	}
	if spec.Name == StreamDirect && !c.seesDirect() {
		return StreamSpec{}, herr.Forbidden("This action is outside the permissions of your access to this account")
	}
	return spec, nil
}

// StatusAudience is who may receive a status on the streaming API. Every
// list already went through CanSee for the account it names.
type StatusAudience struct {
	Status   *model.Status
	Original *model.Status // the boosted status, nil for a post
	// View renders the status for any signed-in viewer who did nothing to
	// it (ViewerID -1: no flags, no application).
	View *StatusView
	// Home: local accounts whose home feed holds the status.
	Home []int64
	// Lists whose feed it enters.
	Lists []storage.ListRef
	// Public: it goes to the public streams (public posts, not boosts);
	// Local tells local from remote.
	Public, Local bool
	Tags          []string
	// Hidden: accounts that must not get it on public and hashtag streams
	// (blocks either way, mutes of an author).
	Hidden map[int64]bool
	// Direct: local participants of a direct post (conversation events).
	Direct []int64
	// Personal: accounts that need their own rendering (the author, who
	// sees the application; accounts that favourited, boosted, bookmarked
	// or pinned it).
	Personal map[int64]bool
}

// DirectOnly reports whether only callers that SeesDirect may receive
// the status (a direct message: a member acting for the account without
// DelegationDirect must not get it on the account's streams).
func (a *StatusAudience) DirectOnly() bool {
	return a.Status.Visibility == model.Direct || (a.Original != nil && a.Original.Visibility == model.Direct)
}

// sharedViewer is the ViewerID of the shared rendering: a signed-in
// viewer that is nobody.
const sharedViewer = -1

// StatusAudience works out who may receive a status that was just
// created or edited. It answers nil (and no error) for a status that is
// gone or whose author is suspended.
func (s *Service) StatusAudience(ctx context.Context, statusID int64) (*StatusAudience, error) {
	st, err := s.store.StatusByID(ctx, statusID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	aud := &StatusAudience{Status: st}
	sts := []*model.Status{st}
	authorIDs := []int64{st.AccountID}
	if st.ReblogOfID != 0 {
		orig, err := s.store.StatusByID(ctx, st.ReblogOfID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, herr.Internal(err)
		}
		aud.Original = orig
		sts = append(sts, orig)
		authorIDs = append(authorIDs, orig.AccountID)
	}
	// Render as the author, who sees it all; then strip what is personal.
	v, err := s.View(ctx, st.AccountID, []*model.Status{st}, ViewOptions{})
	if err != nil {
		return nil, err
	}
	if !v.Has(st.ID) {
		return nil, nil
	}
	shared := *v
	shared.ViewerID = sharedViewer
	shared.Flags = map[int64]storage.StatusFlags{}
	shared.Filtered = nil // the author's filters are not the audience's
	aud.View = &shared
	author := v.Accounts[st.AccountID]
	aud.Hidden, err = s.store.StreamExclusions(ctx, authorIDs)
	if err != nil {
		return nil, herr.Internal(err)
	}
	// rel builds what CanSee needs for a viewer from the batched sets.
	var follows map[int64]map[int64]bool
	canSee := func(viewer int64) bool {
		if viewer == st.AccountID {
			return true
		}
		for _, x := range sts {
			if viewer == x.AccountID {
				continue
			}
			rel := &storage.ViewerRelations{Following: map[int64]bool{x.AccountID: follows[x.AccountID][viewer]},
				Blocked: map[int64]bool{x.AccountID: aud.Hidden[viewer]}}
			if !CanSee(viewer, x, v.Accounts[x.AccountID], rel) {
				return false
			}
		}
		return true
	}
	home, err := s.store.HomeFeedAccounts(ctx, st.ID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	var direct []int64
	if st.Visibility == model.Direct && st.ReblogOfID == 0 {
		if author != nil && author.Local() {
			direct = append(direct, st.AccountID)
		}
		direct = append(direct, st.MentionIDs...)
	}
	follows = map[int64]map[int64]bool{}
	candidates := append(append([]int64{}, home...), direct...)
	for _, x := range sts {
		if x.Visibility == model.Private {
			f, err := s.store.FollowersAmong(ctx, x.AccountID, candidates)
			if err != nil {
				return nil, herr.Internal(err)
			}
			follows[x.AccountID] = f
		}
	}
	// As Mastodon's, a direct message goes to the user stream of its
	// author and of the mentioned accounts that follow the author only
	// (the others have a notification and a conversation).
	var dmFollowers map[int64]bool
	isDM := st.Visibility == model.Direct && st.ReblogOfID == 0
	if isDM {
		if dmFollowers, err = s.store.FollowersAmong(ctx, st.AccountID, home); err != nil {
			return nil, herr.Internal(err)
		}
	}
	for _, a := range home {
		if isDM && a != st.AccountID && !dmFollowers[a] {
			continue
		}
		if canSee(a) {
			aud.Home = append(aud.Home, a)
		}
	}
	if len(direct) > 0 {
		locals, err := s.store.AccountsByIDs(ctx, direct)
		if err != nil {
			return nil, herr.Internal(err)
		}
		for _, a := range direct {
			if acc := locals[a]; acc != nil && acc.Local() && canSee(a) && !slices.Contains(aud.Direct, a) {
				aud.Direct = append(aud.Direct, a)
			}
		}
	}
	// Lists: the lists of local accounts that hold the author (or the
	// booster) and whose owner got the status.
	if len(aud.Home) > 0 {
		refs, err := s.store.ListsWithMember(ctx, st.AccountID)
		if err != nil {
			return nil, herr.Internal(err)
		}
		for _, r := range refs {
			if slices.Contains(aud.Home, r.OwnerID) {
				aud.Lists = append(aud.Lists, r)
			}
		}
	}
	if st.Visibility == model.Public && st.ReblogOfID == 0 && author != nil {
		aud.Public, aud.Local, aud.Tags = true, author.Local(), st.Tags
	}
	aud.Personal, err = s.store.StatusInteractors(ctx, []int64{st.ID, st.ReblogOfID})
	if err != nil {
		return nil, herr.Internal(err)
	}
	for _, x := range sts {
		aud.Personal[x.AccountID] = true
	}
	return aud, nil
}

// StatusViewFor is View of one status for one viewer (a personal
// rendering of a streamed status).
func (s *Service) StatusViewFor(ctx context.Context, viewerID int64, st *model.Status) (*StatusView, error) {
	return s.View(ctx, viewerID, []*model.Status{st}, ViewOptions{})
}

// NotificationFor loads one notification for its recipient as a page
// ready to render; nil when it may not be shown (status gone or hidden,
// sender suspended).
func (s *Service) NotificationFor(ctx context.Context, n *model.Notification) (*NotificationPage, error) {
	acc, err := s.store.AccountByID(ctx, n.AccountID)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, nil
		}
		return nil, herr.Internal(err)
	}
	page, err := s.notificationPage(ctx, &Caller{Account: acc}, []*model.Notification{n})
	if err != nil || len(page.Notifications) == 0 {
		return nil, err
	}
	return page, nil
}
