package core

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Delegation (team access to one account, Mastodon's long-open #1405): the
// owner of a local account such as @city, or staff who manage users, grant
// named members access to it with a set of permissions. A member signs in
// as themselves and, on the OAuth consent screen (or the web client's
// account switcher), chooses to act as @city: the token is @city's
// (Token.UserID), so apps see @city, and it names the member
// (Token.DelegateID). Such a token is checked at each request against the
// delegation (it must still exist) and the member (who must still be able
// to sign in), so that revoking a member, or suspending, disabling or
// deleting them, ends their access at once; the delegation's tokens are
// deleted in the same transaction as the delegation.
//
// Members are local accounts whose users may sign in (approved, confirmed,
// not disabled, not suspended): an institution's instance holds its staff
// only, and a role is not required so that the owner of an account needs
// no administrator to add a colleague. Staff roles of the account do not
// pass to members: a delegated caller never holds admin scopes nor passes
// Authorize.
//
// What a delegated token may do is its scopes narrowed by the delegation's
// permissions (Caller.Allows, for every route of every surface, and the
// status rules for what a scope does not tell apart: a boost, a post, a
// direct message). Every write through it is logged in the account's
// activity log (RecordDelegatedAction), shown to the owner and staff and
// mirrored to the audit log and the delegation.* webhooks; nothing of it
// is federated.

// The permissions a delegation grants.
const (
	// DelegationPost: post, reply, edit and delete posts (not direct ones).
	DelegationPost = "post"
	// DelegationInteract: boost, favourite, bookmark; follow, mute,
	// block and report as the account.
	DelegationInteract = "interact"
	// DelegationDirect: read and answer direct messages.
	DelegationDirect = "direct"
	// DelegationProfile: edit the profile and the account's settings
	// (update_credentials, pins, endorsements).
	DelegationProfile = "profile"
)

// DelegationPermissions lists the permissions, in the order forms show them.
var DelegationPermissions = []string{DelegationPost, DelegationInteract, DelegationDirect, DelegationProfile}

// The activity log's entries that are not actions taken as the account,
// and the webhook events of the log.
const (
	DelegationGranted = "delegation.granted"
	DelegationRevoked = "delegation.revoked"

	// EventDelegationAction: a member did something as an account.
	EventDelegationAction = "delegation.action"
	// EventDelegationGranted: a member was given access to an account
	// (or their permissions changed).
	EventDelegationGranted = "delegation.granted"
	// EventDelegationRevoked: a member's access ended (revoked, or the
	// member was suspended, disabled or deleted).
	EventDelegationRevoked = "delegation.revoked"
)

// delegatedScope says which permissions (any of them) a delegated token
// needs for a scope; ok false: never (admin scopes: the account's staff
// role does not pass to its members). Reading needs none (every member
// reads what the account reads; direct messages are left out by the
// visibility rule without DelegationDirect). Where one scope covers
// actions of different permissions (write:statuses posts and boosts), the
// rule of the action checks which (mayAct).
func delegatedScope(scope string) (anyOf []string, ok bool) {
	switch {
	case strings.HasPrefix(scope, "admin:"):
		return nil, false
	case scope == "read" || strings.HasPrefix(scope, "read:") || scope == "profile" || scope == "push":
		return nil, true
	}
	switch scope {
	case "write", "write:statuses":
		return []string{DelegationPost, DelegationInteract, DelegationDirect, DelegationProfile}, true
	case "write:media":
		return []string{DelegationPost, DelegationDirect, DelegationProfile}, true
	case "write:favourites", "write:bookmarks", "write:follows", "write:blocks", "write:mutes", "write:reports", "follow":
		return []string{DelegationInteract}, true
	case "write:conversations":
		return []string{DelegationDirect}, true
	case "write:accounts":
		return []string{DelegationProfile}, true
	case "write:lists", "write:filters", "write:notifications":
		return nil, true // what the account reads: any member
	}
	return nil, false
}

// delegationAllows is Allows' part for a delegated caller.
func delegationAllows(d *model.Delegation, scope string) bool {
	anyOf, ok := delegatedScope(scope)
	if !ok {
		return false
	}
	if len(anyOf) == 0 {
		return true
	}
	for _, p := range anyOf {
		if d.Has(p) {
			return true
		}
	}
	return false
}

// Delegated reports whether the caller acts for an account through a
// delegation.
func (c *Caller) Delegated() bool { return c != nil && c.Delegation != nil }

// mayAct checks that a delegated caller holds permission; a caller acting
// for themselves may do anything their scopes allow.
func (c *Caller) mayAct(permission string) error {
	if c == nil || c.Delegation == nil || c.Delegation.Has(permission) {
		return nil
	}
	return herr.Forbidden("This action is outside the permissions of your access to this account")
}

// seesDirect reports whether the caller may read direct messages.
func (c *Caller) seesDirect() bool {
	return c == nil || c.Delegation == nil || c.Delegation.Has(DelegationDirect)
}

// SeesDirect reports whether the caller may receive direct statuses in
// any form (statuses, notifications, stream events, pushes): not a member
// acting for the account without DelegationDirect.
func (c *Caller) SeesDirect() bool { return c.seesDirect() }

// postPermission is the permission a post of visibility v needs.
func postPermission(v model.Visibility) string {
	if v == model.Direct {
		return DelegationDirect
	}
	return DelegationPost
}

// DelegationView is a delegation with its accounts.
type DelegationView struct {
	*model.Delegation
	Account, Member, GrantedBy *model.Account // GrantedBy nil when gone
}

// checkPermissions validates a permission set; it must not be empty.
func checkPermissions(perms []string) ([]string, error) {
	var out []string
	for _, p := range perms {
		p = strings.TrimSpace(p)
		if p == "" || slices.Contains(out, p) {
			continue
		}
		if !slices.Contains(DelegationPermissions, p) {
			return nil, herr.Unprocessable("Validation failed: Permissions is invalid (%s is not one of %s)", p, strings.Join(DelegationPermissions, ", "))
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, herr.Unprocessable("Validation failed: Permissions can't be blank")
	}
	slices.Sort(out)
	return out, nil
}

// mayManageDelegations: the account's own user (not acting through a
// delegation) or staff who manage users. It returns the account, which
// must be local and have a user.
func (s *AuthService) mayManageDelegations(ctx context.Context, c *Caller, accountID int64) (*model.Account, error) {
	if c == nil || c.User == nil || c.Delegated() {
		return nil, herr.Forbidden("This action is not allowed")
	}
	if c.Account.ID != accountID {
		if err := s.Authorize(ctx, c, PermManageUsers); err != nil {
			return nil, err
		}
	}
	a, err := s.store.AccountByID(ctx, accountID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("account")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	if !a.Local() {
		return nil, herr.Unprocessable("Only local accounts can be shared")
	}
	if _, err := s.store.UserByAccountID(ctx, accountID); err != nil {
		return nil, herr.Unprocessable("Only local accounts can be shared")
	}
	return a, nil
}

// viewDelegations loads the accounts of delegations in one query.
func (s *AuthService) viewDelegations(ctx context.Context, ds []*model.Delegation) ([]*DelegationView, error) {
	var ids []int64
	for _, d := range ds {
		ids = append(ids, d.AccountID, d.MemberID)
		if d.GrantedBy != 0 {
			ids = append(ids, d.GrantedBy)
		}
	}
	accs, err := s.store.AccountsByIDs(ctx, ids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	out := make([]*DelegationView, 0, len(ds))
	for _, d := range ds {
		v := &DelegationView{Delegation: d, Account: accs[d.AccountID], Member: accs[d.MemberID], GrantedBy: accs[d.GrantedBy]}
		if v.Account != nil && v.Member != nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// AccountDelegations lists the members of an account (its owner, or
// staff who manage users).
func (s *AuthService) AccountDelegations(ctx context.Context, c *Caller, accountID int64) ([]*DelegationView, error) {
	if _, err := s.mayManageDelegations(ctx, c, accountID); err != nil {
		return nil, err
	}
	ds, err := s.store.AccountDelegations(ctx, accountID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return s.viewDelegations(ctx, ds)
}

// MyDelegations lists the accounts the caller may act for (the consent
// screen's and the account switcher's choices). A caller already acting
// for another account has none.
func (s *AuthService) MyDelegations(ctx context.Context, c *Caller) ([]*DelegationView, error) {
	if c == nil || c.User == nil || c.Delegated() {
		return nil, nil
	}
	ds, err := s.store.MemberDelegations(ctx, c.User.ID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return s.viewDelegations(ctx, ds)
}

// GrantDelegation gives member (a local username) access to an account
// with a permission set, or changes the set of a member.
func (s *AuthService) GrantDelegation(ctx context.Context, c *Caller, accountID int64, member string, perms []string) (*DelegationView, error) {
	acc, err := s.mayManageDelegations(ctx, c, accountID)
	if err != nil {
		return nil, err
	}
	perms, err = checkPermissions(perms)
	if err != nil {
		return nil, err
	}
	member = strings.TrimPrefix(strings.TrimSpace(member), "@")
	if member == "" {
		return nil, herr.Unprocessable("Validation failed: Member can't be blank")
	}
	m, err := s.store.AccountByUsername(ctx, member, "")
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.Unprocessable("Validation failed: Member must be a local account")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	if m.ID == acc.ID {
		return nil, herr.Unprocessable("Validation failed: Member cannot be the account itself")
	}
	if _, _, err := s.userWithAccount(ctx, m.ID); err != nil {
		return nil, herr.Unprocessable("Validation failed: Member must be an active local account")
	}
	d := &model.Delegation{AccountID: acc.ID, MemberID: m.ID, Permissions: perms, GrantedBy: c.Account.ID}
	if old, err := s.store.Delegation(ctx, acc.ID, m.ID); err == nil {
		d.CreatedAt = old.CreatedAt
	}
	entry := &model.DelegationAction{AccountID: acc.ID, MemberID: m.ID, Member: m.Username, ActorID: c.Account.ID,
		Action: DelegationGranted, ObjectType: "Permissions", ObjectID: strings.Join(perms, " ")}
	if err := s.store.SaveDelegation(ctx, d, entry); err != nil {
		return nil, herr.Internal(err)
	}
	s.audit(ctx, c, "grant_delegation", "Account", itoa64(acc.ID),
		"gave @"+m.Username+" access to @"+acc.Username+" ("+strings.Join(perms, ", ")+")")
	s.webhookEvent(ctx, EventDelegationGranted, entry.ID)
	vs, err := s.viewDelegations(ctx, []*model.Delegation{d})
	if err != nil || len(vs) == 0 {
		return nil, herr.Internal(errors.New("delegation: accounts gone"))
	}
	return vs[0], nil
}

// RevokeDelegation ends a member's access to an account: the delegation
// and the member's tokens for it are deleted together, so the next
// request with such a token is refused, and its streams are closed now.
func (s *AuthService) RevokeDelegation(ctx context.Context, c *Caller, accountID, memberID int64) error {
	acc, err := s.mayManageDelegations(ctx, c, accountID)
	if err != nil {
		return err
	}
	if memberID <= 0 {
		return herr.NotFound("delegation")
	}
	m, err := s.store.AccountByID(ctx, memberID)
	if errors.Is(err, storage.ErrNotFound) {
		return herr.NotFound("delegation")
	} else if err != nil {
		return herr.Internal(err)
	}
	entry := &model.DelegationAction{AccountID: acc.ID, MemberID: m.ID, Member: m.Username, ActorID: c.Account.ID, Action: DelegationRevoked}
	ids, err := s.store.DeleteDelegation(ctx, acc.ID, m.ID, entry)
	if errors.Is(err, storage.ErrNotFound) {
		return herr.NotFound("delegation")
	} else if err != nil {
		return herr.Internal(err)
	}
	s.revoked(Revocation{TokenIDs: ids})
	s.audit(ctx, c, "revoke_delegation", "Account", itoa64(acc.ID), "ended the access of @"+m.Username+" to @"+acc.Username)
	s.webhookEvent(ctx, EventDelegationRevoked, entry.ID)
	return nil
}

// endDelegationsOf ends every delegation of a member who may no longer
// sign in (suspended, disabled, deleted): the member's access ends with
// their own, and the accounts' logs say why.
func (s *AuthService) endDelegationsOf(ctx context.Context, c *Caller, member *model.Account, why string) {
	ctx = context.WithoutCancel(ctx)
	var entries []*model.DelegationAction
	ended, ids, err := s.store.EndMemberDelegations(ctx, member.ID, func(d *model.Delegation) *model.DelegationAction {
		e := &model.DelegationAction{AccountID: d.AccountID, MemberID: member.ID, Member: member.Username,
			ActorID: c.AccountID(), Action: DelegationRevoked, ObjectType: "Reason", ObjectID: why}
		entries = append(entries, e)
		return e
	})
	if err != nil {
		if s.Log != nil {
			s.Log.Error("delegations: end a member's", "member", member.ID, "err", err)
		}
		return
	}
	s.revoked(Revocation{TokenIDs: ids})
	for i, d := range ended {
		s.audit(ctx, c, "revoke_delegation", "Account", itoa64(d.AccountID), "ended the access of @"+member.Username+
			" to account #"+itoa64(d.AccountID)+" ("+why+")")
		s.webhookEvent(ctx, EventDelegationRevoked, entries[i].ID)
	}
}

// DelegationLog pages through an account's activity log, memberID != 0
// keeping one member's entries (its owner, or staff who manage users).
func (s *AuthService) DelegationLog(ctx context.Context, c *Caller, accountID, memberID int64, p model.Page) ([]*model.DelegationAction, error) {
	if _, err := s.mayManageDelegations(ctx, c, accountID); err != nil {
		return nil, err
	}
	return orInternal(s.store.DelegationActions(ctx, accountID, memberID, p))
}

// maxDelegationField bounds the action and object of a log entry.
const maxDelegationField = 200

// RecordDelegatedAction logs what a delegated caller did as the account
// (action: what the surface calls it, e.g. "POST /api/v1/statuses";
// objectType and objectID what it acted on, when known), mirrors it to the
// audit log and fires the delegation.action webhooks. Other callers are
// not logged. The log is private: nothing of it is federated.
func (s *AuthService) RecordDelegatedAction(ctx context.Context, c *Caller, action, objectType, objectID string) {
	if !c.Delegated() || c.Member == nil {
		return
	}
	clip := func(v string) string {
		if len(v) > maxDelegationField {
			return v[:maxDelegationField]
		}
		return v
	}
	ctx = context.WithoutCancel(ctx)
	e := &model.DelegationAction{AccountID: c.Account.ID, MemberID: c.Member.ID, Member: c.Member.Username,
		Action: clip(action), ObjectType: clip(objectType), ObjectID: clip(objectID)}
	if err := s.store.AddDelegationAction(ctx, e); err != nil {
		if s.Log != nil {
			s.Log.Error("delegations: log an action", "account", c.Account.ID, "member", c.Member.ID, "err", err)
		}
		return
	}
	summary := "@" + c.Member.Username + " as @" + c.Account.Username + ": " + e.Action
	if e.ObjectID != "" {
		summary += " (" + e.ObjectType + " " + e.ObjectID + ")"
	}
	s.audit(ctx, &Caller{Account: c.Member}, "delegated_action", "Account", itoa64(c.Account.ID), summary)
	s.webhookEvent(ctx, EventDelegationAction, e.ID)
}

// DelegationLogEntry loads one entry of an activity log with its accounts
// (webhooks).
type DelegationLogEntry struct {
	*model.DelegationAction
	Account, Member *model.Account // Member nil when gone
}

// delegationLogEntry loads an entry for a webhook.
func (s *AuthService) delegationLogEntry(ctx context.Context, id int64) (*DelegationLogEntry, error) {
	e, err := s.store.DelegationAction(ctx, id)
	if err != nil {
		return nil, err
	}
	accs, err := s.store.AccountsByIDs(ctx, []int64{e.AccountID, e.MemberID})
	if err != nil {
		return nil, err
	}
	if accs[e.AccountID] == nil {
		return nil, storage.ErrNotFound
	}
	return &DelegationLogEntry{DelegationAction: e, Account: accs[e.AccountID], Member: accs[e.MemberID]}, nil
}

// ActingCaller returns the caller a browser session acts as when its user
// switched to an account they are a member of (the web client's account
// switcher): the account, with the member and the delegation, as a
// delegated token would be. nil when the session acts for its own user,
// or when the delegation ended (the session then acts for its user again).
func (s *AuthService) ActingCaller(ctx context.Context, member *Caller, sess *storage.WebSession) (*Caller, error) {
	if member == nil || member.User == nil || sess == nil || sess.ActingID == 0 {
		return nil, nil
	}
	t := &model.Token{UserID: sess.ActingID, DelegateID: member.User.ID, Scopes: WebScopes, CreatedAt: sess.CreatedAt}
	c, err := s.callerOfToken(ctx, t)
	if err != nil {
		if herr.As(err).Status < 500 {
			_ = s.store.SetSessionActing(context.WithoutCancel(ctx), member.User.ID, sess.ID, 0)
			return nil, nil
		}
		return nil, err
	}
	return c, nil
}

// SwitchAccount makes the caller's browser session act for accountID, an
// account they are a member of, or for themselves again (0).
func (s *AuthService) SwitchAccount(ctx context.Context, c *Caller, sessionID, accountID int64) error {
	if c == nil || c.User == nil || c.Delegated() {
		return herr.Forbidden("This action is not allowed")
	}
	if accountID == c.User.ID {
		accountID = 0
	}
	if accountID != 0 {
		if _, err := s.store.Delegation(ctx, accountID, c.User.ID); errors.Is(err, storage.ErrNotFound) {
			return herr.Forbidden("You have no access to this account")
		} else if err != nil {
			return herr.Internal(err)
		}
	}
	err := s.store.SetSessionActing(ctx, c.User.ID, sessionID, accountID)
	if errors.Is(err, storage.ErrNotFound) {
		return herr.NotFound("session")
	}
	return writeErr(err, "")
}

// dropDirect leaves direct messages out of a page of statuses shown to a
// member acting for an account without DelegationDirect (the page's
// cursors stay, so paging goes on past them).
func dropDirect(c *Caller, t *Timeline) (*Timeline, error) {
	if t == nil || t.View == nil || c.seesDirect() {
		return t, nil
	}
	kept := t.View.Statuses[:0:0]
	for _, st := range t.View.Statuses {
		if st.Visibility != model.Direct {
			kept = append(kept, st)
		}
	}
	t.View.Statuses = kept
	return t, nil
}
