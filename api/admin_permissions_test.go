package api_test

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
)

// adminRoutePermissions is the permission each admin route needs (any of
// them), written out independently of the code: every admin route must
// be listed here.
var adminRoutePermissions = func() map[string][]core.Permission {
	users, reports := core.PermManageUsers, core.PermManageReports
	m := map[string][]core.Permission{
		"GET /api/v1/admin/accounts":                     {users, core.PermManageUserAccess},
		"GET /api/v2/admin/accounts":                     {users, core.PermManageUserAccess},
		"GET /api/v1/admin/accounts/:id":                 {users, reports, core.PermManageUserAccess},
		"DELETE /api/v1/admin/accounts/:id":              {core.PermDeleteUserData},
		"POST /api/v1/admin/accounts/:id/action":         {users, reports},
		"POST /api/v1/admin/status_actions":              {reports},
		"POST /api/v1/admin/accounts/:id/role":           {core.PermManageRoles},
		"GET /api/v1/admin/accounts/:id/warnings":        {users, reports},
		"GET /api/v1/admin/audit_log":                    {core.PermViewAuditLog},
		"GET /api/v1/admin/settings":                     {core.PermManageSettings},
		"PUT /api/v1/admin/settings":                     {core.PermManageSettings},
		"PATCH /api/v1/admin/settings":                   {core.PermManageSettings},
		"GET /api/v1/admin/invites":                      {core.PermInviteUsers, core.PermManageInvites},
		"GET /api/v1/admin/invites/:id":                  {core.PermInviteUsers, core.PermManageInvites},
		"POST /api/v1/admin/invites":                     {core.PermInviteUsers},
		"DELETE /api/v1/admin/invites/:id":               {core.PermInviteUsers, core.PermManageInvites},
		"POST /api/v1/admin/canonical_email_blocks/test": {core.PermManageBlocks},
	}
	for _, op := range []string{"approve", "reject", "enable", "unsilence", "unsuspend", "unsensitive"} {
		m["POST /api/v1/admin/accounts/:id/"+op] = []core.Permission{users}
	}
	// Team access (delegations) of an account.
	for _, r := range []string{"GET /api/v1/admin/accounts/:id/delegations", "POST /api/v1/admin/accounts/:id/delegations",
		"DELETE /api/v1/admin/accounts/:id/delegations/:member_id", "GET /api/v1/admin/accounts/:id/delegations/log"} {
		m[r] = []core.Permission{users}
	}
	for _, r := range []string{"GET /api/v1/admin/reports", "GET /api/v1/admin/reports/:id", "PUT /api/v1/admin/reports/:id",
		"POST /api/v1/admin/reports/:id/assign_to_self", "POST /api/v1/admin/reports/:id/unassign", "POST /api/v1/admin/reports/:id/resolve",
		"POST /api/v1/admin/reports/:id/reopen", "GET /api/v1/admin/reports/:id/notes", "POST /api/v1/admin/reports/:id/notes",
		"DELETE /api/v1/admin/reports/:id/notes/:note_id", "POST /api/v1/admin/status_actions"} {
		m[r] = []core.Permission{reports}
	}
	for _, r := range []string{"GET /api/v1/admin/appeals", "GET /api/v1/admin/appeals/:id", "POST /api/v1/admin/appeals/:id/approve",
		"POST /api/v1/admin/appeals/:id/reject"} {
		m[r] = []core.Permission{core.PermManageAppeals}
	}
	crud := func(base string, perm core.Permission, methods ...string) {
		for _, mth := range methods {
			switch mth {
			case "list":
				m["GET "+base] = []core.Permission{perm}
			case "create":
				m["POST "+base] = []core.Permission{perm}
			case "show":
				m["GET "+base+"/:id"] = []core.Permission{perm}
			case "update":
				m["PUT "+base+"/:id"] = []core.Permission{perm}
			case "delete":
				m["DELETE "+base+"/:id"] = []core.Permission{perm}
			}
		}
	}
	crud("/api/v1/admin/domain_blocks", core.PermManageFederation, "list", "create", "show", "update", "delete")
	crud("/api/v1/admin/domain_allows", core.PermManageFederation, "list", "create", "show", "delete")
	crud("/api/v1/admin/ip_blocks", core.PermManageBlocks, "list", "create", "show", "update", "delete")
	crud("/api/v1/admin/email_domain_blocks", core.PermManageBlocks, "list", "create", "show", "delete")
	crud("/api/v1/admin/canonical_email_blocks", core.PermManageBlocks, "list", "create", "show", "delete")
	crud("/api/v1/admin/roles", core.PermManageRoles, "list", "create", "show", "update", "delete")
	crud("/api/v1/admin/rules", core.PermManageRules, "list", "create", "update", "delete")
	crud("/api/v1/admin/announcements", core.PermManageAnnouncements, "list", "create", "update", "delete")
	crud("/api/v1/admin/custom_emojis", core.PermManageCustomEmojis, "list", "create", "show", "update", "delete")
	m["PATCH /api/v1/admin/custom_emojis/:id"] = []core.Permission{core.PermManageCustomEmojis}
	m["POST /api/v1/admin/custom_emojis/:id/copy"] = []core.Permission{core.PermManageCustomEmojis}
	crud("/api/v1/admin/webhooks", core.PermManageWebhooks, "list", "create", "show", "update", "delete")
	for _, op := range []string{"enable", "disable", "rotate_secret"} {
		m["POST /api/v1/admin/webhooks/:id/"+op] = []core.Permission{core.PermManageWebhooks}
	}
	m["GET /api/v1/admin/webhooks/:id/deliveries"] = []core.Permission{core.PermManageWebhooks}
	m["GET /api/v1/admin/sso"] = []core.Permission{users}
	m["GET /api/v1/admin/sso/links"] = []core.Permission{users}
	m["DELETE /api/v1/admin/sso/links/:id"] = []core.Permission{users}
	for _, r := range []string{"measures", "dimensions", "retention"} {
		m["POST /api/v1/admin/"+r] = []core.Permission{core.PermViewDashboard}
	}
	for _, kind := range []string{"tags", "statuses", "links"} {
		m["GET /api/v1/admin/trends/"+kind] = []core.Permission{core.PermManageTaxonomies}
		m["POST /api/v1/admin/trends/"+kind+"/:id/approve"] = []core.Permission{core.PermManageTaxonomies}
		m["POST /api/v1/admin/trends/"+kind+"/:id/reject"] = []core.Permission{core.PermManageTaxonomies}
	}
	return m
}()

// singlePermissions are Mastodon's permission flags by name, but
// Administrator (which grants everything): the matrix gives each to a
// custom role of its own.
var singlePermissions = map[string]core.Permission{
	"view_devops": core.PermDevops, "view_audit_log": core.PermViewAuditLog, "view_dashboard": core.PermViewDashboard,
	"manage_reports": core.PermManageReports, "manage_federation": core.PermManageFederation,
	"manage_settings": core.PermManageSettings, "manage_blocks": core.PermManageBlocks,
	"manage_taxonomies": core.PermManageTaxonomies, "manage_appeals": core.PermManageAppeals,
	"manage_users": core.PermManageUsers, "manage_invites": core.PermManageInvites, "manage_rules": core.PermManageRules,
	"manage_announcements": core.PermManageAnnouncements, "manage_custom_emojis": core.PermManageCustomEmojis,
	"manage_webhooks": core.PermManageWebhooks, "invite_users": core.PermInviteUsers, "manage_roles": core.PermManageRoles,
	"manage_user_access": core.PermManageUserAccess, "delete_user_data": core.PermDeleteUserData,
}

// giveCustomRole makes a custom role with perms through the API (as the
// owner) and gives it to a new user.
func giveCustomRole(t *testing.T, ts *server.TestServer, ownerTok, username, name string, perms core.Permission) {
	t.Helper()
	var role struct {
		ID string `json:"id"`
	}
	ts.JSON(t, "POST", "/api/v1/admin/roles", ownerTok, map[string]any{"name": name, "permissions": fmt.Sprint(uint64(perms)),
		"position": 5}, 200, &role)
	u := ts.CreateUser(t, username, "user")
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/role", u.ID), ownerTok, map[string]any{"role_id": role.ID}, 200, nil)
}

// TestAdminPermissionMatrix calls every admin route as every built-in role,
// a custom role, and a custom role for each single permission, and checks
// each answer: 403 exactly when the role lacks the permission the route
// needs. The single-permission roles prove that each route asks for the
// permission Mastodon names, not a role rank: a role holding exactly that
// permission gets through, a role holding any other single one does not.
func TestAdminPermissionMatrix(t *testing.T) {
	ts := server.StartTest(t)
	roles := map[string]core.Permission{
		"owner":     core.PermAll,
		"admin":     1048572, // everything but Administrator and Devops
		"moderator": 1308,    // audit log, dashboard, reports, taxonomies, users
		"user":      0,
		"helper":    core.PermManageReports,
	}
	scopes := "read write admin:read admin:write"
	for _, r := range []string{"owner", "admin", "moderator", "user"} {
		ts.CreateUser(t, r+"1", r)
	}
	// A custom role made and given through the API.
	ownerTok := ts.Token(t, "owner1", scopes)
	var helperRole struct {
		ID          string `json:"id"`
		Permissions string `json:"permissions"`
	}
	ts.JSON(t, "POST", "/api/v1/admin/roles", ownerTok, map[string]any{"name": "Helper", "permissions": fmt.Sprint(uint64(core.PermManageReports)),
		"position": 5, "color": "#00aa00", "highlighted": true}, 200, &helperRole)
	helper := ts.CreateUser(t, "helper1", "user")
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/role", helper.ID), ownerTok, map[string]any{"role_id": helperRole.ID}, 200, nil)
	var me struct {
		Role struct {
			Name, Permissions string
		} `json:"role"`
		Roles []struct{ Name string } `json:"roles"`
	}
	for name, perm := range singlePermissions {
		role := "only_" + name
		giveCustomRole(t, ts, ownerTok, role+"1", "Only "+name, perm)
		roles[role] = perm
	}
	tokens := map[string]string{}
	for r := range roles {
		tokens[r] = ts.Token(t, r+"1", scopes)
	}
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tokens["helper"], nil, 200, &me)
	if me.Role.Name != "Helper" || me.Role.Permissions != "16" || len(me.Roles) != 1 {
		t.Fatalf("custom role entity: %+v", me)
	}

	seen := 0
	for _, rt := range ts.Srv.API.Routes() {
		if !strings.HasPrefix(rt.Path, "/api/v1/admin/") && !strings.HasPrefix(rt.Path, "/api/v2/admin/") {
			continue
		}
		key := rt.Method + " " + rt.Path
		need, ok := adminRoutePermissions[key]
		if !ok {
			t.Errorf("admin route %s is not in the permission matrix", key)
			continue
		}
		seen++
		path := strings.NewReplacer(":id", "999999999", ":note_id", "999999999").Replace(rt.Path)
		for role, perms := range roles {
			allowed := perms.HasAny(need...)
			status, _, body := ts.Do(t, rt.Method, path, tokens[role], map[string]any{})
			switch {
			case allowed && (status == 403 || status == 401):
				t.Errorf("%s as %s: %d, want allowed; %s", key, role, status, body)
			case !allowed && status != 403:
				t.Errorf("%s as %s: %d, want 403; %s", key, role, status, body)
			case status >= 500:
				t.Errorf("%s as %s: %d %s", key, role, status, body)
			}
		}
		// Without the admin scopes the token is refused whatever the role.
		if status, _, _ := ts.Do(t, rt.Method, path, ts.Token(t, "owner1", "read write"), map[string]any{}); status != 403 {
			t.Errorf("%s with a token without admin scopes: %d", key, status)
		}
	}
	if seen != len(adminRoutePermissions) {
		t.Errorf("%d admin routes registered, %d in the matrix", seen, len(adminRoutePermissions))
	}
}

// TestAdminCustomEmojisNeedManageCustomEmojis: the custom emoji admin
// routes ask for Manage Custom Emojis, as Mastodon's CustomEmojiPolicy,
// not for the admin role: a custom role holding only that permission may
// list and create emojis, a moderator may not.
func TestAdminCustomEmojisNeedManageCustomEmojis(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	ts.CreateUser(t, "mod1", "moderator")
	ownerTok := ts.Token(t, "owner1", "admin:read admin:write")
	giveCustomRole(t, ts, ownerTok, "emojis1", "Emoji keeper", core.PermManageCustomEmojis)
	tok := ts.Token(t, "emojis1", "admin:read admin:write")
	var list []map[string]any
	ts.JSON(t, "GET", "/api/v1/admin/custom_emojis", tok, nil, 200, &list)
	if status, _, body := ts.Do(t, "GET", "/api/v1/admin/custom_emojis", ts.Token(t, "mod1", "admin:read"), nil); status != 403 {
		t.Errorf("a moderator (no Manage Custom Emojis) lists admin emojis: %d %s", status, body)
	}
}

// TestAdminAccountsStaffFilter: the staff filter of the admin account
// list selects the users core calls staff (a role with a moderation or
// administration permission), whatever the role's name: a custom role
// with Manage Custom Emojis is staff, one with Invite Users only is not.
func TestAdminAccountsStaffFilter(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	ts.CreateUser(t, "mod1", "moderator")
	ts.CreateUser(t, "plain1", "user")
	ownerTok := ts.Token(t, "owner1", "admin:read admin:write")
	giveCustomRole(t, ts, ownerTok, "emojis1", "Emoji keeper", core.PermManageCustomEmojis)
	giveCustomRole(t, ts, ownerTok, "inviter1", "Inviter", core.PermInviteUsers)
	want := map[string]bool{"owner1": true, "mod1": true, "emojis1": true}
	for _, path := range []string{"/api/v2/admin/accounts?permissions=staff", "/api/v1/admin/accounts?staff=true"} {
		var list []struct{ Username string }
		ts.JSON(t, "GET", path, ownerTok, nil, 200, &list)
		got := map[string]bool{}
		for _, a := range list {
			got[a.Username] = true
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
	}
}

// TestAdminPushAlertsFollowPermissions: a push subscription keeps an
// admin alert only for a user whose role grants the permission to act
// on it (admin.report: Manage Reports; admin.sign_up: Manage Users),
// whatever the role's name.
func TestAdminPushAlertsFollowPermissions(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	ownerTok := ts.Token(t, "owner1", "admin:read admin:write")
	giveCustomRole(t, ts, ownerTok, "reports1", "Reports", core.PermManageReports)
	ts.CreateUser(t, "plain1", "user")
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	for user, want := range map[string]map[string]bool{
		"owner1":   {"admin.report": true, "admin.sign_up": true},
		"reports1": {"admin.report": true},
		"plain1":   {},
	} {
		var sub struct {
			Alerts map[string]bool `json:"alerts"`
		}
		ts.JSON(t, "POST", "/api/v1/push/subscription", ts.Token(t, user, "push"), map[string]any{
			"subscription": map[string]any{"endpoint": "https://push.example/" + user,
				"keys": map[string]string{"p256dh": b64(key.PublicKey().Bytes()), "auth": b64(make([]byte, 16))}},
			"data": map[string]any{"alerts": map[string]bool{"admin.report": true, "admin.sign_up": true}},
		}, 200, &sub)
		for _, a := range []string{"admin.report", "admin.sign_up"} {
			if sub.Alerts[a] != want[a] {
				t.Errorf("%s: alert %s kept %v, want %v", user, a, sub.Alerts[a], want[a])
			}
		}
	}
}

// TestEveryoneRoleCannotBeStaff: the everyone role may hold Invite Users
// only (Mastodon's validate_dangerous_permissions); a staff permission
// there would make every user staff.
func TestEveryoneRoleCannotBeStaff(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	tok := ts.Token(t, "owner1", "admin:read admin:write")
	ts.JSON(t, "PUT", "/api/v1/admin/roles/-99", tok, map[string]any{"permissions": fmt.Sprint(uint64(core.PermManageReports))}, 422, nil)
	ts.JSON(t, "PUT", "/api/v1/admin/roles/-99", tok, map[string]any{"permissions": fmt.Sprint(uint64(core.PermInviteUsers))}, 200, nil)
}
