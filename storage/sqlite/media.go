package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

const mediaColumns = `id, account_id, status_id, position, type, content_type, file_key, preview_key, file_size,
	meta, blurhash, description, focus_x, focus_y, remote_url, processing, cached_at, created_at, updated_at, history_status_id`

func scanMedia(row scanner) (*model.MediaAttachment, error) {
	var m model.MediaAttachment
	var status, cached, history sql.NullInt64
	var meta string
	var created, updated int64
	err := row.Scan(&m.ID, &m.AccountID, &status, &m.Position, &m.Type, &m.ContentType, &m.FileKey, &m.PreviewKey,
		&m.FileSize, &meta, &m.Blurhash, &m.Description, &m.FocusX, &m.FocusY, &m.RemoteURL, &m.Processing,
		&cached, &created, &updated, &history)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	m.StatusID, m.HistoryStatusID = status.Int64, history.Int64
	_ = json.Unmarshal([]byte(meta), &m.Meta)
	m.CachedAt = fromNullMs(cached)
	m.CreatedAt, m.UpdatedAt = fromMs(created), fromMs(updated)
	return &m, nil
}

func queryMedia(ctx context.Context, q queryer, query string, args ...any) ([]*model.MediaAttachment, error) {
	return queryAll(ctx, q, query, args, scanMedia)
}

func metaJSON(m model.MediaMeta) string {
	b, _ := json.Marshal(m)
	return string(b)
}

// CreateMedia inserts an attachment (setting its id when 0) and jobs, in
// one transaction.
func (s *Store) CreateMedia(ctx context.Context, m *model.MediaAttachment, jobs ...storage.Job) error {
	now := time.Now().UTC()
	if m.ID == 0 {
		m.ID = id.New()
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	m.UpdatedAt = now
	return wrap("create media", conflictOr(s.tx(ctx, func(tx *sql.Tx) error {
		if err := insertMediaIn(ctx, tx, m); err != nil {
			return err
		}
		return insertJobs(ctx, tx, jobs)
	})))
}

// insertMediaIn inserts an attachment row inside tx.
func insertMediaIn(ctx context.Context, tx *sql.Tx, m *model.MediaAttachment) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO media_attachments (id, account_id, status_id, position, type, content_type,
		file_key, preview_key, file_size, meta, blurhash, description, focus_x, focus_y, remote_url, processing, cached_at,
		created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		m.ID, m.AccountID, nullID(m.StatusID), m.Position, m.Type, m.ContentType, m.FileKey, m.PreviewKey, m.FileSize,
		metaJSON(m.Meta), m.Blurhash, m.Description, m.FocusX, m.FocusY, m.RemoteURL, m.Processing, msPtr(m.CachedAt),
		ms(m.CreatedAt), ms(m.UpdatedAt))
	return err
}

// UpdateMedia writes an attachment's mutable columns.
func (s *Store) UpdateMedia(ctx context.Context, m *model.MediaAttachment) error {
	m.UpdatedAt = time.Now().UTC()
	return wrap("update media", notFoundIfNone(s.w.ExecContext(ctx, `UPDATE media_attachments SET type = ?, content_type = ?, file_key = ?, preview_key = ?,
		file_size = ?, meta = ?, blurhash = ?, description = ?, focus_x = ?, focus_y = ?, remote_url = ?, processing = ?,
		cached_at = ?, updated_at = ? WHERE id = ?`,
		m.Type, m.ContentType, m.FileKey, m.PreviewKey, m.FileSize, metaJSON(m.Meta), m.Blurhash, m.Description,
		m.FocusX, m.FocusY, m.RemoteURL, m.Processing, msPtr(m.CachedAt), ms(m.UpdatedAt), m.ID)))
}

// UpdateMediaFile writes what processing or caching an attachment's file
// found, leaving its description and focus as they are now: an edit may
// have changed them while the file was fetched or processed.
func (s *Store) UpdateMediaFile(ctx context.Context, m *model.MediaAttachment) error {
	m.UpdatedAt = time.Now().UTC()
	return wrap("update media file", notFoundIfNone(s.w.ExecContext(ctx, `UPDATE media_attachments SET type = ?, content_type = ?,
		file_key = ?, preview_key = ?, file_size = ?, meta = ?, blurhash = ?, processing = ?, cached_at = ?, updated_at = ? WHERE id = ?`,
		m.Type, m.ContentType, m.FileKey, m.PreviewKey, m.FileSize, metaJSON(m.Meta), m.Blurhash, m.Processing,
		msPtr(m.CachedAt), ms(m.UpdatedAt), m.ID)))
}

// MediaByID returns one attachment.
func (s *Store) MediaByID(ctx context.Context, mediaID int64) (*model.MediaAttachment, error) {
	v, err := scanMedia(s.r.QueryRowContext(ctx, "SELECT "+mediaColumns+" FROM media_attachments WHERE id = ?", mediaID))
	return v, wrap("media by id", err)
}

// MediaOfStatuses returns the attachments of statuses in one query.
func (s *Store) MediaOfStatuses(ctx context.Context, statusIDs []int64) (map[int64][]*model.MediaAttachment, error) {
	out := map[int64][]*model.MediaAttachment{}
	statusIDs = dedupe(statusIDs)
	if len(statusIDs) == 0 {
		return out, nil
	}
	ms, err := queryMedia(ctx, s.r, "SELECT "+mediaColumns+" FROM media_attachments WHERE status_id IN ("+
		placeholders(len(statusIDs))+") ORDER BY status_id, position, id", int64Args(statusIDs)...)
	if err != nil {
		return nil, wrap("media of statuses", err)
	}
	for _, m := range ms {
		out[m.StatusID] = append(out[m.StatusID], m)
	}
	return out, nil
}

// MediaHistoryOf returns the attachments that edits removed from a status,
// kept for its edit history.
func (s *Store) MediaHistoryOf(ctx context.Context, statusID int64) ([]*model.MediaAttachment, error) {
	v, err := queryMedia(ctx, s.r, "SELECT "+mediaColumns+" FROM media_attachments WHERE history_status_id = ? ORDER BY id", statusID)
	return v, wrap("media history of", err)
}

// DeleteMedia deletes an attachment.
func (s *Store) DeleteMedia(ctx context.Context, mediaID int64) error {
	return wrap("delete media", notFoundIfNone(s.w.ExecContext(ctx, "DELETE FROM media_attachments WHERE id = ?", mediaID)))
}

// attachMedia attaches the author's unattached (or, with keep, already
// attached to this status) uploads to a status, in order.
func attachMedia(ctx context.Context, tx *sql.Tx, statusID, accountID int64, mediaIDs []int64) error {
	if len(mediaIDs) > storage.MaxStatusMedia {
		return storage.ErrMediaNotAttachable
	}
	seen := map[int64]bool{}
	for pos, mid := range mediaIDs {
		if seen[mid] {
			return storage.ErrMediaNotAttachable
		}
		seen[mid] = true
		// One removed by an earlier edit of this status may come back.
		res, err := tx.ExecContext(ctx, `UPDATE media_attachments SET status_id = ?, history_status_id = NULL, position = ?, updated_at = ?
			WHERE id = ? AND account_id = ? AND (status_id IS NULL OR status_id = ?)
			AND (history_status_id IS NULL OR history_status_id = ?)`,
			statusID, pos, ms(time.Now()), mid, accountID, statusID, statusID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return storage.ErrMediaNotAttachable
		}
	}
	return nil
}

// SetStatusMedia replaces a status's attachments.
func (s *Store) SetStatusMedia(ctx context.Context, statusID, accountID int64, mediaIDs []int64) error {
	return wrap("set status media", s.tx(ctx, func(tx *sql.Tx) error {
		return setStatusMediaIn(ctx, tx, statusID, accountID, mediaIDs, false)
	}))
}

// setStatusMediaIn replaces a status's attachments inside tx. Those it no
// longer has are deleted, or, after an edit (forHistory: its earlier
// version, which shows them, was just kept), kept for the edit history.
func setStatusMediaIn(ctx context.Context, tx *sql.Tx, statusID, accountID int64, mediaIDs []int64, forHistory bool) error {
	if err := attachMedia(ctx, tx, statusID, accountID, mediaIDs); err != nil {
		return err
	}
	return dropStatusMediaIn(ctx, tx, statusID, mediaIDs, forHistory)
}

// dropStatusMediaIn deletes a status's attachments other than keep, or
// detaches them for its edit history (forHistory).
func dropStatusMediaIn(ctx context.Context, tx *sql.Tx, statusID int64, keep []int64, forHistory bool) error {
	q := "DELETE FROM media_attachments WHERE status_id = ?"
	args := []any{statusID}
	if forHistory {
		q = "UPDATE media_attachments SET status_id = NULL, history_status_id = ?, position = 0, updated_at = ? WHERE status_id = ?"
		args = []any{statusID, ms(time.Now()), statusID}
	}
	if len(keep) > 0 {
		q += " AND id NOT IN (" + placeholders(len(keep)) + ")"
		args = append(args, int64Args(keep)...)
	}
	_, err := tx.ExecContext(ctx, q, args...)
	return err
}

// putRemoteMediaIn makes media (a remote status's attachments as its
// server describes them now, in order) the status's attachments, inside
// tx. One the status had (current, or kept for its history) is found by
// its remote URL and takes what the server says of it now (alt text,
// focus; type, size and blurhash only while its file is not cached), its
// cached files kept; the others are inserted. Ones the status no longer
// has are kept for its edit history. It sets each one's ID and returns
// the ids of those without a file yet.
func putRemoteMediaIn(ctx context.Context, tx *sql.Tx, statusID, accountID int64, media []*model.MediaAttachment) ([]int64, error) {
	type had struct {
		id     int64
		cached bool
	}
	known := map[string]had{}
	err := queryEach(ctx, tx, `SELECT id, remote_url, file_key FROM media_attachments WHERE status_id = ?
		UNION ALL SELECT id, remote_url, file_key FROM media_attachments WHERE history_status_id = ?`,
		[]any{statusID, statusID}, func(row scanner) error {
			var id int64
			var u, key string
			if err := row.Scan(&id, &u, &key); err != nil {
				return err
			}
			if _, dup := known[u]; !dup {
				known[u] = had{id, key != ""}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	var keep, uncached []int64
	for pos, m := range media {
		m.AccountID, m.StatusID, m.HistoryStatusID, m.Position, m.UpdatedAt = accountID, statusID, 0, pos, now
		if h, ok := known[m.RemoteURL]; ok && m.RemoteURL != "" {
			m.ID = h.id
			meta := ""
			if m.Meta.Original != nil {
				meta = metaJSON(m.Meta)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE media_attachments SET status_id = ?, history_status_id = NULL, position = ?,
				description = ?, focus_x = ?, focus_y = ?,
				type = CASE WHEN file_key = '' THEN ? ELSE type END,
				content_type = CASE WHEN file_key = '' THEN ? ELSE content_type END,
				meta = CASE WHEN file_key = '' AND ? <> '' THEN ? ELSE meta END,
				blurhash = CASE WHEN file_key = '' OR blurhash = '' THEN ? ELSE blurhash END,
				updated_at = ? WHERE id = ? AND account_id = ?`,
				statusID, pos, m.Description, m.FocusX, m.FocusY, m.Type, m.ContentType, meta, meta, m.Blurhash,
				ms(now), m.ID, accountID); err != nil {
				return nil, err
			}
			if !h.cached {
				uncached = append(uncached, m.ID)
			}
		} else {
			if m.ID == 0 {
				m.ID = id.New()
			}
			if m.CreatedAt.IsZero() {
				m.CreatedAt = now
			}
			if err := insertMediaIn(ctx, tx, m); err != nil {
				return nil, err
			}
			uncached = append(uncached, m.ID)
		}
		keep = append(keep, m.ID)
	}
	return uncached, dropStatusMediaIn(ctx, tx, statusID, keep, true)
}

// UnattachedMediaBefore lists old uploads that were never attached and
// old orphaned remote attachments.
func (s *Store) UnattachedMediaBefore(ctx context.Context, t time.Time, limit int) ([]int64, error) {
	// updated_at: an upload is kept a day from when it was last changed
	// or detached (a deleted status's media, kept for a redraft).
	v, err := queryColumn[int64](ctx, s.r, `SELECT id FROM media_attachments WHERE status_id IS NULL AND scheduled_status_id IS NULL
		AND history_status_id IS NULL AND updated_at < ? ORDER BY updated_at LIMIT ?`,
		ms(t), limit)
	return v, wrap("unattached media before", err)
}

// CachedRemoteMediaBefore lists remote attachments cached before t.
func (s *Store) CachedRemoteMediaBefore(ctx context.Context, t time.Time, limit int) ([]*model.MediaAttachment, error) {
	v, err := queryMedia(ctx, s.r, "SELECT "+mediaColumns+` FROM media_attachments WHERE cached_at IS NOT NULL
		AND cached_at < ? AND remote_url <> '' ORDER BY cached_at LIMIT ?`, ms(t), limit)
	return v, wrap("cached remote media before", err)
}

// keyUnnamed holds when no row names the file key media_garbage.key: it
// looks in every column that holds file keys (migration 0007), each by its
// partial index of non-empty keys (migration 0015), which SQLite uses only
// when the query repeats the index's condition.
const keyUnnamed = `NOT EXISTS (SELECT 1 FROM media_attachments WHERE file_key = media_garbage.key AND file_key <> '')
	AND NOT EXISTS (SELECT 1 FROM media_attachments WHERE preview_key = media_garbage.key AND preview_key <> '')
	AND NOT EXISTS (SELECT 1 FROM account_media WHERE file_key = media_garbage.key AND file_key <> '')
	AND NOT EXISTS (SELECT 1 FROM custom_emojis WHERE file_key = media_garbage.key AND file_key <> '')
	AND NOT EXISTS (SELECT 1 FROM custom_emojis WHERE static_key = media_garbage.key AND static_key <> '')
	AND NOT EXISTS (SELECT 1 FROM preview_cards WHERE image_key = media_garbage.key AND image_key <> '')`

// MediaGarbage lists keys of files to delete: garbage for longer than the
// grace period, and named by no row. Keys named again leave the list first.
func (s *Store) MediaGarbage(ctx context.Context, now time.Time, limit int) ([]string, error) {
	cutoff := ms(now.Add(-storage.MediaGarbageGrace))
	var keys []string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// A row written back from an old copy names its key again: the key
		// is no garbage, and if a row drops it later the trigger lists it
		// anew, with a new grace period.
		if _, err := tx.ExecContext(ctx, "DELETE FROM media_garbage WHERE added_at < ? AND NOT ("+keyUnnamed+")", cutoff); err != nil {
			return err
		}
		var err error
		keys, err = queryColumn[string](ctx, tx, "SELECT key FROM media_garbage WHERE added_at < ? ORDER BY added_at LIMIT ?",
			cutoff, limit)
		return err
	})
	return keys, wrap("media garbage", err)
}

// ReleasedMediaGarbage returns those of keys that are garbage and named by
// no row, at once (the caller vouches that nothing can name them again).
func (s *Store) ReleasedMediaGarbage(ctx context.Context, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	v, err := queryColumn[string](ctx, s.r, "SELECT key FROM media_garbage WHERE key IN ("+placeholders(len(keys))+") AND "+
		keyUnnamed, args...)
	return v, wrap("released media garbage", err)
}

// ForgetMediaGarbage removes keys whose files are gone.
func (s *Store) ForgetMediaGarbage(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	_, err := s.w.ExecContext(ctx, "DELETE FROM media_garbage WHERE key IN ("+placeholders(len(keys))+")", args...)
	return wrap("forget media garbage", err)
}

// AccountMedia returns an account's avatar or header file.
func (s *Store) AccountMedia(ctx context.Context, accountID int64, kind string) (*model.AccountMedia, error) {
	var am model.AccountMedia
	var cached sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT account_id, kind, remote_url, file_key, content_type, cached_at
		FROM account_media WHERE account_id = ? AND kind = ?`, accountID, kind).
		Scan(&am.AccountID, &am.Kind, &am.RemoteURL, &am.FileKey, &am.ContentType, &cached)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, wrap("account media", storage.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("account media", err)
	}
	am.CachedAt = fromNullMs(cached)
	return &am, nil
}

// SetAccountMedia stores an avatar or header file (and, for local
// accounts, its URL on the account).
func (s *Store) SetAccountMedia(ctx context.Context, am *model.AccountMedia, url string, events []model.OutboxEvent) error {
	col := "avatar_url"
	switch am.Kind {
	case "avatar":
	case "header":
		col = "header_url"
	default:
		return wrap("set account media", errors.New("sqlite: account media kind must be avatar or header"))
	}
	return wrap("set account media", s.tx(ctx, func(tx *sql.Tx) error {
		local, err := accountIsLocal(ctx, tx, am.AccountID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO account_media (account_id, kind, remote_url, file_key, content_type, cached_at)
			VALUES (?,?,?,?,?,?) ON CONFLICT(account_id, kind) DO UPDATE SET remote_url = excluded.remote_url,
			file_key = excluded.file_key, content_type = excluded.content_type, cached_at = excluded.cached_at`,
			am.AccountID, am.Kind, am.RemoteURL, am.FileKey, am.ContentType, msPtr(am.CachedAt)); err != nil {
			return err
		}
		if local {
			if _, err := tx.ExecContext(ctx, "UPDATE accounts SET "+col+" = ?, updated_at = ? WHERE id = ?",
				url, ms(time.Now()), am.AccountID); err != nil {
				return err
			}
		}
		return insertEvents(ctx, tx, events)
	}))
}

// UncacheAccountMediaBefore forgets cached remote avatars and headers.
func (s *Store) UncacheAccountMediaBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM account_media WHERE (account_id, kind) IN (SELECT m.account_id, m.kind
		FROM account_media m JOIN accounts a ON a.id = m.account_id AND a.domain <> ''
		WHERE m.cached_at IS NOT NULL AND m.cached_at < ? LIMIT ?)`, ms(t), limit)
	if err != nil {
		return 0, wrap("uncache account media before", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
