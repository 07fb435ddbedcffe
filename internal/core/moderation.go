package core

import (
	"context"
	"errors"
	"strings"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Moderation of accounts: the admin account list, actions (warn, mark
// sensitive, disable, silence, suspend) with the warnings their owners
// see, and the reversals, approval and deletion.

// AdminAccounts lists accounts for moderators (Manage Users).
func (s *AdminService) AdminAccounts(ctx context.Context, c *Caller, f storage.AdminAccountFilter, p model.Page) ([]*storage.AdminAccount, error) {
	// Manage User Access lists them too: its holders look up the user
	// who asks for help (AdminAccount).
	if err := s.Authorize(ctx, c, PermManageUsers, PermManageUserAccess); err != nil {
		return nil, err
	}
	return s.adminAccounts(ctx, f, p)
}

// StaffAccounts lists the active local staff (Permission.IsStaff), for
// the about page.
func (s *AdminService) StaffAccounts(ctx context.Context, limit int) ([]*model.Account, error) {
	list, err := s.adminAccounts(ctx, storage.AdminAccountFilter{Origin: "local", Staff: true, Status: "active"}, model.Page{Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]*model.Account, 0, len(list))
	for _, aa := range list {
		out = append(out, aa.Account)
	}
	return out, nil
}

// adminAccounts runs an account query, giving the staff filter the staff
// roles and turning role ids into role keys.
func (s *AdminService) adminAccounts(ctx context.Context, f storage.AdminAccountFilter, p model.Page) ([]*storage.AdminAccount, error) {
	if len(f.RoleIDs) > 0 {
		keys, err := s.roleKeysOf(ctx, f.RoleIDs)
		if err != nil {
			return nil, err
		}
		if len(keys) == 0 {
			return nil, nil // no such role: no one has it
		}
		f.RoleKeys = append(f.RoleKeys, keys...)
	}
	if f.Staff {
		keys, err := s.StaffRoleKeys(ctx)
		if err != nil {
			return nil, err
		}
		f.StaffRoleKeys = keys
	}
	out, err := s.store.AdminAccounts(ctx, f, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return out, nil
}

// roleKeysOf returns the keys of the roles with these ids; ids of no role
// are skipped.
func (s *AdminService) roleKeysOf(ctx context.Context, ids []int64) ([]string, error) {
	var keys []string
	for _, id := range ids {
		r, err := s.store.RoleByID(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, herr.Internal(err)
		}
		keys = append(keys, r.Key)
	}
	return keys, nil
}

// AdminAccount returns one account for moderators, and for staff who
// recover users' access (Manage User Access: they need to see whom they
// help, as on Mastodon, where that permission resets passwords, changes
// addresses and turns off two-factor authentication).
func (s *AdminService) AdminAccount(ctx context.Context, c *Caller, id int64) (*storage.AdminAccount, error) {
	if err := s.Authorize(ctx, c, PermManageUsers, PermManageReports, PermManageUserAccess); err != nil {
		return nil, err
	}
	return s.adminAccount(ctx, id)
}

func (s *AdminService) adminAccount(ctx context.Context, id int64) (*storage.AdminAccount, error) {
	aa, err := s.store.AdminAccount(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("account")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	if aa.Account.Local() && aa.User == nil {
		// The instance actor and other service accounts are not moderated.
		return nil, herr.NotFound("account")
	}
	return aa, nil
}

// AccountActionParams is POST /api/v1/admin/accounts/:id/action.
type AccountActionParams struct {
	Type      string // none, sensitive, disable, silence, suspend
	ReportID  int64
	Text      string
	SendEmail bool
}

// warning actions by type, as Mastodon's AccountWarning#action.
var actionWarning = map[string]string{"none": "none", "sensitive": "sensitive", "disable": "disable", "silence": "silence", "suspend": "suspend"}

// AccountAction takes a moderation action against an account: it records
// a warning its owner sees (GET /api/v1/account_warnings), resolves the
// given report (and, for any action but none, every open report about
// the account), and for a local suspension queues an account.update so
// that other servers learn of it.
func (s *AdminService) AccountAction(ctx context.Context, c *Caller, targetID int64, p AccountActionParams) error {
	if err := s.Authorize(ctx, c, PermManageUsers, PermManageReports); err != nil {
		return err
	}
	aa, err := s.adminAccount(ctx, targetID)
	if err != nil {
		return err
	}
	if err := s.outranks(ctx, c, aa.User); err != nil {
		return err
	}
	if _, ok := actionWarning[p.Type]; !ok {
		return herr.Unprocessable("Validation failed: Type must be none, sensitive, disable, silence or suspend")
	}
	text := strings.TrimSpace(p.Text)
	if len([]rune(text)) > 5000 {
		return herr.Unprocessable("Validation failed: Text is too long (maximum is 5000 characters)")
	}
	var reports []int64
	var statusIDs []int64
	if p.ReportID != 0 {
		r, err := s.report(ctx, p.ReportID)
		if err != nil {
			return err
		}
		if r.TargetAccountID != targetID {
			return herr.Unprocessable("Validation failed: the report is about another account")
		}
		reports = append(reports, r.ID)
		statusIDs = r.StatusIDs
	}
	if p.Type != "none" {
		open := false
		rs, err := s.store.Reports(ctx, storage.ReportFilter{Resolved: &open, TargetAccountID: targetID}, model.Page{Limit: 1000})
		if err != nil {
			return herr.Internal(err)
		}
		for _, r := range rs {
			if !containsID(reports, r.ID) {
				reports = append(reports, r.ID)
			}
		}
	}
	t := true
	var m storage.AccountModeration
	var events []model.OutboxEvent
	switch p.Type {
	case "sensitive":
		m.Sensitive = &t
	case "disable":
		if aa.User == nil {
			return herr.Unprocessable("Only local accounts can be disabled")
		}
		m.Disabled = &t
	case "silence":
		m.Silenced = &t
	case "suspend":
		m.Suspended = &t
		if aa.Account.Local() {
			events = append(events, model.OutboxEvent{Kind: model.EventAccountUpdate, AccountID: targetID, ObjectID: targetID})
		}
	}
	var w *model.AccountWarning
	if p.Type != "none" || text != "" {
		w = &model.AccountWarning{AccountID: c.AccountID(), TargetAccountID: targetID, Action: actionWarning[p.Type], Text: text,
			ReportID: p.ReportID, StatusIDs: statusIDs}
	}
	if err := s.store.ModerateAccount(ctx, targetID, m, w, reports, events); err != nil {
		return herr.Internal(err)
	}
	if len(events) > 0 {
		s.kick()
	}
	if aa.User != nil && (m.Disabled != nil || m.Suspended != nil) {
		// Its tokens are refused from now on; its open streams end too.
		s.revoked(Revocation{AccountID: targetID})
		// So does its access to the accounts it was a member of.
		s.endDelegationsOf(ctx, c, aa.Account, actionSummary(p.Type, aa.Account))
	}
	s.moderationWebhooks(ctx, aa.Account, m, reports)
	s.audit(ctx, c, p.Type+"_account", "Account", itoa64(targetID), actionSummary(p.Type, aa.Account))
	for _, r := range reports {
		s.audit(ctx, c, "resolve_report", "Report", itoa64(r), "resolved report #"+itoa64(r)+" with "+p.Type)
	}
	if w != nil {
		s.moderationNotice(ctx, aa, w, p.SendEmail)
	}
	return nil
}

func containsID(v []int64, id int64) bool {
	for _, x := range v {
		if x == id {
			return true
		}
	}
	return false
}

func actionSummary(typ string, a *model.Account) string {
	switch typ {
	case "none":
		return "warned @" + a.Acct()
	case "sensitive":
		return "marked @" + a.Acct() + "'s media as sensitive"
	}
	return strings.TrimSuffix(typ, "e") + "ed @" + a.Acct()
}

func warningLabel(action string) string {
	switch action {
	case "none":
		return "a warning"
	case "sensitive":
		return "your media will be marked as sensitive"
	case "disable":
		return "your login was disabled"
	case "silence":
		return "your account was limited"
	case "suspend":
		return "your account was suspended"
	case "delete_statuses":
		return "some of your posts were removed"
	case "mark_statuses_as_sensitive":
		return "some of your posts were marked as sensitive"
	}
	return action
}

// AccountState reverses an action or decides a sign-up: unsuspend,
// unsilence, unsensitive, enable, approve, reject. Reject deletes the
// pending account.
func (s *AdminService) AccountState(ctx context.Context, c *Caller, targetID int64, op string) (*storage.AdminAccount, error) {
	if err := s.Authorize(ctx, c, PermManageUsers); err != nil {
		return nil, err
	}
	aa, err := s.adminAccount(ctx, targetID)
	if err != nil {
		return nil, err
	}
	if err := s.outranks(ctx, c, aa.User); err != nil {
		return nil, err
	}
	f, t := false, true
	var m storage.AccountModeration
	var events []model.OutboxEvent
	switch op {
	case "unsuspend":
		m.Suspended = &f
		if aa.Account.Local() && aa.Account.SuspendedAt != nil {
			events = append(events, model.OutboxEvent{Kind: model.EventAccountUpdate, AccountID: targetID, ObjectID: targetID})
		}
	case "unsilence":
		m.Silenced = &f
	case "unsensitive":
		m.Sensitive = &f
	case "enable":
		if aa.User == nil {
			return nil, herr.Forbidden("Only local accounts can be enabled")
		}
		m.Disabled = &f
	case "approve":
		if aa.User == nil {
			return nil, herr.Forbidden("Only local accounts can be approved")
		}
		if aa.User.Approved {
			return nil, herr.Forbidden("This account is not pending approval")
		}
		m.Approved = &t
	case "reject":
		if aa.User == nil || aa.User.Approved {
			return nil, herr.Forbidden("This account is not pending approval")
		}
		if err := s.store.DeleteAccount(ctx, targetID); err != nil {
			return nil, herr.Internal(err)
		}
		s.revoked(Revocation{AccountID: targetID})
		s.endDelegationsOf(ctx, c, aa.Account, "rejected")
		s.audit(ctx, c, "reject_user", "User", itoa64(targetID), "rejected the sign-up of @"+aa.Account.Username)
		_ = s.sendMail(ctx, []string{aa.User.Email}, "Your sign-up on "+s.siteTitle(),
			"Hello,\n\nYour request to join "+s.siteTitle()+" as @"+aa.Account.Username+" was not approved, and the account was removed.")
		return aa, nil
	default:
		return nil, herr.NotFound("action")
	}
	if err := s.store.ModerateAccount(ctx, targetID, m, nil, nil, events); err != nil {
		return nil, herr.Internal(err)
	}
	if len(events) > 0 {
		s.kick()
	}
	s.moderationWebhooks(ctx, aa.Account, m, nil)
	if op == "approve" && aa.User.ConfirmedAt != nil {
		s.webhookEvent(ctx, EventAccountApproved, targetID)
	}
	s.audit(ctx, c, op+"_account", "Account", itoa64(targetID), op+" @"+aa.Account.Acct())
	if op == "approve" {
		_ = s.sendMail(ctx, []string{aa.User.Email}, "Welcome to "+s.siteTitle(),
			"Hello @"+aa.Account.Username+",\n\nYour account on "+s.siteTitle()+" was approved: you can sign in now at "+s.Base()+".")
	}
	return s.adminAccount(ctx, targetID)
}

// DeleteAccountData permanently deletes a suspended account (Delete User
// Data). A local account's actor then answers 404.
func (s *AdminService) DeleteAccountData(ctx context.Context, c *Caller, targetID int64) (*storage.AdminAccount, error) {
	if err := s.Authorize(ctx, c, PermDeleteUserData); err != nil {
		return nil, err
	}
	aa, err := s.adminAccount(ctx, targetID)
	if err != nil {
		return nil, err
	}
	if err := s.outranks(ctx, c, aa.User); err != nil {
		return nil, err
	}
	if aa.Account.SuspendedAt == nil {
		return nil, herr.Forbidden("Only suspended accounts can be deleted")
	}
	if aa.Account.Local() && s.Jobs != nil {
		// The federation engine signs and addresses the actor's Delete
		// with the (suspended) account's key, and deletes the account once
		// the Delete's deliveries are done (account.delete).
		ev := model.OutboxEvent{Kind: model.EventAccountDelete, AccountID: targetID, ObjectID: targetID}
		if err := s.store.QueueEvents(ctx, []model.OutboxEvent{ev}); err != nil {
			return nil, herr.Internal(err)
		}
		s.kick()
	} else if err := s.store.DeleteAccount(ctx, targetID); err != nil {
		return nil, herr.Internal(err)
	}
	if aa.User != nil {
		s.revoked(Revocation{AccountID: targetID})
		s.endDelegationsOf(ctx, c, aa.Account, "deleted")
	}
	s.audit(ctx, c, "destroy_account", "Account", itoa64(targetID), "deleted the data of @"+aa.Account.Acct())
	return aa, nil
}

// AccountWarnings lists the warnings the caller's account received.
func (s *AdminService) AccountWarnings(ctx context.Context, c *Caller, p model.Page) ([]*model.AccountWarning, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	out, err := s.store.AccountWarnings(ctx, c.Account.ID, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return out, nil
}

// AccountWarning returns one of the caller's warnings.
func (s *AdminService) AccountWarning(ctx context.Context, c *Caller, id int64) (*model.AccountWarning, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	w, err := s.store.AccountWarning(ctx, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && w.TargetAccountID != c.Account.ID) {
		return nil, herr.NotFound("warning")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	return w, nil
}

// AdminAccountWarnings lists the warnings an account received (moderators).
func (s *AdminService) AdminAccountWarnings(ctx context.Context, c *Caller, targetID int64, p model.Page) ([]*model.AccountWarning, error) {
	if err := s.Authorize(ctx, c, PermManageUsers, PermManageReports); err != nil {
		return nil, err
	}
	out, err := s.store.AccountWarnings(ctx, targetID, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return out, nil
}

// moderationWebhooks sends the events of a moderation change: the account
// changed when its own state did (suspended, silenced, sensitive: the
// account's, not the user's, as Mastodon's account.updated) and it is
// local, and the reports it resolved changed.
func (s *AdminService) moderationWebhooks(ctx context.Context, a *model.Account, m storage.AccountModeration, resolved []int64) {
	if a.Local() && (m.Suspended != nil || m.Silenced != nil || m.Sensitive != nil) {
		s.webhookEvent(ctx, EventAccountUpdated, a.ID)
	}
	for _, id := range resolved {
		s.webhookEvent(ctx, EventReportUpdated, id)
	}
}
