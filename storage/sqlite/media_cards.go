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

const cardColumns = `id, url, title, description, type, author_name, author_url, provider_name, provider_url, html,
	embed_url, language, width, height, image_key, image_remote_url, blurhash, published_at, fetched_at, failed`

func scanCard(row scanner, extra ...any) (*model.PreviewCard, error) {
	var c model.PreviewCard
	var published sql.NullInt64
	var fetched int64
	dest := []any{&c.ID, &c.URL, &c.Title, &c.Description, &c.Type, &c.AuthorName, &c.AuthorURL, &c.ProviderName,
		&c.ProviderURL, &c.HTML, &c.EmbedURL, &c.Language, &c.Width, &c.Height, &c.ImageKey, &c.ImageRemoteURL,
		&c.Blurhash, &published, &fetched, &c.Failed}
	err := row.Scan(append(dest, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c.PublishedAt = fromNullMs(published)
	c.FetchedAt = fromMs(fetched)
	return &c, nil
}

// CardByURL returns the card of a URL.
func (s *Store) CardByURL(ctx context.Context, url string) (*model.PreviewCard, error) {
	v, err := scanCard(s.r.QueryRowContext(ctx, "SELECT "+cardColumns+" FROM preview_cards WHERE url = ?", url))
	return v, wrap("card by url", err)
}

// CardByID returns a card.
func (s *Store) CardByID(ctx context.Context, cardID int64) (*model.PreviewCard, error) {
	v, err := scanCard(s.r.QueryRowContext(ctx, "SELECT "+cardColumns+" FROM preview_cards WHERE id = ?", cardID))
	return v, wrap("card by id", err)
}

// UpsertCard creates or replaces the card of c.URL.
func (s *Store) UpsertCard(ctx context.Context, c *model.PreviewCard) error {
	if c.FetchedAt.IsZero() {
		c.FetchedAt = time.Now().UTC()
	}
	newID := id.New()
	return wrap("upsert card", s.w.QueryRowContext(ctx, `INSERT INTO preview_cards (id, url, title, description, type, author_name, author_url,
		provider_name, provider_url, html, embed_url, language, width, height, image_key, image_remote_url, blurhash,
		published_at, fetched_at, failed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT(url) DO UPDATE SET title = excluded.title, description = excluded.description, type = excluded.type,
		author_name = excluded.author_name, author_url = excluded.author_url, provider_name = excluded.provider_name,
		provider_url = excluded.provider_url, html = excluded.html, embed_url = excluded.embed_url,
		language = excluded.language, width = excluded.width, height = excluded.height, image_key = excluded.image_key,
		image_remote_url = excluded.image_remote_url, blurhash = excluded.blurhash, published_at = excluded.published_at,
		fetched_at = excluded.fetched_at, failed = excluded.failed
		RETURNING id`,
		newID, c.URL, c.Title, c.Description, c.Type, c.AuthorName, c.AuthorURL, c.ProviderName, c.ProviderURL, c.HTML,
		c.EmbedURL, c.Language, c.Width, c.Height, c.ImageKey, c.ImageRemoteURL, c.Blurhash, msPtr(c.PublishedAt),
		ms(c.FetchedAt), b2i(c.Failed)).Scan(&c.ID))
}

// SetStatusCard links a status to its card (replacing any earlier one).
func (s *Store) SetStatusCard(ctx context.Context, statusID, cardID int64) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO status_cards (status_id, card_id) SELECT ?, ? WHERE EXISTS
		(SELECT 1 FROM statuses WHERE id = ?) ON CONFLICT(status_id) DO UPDATE SET card_id = excluded.card_id`,
		statusID, cardID, statusID)
	return wrap("set status card", err)
}

// CardsOfStatuses returns the (non-failed) cards of statuses in one query.
func (s *Store) CardsOfStatuses(ctx context.Context, statusIDs []int64) (map[int64]*model.PreviewCard, error) {
	out := map[int64]*model.PreviewCard{}
	statusIDs = dedupe(statusIDs)
	if len(statusIDs) == 0 {
		return out, nil
	}
	err := queryEach(ctx, s.r, `SELECT `+prefixed("c.", cardColumns)+`, sc.status_id FROM status_cards sc
		JOIN preview_cards c ON c.id = sc.card_id WHERE c.failed = 0 AND sc.status_id IN (`+placeholders(len(statusIDs))+`)`,
		int64Args(statusIDs), func(row scanner) error {
			var sid int64
			c, err := scanCard(row, &sid)
			if err != nil {
				return err
			}
			out[sid] = c
			return nil
		})
	return out, wrap("cards of statuses", err)
}

// UncacheCardImagesBefore forgets card images fetched before t.
func (s *Store) UncacheCardImagesBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE preview_cards SET image_key = '' WHERE id IN
		(SELECT id FROM preview_cards WHERE image_key <> '' AND fetched_at < ? LIMIT ?)`, ms(t), limit)
	if err != nil {
		return 0, wrap("uncache card images before", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// prefixed puts p before every column of a comma-separated list.
func prefixed(p, cols string) string {
	out := []byte{}
	start := true
	for i := 0; i < len(cols); i++ {
		c := cols[i]
		if start && c != ' ' && c != '\n' && c != '\t' {
			out = append(out, p...)
			start = false
		}
		out = append(out, c)
		if c == ',' {
			start = true
		}
	}
	return string(out)
}
