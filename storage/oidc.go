package storage

import (
	"context"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// OIDCLink ties a user of an OpenID provider (issuer and subject) to a
// local user.
type OIDCLink struct {
	ID           int64
	UserID       int64
	Issuer       string
	Subject      string
	Email        string // as the provider last gave it
	CreatedAt    time.Time
	LastSignInAt *time.Time
	Username     string // the local account's, when listed
}

// OIDCSession is what is kept of a browser session started through the
// provider.
type OIDCSession struct {
	LinkID  int64
	SID     string
	IDToken string
}

// OIDC stores single sign-on links and the browser sessions started
// through them. Like WebUI it is not part of Store: the domain layer asks
// for it with a type assertion.
type OIDC interface {
	OIDCLink(ctx context.Context, issuer, subject string) (*OIDCLink, error)
	// CreateOIDCLink stores a link; ErrConflict when the subject is
	// linked already.
	CreateOIDCLink(ctx context.Context, l *OIDCLink) error
	TouchOIDCLink(ctx context.Context, id int64, email string, now time.Time) error
	// OIDCLinks lists the links, newest first, with their usernames.
	OIDCLinks(ctx context.Context, p model.Page) ([]*OIDCLink, error)
	CountOIDCLinks(ctx context.Context) (int64, error)
	// DeleteOIDCLink removes a link and ends the browser sessions started
	// through it (false: none such).
	DeleteOIDCLink(ctx context.Context, id int64) (bool, error)
	// AddOIDCSession marks the browser session with this token hash as
	// started through a link.
	AddOIDCSession(ctx context.Context, webSessionHash []byte, s OIDCSession) error
	OIDCSessionByWebSession(ctx context.Context, webSessionHash []byte) (*OIDCSession, error)
	// EndOIDCSessions deletes the browser sessions started through the
	// provider's user (subject, "" for any) and, when sid is not empty,
	// its session sid; it returns how many ended.
	EndOIDCSessions(ctx context.Context, issuer, subject, sid string) (int64, error)
}
