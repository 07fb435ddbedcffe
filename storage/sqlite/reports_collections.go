package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/storage"
)

// Annual reports and collections.

// AnnualReportStats counts what an annual report shows for an account's
// statuses with ids in [minID, maxID) (a year: statuses_account's range).
func (s *Store) AnnualReportStats(ctx context.Context, accountID, minID, maxID int64) (*storage.AnnualReportStats, error) {
	st := &storage.AnnualReportStats{StatusesByMonth: map[int]int64{}, FollowersByMonth: map[int]int64{}}
	err := s.r.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(CASE WHEN reblog_of_id IS NULL AND (in_reply_to_id IS NULL OR in_reply_to_account_id = account_id) THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN in_reply_to_id IS NOT NULL AND in_reply_to_account_id <> account_id THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN reblog_of_id IS NOT NULL THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM polls p WHERE p.status_id = statuses.id) THEN 1 ELSE 0 END), 0)
		FROM statuses WHERE account_id = ? AND id >= ? AND id < ?`, accountID, minID, maxID).
		Scan(&st.Standalone, &st.Replies, &st.Reblogs, &st.Polls)
	if err != nil {
		return nil, wrap("annual report stats", err)
	}
	// Per month: twelve counts, each a range of the indexes.
	start := time.UnixMilli(id.Time(minID).UnixMilli()).UTC()
	for m := 1; m <= 12; m++ {
		from := time.Date(start.Year(), time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		lo, hi := max(id.Min(from), minID), min(id.Min(from.AddDate(0, 1, 0)), maxID)
		if lo >= hi {
			continue
		}
		var n, f int64
		if err := s.r.QueryRowContext(ctx, `SELECT
				(SELECT COUNT(*) FROM statuses WHERE account_id = ? AND id >= ? AND id < ?),
				(SELECT COUNT(*) FROM follows WHERE target_id = ? AND id >= ? AND id < ?)`,
			accountID, lo, hi, accountID, lo, hi).Scan(&n, &f); err != nil {
			return nil, wrap("annual report stats", err)
		}
		st.StatusesByMonth[m], st.FollowersByMonth[m] = n, f
	}
	st.TopTags, err = queryAll(ctx, s.r, `SELECT t.name, COUNT(*) n FROM statuses s JOIN status_tags st ON st.status_id = s.id
		JOIN tags t ON t.id = st.tag_id WHERE s.account_id = ? AND s.id >= ? AND s.id < ? AND s.reblog_of_id IS NULL
		GROUP BY t.name ORDER BY n DESC, t.name LIMIT 5`, []any{accountID, minID, maxID}, func(r scanner) (storage.KeyCount, error) {
		var k storage.KeyCount
		return k, r.Scan(&k.Key, &k.Value)
	})
	if err != nil {
		return nil, wrap("annual report stats", err)
	}
	for col, dst := range map[string]*int64{"reblogs_count": &st.TopByReblogs, "replies_count": &st.TopByReplies,
		"favourites_count": &st.TopByFavourites} {
		err := s.r.QueryRowContext(ctx, `SELECT id FROM statuses WHERE account_id = ? AND id >= ? AND id < ?
			AND reblog_of_id IS NULL AND `+col+` > 0 ORDER BY `+col+` DESC, id DESC LIMIT 1`, accountID, minID, maxID).Scan(dst)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, wrap("annual report stats", err)
		}
	}
	return st, nil
}

// CountStatusesBetween counts an account's statuses with ids in [minID, maxID).
func (s *Store) CountStatusesBetween(ctx context.Context, accountID, minID, maxID int64) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM statuses WHERE account_id = ? AND id >= ? AND id < ?",
		accountID, minID, maxID).Scan(&n)
	return n, wrap("count statuses between", err)
}

// SaveAnnualReport stores a report unless one exists.
func (s *Store) SaveAnnualReport(ctx context.Context, r *storage.AnnualReport) (bool, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO annual_reports (account_id, year, schema_version, data, share_key, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, year) DO NOTHING`,
		r.AccountID, r.Year, r.SchemaVersion, r.Data, r.ShareKey, ms(r.CreatedAt))
	if err != nil {
		return false, wrap("save annual report", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// AnnualReports lists an account's reports (year 0: all), oldest first.
func (s *Store) AnnualReports(ctx context.Context, accountID int64, year int) ([]*storage.AnnualReport, error) {
	q := `SELECT account_id, year, schema_version, data, share_key, viewed_at, created_at FROM annual_reports WHERE account_id = ?`
	args := []any{accountID}
	if year != 0 {
		q += " AND year = ?"
		args = append(args, year)
	}
	out, err := queryAll(ctx, s.r, q+" ORDER BY year", args, func(r scanner) (*storage.AnnualReport, error) {
		var a storage.AnnualReport
		var viewed sql.NullInt64
		var created int64
		err := r.Scan(&a.AccountID, &a.Year, &a.SchemaVersion, &a.Data, &a.ShareKey, &viewed, &created)
		a.ViewedAt, a.CreatedAt = fromNullMs(viewed), fromMs(created)
		return &a, err
	})
	return out, wrap("annual reports", err)
}

// MarkAnnualReportViewed marks a report read; false when there is none.
func (s *Store) MarkAnnualReportViewed(ctx context.Context, accountID int64, year int, at time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, "UPDATE annual_reports SET viewed_at = ? WHERE account_id = ? AND year = ?", ms(at), accountID, year)
	if err != nil {
		return false, wrap("mark annual report viewed", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

const collectionColumns = `c.id, c.account_id, c.name, c.description, c.language, COALESCE(c.tag_id, 0), COALESCE(t.name, ''),
	c.sensitive, c.discoverable, (SELECT COUNT(*) FROM collection_items i WHERE i.collection_id = c.id AND i.state = 'accepted'),
	c.created_at, c.updated_at`

const collectionFrom = ` FROM collections c LEFT JOIN tags t ON t.id = c.tag_id `

func scanCollection(r scanner) (*storage.Collection, error) {
	var c storage.Collection
	var created, updated int64
	var sensitive, discoverable int
	err := r.Scan(&c.ID, &c.AccountID, &c.Name, &c.Description, &c.Language, &c.TagID, &c.TagName, &sensitive, &discoverable,
		&c.ItemCount, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	c.Sensitive, c.Discoverable = sensitive == 1, discoverable == 1
	c.CreatedAt, c.UpdatedAt = fromMs(created), fromMs(updated)
	return &c, err
}

// CreateCollection stores a collection with its first accounts.
func (s *Store) CreateCollection(ctx context.Context, c *storage.Collection, accountIDs []int64) error {
	return wrap("create collection", s.tx(ctx, func(tx *sql.Tx) error {
		if c.ID == 0 {
			c.ID = id.At(c.CreatedAt)
		}
		var tag any
		if c.TagName != "" {
			tid, err := ensureTag(ctx, tx, strings.ToLower(c.TagName))
			if err != nil {
				return err
			}
			tag, c.TagID = tid, tid
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO collections (id, account_id, name, description, language, tag_id, sensitive,
			discoverable, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.AccountID, c.Name, c.Description,
			c.Language, tag, b2i(c.Sensitive), b2i(c.Discoverable), ms(c.CreatedAt), ms(c.UpdatedAt)); err != nil {
			return err
		}
		for i, aid := range accountIDs {
			res, err := tx.ExecContext(ctx, `INSERT INTO collection_items (id, collection_id, account_id, state, position, created_at)
				SELECT ?, ?, id, 'accepted', ?, ? FROM accounts WHERE id = ? ON CONFLICT (collection_id, account_id) DO NOTHING`,
				id.At(c.CreatedAt), c.ID, i, ms(c.CreatedAt), aid)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return storage.ErrNotFound
			}
		}
		c.ItemCount = len(accountIDs)
		return nil
	}))
}

// Collection loads a collection.
func (s *Store) Collection(ctx context.Context, cid int64) (*storage.Collection, error) {
	c, err := scanCollection(s.r.QueryRowContext(ctx, "SELECT "+collectionColumns+collectionFrom+"WHERE c.id = ?", cid))
	return c, wrap("collection", err)
}

// UpdateCollection changes a collection.
func (s *Store) UpdateCollection(ctx context.Context, cid int64, u storage.CollectionUpdate, at time.Time) error {
	return wrap("update collection", s.tx(ctx, func(tx *sql.Tx) error {
		sets, args := []string{"updated_at = ?"}, []any{ms(at)}
		for col, v := range map[string]*string{"name": u.Name, "description": u.Description, "language": u.Language} {
			if v != nil {
				sets, args = append(sets, col+" = ?"), append(args, *v)
			}
		}
		for col, v := range map[string]*bool{"sensitive": u.Sensitive, "discoverable": u.Discoverable} {
			if v != nil {
				sets, args = append(sets, col+" = ?"), append(args, b2i(*v))
			}
		}
		if u.TagName != nil {
			var tag any
			if *u.TagName != "" {
				tid, err := ensureTag(ctx, tx, strings.ToLower(*u.TagName))
				if err != nil {
					return err
				}
				tag = tid
			}
			sets, args = append(sets, "tag_id = ?"), append(args, tag)
		}
		res, err := tx.ExecContext(ctx, "UPDATE collections SET "+strings.Join(sets, ", ")+" WHERE id = ?", append(args, cid)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return storage.ErrNotFound
		}
		return nil
	}))
}

// DeleteCollection deletes a collection and its items.
func (s *Store) DeleteCollection(ctx context.Context, cid int64) error {
	return wrap("delete collection", s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM collection_items WHERE collection_id = ?", cid); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM collections WHERE id = ?", cid)
		return err
	}))
}

// CountCollections counts an account's collections.
func (s *Store) CountCollections(ctx context.Context, accountID int64) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM collections WHERE account_id = ?", accountID).Scan(&n)
	return n, wrap("count collections", err)
}

// AccountCollections lists an account's collections, newest first.
func (s *Store) AccountCollections(ctx context.Context, accountID int64, discoverableOnly bool, offset, limit int) ([]*storage.Collection, error) {
	q := "SELECT " + collectionColumns + collectionFrom + "WHERE c.account_id = ?"
	if discoverableOnly {
		q += " AND c.discoverable = 1"
	}
	out, err := queryAll(ctx, s.r, q+" ORDER BY c.id DESC LIMIT ? OFFSET ?", []any{accountID, limit, offset}, scanCollection)
	return out, wrap("account collections", err)
}

// CollectionsFeaturing lists the collections featuring an account.
func (s *Store) CollectionsFeaturing(ctx context.Context, accountID int64, offset, limit int) ([]*storage.Collection, error) {
	out, err := queryAll(ctx, s.r, "SELECT "+collectionColumns+collectionFrom+`JOIN collection_items x ON x.collection_id = c.id
		WHERE x.account_id = ? AND x.state = 'accepted' ORDER BY c.id DESC LIMIT ? OFFSET ?`, []any{accountID, limit, offset}, scanCollection)
	return out, wrap("collections featuring", err)
}

// CollectionItems lists the items of collections.
func (s *Store) CollectionItems(ctx context.Context, ids []int64) (map[int64][]*storage.CollectionItem, error) {
	out := map[int64][]*storage.CollectionItem{}
	if len(ids) == 0 {
		return out, nil
	}
	err := queryEach(ctx, s.r, `SELECT id, collection_id, account_id, state, created_at FROM collection_items
		WHERE collection_id IN (`+placeholders(len(ids))+`) ORDER BY collection_id, position, id`, int64Args(ids), func(r scanner) error {
		var it storage.CollectionItem
		var created int64
		if err := r.Scan(&it.ID, &it.CollectionID, &it.AccountID, &it.State, &created); err != nil {
			return err
		}
		it.CreatedAt = fromMs(created)
		out[it.CollectionID] = append(out[it.CollectionID], &it)
		return nil
	})
	return out, wrap("collection items", err)
}

// AddCollectionItem adds an account to a collection, at most max items
// pending or accepted; ErrConflict when it is there already or full.
func (s *Store) AddCollectionItem(ctx context.Context, it *storage.CollectionItem, maxItems int) error {
	return wrap("add collection item", s.tx(ctx, func(tx *sql.Tx) error {
		var n, pos int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(position), -1) + 1 FROM collection_items
			WHERE collection_id = ? AND state IN ('pending', 'accepted')`, it.CollectionID).Scan(&n, &pos); err != nil {
			return err
		}
		if n >= maxItems {
			return storage.ErrConflict
		}
		if it.ID == 0 {
			it.ID = id.At(it.CreatedAt)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO collection_items (id, collection_id, account_id, state, position, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, it.ID, it.CollectionID, it.AccountID, it.State, pos, ms(it.CreatedAt))
		if isUniqueViolation(err) {
			return storage.ErrConflict
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE collections SET updated_at = ? WHERE id = ?", ms(it.CreatedAt), it.CollectionID)
		return err
	}))
}

// DeleteCollectionItem removes an item.
func (s *Store) DeleteCollectionItem(ctx context.Context, collectionID, itemID int64) (bool, error) {
	res, err := s.w.ExecContext(ctx, "DELETE FROM collection_items WHERE collection_id = ? AND id = ?", collectionID, itemID)
	if err != nil {
		return false, wrap("delete collection item", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// SetCollectionItemState changes an item's state.
func (s *Store) SetCollectionItemState(ctx context.Context, collectionID, itemID int64, state string) (*storage.CollectionItem, error) {
	var it storage.CollectionItem
	var created int64
	err := s.w.QueryRowContext(ctx, `UPDATE collection_items SET state = ? WHERE collection_id = ? AND id = ?
		RETURNING id, collection_id, account_id, state, created_at`, state, collectionID, itemID).
		Scan(&it.ID, &it.CollectionID, &it.AccountID, &it.State, &created)
	if errors.Is(err, sql.ErrNoRows) {
		err = storage.ErrNotFound
	}
	if err != nil {
		return nil, wrap("set collection item state", err)
	}
	it.CreatedAt = fromMs(created)
	return &it, nil
}
