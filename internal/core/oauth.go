package core

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// OOB is the redirect URI that asks the server to show the code.
const OOB = "urn:ietf:wg:oauth:2.0:oob"

// Scope families: a top-level scope grants all of its "top:sub" scopes.
var topScopes = []string{"read", "write", "follow", "push", "profile", "admin:read", "admin:write"}

var subScopes = map[string][]string{
	"read": {"accounts", "blocks", "bookmarks", "favourites", "filters", "follows", "lists", "mutes",
		"notifications", "search", "statuses", "collections"},
	"write": {"accounts", "blocks", "bookmarks", "conversations", "favourites", "filters", "follows", "lists",
		"media", "mutes", "notifications", "reports", "statuses", "collections"},
	"admin:read": {"accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks", "email_domain_blocks",
		"canonical_email_blocks"},
	"admin:write": {"accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks", "email_domain_blocks",
		"canonical_email_blocks"},
}

// followScopes: the legacy "follow" scope covers these granular scopes.
var followScopes = []string{"read:blocks", "write:blocks", "read:follows", "write:follows", "read:mutes", "write:mutes"}

// ValidScope reports whether s is a scope Herald knows.
func ValidScope(s string) bool {
	if slices.Contains(topScopes, s) {
		return true
	}
	for top, subs := range subScopes {
		if rest, ok := strings.CutPrefix(s, top+":"); ok && slices.Contains(subs, rest) {
			return true
		}
	}
	return false
}

// ParseScopes splits and validates a scope string (space or + separated);
// empty means "read", as Mastodon.
func ParseScopes(s string) ([]string, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '+' || r == ',' })
	if len(fields) == 0 {
		return []string{"read"}, nil
	}
	var out []string
	for _, f := range fields {
		if !ValidScope(f) {
			return nil, herr.BadRequest("The requested scope is invalid, unknown, or malformed.")
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// ScopesAllow reports whether granted (space separated) allows required.
// "read" allows "read:statuses"; "follow" allows the follow-related scopes;
// "admin:read" allows "admin:read:accounts".
func ScopesAllow(granted string, required string) bool {
	for _, g := range strings.Fields(granted) {
		if g == required {
			return true
		}
		if strings.HasPrefix(required, g+":") && slices.Contains(topScopes, g) {
			return true
		}
		if g == "follow" && slices.Contains(followScopes, required) {
			return true
		}
		// "profile" is the narrow scope for verify_credentials; "read" covers it too.
		if required == "profile" && (g == "read" || g == "read:accounts") {
			return true
		}
	}
	return false
}

// Subset reports whether every scope in want is allowed by have.
func Subset(want []string, have string) bool {
	for _, w := range want {
		if !ScopesAllow(have, w) {
			return false
		}
	}
	return true
}

// RandomToken returns n random bytes, URL-safe base64 encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateAppParams is POST /api/v1/apps.
type CreateAppParams struct {
	Name         string
	RedirectURIs []string
	Scopes       string
	Website      string
}

// CreateApp registers an OAuth application.
func (s *AuthService) CreateApp(ctx context.Context, p CreateAppParams) (*model.App, error) {
	name := strings.TrimSpace(p.Name)
	if name == "" {
		return nil, herr.Unprocessable("Validation failed: Application name can't be blank")
	}
	if len([]rune(name)) > 60 {
		return nil, herr.Unprocessable("Validation failed: Application name is too long (maximum is 60 characters)")
	}
	var redirects []string
	for _, r := range p.RedirectURIs {
		for _, line := range strings.Fields(r) {
			if line == OOB {
				redirects = append(redirects, line)
				continue
			}
			u, err := url.Parse(line)
			if err != nil || u.Scheme == "" || strings.EqualFold(u.Scheme, "javascript") || strings.EqualFold(u.Scheme, "data") {
				return nil, herr.Unprocessable("Validation failed: Redirect URI must be an absolute URI.")
			}
			redirects = append(redirects, line)
		}
	}
	if len(redirects) == 0 {
		return nil, herr.Unprocessable("Validation failed: Redirect URI can't be blank")
	}
	scopes, err := ParseScopes(p.Scopes)
	if err != nil {
		return nil, herr.Unprocessable("Validation failed: Scopes are invalid")
	}
	if p.Website != "" {
		if u, err := url.Parse(p.Website); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, herr.Unprocessable("Validation failed: Website is invalid")
		}
	}
	app := &model.App{
		Name:         name,
		Website:      p.Website,
		RedirectURIs: redirects,
		Scopes:       strings.Join(scopes, " "),
		ClientID:     RandomToken(32),
		ClientSecret: RandomToken(32),
	}
	if err := s.store.CreateApp(ctx, app); err != nil {
		return nil, herr.Internal(err)
	}
	return app, nil
}

// AppByClientID finds an app, answering 401 invalid_client when unknown.
func (s *AuthService) AppByClientID(ctx context.Context, clientID string) (*model.App, error) {
	app, err := s.store.AppByClientID(ctx, clientID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.Unauthorized(invalidClient)
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	return app, nil
}

// CheckClient checks a client secret in constant time.
func CheckClient(app *model.App, secret string) bool {
	return subtle.ConstantTimeCompare([]byte(app.ClientSecret), []byte(secret)) == 1
}

// IssueToken creates an access token for a user (userID 0: app only).
func (s *AuthService) IssueToken(ctx context.Context, appID, userID int64, scopes []string) (string, *model.Token, error) {
	return s.issueToken(ctx, &model.Token{AppID: appID, UserID: userID, Scopes: strings.Join(scopes, " ")})
}

// issueToken stores t with a new secret value.
func (s *AuthService) issueToken(ctx context.Context, t *model.Token) (string, *model.Token, error) {
	plain := RandomToken(32)
	if err := s.store.CreateToken(ctx, t, plain); err != nil {
		return "", nil, herr.Internal(err)
	}
	return plain, t, nil
}

// RequestScopes resolves the scopes asked for by a client: they must be
// valid and within what the app registered.
func RequestScopes(app *model.App, asked string) ([]string, error) {
	scopes, err := ParseScopes(asked)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(asked) == "" {
		scopes = strings.Fields(app.Scopes)
	}
	if !Subset(scopes, app.Scopes) {
		return nil, herr.BadRequest("The requested scope is invalid, unknown, or malformed.")
	}
	return scopes, nil
}

// CheckCodeChallenge validates the PKCE challenge of an authorization
// request (RFC 7636). Only S256 is supported, as the server metadata says:
// with "plain" whoever sees the request could redeem the code.
func CheckCodeChallenge(challenge, method string) error {
	if challenge == "" {
		return nil
	}
	if method != "S256" {
		return herr.BadRequest("The code_challenge_method must be S256.")
	}
	if len(challenge) != 43 || strings.Trim(challenge, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return herr.BadRequest("The code_challenge must be the unpadded base64url SHA-256 of the code verifier (43 characters).")
	}
	return nil
}

// AuthorizeParams are the parameters of an authorization request (RFC 6749
// §4.1.1, RFC 7636 §4.3), as the authorize page received them.
type AuthorizeParams struct {
	ResponseType, ClientID, RedirectURI, Scope, State string
	CodeChallenge, CodeChallengeMethod                string
}

// AuthRequest is a validated authorization request: a registered app, one
// of its registered redirect URIs, scopes within its own, and an S256
// challenge or none.
type AuthRequest struct {
	App                                *model.App
	RedirectURI                        string
	Scopes                             []string
	State                              string
	CodeChallenge, CodeChallengeMethod string
}

// AuthorizationRequest validates an authorization request before anyone
// is asked to sign in or consent. Errors are the messages Doorkeeper shows
// on its error page; nothing is redirected to an unverified URI.
func (s *AuthService) AuthorizationRequest(ctx context.Context, p AuthorizeParams) (*AuthRequest, error) {
	if p.ResponseType != "" && p.ResponseType != "code" {
		return nil, herr.BadRequest("The authorization server does not support this response type.")
	}
	app, err := s.AppByClientID(ctx, p.ClientID)
	if err != nil {
		return nil, herr.BadRequest("Client authentication failed due to unknown client.")
	}
	redirect := p.RedirectURI
	if redirect == "" && len(app.RedirectURIs) == 1 {
		redirect = app.RedirectURIs[0]
	}
	if !slices.Contains(app.RedirectURIs, redirect) {
		return nil, herr.BadRequest("The redirect URI included is not valid.")
	}
	scopes, err := RequestScopes(app, p.Scope)
	if err != nil {
		return nil, herr.BadRequest("The requested scope is invalid, unknown, or malformed.")
	}
	if err := CheckCodeChallenge(p.CodeChallenge, p.CodeChallengeMethod); err != nil {
		return nil, err
	}
	method := p.CodeChallengeMethod
	if p.CodeChallenge == "" {
		method = ""
	}
	return &AuthRequest{App: app, RedirectURI: redirect, Scopes: scopes, State: p.State,
		CodeChallenge: p.CodeChallenge, CodeChallengeMethod: method}, nil
}

// IssueCode creates an authorization code for the authorize endpoint, once
// the user consented. It checks again what AuthorizationRequest checked,
// so that no caller can issue a code for an unregistered redirect URI,
// wider scopes or a weak challenge.
func (s *AuthService) IssueCode(ctx context.Context, app *model.App, userID int64, redirectURI string, scopes []string, challenge, method string) (string, error) {
	return s.IssueCodeAs(ctx, app, userID, 0, redirectURI, scopes, challenge, method)
}

// IssueCodeAs is IssueCode for a user who chose, on the consent screen, to
// act for another account (actAs; 0: themselves): the user must be one of
// its members, and the code (then the token) is the account's, naming the
// user as its member (delegations.go).
func (s *AuthService) IssueCodeAs(ctx context.Context, app *model.App, userID, actAs int64, redirectURI string, scopes []string, challenge, method string) (string, error) {
	if !slices.Contains(app.RedirectURIs, redirectURI) {
		return "", herr.BadRequest("The redirect URI included is not valid.")
	}
	if !Subset(scopes, app.Scopes) {
		return "", herr.BadRequest("The requested scope is invalid, unknown, or malformed.")
	}
	if err := CheckCodeChallenge(challenge, method); err != nil {
		return "", err
	}
	if challenge == "" {
		method = ""
	}
	var delegate int64
	if actAs != 0 && actAs != userID {
		if _, err := s.store.Delegation(ctx, actAs, userID); errors.Is(err, storage.ErrNotFound) {
			return "", herr.Forbidden("You have no access to this account")
		} else if err != nil {
			return "", herr.Internal(err)
		}
		delegate, userID = userID, actAs
	}
	code := RandomToken(32)
	c := &model.AuthCode{
		CodeHash: storageHash(code), AppID: app.ID, UserID: userID, DelegateID: delegate, RedirectURI: redirectURI,
		Scopes: strings.Join(scopes, " "), CodeChallenge: challenge, CodeChallengeMethod: method,
		ExpiresAt: time.Now().Add(10 * time.Minute),
	}
	if err := s.store.CreateAuthCode(ctx, c); err != nil {
		return "", herr.Internal(err)
	}
	return code, nil
}

func storageHash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// oauthError is an RFC 6749 error.
func oauthError(status int, code, desc string) *herr.Error {
	return &herr.Error{Status: status, Msg: code + ": " + desc}
}

// Doorkeeper's descriptions, which Mastodon answers with.
const (
	invalidClient = "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."
	invalidGrant  = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
)

// InvalidClient is the 401 for a failed client authentication.
func InvalidClient() error { return oauthError(401, "invalid_client", invalidClient) }

// ExchangeCode trades an authorization code for a token (RFC 6749 §4.1.3,
// RFC 7636 §4.6). The client proves itself with its secret or, for a code
// issued with a PKCE challenge, with the verifier alone (a public client).
// redirect_uri must be the one the code was issued for. A code is used up
// by the first attempt, good or bad.
func (s *AuthService) ExchangeCode(ctx context.Context, app *model.App, secret, code, redirectURI, verifier string) (string, *model.Token, error) {
	if secret != "" && !CheckClient(app, secret) {
		return "", nil, InvalidClient()
	}
	if code == "" {
		return "", nil, oauthError(400, "invalid_request", "Missing required parameter: code.")
	}
	if redirectURI == "" {
		return "", nil, oauthError(400, "invalid_request", "Missing required parameter: redirect_uri.")
	}
	c, err := s.store.ConsumeAuthCode(ctx, code)
	if errors.Is(err, storage.ErrNotFound) {
		return "", nil, oauthError(400, "invalid_grant", invalidGrant)
	}
	if err != nil {
		return "", nil, herr.Internal(err)
	}
	if c.AppID != app.ID {
		return "", nil, oauthError(400, "invalid_grant", invalidGrant)
	}
	// Without a challenge the code alone proves nothing about who redeems
	// it: the client must authenticate.
	if secret == "" && c.CodeChallenge == "" {
		return "", nil, InvalidClient()
	}
	if time.Now().After(c.ExpiresAt) || redirectURI != c.RedirectURI {
		return "", nil, oauthError(400, "invalid_grant", invalidGrant)
	}
	switch {
	case c.CodeChallenge == "" && verifier != "":
		// As Doorkeeper: a verifier for a code issued without a challenge.
		return "", nil, oauthError(400, "invalid_grant", invalidGrant)
	case c.CodeChallenge != "" && verifier == "":
		return "", nil, oauthError(400, "invalid_request", "Missing required parameter: code_verifier.")
	case c.CodeChallenge != "":
		// Codes are issued with S256 only; anything else stored earlier fails.
		sum := sha256.Sum256([]byte(verifier))
		if c.CodeChallengeMethod != "S256" ||
			subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(c.CodeChallenge)) != 1 {
			return "", nil, oauthError(400, "invalid_grant", "The code verifier does not match the code challenge.")
		}
	}
	u, err := s.store.UserByAccountID(ctx, c.UserID)
	if err != nil {
		return "", nil, herr.Internal(err)
	}
	if err := s.UsableUser(ctx, u); err != nil {
		return "", nil, err
	}
	if c.DelegateID != 0 {
		// The member's access may have ended since they consented.
		t := &model.Token{AppID: app.ID, UserID: u.ID, DelegateID: c.DelegateID, Scopes: c.Scopes}
		if _, err := s.callerOfToken(ctx, t); err != nil {
			return "", nil, oauthError(400, "invalid_grant", invalidGrant)
		}
		return s.issueToken(ctx, t)
	}
	return s.IssueToken(ctx, app.ID, u.ID, strings.Fields(c.Scopes))
}

// Caller is who is making a request: an app token or a user token.
type Caller struct {
	Token   *model.Token
	User    *model.User    // nil for app tokens
	Account *model.Account // nil for app tokens
	// Member and Delegation are set when a member acts for Account
	// through a delegation (delegations.go): User and Account are the
	// account's, Member the person's.
	Member     *model.Account
	Delegation *model.Delegation
}

// Allows reports whether the caller's token carries scope and, for a
// delegated caller, whether the delegation's permissions allow it.
func (c *Caller) Allows(scope string) bool {
	if c == nil || !ScopesAllow(c.Token.Scopes, scope) {
		return false
	}
	return c.Delegation == nil || delegationAllows(c.Delegation, scope)
}

// AccountID is the caller's account id, 0 for anonymous or app callers.
func (c *Caller) AccountID() int64 {
	if c == nil || c.Account == nil {
		return 0
	}
	return c.Account.ID
}

// CallerByToken authenticates a bearer token. Revocation takes effect at
// once: the auth cache (authcache.go) serves only what is still current.
func (s *AuthService) CallerByToken(ctx context.Context, token string) (*Caller, error) {
	// Made only when refused: this runs for every request.
	bad := func() error { return herr.Unauthorized("The access token is invalid") }
	if token == "" || len(token) > 512 {
		return nil, bad()
	}
	v, cached := authVersion(ctx, s.store.AuthVersion)
	key := sha256.Sum256([]byte(token))
	if cached {
		if c := s.authCache.caller(v, key); c != nil {
			s.noteCallerActivity(ctx, c)
			return c, nil
		}
	}
	t, err := s.store.TokenByValue(ctx, token)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, bad()
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	c, err := s.callerOfToken(ctx, t)
	if err == nil && cached {
		s.authCache.putCaller(v, key, c)
	}
	if err == nil {
		s.noteCallerActivity(ctx, c)
	}
	return c, err
}

// noteCallerActivity records a user's active day (metrics.go); app tokens
// and members acting for an account are no user's activity. The token's
// last use is recorded too, once a day, as Mastodon does (the apps a user
// authorised show when each was last used).
func (s *AuthService) noteCallerActivity(ctx context.Context, c *Caller) {
	if c.Token != nil {
		s.noteTokenUse(ctx, c.Token.ID)
	}
	if c.User != nil && !c.Delegated() {
		s.noteActivity(ctx, c.User.ID)
	}
}

// noteTokenUse records a token's use at most once a day per process (the
// store keeps it to once a day across processes).
func (s *AuthService) noteTokenUse(ctx context.Context, tokenID int64) {
	now := s.Now()
	if err := s.tokenUse.once(tokenID, dayOf(now), func() error { return s.store.TouchToken(ctx, tokenID, now) }); err != nil {
		s.Log.Warn("record token use", "token", tokenID, "err", err)
	}
}
