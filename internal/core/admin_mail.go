package core

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Mail: confirmation links, password resets, approval decisions, warnings
// and new-report notices. Without [smtp] configured nothing is sent and
// sign-ups need no confirmation.

// Token lifetimes.
const (
	confirmTokenTTL = 7 * 24 * time.Hour
	resetTokenTTL   = 2 * time.Hour
)

// MailEnabled reports whether outgoing mail is configured.
func (s *AdminService) MailEnabled() bool { return s.Cfg.SMTP.Enabled() }

// sendMail queues a mail job (JobMail) with the rendered message: a slow
// mail server must not hold a request, and a mail server that is down gets
// the message when it is up again (the job is retried with backoff), even
// across restarts. Without a job runtime (core alone: the command line) it
// sends at once. A failure to queue or send is logged and returned.
func (s *AdminService) sendMail(ctx context.Context, to []string, subject, body string) error {
	if !s.MailEnabled() || len(to) == 0 {
		return nil
	}
	msg := mailJob{To: to, Subject: subject, Body: body + "\n\n-- \n" + s.siteTitle() + "\n" + s.Base() + "\n"}
	queued, err := s.queueJobs(ctx, storage.Job{Kind: JobMail, Payload: jobs.Encode(msg)})
	if err == nil && !queued {
		err = s.deliverMail(ctx, msg)
	}
	if err != nil && s.Log != nil {
		s.Log.Warn("mail not sent", "subject", subject, "err", err)
	}
	return err
}

func (s *AdminService) siteTitle() string {
	st, err := s.Site(context.Background())
	if err != nil {
		return s.Cfg.Instance.Title
	}
	return st.Title
}

// newUserToken makes and stores a one-time token for a user.
func (s *AdminService) newUserToken(ctx context.Context, userID int64, kind string, ttl time.Duration) (string, error) {
	plain := RandomToken(32)
	if err := s.store.CreateUserToken(ctx, storageHash(plain), model.UserToken{UserID: userID, Kind: kind, ExpiresAt: time.Now().Add(ttl)}); err != nil {
		return "", herr.Internal(err)
	}
	return plain, nil
}

// ConfirmationURL is the link that confirms an address.
func (s *AdminService) ConfirmationURL(token string) string {
	return s.Base() + "/auth/confirmation?confirmation_token=" + url.QueryEscape(token)
}

// PasswordResetURL is the link to the form that sets a new password.
func (s *AdminService) PasswordResetURL(token string) string {
	return s.Base() + "/auth/password/edit?reset_password_token=" + url.QueryEscape(token)
}

// sendConfirmation mails a confirmation link to a new user.
func (s *AdminService) sendConfirmation(ctx context.Context, u *model.User, username string) error {
	if !s.MailEnabled() {
		return nil
	}
	tok, err := s.newUserToken(ctx, u.ID, "confirm", confirmTokenTTL)
	if err != nil {
		return err
	}
	if err := s.sendMail(ctx, []string{u.Email}, "Confirm your e-mail address for "+s.siteTitle(),
		"Hello @"+username+",\n\nPlease confirm your e-mail address by opening this link:\n\n"+s.ConfirmationURL(tok)+
			"\n\nThe link is valid for 7 days. If you did not sign up, ignore this message."); err != nil {
		return herr.Internal(err)
	}
	return nil
}

// Confirm confirms a user's address with a mailed token.
func (s *AdminService) Confirm(ctx context.Context, token string) (*model.User, error) {
	bad := herr.Unprocessable("This confirmation link is invalid or has expired")
	if token == "" || len(token) > 256 {
		return nil, bad
	}
	t, err := s.store.ConsumeUserToken(ctx, storageHash(token), "confirm")
	if errors.Is(err, storage.ErrNotFound) {
		return nil, bad
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	if time.Now().After(t.ExpiresAt) {
		return nil, bad
	}
	if err := s.confirmUser(ctx, t.UserID); err != nil {
		return nil, herr.Internal(err)
	}
	u, err := s.store.UserByAccountID(ctx, t.UserID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return u, nil
}

// ResendConfirmation mails a new link to the caller, if unconfirmed.
func (s *AdminService) ResendConfirmation(ctx context.Context, c *Caller) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	if c.User.ConfirmedAt != nil {
		return herr.Forbidden("This method is only available while the e-mail is awaiting confirmation")
	}
	if !s.MailEnabled() {
		return herr.Unprocessable("E-mail is not configured on this server")
	}
	return s.sendConfirmation(ctx, c.User, c.Account.Username)
}

// RequestPasswordReset mails a reset link to the address, if it is a
// user's. The answer is the same whether or not it is.
func (s *AdminService) RequestPasswordReset(ctx context.Context, email string) error {
	if !s.MailEnabled() {
		return herr.Unprocessable("Password reset by e-mail is not available on this server: ask an administrator")
	}
	u, err := s.store.UserByLogin(ctx, email)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	} else if err != nil {
		return herr.Internal(err)
	}
	if u.Disabled || u.Email == "" {
		return nil
	}
	tok, err := s.newUserToken(ctx, u.ID, "reset", resetTokenTTL)
	if err != nil {
		return err
	}
	if err := s.sendMail(ctx, []string{u.Email}, "Reset your password on "+s.siteTitle(),
		"Someone asked to reset the password of your account. To choose a new password, open this link:\n\n"+
			s.PasswordResetURL(tok)+"\n\nThe link is valid for 2 hours. If it was not you, ignore this message: your password stays as it is."); err != nil {
		return herr.Internal(err)
	}
	return nil
}

// ResetPassword sets a new password with a mailed token; every token and
// every browser session of the user ends.
func (s *AdminService) ResetPassword(ctx context.Context, token, password string) error {
	bad := herr.Unprocessable("This password reset link is invalid or has expired")
	if token == "" || len(token) > 256 {
		return bad
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	t, err := s.store.ConsumeUserToken(ctx, storageHash(token), "reset")
	if errors.Is(err, storage.ErrNotFound) {
		return bad
	} else if err != nil {
		return herr.Internal(err)
	}
	if time.Now().After(t.ExpiresAt) {
		return bad
	}
	if err := s.setPassword(ctx, t.UserID, hash, 0); err != nil {
		return err
	}
	// Following the mailed link proves the address.
	_ = s.confirmUser(ctx, t.UserID)
	return nil
}

// confirmUser confirms a user's address. An approved account whose address
// was not confirmed yet becomes usable: account.approved, as Mastodon's
// User#confirm!.
func (s *AdminService) confirmUser(ctx context.Context, userID int64) error {
	before, err := s.store.UserByAccountID(ctx, userID)
	if err != nil {
		return err
	}
	if err := s.store.ConfirmUser(ctx, userID, time.Now()); err != nil {
		return err
	}
	if before.ConfirmedAt == nil && before.Approved {
		s.webhookEvent(ctx, EventAccountApproved, before.AccountID)
	}
	return nil
}

// notifyStaff mails the users whose role grants perm and who want mail of
// kind (report, sign_up: their StaffEmailPrefs).
func (s *AdminService) notifyStaff(ctx context.Context, perm Permission, kind, subject, body string) {
	if !s.MailEnabled() {
		return
	}
	keys, err := s.roleKeysWith(ctx, perm)
	if err != nil {
		return
	}
	to, err := s.store.StaffEmails(ctx, keys, kind)
	if err != nil || len(to) == 0 {
		return
	}
	for _, addr := range to {
		_ = s.sendMail(ctx, []string{addr}, subject, body) // logged
	}
}

// staffNotification creates an in-app notification (admin.report,
// admin.sign_up) for each user whose role grants perm. As Mastodon's, these
// are always created; clients filter them by type. A failure is logged:
// the report or sign-up is stored already.
func (s *AdminService) staffNotification(ctx context.Context, perm Permission, typ string, fromID, reportID int64) {
	keys, err := s.roleKeysWith(ctx, perm)
	if err == nil {
		err = s.store.CreateStaffNotifications(ctx, keys, typ, fromID, reportID)
	}
	if err != nil && s.Log != nil {
		s.Log.Warn("staff notification", "type", typ, "err", err)
	}
}

// StaffEmailPrefs reads the caller's staff e-mail preferences.
func (s *AdminService) StaffEmailPrefs(ctx context.Context, c *Caller) (storage.StaffEmailPrefs, error) {
	if err := s.requireUser(c); err != nil {
		return storage.StaffEmailPrefs{}, err
	}
	p, err := s.store.StaffEmailPrefs(ctx, c.Account.ID)
	if err != nil {
		return p, herr.Internal(err)
	}
	return p, nil
}

// SetStaffEmailPrefs stores the caller's staff e-mail preferences.
func (s *AdminService) SetStaffEmailPrefs(ctx context.Context, c *Caller, p storage.StaffEmailPrefs) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	if err := s.store.SetStaffEmailPrefs(ctx, c.Account.ID, p); err != nil {
		return herr.Internal(err)
	}
	return nil
}
