package model

import "time"

// Records of registration, moderation and instance administration.

// Role is a role users can hold: one of the four built-in ones (Key owner,
// admin, moderator, user) or a custom one (Key is its id in decimal).
// Permissions is Mastodon's bitmask; the "user" role is Mastodon's
// "everyone" role, whose permissions every user has.
type Role struct {
	ID          int64
	Key         string
	Name        string
	Color       string
	Permissions uint64
	Position    int
	Highlighted bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Invite lets people sign up while registrations are not open.
type Invite struct {
	ID        int64
	Code      string
	CreatedBy int64  // account id; 0 when made from the command line
	Role      string // role key given to who signs up with it
	Comment   string
	MaxUses   int // 0: unlimited
	Uses      int
	ExpiresAt *time.Time
	RevokedAt *time.Time
	CreatedAt time.Time
}

// Usable reports whether the invite may still be used at now.
func (i *Invite) Usable(now time.Time) bool {
	if i.RevokedAt != nil {
		return false
	}
	if i.ExpiresAt != nil && !now.Before(*i.ExpiresAt) {
		return false
	}
	return i.MaxUses == 0 || i.Uses < i.MaxUses
}

// Registration is how a local user came to be: the invite, the reason
// given, the address and the app of the sign-up.
type Registration struct {
	UserID    int64
	InviteID  int64
	InvitedBy int64 // account id
	Reason    string
	IP        string
	AppID     int64
	CreatedAt time.Time
}

// UserIP is an address a user was seen at.
type UserIP struct {
	IP     string
	UsedAt time.Time
}

// Report is a complaint about an account (and some of its statuses).
type Report struct {
	ID              int64
	AccountID       int64 // the reporter (a remote actor for federated reports)
	TargetAccountID int64
	StatusIDs       []int64
	RuleIDs         []int64
	Comment         string
	Category        string // spam, legal, violation, other
	Forwarded       bool
	URI             string // ActivityPub id of an incoming Flag
	AssignedID      int64
	ActionTakenAt   *time.Time
	ActionTakenByID int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// ReportNote is a moderator's note on a report.
type ReportNote struct {
	ID        int64
	ReportID  int64
	AccountID int64
	Content   string
	CreatedAt time.Time
}

// AccountWarning records a moderation action taken against an account,
// with the text the account's owner is shown.
type AccountWarning struct {
	ID              int64
	AccountID       int64 // the moderator
	TargetAccountID int64
	// Action: none, disable, sensitive, silence, suspend (on the account),
	// delete_statuses, mark_statuses_as_sensitive (on some of its posts).
	Action    string
	Text      string
	ReportID  int64
	StatusIDs []int64
	// Statuses is what the posts concerned said when the action was
	// taken (they may be gone since).
	Statuses  []WarnedStatus
	CreatedAt time.Time
	// OverruledAt is when an approved appeal overruled the warning.
	OverruledAt *time.Time
}

// Appeal is the warned account's dispute of a warning (one per warning),
// decided by a moderator.
type Appeal struct {
	ID         int64
	AccountID  int64
	WarningID  int64
	Text       string
	ApprovedAt *time.Time
	RejectedAt *time.Time
	DecidedBy  int64
	CreatedAt  time.Time
}

// State is approved, rejected or pending, as Mastodon's Appeal entity.
func (a *Appeal) State() string {
	switch {
	case a.ApprovedAt != nil:
		return "approved"
	case a.RejectedAt != nil:
		return "rejected"
	}
	return "pending"
}

// WarnedStatus is a post as it was when a moderation action concerned it.
type WarnedStatus struct {
	ID          int64  `json:"id,string"`
	URI         string `json:"uri"`
	Content     string `json:"content"`
	SpoilerText string `json:"spoiler_text,omitempty"`
	// Sensitive: the post was marked sensitive before the action (an
	// approved appeal of "marked sensitive" leaves such a post marked).
	Sensitive bool      `json:"sensitive,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// DomainBlock is an admin's policy for a remote domain (and its subdomains).
type DomainBlock struct {
	ID             int64
	Domain         string
	Severity       string // silence, suspend, noop
	RejectMedia    bool
	RejectReports  bool
	PrivateComment string
	PublicComment  string
	Obfuscate      bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// DomainAllow lets a domain federate in allow-list (limited federation) mode.
type DomainAllow struct {
	ID        int64
	Domain    string
	CreatedAt time.Time
}

// IPBlock blocks an address range from signing up or in.
type IPBlock struct {
	ID        int64
	IP        string // CIDR, e.g. 192.0.2.0/24
	Severity  string // sign_up_requires_approval, sign_up_block, no_access
	Comment   string
	ExpiresAt *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// EmailDomainBlock refuses sign-ups with addresses at a domain.
type EmailDomainBlock struct {
	ID                int64
	Domain            string
	AllowWithApproval bool
	CreatedAt         time.Time
}

// CanonicalEmailBlock refuses sign-ups with an e-mail address whose
// canonical form hashes to Hash.
type CanonicalEmailBlock struct {
	ID                 int64
	Hash               string // hex SHA-256 of the canonical address
	ReferenceAccountID int64
	CreatedAt          time.Time
}

// AuditEntry records one admin action.
type AuditEntry struct {
	ID         int64
	AccountID  int64 // who acted (0: the command line)
	Action     string
	TargetType string
	TargetID   string
	Summary    string
	CreatedAt  time.Time
}

// Rule is one of the instance's rules.
type Rule struct {
	ID        int64
	Text      string
	Hint      string
	Position  int
	CreatedAt time.Time
	UpdatedAt time.Time
	// DeletedAt: the rule was deleted; reports and warnings that cite it
	// still show it.
	DeletedAt *time.Time
}

// Announcement is an admin's message shown to every local user.
type Announcement struct {
	ID          int64
	Text        string // source
	Content     string // HTML
	StartsAt    *time.Time
	EndsAt      *time.Time
	AllDay      bool
	PublishedAt *time.Time // nil: a draft
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// AnnouncementReaction counts one emoji on an announcement.
type AnnouncementReaction struct {
	Name  string
	Count int
	Me    bool
}

// UserToken is a one-time token mailed to a user.
type UserToken struct {
	UserID    int64
	Kind      string // confirm, reset
	ExpiresAt time.Time
}
