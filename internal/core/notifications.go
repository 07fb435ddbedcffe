package core

import (
	"context"
	"errors"
	"slices"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// NotificationTypes are the types Herald writes, as Mastodon names them.
var NotificationTypes = []string{model.NotifyMention, model.NotifyStatus, model.NotifyReblog, model.NotifyFollow,
	model.NotifyFollowRequest, model.NotifyFavourite, model.NotifyUpdate, model.NotifyQuote, model.NotifyQuotedUpdate,
	NotifyAdminSignUp, NotifyAdminReport, NotifyModerationWarning}

// Notification types of moderation.
const (
	NotifyAdminSignUp       = "admin.sign_up"
	NotifyAdminReport       = "admin.report"
	NotifyModerationWarning = "moderation_warning"
)

// notificationNeedsStatus: these types are meaningless without their status.
func notificationNeedsStatus(typ string) bool {
	switch typ {
	case model.NotifyMention, model.NotifyStatus, model.NotifyReblog, model.NotifyFavourite, model.NotifyUpdate, model.NotifyQuote,
		model.NotifyQuotedUpdate:
		return true
	}
	return false
}

// NotificationPage is notifications ready to render.
type NotificationPage struct {
	Notifications  []*model.Notification
	Accounts       map[int64]*model.Account // senders
	Statuses       map[int64]*model.Status  // visible statuses by id
	View           *StatusView
	Newest, Oldest int64 // cursors of the page as read
	// What admin.report and moderation_warning notifications point at
	// (report targets and warned accounts are in Accounts).
	Reports  map[int64]*model.Report
	Warnings map[int64]*model.AccountWarning
	Appeals  map[int64]*model.Appeal // by warning
}

// DirectOnly reports whether the page shows a direct status: only
// callers that SeesDirect may receive it (a stream tells this way which of
// an account's connections may get it).
func (p *NotificationPage) DirectOnly() bool {
	for _, st := range p.Statuses {
		if st.Visibility == model.Direct {
			return true
		}
	}
	return false
}

// Notifications lists the caller's notifications.
func (s *NotificationService) Notifications(ctx context.Context, c *Caller, f storage.NotificationFilter, p model.Page) (*NotificationPage, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	f.Types = knownTypes(f.Types)
	if f.Types != nil && len(f.Types) == 0 {
		return &NotificationPage{View: &StatusView{}}, nil
	}
	f.ExcludeTypes = knownTypes(f.ExcludeTypes)
	var err error
	if f.Screen, err = s.notificationScreen(ctx, c); err != nil {
		return nil, err
	}
	ns, err := s.store.Notifications(ctx, c.Account.ID, f, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return s.notificationPage(ctx, c, ns)
}

// knownTypes keeps the known types (nil stays nil: no filter).
func knownTypes(in []string) []string {
	if in == nil {
		return nil
	}
	out := []string{}
	for _, t := range in {
		if slices.Contains(NotificationTypes, t) && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func (s *NotificationService) notificationPage(ctx context.Context, c *Caller, ns []*model.Notification) (*NotificationPage, error) {
	out := &NotificationPage{Accounts: map[int64]*model.Account{}, Statuses: map[int64]*model.Status{}}
	if len(ns) > 0 {
		out.Newest, out.Oldest = ns[0].ID, ns[len(ns)-1].ID
	}
	var accIDs, stIDs, reportIDs, warningIDs []int64
	for _, n := range ns {
		accIDs = append(accIDs, n.FromAccountID)
		if n.StatusID != 0 {
			stIDs = append(stIDs, n.StatusID)
		}
		if n.ReportID != 0 {
			reportIDs = append(reportIDs, n.ReportID)
		}
		if n.WarningID != 0 {
			warningIDs = append(warningIDs, n.WarningID)
		}
	}
	var err error
	if out.Reports, err = s.store.ReportsByIDs(ctx, reportIDs); err != nil {
		return nil, herr.Internal(err)
	}
	if out.Warnings, err = s.store.AccountWarningsByIDs(ctx, warningIDs); err != nil {
		return nil, herr.Internal(err)
	}
	if out.Appeals, err = s.store.AppealsByWarnings(ctx, warningIDs); err != nil {
		return nil, herr.Internal(err)
	}
	for _, r := range out.Reports {
		accIDs = append(accIDs, r.TargetAccountID)
	}
	for _, w := range out.Warnings {
		accIDs = append(accIDs, w.TargetAccountID)
	}
	accs, err := s.store.AccountsByIDs(ctx, accIDs)
	if err != nil {
		return nil, herr.Internal(err)
	}
	out.Accounts = accs
	stm, err := s.store.StatusesByIDs(ctx, stIDs)
	if err != nil {
		return nil, herr.Internal(err)
	}
	var sts []*model.Status
	for _, st := range stm {
		// Without the status, a notification about a direct message
		// the caller may not read is left out below.
		if st.Visibility != model.Direct || c.SeesDirect() {
			sts = append(sts, st)
		}
	}
	v, err := s.View(ctx, c.Account.ID, sts, ViewOptions{Context: "notifications"})
	if err != nil {
		return nil, err
	}
	out.View = v
	for _, st := range v.Statuses {
		out.Statuses[st.ID] = st
	}
	for _, n := range ns {
		acc := accs[n.FromAccountID]
		if n.Type != NotifyModerationWarning && (acc == nil || acc.SuspendedAt != nil) {
			continue
		}
		if acc == nil {
			continue
		}
		if n.Type == NotifyAdminReport && (out.Reports[n.ReportID] == nil || accs[out.Reports[n.ReportID].TargetAccountID] == nil) {
			continue
		}
		if n.Type == NotifyModerationWarning && out.Warnings[n.WarningID] == nil {
			continue
		}
		if notificationNeedsStatus(n.Type) && out.Statuses[n.StatusID] == nil {
			continue
		}
		out.Notifications = append(out.Notifications, n)
	}
	return out, nil
}

// Notification returns one of the caller's notifications.
func (s *NotificationService) Notification(ctx context.Context, c *Caller, notificationID int64) (*NotificationPage, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	n, err := s.store.NotificationByID(ctx, c.Account.ID, notificationID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("notification")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	page, err := s.notificationPage(ctx, c, []*model.Notification{n})
	if err != nil {
		return nil, err
	}
	if len(page.Notifications) == 0 {
		return nil, herr.NotFound("notification")
	}
	return page, nil
}

// DismissNotification deletes one of the caller's notifications.
func (s *NotificationService) DismissNotification(ctx context.Context, c *Caller, notificationID int64) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	err := s.store.DismissNotification(ctx, c.Account.ID, notificationID)
	if errors.Is(err, storage.ErrNotFound) {
		return herr.NotFound("notification")
	}
	if err != nil {
		return herr.Internal(err)
	}
	return nil
}

// ClearNotifications deletes all of the caller's notifications.
func (s *NotificationService) ClearNotifications(ctx context.Context, c *Caller) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	if err := s.store.ClearNotifications(ctx, c.Account.ID); err != nil {
		return herr.Internal(err)
	}
	return nil
}

// MaxUnreadCount caps unread_count, as Mastodon (which counts up to 1000).
const MaxUnreadCount = 1000

// UnreadNotifications counts the caller's notifications newer than their
// notifications marker.
func (s *NotificationService) UnreadNotifications(ctx context.Context, c *Caller) (int64, error) {
	if err := s.requireUser(c); err != nil {
		return 0, err
	}
	last, err := s.store.NotificationsReadMarker(ctx, c.Account.ID)
	if err != nil {
		return 0, herr.Internal(err)
	}
	sc, err := s.notificationScreen(ctx, c)
	if err != nil {
		return 0, err
	}
	n, err := s.store.CountNotificationsAfter(ctx, c.Account.ID, last, MaxUnreadCount, sc)
	if err != nil {
		return 0, herr.Internal(err)
	}
	return n, nil
}
