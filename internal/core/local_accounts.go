package core

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Local accounts are made in one place, createLocalAccount, whether the
// operator makes them (CreateLocalAccount: herald account create) or
// people sign up (Register: the API, the web UI, invites); and an e-mail
// address is valid by one rule, ValidEmail, wherever it is given.

// ValidEmail reports whether email is one plain address (no display
// name, no spaces around it) at a domain with a dot in it, or at
// localhost.
func ValidEmail(email string) bool {
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		return false
	}
	d := emailDomain(email)
	return strings.Contains(d, ".") || d == "localhost"
}

// newLocal is a local account to create: its username (valid), its user
// (the address valid, the password hashed) and, for a sign-up, the
// registration and the invite it uses.
type newLocal struct {
	username string
	user     *model.User
	reg      *model.Registration // nil: made by the operator
	inviteID int64
	now      time.Time
}

// createLocalAccount creates a local account with its user and its
// RSA-2048 key pair for federation. A taken username or address is
// storage.ErrConflict; an invite used up meanwhile,
// storage.ErrInviteUnusable.
func (s *Service) createLocalAccount(ctx context.Context, n newLocal) (*model.Account, error) {
	a, err := s.newLocalAccount(n.username)
	if err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = n.now, n.now
	u := n.user
	u.CreatedAt = n.now
	if u.Role == "" {
		u.Role = model.RoleUser
	}
	if u.Locale == "" {
		u.Locale = "en"
	}
	if u.DefaultVisibility == "" {
		u.DefaultVisibility = "public"
	}
	if n.reg == nil {
		err = s.store.CreateLocalAccount(ctx, a, u)
	} else {
		err = s.store.RegisterLocalAccount(ctx, a, u, n.reg, n.inviteID, n.now)
	}
	if err != nil {
		return nil, err
	}
	s.webhookEvent(ctx, EventAccountCreated, a.ID)
	if u.Approved && u.ConfirmedAt != nil {
		s.webhookEvent(ctx, EventAccountApproved, a.ID)
	}
	return a, nil
}

// CreateLocalAccount creates a local account as the operator: the address
// must be valid (ValidEmail), but the reserved usernames and the sign-up
// policies (mode, e-mail domain and address blocks) are the operator's to
// pass over.
func (s *Service) CreateLocalAccount(ctx context.Context, p NewAccountParams) (*model.Account, *model.User, error) {
	username := strings.ToLower(strings.TrimSpace(p.Username))
	if !ValidUsername(username) {
		return nil, nil, herr.Unprocessable("Validation failed: Username must contain only letters, numbers and underscores, at most 30 characters")
	}
	email := strings.TrimSpace(p.Email)
	if !ValidEmail(email) {
		return nil, nil, herr.Unprocessable("Validation failed: Email is invalid")
	}
	role := p.Role
	if role == "" {
		role = model.RoleUser
	}
	if !model.ValidRole(role) {
		return nil, nil, herr.Unprocessable("Validation failed: Role must be owner, admin, moderator or user")
	}
	hash, err := HashPassword(p.Password)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now().UTC()
	u := &model.User{Email: email, PasswordHash: hash, Role: role, Approved: p.Approved}
	if p.Confirm {
		u.ConfirmedAt = &now
	}
	a, err := s.createLocalAccount(ctx, newLocal{username: username, user: u, now: now})
	if errors.Is(err, storage.ErrConflict) {
		return nil, nil, herr.Unprocessable("Validation failed: Username or e-mail address is already taken")
	} else if err != nil {
		return nil, nil, herr.Internal(err)
	}
	return a, u, nil
}
