package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Mastodon's admin entities (Admin::Account, Admin::Report, ...), the
// Role entity, and Herald's own for invites, the audit log and notes.

// AdminRole is a role as /api/v1/admin/roles shows it (Herald's own):
// Mastodon's Role entity plus its position and times.
type AdminRole struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Key         string `json:"key"`
	Color       string `json:"color"`
	Permissions string `json:"permissions"`
	Position    int    `json:"position"`
	Highlighted bool   `json:"highlighted"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

func adminRole(r *model.Role) AdminRole {
	return AdminRole{ID: idString(r.ID), Name: r.Name, Key: r.Key, Color: r.Color, Permissions: strconv.FormatUint(r.Permissions, 10),
		Position: r.Position, Highlighted: r.Highlighted, CreatedAt: fmtTime(r.CreatedAt), UpdatedAt: fmtTime(r.UpdatedAt)}
}

// roleEntity is Mastodon's Role entity for a user: the computed
// permissions are the role's and the everyone role's.
func (a *API) roleEntity(ctx context.Context, u *model.User) AccountRole {
	perms, r, err := a.svc.PermissionsOf(ctx, u)
	if err != nil || r == nil {
		return AccountRole{ID: "-99", Permissions: "0"}
	}
	return AccountRole{ID: idString(r.ID), Name: r.Name, Color: r.Color, Permissions: strconv.FormatUint(uint64(perms), 10), Highlighted: r.Highlighted}
}

// AdminIP is Admin::Ip.
type AdminIP struct {
	IP     string `json:"ip"`
	UsedAt string `json:"used_at"`
}

// AdminAccount is Admin::Account.
type AdminAccount struct {
	ID                     string       `json:"id"`
	Username               string       `json:"username"`
	Domain                 *string      `json:"domain"`
	CreatedAt              string       `json:"created_at"`
	Email                  *string      `json:"email"`
	IP                     *string      `json:"ip"`
	IPs                    []AdminIP    `json:"ips"`
	Locale                 *string      `json:"locale"`
	InviteRequest          *string      `json:"invite_request"`
	Role                   *AccountRole `json:"role"`
	Confirmed              bool         `json:"confirmed"`
	Approved               bool         `json:"approved"`
	Disabled               bool         `json:"disabled"`
	Silenced               bool         `json:"silenced"`
	Suspended              bool         `json:"suspended"`
	Sensitized             bool         `json:"sensitized"`
	Account                Account      `json:"account"`
	CreatedByApplicationID *string      `json:"created_by_application_id,omitempty"`
	InvitedByAccountID     *string      `json:"invited_by_account_id,omitempty"`
}

func (a *API) adminAccount(ctx context.Context, aa *storage.AdminAccount) AdminAccount {
	acc := aa.Account
	out := AdminAccount{
		ID:         idString(acc.ID),
		Username:   acc.Username,
		CreatedAt:  fmtTime(acc.CreatedAt),
		IPs:        []AdminIP{},
		Silenced:   acc.SilencedAt != nil,
		Suspended:  acc.SuspendedAt != nil,
		Sensitized: aa.SensitizedAt != nil,
		Account:    a.account(acc),
	}
	if acc.Domain != "" {
		d := acc.Domain
		out.Domain = &d
	}
	for _, ip := range aa.IPs {
		out.IPs = append(out.IPs, AdminIP{IP: ip.IP, UsedAt: fmtTime(ip.UsedAt)})
	}
	if len(aa.IPs) > 0 {
		ip := aa.IPs[0].IP
		out.IP = &ip
	}
	if u := aa.User; u != nil {
		email, locale := u.Email, u.Locale
		out.Email, out.Locale = &email, &locale
		role := a.roleEntity(ctx, u)
		out.Role = &role
		out.Confirmed, out.Approved, out.Disabled = u.ConfirmedAt != nil, u.Approved, u.Disabled
	}
	if r := aa.Registration; r != nil {
		if r.Reason != "" {
			reason := r.Reason
			out.InviteRequest = &reason
		}
		if r.AppID != 0 {
			out.CreatedByApplicationID = strPtr(idString(r.AppID))
		}
		if r.InvitedBy != 0 {
			out.InvitedByAccountID = strPtr(idString(r.InvitedBy))
		}
	}
	return out
}

// Rule is Mastodon's Rule entity.
type Rule struct {
	ID           string            `json:"id"`
	Text         string            `json:"text"`
	Hint         string            `json:"hint"`
	Translations map[string]string `json:"translations"`
}

func ruleEntity(r *model.Rule) Rule {
	return Rule{ID: idString(r.ID), Text: r.Text, Hint: r.Hint, Translations: map[string]string{}}
}

// Report is Mastodon's Report entity (what the reporter sees).
type Report struct {
	ID            string   `json:"id"`
	ActionTaken   bool     `json:"action_taken"`
	ActionTakenAt *string  `json:"action_taken_at"`
	Category      string   `json:"category"`
	Comment       string   `json:"comment"`
	Forwarded     bool     `json:"forwarded"`
	CreatedAt     string   `json:"created_at"`
	StatusIDs     []string `json:"status_ids"`
	RuleIDs       []string `json:"rule_ids"`
	TargetAccount Account  `json:"target_account"`
}

func idStrings(v []int64) []string {
	out := make([]string, 0, len(v))
	for _, x := range v {
		out = append(out, idString(x))
	}
	return out
}

func (a *API) reportEntity(r *model.Report, target *model.Account) Report {
	return Report{ID: idString(r.ID), ActionTaken: r.ActionTakenAt != nil, ActionTakenAt: fmtTimePtr(r.ActionTakenAt),
		Category: r.Category, Comment: r.Comment, Forwarded: r.Forwarded, CreatedAt: fmtTime(r.CreatedAt),
		StatusIDs: idStrings(r.StatusIDs), RuleIDs: idStrings(r.RuleIDs), TargetAccount: a.account(target)}
}

// AdminReport is Admin::Report.
type AdminReport struct {
	ID                   string        `json:"id"`
	ActionTaken          bool          `json:"action_taken"`
	ActionTakenAt        *string       `json:"action_taken_at"`
	Category             string        `json:"category"`
	Comment              string        `json:"comment"`
	Forwarded            bool          `json:"forwarded"`
	CreatedAt            string        `json:"created_at"`
	UpdatedAt            string        `json:"updated_at"`
	Account              *AdminAccount `json:"account"`
	TargetAccount        *AdminAccount `json:"target_account"`
	AssignedAccount      *AdminAccount `json:"assigned_account"`
	ActionTakenByAccount *AdminAccount `json:"action_taken_by_account"`
	Statuses             []Status      `json:"statuses"`
	Rules                []Rule        `json:"rules"`
}

// renderAdminReports renders reports from core's moderator view of them
// (ViewReports): the accounts, posts and rules they name.
func (a *API) renderAdminReports(ctx context.Context, cl *core.Caller, rs []*model.Report) ([]AdminReport, error) {
	v, err := a.svc.ViewReports(ctx, cl, rs)
	if err != nil {
		return nil, err
	}
	return a.adminReportsOf(ctx, v), nil
}

// adminReportsOf renders the reports of a view.
func (a *API) adminReportsOf(ctx context.Context, v *core.ReportView) []AdminReport {
	accs := map[int64]*AdminAccount{}
	load := func(id int64) *AdminAccount {
		if e, ok := accs[id]; ok {
			return e
		}
		aa := v.Accounts[id]
		if aa == nil {
			return nil
		}
		e := a.adminAccount(ctx, aa)
		accs[id] = &e
		return &e
	}
	out := make([]AdminReport, 0, len(v.Reports))
	for _, r := range v.Reports {
		e := AdminReport{ID: idString(r.ID), ActionTaken: r.ActionTakenAt != nil, ActionTakenAt: fmtTimePtr(r.ActionTakenAt),
			Category: r.Category, Comment: r.Comment, Forwarded: r.Forwarded, CreatedAt: fmtTime(r.CreatedAt), UpdatedAt: fmtTime(r.UpdatedAt),
			Account: load(r.AccountID), TargetAccount: load(r.TargetAccountID), AssignedAccount: load(r.AssignedID),
			ActionTakenByAccount: load(r.ActionTakenByID), Statuses: []Status{}, Rules: []Rule{}}
		for _, st := range v.PostsOf(r) {
			if s, ok := a.status(v.Posts, st); ok {
				e.Statuses = append(e.Statuses, s)
			}
		}
		for _, id := range r.RuleIDs {
			if rule, ok := v.Rules[id]; ok {
				e.Rules = append(e.Rules, ruleEntity(rule))
			}
		}
		out = append(out, e)
	}
	return out
}

// ReportNote is Herald's own entity for a moderator's note.
type ReportNote struct {
	ID        string   `json:"id"`
	Content   string   `json:"content"`
	CreatedAt string   `json:"created_at"`
	Account   *Account `json:"account"`
}

// AccountWarning is Mastodon's AccountWarning entity.
type AccountWarning struct {
	ID            string   `json:"id"`
	Action        string   `json:"action"`
	Text          string   `json:"text"`
	StatusIDs     []string `json:"status_ids"`
	TargetAccount *Account `json:"target_account"`
	Appeal        *Appeal  `json:"appeal"`
	CreatedAt     string   `json:"created_at"`
	// OverruledAt: when an approved appeal overruled the warning
	// (Mastodon's account_warnings.overruled_at; Herald shows it).
	OverruledAt *string `json:"overruled_at"`
}

// Appeal is Mastodon's Appeal entity.
type Appeal struct {
	Text  string `json:"text"`
	State string `json:"state"` // approved, rejected, pending
}

func (a *API) warnings(ctx context.Context, ws []*model.AccountWarning) []AccountWarning {
	var ids, wids []int64
	for _, w := range ws {
		ids = append(ids, w.TargetAccountID)
		wids = append(wids, w.ID)
	}
	accs, _ := a.svc.AccountsByIDs(ctx, ids)
	appeals, _ := a.svc.WarningAppeals(ctx, wids)
	out := make([]AccountWarning, 0, len(ws))
	for _, w := range ws {
		out = append(out, a.warningEntity(w, accs[w.TargetAccountID], appeals[w.ID]))
	}
	return out
}

func (a *API) warningEntity(w *model.AccountWarning, target *model.Account, ap *model.Appeal) AccountWarning {
	e := AccountWarning{ID: idString(w.ID), Action: w.Action, Text: w.Text, CreatedAt: fmtTime(w.CreatedAt), OverruledAt: fmtTimePtr(w.OverruledAt)}
	if len(w.StatusIDs) > 0 {
		e.StatusIDs = idStrings(w.StatusIDs)
	}
	if target != nil {
		ae := a.account(target)
		e.TargetAccount = &ae
	}
	if ap != nil {
		e.Appeal = &Appeal{Text: ap.Text, State: ap.State()}
	}
	return e
}

func domainDigest(d string) string {
	h := sha256.Sum256([]byte(d))
	return hex.EncodeToString(h[:])
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// AdminDomainBlock is Admin::DomainBlock.
type AdminDomainBlock struct {
	ID             string  `json:"id"`
	Domain         string  `json:"domain"`
	Digest         string  `json:"digest"`
	CreatedAt      string  `json:"created_at"`
	Severity       string  `json:"severity"`
	RejectMedia    bool    `json:"reject_media"`
	RejectReports  bool    `json:"reject_reports"`
	PrivateComment *string `json:"private_comment"`
	PublicComment  *string `json:"public_comment"`
	Obfuscate      bool    `json:"obfuscate"`
}

func adminDomainBlock(b *model.DomainBlock) AdminDomainBlock {
	return AdminDomainBlock{ID: idString(b.ID), Domain: b.Domain, Digest: domainDigest(b.Domain), CreatedAt: fmtTime(b.CreatedAt),
		Severity: b.Severity, RejectMedia: b.RejectMedia, RejectReports: b.RejectReports,
		PrivateComment: nullString(b.PrivateComment), PublicComment: nullString(b.PublicComment), Obfuscate: b.Obfuscate}
}

// AdminDomainAllow is Admin::DomainAllow.
type AdminDomainAllow struct {
	ID        string `json:"id"`
	Domain    string `json:"domain"`
	CreatedAt string `json:"created_at"`
}

func adminDomainAllow(d *model.DomainAllow) AdminDomainAllow {
	return AdminDomainAllow{ID: idString(d.ID), Domain: d.Domain, CreatedAt: fmtTime(d.CreatedAt)}
}

// AdminIPBlock is Admin::IpBlock.
type AdminIPBlock struct {
	ID        string  `json:"id"`
	IP        string  `json:"ip"`
	Severity  string  `json:"severity"`
	Comment   string  `json:"comment"`
	CreatedAt string  `json:"created_at"`
	ExpiresAt *string `json:"expires_at"`
}

func adminIPBlock(b *model.IPBlock) AdminIPBlock {
	return AdminIPBlock{ID: idString(b.ID), IP: b.IP, Severity: b.Severity, Comment: b.Comment, CreatedAt: fmtTime(b.CreatedAt),
		ExpiresAt: fmtTimePtr(b.ExpiresAt)}
}

// AdminEmailDomainBlock is Admin::EmailDomainBlock.
type AdminEmailDomainBlock struct {
	ID                string         `json:"id"`
	Domain            string         `json:"domain"`
	CreatedAt         string         `json:"created_at"`
	History           []HistoryEntry `json:"history"`
	AllowWithApproval bool           `json:"allow_with_approval"`
}

// HistoryEntry is one day of Admin::EmailDomainBlock's history.
type HistoryEntry struct {
	Day      string `json:"day"`
	Accounts string `json:"accounts"`
	Uses     string `json:"uses"`
}

func adminEmailDomainBlock(b *model.EmailDomainBlock) AdminEmailDomainBlock {
	day := time.Now().UTC().Truncate(24 * time.Hour)
	hist := make([]HistoryEntry, 0, 7)
	for i := 0; i < 7; i++ {
		hist = append(hist, HistoryEntry{Day: strconv.FormatInt(day.AddDate(0, 0, -i).Unix(), 10), Accounts: "0", Uses: "0"})
	}
	return AdminEmailDomainBlock{ID: idString(b.ID), Domain: b.Domain, CreatedAt: fmtTime(b.CreatedAt), History: hist,
		AllowWithApproval: b.AllowWithApproval}
}

// AdminCanonicalEmailBlock is Admin::CanonicalEmailBlock.
type AdminCanonicalEmailBlock struct {
	ID                 string `json:"id"`
	CanonicalEmailHash string `json:"canonical_email_hash"`
}

func adminCanonicalBlock(b *model.CanonicalEmailBlock) AdminCanonicalEmailBlock {
	return AdminCanonicalEmailBlock{ID: idString(b.ID), CanonicalEmailHash: b.Hash}
}

// Invite is Herald's own entity for an invite.
type Invite struct {
	ID                 string  `json:"id"`
	Code               string  `json:"code"`
	URL                string  `json:"url"`
	Comment            string  `json:"comment"`
	Role               string  `json:"role"`
	MaxUses            *int    `json:"max_uses"`
	Uses               int     `json:"uses"`
	ExpiresAt          *string `json:"expires_at"`
	Revoked            bool    `json:"revoked"`
	Valid              bool    `json:"valid"`
	CreatedAt          string  `json:"created_at"`
	CreatedByAccountID *string `json:"created_by_account_id"`
}

func (a *API) inviteEntity(ctx context.Context, inv *model.Invite) (Invite, error) {
	valid, err := a.svc.InviteValid(ctx, inv, time.Now())
	if err != nil {
		return Invite{}, err
	}
	out := Invite{ID: idString(inv.ID), Code: inv.Code, URL: a.svc.InviteURL(inv.Code), Comment: inv.Comment, Role: inv.Role,
		Uses: inv.Uses, ExpiresAt: fmtTimePtr(inv.ExpiresAt), Revoked: inv.RevokedAt != nil, Valid: valid,
		CreatedAt: fmtTime(inv.CreatedAt)}
	if inv.MaxUses > 0 {
		m := inv.MaxUses
		out.MaxUses = &m
	}
	if inv.CreatedBy != 0 {
		out.CreatedByAccountID = strPtr(idString(inv.CreatedBy))
	}
	return out, nil
}

// AuditEntry is Herald's own entity for the audit log.
type AuditEntry struct {
	ID         string   `json:"id"`
	Action     string   `json:"action"`
	TargetType string   `json:"target_type"`
	TargetID   string   `json:"target_id"`
	Summary    string   `json:"summary"`
	CreatedAt  string   `json:"created_at"`
	Account    *Account `json:"account"`
}

func (a *API) auditEntries(ctx context.Context, es []*model.AuditEntry) []AuditEntry {
	var ids []int64
	for _, e := range es {
		ids = append(ids, e.AccountID)
	}
	accs, _ := a.svc.AccountsByIDs(ctx, ids)
	out := make([]AuditEntry, 0, len(es))
	for _, e := range es {
		ae := AuditEntry{ID: idString(e.ID), Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, Summary: e.Summary,
			CreatedAt: fmtTime(e.CreatedAt)}
		if acc, ok := accs[e.AccountID]; ok {
			x := a.account(acc)
			ae.Account = &x
		}
		out = append(out, ae)
	}
	return out
}

// Announcement is Mastodon's Announcement entity.
type Announcement struct {
	ID          string                 `json:"id"`
	Content     string                 `json:"content"`
	StartsAt    *string                `json:"starts_at"`
	EndsAt      *string                `json:"ends_at"`
	Published   bool                   `json:"published"`
	AllDay      bool                   `json:"all_day"`
	PublishedAt *string                `json:"published_at"`
	UpdatedAt   string                 `json:"updated_at"`
	Read        *bool                  `json:"read,omitempty"`
	Mentions    []any                  `json:"mentions"`
	Statuses    []any                  `json:"statuses"`
	Tags        []any                  `json:"tags"`
	Emojis      []any                  `json:"emojis"`
	Reactions   []AnnouncementReaction `json:"reactions"`
	Text        *string                `json:"text,omitempty"` // admin views only
}

// AnnouncementReaction is Mastodon's Reaction entity.
type AnnouncementReaction struct {
	Name      string  `json:"name"`
	Count     int     `json:"count"`
	Me        bool    `json:"me"`
	URL       *string `json:"url,omitempty"`
	StaticURL *string `json:"static_url,omitempty"`
}

func announcementEntity(an *model.Announcement, reactions []model.AnnouncementReaction) Announcement {
	out := Announcement{ID: idString(an.ID), Content: an.Content, StartsAt: fmtTimePtr(an.StartsAt), EndsAt: fmtTimePtr(an.EndsAt),
		Published: an.PublishedAt != nil, AllDay: an.AllDay, PublishedAt: fmtTimePtr(an.PublishedAt), UpdatedAt: fmtTime(an.UpdatedAt),
		Mentions: []any{}, Statuses: []any{}, Tags: []any{}, Emojis: []any{}, Reactions: []AnnouncementReaction{}}
	for _, r := range reactions {
		out.Reactions = append(out.Reactions, AnnouncementReaction{Name: r.Name, Count: r.Count, Me: r.Me})
	}
	return out
}

// splitIDs parses id strings, dropping malformed ones.
func splitIDs(v []string) []int64 {
	var out []int64
	for _, s := range v {
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}
