package core

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Browser sessions of the web UI. The session cookie (a signed JWT made by
// webui) carries a random session id; the session itself is a row of the
// store, so that people can list their sessions and end them, and a
// password change can end them all.

// WebScopes are the scopes of a browser session: everything its user may
// do (admin actions still need the role's permission).
const WebScopes = "read write follow push profile admin:read admin:write"

func (s *AuthService) webStore() (storage.WebUI, error) {
	ws, ok := s.store.(storage.WebUI)
	if !ok {
		return nil, herr.Internal(errors.New("the store does not keep web sessions"))
	}
	return ws, nil
}

// userWebStore is webStore for a signed-in user's own settings.
func (s *AuthService) userWebStore(c *Caller) (storage.WebUI, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	return s.webStore()
}

func sessionHash(token string) []byte {
	h := sha256.Sum256([]byte("web-session:" + token))
	return h[:]
}

// StartWebSession records a new browser session of u and returns its
// secret id, to be carried in the session cookie.
func (s *AuthService) StartWebSession(ctx context.Context, u *model.User, ip, userAgent string) (string, error) {
	st, err := s.webStore()
	if err != nil {
		return "", err
	}
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	tok := RandomToken(32)
	now := time.Now().UTC()
	if err := st.CreateWebSession(ctx, sessionHash(tok), &storage.WebSession{UserID: u.ID, IP: ip, UserAgent: userAgent,
		CreatedAt: now, LastSeenAt: now}); err != nil {
		return "", herr.Internal(err)
	}
	s.RecordSignIn(ctx, u.ID, ip)
	return tok, nil
}

// WebSessionCaller returns the caller of a live browser session: its user
// (who must still be usable), account and a token standing for the
// session, with WebScopes.
func (s *AuthService) WebSessionCaller(ctx context.Context, token string) (*Caller, *storage.WebSession, error) {
	bad := herr.Unauthorized("Your session has ended")
	if token == "" || len(token) > 128 {
		return nil, nil, bad
	}
	st, err := s.webStore()
	if err != nil {
		return nil, nil, err
	}
	sess, err := st.WebSessionByHash(ctx, sessionHash(token))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, bad
	} else if err != nil {
		return nil, nil, herr.Internal(err)
	}
	u, a, err := s.userWithAccount(ctx, sess.UserID)
	if err != nil {
		return nil, nil, bad
	}
	if now := time.Now(); now.Sub(sess.LastSeenAt) > 5*time.Minute {
		_ = st.TouchWebSession(ctx, sess.ID, now)
	}
	s.noteActivity(ctx, u.ID)
	return &Caller{Token: &model.Token{UserID: u.ID, Scopes: WebScopes, CreatedAt: sess.CreatedAt}, User: u, Account: a}, sess, nil
}

// EndWebSession deletes the session with this secret id (sign out).
func (s *AuthService) EndWebSession(ctx context.Context, token string) {
	st, err := s.webStore()
	if err != nil || token == "" {
		return
	}
	if sess, err := st.WebSessionByHash(ctx, sessionHash(token)); err == nil {
		_, _ = st.DeleteWebSession(ctx, sess.UserID, sess.ID)
	}
}

// WebSessions lists the caller's browser sessions, most recent first.
func (s *AuthService) WebSessions(ctx context.Context, c *Caller) ([]*storage.WebSession, error) {
	st, err := s.userWebStore(c)
	if err != nil {
		return nil, err
	}
	return orInternal(st.WebSessions(ctx, c.User.ID))
}

// RevokeWebSession ends one of the caller's sessions.
func (s *AuthService) RevokeWebSession(ctx context.Context, c *Caller, id int64) error {
	st, err := s.userWebStore(c)
	if err != nil {
		return err
	}
	ok, err := st.DeleteWebSession(ctx, c.User.ID, id)
	if err != nil {
		return herr.Internal(err)
	}
	if !ok {
		return herr.NotFound("session")
	}
	return nil
}

// ChangePassword sets the caller's password after checking the current
// one; every access token and every browser session but keepSession (the
// one making the change) ends.
func (s *AuthService) ChangePassword(ctx context.Context, c *Caller, current, next string, keepSession int64) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	if _, err := s.checkPassword(ctx, c, current); err != nil {
		return err
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	return s.setPassword(ctx, c.User.ID, hash, keepSession)
}

// ChangeEmail sets the caller's e-mail address after checking the
// password. With mail configured the new address must be confirmed.
func (s *AuthService) ChangeEmail(ctx context.Context, c *Caller, password, email string) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	if _, err := s.checkPassword(ctx, c, password); err != nil {
		return err
	}
	email = strings.TrimSpace(email)
	if !ValidEmail(email) {
		return herr.Unprocessable("Validation failed: Email is invalid")
	}
	st, err := s.webStore()
	if err != nil {
		return err
	}
	confirmed := !s.MailEnabled()
	if err := st.SetEmail(ctx, c.User.ID, email, confirmed); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return herr.Unprocessable("Validation failed: Email is already taken")
		}
		return herr.Internal(err)
	}
	if !confirmed {
		u, err := s.store.UserByAccountID(ctx, c.User.ID)
		if err == nil {
			_ = s.ResendConfirmation(ctx, &Caller{Token: c.Token, User: u, Account: c.Account})
		}
	}
	return nil
}

// checkPassword confirms the signed-in caller's current password (loaded
// with the caller in this request) before a change of credentials.
func (s *AuthService) checkPassword(_ context.Context, c *Caller, password string) (*model.User, error) {
	if !passwordMatches(c.User, password) {
		return nil, herr.Unprocessable("The current password is not correct")
	}
	return c.User, nil
}

// AuthorizedApps is what holds access to the caller's account through
// apps: their own authorisations, and those of team members acting as the
// account (delegated tokens), each with its member. The two are kept
// apart: a member's app is not the owner's, and revoking one revokes only
// its own tokens (ending a member's access altogether is the Team access
// page's, which deletes all their tokens with the delegation).
type AuthorizedApps struct {
	Own  []storage.AuthorizedApp
	Team []TeamApp
}

// TeamApp is an app a team member uses as the account.
type TeamApp struct {
	storage.AuthorizedApp
	Member *model.Account // nil when gone
}

// AuthorizedApps lists the apps that hold tokens of the caller's account.
// A member acting for an account does not list the account's apps.
func (s *AuthService) AuthorizedApps(ctx context.Context, c *Caller) (*AuthorizedApps, error) {
	if c.Delegated() {
		return nil, herr.Forbidden("This action is outside the permissions of your access to this account")
	}
	st, err := s.userWebStore(c)
	if err != nil {
		return nil, err
	}
	apps, err := st.AuthorizedApps(ctx, c.User.ID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	out := &AuthorizedApps{}
	var memberIDs []int64
	for _, a := range apps {
		if a.MemberID == 0 {
			out.Own = append(out.Own, a)
		} else {
			memberIDs = append(memberIDs, a.MemberID)
		}
	}
	if len(memberIDs) == 0 {
		return out, nil
	}
	members, err := s.store.AccountsByIDs(ctx, memberIDs)
	if err != nil {
		return nil, herr.Internal(err)
	}
	for _, a := range apps {
		if a.MemberID != 0 {
			out.Team = append(out.Team, TeamApp{AuthorizedApp: a, Member: members[a.MemberID]})
		}
	}
	return out, nil
}

// RevokeAuthorizedApp deletes the tokens of the caller's account held by
// an app: the caller's own (memberID 0), or those a team member uses.
func (s *AuthService) RevokeAuthorizedApp(ctx context.Context, c *Caller, appID, memberID int64) error {
	if c.Delegated() {
		return herr.Forbidden("This action is outside the permissions of your access to this account")
	}
	st, err := s.userWebStore(c)
	if err != nil {
		return err
	}
	ids, err := st.RevokeAppTokens(ctx, c.User.ID, appID, memberID)
	if err != nil {
		return herr.Internal(err)
	}
	if len(ids) == 0 {
		return herr.NotFound("app")
	}
	s.revoked(Revocation{TokenIDs: ids})
	return nil
}
