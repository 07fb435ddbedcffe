package core

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Grouped notifications (Mastodon 4.3, /api/v2/notifications): favourites
// and boosts of one status, and follows, received within one time bucket
// share a group key; every other notification is its own group
// ("ungrouped-<id>"). Keys are computed, not stored: type, status and
// bucket select the group's notifications again.

// GroupableTypes are grouped unless the client restricts grouped_types.
var GroupableTypes = []string{model.NotifyFavourite, model.NotifyReblog, model.NotifyFollow}

// GroupSpan is the time bucket of a group.
const GroupSpan = 12 * time.Hour

// MaxSampleAccounts is how many senders a group lists.
const MaxSampleAccounts = 8

// GroupKey is a notification's group key when its type is grouped.
func GroupKey(n *model.Notification, grouped []string) string {
	if !slices.Contains(GroupableTypes, n.Type) || (grouped != nil && !slices.Contains(grouped, n.Type)) {
		return "ungrouped-" + strconv.FormatInt(n.ID, 10)
	}
	bucket := strconv.FormatInt(n.CreatedAt.Unix()/int64(GroupSpan/time.Second), 10)
	if n.Type == model.NotifyFollow {
		return n.Type + "-" + bucket
	}
	return n.Type + "-" + strconv.FormatInt(n.StatusID, 10) + "-" + bucket
}

// ParseGroupKey reads a group key back into what selects its notifications.
func ParseGroupKey(key string) (storage.NotificationGroupKey, bool) {
	var g storage.NotificationGroupKey
	if rest, ok := strings.CutPrefix(key, "ungrouped-"); ok {
		id, err := strconv.ParseInt(rest, 10, 64)
		g.ID = id
		return g, err == nil && id > 0
	}
	parts := strings.Split(key, "-")
	var bucket string
	switch {
	case len(parts) == 2 && parts[0] == model.NotifyFollow:
		g.Type, bucket = parts[0], parts[1]
	case len(parts) == 3 && (parts[0] == model.NotifyFavourite || parts[0] == model.NotifyReblog):
		g.Type, bucket = parts[0], parts[2]
		id, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil || id <= 0 {
			return g, false
		}
		g.StatusID = id
	default:
		return g, false
	}
	b, err := strconv.ParseInt(bucket, 10, 64)
	if err != nil || b < 0 {
		return g, false
	}
	span := int64(GroupSpan / time.Second)
	g.From, g.To = time.Unix(b*span, 0), time.Unix((b+1)*span, 0)
	return g, true
}

// NotificationGroup is one group of a page.
type NotificationGroup struct {
	Key              string
	Type             string
	Count            int64
	MostRecentID     int64
	PageMinID        int64
	PageMaxID        int64
	LatestAt         time.Time
	SampleAccountIDs []int64
	StatusID         int64
}

// GroupedPage is a page of groups ready to render.
type GroupedPage struct {
	Groups         []NotificationGroup
	Page           *NotificationPage // the notifications read, with accounts and statuses
	Newest, Oldest int64             // cursors (notification ids)
}

// GroupedNotifications pages the caller's notifications into groups; up
// to limit groups from up to 3×limit notifications.
func (s *NotificationService) GroupedNotifications(ctx context.Context, c *Caller, f storage.NotificationFilter, grouped []string, p model.Page) (*GroupedPage, error) {
	limit := p.Limit
	p.Limit = min(limit*3, 240)
	np, err := s.Notifications(ctx, c, f, p)
	if err != nil {
		return nil, err
	}
	ns := np.Notifications
	if p.MinID > 0 {
		// Paging forward: keep the groups nearest min_id.
		slices.Reverse(ns)
	}
	out := &GroupedPage{Page: np}
	index := map[string]int{}
	var used []*model.Notification
	for _, n := range ns {
		key := GroupKey(n, grouped)
		i, ok := index[key]
		if !ok {
			if len(out.Groups) == limit {
				break
			}
			i = len(out.Groups)
			index[key] = i
			out.Groups = append(out.Groups, NotificationGroup{Key: key, Type: n.Type, StatusID: n.StatusID,
				MostRecentID: n.ID, PageMinID: n.ID, PageMaxID: n.ID, LatestAt: n.CreatedAt})
		}
		g := &out.Groups[i]
		g.Count++
		g.PageMinID, g.PageMaxID = min(g.PageMinID, n.ID), max(g.PageMaxID, n.ID)
		if n.ID > g.MostRecentID {
			g.MostRecentID, g.LatestAt = n.ID, n.CreatedAt
		}
		if len(g.SampleAccountIDs) < MaxSampleAccounts && !slices.Contains(g.SampleAccountIDs, n.FromAccountID) {
			g.SampleAccountIDs = append(g.SampleAccountIDs, n.FromAccountID)
		}
		used = append(used, n)
	}
	if p.MinID > 0 {
		slices.Reverse(out.Groups)
		slices.Reverse(used)
	}
	if len(used) > 0 {
		out.Newest, out.Oldest = used[0].ID, used[len(used)-1].ID
	} else {
		out.Newest, out.Oldest = np.Newest, np.Oldest
	}
	// Whole-group counts.
	sc, err := s.notificationScreen(ctx, c)
	if err != nil {
		return nil, err
	}
	for i := range out.Groups {
		g := &out.Groups[i]
		if gk, ok := ParseGroupKey(g.Key); ok && gk.ID == 0 {
			if n, err := s.store.CountNotificationGroup(ctx, c.Account.ID, gk, sc); err == nil && n > g.Count {
				g.Count = n
			}
		}
	}
	return out, nil
}

// NotificationGroupByKey returns one group with up to 80 of its
// notifications (newest first).
func (s *NotificationService) NotificationGroupByKey(ctx context.Context, c *Caller, key string) (*GroupedPage, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	gk, ok := ParseGroupKey(key)
	if !ok {
		return nil, herr.NotFound("notification group")
	}
	sc, err := s.notificationScreen(ctx, c)
	if err != nil {
		return nil, err
	}
	ns, err := s.store.NotificationGroup(ctx, c.Account.ID, gk, 80, sc)
	if err != nil {
		return nil, herr.Internal(err)
	}
	np, err := s.notificationPage(ctx, c, ns)
	if err != nil {
		return nil, err
	}
	if len(np.Notifications) == 0 {
		return nil, herr.NotFound("notification group")
	}
	out := &GroupedPage{Page: np, Newest: np.Newest, Oldest: np.Oldest}
	first := np.Notifications[0]
	g := NotificationGroup{Key: key, Type: first.Type, StatusID: first.StatusID, MostRecentID: first.ID,
		PageMaxID: first.ID, PageMinID: first.ID, LatestAt: first.CreatedAt}
	for _, n := range np.Notifications {
		g.Count++
		g.PageMinID = min(g.PageMinID, n.ID)
		if len(g.SampleAccountIDs) < MaxSampleAccounts && !slices.Contains(g.SampleAccountIDs, n.FromAccountID) {
			g.SampleAccountIDs = append(g.SampleAccountIDs, n.FromAccountID)
		}
	}
	if gk.ID == 0 {
		if n, err := s.store.CountNotificationGroup(ctx, c.Account.ID, gk, sc); err == nil && n > g.Count {
			g.Count = n
		}
	}
	out.Groups = []NotificationGroup{g}
	return out, nil
}

// NotificationGroupAccounts lists the senders of a group, newest first.
func (s *NotificationService) NotificationGroupAccounts(ctx context.Context, c *Caller, key string) ([]*model.Account, error) {
	gp, err := s.NotificationGroupByKey(ctx, c, key)
	if err != nil {
		return nil, err
	}
	var out []*model.Account
	seen := map[int64]bool{}
	for _, n := range gp.Page.Notifications {
		if acc := gp.Page.Accounts[n.FromAccountID]; acc != nil && !seen[acc.ID] {
			seen[acc.ID] = true
			out = append(out, acc)
		}
	}
	return out, nil
}

// DismissNotificationGroup deletes every notification of a group.
func (s *NotificationService) DismissNotificationGroup(ctx context.Context, c *Caller, key string) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	gk, ok := ParseGroupKey(key)
	if !ok {
		return herr.NotFound("notification group")
	}
	if _, err := s.store.DismissNotificationGroup(ctx, c.Account.ID, gk); err != nil {
		return herr.Internal(err)
	}
	return nil
}

// UnreadNotificationGroups counts the groups among the caller's unread
// notifications (up to limit notifications).
func (s *NotificationService) UnreadNotificationGroups(ctx context.Context, c *Caller, f storage.NotificationFilter, grouped []string, limit int) (int64, error) {
	if err := s.requireUser(c); err != nil {
		return 0, err
	}
	last, err := s.store.NotificationsReadMarker(ctx, c.Account.ID)
	if err != nil {
		return 0, herr.Internal(err)
	}
	np, err := s.Notifications(ctx, c, f, model.Page{SinceID: last, Limit: limit})
	if err != nil {
		return 0, err
	}
	keys := map[string]bool{}
	for _, n := range np.Notifications {
		keys[GroupKey(n, grouped)] = true
	}
	return int64(len(keys)), nil
}

// NotificationPolicyValues are what a policy says of a case.
var NotificationPolicyValues = []string{"accept", "filter", "drop"}

// NotificationPolicy returns the caller's policy.
func (s *NotificationService) NotificationPolicy(ctx context.Context, c *Caller) (*storage.NotificationPolicy, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	p, err := s.store.NotificationPolicy(ctx, c.Account.ID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return p, nil
}

// PolicyUpdate changes a policy; nil fields stay.
type PolicyUpdate struct {
	ForNotFollowing, ForNotFollowers, ForNewAccounts, ForPrivateMentions, ForLimitedAccounts *string
}

// UpdateNotificationPolicy validates and stores a policy change.
func (s *NotificationService) UpdateNotificationPolicy(ctx context.Context, c *Caller, u PolicyUpdate) (*storage.NotificationPolicy, error) {
	p, err := s.NotificationPolicy(ctx, c)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		in  *string
		out *string
	}{{u.ForNotFollowing, &p.ForNotFollowing}, {u.ForNotFollowers, &p.ForNotFollowers}, {u.ForNewAccounts, &p.ForNewAccounts},
		{u.ForPrivateMentions, &p.ForPrivateMentions}, {u.ForLimitedAccounts, &p.ForLimitedAccounts}} {
		if f.in == nil {
			continue
		}
		if !slices.Contains(NotificationPolicyValues, *f.in) {
			return nil, herr.Unprocessable("Validation failed: Policy value must be accept, filter or drop")
		}
		*f.out = *f.in
	}
	if err := s.store.SetNotificationPolicy(ctx, p); err != nil {
		return nil, herr.Internal(err)
	}
	return p, nil
}
