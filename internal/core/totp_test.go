package core

import (
	"encoding/base32"
	"testing"
	"time"
)

// RFC 6238 appendix B, SHA-1 (the 8-digit values, last 6 digits).
func TestTOTPVectors(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	for _, v := range []struct {
		unix int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"}} {
		got, err := TOTPCode(secret, TOTPStep(time.Unix(v.unix, 0)))
		if err != nil || got != v.want {
			t.Errorf("T=%d: %s %v, want %s", v.unix, got, err, v.want)
		}
	}
	now := time.Unix(1111111111, 0)
	code, _ := TOTPCode(secret, TOTPStep(now)-1)
	if totpMatch(secret, code, now) < 0 {
		t.Error("the previous step is refused")
	}
	code, _ = TOTPCode(secret, TOTPStep(now)+2)
	if totpMatch(secret, code, now) >= 0 {
		t.Error("two steps ahead is accepted")
	}
}
