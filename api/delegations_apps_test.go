package api_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// The owner's authorised apps keep their own apart from the apps team
// members use as the account: a member's app is listed under the team
// ("used by member @mia through team access"), not as the owner's; revoking
// the owner's app leaves the member's tokens alone, and a member's app is
// revoked by naming the member.
func TestAuthorisedAppsKeepTeamAppsApart(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "city", "user")
	mia := ts.CreateUser(t, "mia", "user")
	ts.JSON(t, "POST", "/api/v1/delegations", ts.Token(t, "city", "read write"), map[string]any{"member": "mia", "permissions": "post"}, 200, nil)

	app := createApp(t, ts, "urn:ietf:wg:oauth:2.0:oob", "read write")
	var own tokenResp
	ts.JSON(t, "POST", "/oauth/token", "", map[string]any{"grant_type": "password", "client_id": app.ClientID,
		"client_secret": app.ClientSecret, "username": "city", "password": server.TestPassword, "scope": "read write"}, 200, &own)
	member := authorizeActingAs(t, ts, "mia", "city")

	b := newWebSession(t, ts)
	b.signIn("city", server.TestPassword)
	get := func() string {
		t.Helper()
		resp, err := b.c.Get(ts.URL + "/settings/apps")
		if err != nil {
			t.Fatal(err)
		}
		b.last = readAll(t, resp)
		return b.last
	}
	page := get()
	i := strings.Index(page, `id="team-apps"`)
	if i < 0 {
		t.Fatalf("no team section: %s", page)
	}
	ownPart, teamPart := page[:i], page[i:]
	revokeRe := regexp.MustCompile(`action="/settings/apps/(\d+)/revoke"`)
	if ids := revokeRe.FindAllStringSubmatch(ownPart, -1); len(ids) != 1 || ids[0][1] != app.ID {
		t.Fatalf("the owner's own apps: %v, want only app %s", ids, app.ID)
	}
	teamIDs := revokeRe.FindAllStringSubmatch(teamPart, -1)
	if len(teamIDs) != 1 || !strings.Contains(teamPart, "Used by member @mia through team access") ||
		!strings.Contains(teamPart, fmt.Sprintf(`name="member_id" value="%d"`, mia.ID)) {
		t.Fatalf("the team's apps: %s", teamPart)
	}
	memberApp := teamIDs[0][1]

	// Revoking the member's app as if it were the owner's: not found, the
	// member keeps it.
	if code, _ := b.post("/settings/apps/"+memberApp+"/revoke", url.Values{}); code != 404 {
		t.Errorf("revoking the member's app without naming the member: %d, want 404", code)
	}
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", member, nil, 200, nil)
	// The owner's own app: their token ends, the member's does not.
	get()
	if code, _ := b.post("/settings/apps/"+app.ID+"/revoke", url.Values{}); code != 200 {
		t.Fatalf("revoking the owner's app: %d", code)
	}
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", own.AccessToken, nil, 401, nil)
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", member, nil, 200, nil)
	// The member's app, named with its member.
	get()
	if code, _ := b.post("/settings/apps/"+memberApp+"/revoke", url.Values{"member_id": {fmt.Sprint(mia.ID)}}); code != 200 {
		t.Fatalf("revoking the member's app: %d", code)
	}
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", member, nil, 401, nil)
	if page := get(); strings.Contains(page, `id="team-apps"`) || strings.Contains(page, "/revoke") {
		t.Errorf("apps left after both were revoked")
	}
}
