// Package oidcprovider runs a real OpenID Provider for tests: discovery,
// an authorization endpoint with a login page, a token endpoint issuing
// RS256-signed ID tokens, JWKS, userinfo, end_session, and OIDC
// back-channel logout tokens signed with the same key. It is built on
// github.com/zitadel/oidc/v3's op package and its example in-memory
// storage, with configurable users and claims (e-mail, groups, a role
// claim). The Go tests start it with Start; the browser tests run it as a
// program (cmd/oidc-test-provider).
package oidcprovider

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// User is a user of the provider. Claims are added to its ID tokens and
// userinfo (for example "groups": []string{...}, "herald_role": "admin").
type User struct {
	Subject       string         `json:"subject"`
	Username      string         `json:"username"`
	Password      string         `json:"password"`
	Email         string         `json:"email"`
	EmailVerified bool           `json:"email_verified"`
	Name          string         `json:"name"`
	Claims        map[string]any `json:"claims"`
}

// Config is the provider's one client and its users.
type Config struct {
	Listen       string   `json:"listen"` // default 127.0.0.1:0
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	RedirectURIs []string `json:"redirect_uris"`
	// PostLogoutRedirectURIs are accepted by end_session.
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
	// BackChannelLogoutURI receives logout tokens when a user signs out
	// at the provider (end_session) or when BackChannelLogout is called.
	BackChannelLogoutURI string `json:"backchannel_logout_uri"`
	Users                []User `json:"users"`
	// Listener, when set, is used instead of listening on Listen (a test
	// may need the issuer URL before it knows the client's URIs).
	Listener net.Listener `json:"-"`
}

// Provider is a running OpenID Provider.
type Provider struct {
	Issuer string
	cfg    Config
	store  *store
	srv    *http.Server
	ln     net.Listener
	client *http.Client
}

// Start starts a provider on cfg.Listen and returns once it answers.
func Start(cfg Config) (*Provider, error) {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	ln := cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", cfg.Listen); err != nil {
			return nil, err
		}
	}
	issuer := "http://" + ln.Addr().String()
	p := &Provider{Issuer: issuer, cfg: cfg, ln: ln, client: &http.Client{Timeout: 10 * time.Second}}
	users := users{byID: map[string]*User{}}
	for _, u := range cfg.Users {
		claims := map[string]any{}
		for k, v := range u.Claims {
			claims[k] = v
		}
		u.Claims = claims
		users.byID[u.Subject] = &u
	}
	client := storage.WebClient(cfg.ClientID, cfg.ClientSecret, cfg.RedirectURIs...)
	p.store = &store{Storage: storage.NewStorageWithClients(users, map[string]*storage.Client{cfg.ClientID: client}),
		users: users, provider: p, sids: map[string][]string{}}

	provider, err := op.NewProvider(&op.Config{
		CryptoKey:                  sha256.Sum256([]byte(uuid.NewString())),
		DefaultLogoutRedirectURI:   "/logged-out",
		CodeMethodS256:             true,
		AuthMethodPost:             true,
		SupportedUILocales:         []language.Tag{language.English},
		BackChannelLogoutSupported: cfg.BackChannelLogoutURI != "",
	}, p.store, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		ln.Close()
		return nil, err
	}
	callback := op.AuthCallbackURL(provider)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/username", func(w http.ResponseWriter, r *http.Request) {
		renderLogin(w, r.URL.Query().Get("authRequestID"), "")
	})
	mux.Handle("POST /login/username", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.FormValue("id")
		if err := p.store.CheckUsernamePassword(r.FormValue("username"), r.FormValue("password"), id); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			renderLogin(w, id, "Wrong username or password.")
			return
		}
		http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
	}))
	mux.HandleFunc("GET /logged-out", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "Signed out of the test provider.")
	})
	// A test hook: sign a user out at the provider (as an administrator
	// would), which sends a back-channel logout token to the client.
	mux.HandleFunc("POST /test/logout", func(w http.ResponseWriter, r *http.Request) {
		if err := p.BackChannelLogout(r.Context(), r.FormValue("sub"), r.FormValue("sid")); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprint(w, "ok")
	})
	mux.Handle("/", provider)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

// Close stops the provider.
func (p *Provider) Close() error { return p.srv.Close() }

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test provider: sign in</title></head>
<body><h1>Test OpenID Provider</h1>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/login/username">
<input type="hidden" name="id" value="{{.ID}}">
<label>Username <input id="op-username" name="username" autocomplete="username"></label>
<label>Password <input id="op-password" name="password" type="password"></label>
<button type="submit" id="op-submit">Sign in at the provider</button>
</form></body></html>`))

func renderLogin(w http.ResponseWriter, id, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = loginPage.Execute(w, struct{ ID, Error string }{id, msg})
}

// BackChannelLogout sends the client a logout token (OpenID Connect
// Back-Channel Logout 1.0) for the user sub and, when not empty, the
// session sid, signed with the provider's ID token key.
func (p *Provider) BackChannelLogout(ctx context.Context, sub, sid string) error {
	if p.cfg.BackChannelLogoutURI == "" {
		return errors.New("no back-channel logout URI configured")
	}
	tok, err := p.LogoutToken(ctx, sub, sid)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.BackChannelLogoutURI,
		strings.NewReader(url.Values{"logout_token": {tok}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("back-channel logout answered %s", resp.Status)
	}
	return nil
}

// LogoutToken makes a signed logout token for sub (and sid).
func (p *Provider) LogoutToken(ctx context.Context, sub, sid string) (string, error) {
	key, err := p.store.SigningKey(ctx)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: key.SignatureAlgorithm(), Key: jose.JSONWebKey{Key: key.Key(), KeyID: key.ID()}},
		(&jose.SignerOptions{}).WithType("logout+jwt"))
	if err != nil {
		return "", err
	}
	now := time.Now()
	claims := map[string]any{
		"iss": p.Issuer, "aud": p.cfg.ClientID, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
		"jti":    uuid.NewString(),
		"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}},
	}
	if sub != "" {
		claims["sub"] = sub
	}
	if sid != "" {
		claims["sid"] = sid
	}
	payload, err := jsonMarshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// users is the example storage's UserStore over the configured users.
type users struct{ byID map[string]*User }

func (u users) toExample(x *User) *storage.User {
	if x == nil {
		return nil
	}
	first, last, _ := strings.Cut(x.Name, " ")
	return &storage.User{ID: x.Subject, Username: x.Username, Password: x.Password, FirstName: first, LastName: last,
		Email: x.Email, EmailVerified: x.EmailVerified, PreferredLanguage: language.English}
}

func (u users) GetUserByID(id string) *storage.User { return u.toExample(u.byID[id]) }

func (u users) GetUserByUsername(name string) *storage.User {
	for _, x := range u.byID {
		if x.Username == name {
			return u.toExample(x)
		}
	}
	return nil
}

func (u users) ExampleClientID() string { return "" }

// store is the example storage with the configured client and the users'
// extra claims.
type store struct {
	*storage.Storage
	users    users
	provider *Provider
	mu       sync.Mutex
	sids     map[string][]string // by subject
}

// client puts the user's claims into the ID token (not only userinfo) and
// accepts the configured post-logout redirect URIs.
type client struct {
	op.Client
	postLogout []string
}

func (c client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c client) PostLogoutRedirectURIs() []string     { return c.postLogout }

func (s *store) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return client{Client: c, postLogout: s.provider.cfg.PostLogoutRedirectURIs}, nil
}

// SetClaim changes a claim of a user (as an administrator of the
// provider would, say moving them to another group).
func (p *Provider) SetClaim(sub, claim string, value any) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	if u := p.store.users.byID[sub]; u != nil {
		if u.Claims == nil {
			u.Claims = map[string]any{}
		}
		u.Claims[claim] = value
	}
}

func (s *store) addClaims(info *oidc.UserInfo, sub string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users.byID[sub]; u != nil {
		for k, v := range u.Claims {
			info.AppendClaims(k, v)
		}
	}
}

func (s *store) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, tok op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, tok, scopes); err != nil {
		return err
	}
	s.addClaims(info, tok.GetSubject())
	// A session id per sign-in, as providers that support back-channel
	// logout by session send it.
	if ar, ok := tok.(op.AuthRequest); ok {
		sid := "sid-" + ar.GetID()
		info.AppendClaims("sid", sid)
		s.mu.Lock()
		s.sids[tok.GetSubject()] = append(s.sids[tok.GetSubject()], sid)
		s.mu.Unlock()
	}
	return nil
}

// SessionIDs are the session ids (sid) of the user's sign-ins, oldest
// first.
func (p *Provider) SessionIDs(sub string) []string {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	return append([]string(nil), p.store.sids[sub]...)
}

func (s *store) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	s.addClaims(info, info.Subject)
	return nil
}

// TerminateSession is called by end_session (a user signing out at the
// provider, or sent there by the client): the client is told through
// back-channel logout.
func (s *store) TerminateSession(ctx context.Context, userID, clientID string) error {
	if err := s.Storage.TerminateSession(ctx, userID, clientID); err != nil {
		return err
	}
	if userID != "" && s.provider.cfg.BackChannelLogoutURI != "" {
		// The RP may be the one that sent the browser here, so do not
		// wait on it while it waits on us.
		go s.provider.BackChannelLogout(context.WithoutCancel(ctx), userID, "")
	}
	return nil
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
