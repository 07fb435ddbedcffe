package core

import (
	"context"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// StatusActionParams is a moderation action on some posts of one account
// (Mastodon's report actions on posts): delete them, or mark them (their
// media) sensitive.
type StatusActionParams struct {
	Type      string  // delete or mark_as_sensitive
	StatusIDs []int64 // posts of one account; with a report and none given, the report's posts
	ReportID  int64   // the report the action answers (it is resolved)
	Text      string  // the moderator's explanation, shown to the author
	SendEmail bool
}

// Warning actions of post actions, as Mastodon's AccountWarning#action.
var statusActionWarning = map[string]string{"delete": "delete_statuses", "mark_as_sensitive": "mark_statuses_as_sensitive"}

// StatusAction takes down posts (Manage Reports): it records a warning
// with what the posts said (the author's statement of reasons), resolves
// the report, then deletes the posts or marks them sensitive. A local
// post's Delete (or Update) federates like its author's own.
func (s *AdminService) StatusAction(ctx context.Context, c *Caller, p StatusActionParams) (*model.AccountWarning, error) {
	if err := s.Authorize(ctx, c, PermManageReports); err != nil {
		return nil, err
	}
	action, ok := statusActionWarning[p.Type]
	if !ok {
		return nil, herr.Unprocessable("Validation failed: Type must be delete or mark_as_sensitive")
	}
	text := strings.TrimSpace(p.Text)
	if len([]rune(text)) > 5000 {
		return nil, herr.Unprocessable("Validation failed: Text is too long (maximum is 5000 characters)")
	}
	var report *model.Report
	ids := p.StatusIDs
	if p.ReportID != 0 {
		r, err := s.report(ctx, p.ReportID)
		if err != nil {
			return nil, err
		}
		report = r
		if len(ids) == 0 {
			ids = r.StatusIDs
		}
	}
	if len(ids) == 0 {
		return nil, herr.Unprocessable("Validation failed: choose the posts to act on")
	}
	if len(ids) > 100 {
		return nil, herr.Unprocessable("Validation failed: at most 100 posts at a time")
	}
	found, err := s.store.StatusesByIDs(ctx, ids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	var sts []*model.Status
	for _, id := range ids {
		st := found[id]
		if st == nil {
			return nil, herr.Unprocessable("Validation failed: post %d does not exist", id)
		}
		if len(sts) > 0 && st.AccountID != sts[0].AccountID {
			return nil, herr.Unprocessable("Validation failed: the posts must be of one account")
		}
		sts = append(sts, st)
	}
	target := sts[0].AccountID
	if report != nil && report.TargetAccountID != target {
		return nil, herr.Unprocessable("Validation failed: the report is about another account")
	}
	aa, err := s.adminAccount(ctx, target)
	if err != nil {
		return nil, err
	}
	if err := s.outranks(ctx, c, aa.User); err != nil {
		return nil, err
	}
	w := &model.AccountWarning{AccountID: c.AccountID(), TargetAccountID: target, Action: action, Text: text,
		ReportID: p.ReportID, StatusIDs: ids}
	for _, st := range sts {
		w.Statuses = append(w.Statuses, model.WarnedStatus{ID: st.ID, URI: st.URI, Content: st.Content,
			SpoilerText: st.SpoilerText, Sensitive: st.Sensitive, CreatedAt: st.CreatedAt})
	}
	var resolve []int64
	if report != nil {
		resolve = append(resolve, report.ID)
	}
	// The warning first: if the posts' removal is cut short, the author
	// still learns of the action, and the moderator can repeat it.
	if err := s.store.ModerateAccount(ctx, target, storage.AccountModeration{}, w, resolve, nil); err != nil {
		return nil, herr.Internal(err)
	}
	for _, st := range sts {
		switch p.Type {
		case "delete":
			err = s.removeStatus(ctx, st, false)
		case "mark_as_sensitive":
			err = s.markSensitive(ctx, st)
		}
		if err != nil && herr.As(err).Status != 404 { // gone meanwhile: nothing left to do
			return w, err
		}
		verb := map[string]string{"delete": "destroy_status", "mark_as_sensitive": "update_status"}[p.Type]
		s.audit(ctx, c, verb, "Status", itoa64(st.ID), strings.ReplaceAll(p.Type, "_", " ")+": a post of @"+aa.Account.Acct()+" ("+st.URI+")")
	}
	for _, r := range resolve {
		s.audit(ctx, c, "resolve_report", "Report", itoa64(r), "resolved report #"+itoa64(r)+" with "+action)
	}
	s.moderationNotice(ctx, aa, w, p.SendEmail)
	return w, nil
}

// markSensitive marks a post (its media) sensitive; a local post's change
// federates as an edit, as Mastodon's does.
func (s *Service) markSensitive(ctx context.Context, st *model.Status) error {
	return s.setSensitive(ctx, st, true)
}

// setSensitive marks a post sensitive or lifts the mark (an approved
// appeal); a local post's change federates as an edit.
func (s *Service) setSensitive(ctx context.Context, st *model.Status, sensitive bool) error {
	if st.Sensitive == sensitive {
		return nil
	}
	st.Sensitive = sensitive
	var events []model.OutboxEvent
	if st.Local && st.ReblogOfID == 0 {
		now := time.Now().UTC()
		st.EditedAt = &now
		events = append(events, model.OutboxEvent{Kind: model.EventStatusUpdate, AccountID: st.AccountID, ObjectID: st.ID})
	}
	if err := s.store.UpdateStatus(ctx, st, st.Tags, events); err != nil {
		return herr.Internal(err)
	}
	if len(events) > 0 {
		s.kick()
	}
	s.notify(ChangeStatusEdited, st.AccountID, st.ID)
	return nil
}

// moderationNotice tells a local author about an action: by mail when
// asked (and mail is set up).
func (s *AdminService) moderationNotice(ctx context.Context, aa *storage.AdminAccount, w *model.AccountWarning, mail bool) {
	if !mail || aa.User == nil {
		return
	}
	body := "A moderator of " + s.siteTitle() + " took an action on your account @" + aa.Account.Username + ": " + warningLabel(w.Action) + "."
	if w.Text != "" {
		body += "\n\nTheir explanation:\n\n" + w.Text
	}
	_ = s.sendMail(ctx, []string{aa.User.Email}, "A moderation action on your account on "+s.siteTitle(), body)
}
