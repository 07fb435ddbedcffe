package api_test

import (
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
		"GET /api/v1/admin/accounts":                     {users},
		"GET /api/v2/admin/accounts":                     {users},
		"GET /api/v1/admin/accounts/:id":                 {users, reports},
		"DELETE /api/v1/admin/accounts/:id":              {core.PermDeleteUserData},
		"POST /api/v1/admin/accounts/:id/action":         {users, reports},
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
	for _, r := range []string{"GET /api/v1/admin/reports", "GET /api/v1/admin/reports/:id", "PUT /api/v1/admin/reports/:id",
		"POST /api/v1/admin/reports/:id/assign_to_self", "POST /api/v1/admin/reports/:id/unassign", "POST /api/v1/admin/reports/:id/resolve",
		"POST /api/v1/admin/reports/:id/reopen", "GET /api/v1/admin/reports/:id/notes", "POST /api/v1/admin/reports/:id/notes",
		"DELETE /api/v1/admin/reports/:id/notes/:note_id"} {
		m[r] = []core.Permission{reports}
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
	// Custom emojis (media code) check the admin role; Mastodon's permission
	// is Manage Custom Emojis.
	crud("/api/v1/admin/custom_emojis", core.PermManageCustomEmojis, "list", "create", "show", "update", "delete")
	m["PATCH /api/v1/admin/custom_emojis/:id"] = []core.Permission{core.PermManageCustomEmojis}
	return m
}()

// TestAdminPermissionMatrix calls every admin route as every built-in role
// and a custom role, and checks each answer: 403 exactly when the role
// lacks the permission the route needs.
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
