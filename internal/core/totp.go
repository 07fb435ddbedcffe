package core

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/storage"
)

// Two-factor authentication with TOTP (RFC 6238: HMAC-SHA1, 30-second
// steps, 6 digits, one step of clock drift either way) and one-time
// recovery codes. The web sign-in form asks for the code after the
// password, and so does the OAuth sign-in (which is the same form).

const (
	totpStep    = 30
	totpDigits  = 6
	totpDrift   = 1
	nRecovery   = 10
	totpIssuer  = "Herald"
	secretBytes = 20
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// TOTPCode is the code of a base32 secret at a time step (RFC 4226 HOTP).
func TOTPCode(secret string, step int64) (string, error) {
	key, err := b32.DecodeString(strings.ToUpper(strings.ReplaceAll(secret, " ", "")))
	if err != nil {
		return "", err
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, v%1_000_000), nil
}

// TOTPStep is the time step of t.
func TOTPStep(t time.Time) int64 { return t.Unix() / totpStep }

// totpMatch returns the step (within the drift) whose code is code, or -1.
func totpMatch(secret, code string, now time.Time) int64 {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != totpDigits {
		return -1
	}
	cur := TOTPStep(now)
	for d := int64(-totpDrift); d <= totpDrift; d++ {
		want, err := TOTPCode(secret, cur+d)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return cur + d
		}
	}
	return -1
}

// TwoFactorStatus is what settings show.
type TwoFactorStatus struct {
	Enabled       bool
	Pending       bool   // set-up begun, not confirmed
	Secret        string // while pending
	URI           string // otpauth:// URI for the QR code, while pending
	RecoveryCodes int    // left
}

// TwoFactorEnabled reports whether a user must give a second factor.
func (s *AuthService) TwoFactorEnabled(ctx context.Context, userID int64) (bool, error) {
	st, err := s.webStore()
	if err != nil {
		return false, err
	}
	t, err := st.TwoFactor(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, herr.Internal(err)
	}
	return t.EnabledAt != nil, nil
}

// TwoFactor returns the caller's two-factor status.
func (s *AuthService) TwoFactor(ctx context.Context, c *Caller) (TwoFactorStatus, error) {
	var out TwoFactorStatus
	st, err := s.userWebStore(c)
	if err != nil {
		return out, err
	}
	t, err := st.TwoFactor(ctx, c.User.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return out, nil
	} else if err != nil {
		return out, herr.Internal(err)
	}
	if t.EnabledAt != nil {
		out.Enabled = true
		out.RecoveryCodes, _ = st.CountRecoveryCodes(ctx, c.User.ID)
		return out, nil
	}
	out.Pending, out.Secret, out.URI = true, t.Secret, s.otpauthURI(c, t.Secret)
	return out, nil
}

func (s *AuthService) otpauthURI(c *Caller, secret string) string {
	label := c.Account.Username + "@" + s.Cfg.Instance.Domain
	v := url.Values{"secret": {secret}, "issuer": {totpIssuer + " " + s.Cfg.Instance.Domain},
		"algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	return "otpauth://totp/" + url.PathEscape(label) + "?" + v.Encode()
}

// BeginTwoFactor makes a new secret for the caller, pending until
// confirmed with a code. Refused while two-factor is on.
func (s *AuthService) BeginTwoFactor(ctx context.Context, c *Caller) (TwoFactorStatus, error) {
	st, err := s.userWebStore(c)
	if err != nil {
		return TwoFactorStatus{}, err
	}
	if on, err := s.TwoFactorEnabled(ctx, c.User.ID); err != nil {
		return TwoFactorStatus{}, err
	} else if on {
		return TwoFactorStatus{}, herr.Unprocessable("Two-factor authentication is already enabled")
	}
	key := make([]byte, secretBytes)
	if _, err := rand.Read(key); err != nil {
		return TwoFactorStatus{}, herr.Internal(err)
	}
	secret := b32.EncodeToString(key)
	if err := st.SaveTwoFactor(ctx, &storage.TwoFactor{UserID: c.User.ID, Secret: secret}); err != nil {
		return TwoFactorStatus{}, herr.Internal(err)
	}
	return TwoFactorStatus{Pending: true, Secret: secret, URI: s.otpauthURI(c, secret)}, nil
}

// ConfirmTwoFactor turns two-factor on with a first valid code (and the
// password) and returns fresh recovery codes, shown once.
func (s *AuthService) ConfirmTwoFactor(ctx context.Context, c *Caller, password, code string) ([]string, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	if _, err := s.checkPassword(ctx, c, password); err != nil {
		return nil, err
	}
	st, err := s.webStore()
	if err != nil {
		return nil, err
	}
	t, err := st.TwoFactor(ctx, c.User.ID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && t.EnabledAt != nil) {
		return nil, herr.Unprocessable("Start the set-up of two-factor authentication first")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	step := totpMatch(t.Secret, code, time.Now())
	if step < 0 {
		return nil, herr.Unprocessable("The code is not correct: check the time of your device")
	}
	now := time.Now().UTC()
	t.EnabledAt, t.LastStep = &now, step
	if err := st.SaveTwoFactor(ctx, t); err != nil {
		return nil, herr.Internal(err)
	}
	return s.newRecoveryCodes(ctx, st, c.User.ID)
}

// RegenerateRecoveryCodes replaces the caller's recovery codes.
func (s *AuthService) RegenerateRecoveryCodes(ctx context.Context, c *Caller, password string) ([]string, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	if _, err := s.checkPassword(ctx, c, password); err != nil {
		return nil, err
	}
	if on, err := s.TwoFactorEnabled(ctx, c.User.ID); err != nil {
		return nil, err
	} else if !on {
		return nil, herr.Unprocessable("Two-factor authentication is not enabled")
	}
	st, err := s.webStore()
	if err != nil {
		return nil, err
	}
	return s.newRecoveryCodes(ctx, st, c.User.ID)
}

func (s *AuthService) newRecoveryCodes(ctx context.Context, st storage.WebUI, userID int64) ([]string, error) {
	codes := make([]string, nRecovery)
	hashes := make([][]byte, nRecovery)
	for i := range codes {
		b := make([]byte, 5)
		if _, err := rand.Read(b); err != nil {
			return nil, herr.Internal(err)
		}
		c := strings.ToLower(b32.EncodeToString(b)) // 8 characters
		codes[i] = c[:4] + "-" + c[4:]
		hashes[i] = recoveryHash(userID, codes[i])
	}
	if err := st.ReplaceRecoveryCodes(ctx, userID, hashes); err != nil {
		return nil, herr.Internal(err)
	}
	return codes, nil
}

func recoveryHash(userID int64, code string) []byte {
	code = strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(code), "-", ""), " ", ""))
	h := sha256.Sum256(fmt.Appendf(nil, "recovery:%d:%s", userID, code))
	return h[:]
}

// DisableTwoFactor turns two-factor off (password and a current code or
// recovery code required).
func (s *AuthService) DisableTwoFactor(ctx context.Context, c *Caller, password, code string) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	if _, err := s.checkPassword(ctx, c, password); err != nil {
		return err
	}
	st, err := s.webStore()
	if err != nil {
		return err
	}
	if on, _ := s.TwoFactorEnabled(ctx, c.User.ID); on {
		if err := s.VerifySecondFactor(ctx, c.User.ID, code); err != nil {
			return err
		}
	}
	if err := st.DeleteTwoFactor(ctx, c.User.ID); err != nil {
		return herr.Internal(err)
	}
	return nil
}

// VerifySecondFactor accepts a current TOTP code (each time step once) or
// an unused recovery code (which is then used up).
func (s *AuthService) VerifySecondFactor(ctx context.Context, userID int64, code string) error {
	bad := herr.Unauthorized("Invalid two-factor code")
	st, err := s.webStore()
	if err != nil {
		return err
	}
	t, err := st.TwoFactor(ctx, userID)
	if err != nil || t.EnabledAt == nil {
		return bad
	}
	code = strings.TrimSpace(code)
	if code == "" || len(code) > 32 {
		return bad
	}
	if step := totpMatch(t.Secret, code, time.Now()); step >= 0 {
		ok, err := st.UseTwoFactorStep(ctx, userID, step)
		if err != nil {
			return herr.Internal(err)
		}
		if !ok {
			return herr.Unauthorized("This code was used already: wait for the next one")
		}
		return nil
	}
	ok, err := st.ConsumeRecoveryCode(ctx, userID, recoveryHash(userID, code))
	if err != nil {
		return herr.Internal(err)
	}
	if !ok {
		return bad
	}
	return nil
}
