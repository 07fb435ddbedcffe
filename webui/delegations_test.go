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

// The web client's account switcher: a member switches to the shared
// account, which every page then shows; what they post is the account's
// and is logged with their name; their settings stay their own. Once
// revoked, the session acts for them again.
func TestWebAccountSwitcher(t *testing.T) {
	ts := server.StartTest(t)
	city := ts.CreateUser(t, "city", "user")
	mia := ts.CreateUser(t, "mia", "user")
	owner := ts.Token(t, "city", "read write")
	ts.JSON(t, "POST", "/api/v1/delegations", owner, map[string]any{"member": "mia", "permissions": "post"}, 200, nil)

	b := newBrowser(t, ts)
	b.signIn("mia")
	code, body := b.do("GET", "/home", nil)
	if code != 200 || !strings.Contains(body, `action="/switch_account"`) || !strings.Contains(body, fmt.Sprintf(`value="%d"`, city.ID)) {
		t.Fatalf("no account switcher: %d %s", code, body)
	}
	code, body = b.do("POST", "/switch_account", url.Values{"account_id": {fmt.Sprint(city.ID)}})
	if code != 200 || !strings.Contains(body, "Acting as <strong>@city</strong>") {
		t.Fatalf("switch: %d %s", code, body)
	}
	code, body = b.do("POST", "/statuses", url.Values{"status": {"posted from the web as city"}, "visibility": {"public"}})
	if code != 200 || !strings.Contains(body, "Posted.") {
		t.Fatalf("compose as city: %d %s", code, body)
	}
	var sts []struct {
		ID      string
		Content string
	}
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/accounts/%d/statuses", city.ID), owner, nil, 200, &sts)
	if len(sts) != 1 || !strings.Contains(sts[0].Content, "posted from the web as city") {
		t.Fatalf("city's posts: %+v", sts)
	}
	var log []struct {
		Member, Action string
		ObjectID       string `json:"object_id"`
	}
	ts.JSON(t, "GET", "/api/v1/delegations/log", owner, nil, 200, &log)
	if len(log) == 0 || log[0].Member != "mia" || log[0].Action != "web POST /statuses" || log[0].ObjectID != sts[0].ID {
		t.Fatalf("log: %+v", log)
	}
	// Her settings are hers.
	if code, body := b.do("GET", "/settings/account", nil); code != 200 || !strings.Contains(body, "mia@example.org") {
		t.Fatalf("settings while acting: %d %s", code, body)
	}
	ts.JSON(t, "DELETE", fmt.Sprintf("/api/v1/delegations/%d", mia.ID), owner, nil, 200, nil)
	code, body = b.do("GET", "/home", nil)
	if code != 200 || strings.Contains(body, "Acting as") || strings.Contains(body, `action="/switch_account"`) {
		t.Fatalf("after the revocation: %d %s", code, body)
	}
	b.do("POST", "/statuses", url.Values{"status": {"now as myself"}, "visibility": {"public"}})
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/accounts/%d/statuses", mia.ID), owner, nil, 200, &sts)
	if len(sts) != 1 {
		t.Fatalf("mia's own posts after the revocation: %+v", sts)
	}
}
