package webui

import (
	"strings"

	"github.com/herald-social/herald/internal/model"
)

// Labels for the codes the domain layer records (Mastodon's action and
// target names, kept as they are in the admin API), as staff read them in
// the console.

var moderationActionLabels = map[string]string{
	"none": "Warning", "sensitive": "Media marked sensitive", "disable": "Login disabled",
	"silence": "Limited", "suspend": "Suspended",
}

// moderationAction names a moderation action on an account ("none" is
// Mastodon's name for a warning without another action).
func moderationAction(code string) string {
	if l, ok := moderationActionLabels[code]; ok {
		return l
	}
	return humanCode(code)
}

var auditVerbs = map[string]string{
	"create": "Created", "destroy": "Removed", "update": "Changed", "resolve": "Resolved", "reject": "Rejected",
	"approve": "Approved", "rotate": "Rotated", "change": "Changed", "export": "Exported", "enable": "Enabled",
	"unsuspend": "Lifted the suspension of", "unsilence": "Lifted the limit of", "unsensitive": "Lifted the sensitive mark of",
	"reopen": "Reopened", "assigned": "Assigned", "unassigned": "Unassigned", "memorialize": "Memorialised",
	"disable": "Disabled", "copy": "Copied",
}

var auditTargets = map[string]string{
	"Account": "account", "User": "user", "DomainBlock": "domain block", "DomainAllow": "allowed domain",
	"EmailDomainBlock": "e-mail domain block", "CanonicalEmailBlock": "e-mail block", "IpBlock": "IP rule",
	"Invite": "invite", "Report": "report", "ReportNote": "report note", "Rule": "rule", "UserRole": "role",
	"Webhook": "webhook", "Announcement": "announcement", "Form::AdminSettings": "instance settings",
	"Status": "post", "CustomEmoji": "custom emoji", "AccountWarning": "warning",
}

// auditAction turns an audit entry's action code into a sentence start:
// "create_domain_block" → "Created domain block", "suspend_account" →
// "Suspended account".
func auditAction(e *model.AuditEntry) string {
	verb, rest, _ := strings.Cut(e.Action, "_")
	if e.TargetType == "Account" {
		if l, ok := moderationActionLabels[verb]; ok && verb != "none" {
			return l + ": account"
		}
		if verb == "none" {
			return "Warned account"
		}
	}
	switch e.Action {
	case "update_setting":
		return "Changed instance settings"
	case "change_role_user":
		return "Changed the role of a user"
	case "reset_password_user":
		return "Reset the password of a user"
	case "disable_2fa_user":
		return "Turned off the two-factor authentication of a user"
	case "confirm_user":
		return "Confirmed the e-mail address of a user"
	case "resend_confirmation_user":
		return "Mailed a new confirmation link to a user"
	case "rotate_webhook_secret":
		return "Rotated a webhook's secret"
	case "export_records":
		return "Exported an account's records"
	}
	v, ok := auditVerbs[verb]
	if !ok {
		return humanCode(e.Action)
	}
	return v + " " + strings.ReplaceAll(rest, "_", " ")
}

// auditTarget names the kind of thing an audit entry acted on.
func auditTarget(typ string) string {
	if l, ok := auditTargets[typ]; ok {
		return l
	}
	return humanCode(typ)
}

// humanCode is the fallback for a code without a label: words, not
// underscores.
func humanCode(code string) string {
	s := strings.ReplaceAll(code, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var reportCategories = map[string]string{"spam": "Spam", "legal": "Illegal content",
	"violation": "Breaks the server's rules", "other": "Other"}

// reportCategory names a report's category (Mastodon's codes).
func reportCategory(code string) string {
	if l, ok := reportCategories[code]; ok {
		return l
	}
	return humanCode(code)
}

// roleName is a role's name in menus; the built-in everyone role has an
// empty name (as in Mastodon), shown as "User".
func roleName(r *model.Role) string {
	if r == nil {
		return ""
	}
	if strings.TrimSpace(r.Name) == "" {
		if r.Key == model.RoleUser {
			return "User (no staff role)"
		}
		return humanCode(r.Key)
	}
	return r.Name
}

// excerpt shortens plain text to at most n characters, on a word boundary
// where one is near.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndex(cut, " "); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}
