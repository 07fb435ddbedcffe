package core

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Report categories, as Mastodon's.
var reportCategories = []string{"spam", "legal", "violation", "other"}

// ReportParams is POST /api/v1/reports.
type ReportParams struct {
	AccountID int64
	StatusIDs []int64
	Comment   string
	Category  string
	RuleIDs   []int64
	Forward   bool
}

// ForwardPayload is the payload of a report.forward outbox event.
type ForwardPayload struct {
	TargetID   int64    `json:"target_id"`
	StatusURIs []string `json:"status_uris"`
	Comment    string   `json:"comment"`
}

// checkReportedStatuses verifies that every status is the target's.
func (s *AdminService) checkReportedStatuses(ctx context.Context, targetID int64, ids []int64) ([]*model.Status, error) {
	ids = dedupeIDs(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > 100 {
		return nil, herr.Unprocessable("Validation failed: too many statuses")
	}
	m, err := s.store.StatusesByIDs(ctx, ids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	out := make([]*model.Status, 0, len(ids))
	for _, id := range ids {
		st, ok := m[id]
		if !ok || st.AccountID != targetID {
			return nil, herr.NotFound("status")
		}
		out = append(out, st)
	}
	return out, nil
}

func dedupeIDs(ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if id > 0 && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// checkRules verifies rule ids.
func (s *AdminService) checkRules(ctx context.Context, ids []int64) ([]int64, error) {
	ids = dedupeIDs(ids)
	for _, id := range ids {
		if _, err := s.store.RuleByID(ctx, id); errors.Is(err, storage.ErrNotFound) {
			return nil, herr.Unprocessable("Validation failed: Rule ids are invalid")
		} else if err != nil {
			return nil, herr.Internal(err)
		}
	}
	return ids, nil
}

// CreateReport files a user's report. With Forward and a remote target, an
// anonymised copy is queued for the target's server (report.forward event,
// in the same transaction).
func (s *AdminService) CreateReport(ctx context.Context, c *Caller, p ReportParams) (*model.Report, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	target, err := s.store.AccountByID(ctx, p.AccountID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("account")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	if target.ID == c.Account.ID {
		return nil, herr.Unprocessable("Validation failed: You cannot report yourself")
	}
	sts, err := s.checkReportedStatuses(ctx, target.ID, p.StatusIDs)
	if err != nil {
		return nil, err
	}
	rules, err := s.checkRules(ctx, p.RuleIDs)
	if err != nil {
		return nil, err
	}
	category := strings.TrimSpace(p.Category)
	if category == "" {
		category = "other"
		if len(rules) > 0 {
			category = "violation"
		}
	}
	if !slices.Contains(reportCategories, category) {
		return nil, herr.Unprocessable("Validation failed: Category is not included in the list")
	}
	if category != "violation" {
		rules = nil
	}
	comment := strings.TrimSpace(p.Comment)
	if len([]rune(comment)) > 1000 {
		return nil, herr.Unprocessable("Validation failed: Comment is too long (maximum is 1000 characters)")
	}
	r := &model.Report{AccountID: c.Account.ID, TargetAccountID: target.ID, Comment: comment, Category: category, RuleIDs: rules}
	for _, st := range sts {
		r.StatusIDs = append(r.StatusIDs, st.ID)
	}
	var events []model.OutboxEvent
	if p.Forward && !target.Local() {
		pl := ForwardPayload{TargetID: target.ID, StatusURIs: []string{}, Comment: comment}
		for _, st := range sts {
			pl.StatusURIs = append(pl.StatusURIs, st.URI)
		}
		b, _ := json.Marshal(pl)
		r.Forwarded = true
		events = append(events, model.OutboxEvent{Kind: model.EventReportForward, AccountID: 0, Payload: string(b)})
	}
	if err := s.store.CreateReport(ctx, r, events); err != nil {
		return nil, herr.Internal(err)
	}
	if len(events) > 0 {
		s.kick()
	}
	s.webhookEvent(ctx, EventReportCreated, r.ID)
	s.reportNotice(ctx, r, "@"+c.Account.Acct(), target)
	return r, nil
}

// reportNotice tells moderators about a new report.
func (s *AdminService) reportNotice(ctx context.Context, r *model.Report, from string, target *model.Account) {
	comment := r.Comment
	if comment == "" {
		comment = "(no comment)"
	}
	s.staffNotification(ctx, PermManageReports, "admin.report", r.AccountID, r.ID)
	s.notifyStaff(ctx, PermManageReports, "report", "New report #"+itoa64(r.ID)+" on @"+target.Acct(),
		from+" reported @"+target.Acct()+" ("+r.Category+").\n\nComment: "+comment+
			"\n\nSee it with GET "+s.Base()+"/api/v1/admin/reports/"+itoa64(r.ID))
}

// ReceiveFlag files a report received over ActivityPub (a Flag activity)
// from reporterDomain: actorID is the remote account that sent it, the
// target a local account, statusIDs its reported statuses (others are
// ignored), uri the Flag's id (a repeated Flag is ignored). Flags from
// domains whose reports are rejected are dropped without error.
func (s *AdminService) ReceiveFlag(ctx context.Context, reporterDomain string, actorID int64, targetAccountID int64, statusIDs []int64, comment, uri string) error {
	pol, err := s.DomainPolicy(ctx, reporterDomain)
	if err != nil {
		return err
	}
	if pol.RejectReports || pol.Suspended() {
		return nil
	}
	if uri != "" {
		if _, err := s.store.ReportByURI(ctx, uri); err == nil {
			return nil
		} else if !errors.Is(err, storage.ErrNotFound) {
			return herr.Internal(err)
		}
	}
	actor, err := s.store.AccountByID(ctx, actorID)
	if errors.Is(err, storage.ErrNotFound) {
		return herr.NotFound("account")
	} else if err != nil {
		return herr.Internal(err)
	}
	target, err := s.store.AccountByID(ctx, targetAccountID)
	if errors.Is(err, storage.ErrNotFound) {
		return herr.NotFound("account")
	} else if err != nil {
		return herr.Internal(err)
	}
	if !target.Local() {
		return herr.Unprocessable("reports are only accepted about local accounts")
	}
	var ids []int64
	if len(statusIDs) > 0 {
		m, err := s.store.StatusesByIDs(ctx, dedupeIDs(statusIDs))
		if err != nil {
			return herr.Internal(err)
		}
		for _, id := range dedupeIDs(statusIDs) {
			if st, ok := m[id]; ok && st.AccountID == target.ID {
				ids = append(ids, id)
			}
		}
	}
	comment = strings.TrimSpace(comment)
	if r := []rune(comment); len(r) > 5000 {
		comment = string(r[:5000])
	}
	r := &model.Report{AccountID: actor.ID, TargetAccountID: target.ID, StatusIDs: ids, Comment: comment, Category: "other", URI: uri}
	if err := s.store.CreateReport(ctx, r, nil); errors.Is(err, storage.ErrConflict) {
		return nil
	} else if err != nil {
		return herr.Internal(err)
	}
	s.webhookEvent(ctx, EventReportCreated, r.ID)
	s.reportNotice(ctx, r, "A moderator of "+NormaliseDomain(reporterDomain), target)
	return nil
}

// --- the moderators' side ---

// AdminReports lists reports (Manage Reports).
func (s *AdminService) AdminReports(ctx context.Context, c *Caller, f storage.ReportFilter, p model.Page) ([]*model.Report, error) {
	return adminRead(ctx, s, c, PermManageReports, "reports", func() ([]*model.Report, error) { return s.store.Reports(ctx, f, p) })
}

// AdminReport returns one report.
func (s *AdminService) AdminReport(ctx context.Context, c *Caller, id int64) (*model.Report, error) {
	if err := s.Authorize(ctx, c, PermManageReports); err != nil {
		return nil, err
	}
	return s.report(ctx, id)
}

func (s *AdminService) report(ctx context.Context, id int64) (*model.Report, error) {
	r, err := s.store.ReportByID(ctx, id)
	if err != nil {
		return nil, readErr(err, "report")
	}
	return r, nil
}

// UpdateReport changes a report's category and rules.
func (s *AdminService) UpdateReport(ctx context.Context, c *Caller, id int64, category *string, ruleIDs *[]int64) (*model.Report, error) {
	r, err := s.AdminReport(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if category != nil && *category != "" {
		if !slices.Contains(reportCategories, *category) {
			return nil, herr.Unprocessable("Validation failed: Category is not included in the list")
		}
		r.Category = *category
	}
	if ruleIDs != nil {
		rules, err := s.checkRules(ctx, *ruleIDs)
		if err != nil {
			return nil, err
		}
		r.RuleIDs = rules
	}
	if r.Category != "violation" {
		r.RuleIDs = nil
	}
	if err := s.store.UpdateReport(ctx, r); err != nil {
		return nil, herr.Internal(err)
	}
	s.webhookEvent(ctx, EventReportUpdated, r.ID)
	s.audit(ctx, c, "update_report", "Report", itoa64(id), "changed the category of report #"+itoa64(id)+" to "+r.Category)
	return r, nil
}

// AssignReport assigns the report to the caller (assign) or to nobody.
func (s *AdminService) AssignReport(ctx context.Context, c *Caller, id int64, assign bool) (*model.Report, error) {
	r, err := s.AdminReport(ctx, c, id)
	if err != nil {
		return nil, err
	}
	action := "unassigned_report"
	if assign {
		r.AssignedID = c.Account.ID
		action = "assigned_to_self_report"
	} else {
		r.AssignedID = 0
	}
	if err := s.store.UpdateReport(ctx, r); err != nil {
		return nil, herr.Internal(err)
	}
	s.webhookEvent(ctx, EventReportUpdated, r.ID)
	s.audit(ctx, c, action, "Report", itoa64(id), strings.ReplaceAll(action, "_", " ")+" #"+itoa64(id))
	return r, nil
}

// ResolveReport marks a report resolved by the caller, or reopens it.
func (s *AdminService) ResolveReport(ctx context.Context, c *Caller, id int64, resolve bool) (*model.Report, error) {
	r, err := s.AdminReport(ctx, c, id)
	if err != nil {
		return nil, err
	}
	action := "reopen_report"
	if resolve {
		now := time.Now().UTC()
		r.ActionTakenAt, r.ActionTakenByID = &now, c.Account.ID
		action = "resolve_report"
	} else {
		r.ActionTakenAt, r.ActionTakenByID = nil, 0
	}
	if err := s.store.UpdateReport(ctx, r); err != nil {
		return nil, herr.Internal(err)
	}
	s.webhookEvent(ctx, EventReportUpdated, r.ID)
	s.audit(ctx, c, action, "Report", itoa64(id), strings.ReplaceAll(action, "_", " ")+" #"+itoa64(id))
	return r, nil
}

// ReportNotes lists a report's notes.
func (s *AdminService) ReportNotes(ctx context.Context, c *Caller, id int64) ([]*model.ReportNote, error) {
	if _, err := s.AdminReport(ctx, c, id); err != nil {
		return nil, err
	}
	out, err := s.store.ReportNotes(ctx, id)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return out, nil
}

// AddReportNote adds a note to a report; resolve (or reopen) may change
// its state at the same time, as Mastodon's "resolve with note".
func (s *AdminService) AddReportNote(ctx context.Context, c *Caller, id int64, content string) (*model.ReportNote, error) {
	if _, err := s.AdminReport(ctx, c, id); err != nil {
		return nil, err
	}
	content = strings.TrimSpace(content)
	if content == "" {
		return nil, herr.Unprocessable("Validation failed: Content can't be blank")
	}
	if len([]rune(content)) > 2000 {
		return nil, herr.Unprocessable("Validation failed: Content is too long (maximum is 2000 characters)")
	}
	n := &model.ReportNote{ReportID: id, AccountID: c.Account.ID, Content: content}
	if err := s.store.CreateReportNote(ctx, n); errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("report")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	s.audit(ctx, c, "create_report_note", "ReportNote", itoa64(n.ID), "noted report #"+itoa64(id))
	return n, nil
}

// DeleteReportNote deletes a note (its author's, or any with Manage Users).
func (s *AdminService) DeleteReportNote(ctx context.Context, c *Caller, id, noteID int64) error {
	notes, err := s.ReportNotes(ctx, c, id)
	if err != nil {
		return err
	}
	var note *model.ReportNote
	for _, n := range notes {
		if n.ID == noteID {
			note = n
		}
	}
	if note == nil {
		return herr.NotFound("note")
	}
	if note.AccountID != c.Account.ID {
		if err := s.Authorize(ctx, c, PermManageUsers); err != nil {
			return err
		}
	}
	if err := s.store.DeleteReportNote(ctx, id, noteID); err != nil {
		return herr.Internal(err)
	}
	s.audit(ctx, c, "destroy_report_note", "ReportNote", itoa64(noteID), "deleted a note of report #"+itoa64(id))
	return nil
}
