package core

import (
	"context"
	"errors"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Account recovery by staff (Mastodon's Admin::ResetsController and
// Admin::TwoFactorAuthenticationsController): resetting a user's password
// and turning off their two-factor authentication. Both need Manage User
// Access and a role above the user's, and both are audited; so do
// confirming an address and mailing a new confirmation link (Mastodon's
// Admin::ConfirmationsController, also Manage User Access). Mastodon has
// no admin API for them; the console uses these, the command line
// DisableTwoFactorByName (and set-password).

// PasswordReset is what a staff reset produced: the mail was queued, or,
// without mail, the one-time link staff hand over themselves.
type PasswordReset struct {
	Mailed bool
	Link   string // only when not mailed; shown once
	Email  string // where the mail went
}

// recoveryTarget checks the caller may recover the account's access and
// returns its user and account.
func (s *AdminService) recoveryTarget(ctx context.Context, c *Caller, accountID int64) (*model.User, *model.Account, error) {
	if err := s.Authorize(ctx, c, PermManageUserAccess); err != nil {
		return nil, nil, err
	}
	u, err := s.store.UserByAccountID(ctx, accountID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, herr.NotFound("local account")
	} else if err != nil {
		return nil, nil, herr.Internal(err)
	}
	if err := s.outranks(ctx, c, u); err != nil {
		return nil, nil, err
	}
	a, err := s.store.AccountByID(ctx, accountID)
	if err != nil {
		return nil, nil, readErr(err, "account")
	}
	return u, a, nil
}

// AdminResetPassword resets a user's password, as Mastodon's
// User#reset_password!: the password becomes a random one nobody knows,
// every session, token and stream of the user ends, and a link to choose a
// new password is mailed to them. Without mail, the link is returned for
// the staff member to hand over (after checking who they hand it to).
func (s *AdminService) AdminResetPassword(ctx context.Context, c *Caller, accountID int64) (*PasswordReset, error) {
	u, a, err := s.recoveryTarget(ctx, c, accountID)
	if err != nil {
		return nil, err
	}
	hash, err := HashPassword(RandomToken(32))
	if err != nil {
		return nil, err
	}
	if err := s.setPassword(ctx, u.ID, hash, 0); err != nil {
		return nil, err
	}
	tok, err := s.newUserToken(ctx, u.ID, "reset", resetTokenTTL)
	if err != nil {
		return nil, err
	}
	out := &PasswordReset{}
	if s.MailEnabled() && u.Email != "" {
		if err := s.sendMail(ctx, []string{u.Email}, "Reset your password on "+s.siteTitle(),
			"Hello @"+a.Username+",\n\nA member of the staff of "+s.siteTitle()+" reset the password of your account: you are signed out everywhere. "+
				"To choose a new password, open this link:\n\n"+s.PasswordResetURL(tok)+"\n\nThe link is valid for 2 hours."); err != nil {
			return nil, herr.Internal(err)
		}
		out.Mailed, out.Email = true, u.Email
		s.audit(ctx, c, "reset_password_user", "User", itoa64(accountID), "mailed a password reset to @"+a.Username)
		return out, nil
	}
	out.Link = s.PasswordResetURL(tok)
	s.audit(ctx, c, "reset_password_user", "User", itoa64(accountID), "made a one-time password reset link for @"+a.Username)
	return out, nil
}

// AdminDisableTwoFactor turns off a user's two-factor authentication (they
// lost their device and recovery codes). identityChecked is the staff
// member's statement that they made sure the person asking is the
// account's owner: without it nothing changes.
func (s *AdminService) AdminDisableTwoFactor(ctx context.Context, c *Caller, accountID int64, identityChecked bool) error {
	u, a, err := s.recoveryTarget(ctx, c, accountID)
	if err != nil {
		return err
	}
	if !identityChecked {
		return herr.Unprocessable("Confirm that you checked the identity of the person asking")
	}
	return s.turnOffTwoFactor(ctx, c, u, a)
}

// DisableTwoFactorByName turns off a user's two-factor authentication from
// the command line (the operator at the machine, who checks identity
// themselves).
func (s *AdminService) DisableTwoFactorByName(ctx context.Context, username string) error {
	u, err := s.store.UserByLogin(ctx, username)
	if errors.Is(err, storage.ErrNotFound) {
		return herr.NotFound("user")
	} else if err != nil {
		return herr.Internal(err)
	}
	a, err := s.store.AccountByID(ctx, u.AccountID)
	if err != nil {
		return readErr(err, "account")
	}
	return s.turnOffTwoFactor(ctx, nil, u, a)
}

// turnOffTwoFactor removes the user's second factor and recovery codes,
// audits it and tells the user.
func (s *AdminService) turnOffTwoFactor(ctx context.Context, c *Caller, u *model.User, a *model.Account) error {
	on, err := s.TwoFactorEnabled(ctx, u.ID)
	if err != nil {
		return err
	}
	if !on {
		return herr.Unprocessable("Two-factor authentication is not enabled for @%s", a.Username)
	}
	st, err := s.webStore()
	if err != nil {
		return err
	}
	if err := st.DeleteTwoFactor(ctx, u.ID); err != nil {
		return herr.Internal(err)
	}
	s.audit(ctx, c, "disable_2fa_user", "User", itoa64(a.ID), "turned off two-factor authentication of @"+a.Username)
	if u.Email != "" {
		_ = s.sendMail(ctx, []string{u.Email}, "Two-factor authentication turned off on "+s.siteTitle(),
			"Hello @"+a.Username+",\n\nA member of the staff of "+s.siteTitle()+" turned off two-factor authentication for your account. "+
				"You can sign in with your password alone; turn it on again in your settings.")
	}
	return nil
}

// AdminConfirmEmail marks an unconfirmed user's address as confirmed (the
// staff member checked it another way).
func (s *AdminService) AdminConfirmEmail(ctx context.Context, c *Caller, accountID int64) error {
	u, a, err := s.unconfirmedTarget(ctx, c, accountID)
	if err != nil {
		return err
	}
	if err := s.confirmUser(ctx, u.ID); err != nil {
		return herr.Internal(err)
	}
	s.audit(ctx, c, "confirm_user", "User", itoa64(accountID), "confirmed the e-mail address of @"+a.Username)
	return nil
}

// AdminResendConfirmation mails an unconfirmed user a new confirmation
// link.
func (s *AdminService) AdminResendConfirmation(ctx context.Context, c *Caller, accountID int64) error {
	u, a, err := s.unconfirmedTarget(ctx, c, accountID)
	if err != nil {
		return err
	}
	if !s.MailEnabled() {
		return herr.Unprocessable("E-mail is not configured on this server")
	}
	if err := s.sendConfirmation(ctx, u, a.Username); err != nil {
		return err
	}
	s.audit(ctx, c, "resend_confirmation_user", "User", itoa64(accountID), "mailed a new confirmation link to @"+a.Username)
	return nil
}

// unconfirmedTarget is recoveryTarget for a user whose address waits for
// confirmation.
func (s *AdminService) unconfirmedTarget(ctx context.Context, c *Caller, accountID int64) (*model.User, *model.Account, error) {
	u, a, err := s.recoveryTarget(ctx, c, accountID)
	if err != nil {
		return nil, nil, err
	}
	if u.ConfirmedAt != nil {
		return nil, nil, herr.Unprocessable("The e-mail address of @%s is already confirmed", a.Username)
	}
	return u, a, nil
}
