package core

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Account migration, outgoing (Mastodon's /settings/aliases and
// /settings/migration): a local account lists the accounts it is also
// known as (alsoKnownAs, so that an account elsewhere can move here), and
// moves to another account, which must list it first. The moved account
// keeps existing, points to the new one (movedTo), and posts no more; its
// followers' servers move them on receiving the Move (the incoming
// direction is RemoteAccountMoved).

// requireNotMoved refuses what a moved account may no longer do (post),
// as Mastodon treats a moved account as no longer functional.
func requireNotMoved(c *Caller) error {
	if c != nil && c.Account != nil && c.Account.MovedToID != 0 {
		return herr.Forbidden("This account has moved to another account and can no longer post")
	}
	return nil
}

// AccountAliases lists the actor URIs the caller's account is also known
// as.
func (s *FederationService) AccountAliases(ctx context.Context, c *Caller) ([]string, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	return s.LocalAccountAliases(ctx, c.Account.ID)
}

// LocalAccountAliases is a local account's alsoKnownAs, for its actor
// document.
func (s *FederationService) LocalAccountAliases(ctx context.Context, accountID int64) ([]string, error) {
	return s.store.AccountAliases(ctx, accountID)
}

// AddAccountAlias resolves acct (user@domain or an actor URL) and lists
// it as an alias of the caller's account; the actor Update tells peers.
func (s *FederationService) AddAccountAlias(ctx context.Context, c *Caller, acct string) (string, error) {
	if err := s.requireUser(c); err != nil {
		return "", err
	}
	target, err := s.resolveMigrationAccount(ctx, acct)
	if err != nil {
		return "", err
	}
	if target.ID == c.Account.ID {
		return "", herr.Unprocessable("Validation failed: An account cannot be an alias of itself")
	}
	ev := model.OutboxEvent{Kind: model.EventAccountUpdate, AccountID: c.Account.ID, ObjectID: c.Account.ID}
	_, err = s.store.SetAccountAlias(ctx, c.Account.ID, target.URI, true, []model.OutboxEvent{ev})
	if errors.Is(err, storage.ErrAliasLimit) {
		return "", herr.Unprocessable("Validation failed: An account may list at most 10 aliases")
	}
	if err != nil {
		return "", err
	}
	return target.URI, nil
}

// RemoveAccountAlias removes an alias by its actor URI; an unknown one is
// nothing to do.
func (s *FederationService) RemoveAccountAlias(ctx context.Context, c *Caller, uri string) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	ev := model.OutboxEvent{Kind: model.EventAccountUpdate, AccountID: c.Account.ID, ObjectID: c.Account.ID}
	_, err := s.store.SetAccountAlias(ctx, c.Account.ID, uri, false, []model.OutboxEvent{ev})
	return err
}

// MoveAccount moves the caller's account to acct, as Mastodon's
// AccountMigration: the current password is required, the target must
// list the account in its alsoKnownAs (fetched afresh), and the account
// must not already have moved there. The account is marked moved, an
// actor Update and a Move go to its followers' servers, and its local
// followers follow the new account instead.
func (s *FederationService) MoveAccount(ctx context.Context, c *Caller, acct, password string) (*model.Account, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	if _, err := s.checkPassword(ctx, c, password); err != nil {
		return nil, err
	}
	from := c.Account
	target, err := s.resolveMigrationAccount(ctx, acct)
	if err != nil {
		return nil, err
	}
	switch {
	case target.ID == from.ID:
		return nil, herr.Unprocessable("Validation failed: An account cannot move to itself")
	case from.MovedToID == target.ID:
		return nil, herr.Unprocessable("Validation failed: This account has already moved to that account")
	case target.SuspendedAt != nil || target.MovedToID != 0:
		return nil, herr.Unprocessable("Validation failed: The new account cannot receive a move")
	}
	var aliases []string
	if target.Local() {
		aliases, err = s.store.AccountAliases(ctx, target.ID)
	} else if s.Resolver != nil {
		aliases, err = s.Resolver.ActorAliases(ctx, target.URI)
	}
	if err != nil {
		return nil, herr.Wrap(http.StatusUnprocessableEntity, "Validation failed: The new account could not be fetched", err)
	}
	if !slices.Contains(aliases, from.URI) {
		return nil, herr.Unprocessable("Validation failed: The new account must first list this account as an alias")
	}
	events := []model.OutboxEvent{
		{Kind: model.EventAccountUpdate, AccountID: from.ID, ObjectID: from.ID},
		{Kind: model.EventAccountMove, AccountID: from.ID, ObjectID: target.ID},
	}
	// Local followers follow the new account (Mastodon's MoveWorker runs
	// for local followers too): a job queued with the move, in batches.
	if err := s.store.MoveAccount(ctx, from.ID, target.ID, events, moveFollowersJob(from.ID, target.ID, 0)); err != nil {
		return nil, err
	}
	s.wakeJobs(JobMoveFollowers)
	from.MovedToID = target.ID
	s.webhookEvent(ctx, EventAccountUpdated, from.ID)
	return target, nil
}

// resolveMigrationAccount finds the account named by acct (local or
// remote), a 422 when there is none.
func (s *FederationService) resolveMigrationAccount(ctx context.Context, acct string) (*model.Account, error) {
	if acct == "" {
		return nil, herr.Unprocessable("Validation failed: Handle of the account can't be blank")
	}
	if s.Resolver == nil {
		return nil, herr.Unprocessable("Validation failed: Federation is not available")
	}
	a, err := s.Resolver.ResolveAccount(ctx, acct)
	if err != nil || a == nil {
		return nil, herr.Wrap(http.StatusUnprocessableEntity, "Validation failed: Account not found", err)
	}
	return a, nil
}
