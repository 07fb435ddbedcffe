package webui

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
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

// sessionSecret is the HMAC key for session cookies (core's
// WebSessionKey).
func (w *UI) sessionSecret(ctx context.Context) ([]byte, error) {
	return w.svc.WebSessionKey(ctx)
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
	sid, err := w.svc.StartWebSession(c.Request().Context(), u, c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return err
	}
	return w.setSession(c, u, sid)
}

// setSession sets the cookie of a session just started.
func (w *UI) setSession(c echo.Context, u *model.User, sid string) error {
	ctx := c.Request().Context()
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
	// The new session has its own CSRF token (csrfToken).
	return nil
}

// signOut ends the browser's session. For a session started through the
// single sign-on provider it returns the provider's logout URL, where the
// browser goes next (RP-initiated logout); else "".
func (w *UI) signOut(c echo.Context) string {
	next := ""
	if ck, err := c.Cookie(w.cookieName(sessionCookie)); err == nil {
		if claims, ok := w.parseJWT(c.Request().Context(), ck.Value, "session"); ok {
			next = w.svc.SSOLogoutURL(c.Request().Context(), claims.ID)
			w.svc.EndWebSession(c.Request().Context(), claims.ID)
		}
	}
	c.SetCookie(w.cookie(sessionCookie, "", -time.Hour))
	return next
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
	ck, err := c.Cookie(w.cookieName(pendingCookie))
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
	u, err := w.svc.PendingSignIn(c.Request().Context(), id)
	if err != nil {
		return nil
	}
	return u
}

func (w *UI) secure() bool { return w.svc.Cfg.Instance.Protocol == "https" }

// cookieName is the name a cookie of the web UI goes by. Over https it
// takes the __Host- prefix: browsers then accept it only when set by this
// very host, Secure, for Path=/ and without Domain, so that a sibling
// subdomain cannot plant one (cookie tossing).
func (w *UI) cookieName(name string) string {
	if w.secure() {
		return "__Host-" + name
	}
	return name
}

func (w *UI) cookie(name, value string, ttl time.Duration) *http.Cookie {
	return &http.Cookie{
		Name:     w.cookieName(name),
		Value:    value,
		Path:     "/",
		Expires:  time.Now().Add(ttl),
		MaxAge:   int(ttl.Seconds()),
		HttpOnly: true,
		Secure:   w.secure(),
		SameSite: http.SameSiteLaxMode,
	}
}

// session is the request's signed-in caller (cached on the context).
type session struct {
	caller *core.Caller
	id     int64
	csrf   string // the session's CSRF token
	// acting: the account the web client acts as, when the user switched
	// to one they are a member of (delegations.go); nil otherwise.
	acting *core.Caller
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
	ck, err := c.Cookie(w.cookieName(sessionCookie))
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
	// Bound to the session's secret id, which only its cookie carries.
	csrf, err := w.csrfMAC(ctx, "session:"+claims.ID)
	if err != nil {
		return nil
	}
	acting, err := w.svc.ActingCaller(ctx, cl, ws)
	if err != nil {
		return nil
	}
	return &session{caller: cl, id: ws.ID, csrf: csrf, acting: acting}
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

// CSRF tokens are bound to who submits the form, so that a value planted
// in a browser (a cookie set from a sibling subdomain) is worth nothing:
//   - a signed-in browser's token is an HMAC, with the server's session
//     secret, of its session's secret id (see loadSession);
//   - before a session (sign-in, sign-up...), the token is an HMAC of a
//     random value kept in the CSRF cookie: a cookie and form value chosen
//     by someone else do not match without the server's secret.

// csrfMAC is the token bound to a value.
func (w *UI) csrfMAC(ctx context.Context, binding string) (string, error) {
	key, err := w.sessionSecret(ctx)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("csrf:" + binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
}

// preSessionNonce reads the pre-session CSRF cookie ("" when absent or
// malformed).
func (w *UI) preSessionNonce(c echo.Context) string {
	ck, err := c.Cookie(w.cookieName(csrfCookie))
	if err != nil || len(ck.Value) < 32 || len(ck.Value) > 128 {
		return ""
	}
	return ck.Value
}

// csrfToken returns the CSRF token of the request's forms, setting the
// pre-session cookie when a browser without a session has none.
func (w *UI) csrfToken(c echo.Context) string {
	if s := w.session(c); s != nil {
		return s.csrf
	}
	if v, ok := c.Get("herald.csrf").(string); ok {
		return v
	}
	nonce := w.preSessionNonce(c)
	if nonce == "" {
		nonce = core.RandomToken(32)
		c.SetCookie(w.cookie(csrfCookie, nonce, 12*time.Hour))
	}
	t, err := w.csrfMAC(c.Request().Context(), "pre:"+nonce)
	if err != nil {
		return ""
	}
	c.Set("herald.csrf", t)
	return t
}

// checkCSRF verifies a form's authenticity_token: the session's token for
// a signed-in browser, else the one bound to the pre-session cookie.
func (w *UI) checkCSRF(c echo.Context) bool {
	var want string
	var err error
	if s := w.session(c); s != nil {
		want = s.csrf
	} else if nonce := w.preSessionNonce(c); nonce != "" {
		want, err = w.csrfMAC(c.Request().Context(), "pre:"+nonce)
	}
	if err != nil || want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(c.FormValue("authenticity_token"))) == 1
}
