package storage

import (
	"context"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// WebSession is a signed-in browser.
type WebSession struct {
	ID         int64
	UserID     int64
	IP         string
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ActingID: the account this session acts for through a delegation
	// (the web client's account switcher); 0 for its own user.
	ActingID int64
}

// TwoFactor is a user's TOTP set-up.
type TwoFactor struct {
	UserID    int64
	Secret    string // base32
	EnabledAt *time.Time
	LastStep  int64
}

// AuthorizedApp is an app holding tokens of a user.
type AuthorizedApp struct {
	App        *model.App
	Scopes     string // of the newest token
	Tokens     int
	CreatedAt  time.Time  // first token
	LastUsedAt *time.Time // any token
	// MemberID: the tokens are a team member's, who acts as the account
	// through a delegation (Token.DelegateID); 0: the user's own.
	MemberID int64
}

// WebUI stores what the web interface keeps of its own: sessions and
// two-factor authentication. It is not part of Store: the domain layer
// asks for it with a type assertion, so that other stores may lack it.
type WebUI interface {
	CreateWebSession(ctx context.Context, tokenHash []byte, s *WebSession) error
	WebSessionByHash(ctx context.Context, tokenHash []byte) (*WebSession, error)
	TouchWebSession(ctx context.Context, id int64, now time.Time) error
	WebSessions(ctx context.Context, userID int64) ([]*WebSession, error)
	// DeleteWebSession deletes a session of the user (false: none such).
	DeleteWebSession(ctx context.Context, userID, id int64) (bool, error)

	TwoFactor(ctx context.Context, userID int64) (*TwoFactor, error)
	SaveTwoFactor(ctx context.Context, t *TwoFactor) error
	// DeleteTwoFactor removes the secret and the recovery codes.
	DeleteTwoFactor(ctx context.Context, userID int64) error
	// UseTwoFactorStep records the time step of an accepted code; false
	// when that step (or a later one) was used already.
	UseTwoFactorStep(ctx context.Context, userID, step int64) (bool, error)
	ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte) error
	ConsumeRecoveryCode(ctx context.Context, userID int64, hash []byte) (bool, error)
	CountRecoveryCodes(ctx context.Context, userID int64) (int, error)

	// AuthorizedApps lists the apps holding tokens of the user: one entry
	// per app and per who uses them (the user, or each team member acting
	// as the account).
	AuthorizedApps(ctx context.Context, userID int64) ([]AuthorizedApp, error)
	// RevokeAppTokens deletes the user's tokens held by an app and used by
	// memberID (0: the user's own) and returns their ids.
	RevokeAppTokens(ctx context.Context, userID, appID, memberID int64) ([]int64, error)
	SetEmail(ctx context.Context, userID int64, email string, confirmed bool) error
}
