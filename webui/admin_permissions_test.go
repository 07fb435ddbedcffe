package webui_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
)

// giveRole makes a custom role with perms through the admin API (as an
// owner) and gives it to a new user.
func giveRole(t *testing.T, ts *server.TestServer, ownerTok, username string, perms core.Permission) {
	t.Helper()
	var role struct {
		ID string `json:"id"`
	}
	ts.JSON(t, "POST", "/api/v1/admin/roles", ownerTok, map[string]any{"name": "Role of " + username,
		"permissions": fmt.Sprint(uint64(perms)), "position": 5}, 200, &role)
	u := ts.CreateUser(t, username, "user")
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/role", u.ID), ownerTok, map[string]any{"role_id": role.ID}, 200, nil)
}

// TestConsoleFollowsPermissions: the console opens to whoever core calls
// staff and shows and allows each section by the same permission bits
// as the admin API.
func TestConsoleFollowsPermissions(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	ownerTok := ts.Token(t, "owner1", "admin:read admin:write")
	giveRole(t, ts, ownerTok, "rules1", core.PermManageRules)
	giveRole(t, ts, ownerTok, "emojis1", core.PermManageCustomEmojis)
	giveRole(t, ts, ownerTok, "inviter1", core.PermInviteUsers)

	// Rules only: the Rules section, not the others.
	b := newBrowser(t, ts)
	b.signIn("rules1")
	code, body := b.do("GET", "/admin", nil)
	if code != 200 || !strings.Contains(body, `href="/admin/rules"`) {
		t.Fatalf("console for Manage Rules: %d, rules tab shown: %v", code, strings.Contains(body, `href="/admin/rules"`))
	}
	for _, tab := range []string{"/admin/reports", "/admin/settings", "/admin/accounts", "/admin/audit"} {
		if strings.Contains(body, `href="`+tab+`"`) {
			t.Errorf("console shows %s to a role with Manage Rules only", tab)
		}
	}
	if code, _ := b.do("GET", "/admin/rules", nil); code != 200 {
		t.Errorf("rules page for Manage Rules: %d", code)
	}
	if code, _ := b.do("POST", "/admin/rules/create", url.Values{"text": {"Be kind"}}); code != 200 {
		t.Errorf("add a rule with Manage Rules: %d", code)
	}
	for _, p := range []string{"/admin/settings", "/admin/reports", "/admin/accounts", "/admin/audit"} {
		if code, _ := b.do("GET", p, nil); code != 403 {
			t.Errorf("GET %s with Manage Rules only: %d, want 403", p, code)
		}
	}

	// Manage Custom Emojis is a staff permission (Mastodon's
	// administration category): the console opens.
	b2 := newBrowser(t, ts)
	b2.signIn("emojis1")
	if code, _ := b2.do("GET", "/admin", nil); code != 200 {
		t.Errorf("console for Manage Custom Emojis: %d, want 200", code)
	}
	// Invite Users is not: the console stays closed.
	b3 := newBrowser(t, ts)
	b3.signIn("inviter1")
	if code, _ := b3.do("GET", "/admin", nil); code != 403 {
		t.Errorf("console for Invite Users only: %d, want 403", code)
	}

	// By default the about page names no staff (only the contact
	// account, as Mastodon); when the admins list them, it lists the same
	// staff: the custom staff roles, not the inviter (whose role is not
	// "user" either).
	_, about := newBrowser(t, ts).do("GET", "/about", nil)
	if strings.Contains(about, `href="/@rules1"`) {
		t.Errorf("the about page lists staff without being asked to")
	}
	ts.JSON(t, "PUT", "/api/v1/admin/settings", ownerTok, map[string]any{"show_staff": true}, 200, nil)
	_, about = newBrowser(t, ts).do("GET", "/about", nil)
	for name, staff := range map[string]bool{"owner1": true, "rules1": true, "emojis1": true, "inviter1": false} {
		if got := strings.Contains(about, `href="/@`+name+`"`); got != staff {
			t.Errorf("about page lists %s as staff: %v, want %v", name, got, staff)
		}
	}
}
