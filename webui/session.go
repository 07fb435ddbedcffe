package webui

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

const (
	sessionCookie = "herald_session"
	csrfCookie    = "herald_csrf"
	pendingCookie = "herald_2fa" // between the password and the second factor
	sessionTTL    = 30 * 24 * time.Hour
	pendingTTL    = 5 * time.Minute
)

// sessionSecret is the HMAC key for session cookies, made on first use and
// kept in the store so that restarts keep people signed in.
func (w *UI) sessionSecret(ctx context.Context) ([]byte, error) {
	v, err := w.svc.Store.SettingOrCreate(ctx, "session_secret", func() (string, error) { return core.RandomToken(48), nil })
	return []byte(v), err
}

func (w *UI) signJWT(ctx context.Context, claims jwt.RegisteredClaims) (string, error) {
	key, err := w.sessionSecret(ctx)
	if err != nil {
		return "", err
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
}

func (w *UI) parseJWT(ctx context.Context, raw, audience string) (*jwt.RegisteredClaims, bool) {
	key, err := w.sessionSecret(ctx)
	if err != nil || raw == "" {
		return nil, false
	}
	var claims jwt.RegisteredClaims
	_, err = jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(w.svc.Base()), jwt.WithExpirationRequired(),
		jwt.WithAudience(audience))
	if err != nil {
		return nil, false
	}
	return &claims, true
}

// signIn starts a server-side session and sets the session cookie: a JWT
// naming the user and carrying the session's secret id.
func (w *UI) signIn(c echo.Context, u *model.User) error {
	ctx := c.Request().Context()
	sid, err := w.svc.StartWebSession(ctx, u, c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return err
	}
	now := time.Now()
	signed, err := w.signJWT(ctx, jwt.RegisteredClaims{
		Subject:   strconv.FormatInt(u.ID, 10),
		ID:        sid,
		Audience:  jwt.ClaimStrings{"session"},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(sessionTTL)),
		Issuer:    w.svc.Base(),
	})
	if err != nil {
		return err
	}
	c.SetCookie(w.cookie(sessionCookie, signed, sessionTTL))
	c.SetCookie(w.cookie(pendingCookie, "", -time.Hour))
	// A new session gets a new CSRF token.
	c.SetCookie(w.cookie(csrfCookie, core.RandomToken(32), 12*time.Hour))
	return nil
}

func (w *UI) signOut(c echo.Context) {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if claims, ok := w.parseJWT(c.Request().Context(), ck.Value, "session"); ok {
			w.svc.EndWebSession(c.Request().Context(), claims.ID)
		}
	}
	c.SetCookie(w.cookie(sessionCookie, "", -time.Hour))
}

// setPending remembers, for a few minutes, who gave a right password and
// must now give a second factor.
func (w *UI) setPending(c echo.Context, u *model.User) error {
	now := time.Now()
	signed, err := w.signJWT(c.Request().Context(), jwt.RegisteredClaims{
		Subject: strconv.FormatInt(u.ID, 10), Audience: jwt.ClaimStrings{"2fa"}, ID: core.RandomToken(12),
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(pendingTTL)), Issuer: w.svc.Base(),
	})
	if err != nil {
		return err
	}
	c.SetCookie(w.cookie(pendingCookie, signed, pendingTTL))
	return nil
}

func (w *UI) pendingUser(c echo.Context) *model.User {
	ck, err := c.Cookie(pendingCookie)
	if err != nil {
		return nil
	}
	claims, ok := w.parseJWT(c.Request().Context(), ck.Value, "2fa")
	if !ok {
		return nil
	}
	id, err := strconv.ParseInt(claims.Subject, 10, 64)
	if err != nil {
		return nil
	}
	u, err := w.svc.Store.UserByAccountID(c.Request().Context(), id)
	if err != nil || w.svc.UsableUser(c.Request().Context(), u) != nil {
		return nil
	}
	return u
}

func (w *UI) cookie(name, value string, ttl time.Duration) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		Expires:  time.Now().Add(ttl),
		MaxAge:   int(ttl.Seconds()),
		HttpOnly: true,
		Secure:   w.svc.Cfg.Instance.Protocol == "https",
		SameSite: http.SameSiteLaxMode,
	}
}

// session is the request's signed-in caller (cached on the context).
type session struct {
	caller *core.Caller
	id     int64
}

func (w *UI) session(c echo.Context) *session {
	if v, ok := c.Get("herald.session").(*session); ok {
		return v
	}
	s := w.loadSession(c)
	c.Set("herald.session", s)
	return s
}

func (w *UI) loadSession(c echo.Context) *session {
	ck, err := c.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil
	}
	ctx := c.Request().Context()
	claims, ok := w.parseJWT(ctx, ck.Value, "session")
	if !ok {
		return nil
	}
	cl, ws, err := w.svc.WebSessionCaller(ctx, claims.ID)
	if err != nil || strconv.FormatInt(cl.User.ID, 10) != claims.Subject {
		return nil
	}
	return &session{caller: cl, id: ws.ID}
}

// caller returns the signed-in caller, or nil.
func (w *UI) caller(c echo.Context) *core.Caller {
	if s := w.session(c); s != nil {
		return s.caller
	}
	return nil
}

// currentUser returns the signed-in user, or nil.
func (w *UI) currentUser(c echo.Context) *model.User {
	if cl := w.caller(c); cl != nil {
		return cl.User
	}
	return nil
}

// csrfToken returns the request's CSRF token, setting the cookie that
// carries it when missing (double-submit: the form field must match it).
func (w *UI) csrfToken(c echo.Context) string {
	if v, ok := c.Get("herald.csrf").(string); ok {
		return v
	}
	if ck, err := c.Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 {
		return ck.Value
	}
	t := core.RandomToken(32)
	c.SetCookie(w.cookie(csrfCookie, t, 12*time.Hour))
	c.Set("herald.csrf", t)
	return t
}

// checkCSRF verifies a form's authenticity_token against the cookie.
func (w *UI) checkCSRF(c echo.Context) bool {
	ck, err := c.Cookie(csrfCookie)
	if err != nil || len(ck.Value) < 32 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(ck.Value), []byte(c.FormValue("authenticity_token"))) == 1
}
