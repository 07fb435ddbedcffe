package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

const reportColumns = `r.id, r.account_id, r.target_account_id, r.status_ids, r.rule_ids, r.comment, r.category, r.forwarded, r.uri,
	r.assigned_id, r.action_taken_at, r.action_taken_by_id, r.created_at, r.updated_at`

func scanReport(row scanner) (*model.Report, error) {
	var r model.Report
	var statuses, rules string
	var assigned, taken, takenBy sql.NullInt64
	var created, updated int64
	err := row.Scan(&r.ID, &r.AccountID, &r.TargetAccountID, &statuses, &rules, &r.Comment, &r.Category, &r.Forwarded, &r.URI,
		&assigned, &taken, &takenBy, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r.StatusIDs, r.RuleIDs = parseIDsJSON(statuses), parseIDsJSON(rules)
	r.AssignedID, r.ActionTakenAt, r.ActionTakenByID = assigned.Int64, fromNullMs(taken), takenBy.Int64
	r.CreatedAt, r.UpdatedAt = fromMs(created), fromMs(updated)
	return &r, nil
}

// CreateReport stores a report and queues events in one transaction.
func (s *Store) CreateReport(ctx context.Context, r *model.Report, events []model.OutboxEvent) error {
	r.ID = id.New()
	now := time.Now()
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	r.UpdatedAt = r.CreatedAt
	if r.Category == "" {
		r.Category = "other"
	}
	return wrap("create report", s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO reports (id, account_id, target_account_id, status_ids, rule_ids, comment, category,
			forwarded, uri, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)`, r.ID, r.AccountID, r.TargetAccountID,
			idsJSON(r.StatusIDs), idsJSON(r.RuleIDs), r.Comment, r.Category, b2i(r.Forwarded), r.URI, ms(r.CreatedAt), ms(r.UpdatedAt))
		if isUniqueViolation(err) {
			return storage.ErrConflict
		}
		if err != nil {
			return err
		}
		for i := range events {
			events[i].ObjectID = r.ID
		}
		return insertEvents(ctx, tx, events)
	}))
}

// ReportByID returns one report.
func (s *Store) ReportByID(ctx context.Context, reportID int64) (*model.Report, error) {
	v, err := scanReport(s.r.QueryRowContext(ctx, "SELECT "+reportColumns+" FROM reports r WHERE r.id = ?", reportID))
	return v, wrap("report by id", err)
}

// ReportByURI finds a report received over ActivityPub.
func (s *Store) ReportByURI(ctx context.Context, uri string) (*model.Report, error) {
	if uri == "" {
		return nil, wrap("report by uri", storage.ErrNotFound)
	}
	v, err := scanReport(s.r.QueryRowContext(ctx, "SELECT "+reportColumns+" FROM reports r WHERE r.uri = ?", uri))
	return v, wrap("report by uri", err)
}

// Reports lists reports newest first.
func (s *Store) Reports(ctx context.Context, f storage.ReportFilter, p model.Page) ([]*model.Report, error) {
	q := "SELECT " + reportColumns + " FROM reports r WHERE 1=1"
	var args []any
	if f.Resolved != nil {
		if *f.Resolved {
			q += " AND r.action_taken_at IS NOT NULL"
		} else {
			q += " AND r.action_taken_at IS NULL"
		}
	}
	if f.AccountID != 0 {
		q += " AND r.account_id = ?"
		args = append(args, f.AccountID)
	}
	if f.TargetAccountID != 0 {
		q += " AND r.target_account_id = ?"
		args = append(args, f.TargetAccountID)
	}
	if f.TargetDomain != "" {
		q += " AND r.target_account_id IN (SELECT id FROM accounts WHERE domain = ?)"
		args = append(args, f.TargetDomain)
	}
	v, err := queryPage(ctx, s.r, q, args, "r.id", p, scanReport)
	return v, wrap("reports", err)
}

// UpdateReport stores a report's mutable fields.
func (s *Store) UpdateReport(ctx context.Context, r *model.Report) error {
	r.UpdatedAt = time.Now()
	res, err := s.w.ExecContext(ctx, `UPDATE reports SET category = ?, rule_ids = ?, assigned_id = ?, action_taken_at = ?,
		action_taken_by_id = ?, forwarded = ?, updated_at = ? WHERE id = ?`, r.Category, idsJSON(r.RuleIDs), nullID(r.AssignedID),
		msPtr(r.ActionTakenAt), nullID(r.ActionTakenByID), b2i(r.Forwarded), ms(r.UpdatedAt), r.ID)
	return wrap("update report", affected(res, err))
}

// CreateReportNote adds a moderator's note to a report.
func (s *Store) CreateReportNote(ctx context.Context, n *model.ReportNote) error {
	n.ID = id.New()
	n.CreatedAt = time.Now()
	return wrap("create report note", s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO report_notes (id, report_id, account_id, content, created_at) VALUES (?,?,?,?,?)",
			n.ID, n.ReportID, n.AccountID, n.Content, ms(n.CreatedAt)); err != nil {
			if isForeignKeyViolation(err) {
				return storage.ErrNotFound
			}
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE reports SET updated_at = ? WHERE id = ?", ms(n.CreatedAt), n.ReportID)
		return err
	}))
}

func isForeignKeyViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

// ReportNotes lists a report's notes, oldest first.
func (s *Store) ReportNotes(ctx context.Context, reportID int64) ([]*model.ReportNote, error) {
	v, err := queryAll(ctx, s.r, "SELECT id, report_id, account_id, content, created_at FROM report_notes WHERE report_id = ? ORDER BY id",
		[]any{reportID}, func(r scanner) (*model.ReportNote, error) {
			var n model.ReportNote
			var created int64
			if err := r.Scan(&n.ID, &n.ReportID, &n.AccountID, &n.Content, &created); err != nil {
				return nil, err
			}
			n.CreatedAt = fromMs(created)
			return &n, nil
		})
	return v, wrap("report notes", err)
}

// DeleteReportNote deletes a note of a report.
func (s *Store) DeleteReportNote(ctx context.Context, reportID, noteID int64) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM report_notes WHERE id = ? AND report_id = ?", noteID, reportID)
	return wrap("delete report note", affected(res, err))
}
