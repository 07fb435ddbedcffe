package api

import (
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

// Notification is Mastodon's Notification entity.
type Notification struct {
	ID        string  `json:"id"`
	Type      string  `json:"type"`
	GroupKey  string  `json:"group_key"`
	CreatedAt string  `json:"created_at"`
	Account   Account `json:"account"`
	Status    *Status `json:"status,omitempty"`
	// Report is an admin.report's report.
	Report *Report `json:"report,omitempty"`
	// ModerationWarning is a moderation_warning's warning (Mastodon 4.3).
	ModerationWarning *AccountWarning `json:"moderation_warning,omitempty"`
}

// notifications renders a page (no queries).
func (a *API) notifications(p *core.NotificationPage) []Notification {
	out := make([]Notification, 0, len(p.Notifications))
	for _, n := range p.Notifications {
		if e, ok := a.notification(p, n); ok {
			out = append(out, e)
		}
	}
	return out
}

func (a *API) notification(p *core.NotificationPage, n *model.Notification) (Notification, bool) {
	acc := p.Accounts[n.FromAccountID]
	if acc == nil {
		return Notification{}, false
	}
	out := Notification{
		ID:        idString(n.ID),
		Type:      n.Type,
		GroupKey:  core.GroupKey(n, nil),
		CreatedAt: fmtTime(n.CreatedAt),
		Account:   a.account(acc),
	}
	if r := p.Reports[n.ReportID]; r != nil && n.Type == core.NotifyAdminReport {
		e := a.reportEntity(r, p.Accounts[r.TargetAccountID])
		out.Report = &e
	}
	if w := p.Warnings[n.WarningID]; w != nil && n.Type == core.NotifyModerationWarning {
		e := a.warningEntity(w, p.Accounts[w.TargetAccountID], p.Appeals[w.ID])
		out.ModerationWarning = &e
	}
	if st := p.Statuses[n.StatusID]; st != nil {
		if s, ok := a.status(p.View, st); ok {
			out.Status = &s
		}
	}
	return out, true
}
