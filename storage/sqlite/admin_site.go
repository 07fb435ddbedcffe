package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// --- audit log ---

func scanAudit(row scanner) (*model.AuditEntry, error) {
	var e model.AuditEntry
	var by sql.NullInt64
	var created int64
	if err := row.Scan(&e.ID, &by, &e.Action, &e.TargetType, &e.TargetID, &e.Summary, &created); err != nil {
		return notFoundOr[*model.AuditEntry](nil, err)
	}
	e.AccountID, e.CreatedAt = by.Int64, fromMs(created)
	return &e, nil
}

// AddAudit records an admin action.
func (s *Store) AddAudit(ctx context.Context, e *model.AuditEntry) error {
	e.ID = id.New()
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	_, err := s.w.ExecContext(ctx, "INSERT INTO audit_log (id, account_id, action, target_type, target_id, summary, created_at) VALUES (?,?,?,?,?,?,?)",
		e.ID, nullID(e.AccountID), e.Action, e.TargetType, e.TargetID, e.Summary, ms(e.CreatedAt))
	return wrap("add audit", err)
}

// AuditLog pages through the audit log, newest first.
func (s *Store) AuditLog(ctx context.Context, f storage.AuditFilter, p model.Page) ([]*model.AuditEntry, error) {
	q := "SELECT id, account_id, action, target_type, target_id, summary, created_at FROM audit_log WHERE 1=1"
	var args []any
	if f.AccountID != 0 {
		q += " AND account_id = ?"
		args = append(args, f.AccountID)
	}
	if f.Action != "" {
		q += " AND action = ?"
		args = append(args, f.Action)
	}
	if f.TargetType != "" {
		q += " AND target_type = ?"
		args = append(args, f.TargetType)
	}
	if f.TargetID != "" {
		q += " AND target_id = ?"
		args = append(args, f.TargetID)
	}
	if p.Limit <= 0 {
		p.Limit = 40
	}
	v, err := pageRows(ctx, s.r, q, args, "id", p, scanAudit)
	return v, wrap("audit log", err)
}

// --- rules ---

func scanRule(row scanner) (*model.Rule, error) {
	var r model.Rule
	var created, updated int64
	var deleted sql.NullInt64
	if err := row.Scan(&r.ID, &r.Text, &r.Hint, &r.Position, &created, &updated, &deleted); err != nil {
		return notFoundOr[*model.Rule](nil, err)
	}
	r.CreatedAt, r.UpdatedAt, r.DeletedAt = fromMs(created), fromMs(updated), fromNullMs(deleted)
	return &r, nil
}

const ruleColumns = "id, text, hint, position, created_at, updated_at, deleted_at"

// Rules lists the rules in order (not the deleted ones).
func (s *Store) Rules(ctx context.Context) ([]*model.Rule, error) {
	v, err := queryAll(ctx, s.r, "SELECT "+ruleColumns+" FROM rules WHERE deleted_at IS NULL ORDER BY position, id", nil, scanRule)
	return v, wrap("rules", err)
}

// RulesByIDs reads rules by id, deleted ones included (what reports and
// warnings cite), by id; unknown ids are left out.
func (s *Store) RulesByIDs(ctx context.Context, ids []int64) (map[int64]*model.Rule, error) {
	out := map[int64]*model.Rule{}
	if len(ids) == 0 {
		return out, nil
	}
	v, err := queryAll(ctx, s.r, "SELECT "+ruleColumns+" FROM rules WHERE id IN ("+placeholders(len(ids))+")", int64Args(ids), scanRule)
	if err != nil {
		return nil, wrap("rules by ids", err)
	}
	for _, r := range v {
		out[r.ID] = r
	}
	return out, nil
}

// RuleByID returns one rule.
func (s *Store) RuleByID(ctx context.Context, ruleID int64) (*model.Rule, error) {
	v, err := scanRule(s.r.QueryRowContext(ctx, "SELECT "+ruleColumns+" FROM rules WHERE id = ? AND deleted_at IS NULL", ruleID))
	return v, wrap("rule by id", err)
}

// CreateRule stores a rule.
func (s *Store) CreateRule(ctx context.Context, r *model.Rule) error {
	r.ID = id.New()
	now := time.Now()
	r.CreatedAt, r.UpdatedAt = now, now
	_, err := s.w.ExecContext(ctx, "INSERT INTO rules (id, text, hint, position, created_at, updated_at) VALUES (?,?,?,?,?,?)", r.ID, r.Text, r.Hint, r.Position, ms(now), ms(now))
	return wrap("create rule", err)
}

// UpdateRule stores a rule's text, hint and position.
func (s *Store) UpdateRule(ctx context.Context, r *model.Rule) error {
	r.UpdatedAt = time.Now()
	res, err := s.w.ExecContext(ctx, "UPDATE rules SET text = ?, hint = ?, position = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL",
		r.Text, r.Hint, r.Position, ms(r.UpdatedAt), r.ID)
	return wrap("update rule", affected(res, err))
}

// DeleteRule deletes a rule: it is marked deleted and kept for the
// reports and warnings that cite it.
func (s *Store) DeleteRule(ctx context.Context, ruleID int64) error {
	res, err := s.w.ExecContext(ctx, "UPDATE rules SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", ms(time.Now()), ruleID)
	return wrap("delete rule", affected(res, err))
}

// --- announcements ---

const announcementColumns = "id, text, content, starts_at, ends_at, all_day, published_at, created_at, updated_at"

func scanAnnouncement(row scanner) (*model.Announcement, error) {
	var an model.Announcement
	var starts, ends, published sql.NullInt64
	var created, updated int64
	if err := row.Scan(&an.ID, &an.Text, &an.Content, &starts, &ends, &an.AllDay, &published, &created, &updated); err != nil {
		return notFoundOr[*model.Announcement](nil, err)
	}
	an.StartsAt, an.EndsAt, an.PublishedAt = fromNullMs(starts), fromNullMs(ends), fromNullMs(published)
	an.CreatedAt, an.UpdatedAt = fromMs(created), fromMs(updated)
	return &an, nil
}

// Announcements lists announcements, newest first.
func (s *Store) Announcements(ctx context.Context, withDrafts bool) ([]*model.Announcement, error) {
	q := "SELECT " + announcementColumns + " FROM announcements WHERE 1=1"
	if !withDrafts {
		q += " AND published_at IS NOT NULL"
	}
	v, err := pageRows(ctx, s.r, q, nil, "id", model.Page{}, scanAnnouncement)
	return v, wrap("announcements", err)
}

// AnnouncementByID returns one announcement.
func (s *Store) AnnouncementByID(ctx context.Context, announcementID int64) (*model.Announcement, error) {
	v, err := scanAnnouncement(s.r.QueryRowContext(ctx, "SELECT "+announcementColumns+" FROM announcements WHERE id = ?", announcementID))
	return v, wrap("announcement by id", err)
}

// CreateAnnouncement stores an announcement.
func (s *Store) CreateAnnouncement(ctx context.Context, an *model.Announcement) error {
	an.ID = id.New()
	now := time.Now()
	an.CreatedAt, an.UpdatedAt = now, now
	_, err := s.w.ExecContext(ctx, "INSERT INTO announcements ("+announcementColumns+") VALUES (?,?,?,?,?,?,?,?,?)",
		an.ID, an.Text, an.Content, msPtr(an.StartsAt), msPtr(an.EndsAt), b2i(an.AllDay), msPtr(an.PublishedAt), ms(now), ms(now))
	return wrap("create announcement", err)
}

// UpdateAnnouncement stores an announcement's fields.
func (s *Store) UpdateAnnouncement(ctx context.Context, an *model.Announcement) error {
	an.UpdatedAt = time.Now()
	res, err := s.w.ExecContext(ctx, `UPDATE announcements SET text = ?, content = ?, starts_at = ?, ends_at = ?, all_day = ?,
		published_at = ?, updated_at = ? WHERE id = ?`, an.Text, an.Content, msPtr(an.StartsAt), msPtr(an.EndsAt), b2i(an.AllDay),
		msPtr(an.PublishedAt), ms(an.UpdatedAt), an.ID)
	return wrap("update announcement", affected(res, err))
}

// DeleteAnnouncement deletes an announcement with its reactions.
func (s *Store) DeleteAnnouncement(ctx context.Context, announcementID int64) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM announcements WHERE id = ?", announcementID)
	return wrap("delete announcement", affected(res, err))
}

// AnnouncementReactions counts the reactions of announcements.
func (s *Store) AnnouncementReactions(ctx context.Context, viewerID int64, ids []int64) (map[int64][]model.AnnouncementReaction, error) {
	out := map[int64][]model.AnnouncementReaction{}
	if len(ids) == 0 {
		return out, nil
	}
	err := queryEach(ctx, s.r, `SELECT announcement_id, name, count(*), max(CASE WHEN account_id = ? THEN 1 ELSE 0 END), min(created_at) AS first
		FROM announcement_reactions WHERE announcement_id IN (`+placeholders(len(ids))+`)
		GROUP BY announcement_id, name ORDER BY announcement_id, first`, append([]any{viewerID}, int64Args(ids)...),
		func(row scanner) error {
			var aid, first int64
			var r model.AnnouncementReaction
			if err := row.Scan(&aid, &r.Name, &r.Count, &r.Me, &first); err != nil {
				return err
			}
			out[aid] = append(out[aid], r)
			return nil
		})
	return out, wrap("announcement reactions", err)
}

// AddAnnouncementReaction adds a reaction (once per account and name).
func (s *Store) AddAnnouncementReaction(ctx context.Context, announcementID, accountID int64, name string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO announcement_reactions (announcement_id, account_id, name, created_at)
		VALUES (?,?,?,?) ON CONFLICT DO NOTHING`, announcementID, accountID, name, ms(time.Now()))
	if isForeignKeyViolation(err) {
		return wrap("add announcement reaction", storage.ErrNotFound)
	}
	return wrap("add announcement reaction", err)
}

// RemoveAnnouncementReaction removes a reaction.
func (s *Store) RemoveAnnouncementReaction(ctx context.Context, announcementID, accountID int64, name string) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM announcement_reactions WHERE announcement_id = ? AND account_id = ? AND name = ?",
		announcementID, accountID, name)
	return wrap("remove announcement reaction", err)
}

// DismissAnnouncement marks an announcement read by an account.
func (s *Store) DismissAnnouncement(ctx context.Context, announcementID, accountID int64) error {
	_, err := s.w.ExecContext(ctx, "INSERT INTO announcement_dismissals (announcement_id, account_id) VALUES (?,?) ON CONFLICT DO NOTHING",
		announcementID, accountID)
	if isForeignKeyViolation(err) {
		return wrap("dismiss announcement", storage.ErrNotFound)
	}
	return wrap("dismiss announcement", err)
}

// DismissedAnnouncements returns the announcements an account has read.
func (s *Store) DismissedAnnouncements(ctx context.Context, accountID int64) (map[int64]bool, error) {
	ids, err := queryIDs(ctx, s.r, "SELECT announcement_id FROM announcement_dismissals WHERE account_id = ?", accountID)
	if err != nil {
		return nil, wrap("dismissed announcements", err)
	}
	return idSet(ids), nil
}
