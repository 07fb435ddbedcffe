package api_test

import (
	"slices"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// role_ids[] selects the users of those roles; ids of no role (or not ids
// at all) select no one, rather than being ignored.
func TestAdminAccountsByRole(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "root", "owner")
	ts.CreateUser(t, "mod", "moderator")
	ts.CreateUser(t, "alice", "user")
	tok := ts.Token(t, "root", "admin:read")
	var roles []struct{ ID, Key string }
	ts.JSON(t, "GET", "/api/v1/admin/roles", tok, nil, 200, &roles)
	modRole := ""
	for _, r := range roles {
		if r.Key == "moderator" {
			modRole = r.ID
		}
	}
	if modRole == "" {
		t.Fatalf("no moderator role in %+v", roles)
	}
	names := func(query string) []string {
		t.Helper()
		var list []struct{ Username string }
		ts.JSON(t, "GET", "/api/v2/admin/accounts?origin=local&"+query, tok, nil, 200, &list)
		var out []string
		for _, a := range list {
			out = append(out, a.Username)
		}
		slices.Sort(out)
		return out
	}
	if got := names("role_ids[]=" + modRole); !slices.Equal(got, []string{"mod"}) {
		t.Errorf("role_ids[]=moderator: %v", got)
	}
	for _, q := range []string{"role_ids[]=999", "role_ids[]=abc"} {
		if got := names(q); len(got) != 0 {
			t.Errorf("%s: %v, want nobody", q, got)
		}
	}
	if got := names(""); len(got) < 3 {
		t.Errorf("no role filter: %v", got)
	}
}
