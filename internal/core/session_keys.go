package core

import (
	"context"
	"errors"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// WebSessionKey is the key the web UI signs its cookies with: made on
// first use and kept, so that a restart keeps people signed in. It never
// changes once made, so it is read once per process (every signed-in page
// and CSRF check needs it).
func (s *AuthService) WebSessionKey(ctx context.Context) ([]byte, error) {
	if k := s.sessionKey.Load(); k != nil {
		return *k, nil
	}
	v, err := s.store.SettingOrCreate(ctx, "session_secret", func() (string, error) { return RandomToken(48), nil })
	if err != nil {
		return nil, herr.Internal(err)
	}
	k := []byte(v)
	s.sessionKey.Store(&k)
	return k, nil
}

// PendingSignIn returns the user who gave the right password a moment
// ago (the web UI remembers who in a signed cookie) and must now give a
// second factor; only a user who may still sign in.
func (s *AuthService) PendingSignIn(ctx context.Context, userID int64) (*model.User, error) {
	u, err := s.store.UserByAccountID(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.Unauthorized("Your session has ended")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	if err := s.UsableUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}
