package core

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/storage"
)

// CallerAwaitingConfirmation authenticates a token as CallerByToken does,
// but also accepts the token of a user who has not confirmed their e-mail
// address yet (everywhere else refused with 403): Mastodon's e-mail
// confirmation endpoints are meant for them. A disabled or suspended
// user, or a member acting for an account, is still refused.
func (s *Service) CallerAwaitingConfirmation(ctx context.Context, token string) (*Caller, error) {
	c, err := s.CallerByToken(ctx, token)
	if err == nil || herr.As(err).Status != http.StatusForbidden {
		return c, err
	}
	t, terr := s.store.TokenByValue(ctx, token)
	if terr != nil || t.UserID == 0 || t.DelegateID != 0 {
		return nil, err
	}
	u, uerr := s.store.UserByAccountID(ctx, t.UserID)
	if uerr != nil {
		return nil, err
	}
	a, aerr := s.store.AccountByID(ctx, u.AccountID)
	if aerr != nil || u.ConfirmedAt != nil || u.Disabled || a.SuspendedAt != nil {
		return nil, err
	}
	return &Caller{Token: t, User: u, Account: a}, nil
}

// EmailConfirmed is Mastodon's GET /api/v1/emails/check_confirmation:
// whether the caller's e-mail address is confirmed. A user who changed
// their address is awaiting the new one's confirmation (Herald keeps no
// second, pending address as Mastodon does), so the answer is false until
// they open the link. Without a user (an app token) it is Mastodon's 401.
func (s *Service) EmailConfirmed(c *Caller) (bool, error) {
	if c == nil || c.User == nil {
		return false, herr.Unauthorized("This method requires an authenticated user")
	}
	return c.User.ConfirmedAt != nil, nil
}

// RequestConfirmationMail is Mastodon's POST /api/v1/emails/confirmations:
// it mails a new confirmation link to a user still awaiting confirmation,
// first changing their address when email is given. As Mastodon, only the
// app the user signed up with may ask (403 otherwise), and a confirmed
// user gets 403.
func (s *Service) RequestConfirmationMail(ctx context.Context, c *Caller, email *string) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	reg, err := s.store.Registration(ctx, c.User.ID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return herr.Internal(err)
	}
	if reg == nil || reg.AppID == 0 || c.Token == nil || reg.AppID != c.Token.AppID {
		return herr.Forbidden("This method is only available to the application the user originally signed-up with")
	}
	if c.User.ConfirmedAt != nil {
		return herr.Forbidden("This method is only available while the e-mail is awaiting confirmation")
	}
	if !s.MailEnabled() {
		return herr.Unprocessable("E-mail is not configured on this server")
	}
	u := c.User
	if email != nil && !strings.EqualFold(strings.TrimSpace(*email), u.Email) {
		addr := strings.TrimSpace(*email)
		if err := s.checkNewEmail(ctx, addr); err != nil {
			return err
		}
		ws, err := s.webStore()
		if err != nil {
			return err
		}
		if err := ws.SetEmail(ctx, u.ID, addr, false); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return herr.Unprocessable("Validation failed: Email is already taken")
			}
			return herr.Internal(err)
		}
		changed := *u
		changed.Email = addr
		u = &changed
	}
	return s.sendConfirmation(ctx, u, c.Account.Username)
}

// checkNewEmail applies the sign-up rules for an address to a changed
// one: well-formed, not of a blocked provider, not taken.
func (s *Service) checkNewEmail(ctx context.Context, email string) error {
	if !ValidEmail(email) {
		return herr.Unprocessable("Validation failed: Email is invalid")
	}
	domain := emailDomain(email)
	reg := s.Cfg.Registration
	blocked := domainIn(domain, reg.EmailDomainBlocklist) || (len(reg.EmailDomainAllowlist) > 0 && !domainIn(domain, reg.EmailDomainAllowlist))
	if b, err := s.store.EmailDomainBlockFor(ctx, domain); err == nil && !b.AllowWithApproval {
		blocked = true
	} else if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return herr.Internal(err)
	}
	if cb, err := s.store.CanonicalEmailBlocksByHash(ctx, CanonicalEmailHash(email)); err != nil {
		return herr.Internal(err)
	} else if len(cb) > 0 {
		blocked = true
	}
	if blocked {
		return herr.Unprocessable("Validation failed: Email uses a disallowed e-mail provider")
	}
	if _, err := s.store.UserByLogin(ctx, email); err == nil {
		return herr.Unprocessable("Validation failed: Email is already taken")
	} else if !errors.Is(err, storage.ErrNotFound) {
		return herr.Internal(err)
	}
	return nil
}
