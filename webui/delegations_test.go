package webui_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// Team access in the web UI: staff grant a member access to an account in
// the console, the owner sees the member and the log in their settings
// and revokes them; a user who is not staff cannot reach the console page.
func TestWebDelegations(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "admin1", "admin")
	city := ts.CreateUser(t, "city", "user")
	mia := ts.CreateUser(t, "mia", "user")
	ts.CreateUser(t, "bob", "user")

	admin := newBrowser(t, ts)
	admin.signIn("admin1")
	page := fmt.Sprintf("/admin/accounts/%d/delegations", city.ID)
	if code, body := admin.do("GET", fmt.Sprintf("/admin/accounts/%d", city.ID), nil); code != 200 || !strings.Contains(body, page) {
		t.Fatalf("account page without a team access link: %d", code)
	}
	code, body := admin.do("POST", page, url.Values{"member": {"mia"}, "permissions": {"post", "interact"}})
	if code != 200 || !strings.Contains(body, "Access granted.") || !strings.Contains(body, `data-member="mia"`) {
		t.Fatalf("grant in the console: %d %s", code, body)
	}
	if code, body := admin.do("POST", page, url.Values{"member": {"nobody"}, "permissions": {"post"}}); code != 422 {
		t.Fatalf("grant to an unknown member: %d %s", code, body)
	}
	admin.do("GET", page, nil)
	if code, _ := admin.do("POST", page, url.Values{"member": {"bob"}, "permissions": {"sudo"}}); code != 422 {
		t.Fatalf("grant of an unknown permission: %d", code)
	}

	bob := newBrowser(t, ts)
	bob.signIn("bob")
	if code, _ := bob.do("GET", page, nil); code != 403 {
		t.Fatalf("console page for a user: %d", code)
	}
	if code, body := bob.do("GET", "/settings/delegations", nil); code != 200 || strings.Contains(body, "mia") {
		t.Fatalf("bob's own team page: %d", code)
	}

	owner := newBrowser(t, ts)
	owner.signIn("city")
	code, body = owner.do("GET", "/settings/delegations", nil)
	if code != 200 || !strings.Contains(body, `data-member="mia"`) || !strings.Contains(body, "delegation.granted") {
		t.Fatalf("owner's team page: %d %s", code, body)
	}
	if code, body := owner.do("GET", fmt.Sprintf("/settings/delegations?member_id=%d", mia.ID), nil); code != 200 || !strings.Contains(body, "@mia") {
		t.Fatalf("log filtered by member: %d %s", code, body)
	}
	owner.do("GET", "/settings/delegations", nil)
	code, body = owner.do("POST", fmt.Sprintf("/settings/delegations/%d/revoke", mia.ID), url.Values{})
	if code != 200 || !strings.Contains(body, "Access revoked.") || strings.Contains(body, `data-member="mia"`) {
		t.Fatalf("revoke: %d %s", code, body)
	}
}
