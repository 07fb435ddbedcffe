package core

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

var usernameRe = regexp.MustCompile(`^[a-z0-9_]{1,30}$`)

// ValidUsername reports whether s is an acceptable local username. Mastodon
// keeps usernames case-insensitively unique; Herald also stores them lower case.
func ValidUsername(s string) bool { return usernameRe.MatchString(s) }

// bcryptCost balances sign-in latency against brute force; 11 is about
// 100 ms on a small VPS core.
const bcryptCost = 11

// MinPasswordLength as Mastodon.
const MinPasswordLength = 8

// HashPassword hashes a password for storage.
func HashPassword(pw string) (string, error) {
	if len(pw) < MinPasswordLength {
		return "", herr.Unprocessable("Validation failed: Password is too short (minimum is %d characters)", MinPasswordLength)
	}
	if len(pw) > 72 {
		return "", herr.Unprocessable("Validation failed: Password is too long (maximum is 72 characters)")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcryptCost)
	if err != nil {
		return "", herr.Internal(err)
	}
	return string(h), nil
}

// NewAccountParams describes a local account the operator creates
// (CreateLocalAccount, local_accounts.go).
type NewAccountParams struct {
	Username string
	Email    string
	Password string
	Role     string
	Approved bool
	Confirm  bool
}

// GenerateKeyPair makes an RSA-2048 key pair as PEM (PKCS#8 private, PKIX public).
func GenerateKeyPair() (privPEM, pubPEM string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})), nil
}

// dummyHash is made on first use: computing it at start would cost every
// command (and the server's start-up) a bcrypt run.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a password"), bcryptCost)
	return h
})

// UsableUser refuses users that may not sign in or use tokens.
func (s *Service) UsableUser(ctx context.Context, u *model.User) error {
	a, err := s.store.AccountByID(ctx, u.AccountID)
	if err != nil {
		return herr.Internal(err)
	}
	return refusedUser(u, a)
}

// userWithAccount loads a user and their account, refusing (as
// UsableUser) one who may not use Herald now; a missing user or account is
// an error that the caller answers as it sees fit.
func (s *Service) userWithAccount(ctx context.Context, userID int64) (*model.User, *model.Account, error) {
	u, err := s.store.UserByAccountID(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.store.AccountByID(ctx, u.AccountID)
	if err != nil {
		return nil, nil, err
	}
	if err := refusedUser(u, a); err != nil {
		return nil, nil, err
	}
	return u, a, nil
}

// refusedUser says why a user may not use Herald now, or nil.
func refusedUser(u *model.User, a *model.Account) error {
	if u.Disabled {
		return herr.Forbidden("Your login is currently disabled")
	}
	if !u.Approved {
		return herr.Forbidden("Your login is currently pending approval")
	}
	if u.ConfirmedAt == nil {
		return herr.Forbidden("Your login is missing a confirmed e-mail address")
	}
	if a.SuspendedAt != nil {
		return herr.Forbidden("Your login is currently suspended")
	}
	return nil
}

// SetPassword sets a user's password by username (an administrator's
// command); every token and every browser session of the user ends.
func (s *Service) SetPassword(ctx context.Context, username, password string) error {
	u, err := s.store.UserByLogin(ctx, username)
	if errors.Is(err, storage.ErrNotFound) {
		return herr.NotFound("user")
	} else if err != nil {
		return herr.Internal(err)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.setPassword(ctx, u.ID, hash, 0)
}

// SetRole changes a user's role by username.
func (s *Service) SetRole(ctx context.Context, username, role string) error {
	if !model.ValidRole(role) {
		return herr.Unprocessable("role must be owner, admin, moderator or user")
	}
	u, err := s.store.UserByLogin(ctx, username)
	if errors.Is(err, storage.ErrNotFound) {
		return herr.NotFound("user")
	} else if err != nil {
		return herr.Internal(err)
	}
	return s.store.SetRole(ctx, u.ID, role)
}

// LocalAccount finds a local account by username.
func (s *Service) LocalAccount(ctx context.Context, username string) (*model.Account, error) {
	a, err := s.store.AccountByUsername(ctx, username, "")
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("account")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	return a, nil
}

// Account finds any account by id; suspended or unknown ones are not found.
func (s *Service) Account(ctx context.Context, accountID int64) (*model.Account, error) {
	a, err := s.store.AccountByID(ctx, accountID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("account")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	if a.SuspendedAt != nil {
		return nil, herr.NotFound("account")
	}
	return a, nil
}

// LookupAcct finds an account by "user", "user@domain" or "@user@domain",
// resolving remote ones through the federation engine when resolve is true.
func (s *Service) LookupAcct(ctx context.Context, acct string, resolve bool) (*model.Account, error) {
	acct = strings.TrimPrefix(strings.TrimSpace(acct), "@")
	user, domain, _ := strings.Cut(acct, "@")
	domain = strings.ToLower(domain)
	if domain == s.Cfg.Instance.Domain {
		domain = ""
	}
	if user == "" {
		return nil, herr.NotFound("account")
	}
	a, err := s.store.AccountByUsername(ctx, user, domain)
	if err == nil && a.SuspendedAt == nil {
		return a, nil
	}
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, herr.Internal(err)
	}
	if domain != "" && resolve && s.Resolver != nil {
		a, err := s.Resolver.ResolveAccount(ctx, user+"@"+domain)
		if err != nil {
			return nil, herr.Wrap(404, "Record not found", err)
		}
		return a, nil
	}
	return nil, herr.NotFound("account")
}

// AccountByURL finds an account for a search by URL: by its ActivityPub
// id, or by its profile URL. A profile URL names an account only on the
// account's own host, since an actor may claim any url. With resolve, a URL
// that is no known id goes to the federation engine, which fetches it and
// takes the document's id (Mastodon's ResolveURLService) instead of
// trusting stored urls. Suspended accounts are not found.
func (s *Service) AccountByURL(ctx context.Context, u string, resolve bool) (*model.Account, error) {
	a, err := s.store.AccountByURI(ctx, u)
	switch {
	case err == nil:
	case !errors.Is(err, storage.ErrNotFound):
		return nil, herr.Internal(err)
	case resolve && s.Resolver != nil:
		if a, err = s.Resolver.ResolveAccount(ctx, u); err != nil {
			return nil, herr.Wrap(http.StatusNotFound, "Record not found", err)
		}
	default:
		pu, perr := url.Parse(u)
		if perr != nil || pu.Host == "" || (pu.Scheme != "https" && pu.Scheme != "http") {
			return nil, herr.NotFound("account")
		}
		domain := strings.ToLower(pu.Host)
		if strings.HasPrefix(u, s.Base()+"/") {
			domain = ""
		}
		a, err = s.store.AccountByURL(ctx, u, domain)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, herr.NotFound("account")
		} else if err != nil {
			return nil, herr.Internal(err)
		}
	}
	if a == nil || a.SuspendedAt != nil {
		return nil, herr.NotFound("account")
	}
	return a, nil
}

// InstanceActorUsername is the preferredUsername-free local name of the
// instance actor, which signs fetches made on nobody's behalf.
const InstanceActorUsername = "instance.actor"

// InstanceKeys returns the instance actor's key pair, made on first use.
func (s *Service) InstanceKeys(ctx context.Context) (privPEM, pubPEM string, err error) {
	v, err := s.store.SettingOrCreate(ctx, "instance_actor_keys", func() (string, error) {
		priv, pub, err := GenerateKeyPair()
		if err != nil {
			return "", err
		}
		return priv + "\n" + pub, nil
	})
	if err != nil {
		return "", "", err
	}
	i := strings.Index(v, "-----BEGIN PUBLIC KEY-----")
	if i < 0 {
		return "", "", fmt.Errorf("instance actor keys are corrupt")
	}
	return strings.TrimSpace(v[:i]) + "\n", v[i:], nil
}
