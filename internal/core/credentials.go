package core

import (
	"context"
	"errors"
	"net/http"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Ending credentials. A revoked token or a suspended account is refused at
// the next request, but a streaming connection makes no more requests: the
// rules here announce every end of a credential (Service.Revoked) so that
// the connections holding it are closed at once.

// Revocation says which credentials just ended.
type Revocation struct {
	// TokenIDs are access tokens that were revoked.
	TokenIDs []int64
	// AccountID, when not 0, is a local account all of whose credentials
	// ended: its password changed, or it was suspended, disabled or
	// deleted.
	AccountID int64
}

// revoked announces ended credentials; it runs after the change is stored,
// synchronously, so that when the request that ended them answers, their
// connections are closed.
func (s *AuthService) revoked(r Revocation) {
	if s.Revoked != nil && (r.AccountID != 0 || len(r.TokenIDs) > 0) {
		s.Revoked(r)
	}
}

// callerOfToken builds the caller of a stored token, refusing the tokens
// of users who may no longer use them.
func (s *AuthService) callerOfToken(ctx context.Context, t *model.Token) (*Caller, error) {
	bad := herr.Unauthorized("The access token is invalid")
	c := &Caller{Token: t}
	if t.UserID == 0 {
		return c, nil
	}
	// As Mastodon: a valid token of a disabled, unapproved, unconfirmed
	// or suspended user gets 403 with the reason.
	u, a, err := s.userWithAccount(ctx, t.UserID)
	if err != nil {
		if herr.As(err).Status == http.StatusForbidden {
			return nil, err
		}
		return nil, bad
	}
	c.User, c.Account = u, a
	if t.DelegateID != 0 {
		// A delegated token: its delegation must stand and its member
		// still be able to sign in. Nothing is cached, so a revocation
		// takes effect at the next request.
		d, err := s.store.Delegation(ctx, t.UserID, t.DelegateID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, bad
		} else if err != nil {
			return nil, herr.Internal(err)
		}
		_, m, err := s.userWithAccount(ctx, t.DelegateID)
		if err != nil {
			return nil, bad
		}
		c.Member, c.Delegation = m, d
	}
	return c, nil
}

// callerOfTokenID is callerOfToken of a stored token by id (a queued
// push, sent later for the token's subscription).
func (s *AuthService) callerOfTokenID(ctx context.Context, tokenID int64) (*Caller, error) {
	t, err := s.store.TokenByID(ctx, tokenID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.Unauthorized("The access token is invalid")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	return s.callerOfToken(ctx, t)
}

// CheckCaller checks again the credential of a caller authenticated
// earlier (a streaming connection, at each subscription): its token must
// still exist and its user still be usable.
func (s *AuthService) CheckCaller(ctx context.Context, c *Caller) error {
	bad := herr.Unauthorized("The access token is invalid")
	if c == nil || c.Token == nil || c.Token.ID == 0 {
		return bad
	}
	t, err := s.store.TokenByID(ctx, c.Token.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return bad
	} else if err != nil {
		return herr.Internal(err)
	}
	if t.UserID != c.Token.UserID {
		return bad
	}
	_, err = s.callerOfToken(ctx, t)
	return err
}

// RevokedTokens returns which of the tokens held by open connections no
// longer exist: another process (the command line, which sets passwords)
// deleted them, and its announcement could not reach this one.
func (s *AuthService) RevokedTokens(ctx context.Context, ids []int64) ([]int64, error) {
	live, err := s.store.ExistingTokenIDs(ctx, ids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	exists := make(map[int64]bool, len(live))
	for _, id := range live {
		exists[id] = true
	}
	var gone []int64
	for _, id := range ids {
		if !exists[id] {
			gone = append(gone, id)
		}
	}
	return gone, nil
}

// RevokeToken revokes an access token presented by its app (POST
// /oauth/revoke). As RFC 7009, an unknown token is no error.
func (s *AuthService) RevokeToken(ctx context.Context, app *model.App, token string) error {
	if token == "" || len(token) > 512 {
		return nil
	}
	id, err := s.store.RevokeToken(ctx, token, app.ID)
	if err != nil {
		return herr.Internal(err)
	}
	if id != 0 {
		s.revoked(Revocation{TokenIDs: []int64{id}})
	}
	return nil
}

// setPassword is the one place where a password changes (ChangePassword,
// ResetPassword, the administrator's SetPassword). It stores the hash
// (made by HashPassword) and ends every credential of the user: all
// access tokens, every browser session but keepSession (the browser that
// changed its own password; 0: none), and their streams. Users share
// their account's id.
func (s *AuthService) setPassword(ctx context.Context, userID int64, hash string, keepSession int64) error {
	err := s.store.SetPassword(ctx, userID, hash, keepSession)
	if errors.Is(err, storage.ErrNotFound) {
		return herr.NotFound("user")
	} else if err != nil {
		return herr.Internal(err)
	}
	s.revoked(Revocation{AccountID: userID})
	return nil
}
