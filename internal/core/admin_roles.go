package core

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Permission is Mastodon's role permission bitmask.
type Permission uint64

// Mastodon's permission flags (UserRole::FLAGS).
const (
	PermAdministrator       Permission = 1 << 0
	PermDevops              Permission = 1 << 1
	PermViewAuditLog        Permission = 1 << 2
	PermViewDashboard       Permission = 1 << 3
	PermManageReports       Permission = 1 << 4
	PermManageFederation    Permission = 1 << 5
	PermManageSettings      Permission = 1 << 6
	PermManageBlocks        Permission = 1 << 7
	PermManageTaxonomies    Permission = 1 << 8
	PermManageAppeals       Permission = 1 << 9
	PermManageUsers         Permission = 1 << 10
	PermManageInvites       Permission = 1 << 11
	PermManageRules         Permission = 1 << 12
	PermManageAnnouncements Permission = 1 << 13
	PermManageCustomEmojis  Permission = 1 << 14
	PermManageWebhooks      Permission = 1 << 15
	PermInviteUsers         Permission = 1 << 16
	PermManageRoles         Permission = 1 << 17
	PermManageUserAccess    Permission = 1 << 18
	PermDeleteUserData      Permission = 1 << 19

	// PermAll is every flag.
	PermAll Permission = 1<<20 - 1
)

// permissionNames are Mastodon's names of the flags (UserRole::FLAGS keys).
var permissionNames = map[string]Permission{
	"administrator": PermAdministrator, "view_devops": PermDevops, "view_audit_log": PermViewAuditLog,
	"view_dashboard": PermViewDashboard, "manage_reports": PermManageReports, "manage_federation": PermManageFederation,
	"manage_settings": PermManageSettings, "manage_blocks": PermManageBlocks, "manage_taxonomies": PermManageTaxonomies,
	"manage_appeals": PermManageAppeals, "manage_users": PermManageUsers, "manage_invites": PermManageInvites,
	"manage_rules": PermManageRules, "manage_announcements": PermManageAnnouncements,
	"manage_custom_emojis": PermManageCustomEmojis, "manage_webhooks": PermManageWebhooks,
	"invite_users": PermInviteUsers, "manage_roles": PermManageRoles, "manage_user_access": PermManageUserAccess,
	"delete_user_data": PermDeleteUserData,
}

// PermissionNamed returns the flag of Mastodon's name for it
// ("manage_reports").
func PermissionNamed(name string) (Permission, bool) {
	p, ok := permissionNames[name]
	return p, ok
}

// StaffPermissions are the permissions that make a role staff: Mastodon's
// "moderation" and "administration" permission categories
// (UserRole::Flags::CATEGORIES), that is every permission but Invite
// Users (which everyone may hold) and Devops. Administrator grants them
// all.
const StaffPermissions = PermViewDashboard | PermViewAuditLog | PermManageUsers | PermManageUserAccess |
	PermDeleteUserData | PermManageReports | PermManageAppeals | PermManageFederation | PermManageBlocks |
	PermManageTaxonomies | PermManageInvites |
	PermManageSettings | PermManageRules | PermManageRoles | PermManageWebhooks | PermManageCustomEmojis |
	PermManageAnnouncements

// IsStaff reports whether p makes its holder staff: the one definition
// of staff, used for the administration console, the staff filter of the
// admin account list and the staff shown on the about page.
func (p Permission) IsStaff() bool {
	return p&PermAdministrator != 0 || p&StaffPermissions != 0
}

// Has reports whether p grants q (every bit of q, or Administrator).
func (p Permission) Has(q Permission) bool { return p&PermAdministrator != 0 || p&q == q }

// HasAny reports whether p grants at least one of qs.
func (p Permission) HasAny(qs ...Permission) bool {
	for _, q := range qs {
		if p.Has(q) {
			return true
		}
	}
	return false
}

// RoleOf returns a user's role; an unknown key is the "user" role.
func (s *AdminService) RoleOf(ctx context.Context, u *model.User) (*model.Role, error) {
	key := ""
	if u != nil {
		key = u.Role
	}
	return s.roleOrEveryone(ctx, key)
}

// roleOrEveryone returns the role of a key; an empty key, or a role deleted
// since it was given, is the "user" (everyone) role.
func (s *AdminService) roleOrEveryone(ctx context.Context, key string) (*model.Role, error) {
	if key == "" {
		key = model.RoleUser
	}
	v, cached := authVersion(ctx, s.store.AuthVersion)
	if cached {
		if r := s.authCache.role(v, key); r != nil {
			return r, nil
		}
	}
	r, err := s.store.RoleByKey(ctx, key)
	if errors.Is(err, storage.ErrNotFound) && key != model.RoleUser {
		r, err = s.store.RoleByKey(ctx, model.RoleUser)
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	if cached {
		s.authCache.putRole(v, key, r)
	}
	return r, nil
}

// PermissionsOf returns what a user may do: their role's permissions plus
// those of the "user" (everyone) role.
func (s *AdminService) PermissionsOf(ctx context.Context, u *model.User) (Permission, *model.Role, error) {
	r, err := s.RoleOf(ctx, u)
	if err != nil {
		return 0, nil, err
	}
	perms := Permission(r.Permissions)
	if r.Key != model.RoleUser {
		every, err := s.roleOrEveryone(ctx, model.RoleUser)
		if err != nil {
			return 0, nil, herr.Internal(err)
		}
		perms |= Permission(every.Permissions)
	}
	return perms, r, nil
}

// Authorize checks that the caller is a user whose role grants one of
// perms. It is the one authorisation check for staff actions: each core
// method that needs a permission calls it first, so the admin API and the
// web console ask for the same permission, once per call.
func (s *AdminService) Authorize(ctx context.Context, c *Caller, perms ...Permission) error {
	// A member acting for an account does not hold its staff role.
	if c == nil || c.User == nil || c.Delegated() {
		return herr.Forbidden("This action is not allowed")
	}
	have, _, err := s.PermissionsOf(ctx, c.User)
	if err != nil {
		return err
	}
	if !have.HasAny(perms...) {
		return herr.Forbidden("This action is not allowed")
	}
	return nil
}

// callerRank is the position of the caller's role (the command line, nil,
// outranks everyone).
func (s *AdminService) callerRank(ctx context.Context, c *Caller) (int, Permission, error) {
	if c == nil {
		return 1 << 30, PermAll, nil
	}
	perms, r, err := s.PermissionsOf(ctx, c.User)
	if err != nil {
		return 0, 0, err
	}
	return r.Position, perms, nil
}

// outranks checks that the caller may act on target (a user of a lower
// role; remote accounts and users of the "user" role are always below).
// Role positions are the one hierarchy between staff, as Mastodon's
// UserRole#overrides?: what someone may do at all is their permission
// bits (Authorize); whom they may do it to, and which roles they may
// give, change or delete, is the position of their role.
func (s *AdminService) outranks(ctx context.Context, c *Caller, target *model.User) error {
	if target == nil {
		return nil
	}
	if c != nil && c.User != nil && c.User.ID == target.ID {
		return herr.Forbidden("This action is not allowed")
	}
	rank, _, err := s.callerRank(ctx, c)
	if err != nil {
		return err
	}
	tr, err := s.RoleOf(ctx, target)
	if err != nil {
		return err
	}
	if tr.Key != model.RoleUser && tr.Position >= rank {
		return herr.Forbidden("This action is not allowed")
	}
	return nil
}

// Roles lists every role, least powerful first.
func (s *AdminService) Roles(ctx context.Context, c *Caller) ([]*model.Role, error) {
	return adminRead(ctx, s, c, PermManageRoles, "roles", func() ([]*model.Role, error) { return s.store.Roles(ctx) })
}

// Role returns one role.
func (s *AdminService) Role(ctx context.Context, c *Caller, roleID int64) (*model.Role, error) {
	if err := s.Authorize(ctx, c, PermManageRoles); err != nil {
		return nil, err
	}
	return s.roleByID(ctx, roleID)
}

func (s *AdminService) roleByID(ctx context.Context, roleID int64) (*model.Role, error) {
	r, err := s.store.RoleByID(ctx, roleID)
	if err != nil {
		return nil, readErr(err, "role")
	}
	return r, nil
}

// RoleParams creates or changes a role; nil fields stay as they are.
type RoleParams struct {
	Name        *string
	Color       *string
	Permissions *uint64
	Position    *int
	Highlighted *bool
}

var colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// applyRole validates p onto r for a caller of rank and permissions.
func applyRole(r *model.Role, p RoleParams, rank int, perms Permission) error {
	if p.Name != nil {
		r.Name = strings.TrimSpace(*p.Name)
	}
	if p.Color != nil {
		r.Color = strings.TrimSpace(*p.Color)
	}
	if p.Permissions != nil {
		r.Permissions = *p.Permissions & uint64(PermAll)
	}
	if p.Position != nil {
		r.Position = *p.Position
	}
	if p.Highlighted != nil {
		r.Highlighted = *p.Highlighted
	}
	if r.Key != model.RoleUser && r.Name == "" {
		return herr.Unprocessable("Validation failed: Name can't be blank")
	}
	if len([]rune(r.Name)) > 100 {
		return herr.Unprocessable("Validation failed: Name is too long (maximum is 100 characters)")
	}
	if r.Color != "" && !colorRe.MatchString(r.Color) {
		return herr.Unprocessable("Validation failed: Color must be in hex format (#rrggbb)")
	}
	// The everyone role may hold only Invite Users (Mastodon's
	// validate_dangerous_permissions): anything more would make every
	// user staff.
	if r.Key == model.RoleUser && !EveryoneMayHold(Permission(r.Permissions)) {
		return herr.Unprocessable("Validation failed: Permissions include permissions that are not safe for the everyone role")
	}
	if r.Key != model.RoleUser && r.Position >= rank {
		return herr.Forbidden("This action is not allowed: the role must rank below yours")
	}
	// Nobody grants permissions they do not have.
	if perms&PermAdministrator == 0 && Permission(r.Permissions)&^perms != 0 {
		return herr.Forbidden("This action is not allowed: you cannot grant permissions you do not have")
	}
	return nil
}

// CreateRole creates a custom role.
func (s *AdminService) CreateRole(ctx context.Context, c *Caller, p RoleParams) (*model.Role, error) {
	if err := s.Authorize(ctx, c, PermManageRoles); err != nil {
		return nil, err
	}
	rank, perms, err := s.callerRank(ctx, c)
	if err != nil {
		return nil, err
	}
	r := &model.Role{}
	if p.Position == nil {
		pos := 0
		p.Position = &pos
	}
	if err := applyRole(r, p, rank, perms); err != nil {
		return nil, err
	}
	if err := s.store.CreateRole(ctx, r); err != nil {
		return nil, herr.Internal(err)
	}
	s.audit(ctx, c, "create_user_role", "UserRole", strconv.FormatInt(r.ID, 10), "created role "+r.Name)
	return r, nil
}

// UpdateRole changes a role. The owner role cannot be changed; the "user"
// (everyone) role only in its permissions.
func (s *AdminService) UpdateRole(ctx context.Context, c *Caller, roleID int64, p RoleParams) (*model.Role, error) {
	if err := s.Authorize(ctx, c, PermManageRoles); err != nil {
		return nil, err
	}
	r, err := s.roleByID(ctx, roleID)
	if err != nil {
		return nil, err
	}
	rank, perms, err := s.callerRank(ctx, c)
	if err != nil {
		return nil, err
	}
	if r.Key == model.RoleOwner || (r.Key != model.RoleUser && r.Position >= rank) {
		return nil, herr.Forbidden("This action is not allowed")
	}
	if r.Key == model.RoleUser {
		p = RoleParams{Permissions: p.Permissions}
	}
	if err := applyRole(r, p, rank, perms); err != nil {
		return nil, err
	}
	if err := s.store.UpdateRole(ctx, r); err != nil {
		return nil, herr.Internal(err)
	}
	s.audit(ctx, c, "update_user_role", "UserRole", strconv.FormatInt(r.ID, 10), "changed role "+r.Key)
	return r, nil
}

// DeleteRole deletes a custom role; its users become "user".
func (s *AdminService) DeleteRole(ctx context.Context, c *Caller, roleID int64) error {
	if err := s.Authorize(ctx, c, PermManageRoles); err != nil {
		return err
	}
	r, err := s.roleByID(ctx, roleID)
	if err != nil {
		return err
	}
	rank, _, err := s.callerRank(ctx, c)
	if err != nil {
		return err
	}
	if model.ValidRole(r.Key) {
		return herr.Forbidden("Built-in roles cannot be deleted")
	}
	if r.Position >= rank {
		return herr.Forbidden("This action is not allowed")
	}
	if err := s.store.DeleteRole(ctx, roleID); err != nil {
		return herr.Internal(err)
	}
	s.audit(ctx, c, "destroy_user_role", "UserRole", strconv.FormatInt(r.ID, 10), "deleted role "+r.Name)
	return nil
}

// AssignRole gives a local user a role (by id, or by key) below the
// caller's own (Manage Roles, as Mastodon's UserPolicy#change_role?), and
// returns the account as it now is.
func (s *AdminService) AssignRole(ctx context.Context, c *Caller, accountID int64, role string) (*storage.AdminAccount, error) {
	if err := s.Authorize(ctx, c, PermManageRoles); err != nil {
		return nil, err
	}
	if strings.TrimSpace(role) == "" {
		return nil, herr.Unprocessable("Validation failed: role_id must name a role")
	}
	r, err := s.resolveRole(ctx, role)
	if err != nil {
		return nil, err
	}
	u, err := s.store.UserByAccountID(ctx, accountID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("account")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	if err := s.outranks(ctx, c, u); err != nil {
		return nil, err
	}
	rank, _, err := s.callerRank(ctx, c)
	if err != nil {
		return nil, err
	}
	if r.Key != model.RoleUser && r.Position >= rank {
		return nil, herr.Forbidden("This action is not allowed")
	}
	if err := s.store.SetRole(ctx, u.ID, r.Key); err != nil {
		return nil, herr.Internal(err)
	}
	s.audit(ctx, c, "change_role_user", "User", strconv.FormatInt(accountID, 10), "gave role "+roleLabel(r))
	return s.adminAccount(ctx, accountID)
}

func roleLabel(r *model.Role) string {
	if r.Name == "" {
		return r.Key
	}
	return r.Name
}

// roleKeysWith lists the keys of roles whose permissions (with the
// everyone role's) grant perm.
func (s *AdminService) roleKeysWith(ctx context.Context, perm Permission) ([]string, error) {
	return s.roleKeysWhere(ctx, func(p Permission) bool { return p.Has(perm) })
}

// StaffRoleKeys lists the keys of the staff roles (Permission.IsStaff),
// for the queries that select staff.
func (s *AdminService) StaffRoleKeys(ctx context.Context) ([]string, error) {
	keys, err := s.roleKeysWhere(ctx, Permission.IsStaff)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return keys, nil
}

// roleKeysWhere lists the keys of roles whose permissions (with the
// everyone role's) satisfy keep.
func (s *AdminService) roleKeysWhere(ctx context.Context, keep func(Permission) bool) ([]string, error) {
	rs, err := s.store.Roles(ctx)
	if err != nil {
		return nil, err
	}
	var every Permission
	for _, r := range rs {
		if r.Key == model.RoleUser {
			every = Permission(r.Permissions)
		}
	}
	out := []string{}
	for _, r := range rs {
		if keep(Permission(r.Permissions) | every) {
			out = append(out, r.Key)
		}
	}
	return out, nil
}

// audit records an admin action; a failure is logged, not returned, as the
// action is done.
func (s *AdminService) audit(ctx context.Context, c *Caller, action, targetType, targetID, summary string) {
	e := &model.AuditEntry{AccountID: c.AccountID(), Action: action, TargetType: targetType, TargetID: targetID, Summary: summary}
	if err := s.store.AddAudit(ctx, e); err != nil && s.Log != nil {
		s.Log.Error("audit log", "action", action, "err", err)
	}
}

// AuditLog pages through the audit log.
func (s *AdminService) AuditLog(ctx context.Context, c *Caller, f storage.AuditFilter, p model.Page) ([]*model.AuditEntry, error) {
	if err := s.Authorize(ctx, c, PermViewAuditLog); err != nil {
		return nil, err
	}
	out, err := s.store.AuditLog(ctx, f, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return out, nil
}

// RoleLimits is what a member of staff may do with roles: roles ranked
// below their own, and only permissions they hold (Mastodon's position
// and permission elevation rules, which CreateRole, UpdateRole and
// DeleteRole enforce); the role editor shows only what they allow.
type RoleLimits struct {
	Rank  int
	Perms Permission
}

// RoleLimits returns the caller's limits (Manage Roles).
func (s *AdminService) RoleLimits(ctx context.Context, c *Caller) (RoleLimits, error) {
	if err := s.Authorize(ctx, c, PermManageRoles); err != nil {
		return RoleLimits{}, err
	}
	rank, perms, err := s.callerRank(ctx, c)
	return RoleLimits{Rank: rank, Perms: perms}, err
}

// MayEdit reports whether the role can be changed within the limits: the
// owner role never; the everyone role always (its permissions only);
// others below the caller's rank.
func (l RoleLimits) MayEdit(r *model.Role) bool {
	return r.Key != model.RoleOwner && (r.Key == model.RoleUser || r.Position < l.Rank)
}

// MayDelete reports whether the role can be deleted: custom roles below
// the caller's rank.
func (l RoleLimits) MayDelete(r *model.Role) bool {
	return !model.ValidRole(r.Key) && r.Position < l.Rank
}

// MayGrant reports whether the caller may give a permission to a role.
func (l RoleLimits) MayGrant(p Permission) bool { return l.Perms.Has(p) }

// EveryoneMayHold reports whether the everyone role may hold p (only
// Invite Users: more would make every user staff).
func EveryoneMayHold(p Permission) bool { return p&^PermInviteUsers == 0 }

// BadgeOf returns the role a local account shows as a badge on its
// profile: its role when highlighted (Mastodon's Account#roles), else nil.
func (s *AdminService) BadgeOf(ctx context.Context, accountID int64) (*model.Role, error) {
	u, err := s.store.UserByAccountID(ctx, accountID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	if u.Role == "" || u.Role == model.RoleUser {
		return nil, nil
	}
	r, err := s.RoleOf(ctx, u)
	if err != nil || !r.Highlighted || r.Key == model.RoleUser {
		return nil, err
	}
	return r, nil
}
