package core

import (
	"context"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// Small reads the surfaces need, each with its rule.

// CallerApp returns the app the caller's token was issued to; a token of
// no app (or of one since deleted) is refused as Mastodon refuses it.
func (s *Service) CallerApp(ctx context.Context, c *Caller) (*model.App, error) {
	bad := herr.Unauthorized("The access token is invalid")
	if c == nil || c.Token == nil || c.Token.AppID == 0 {
		return nil, bad
	}
	app, err := s.store.AppByID(ctx, c.Token.AppID)
	if err != nil {
		return nil, bad
	}
	return app, nil
}

// FollowRequestCount counts the follow requests waiting for accountID's
// answer (shown to the account itself).
func (s *Service) FollowRequestCount(ctx context.Context, accountID int64) (int64, error) {
	v, cached := authVersion(ctx, s.store.AuthVersion)
	if cached {
		if n, ok := s.authCache.followRequests(v, accountID); ok {
			return n, nil
		}
	}
	n, err := s.store.CountFollowRequests(ctx, accountID)
	if err != nil {
		return 0, herr.Internal(err)
	}
	if cached {
		s.authCache.putFollowRequests(v, accountID, n)
	}
	return n, nil
}

// NotificationsSince reads every account's notifications with an id above
// afterID, oldest first, at most limit: the streaming API tails them to
// their recipients, each checked by NotificationFor.
func (s *Service) NotificationsSince(ctx context.Context, afterID int64, limit int) ([]*model.Notification, error) {
	return orInternal(s.store.NotificationsSince(ctx, afterID, limit))
}
