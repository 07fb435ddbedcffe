package storage

import (
	"context"
	"errors"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// ErrInviteUnusable: the invite was revoked, expired or used up (checked
// in the transaction that creates the account).
var ErrInviteUnusable = errors.New("invite not usable")

// AdminAccount is an account with what moderators see of it.
type AdminAccount struct {
	Account      *model.Account
	User         *model.User // nil for remote accounts
	Registration *model.Registration
	SensitizedAt *time.Time
	IPs          []model.UserIP // newest first
}

// AdminAccountFilter selects accounts for moderators (Mastodon's
// /api/v1/admin/accounts and /api/v2/admin/accounts filters).
type AdminAccountFilter struct {
	Origin      string   // "local", "remote" or "" (both)
	Status      string   // active, pending, disabled, silenced, suspended, sensitized; "" any
	Staff       bool     // only staff: users with one of StaffRoleKeys
	RoleKeys    []string // only users with one of these roles
	RoleIDs     []int64  // only users with one of these roles, by id: core turns them into RoleKeys
	InvitedBy   int64
	Username    string // prefix, case-insensitive
	DisplayName string // substring
	ByDomain    string // exact remote domain
	Email       string // substring
	IP          string // an address or CIDR range the user was seen at

	// StaffRoleKeys are the staff roles, for Staff: core decides them
	// (Service.StaffRoleKeys) and fills them in.
	StaffRoleKeys []string
}

// AccountModeration is a change of an account's moderation state; nil
// fields are left as they are.
type AccountModeration struct {
	Suspended *bool
	Silenced  *bool
	Sensitive *bool
	Disabled  *bool // users only
	Approved  *bool // users only
}

// ReportFilter selects reports.
type ReportFilter struct {
	Resolved        *bool
	AccountID       int64
	TargetAccountID int64
	TargetDomain    string // reports about accounts of this remote domain
}

// AuditFilter selects audit log entries.
type AuditFilter struct {
	AccountID  int64
	Action     string
	TargetType string
	TargetID   string
}

// Admin stores what registration, moderation and instance administration
// need: roles, invites, reports, warnings, domain and address policies,
// the audit log, rules and announcements.
type Admin interface {
	// AccountSensitized reports whether moderators forced the account's
	// media sensitive (the "sensitive" action, until "unsensitive").
	AccountSensitized(ctx context.Context, accountID int64) (bool, error)
	// Roles: the four built-in ones and the custom ones.
	Roles(ctx context.Context) ([]*model.Role, error)
	RoleByID(ctx context.Context, id int64) (*model.Role, error)
	RoleByKey(ctx context.Context, key string) (*model.Role, error)
	// CreateRole sets r.ID and, for custom roles, r.Key (its id).
	CreateRole(ctx context.Context, r *model.Role) error
	UpdateRole(ctx context.Context, r *model.Role) error
	// DeleteRole deletes a custom role; its users become "user".
	DeleteRole(ctx context.Context, id int64) error

	// Invites.
	CreateInvite(ctx context.Context, inv *model.Invite) error
	InviteByCode(ctx context.Context, code string) (*model.Invite, error)
	InviteByID(ctx context.Context, id int64) (*model.Invite, error)
	// Invites lists invites, newest first; createdBy 0: everyone's.
	Invites(ctx context.Context, createdBy int64, activeAt *time.Time, p model.Page) ([]*model.Invite, error)
	RevokeInvite(ctx context.Context, id int64, at time.Time) error

	// RegisterLocalAccount creates a local account and its user as
	// CreateLocalAccount does, records reg and, with inviteID != 0, uses
	// one use of the invite, all in one transaction: ErrInviteUnusable
	// when the invite cannot be used any more, ErrConflict when the
	// username or e-mail address is taken.
	RegisterLocalAccount(ctx context.Context, a *model.Account, u *model.User, reg *model.Registration, inviteID int64, now time.Time) error
	Registration(ctx context.Context, userID int64) (*model.Registration, error)
	RecordUserIP(ctx context.Context, userID int64, ip string, at time.Time) error
	ConfirmUser(ctx context.Context, userID int64, at time.Time) error
	// CreateUserToken stores a mailed one-time token by its hash.
	CreateUserToken(ctx context.Context, hash []byte, t model.UserToken) error
	// ConsumeUserToken returns and deletes a token of a kind (ErrNotFound
	// when unknown); expired tokens are returned too, for the caller to refuse.
	ConsumeUserToken(ctx context.Context, hash []byte, kind string) (*model.UserToken, error)
	// StaffEmails lists the e-mail addresses of enabled users with one of
	// roleKeys who want mail of kind (report, sign_up; "" for any).
	StaffEmails(ctx context.Context, roleKeys []string, kind string) ([]string, error)
	// AccountIDsByRoles lists the accounts of users with one of roleKeys.
	AccountIDsByRoles(ctx context.Context, roleKeys []string) ([]int64, error)
	// CreateStaffNotifications notifies the enabled users with one of
	// roleKeys (admin.report, admin.sign_up) from fromID.
	CreateStaffNotifications(ctx context.Context, roleKeys []string, typ string, fromID, reportID int64) error
	StaffEmailPrefs(ctx context.Context, accountID int64) (StaffEmailPrefs, error)
	SetStaffEmailPrefs(ctx context.Context, accountID int64, p StaffEmailPrefs) error

	// Appeals of warnings.
	CreateAppeal(ctx context.Context, a *model.Appeal) error
	AppealByID(ctx context.Context, id int64) (*model.Appeal, error)
	AppealsByWarnings(ctx context.Context, warningIDs []int64) (map[int64]*model.Appeal, error)
	Appeals(ctx context.Context, pending bool, accountID int64, p model.Page) ([]*model.Appeal, error)
	DecideAppeal(ctx context.Context, appealID, by int64, approve bool) error
	ReportsByIDs(ctx context.Context, ids []int64) (map[int64]*model.Report, error)
	AccountWarningsByIDs(ctx context.Context, ids []int64) (map[int64]*model.AccountWarning, error)

	// Moderation of accounts.
	AdminAccounts(ctx context.Context, f AdminAccountFilter, p model.Page) ([]*AdminAccount, error)
	AdminAccount(ctx context.Context, accountID int64) (*AdminAccount, error)
	// ModerateAccount applies m, records the warning (when not nil), marks
	// resolveReports resolved by w.AccountID and queues events, in one
	// transaction.
	ModerateAccount(ctx context.Context, accountID int64, m AccountModeration, w *model.AccountWarning, resolveReports []int64, events []model.OutboxEvent) error
	AccountWarnings(ctx context.Context, targetAccountID int64, p model.Page) ([]*model.AccountWarning, error)
	AccountWarning(ctx context.Context, id int64) (*model.AccountWarning, error)

	// Reports.
	CreateReport(ctx context.Context, r *model.Report, events []model.OutboxEvent) error
	ReportByID(ctx context.Context, id int64) (*model.Report, error)
	ReportByURI(ctx context.Context, uri string) (*model.Report, error)
	Reports(ctx context.Context, f ReportFilter, p model.Page) ([]*model.Report, error)
	// UpdateReport stores the mutable fields of r (category, rules,
	// assignee, resolution) and its updated_at.
	UpdateReport(ctx context.Context, r *model.Report) error
	CreateReportNote(ctx context.Context, n *model.ReportNote) error
	ReportNotes(ctx context.Context, reportID int64) ([]*model.ReportNote, error)
	DeleteReportNote(ctx context.Context, reportID, noteID int64) error

	// Domain blocks and allows.
	DomainBlocks(ctx context.Context, p model.Page) ([]*model.DomainBlock, error)
	AllDomainBlocks(ctx context.Context) ([]*model.DomainBlock, error)
	DomainBlockByID(ctx context.Context, id int64) (*model.DomainBlock, error)
	DomainBlockByDomain(ctx context.Context, domain string) (*model.DomainBlock, error)
	CreateDomainBlock(ctx context.Context, b *model.DomainBlock) error
	UpdateDomainBlock(ctx context.Context, b *model.DomainBlock) error
	DeleteDomainBlock(ctx context.Context, id int64) error
	DomainAllows(ctx context.Context, p model.Page) ([]*model.DomainAllow, error)
	AllDomainAllows(ctx context.Context) ([]*model.DomainAllow, error)
	DomainAllowByID(ctx context.Context, id int64) (*model.DomainAllow, error)
	CreateDomainAllow(ctx context.Context, d *model.DomainAllow) error
	DeleteDomainAllow(ctx context.Context, id int64) error

	// Address and e-mail blocks.
	IPBlocks(ctx context.Context, p model.Page) ([]*model.IPBlock, error)
	IPBlockByID(ctx context.Context, id int64) (*model.IPBlock, error)
	CreateIPBlock(ctx context.Context, b *model.IPBlock) error
	UpdateIPBlock(ctx context.Context, b *model.IPBlock) error
	DeleteIPBlock(ctx context.Context, id int64) error
	EmailDomainBlocks(ctx context.Context, p model.Page) ([]*model.EmailDomainBlock, error)
	EmailDomainBlockByID(ctx context.Context, id int64) (*model.EmailDomainBlock, error)
	// EmailDomainBlockFor returns the block of domain or of a parent domain.
	EmailDomainBlockFor(ctx context.Context, domain string) (*model.EmailDomainBlock, error)
	CreateEmailDomainBlock(ctx context.Context, b *model.EmailDomainBlock) error
	DeleteEmailDomainBlock(ctx context.Context, id int64) error
	CanonicalEmailBlocks(ctx context.Context, p model.Page) ([]*model.CanonicalEmailBlock, error)
	CanonicalEmailBlockByID(ctx context.Context, id int64) (*model.CanonicalEmailBlock, error)
	CanonicalEmailBlocksByHash(ctx context.Context, hash string) ([]*model.CanonicalEmailBlock, error)
	CreateCanonicalEmailBlock(ctx context.Context, b *model.CanonicalEmailBlock) error
	DeleteCanonicalEmailBlock(ctx context.Context, id int64) error

	// Audit log.
	AddAudit(ctx context.Context, e *model.AuditEntry) error
	AuditLog(ctx context.Context, f AuditFilter, p model.Page) ([]*model.AuditEntry, error)

	// Rules, in position order.
	Rules(ctx context.Context) ([]*model.Rule, error)
	RuleByID(ctx context.Context, id int64) (*model.Rule, error)
	// RulesByIDs reads rules by id, deleted ones included (cited by
	// reports and warnings).
	RulesByIDs(ctx context.Context, ids []int64) (map[int64]*model.Rule, error)
	CreateRule(ctx context.Context, r *model.Rule) error
	UpdateRule(ctx context.Context, r *model.Rule) error
	DeleteRule(ctx context.Context, id int64) error

	// Announcements.
	Announcements(ctx context.Context, withDrafts bool) ([]*model.Announcement, error)
	AnnouncementByID(ctx context.Context, id int64) (*model.Announcement, error)
	CreateAnnouncement(ctx context.Context, an *model.Announcement) error
	UpdateAnnouncement(ctx context.Context, an *model.Announcement) error
	DeleteAnnouncement(ctx context.Context, id int64) error
	// AnnouncementReactions returns the reactions of each announcement, as
	// viewerID sees them (Me).
	AnnouncementReactions(ctx context.Context, viewerID int64, ids []int64) (map[int64][]model.AnnouncementReaction, error)
	AddAnnouncementReaction(ctx context.Context, announcementID, accountID int64, name string) error
	RemoveAnnouncementReaction(ctx context.Context, announcementID, accountID int64, name string) error
	DismissAnnouncement(ctx context.Context, announcementID, accountID int64) error
	DismissedAnnouncements(ctx context.Context, accountID int64) (map[int64]bool, error)
}

// StaffEmailPrefs are a staff user's e-mail toggles (Mastodon's
// notification_emails.report, .pending_account and .trends).
type StaffEmailPrefs struct {
	Report bool
	SignUp bool
	Trends bool
}
