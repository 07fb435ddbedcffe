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
	sessionTTL    = 30 * 24 * time.Hour
)

// sessionSecret is the HMAC key for session cookies, made on first use and
// kept in the store so that restarts keep people signed in.
func (w *UI) sessionSecret(ctx context.Context) ([]byte, error) {
	v, err := w.svc.Store.SettingOrCreate(ctx, "session_secret", func() (string, error) { return core.RandomToken(48), nil })
	return []byte(v), err
}

// signIn sets the session cookie: a JWT naming the user, signed with HS256.
func (w *UI) signIn(c echo.Context, u *model.User) error {
	key, err := w.sessionSecret(c.Request().Context())
	if err != nil {
		return err
	}
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Subject:   strconv.FormatInt(u.ID, 10),
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(sessionTTL)),
		Issuer:    w.svc.Base(),
	})
	signed, err := tok.SignedString(key)
	if err != nil {
		return err
	}
	c.SetCookie(w.cookie(sessionCookie, signed, sessionTTL))
	return nil
}

func (w *UI) signOut(c echo.Context) { c.SetCookie(w.cookie(sessionCookie, "", -time.Hour)) }

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

// currentUser returns the signed-in user, or nil.
func (w *UI) currentUser(c echo.Context) *model.User {
	ck, err := c.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil
	}
	ctx := c.Request().Context()
	key, err := w.sessionSecret(ctx)
	if err != nil {
		return nil
	}
	var claims jwt.RegisteredClaims
	_, err = jwt.ParseWithClaims(ck.Value, &claims, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(w.svc.Base()), jwt.WithExpirationRequired())
	if err != nil {
		return nil
	}
	uid, err := strconv.ParseInt(claims.Subject, 10, 64)
	if err != nil {
		return nil
	}
	u, err := w.svc.Store.UserByAccountID(ctx, uid)
	if err != nil || w.svc.UsableUser(ctx, u) != nil {
		return nil
	}
	return u
}

// csrfToken returns the request's CSRF token, setting the cookie that
// carries it when missing (double-submit: the form field must match it).
func (w *UI) csrfToken(c echo.Context) string {
	if ck, err := c.Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 {
		return ck.Value
	}
	t := core.RandomToken(32)
	c.SetCookie(w.cookie(csrfCookie, t, 12*time.Hour))
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
