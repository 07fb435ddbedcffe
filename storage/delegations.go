package storage

import (
	"context"

	"github.com/herald-social/herald/internal/model"
)

// Delegations stores who may act for which local account (delegations),
// the activity log of what they did, and ends their delegated tokens.
type Delegations interface {
	// SaveDelegation creates or replaces a delegation and logs entry
	// (the grant) in one transaction.
	SaveDelegation(ctx context.Context, d *model.Delegation, entry *model.DelegationAction) error
	// DeleteDelegation deletes a delegation, the member's delegated tokens
	// for the account and their browser sessions acting as it, and logs
	// entry, in one transaction. It returns the deleted tokens' ids;
	// ErrNotFound when there was no such delegation.
	DeleteDelegation(ctx context.Context, accountID, memberID int64, entry *model.DelegationAction) ([]int64, error)
	// EndMemberDelegations deletes every delegation of a member, with
	// their delegated tokens and acting sessions, logging one entry
	// (made by entry) per account, in one transaction. It returns the
	// ended delegations and the deleted tokens' ids.
	EndMemberDelegations(ctx context.Context, memberID int64, entry func(d *model.Delegation) *model.DelegationAction) ([]*model.Delegation, []int64, error)
	Delegation(ctx context.Context, accountID, memberID int64) (*model.Delegation, error)
	// AccountDelegations lists the members of an account, oldest first.
	AccountDelegations(ctx context.Context, accountID int64) ([]*model.Delegation, error)
	// MemberDelegations lists the accounts a member may act for.
	MemberDelegations(ctx context.Context, memberID int64) ([]*model.Delegation, error)

	AddDelegationAction(ctx context.Context, e *model.DelegationAction) error
	DelegationAction(ctx context.Context, id int64) (*model.DelegationAction, error)
	// DelegationActions pages through an account's activity log, newest
	// first; memberID != 0 keeps that member's entries.
	DelegationActions(ctx context.Context, accountID, memberID int64, p model.Page) ([]*model.DelegationAction, error)

	// SetSessionActing makes a browser session act for accountID (0: its
	// own user).
	SetSessionActing(ctx context.Context, userID, sessionID, accountID int64) error
}
