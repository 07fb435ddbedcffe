package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

const scheduledColumns = "id, account_id, scheduled_at, params, app_id, created_at"

func scanScheduled(row scanner) (*model.ScheduledStatus, error) {
	var ss model.ScheduledStatus
	var at, created int64
	if err := row.Scan(&ss.ID, &ss.AccountID, &at, &ss.Params, &ss.AppID, &created); err != nil {
		return nil, err
	}
	ss.ScheduledAt, ss.CreatedAt = fromMs(at), fromMs(created)
	var p struct {
		MediaIDs []string `json:"media_ids"`
	}
	_ = json.Unmarshal([]byte(ss.Params), &p)
	for _, v := range p.MediaIDs {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			ss.MediaIDs = append(ss.MediaIDs, n)
		}
	}
	return &ss, nil
}

// checkScheduledDaily refuses a day (UTC) that holds maxDaily posts
// already (other than skip).
func checkScheduledDaily(ctx context.Context, tx *sql.Tx, accountID int64, at time.Time, maxDaily int, skip int64) error {
	day := at.UTC().Truncate(24 * time.Hour)
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM scheduled_statuses WHERE account_id = ? AND id <> ?
		AND scheduled_at >= ? AND scheduled_at < ?`, accountID, skip, ms(day), ms(day.Add(24*time.Hour))).Scan(&n); err != nil {
		return err
	}
	if n >= maxDaily {
		return storage.ErrScheduledLimit
	}
	return nil
}

// CreateScheduledStatus stores a scheduled post with its job.
func (s *Store) CreateScheduledStatus(ctx context.Context, ss *model.ScheduledStatus, job storage.Job, maxTotal, maxDaily int) error {
	return wrap("create scheduled status", s.tx(ctx, func(tx *sql.Tx) error {
		// The limits count what is scheduled: an account's schedulings take turns.
		if err := s.serialize(ctx, tx, "scheduled:"+strconv.FormatInt(ss.AccountID, 10)); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM scheduled_statuses WHERE account_id = ?", ss.AccountID).Scan(&n); err != nil {
			return err
		}
		if n >= maxTotal {
			return storage.ErrScheduledLimit
		}
		if err := checkScheduledDaily(ctx, tx, ss.AccountID, ss.ScheduledAt, maxDaily, 0); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO scheduled_statuses ("+scheduledColumns+") VALUES (?,?,?,?,?,?)",
			ss.ID, ss.AccountID, ms(ss.ScheduledAt), ss.Params, ss.AppID, ms(ss.CreatedAt)); err != nil {
			return err
		}
		for _, mid := range ss.MediaIDs {
			res, err := tx.ExecContext(ctx, `UPDATE media_attachments SET scheduled_status_id = ?
				WHERE id = ? AND account_id = ? AND status_id IS NULL AND scheduled_status_id IS NULL AND history_status_id IS NULL`, ss.ID, mid, ss.AccountID)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return storage.ErrMediaNotAttachable
			}
		}
		return insertJobs(ctx, tx, []storage.Job{job})
	}))
}

// ScheduledStatusByID loads one scheduled post.
func (s *Store) ScheduledStatusByID(ctx context.Context, id int64) (*model.ScheduledStatus, error) {
	ss, err := scanScheduled(s.r.QueryRowContext(ctx, "SELECT "+scheduledColumns+" FROM scheduled_statuses WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		err = storage.ErrNotFound
	}
	if err != nil {
		return nil, wrap("scheduled status by id", err)
	}
	return ss, nil
}

// ScheduledStatuses pages through an account's scheduled posts by id.
func (s *Store) ScheduledStatuses(ctx context.Context, accountID int64, p model.Page) ([]*model.ScheduledStatus, error) {
	out, err := queryPage(ctx, s.r, "SELECT "+scheduledColumns+" FROM scheduled_statuses WHERE account_id = ?",
		[]any{accountID}, "id", p, scanScheduled)
	return out, wrap("scheduled statuses", err)
}

// RescheduleStatus moves a scheduled post and its waiting job. A job that
// is running now keeps its row; it finds the new time and waits for it.
func (s *Store) RescheduleStatus(ctx context.Context, id int64, at time.Time, job storage.Job, maxDaily int) error {
	return wrap("reschedule status", s.tx(ctx, func(tx *sql.Tx) error {
		var accountID int64
		err := tx.QueryRowContext(ctx, "SELECT account_id FROM scheduled_statuses WHERE id = ?", id).Scan(&accountID)
		if errors.Is(err, sql.ErrNoRows) {
			return storage.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := s.serialize(ctx, tx, "scheduled:"+strconv.FormatInt(accountID, 10)); err != nil {
			return err
		}
		if err := checkScheduledDaily(ctx, tx, accountID, at, maxDaily, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE scheduled_statuses SET scheduled_at = ? WHERE id = ?", ms(at), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM jobs WHERE unique_key = ? AND locked_by = ''", job.UniqueKey); err != nil {
			return err
		}
		return insertJobs(ctx, tx, []storage.Job{job})
	}))
}

// DeleteScheduledStatus deletes a scheduled post and its waiting job (its
// uploads are let go by the foreign key).
func (s *Store) DeleteScheduledStatus(ctx context.Context, id int64, jobKey string) error {
	return wrap("delete scheduled status", s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM scheduled_statuses WHERE id = ?", id)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return storage.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM jobs WHERE unique_key = ? AND locked_by = ''", jobKey)
		return err
	}))
}
