package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Password sign-in, shared by the web sign-in form and the OAuth password
// grant: one place for the address block, the per-account limit on failed
// attempts, the second-factor rule and the log lines that fail2ban reads:
//
//	level=INFO msg="sign-in failed" account=alice ip=192.0.2.7 via=password_grant reason=password failures=3
//	level=WARN msg="sign-in locked out" account=alice ip=192.0.2.7 via=web failures=25 until=2025-01-01T12:00:00Z
//
// The per-address limits stay with the surfaces (they count requests); this
// limit counts failures per account, from any address, so that spreading
// guesses over many addresses does not help.

// SignInVia names the surface a sign-in comes through, for the log.
type SignInVia string

const (
	ViaWeb           SignInVia = "web"
	ViaPasswordGrant SignInVia = "password_grant"
)

// SignInLocked is the cause of the 429 answered while an account is locked
// after too many failed sign-ins; surfaces may turn Until into Retry-After.
type SignInLocked struct{ Until time.Time }

func (e *SignInLocked) Error() string {
	return "sign-in locked until " + e.Until.UTC().Format(time.RFC3339)
}

// signInFailures counts failed sign-ins per account in fixed windows, in
// memory (a restart forgets them); several processes on one database count
// them in the database instead (beginShared). An attempt reserves its
// place before the password is checked, so that concurrent guesses cannot
// overshoot the limit; a success gives back only its own reservation.
type signInFailures struct {
	mu      sync.Mutex
	windows map[string]*failWindow
	sweep   time.Time
}

type failWindow struct {
	count  int       // failures, plus attempts still being checked
	reset  time.Time // end of the window; once locked, end of the lock-out
	locked bool
}

// begin reserves an attempt for key. It returns nil and the end of the
// lock-out when the account may not try now.
func (f *signInFailures) begin(key string, limit int, window time.Duration, now time.Time) (*failWindow, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.windows == nil {
		f.windows = map[string]*failWindow{}
	}
	if now.After(f.sweep) {
		for k, w := range f.windows {
			if !now.Before(w.reset) {
				delete(f.windows, k)
			}
		}
		f.sweep = now.Add(window)
	}
	w := f.windows[key]
	if w == nil || !now.Before(w.reset) {
		w = &failWindow{reset: now.Add(window)}
		f.windows[key] = w
	}
	if w.count >= limit {
		return nil, w.reset
	}
	w.count++
	return w, time.Time{}
}

// succeed gives back a reserved attempt.
func (f *signInFailures) succeed(w *failWindow) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if w.count > 0 {
		w.count--
	}
}

// fail keeps a reserved attempt as a failure. It returns the failures in
// the window and, when this one locks the account, the end of the lock-out
// (a whole window from now).
func (f *signInFailures) fail(w *failWindow, limit int, window time.Duration, now time.Time) (int, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if w.count >= limit && !w.locked {
		w.locked, w.reset = true, now.Add(window)
		return w.count, w.reset
	}
	return w.count, time.Time{}
}

// lookupLogin finds the user of a login (e-mail or username); nil when
// there is none.
func (s *AuthService) lookupLogin(ctx context.Context, login string) (*model.User, error) {
	u, err := s.store.UserByLogin(ctx, login)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	return u, nil
}

// passwordMatches checks a password. For an unknown user (nil) it spends
// the time of a real check, so that timing does not reveal accounts.
func passwordMatches(u *model.User, password string) bool {
	if u == nil {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) == nil
}

// signInKey is what the failure limit counts by: the user, however the
// login was spelt; an unknown login by itself, so that a lock-out does not
// tell which logins exist.
func signInKey(u *model.User, login string) string {
	if u != nil {
		return "user:" + strconv.FormatInt(u.ID, 10)
	}
	return "login:" + strings.ToLower(strings.TrimSpace(login))
}

// signInName is the account named in the log: the username, or the login
// as typed (shortened) when it matches no one.
func (s *AuthService) signInName(ctx context.Context, u *model.User, login string) string {
	if u != nil {
		if a, err := s.store.AccountByID(ctx, u.AccountID); err == nil {
			return a.Username
		}
		return u.Email
	}
	login = strings.TrimSpace(login)
	if r := []rune(login); len(r) > 100 {
		login = string(r[:100])
	}
	return login
}

func (s *AuthService) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// signInAttempt is an attempt's reserved place: in memory (w) or, when
// the failures are shared (Service.SharedSignInFailures), in the database
// (the window of key that starts at start, and its count n with it).
type signInAttempt struct {
	w     *failWindow
	key   string
	start int64
	n     int64
}

// sharedSignIns names the failures' counts in the shared table.
const sharedSignIns = "sign_in_failures"

// beginShared is signInFailures.begin in the database. There the failures
// count in windows every process agrees on (multiples of the window) and
// an account is locked while the current or the previous window holds the
// limit: from the failure that locks it, for one to two windows.
func (s *AuthService) beginShared(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (*signInAttempt, time.Time, error) {
	cur := now.Truncate(window)
	prev := cur.Add(-window)
	got, err := s.SharedSignInFailures(ctx, sharedSignIns, []storage.RateCount{
		{Key: key, Start: prev.UnixMilli(), N: 0},
		{Key: key, Start: cur.UnixMilli(), N: 1},
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	var nPrev, nCur int64
	for _, c := range got {
		switch c.Start {
		case prev.UnixMilli():
			nPrev = c.N
		case cur.UnixMilli():
			nCur = c.N
		}
	}
	a := &signInAttempt{key: key, start: cur.UnixMilli(), n: nCur}
	switch {
	case nCur > int64(limit): // the limit was reached before this attempt
		s.giveBack(ctx, a)
		return nil, cur.Add(2 * window), nil
	case nPrev >= int64(limit):
		s.giveBack(ctx, a)
		return nil, cur.Add(window), nil
	}
	return a, time.Time{}, nil
}

// giveBack returns a reserved place that did not fail.
func (s *AuthService) giveBack(ctx context.Context, a *signInAttempt) {
	if a.w != nil {
		s.signIns.succeed(a.w)
		return
	}
	if _, err := s.SharedSignInFailures(context.WithoutCancel(ctx), sharedSignIns, []storage.RateCount{{Key: a.key, Start: a.start, N: -1}}); err != nil {
		s.log().Error("sign-in failures: give back an attempt", "err", err)
	}
}

// beginSignIn reserves an attempt for the account, or refuses with 429
// (and logs the refusal as a failure) while it is locked.
func (s *AuthService) beginSignIn(ctx context.Context, u *model.User, login, ip string, via SignInVia) (*signInAttempt, error) {
	lim := s.Cfg.Limits
	now := time.Now()
	key := signInKey(u, login)
	var until time.Time
	if s.SharedSignInFailures != nil {
		a, end, err := s.beginShared(ctx, key, lim.FailedSignInsPerAccount, lim.FailedSignInsWindow.Duration, now)
		if err != nil {
			return nil, herr.Internal(err)
		}
		if a != nil {
			return a, nil
		}
		until = end
	} else {
		w, end := s.signIns.begin(key, lim.FailedSignInsPerAccount, lim.FailedSignInsWindow.Duration, now)
		if w != nil {
			return &signInAttempt{w: w}, nil
		}
		until = end
	}
	s.log().Info("sign-in failed", "account", s.signInName(ctx, u, login), "ip", ip, "via", string(via), "reason", "locked")
	mins := int(until.Sub(now).Minutes()) + 1
	return nil, herr.Wrap(429, fmt.Sprintf("Too many failed sign-in attempts for this account. Try again in %d minutes.", mins),
		&SignInLocked{Until: until})
}

// failSignIn records a failed attempt and logs it (and the lock-out it may
// cause).
func (s *AuthService) failSignIn(ctx context.Context, a *signInAttempt, u *model.User, login, ip string, via SignInVia, reason string) {
	lim := s.Cfg.Limits
	var n int
	var until time.Time
	if a.w != nil {
		n, until = s.signIns.fail(a.w, lim.FailedSignInsPerAccount, lim.FailedSignInsWindow.Duration, time.Now())
	} else if n = int(a.n); n == lim.FailedSignInsPerAccount {
		// Kept: this failure is the window's last allowed one.
		until = time.UnixMilli(a.start).Add(2 * lim.FailedSignInsWindow.Duration)
	}
	name := s.signInName(ctx, u, login)
	s.log().Info("sign-in failed", "account", name, "ip", ip, "via", string(via), "reason", reason, "failures", n)
	if !until.IsZero() {
		s.log().Warn("sign-in locked out", "account", name, "ip", ip, "via", string(via), "failures", n,
			"until", until.UTC().Format(time.RFC3339))
	}
}

// SignInWithPassword checks a login (e-mail or username) and password for
// a sign-in from ip. It refuses an address under a no_access block (403),
// an account locked after too many failed sign-ins (429, even with the
// right password), a wrong password (400, the same for unknown logins) and
// an unusable user (403). It reports whether the user must still give a
// second factor (SignInSecondFactor); if not, the sign-in is complete.
func (s *AuthService) SignInWithPassword(ctx context.Context, login, password, ip string, via SignInVia) (*model.User, bool, error) {
	if err := s.CheckSignIn(ctx, ip); err != nil {
		return nil, false, err
	}
	u, err := s.lookupLogin(ctx, login)
	if err != nil {
		return nil, false, err
	}
	w, err := s.beginSignIn(ctx, u, login, ip, via)
	if err != nil {
		return nil, false, err
	}
	if !passwordMatches(u, password) {
		s.failSignIn(ctx, w, u, login, ip, via, "password")
		return nil, false, herr.New(400, "Invalid email or password")
	}
	s.giveBack(ctx, w)
	if err := s.UsableUser(ctx, u); err != nil {
		return nil, false, err
	}
	if err := s.passwordAllowed(ctx, u, ip, via); err != nil {
		return nil, false, err
	}
	second, err := s.TwoFactorEnabled(ctx, u.ID)
	if err != nil {
		return nil, false, err
	}
	if !second {
		_ = s.store.TouchSignIn(ctx, u.ID)
	}
	return u, second, nil
}

// SignInSecondFactor is the second step of a web sign-in: a TOTP or
// recovery code. Wrong codes count as failed sign-ins of the account.
func (s *AuthService) SignInSecondFactor(ctx context.Context, u *model.User, code, ip string) error {
	w, err := s.beginSignIn(ctx, u, "", ip, ViaWeb)
	if err != nil {
		return err
	}
	if err := s.VerifySecondFactor(ctx, u.ID, code); err != nil {
		if herr.As(err).Status >= 500 {
			s.giveBack(ctx, w)
			return err
		}
		s.failSignIn(ctx, w, u, "", ip, ViaWeb, "two_factor")
		return err
	}
	s.giveBack(ctx, w)
	_ = s.store.TouchSignIn(ctx, u.ID)
	return nil
}

// PasswordGrant signs in for the OAuth password grant and answers in
// RFC 6749 terms. The grant has no second step, so an account with
// two-factor authentication on is refused with invalid_grant, as Mastodon
// does (resource_owner_from_credentials returns no user when
// otp_required_for_login); its apps sign in through the authorization-code
// flow, where the web sign-in asks for the code.
func (s *AuthService) PasswordGrant(ctx context.Context, login, password, ip string) (*model.User, error) {
	u, second, err := s.SignInWithPassword(ctx, login, password, ip, ViaPasswordGrant)
	if err != nil {
		switch he := herr.As(err); he.Status {
		case 400:
			return nil, oauthError(400, "invalid_grant", invalidGrant)
		case 403:
			return nil, oauthError(403, "invalid_grant", he.Msg)
		}
		return nil, err
	}
	if second {
		s.log().Info("password grant refused: two-factor authentication is on", "account", s.signInName(ctx, u, login), "ip", ip)
		return nil, oauthError(400, "invalid_grant", "This account uses two-factor authentication: sign in through the browser (authorization code flow) instead of with a password.")
	}
	s.RecordSignIn(ctx, u.ID, ip)
	return u, nil
}
