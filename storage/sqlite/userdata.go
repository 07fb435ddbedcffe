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

// What a local user keeps for themselves: lists, filters, markers; and the
// hashtag look-ups of search.

// --- lists ---

const listColumns = "id, account_id, title, replies_policy, exclusive"

func (s *Store) queryLists(ctx context.Context, q string, args ...any) ([]model.List, error) {
	out, err := queryAll(ctx, s.r, q, args, func(row scanner) (model.List, error) {
		var l model.List
		err := row.Scan(&l.ID, &l.AccountID, &l.Title, &l.RepliesPolicy, &l.Exclusive)
		return l, err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []model.List{} // no lists is an empty list, not none
	}
	return out, nil
}

// CreateList stores a new list.
func (s *Store) CreateList(ctx context.Context, l *model.List) error {
	l.ID = id.New()
	if l.RepliesPolicy == "" {
		l.RepliesPolicy = "list"
	}
	_, err := s.w.ExecContext(ctx, "INSERT INTO lists (id, account_id, title, replies_policy, exclusive, created_at) VALUES (?,?,?,?,?,?)",
		l.ID, l.AccountID, l.Title, l.RepliesPolicy, b2i(l.Exclusive), ms(time.Now()))
	return wrap("create list", err)
}

// UpdateList stores a list's settings.
func (s *Store) UpdateList(ctx context.Context, l *model.List) error {
	return wrap("update list", notFoundIfNone(s.w.ExecContext(ctx, "UPDATE lists SET title = ?, replies_policy = ?, exclusive = ? WHERE id = ? AND account_id = ?",
		l.Title, l.RepliesPolicy, b2i(l.Exclusive), l.ID, l.AccountID)))
}

// DeleteList removes a list and its memberships.
func (s *Store) DeleteList(ctx context.Context, accountID, listID int64) error {
	return wrap("delete list", notFoundIfNone(s.w.ExecContext(ctx, "DELETE FROM lists WHERE id = ? AND account_id = ?", listID, accountID)))
}

// ListByID returns one of accountID's lists.
func (s *Store) ListByID(ctx context.Context, accountID, listID int64) (*model.List, error) {
	ls, err := s.queryLists(ctx, "SELECT "+listColumns+" FROM lists WHERE id = ? AND account_id = ?", listID, accountID)
	if err != nil {
		return nil, wrap("list by id", err)
	}
	if len(ls) == 0 {
		return nil, wrap("list by id", storage.ErrNotFound)
	}
	return &ls[0], nil
}

// ListsOf returns an account's lists, oldest first.
func (s *Store) ListsOf(ctx context.Context, accountID int64) ([]model.List, error) {
	v, err := s.queryLists(ctx, "SELECT "+listColumns+" FROM lists WHERE account_id = ? ORDER BY id", accountID)
	return v, wrap("lists of", err)
}

// ListsContaining returns accountID's lists that hold memberID.
func (s *Store) ListsContaining(ctx context.Context, accountID, memberID int64) ([]model.List, error) {
	v, err := s.queryLists(ctx, "SELECT "+listColumns+` FROM lists WHERE account_id = ?
		AND id IN (SELECT list_id FROM list_accounts WHERE account_id = ?) ORDER BY id`, accountID, memberID)
	return v, wrap("lists containing", err)
}

// ListMembers pages through a list's accounts by account id.
func (s *Store) ListMembers(ctx context.Context, listID int64, p model.Page) ([]int64, error) {
	links, err := s.pageLinksBy(ctx, "x.account_id", "SELECT x.account_id, x.account_id FROM list_accounts x WHERE x.list_id = ?"+visible("x.account_id"),
		[]any{listID}, false, model.Page{MaxID: p.MaxID, SinceID: p.SinceID, MinID: p.MinID, Limit: p.Limit})
	if err != nil {
		return nil, wrap("list members", err)
	}
	out := make([]int64, len(links))
	for i, l := range links {
		out[i] = l.AccountID
	}
	return out, nil
}

// AddListMembers adds followed (or requested) accounts to a list.
func (s *Store) AddListMembers(ctx context.Context, accountID, listID int64, memberIDs []int64) error {
	return wrap("add list members", s.tx(ctx, func(tx *sql.Tx) error {
		var owner int64
		err := tx.QueryRowContext(ctx, "SELECT account_id FROM lists WHERE id = ?", listID).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) || owner != accountID {
			return storage.ErrNotFound
		}
		if err != nil {
			return err
		}
		for _, m := range memberIDs {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM follows WHERE account_id = ? AND target_id = ?)
				+ (SELECT count(*) FROM follow_requests WHERE account_id = ? AND target_id = ?)`, owner, m, owner, m).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return storage.ErrConflict
			}
			if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO list_accounts (list_id, account_id) VALUES (?, ?)", listID, m); err != nil {
				return err
			}
		}
		return nil
	}))
}

// RemoveListMembers removes accounts from a list.
func (s *Store) RemoveListMembers(ctx context.Context, accountID, listID int64, memberIDs []int64) error {
	if _, err := s.ListByID(ctx, accountID, listID); err != nil {
		return wrap("remove list members", err)
	}
	if len(memberIDs) == 0 {
		return nil
	}
	_, err := s.w.ExecContext(ctx, "DELETE FROM list_accounts WHERE list_id = ? AND account_id IN ("+placeholders(len(memberIDs))+")",
		append([]any{listID}, int64Args(memberIDs)...)...)
	return wrap("remove list members", err)
}

// --- filters ---

func (s *Store) loadFilters(ctx context.Context, q string, args ...any) ([]*model.Filter, error) {
	out, err := queryAll(ctx, s.r, q, args, func(row scanner) (*model.Filter, error) {
		var f model.Filter
		var ctxs string
		var exp sql.NullInt64
		if err := row.Scan(&f.ID, &f.AccountID, &f.Title, &ctxs, &f.Action, &exp); err != nil {
			return nil, err
		}
		f.Context = splitContext(ctxs)
		f.ExpiresAt = fromNullMs(exp)
		f.Keywords = []model.FilterKeyword{}
		f.Statuses = []model.FilterStatus{}
		return &f, nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	byID := make(map[int64]*model.Filter, len(out))
	ids := make([]int64, 0, len(out))
	for _, f := range out {
		byID[f.ID] = f
		ids = append(ids, f.ID)
	}
	in, idArgs := "("+placeholders(len(ids))+")", int64Args(ids)
	err = queryEach(ctx, s.r, "SELECT id, filter_id, keyword, whole_word FROM filter_keywords WHERE filter_id IN "+in+" ORDER BY id", idArgs,
		func(row scanner) error {
			var k model.FilterKeyword
			if err := row.Scan(&k.ID, &k.FilterID, &k.Keyword, &k.WholeWord); err != nil {
				return err
			}
			byID[k.FilterID].Keywords = append(byID[k.FilterID].Keywords, k)
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, s.r, "SELECT id, filter_id, status_id FROM filter_statuses WHERE filter_id IN "+in+" ORDER BY id", idArgs,
		func(row scanner) error {
			var st model.FilterStatus
			if err := row.Scan(&st.ID, &st.FilterID, &st.StatusID); err != nil {
				return err
			}
			byID[st.FilterID].Statuses = append(byID[st.FilterID].Statuses, st)
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func splitContext(s string) []string {
	out := []string{}
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

const filterColumns = "id, account_id, title, context, filter_action, expires_at"

func insertKeyword(ctx context.Context, tx *sql.Tx, k *model.FilterKeyword) error {
	k.ID = id.New()
	_, err := tx.ExecContext(ctx, "INSERT INTO filter_keywords (id, filter_id, keyword, whole_word) VALUES (?,?,?,?)",
		k.ID, k.FilterID, k.Keyword, b2i(k.WholeWord))
	return err
}

// CreateFilter stores a filter with its keywords and statuses.
func (s *Store) CreateFilter(ctx context.Context, f *model.Filter) error {
	return wrap("create filter", s.tx(ctx, func(tx *sql.Tx) error {
		f.ID = id.New()
		if f.Action == "" {
			f.Action = "warn"
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO filters ("+filterColumns+", created_at) VALUES (?,?,?,?,?,?,?)",
			f.ID, f.AccountID, f.Title, strings.Join(f.Context, ","), f.Action, msPtr(f.ExpiresAt), ms(time.Now())); err != nil {
			return err
		}
		for i := range f.Keywords {
			f.Keywords[i].FilterID = f.ID
			if err := insertKeyword(ctx, tx, &f.Keywords[i]); err != nil {
				return err
			}
		}
		for i := range f.Statuses {
			st := &f.Statuses[i]
			st.ID, st.FilterID = id.New(), f.ID
			if _, err := tx.ExecContext(ctx, "INSERT INTO filter_statuses (id, filter_id, status_id) VALUES (?,?,?)", st.ID, st.FilterID, st.StatusID); err != nil {
				return err
			}
		}
		return nil
	}))
}

// UpdateFilter applies a FilterUpdate.
func (s *Store) UpdateFilter(ctx context.Context, accountID, filterID int64, u storage.FilterUpdate) (*model.Filter, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM filters WHERE id = ? AND account_id = ?", filterID, accountID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return storage.ErrNotFound
		}
		var sets []string
		var args []any
		if u.Title != nil {
			sets, args = append(sets, "title = ?"), append(args, *u.Title)
		}
		if u.Context != nil {
			sets, args = append(sets, "context = ?"), append(args, strings.Join(u.Context, ","))
		}
		if u.Action != nil {
			sets, args = append(sets, "filter_action = ?"), append(args, *u.Action)
		}
		if u.SetExpiry {
			sets, args = append(sets, "expires_at = ?"), append(args, msPtr(u.ExpiresAt))
		}
		if len(sets) > 0 {
			if _, err := tx.ExecContext(ctx, "UPDATE filters SET "+strings.Join(sets, ", ")+" WHERE id = ?", append(args, filterID)...); err != nil {
				return err
			}
		}
		for _, k := range u.UpdateKeywords {
			res, err := tx.ExecContext(ctx, "UPDATE filter_keywords SET keyword = ?, whole_word = ? WHERE id = ? AND filter_id = ?",
				k.Keyword, b2i(k.WholeWord), k.ID, filterID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return storage.ErrNotFound
			}
		}
		for _, kid := range u.DeleteKeywords {
			if _, err := tx.ExecContext(ctx, "DELETE FROM filter_keywords WHERE id = ? AND filter_id = ?", kid, filterID); err != nil {
				return err
			}
		}
		for _, k := range u.AddKeywords {
			k.FilterID = filterID
			if err := insertKeyword(ctx, tx, &k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("update filter", err)
	}
	v, err := s.FilterByID(ctx, accountID, filterID)
	return v, wrap("update filter", err)
}

// DeleteFilter removes a filter with its keywords and statuses.
func (s *Store) DeleteFilter(ctx context.Context, accountID, filterID int64) error {
	return wrap("delete filter", notFoundIfNone(s.w.ExecContext(ctx, "DELETE FROM filters WHERE id = ? AND account_id = ?", filterID, accountID)))
}

// FilterByID returns one of accountID's filters.
func (s *Store) FilterByID(ctx context.Context, accountID, filterID int64) (*model.Filter, error) {
	fs, err := s.loadFilters(ctx, "SELECT "+filterColumns+" FROM filters WHERE id = ? AND account_id = ?", filterID, accountID)
	if err != nil {
		return nil, wrap("filter by id", err)
	}
	if len(fs) == 0 {
		return nil, wrap("filter by id", storage.ErrNotFound)
	}
	return fs[0], nil
}

// FiltersOf returns every filter of an account, oldest first.
func (s *Store) FiltersOf(ctx context.Context, accountID int64) ([]*model.Filter, error) {
	v, err := s.loadFilters(ctx, "SELECT "+filterColumns+" FROM filters WHERE account_id = ? ORDER BY id", accountID)
	return v, wrap("filters of", err)
}

func (s *Store) ownsFilter(ctx context.Context, q socialQuerier, accountID, filterID int64) error {
	var n int
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM filters WHERE id = ? AND account_id = ?", filterID, accountID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return storage.ErrNotFound
	}
	return nil
}

// AddFilterKeyword adds a keyword to one of accountID's filters.
func (s *Store) AddFilterKeyword(ctx context.Context, accountID int64, k *model.FilterKeyword) error {
	return wrap("add filter keyword", s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.ownsFilter(ctx, tx, accountID, k.FilterID); err != nil {
			return err
		}
		return insertKeyword(ctx, tx, k)
	}))
}

// FilterKeywordByID returns a keyword of one of accountID's filters.
func (s *Store) FilterKeywordByID(ctx context.Context, accountID, keywordID int64) (*model.FilterKeyword, error) {
	var k model.FilterKeyword
	err := s.r.QueryRowContext(ctx, `SELECT k.id, k.filter_id, k.keyword, k.whole_word FROM filter_keywords k
		JOIN filters f ON f.id = k.filter_id WHERE k.id = ? AND f.account_id = ?`, keywordID, accountID).Scan(
		&k.ID, &k.FilterID, &k.Keyword, &k.WholeWord)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, wrap("filter keyword by id", storage.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("filter keyword by id", err)
	}
	return &k, nil
}

// UpdateFilterKeyword changes a keyword's text and whole_word.
func (s *Store) UpdateFilterKeyword(ctx context.Context, accountID int64, k *model.FilterKeyword) error {
	return wrap("update filter keyword", notFoundIfNone(s.w.ExecContext(ctx, `UPDATE filter_keywords SET keyword = ?, whole_word = ?
		WHERE id = ? AND filter_id IN (SELECT id FROM filters WHERE account_id = ?)`, k.Keyword, b2i(k.WholeWord), k.ID, accountID)))
}

// DeleteFilterKeyword removes a keyword (and an emptied filter on request).
func (s *Store) DeleteFilterKeyword(ctx context.Context, accountID, keywordID int64, dropEmpty bool) error {
	return wrap("delete filter keyword", s.tx(ctx, func(tx *sql.Tx) error {
		var filterID int64
		err := tx.QueryRowContext(ctx, `SELECT k.filter_id FROM filter_keywords k JOIN filters f ON f.id = k.filter_id
			WHERE k.id = ? AND f.account_id = ?`, keywordID, accountID).Scan(&filterID)
		if errors.Is(err, sql.ErrNoRows) {
			return storage.ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM filter_keywords WHERE id = ?", keywordID); err != nil {
			return err
		}
		if dropEmpty {
			_, err = tx.ExecContext(ctx, `DELETE FROM filters WHERE id = ?
				AND NOT EXISTS (SELECT 1 FROM filter_keywords WHERE filter_id = ?)
				AND NOT EXISTS (SELECT 1 FROM filter_statuses WHERE filter_id = ?)`, filterID, filterID, filterID)
		}
		return err
	}))
}

// AddFilterStatus adds a status to one of accountID's filters.
func (s *Store) AddFilterStatus(ctx context.Context, accountID int64, fs *model.FilterStatus) error {
	return wrap("add filter status", s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.ownsFilter(ctx, tx, accountID, fs.FilterID); err != nil {
			return err
		}
		var existing int64
		err := tx.QueryRowContext(ctx, "SELECT id FROM filter_statuses WHERE filter_id = ? AND status_id = ?", fs.FilterID, fs.StatusID).Scan(&existing)
		if err == nil {
			return storage.ErrConflict
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		fs.ID = id.New()
		_, err = tx.ExecContext(ctx, "INSERT INTO filter_statuses (id, filter_id, status_id) VALUES (?,?,?)", fs.ID, fs.FilterID, fs.StatusID)
		return err
	}))
}

// FilterStatusByID returns a status filter of one of accountID's filters.
func (s *Store) FilterStatusByID(ctx context.Context, accountID, fsID int64) (*model.FilterStatus, error) {
	var fs model.FilterStatus
	err := s.r.QueryRowContext(ctx, `SELECT x.id, x.filter_id, x.status_id FROM filter_statuses x
		JOIN filters f ON f.id = x.filter_id WHERE x.id = ? AND f.account_id = ?`, fsID, accountID).Scan(&fs.ID, &fs.FilterID, &fs.StatusID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, wrap("filter status by id", storage.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("filter status by id", err)
	}
	return &fs, nil
}

// DeleteFilterStatus removes a status filter.
func (s *Store) DeleteFilterStatus(ctx context.Context, accountID, fsID int64) error {
	return wrap("delete filter status", notFoundIfNone(s.w.ExecContext(ctx, "DELETE FROM filter_statuses WHERE id = ? AND filter_id IN (SELECT id FROM filters WHERE account_id = ?)",
		fsID, accountID)))
}

// --- markers ---

// MarkersOf returns an account's markers among timelines (all when empty).
func (s *Store) MarkersOf(ctx context.Context, accountID int64, timelines []string) ([]model.Marker, error) {
	q := "SELECT timeline, last_read_id, version, updated_at FROM markers WHERE account_id = ?"
	args := []any{accountID}
	if len(timelines) > 0 {
		q += " AND timeline IN (" + placeholders(len(timelines)) + ")"
		for _, t := range timelines {
			args = append(args, t)
		}
	}
	v, err := queryAll(ctx, s.r, q+" ORDER BY timeline", args, func(row scanner) (model.Marker, error) {
		var m model.Marker
		var upd int64
		err := row.Scan(&m.Timeline, &m.LastReadID, &m.Version, &upd)
		m.UpdatedAt = fromMs(upd)
		return m, err
	})
	return v, wrap("markers of", err)
}

// SetMarker creates or moves a marker; the version counts the saves.
func (s *Store) SetMarker(ctx context.Context, accountID int64, timeline, lastReadID string) (*model.Marker, error) {
	m := model.Marker{Timeline: timeline, LastReadID: lastReadID}
	now := time.Now()
	err := s.w.QueryRowContext(ctx, `INSERT INTO markers (account_id, timeline, last_read_id, version, updated_at) VALUES (?,?,?,1,?)
		ON CONFLICT(account_id, timeline) DO UPDATE SET last_read_id = excluded.last_read_id, version = markers.version + 1,
		updated_at = excluded.updated_at RETURNING version, updated_at`, accountID, timeline, lastReadID, ms(now)).Scan(&m.Version, new(int64))
	if err != nil {
		return nil, wrap("set marker", err)
	}
	m.UpdatedAt = fromMs(ms(now))
	return &m, nil
}

// --- hashtags ---

// SearchHashtags finds known tags by name prefix, shortest names first.
func (s *Store) SearchHashtags(ctx context.Context, prefix string, limit, offset int) ([]storage.HashtagRef, error) {
	v, err := queryAll(ctx, s.r, `SELECT id, name FROM tags WHERE name LIKE ? ESCAPE '\'
		ORDER BY length(name), name LIMIT ? OFFSET ?`, []any{likePrefix(strings.ToLower(prefix)), limit, offset},
		func(row scanner) (storage.HashtagRef, error) {
			var t storage.HashtagRef
			err := row.Scan(&t.ID, &t.Name)
			return t, err
		})
	return v, wrap("search hashtags", err)
}

// HashtagByName finds a known tag by its normalised name.
func (s *Store) HashtagByName(ctx context.Context, name string) (*storage.HashtagRef, error) {
	var t storage.HashtagRef
	err := s.r.QueryRowContext(ctx, "SELECT id, name FROM tags WHERE name = ?", strings.ToLower(name)).Scan(&t.ID, &t.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, wrap("hashtag by name", storage.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("hashtag by name", err)
	}
	return &t, nil
}
