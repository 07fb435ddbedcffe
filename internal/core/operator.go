package core

import (
	"context"
	"errors"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// What the operator does from the command line (herald account list,
// herald token create): the operator acts as no caller, with the run of
// the database.

// LocalAccounts pages through the local accounts with their users, oldest
// first.
func (s *AuthService) LocalAccounts(ctx context.Context, limit, offset int) ([]*model.Account, []*model.User, error) {
	accts, users, err := s.store.ListLocalAccounts(ctx, limit, offset)
	if err != nil {
		return nil, nil, herr.Internal(err)
	}
	return accts, users, nil
}

// IssueUserToken issues an access token of no app, with scopes, for the
// local user username.
func (s *AuthService) IssueUserToken(ctx context.Context, username string, scopes []string) (string, *model.Account, error) {
	a, err := s.LocalAccount(ctx, username)
	if err != nil {
		return "", nil, err
	}
	u, err := s.store.UserByAccountID(ctx, a.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return "", nil, herr.NotFound("user") // a service account, such as the instance actor
	} else if err != nil {
		return "", nil, herr.Internal(err)
	}
	plain, _, err := s.IssueToken(ctx, 0, u.ID, scopes)
	if err != nil {
		return "", nil, err
	}
	return plain, a, nil
}
