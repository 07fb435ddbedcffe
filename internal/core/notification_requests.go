package core

import (
	"context"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Notification policies (Mastodon 4.3): notifications from senders that
// meet a case the caller's policy sets to "filter" leave the main list and
// wait in a notification request (one per sender) until accepted or
// dismissed; "drop" hides them entirely. Accepted senders skip the policy.

// NewAccountAge is how young a "new account" is.
const NewAccountAge = 30 * 24 * time.Hour

// PolicyTypes are the notification types a policy applies to (Mastodon
// leaves edits, polls and moderation notices alone).
var PolicyTypes = []string{model.NotifyMention, model.NotifyStatus, model.NotifyReblog, model.NotifyFollow,
	model.NotifyFollowRequest, model.NotifyFavourite}

// PolicyScreen turns a policy into what storage applies.
func PolicyScreen(p *storage.NotificationPolicy, now time.Time) *storage.NotificationScreen {
	sc := &storage.NotificationScreen{NewSince: now.Add(-NewAccountAge), Types: PolicyTypes}
	set := func(value string, test func(*storage.SenderTests)) {
		switch value {
		case "filter":
			test(&sc.Filter)
		case "drop":
			test(&sc.Drop)
		}
	}
	set(p.ForNotFollowing, func(t *storage.SenderTests) { t.NotFollowing = true })
	set(p.ForNotFollowers, func(t *storage.SenderTests) { t.NotFollowers = true })
	set(p.ForNewAccounts, func(t *storage.SenderTests) { t.NewAccount = true })
	set(p.ForPrivateMentions, func(t *storage.SenderTests) { t.PrivateMention = true })
	set(p.ForLimitedAccounts, func(t *storage.SenderTests) { t.Limited = true })
	return sc
}

// notificationScreen is the caller's policy, ready for storage, and the
// visibility rule of direct messages: a member acting for the account
// without DelegationDirect is told nothing of them (so lists, counts and
// pages agree).
func (s *NotificationService) notificationScreen(ctx context.Context, c *Caller) (*storage.NotificationScreen, error) {
	p, err := s.store.NotificationPolicy(ctx, c.Account.ID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	sc := PolicyScreen(p, time.Now())
	sc.HideDirect = !c.SeesDirect()
	return sc, nil
}

// NotificationRequestPage is notification requests ready to render.
type NotificationRequestPage struct {
	Requests       []storage.NotificationRequest
	Accounts       map[int64]*model.Account
	Statuses       map[int64]*model.Status // visible last statuses
	View           *StatusView
	Newest, Oldest int64 // cursors (sender ids)
}

// NotificationRequests lists the caller's pending requests; from, when not
// 0, selects the request of that sender.
func (s *NotificationService) NotificationRequests(ctx context.Context, c *Caller, from int64, p model.Page) (*NotificationRequestPage, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	sc, err := s.notificationScreen(ctx, c)
	if err != nil {
		return nil, err
	}
	rs, err := s.store.NotificationRequests(ctx, c.Account.ID, *sc, from, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	out := &NotificationRequestPage{Statuses: map[int64]*model.Status{}}
	if len(rs) > 0 {
		out.Newest, out.Oldest = rs[0].FromAccountID, rs[len(rs)-1].FromAccountID
	}
	var accIDs, stIDs []int64
	for _, r := range rs {
		accIDs = append(accIDs, r.FromAccountID)
		if r.LastStatusID != 0 {
			stIDs = append(stIDs, r.LastStatusID)
		}
	}
	if out.Accounts, err = s.store.AccountsByIDs(ctx, accIDs); err != nil {
		return nil, herr.Internal(err)
	}
	stm, err := s.store.StatusesByIDs(ctx, stIDs)
	if err != nil {
		return nil, herr.Internal(err)
	}
	var sts []*model.Status
	for _, st := range stm {
		sts = append(sts, st)
	}
	if out.View, err = s.View(ctx, c.Account.ID, sts, ViewOptions{}); err != nil {
		return nil, err
	}
	for _, st := range out.View.Statuses {
		out.Statuses[st.ID] = st
	}
	for _, r := range rs {
		if acc := out.Accounts[r.FromAccountID]; acc != nil && acc.SuspendedAt == nil {
			out.Requests = append(out.Requests, r)
		}
	}
	return out, nil
}

// NotificationRequest returns the request of one sender (its id).
func (s *NotificationService) NotificationRequest(ctx context.Context, c *Caller, id int64) (*NotificationRequestPage, error) {
	np, err := s.NotificationRequests(ctx, c, id, model.Page{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(np.Requests) == 0 {
		return nil, herr.NotFound("notification request")
	}
	return np, nil
}

// AcceptNotificationRequest accepts one pending request.
func (s *NotificationService) AcceptNotificationRequest(ctx context.Context, c *Caller, id int64) error {
	if _, err := s.NotificationRequest(ctx, c, id); err != nil {
		return err
	}
	return s.AcceptNotificationRequests(ctx, c, []int64{id})
}

// AcceptNotificationRequests accepts the senders: their notifications,
// past and future, skip the policy.
func (s *NotificationService) AcceptNotificationRequests(ctx context.Context, c *Caller, ids []int64) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	if err := s.store.AcceptNotificationSenders(ctx, c.Account.ID, ids); err != nil {
		return herr.Internal(err)
	}
	return nil
}

// DismissNotificationRequest dismisses one pending request.
func (s *NotificationService) DismissNotificationRequest(ctx context.Context, c *Caller, id int64) error {
	if _, err := s.NotificationRequest(ctx, c, id); err != nil {
		return err
	}
	return s.DismissNotificationRequests(ctx, c, []int64{id})
}

// DismissNotificationRequests deletes the senders' filtered notifications.
func (s *NotificationService) DismissNotificationRequests(ctx context.Context, c *Caller, ids []int64) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	sc, err := s.notificationScreen(ctx, c)
	if err != nil {
		return err
	}
	if err := s.store.DismissNotificationRequests(ctx, c.Account.ID, *sc, ids); err != nil {
		return herr.Internal(err)
	}
	return nil
}

// NotificationRequestsSummary counts the pending requests and their
// notifications.
func (s *NotificationService) NotificationRequestsSummary(ctx context.Context, c *Caller) (requests, notifications int64, err error) {
	if err := s.requireUser(c); err != nil {
		return 0, 0, err
	}
	sc, err := s.notificationScreen(ctx, c)
	if err != nil {
		return 0, 0, err
	}
	requests, notifications, err = s.store.CountNotificationRequests(ctx, c.Account.ID, *sc)
	if err != nil {
		return 0, 0, herr.Internal(err)
	}
	return requests, notifications, nil
}
