package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

const emojiColumns = `id, shortcode, domain, uri, image_remote_url, file_key, static_key, content_type, category,
	visible_in_picker, disabled, cached_at, created_at, updated_at`

func scanEmoji(row scanner) (*model.CustomEmoji, error) {
	var e model.CustomEmoji
	var cached sql.NullInt64
	var created, updated int64
	err := row.Scan(&e.ID, &e.Shortcode, &e.Domain, &e.URI, &e.ImageRemoteURL, &e.FileKey, &e.StaticKey, &e.ContentType,
		&e.Category, &e.VisibleInPicker, &e.Disabled, &cached, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	e.CachedAt = fromNullMs(cached)
	e.CreatedAt, e.UpdatedAt = fromMs(created), fromMs(updated)
	return &e, nil
}

// CreateEmoji inserts an emoji; ErrConflict when the shortcode is taken.
func (s *Store) CreateEmoji(ctx context.Context, e *model.CustomEmoji) error {
	now := time.Now().UTC()
	if e.ID == 0 {
		e.ID = id.New()
	}
	e.CreatedAt, e.UpdatedAt = now, now
	_, err := s.w.ExecContext(ctx, `INSERT INTO custom_emojis (id, shortcode, domain, uri, image_remote_url, file_key,
		static_key, content_type, category, visible_in_picker, disabled, cached_at, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		e.ID, e.Shortcode, e.Domain, e.URI, e.ImageRemoteURL, e.FileKey, e.StaticKey, e.ContentType, e.Category,
		b2i(e.VisibleInPicker), b2i(e.Disabled), msPtr(e.CachedAt), ms(now), ms(now))
	return wrap("create emoji", conflictOr(err))
}

// UpsertRemoteEmoji creates or updates a remote emoji by (shortcode,
// domain); when the image URL changed, the cached file is dropped.
func (s *Store) UpsertRemoteEmoji(ctx context.Context, e *model.CustomEmoji) error {
	now := time.Now().UTC()
	return wrap("upsert remote emoji", s.tx(ctx, func(tx *sql.Tx) error {
		ex, err := scanEmoji(tx.QueryRowContext(ctx, "SELECT "+emojiColumns+" FROM custom_emojis WHERE shortcode = ? AND domain = ?",
			e.Shortcode, e.Domain))
		if errors.Is(err, storage.ErrNotFound) {
			if e.ID == 0 {
				e.ID = id.New()
			}
			e.CreatedAt, e.UpdatedAt = now, now
			_, err := tx.ExecContext(ctx, `INSERT INTO custom_emojis (id, shortcode, domain, uri, image_remote_url,
				visible_in_picker, created_at, updated_at) VALUES (?,?,?,?,?,0,?,?)`,
				e.ID, e.Shortcode, e.Domain, e.URI, e.ImageRemoteURL, ms(now), ms(now))
			return err
		}
		if err != nil {
			return err
		}
		e.ID, e.CreatedAt = ex.ID, ex.CreatedAt
		if ex.ImageRemoteURL == e.ImageRemoteURL && ex.URI == e.URI {
			*e = *ex
			return nil
		}
		e.UpdatedAt = now
		_, err = tx.ExecContext(ctx, `UPDATE custom_emojis SET uri = ?, image_remote_url = ?, file_key = '', static_key = '',
			content_type = '', cached_at = NULL, updated_at = ? WHERE id = ?`, e.URI, e.ImageRemoteURL, ms(now), ex.ID)
		e.FileKey, e.StaticKey, e.ContentType, e.CachedAt = "", "", "", nil
		return err
	}))
}

// UpdateEmoji writes an emoji's mutable columns.
func (s *Store) UpdateEmoji(ctx context.Context, e *model.CustomEmoji) error {
	e.UpdatedAt = time.Now().UTC()
	res, err := s.w.ExecContext(ctx, `UPDATE custom_emojis SET shortcode = ?, uri = ?, image_remote_url = ?, file_key = ?,
		static_key = ?, content_type = ?, category = ?, visible_in_picker = ?, disabled = ?, cached_at = ?, updated_at = ?
		WHERE id = ?`, e.Shortcode, e.URI, e.ImageRemoteURL, e.FileKey, e.StaticKey, e.ContentType, e.Category,
		b2i(e.VisibleInPicker), b2i(e.Disabled), msPtr(e.CachedAt), ms(e.UpdatedAt), e.ID)
	return wrap("update emoji", affected(res, err))
}

// DeleteEmoji deletes an emoji (its files become garbage).
func (s *Store) DeleteEmoji(ctx context.Context, emojiID int64) error {
	return wrap("delete emoji", notFoundIfNone(s.w.ExecContext(ctx, "DELETE FROM custom_emojis WHERE id = ?", emojiID)))
}

// EmojiByID returns one emoji.
func (s *Store) EmojiByID(ctx context.Context, emojiID int64) (*model.CustomEmoji, error) {
	v, err := scanEmoji(s.r.QueryRowContext(ctx, "SELECT "+emojiColumns+" FROM custom_emojis WHERE id = ?", emojiID))
	return v, wrap("emoji by id", err)
}

// EmojiByShortcode returns the emoji of a domain ("" local) by shortcode.
func (s *Store) EmojiByShortcode(ctx context.Context, shortcode, domain string) (*model.CustomEmoji, error) {
	v, err := scanEmoji(s.r.QueryRowContext(ctx, "SELECT "+emojiColumns+" FROM custom_emojis WHERE shortcode = ? AND domain = ?",
		shortcode, domain))
	return v, wrap("emoji by shortcode", err)
}

// EmojisOfDomain lists a domain's emoji by shortcode.
func (s *Store) EmojisOfDomain(ctx context.Context, domain string) ([]*model.CustomEmoji, error) {
	v, err := queryAll(ctx, s.r, "SELECT "+emojiColumns+" FROM custom_emojis WHERE domain = ? ORDER BY shortcode", []any{domain}, scanEmoji)
	return v, wrap("emojis of domain", err)
}

// UncacheRemoteEmojisBefore forgets the cached files of remote emoji.
func (s *Store) UncacheRemoteEmojisBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE custom_emojis SET file_key = '', static_key = '', content_type = '', cached_at = NULL
		WHERE id IN (SELECT id FROM custom_emojis WHERE domain <> '' AND cached_at IS NOT NULL AND cached_at < ? LIMIT ?)`,
		ms(t), limit)
	if err != nil {
		return 0, wrap("uncache remote emojis before", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// FindEmojis pages through emoji by (domain, shortcode) (index
// custom_emojis_domain_shortcode); a shortcode query scans that index.
func (s *Store) FindEmojis(ctx context.Context, f storage.EmojiFilter) ([]*model.CustomEmoji, error) {
	q := "SELECT " + emojiColumns + " FROM custom_emojis WHERE 1=1"
	var args []any
	switch {
	case f.Domain != "":
		q += " AND domain = ?"
		args = append(args, f.Domain)
	case f.Origin == "local":
		q += " AND domain = ''"
	case f.Origin == "remote":
		q += " AND domain > ''"
	}
	if f.Category != "" {
		q += " AND domain = '' AND category = ?"
		args = append(args, f.Category)
	}
	if f.Query != "" {
		q += " AND instr(lower(shortcode), lower(?)) > 0"
		args = append(args, f.Query)
	}
	if f.After {
		q += " AND (domain > ? OR (domain = ? AND shortcode > ?))"
		args = append(args, f.AfterDomain, f.AfterDomain, f.AfterShortcode)
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	q += " ORDER BY domain, shortcode LIMIT ?"
	args = append(args, limit)
	v, err := queryAll(ctx, s.r, q, args, scanEmoji)
	return v, wrap("find emojis", err)
}

// EmojiCategories lists the categories of local emoji (index
// custom_emojis_local_category).
func (s *Store) EmojiCategories(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT DISTINCT category FROM custom_emojis WHERE domain = '' AND category <> '' ORDER BY category LIMIT 500")
	if err != nil {
		return nil, wrap("emoji categories", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, wrap("emoji categories", err)
		}
		out = append(out, c)
	}
	return out, wrap("emoji categories", rows.Err())
}
