package core

import "fmt"

// The administration console's areas and the permissions that open them:
// the same permissions the areas' methods check (Authorize), so that the
// console shows each role the pages, buttons and fields it may use and
// answers a page it may not use with a refusal of its own, before anyone
// fills in a form that would be refused.

// ConsoleAreas maps each console area to the permissions that open it
// (any one of them). The dashboard opens to all staff.
var ConsoleAreas = map[string][]Permission{
	"dashboard":     nil,
	"accounts":      {PermManageUsers, PermManageUserAccess},                    // user access: to find whom to help
	"account":       {PermManageUsers, PermManageReports, PermManageUserAccess}, // user access: the recovery actions only
	"account_admin": {PermManageUsers, PermManageReports, PermManageRoles, PermManageUserAccess},
	"invites":       {PermInviteUsers, PermManageInvites},
	"reports":       {PermManageReports},
	"appeals":       {PermManageAppeals},
	"federation":    {PermManageFederation},
	"blocks":        {PermManageBlocks},
	"settings":      {PermManageSettings},
	"rules":         {PermManageRules},
	"announcements": {PermManageAnnouncements},
	"roles":         {PermManageRoles},
	"webhooks":      {PermManageWebhooks},
	"sso":           {PermManageUsers},
	"audit":         {PermViewAuditLog},
	"trends":        {PermManageTaxonomies},
	"emoji":         {PermManageCustomEmojis},
}

// MayOpen reports whether p opens a console area: staff for the
// dashboard, one of the area's permissions for the others (the invites
// page also opens to users who may only invite, as Mastodon's). An
// unknown area is a programming error.
func (p Permission) MayOpen(area string) (bool, error) {
	perms, ok := ConsoleAreas[area]
	if !ok {
		return false, fmt.Errorf("unknown console area %q", area)
	}
	if len(perms) == 0 {
		return p.IsStaff(), nil
	}
	return p.HasAny(perms...), nil
}

// PermissionLabel is a permission's name as Mastodon's role editor shows it.
type PermissionLabel struct {
	Flag  Permission
	Name  string // Mastodon's key (manage_reports)
	Label string
	Hint  string
}

// PermissionLabels lists the permissions a role can be given, in
// Mastodon's order and categories' sense.
var PermissionLabels = []PermissionLabel{
	{PermAdministrator, "administrator", "Administrator", "Every permission, whatever else is ticked"},
	{PermViewDashboard, "view_dashboard", "View dashboard", "The dashboard and its figures"},
	{PermViewAuditLog, "view_audit_log", "View audit log", "The history of staff actions"},
	{PermManageUsers, "manage_users", "Manage users", "See users' details and take moderation actions on them"},
	{PermManageUserAccess, "manage_user_access", "Manage user access", "Reset passwords, turn off two-factor authentication"},
	{PermDeleteUserData, "delete_user_data", "Delete user data", "Delete an account's data at once"},
	{PermManageReports, "manage_reports", "Manage reports", "Review reports and take action on them"},
	{PermManageAppeals, "manage_appeals", "Manage appeals", "Decide appeals of moderation decisions"},
	{PermManageFederation, "manage_federation", "Manage federation", "Block or allow other servers"},
	{PermManageBlocks, "manage_blocks", "Manage blocks", "Block e-mail providers and IP addresses"},
	{PermManageTaxonomies, "manage_taxonomies", "Manage hashtags", "Review trending hashtags and their settings"},
	{PermManageInvites, "manage_invites", "Manage invites", "See and revoke everyone's invites"},
	{PermInviteUsers, "invite_users", "Invite users", "Invite people to the server"},
	{PermManageSettings, "manage_settings", "Manage settings", "Change the server's settings"},
	{PermManageRules, "manage_rules", "Manage rules", "Change the server's rules"},
	{PermManageAnnouncements, "manage_announcements", "Manage announcements", "Publish announcements"},
	{PermManageCustomEmojis, "manage_custom_emojis", "Manage custom emoji", "Add and change custom emoji"},
	{PermManageWebhooks, "manage_webhooks", "Manage webhooks", "Set up webhooks for administrative events"},
	{PermManageRoles, "manage_roles", "Manage roles", "Edit roles below one's own and give them to users"},
	{PermDevops, "view_devops", "Devops", "Operator tools"},
}
