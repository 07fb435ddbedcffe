package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
)

type delegationJSON struct {
	Account     struct{ ID, Username string } `json:"account"`
	Member      struct{ ID, Username string } `json:"member"`
	Permissions []string                      `json:"permissions"`
	GrantedBy   *struct{ Username string }    `json:"granted_by"`
}

type delegationLogJSON struct {
	ID         string `json:"id"`
	MemberID   string `json:"member_id"`
	Member     string `json:"member"`
	ActorID    string `json:"actor_id"`
	Action     string `json:"action"`
	ObjectType string `json:"object_type"`
	ObjectID   string `json:"object_id"`
}

// authorizeActingAs signs login in on the authorize page, checks that the
// consent screen offers to act as actAs (a username) and approves acting
// as it; it returns the token the app then gets for the code.
func authorizeActingAs(t *testing.T, ts *server.TestServer, login, actAs string) string {
	t.Helper()
	return authorizeActingAsWith(t, ts, login, actAs, "read write follow")
}

// authorizeActingAsWith is authorizeActingAs asking for scope.
func authorizeActingAsWith(t *testing.T, ts *server.TestServer, login, actAs, scope string) string {
	t.Helper()
	const redirect = "https://app.example/cb"
	app := createApp(t, ts, redirect, "read write follow push")
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {redirect}, "scope": {scope}}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == "app.example" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	form := func(body string) url.Values {
		v := url.Values{}
		for _, m := range hiddenRe.FindAllStringSubmatch(body, -1) {
			v.Set(m[1], unescape(m[2]))
		}
		return v
	}
	resp, err := c.Get(ts.URL + "/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	v := form(readAll(t, resp))
	v.Set("username", login)
	v.Set("password", server.TestPassword)
	resp, err = c.PostForm(ts.URL+"/auth/sign_in", v)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if !strings.Contains(body, "Act as") || !strings.Contains(body, "@"+actAs) {
		t.Fatalf("the consent screen offers no choice of @%s (%d): %s", actAs, resp.StatusCode, body)
	}
	acc, err := ts.Srv.Svc.LocalAccount(context.Background(), actAs)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, fmt.Sprintf(`name="act_as" value="%d"`, acc.ID)) {
		t.Fatalf("no act_as choice for @%s: %s", actAs, body)
	}
	consent := body[strings.Index(body, `<form method="post" action="/oauth/authorize">`):]
	v = form(consent[:strings.Index(consent, "</form>")])
	v.Set("decision", "approve")
	v.Set("act_as", fmt.Sprint(acc.ID))
	resp, err = c.PostForm(ts.URL+"/oauth/authorize", v)
	if err != nil {
		t.Fatal(err)
	}
	body = readAll(t, resp)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("no code in the redirect (%d): %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	var tok tokenResp
	ts.JSON(t, "POST", "/oauth/token", "", url.Values{"grant_type": {"authorization_code"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "code": {code}, "redirect_uri": {redirect}}, 200, &tok)
	return tok.AccessToken
}

// A member authorises an app as @city on the consent screen: the token is
// @city's (verify_credentials, the post's author), what the member does
// through it is in @city's activity log with their name and in the audit
// log; the delegation's permissions bound what the token may do, whatever
// its scopes; revoking the member fails the token at once.
func TestDelegatedTokenActsAsAccount(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "admin1", "admin")
	city := ts.CreateUser(t, "city", "user")
	mia := ts.CreateUser(t, "mia", "user")
	ts.CreateUser(t, "bob", "user")
	owner := ts.Token(t, "city", "read write")
	admin := ts.Token(t, "admin1", "read write admin:read admin:write")

	var d delegationJSON
	ts.JSON(t, "POST", "/api/v1/delegations", owner, map[string]any{"member": "mia", "permissions": []string{"post", "interact"}}, 200, &d)
	if d.Member.Username != "mia" || d.Account.Username != "city" || strings.Join(d.Permissions, " ") != "interact post" ||
		d.GrantedBy == nil || d.GrantedBy.Username != "city" {
		t.Fatalf("granted: %+v", d)
	}
	var mine []delegationJSON
	ts.JSON(t, "GET", "/api/v1/delegations/accounts", ts.Token(t, "mia", "read"), nil, 200, &mine)
	if len(mine) != 1 || mine[0].Account.Username != "city" {
		t.Fatalf("mia's accounts: %+v", mine)
	}

	tok := authorizeActingAs(t, ts, "mia", "city")
	var me struct{ ID, Username string }
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok, nil, 200, &me)
	if me.ID != fmt.Sprint(city.ID) || me.Username != "city" {
		t.Fatalf("verify_credentials of the delegated token: %+v", me)
	}
	var st struct {
		ID      string
		Account struct{ Username string }
	}
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "Roadworks on Main Street tomorrow"}, 200, &st)
	if st.Account.Username != "city" {
		t.Fatalf("posted as @%s", st.Account.Username)
	}
	// A boost needs "interact", which mia has.
	var bobs struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", ts.Token(t, "bob", "write"), map[string]any{"status": "hello city"}, 200, &bobs)
	ts.JSON(t, "POST", "/api/v1/statuses/"+bobs.ID+"/reblog", tok, nil, 200, nil)

	// Outside the permissions: the profile, direct messages, the
	// account's own delegations, admin routes.
	ts.JSON(t, "PATCH", "/api/v1/accounts/update_credentials", tok, map[string]any{"display_name": "Hacked"}, 403, nil)
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "@bob psst", "visibility": "direct"}, 403, nil)
	ts.JSON(t, "GET", "/api/v1/conversations", tok, nil, 403, nil)
	ts.JSON(t, "POST", "/api/v1/delegations", tok, map[string]any{"member": "bob", "permissions": "post"}, 403, nil)
	ts.JSON(t, "GET", "/api/v1/delegations/log", tok, nil, 403, nil)

	// The owner sees who did what.
	var log []delegationLogJSON
	ts.JSON(t, "GET", "/api/v1/delegations/log", owner, nil, 200, &log)
	if len(log) < 3 {
		t.Fatalf("activity log: %+v", log)
	}
	post, boost, grant := log[1], log[0], log[len(log)-1]
	if post.Member != "mia" || post.MemberID != fmt.Sprint(mia.ID) || post.Action != "POST /api/v1/statuses" ||
		post.ObjectType != "statuses" || post.ObjectID != st.ID {
		t.Errorf("the post's entry: %+v", post)
	}
	if boost.Action != "POST /api/v1/statuses/:id/reblog" || boost.ObjectID != bobs.ID || boost.Member != "mia" {
		t.Errorf("the boost's entry: %+v", boost)
	}
	if grant.Action != core.DelegationGranted || grant.ActorID != fmt.Sprint(city.ID) {
		t.Errorf("the grant's entry: %+v", grant)
	}
	for _, e := range log {
		if strings.Contains(e.Action, "update_credentials") || strings.Contains(e.Action, "conversations") {
			t.Errorf("a refused request was logged: %+v", e)
		}
	}
	// Staff see it too, filtered by member, and in the audit log.
	var staffLog []delegationLogJSON
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/admin/accounts/%d/delegations/log?member_id=%d", city.ID, mia.ID), admin, nil, 200, &staffLog)
	if len(staffLog) != len(log) {
		t.Errorf("staff's log filtered by mia: %d entries, want %d", len(staffLog), len(log))
	}
	var audit []struct{ Action, Summary string }
	ts.JSON(t, "GET", "/api/v1/admin/audit_log?limit=40", admin, nil, 200, &audit)
	found := false
	for _, e := range audit {
		if e.Action == "delegated_action" && strings.Contains(e.Summary, "@mia as @city") && strings.Contains(e.Summary, st.ID) {
			found = true
		}
	}
	if !found {
		t.Errorf("no delegated action in the audit log: %+v", audit)
	}

	// Revoking mia: her token fails at the next request.
	ts.JSON(t, "DELETE", fmt.Sprintf("/api/v1/delegations/%d", mia.ID), owner, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok, nil, 401, nil)
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "still here?"}, 401, nil)
	ts.JSON(t, "DELETE", fmt.Sprintf("/api/v1/delegations/%d", mia.ID), owner, nil, 404, nil)
	ts.JSON(t, "GET", "/api/v1/delegations/log", owner, nil, 200, &log)
	if log[0].Action != core.DelegationRevoked || log[0].Member != "mia" {
		t.Errorf("the revocation's entry: %+v", log[0])
	}
}

// The permission set is checked whatever the token's scopes: a member with
// "profile" alone may edit the profile but not post; with "direct" they
// read and send direct messages.
func TestDelegationPermissions(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "city", "user")
	ts.CreateUser(t, "mia", "user")
	ts.CreateUser(t, "bob", "user")
	owner := ts.Token(t, "city", "read write")
	ts.JSON(t, "POST", "/api/v1/delegations", owner, map[string]any{"member": "mia", "permissions": []string{"profile"}}, 200, nil)
	tok := authorizeActingAs(t, ts, "mia", "city")
	ts.JSON(t, "PATCH", "/api/v1/accounts/update_credentials", tok, map[string]any{"display_name": "City Hall"}, 200, nil)
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "no"}, 403, nil)
	var bobs struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", ts.Token(t, "bob", "write"), map[string]any{"status": "hello"}, 200, &bobs)
	ts.JSON(t, "POST", "/api/v1/statuses/"+bobs.ID+"/favourite", tok, nil, 403, nil)
	ts.JSON(t, "POST", "/api/v1/statuses/"+bobs.ID+"/reblog", tok, nil, 403, nil)

	// Granting again changes the set; the token follows at once.
	ts.JSON(t, "POST", "/api/v1/delegations", owner, map[string]any{"member": "mia", "permissions": "direct"}, 200, nil)
	ts.JSON(t, "PATCH", "/api/v1/accounts/update_credentials", tok, map[string]any{"display_name": "x"}, 403, nil)
	var dm struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "@bob hello", "visibility": "direct"}, 200, &dm)
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "public", "visibility": "public"}, 403, nil)
	var convs []struct{ ID string }
	ts.JSON(t, "GET", "/api/v1/conversations", tok, nil, 200, &convs)
	if len(convs) != 1 {
		t.Errorf("conversations: %+v", convs)
	}

	// Validation.
	ts.JSON(t, "POST", "/api/v1/delegations", owner, map[string]any{"member": "mia", "permissions": "sudo"}, 422, nil)
	ts.JSON(t, "POST", "/api/v1/delegations", owner, map[string]any{"member": "mia"}, 422, nil)
	ts.JSON(t, "POST", "/api/v1/delegations", owner, map[string]any{"member": "nobody", "permissions": "post"}, 422, nil)
	ts.JSON(t, "POST", "/api/v1/delegations", owner, map[string]any{"member": "city", "permissions": "post"}, 422, nil)
	ts.JSON(t, "DELETE", "/api/v1/delegations/abc", owner, nil, 404, nil)
	ts.JSON(t, "GET", "/api/v1/delegations/log?member_id=x", owner, nil, 404, nil)
}

// Staff manage any account's delegations through the admin API; others may
// not. A member's suspension ends their delegations and their tokens.
func TestDelegationAdminAndMemberSuspension(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "admin1", "admin")
	city := ts.CreateUser(t, "city", "user")
	mia := ts.CreateUser(t, "mia", "user")
	ts.CreateUser(t, "bob", "user")
	admin := ts.Token(t, "admin1", "read write admin:read admin:write")
	base := fmt.Sprintf("/api/v1/admin/accounts/%d/delegations", city.ID)

	ts.JSON(t, "POST", base, ts.Token(t, "bob", "read write admin:read admin:write"), map[string]any{"member": "bob", "permissions": "post"}, 403, nil)
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/delegations"), ts.Token(t, "bob", "read"), nil, 200, nil) // bob's own: none
	var d delegationJSON
	ts.JSON(t, "POST", base, admin, map[string]any{"member": "@mia", "permissions": []string{"post"}}, 200, &d)
	if d.GrantedBy == nil || d.GrantedBy.Username != "admin1" {
		t.Fatalf("granted by: %+v", d.GrantedBy)
	}
	var list []delegationJSON
	ts.JSON(t, "GET", base, admin, nil, 200, &list)
	if len(list) != 1 || list[0].Member.Username != "mia" {
		t.Fatalf("delegations: %+v", list)
	}
	ts.JSON(t, "GET", "/api/v1/admin/accounts/999999/delegations", admin, nil, 404, nil)

	tok := authorizeActingAs(t, ts, "mia", "city")
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "before"}, 200, nil)
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/action", mia.ID), admin, map[string]any{"type": "suspend"}, 200, nil)
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "after"}, 401, nil)
	ts.JSON(t, "GET", base, admin, nil, 200, &list)
	if len(list) != 0 {
		t.Fatalf("delegations after the member's suspension: %+v", list)
	}
	// Unsuspended, she is no member again until granted anew.
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/unsuspend", mia.ID), admin, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok, nil, 401, nil)
	var log []delegationLogJSON
	ts.JSON(t, "GET", base+"/log", admin, nil, 200, &log)
	if len(log) == 0 || log[0].Action != core.DelegationRevoked || log[0].ObjectType != "Reason" {
		t.Fatalf("log after the suspension: %+v", log)
	}
}

// A delegated token's streams close when the member is revoked.
func TestDelegationRevokeClosesStreams(t *testing.T) {
	f := startStreaming(t)
	owner := f.tBob
	f.ts.JSON(t, "POST", "/api/v1/delegations", owner, map[string]any{"member": "carol", "permissions": "post"}, 200, nil)
	tok := authorizeActingAs(t, f.ts, "carol", "bob")
	ws := dialWS(t, f.ts, tok, "header", "stream=public")
	f.liveStreams(t, ws)
	f.ts.JSON(t, "DELETE", fmt.Sprintf("/api/v1/delegations/%d", f.carol.ID), owner, nil, 200, nil)
	ws.waitEnded("websocket of a revoked member", 5*time.Second)
}
