package core

import (
	"context"
	"errors"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Timeline is a page ready to render. Newest and Oldest are the cursors of
// the page as read from the store, before visibility filtering, so that
// paging goes on past statuses the viewer may not see.
type Timeline struct {
	View           *StatusView
	Newest, Oldest int64
}

func (s *Service) timeline(ctx context.Context, viewerID int64, sts []*model.Status, err error) (*Timeline, error) {
	return s.timelineIn(ctx, "", viewerID, sts, err)
}

// timelineIn is timeline in a filter context (ViewOptions.Context).
func (s *Service) timelineIn(ctx context.Context, filterContext string, viewerID int64, sts []*model.Status, err error) (*Timeline, error) {
	if err != nil {
		return nil, herr.Internal(err)
	}
	return s.timelineWithIn(ctx, filterContext, viewerID, sts, cursorsOf(sts))
}

func cursorsOf(sts []*model.Status) []int64 {
	out := make([]int64, len(sts))
	for i, st := range sts {
		out[i] = st.ID
	}
	return out
}

func (s *Service) timelineWith(ctx context.Context, viewerID int64, sts []*model.Status, cursors []int64) (*Timeline, error) {
	return s.timelineWithIn(ctx, "", viewerID, sts, cursors)
}

func (s *Service) timelineWithIn(ctx context.Context, filterContext string, viewerID int64, sts []*model.Status, cursors []int64) (*Timeline, error) {
	v, err := s.View(ctx, viewerID, sts, ViewOptions{HideMuted: true, Context: filterContext})
	if err != nil {
		return nil, err
	}
	t := &Timeline{View: v}
	if len(cursors) > 0 {
		t.Newest, t.Oldest = cursors[0], cursors[len(cursors)-1]
	}
	return t, nil
}

// HomeTimeline is the caller's home feed.
func (s *Service) HomeTimeline(ctx context.Context, c *Caller, p model.Page) (*Timeline, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	sts, err := s.store.HomeTimeline(ctx, c.Account.ID, p)
	t, err := s.timelineIn(ctx, "home", c.Account.ID, sts, err)
	if err != nil {
		return nil, err
	}
	return dropDirect(c, t)
}

// PublicTimeline is the local or federated timeline.
func (s *Service) PublicTimeline(ctx context.Context, c *Caller, localOnly, remoteOnly, onlyMedia bool, p model.Page) (*Timeline, error) {
	if onlyMedia {
		sts, err := s.store.PublicMediaTimeline(ctx, localOnly, remoteOnly, p)
		return s.timeline(ctx, c.AccountID(), sts, err)
	}
	sts, err := s.store.PublicTimeline(ctx, localOnly, remoteOnly, p)
	return s.timelineIn(ctx, "public", c.AccountID(), sts, err)
}

// TagTimeline is the public statuses with hashtags.
func (s *Service) TagTimeline(ctx context.Context, c *Caller, q storage.TagQuery, onlyMedia bool, p model.Page) (*Timeline, error) {
	q.OnlyMedia = onlyMedia
	sts, err := s.store.TagsTimeline(ctx, q, p)
	return s.timelineIn(ctx, "public", c.AccountID(), sts, err)
}

// ListTimeline is one of the caller's lists.
func (s *Service) ListTimeline(ctx context.Context, c *Caller, listID int64, p model.Page) (*Timeline, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	owner, err := s.store.TimelineListOwner(ctx, listID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && owner != c.Account.ID) {
		return nil, herr.NotFound("list")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	sts, err := s.store.ListTimeline(ctx, listID, p)
	t, err := s.timelineIn(ctx, "home", c.Account.ID, sts, err)
	if err != nil {
		return nil, err
	}
	return dropDirect(c, t)
}

// DirectTimeline is the caller's direct statuses.
func (s *Service) DirectTimeline(ctx context.Context, c *Caller, p model.Page) (*Timeline, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	if err := c.mayAct(DelegationDirect); err != nil {
		return nil, err
	}
	sts, err := s.store.DirectTimeline(ctx, c.Account.ID, p)
	return s.timeline(ctx, c.Account.ID, sts, err)
}

// AccountStatuses lists an account's statuses that the caller may see.
func (s *Service) AccountStatuses(ctx context.Context, c *Caller, accountID int64, f storage.AccountStatusFilter, p model.Page) (*Timeline, error) {
	t, err := s.accountStatuses(ctx, c.AccountID(), accountID, f, p, ViewOptions{Context: "account"})
	if err != nil {
		return nil, err
	}
	return dropDirect(c, t)
}

// accountStatuses lists an account's statuses that viewer (0: anonymous)
// may see: the profile, and the outbox and featured collections served to
// other servers (SignerAccountStatuses).
func (s *Service) accountStatuses(ctx context.Context, viewer, accountID int64, f storage.AccountStatusFilter, p model.Page, o ViewOptions) (*Timeline, error) {
	acc, err := s.Account(ctx, accountID)
	if err != nil {
		return nil, err
	}
	rel, err := s.store.ViewerRelations(ctx, viewer, []int64{acc.ID})
	if err != nil {
		return nil, herr.Internal(err)
	}
	if viewer != acc.ID && rel.Blocked[acc.ID] {
		return &Timeline{View: &StatusView{}}, nil
	}
	sts, err := s.store.AccountStatuses(ctx, acc.ID, maxVisibilityFor(viewer, acc.ID, rel), f, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	v, err := s.View(ctx, viewer, sts, o)
	if err != nil {
		return nil, err
	}
	t := &Timeline{View: v}
	if len(sts) > 0 {
		t.Newest, t.Oldest = sts[0].ID, sts[len(sts)-1].ID
	}
	return t, nil
}

// Favourites is the caller's favourited statuses; cursors are favourite ids.
func (s *Service) Favourites(ctx context.Context, c *Caller, p model.Page) (*Timeline, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	sts, cursors, err := s.store.Favourites(ctx, c.Account.ID, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return s.timelineWith(ctx, c.Account.ID, sts, cursors)
}

// Bookmarks is the caller's bookmarked statuses; cursors are bookmark ids.
func (s *Service) Bookmarks(ctx context.Context, c *Caller, p model.Page) (*Timeline, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	sts, cursors, err := s.store.Bookmarks(ctx, c.Account.ID, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return s.timelineWith(ctx, c.Account.ID, sts, cursors)
}
