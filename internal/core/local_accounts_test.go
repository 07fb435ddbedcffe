package core_test

import (
	"testing"

	"github.com/herald-social/herald/internal/core"
)

// An address is valid by one rule, whoever creates the account: the
// operator (CreateLocalAccount) accepted addresses that sign-up (Register)
// refused.
func TestOneEmailRule(t *testing.T) {
	e := newSocEnv(t)
	e.svc.Cfg.Registration.Mode = "open"
	for i, tc := range []struct {
		email string
		ok    bool
	}{
		{"ann@example.org", true},
		{"ann@localhost", true},
		{"ann@intranet", false},
		{"Ann <ann@example.org>", false},
		{"ann", false},
		{"ann@", false},
		{"ann@@example.org", false},
	} {
		if got := core.ValidEmail(tc.email); got != tc.ok {
			t.Errorf("ValidEmail(%q) = %v, want %v", tc.email, got, tc.ok)
		}
		name := "op" + string(rune('a'+i))
		_, _, err := e.svc.CreateLocalAccount(e.ctx, core.NewAccountParams{Username: name, Email: tc.email,
			Password: "password123", Approved: true, Confirm: true})
		if (err == nil) != tc.ok {
			t.Errorf("CreateLocalAccount with %q: %v, want accepted=%v", tc.email, err, tc.ok)
		}
		name = "su" + string(rune('a'+i))
		email := tc.email
		if tc.ok {
			email = name + "+" + email // a fresh address at the same domain
		}
		_, _, err = e.svc.Register(e.ctx, core.RegisterParams{Username: name, Email: email, Password: "password123",
			Agreement: true, IP: "192.0.2.1"})
		if (err == nil) != tc.ok {
			t.Errorf("Register with %q: %v, want accepted=%v", email, err, tc.ok)
		}
	}
}
