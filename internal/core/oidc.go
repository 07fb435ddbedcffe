package core

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Single sign-on with the organisation's OpenID Connect provider ([oidc]).
//
// The rules: a provider user is its issuer and subject, linked to one local
// user in oidc_links (never matched by e-mail address alone once linked);
// on a first sign-in the link goes to the account with the same verified
// address, or to a new account (create_accounts), or nowhere (match-only:
// refused). The e-mail domain allow-list and the required groups are
// checked on every sign-in, and so is the role claim, which sets the
// account's role (never the owner's). A sign-in through the provider does
// not ask for Herald's second factor: the provider owns multi-factor
// authentication. Password sign-in may be limited to listed accounts
// (password_login = "listed"); owners keep it for break-glass access.
//
// The authorization request carries state, a nonce and PKCE (S256); the
// ID token is verified with go-oidc against the provider's published keys.
// Logout: signing out of Herald sends the browser to the provider's
// end_session_endpoint (RP-initiated logout), and the provider's
// back-channel logout tokens end the sessions they name.

// ssoHolder keeps the provider's discovered configuration once read.
type ssoHolder struct {
	mu         sync.Mutex
	provider   *oidc.Provider
	endSession string
	client     *http.Client
	// usedLogouts are the jti of logout tokens accepted, until they
	// expire: a token is accepted once (Back-Channel Logout 1.0, 2.6).
	usedLogouts map[string]time.Time
}

// useLogoutToken records a logout token's jti; false when it was used.
func (h *ssoHolder) useLogoutToken(jti string, exp, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.usedLogouts == nil {
		h.usedLogouts = map[string]time.Time{}
	}
	for k, e := range h.usedLogouts {
		if now.After(e) {
			delete(h.usedLogouts, k)
		}
	}
	if _, ok := h.usedLogouts[jti]; ok {
		return false
	}
	h.usedLogouts[jti] = exp
	return true
}

// backChannelEvent is the event a logout token must carry.
const backChannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// SSOCallbackPath and SSOBackChannelPath are where the provider sends the
// browser back and posts logout tokens.
const (
	SSOCallbackPath    = "/auth/oidc/callback"
	SSOBackChannelPath = "/auth/oidc/backchannel_logout"
)

// SSOEnabled reports whether single sign-on is configured.
func (s *AuthService) SSOEnabled() bool { return s.Cfg.OIDC.Enabled }

// SSOName is the provider's name on the sign-in page.
func (s *AuthService) SSOName() string { return s.Cfg.OIDC.Name }

func (s *AuthService) ssoClient() *http.Client {
	s.sso.mu.Lock()
	defer s.sso.mu.Unlock()
	if s.sso.client == nil {
		s.sso.client = &http.Client{Timeout: 15 * time.Second}
	}
	return s.sso.client
}

// ssoProvider discovers the provider on first use (not at start-up, so
// that Herald starts while the provider is down) and keeps it.
func (s *AuthService) ssoProvider() (*oidc.Provider, error) {
	if !s.SSOEnabled() {
		return nil, herr.NotFound("single sign-on")
	}
	client := s.ssoClient()
	s.sso.mu.Lock()
	defer s.sso.mu.Unlock()
	if s.sso.provider != nil {
		return s.sso.provider, nil
	}
	// The context is kept by the provider's key set for later key
	// fetches: it must not be cancelled; the client's timeout bounds
	// each request.
	p, err := oidc.NewProvider(oidc.ClientContext(context.Background(), client), s.Cfg.OIDC.Issuer)
	if err != nil {
		s.log().Warn("single sign-on: provider discovery failed", "issuer", s.Cfg.OIDC.Issuer, "err", err)
		return nil, herr.Wrap(http.StatusBadGateway, "The sign-in provider cannot be reached. Try again later.", err)
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = p.Claims(&extra)
	s.sso.provider, s.sso.endSession = p, extra.EndSession
	return p, nil
}

func (s *AuthService) ssoOAuth(p *oidc.Provider) *oauth2.Config {
	o := s.Cfg.OIDC
	return &oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: s.Base() + SSOCallbackPath, Scopes: o.Scopes}
}

// SSOState is what the browser keeps (signed, in a cookie) between the
// redirect to the provider and its return.
type SSOState struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
	ReturnTo string `json:"return_to"`
}

// BeginSSO starts a sign-in through the provider: it returns the URL to
// send the browser to and the state to keep until it comes back.
func (s *AuthService) BeginSSO(ctx context.Context, returnTo string) (string, *SSOState, error) {
	p, err := s.ssoProvider()
	if err != nil {
		return "", nil, err
	}
	st := &SSOState{State: RandomToken(24), Nonce: RandomToken(24), Verifier: oauth2.GenerateVerifier(), ReturnTo: returnTo}
	u := s.ssoOAuth(p).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return u, st, nil
}

// SSOCallback is what the provider sends the browser back with.
type SSOCallback struct {
	Code, State, Error, ErrorDescription string
}

// SSOSignIn is a completed sign-in through the provider.
type SSOSignIn struct {
	User    *model.User
	LinkID  int64
	SID     string
	IDToken string
}

// ssoRefused is a sign-in the rules refuse: logged with its reason, and
// answered 403 with a message for the person.
func (s *AuthService) ssoRefused(ip, subject, reason, msg string) error {
	s.log().Info("sign-in failed", "account", subject, "ip", ip, "via", "oidc", "reason", reason)
	return herr.Forbidden(msg)
}

// FinishSSO completes a sign-in when the provider sends the browser back:
// it checks the state, exchanges the code (with the PKCE verifier),
// verifies the ID token and its nonce, and applies the rules.
func (s *AuthService) FinishSSO(ctx context.Context, st *SSOState, cb SSOCallback, ip string) (*SSOSignIn, error) {
	if err := s.CheckSignIn(ctx, ip); err != nil {
		return nil, err
	}
	if cb.Error != "" {
		msg := "The sign-in provider did not sign you in"
		if cb.ErrorDescription != "" && len(cb.ErrorDescription) < 300 {
			msg += ": " + cb.ErrorDescription
		}
		return nil, herr.Forbidden(msg + ".")
	}
	if st == nil || cb.State == "" || subtle.ConstantTimeCompare([]byte(st.State), []byte(cb.State)) != 1 {
		return nil, herr.BadRequest("This sign-in was not started here or took too long. Please sign in again.")
	}
	if cb.Code == "" || len(cb.Code) > 2048 {
		return nil, herr.BadRequest("The sign-in provider sent no authorisation code.")
	}
	p, err := s.ssoProvider()
	if err != nil {
		return nil, err
	}
	cctx := oidc.ClientContext(ctx, s.ssoClient())
	tok, err := s.ssoOAuth(p).Exchange(cctx, cb.Code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		s.log().Warn("single sign-on: code exchange failed", "err", err)
		return nil, herr.Wrap(http.StatusBadGateway, "The sign-in provider did not confirm the sign-in. Please try again.", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, herr.Wrap(http.StatusBadGateway, "The sign-in provider sent no ID token.", errors.New("no id_token in the token response"))
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: s.Cfg.OIDC.ClientID}).Verify(cctx, raw)
	if err != nil {
		s.log().Warn("single sign-on: ID token refused", "err", err)
		return nil, herr.Wrap(http.StatusBadRequest, "The sign-in provider's answer could not be verified.", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return nil, herr.BadRequest("The sign-in provider's answer does not belong to this sign-in. Please sign in again.")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, herr.Wrap(http.StatusBadRequest, "The sign-in provider's answer could not be read.", err)
	}
	u, link, err := s.ssoAccount(ctx, idt.Issuer, idt.Subject, claims, ip)
	if err != nil {
		return nil, err
	}
	sid, _ := claims["sid"].(string)
	if len(raw) > 8192 {
		raw = "" // only a logout hint; not worth a huge row
	}
	return &SSOSignIn{User: u, LinkID: link.ID, SID: sid, IDToken: raw}, nil
}

// claimStrings reads a claim that is a string or a list of strings.
func claimStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// ssoRole is the role the role claim maps to: the highest-ranked of the
// mapped roles that exist, "user" when none does.
func (s *AuthService) ssoRole(ctx context.Context, claims map[string]any) (string, error) {
	mapping := s.Cfg.OIDC.RoleMapping()
	best, rank := model.RoleUser, -1
	for _, v := range claimStrings(claims[s.Cfg.OIDC.RoleClaim]) {
		key, ok := mapping[v]
		if !ok {
			continue
		}
		r, err := s.roleOrEveryone(ctx, key)
		if err != nil {
			return "", err
		}
		if r.Key != key {
			s.log().Warn("single sign-on: role_map names a role that does not exist", "role", key)
			continue
		}
		if r.Position > rank {
			best, rank = key, r.Position
		}
	}
	return best, nil
}

// ssoAccount applies the rules to a verified provider user and returns
// the local user it signs in as, with its link.
func (s *AuthService) ssoAccount(ctx context.Context, issuer, subject string, claims map[string]any, ip string) (*model.User, *storage.OIDCLink, error) {
	o := s.Cfg.OIDC
	st, err := s.oidcStore()
	if err != nil {
		return nil, nil, err
	}
	email, _ := claims["email"].(string)
	email = strings.TrimSpace(email)
	verified, _ := claims["email_verified"].(bool)
	if _, given := claims["email_verified"]; !given && o.AssumeEmailVerified {
		verified = true
	}
	if len(o.AllowedEmailDomains) > 0 && (!verified || !domainIn(emailDomain(email), o.AllowedEmailDomains)) {
		shown := email
		if shown == "" {
			shown = "none"
		}
		return nil, nil, s.ssoRefused(ip, subject, "email_domain",
			fmt.Sprintf("Your e-mail address (%s) may not sign in here: only verified addresses at %s may.", shown, strings.Join(o.AllowedEmailDomains, ", ")))
	}
	if len(o.RequiredGroups) > 0 && !slices.ContainsFunc(claimStrings(claims[o.GroupsClaim]), func(g string) bool { return slices.Contains(o.RequiredGroups, g) }) {
		return nil, nil, s.ssoRefused(ip, subject, "group",
			"Your account at the sign-in provider is not in a group that may use this server. Ask your administrator for access.")
	}
	role := ""
	if o.RoleClaim != "" {
		if role, err = s.ssoRole(ctx, claims); err != nil {
			return nil, nil, err
		}
	}
	now := time.Now().UTC()
	var u *model.User
	link, err := st.OIDCLink(ctx, issuer, subject)
	switch {
	case err == nil:
		if u, err = s.store.UserByAccountID(ctx, link.UserID); err != nil {
			return nil, nil, herr.Internal(err)
		}
	case !errors.Is(err, storage.ErrNotFound):
		return nil, nil, herr.Internal(err)
	default:
		// Not linked yet: the account with this verified address, a new
		// one, or none (match-only).
		if verified && ValidEmail(email) {
			if u, err = s.lookupLogin(ctx, email); err != nil {
				return nil, nil, err
			}
		}
		if u == nil {
			if !o.CreateAccounts {
				return nil, nil, s.ssoRefused(ip, subject, "no_account",
					"No account on this server matches your sign-in. Ask an administrator to create your account or to invite you.")
			}
			if !verified || !ValidEmail(email) {
				return nil, nil, s.ssoRefused(ip, subject, "email_unverified",
					"The sign-in provider gave no verified e-mail address, which a new account needs.")
			}
			if u, err = s.ssoCreateAccount(ctx, claims, email, role, now); err != nil {
				return nil, nil, err
			}
		}
		link = &storage.OIDCLink{UserID: u.ID, Issuer: issuer, Subject: subject, Email: email, CreatedAt: now}
		if err := st.CreateOIDCLink(ctx, link); errors.Is(err, storage.ErrConflict) {
			// Linked meanwhile by a concurrent sign-in.
			if link, err = st.OIDCLink(ctx, issuer, subject); err != nil {
				return nil, nil, herr.Internal(err)
			}
		} else if err != nil {
			return nil, nil, herr.Internal(err)
		}
		s.log().Info("single sign-on: account linked", "user", u.ID, "issuer", issuer, "subject", subject)
	}
	if err := s.UsableUser(ctx, u); err != nil {
		s.log().Info("sign-in failed", "account", s.signInName(ctx, u, ""), "ip", ip, "via", "oidc", "reason", "unusable")
		return nil, nil, err
	}
	if o.RoleClaim != "" && u.Role != model.RoleOwner && u.Role != role {
		if err := s.store.SetRole(ctx, u.ID, role); err != nil {
			return nil, nil, herr.Internal(err)
		}
		s.log().Info("single sign-on: role set from the provider", "account", s.signInName(ctx, u, ""), "role", role)
		u.Role = role
	}
	_ = st.TouchOIDCLink(ctx, link.ID, email, now)
	return u, link, nil
}

// ssoUsername makes a valid username of a claim value: the local part of
// an address, lower case, letters, digits and underscores.
func ssoUsername(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if i := strings.IndexByte(v, '@'); i >= 0 {
		v = v[:i]
	}
	var b strings.Builder
	for _, r := range v {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		case r == '.' || r == '-' || r == ' ':
			b.WriteByte('_')
		}
	}
	name := strings.Trim(b.String(), "_")
	if len(name) > 26 {
		name = name[:26]
	}
	if name == "" {
		name = "user"
	}
	return name
}

// ssoCreateAccount makes the account of a first sign-in: approved and
// confirmed (the provider vouched for the address), with an unusable
// random password, and the username the claim proposes (with a number
// added when it is taken or reserved).
func (s *AuthService) ssoCreateAccount(ctx context.Context, claims map[string]any, email, role string, now time.Time) (*model.User, error) {
	proposed, _ := claims[s.Cfg.OIDC.UsernameClaim].(string)
	if proposed == "" {
		proposed = email
	}
	base := ssoUsername(proposed)
	hash, err := HashPassword(RandomToken(32))
	if err != nil {
		return nil, err
	}
	for i := 1; i <= 50; i++ {
		name := base
		if i > 1 {
			name = base + strconv.Itoa(i)
		}
		if s.isReserved(name) {
			continue
		}
		u := &model.User{Email: email, PasswordHash: hash, Role: role, Approved: true, ConfirmedAt: &now}
		_, err := s.createLocalAccount(ctx, newLocal{username: name, user: u, now: now})
		if err == nil {
			s.log().Info("single sign-on: account created", "account", name)
			return u, nil
		}
		if !errors.Is(err, storage.ErrConflict) {
			return nil, herr.Internal(err)
		}
		if taken, _ := s.lookupLogin(ctx, email); taken != nil {
			return nil, herr.New(http.StatusConflict, "An account with your e-mail address was created meanwhile. Please sign in again.")
		}
	}
	return nil, herr.Unprocessable("No free username could be found for your account. Ask an administrator to create it.")
}

func (s *AuthService) oidcStore() (storage.OIDC, error) {
	st, ok := s.store.(storage.OIDC)
	if !ok {
		return nil, herr.Internal(errors.New("the store does not keep single sign-on links"))
	}
	return st, nil
}

// StartSSOSession starts the browser session of a sign-in through the
// provider and returns its secret id (as StartWebSession).
func (s *AuthService) StartSSOSession(ctx context.Context, si *SSOSignIn, ip, userAgent string) (string, error) {
	st, err := s.oidcStore()
	if err != nil {
		return "", err
	}
	tok, err := s.StartWebSession(ctx, si.User, ip, userAgent)
	if err != nil {
		return "", err
	}
	if err := st.AddOIDCSession(ctx, sessionHash(tok), storage.OIDCSession{LinkID: si.LinkID, SID: si.SID, IDToken: si.IDToken}); err != nil {
		s.EndWebSession(ctx, tok)
		return "", herr.Internal(err)
	}
	return tok, nil
}

// SSOLogoutURL is where to send the browser after ending the session with
// this secret id, when it was started through a provider that publishes
// an end_session_endpoint (RP-initiated logout); "" otherwise. Call it
// before EndWebSession.
func (s *AuthService) SSOLogoutURL(ctx context.Context, sessionToken string) string {
	if !s.SSOEnabled() || sessionToken == "" {
		return ""
	}
	st, err := s.oidcStore()
	if err != nil {
		return ""
	}
	o, err := st.OIDCSessionByWebSession(ctx, sessionHash(sessionToken))
	if err != nil {
		return ""
	}
	if _, err := s.ssoProvider(); err != nil {
		return ""
	}
	s.sso.mu.Lock()
	end := s.sso.endSession
	s.sso.mu.Unlock()
	u, err := url.Parse(end)
	if end == "" || err != nil {
		return ""
	}
	q := u.Query()
	q.Set("client_id", s.Cfg.OIDC.ClientID)
	q.Set("post_logout_redirect_uri", s.Base()+"/")
	if o.IDToken != "" {
		q.Set("id_token_hint", o.IDToken)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// BackChannelLogout ends the browser sessions named by a logout token
// the provider posts (OpenID Connect Back-Channel Logout 1.0): signed
// with the provider's keys, for this client, carrying the logout event,
// no nonce, and a subject or a session id. It returns how many sessions
// ended.
func (s *AuthService) BackChannelLogout(ctx context.Context, raw string) (int64, error) {
	if raw == "" || len(raw) > 16384 {
		return 0, herr.BadRequest("logout_token is missing or too long")
	}
	p, err := s.ssoProvider()
	if err != nil {
		return 0, err
	}
	t, err := p.Verifier(&oidc.Config{ClientID: s.Cfg.OIDC.ClientID}).Verify(oidc.ClientContext(ctx, s.ssoClient()), raw)
	if err != nil {
		return 0, herr.Wrap(http.StatusBadRequest, "The logout token is not valid.", err)
	}
	var c struct {
		JTI    string                     `json:"jti"`
		Sub    string                     `json:"sub"`
		SID    string                     `json:"sid"`
		Nonce  *string                    `json:"nonce"`
		Events map[string]json.RawMessage `json:"events"`
	}
	if err := t.Claims(&c); err != nil {
		return 0, herr.Wrap(http.StatusBadRequest, "The logout token is not valid.", err)
	}
	if _, ok := c.Events[backChannelEvent]; !ok || c.Nonce != nil || (c.Sub == "" && c.SID == "") || c.JTI == "" {
		return 0, herr.BadRequest("The logout token lacks the back-channel logout event or a jti, names no subject or session, or carries a nonce.")
	}
	if !s.sso.useLogoutToken(t.Issuer+" "+c.JTI, t.Expiry, time.Now()) {
		return 0, herr.BadRequest("This logout token was used already.")
	}
	st, err := s.oidcStore()
	if err != nil {
		return 0, err
	}
	n, err := st.EndOIDCSessions(ctx, t.Issuer, c.Sub, c.SID)
	if err != nil {
		return 0, herr.Internal(err)
	}
	s.log().Info("single sign-on: back-channel logout", "subject", c.Sub, "sid", c.SID, "sessions", n)
	return n, nil
}

// passwordAllowed applies password_login: with single sign-on on and
// "listed", only the listed accounts and owners may sign in with a
// password.
func (s *AuthService) passwordAllowed(ctx context.Context, u *model.User, ip string, via SignInVia) error {
	o := s.Cfg.OIDC
	if !o.Enabled || o.PasswordLogin != "listed" || u.Role == model.RoleOwner {
		return nil
	}
	a, err := s.store.AccountByID(ctx, u.AccountID)
	if err != nil {
		return herr.Internal(err)
	}
	if slices.Contains(o.PasswordAccounts, strings.ToLower(a.Username)) {
		return nil
	}
	s.log().Info("sign-in failed", "account", a.Username, "ip", ip, "via", string(via), "reason", "password_login")
	return herr.Forbidden(fmt.Sprintf("This account signs in with %s, not with a password.", o.Name))
}

// SSOStatus is the state of single sign-on for the administration.
type SSOStatus struct {
	Enabled              bool     `json:"enabled"`
	Name                 string   `json:"name"`
	Issuer               string   `json:"issuer"`
	ClientID             string   `json:"client_id"`
	Reachable            bool     `json:"reachable"`
	Error                string   `json:"error,omitempty"`
	EndSession           bool     `json:"end_session_supported"`
	BackChannelLogout    bool     `json:"backchannel_logout_supported"`
	RedirectURI          string   `json:"redirect_uri"`
	BackChannelLogoutURI string   `json:"backchannel_logout_uri"`
	CreateAccounts       bool     `json:"create_accounts"`
	PasswordLogin        string   `json:"password_login"`
	PasswordAccounts     []string `json:"password_accounts"`
	AllowedEmailDomains  []string `json:"allowed_email_domains"`
	RequiredGroups       []string `json:"required_groups"`
	RoleClaim            string   `json:"role_claim"`
	LinkedAccounts       int64    `json:"linked_accounts"`
}

// SSOStatus reports the configuration, whether the provider answers its
// discovery now, and how many accounts are linked (Manage Users).
func (s *AuthService) SSOStatus(ctx context.Context, c *Caller) (*SSOStatus, error) {
	if err := s.Authorize(ctx, c, PermManageUsers); err != nil {
		return nil, err
	}
	o := s.Cfg.OIDC
	out := &SSOStatus{Enabled: o.Enabled, Name: o.Name, Issuer: o.Issuer, ClientID: o.ClientID,
		RedirectURI: s.Base() + SSOCallbackPath, BackChannelLogoutURI: s.Base() + SSOBackChannelPath,
		CreateAccounts: o.CreateAccounts, PasswordLogin: o.PasswordLogin, PasswordAccounts: append([]string{}, o.PasswordAccounts...),
		AllowedEmailDomains: append([]string{}, o.AllowedEmailDomains...), RequiredGroups: append([]string{}, o.RequiredGroups...), RoleClaim: o.RoleClaim}
	st, err := s.oidcStore()
	if err != nil {
		return nil, err
	}
	if out.LinkedAccounts, err = st.CountOIDCLinks(ctx); err != nil {
		return nil, herr.Internal(err)
	}
	if !o.Enabled {
		return out, nil
	}
	// A fresh discovery: the status says whether the provider answers now.
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(oidc.ClientContext(dctx, s.ssoClient()), o.Issuer)
	if err != nil {
		out.Error = err.Error()
		return out, nil
	}
	var extra struct {
		EndSession  string `json:"end_session_endpoint"`
		BackChannel bool   `json:"backchannel_logout_supported"`
	}
	_ = p.Claims(&extra)
	out.Reachable, out.EndSession, out.BackChannelLogout = true, extra.EndSession != "", extra.BackChannel
	return out, nil
}

// SSOLinks lists the accounts linked to the provider, newest link first
// (Manage Users).
func (s *AuthService) SSOLinks(ctx context.Context, c *Caller, p model.Page) ([]*storage.OIDCLink, error) {
	if err := s.Authorize(ctx, c, PermManageUsers); err != nil {
		return nil, err
	}
	st, err := s.oidcStore()
	if err != nil {
		return nil, err
	}
	if p.Limit <= 0 || p.Limit > 200 {
		p.Limit = 40
	}
	return orInternal(st.OIDCLinks(ctx, p))
}

// UnlinkSSO removes a link and ends the browser sessions started through
// it; the account stays (its owner may be linked again by a later
// sign-in with the same verified address). Manage Users.
func (s *AuthService) UnlinkSSO(ctx context.Context, c *Caller, id int64) error {
	if err := s.Authorize(ctx, c, PermManageUsers); err != nil {
		return err
	}
	st, err := s.oidcStore()
	if err != nil {
		return err
	}
	links, err := st.OIDCLinks(ctx, model.Page{MaxID: id + 1, SinceID: id - 1, Limit: 1})
	if err != nil {
		return herr.Internal(err)
	}
	if len(links) == 0 {
		return herr.NotFound("link")
	}
	l := links[0]
	ok, err := st.DeleteOIDCLink(ctx, id)
	if err != nil {
		return herr.Internal(err)
	}
	if !ok {
		return herr.NotFound("link")
	}
	s.audit(ctx, c, "destroy_sso_link", "Account", strconv.FormatInt(l.UserID, 10),
		fmt.Sprintf("unlinked @%s from the single sign-on user %s", l.Username, l.Subject))
	return nil
}
