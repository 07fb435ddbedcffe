package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// pageClause turns a model.Page into a keyset condition on col (" AND ..."),
// its arguments, and the ORDER BY ... LIMIT tail. With min_id the page is
// read oldest first from the cursor and must be reversed (reverse = true),
// so that every page is a range scan in one direction of an index.
func pageClause(col string, p model.Page) (where string, args []any, tail string, reverse bool) {
	var b strings.Builder
	if p.MaxID > 0 {
		b.WriteString(" AND " + col + " < ?")
		args = append(args, p.MaxID)
	}
	lower := p.SinceID
	if p.MinID > 0 {
		lower = p.MinID
		reverse = true
	}
	if lower > 0 {
		b.WriteString(" AND " + col + " > ?")
		args = append(args, lower)
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 20
	}
	dir := " DESC"
	if reverse {
		dir = " ASC"
	}
	return b.String(), args, " ORDER BY " + col + dir + " LIMIT " + strconv.Itoa(limit), reverse
}

// pageQuery is the read of one page: its SQL, every argument, and whether
// the rows come oldest first (min_id) and must be reversed. Each page
// method runs what its builder (homeQuery, publicQuery...) returns, and
// TestPageQueriesUseIndexes explains those builders' output: the plans it
// checks are those of the queries served.
type pageQuery struct {
	sql     string
	args    []any
	reverse bool
}

// pageStatuses runs a page query and puts it newest first.
func (s *Store) pageStatuses(ctx context.Context, q pageQuery) ([]*model.Status, error) {
	sts, err := queryStatuses(ctx, s.r, q.sql, q.args...)
	if err != nil {
		return nil, err
	}
	if q.reverse {
		slices.Reverse(sts)
	}
	return sts, nil
}

// homeQuery is a page of an account's materialised home feed: a range scan
// of home_feed's primary key (account_id, status_id).
func homeQuery(accountID int64, p model.Page) pageQuery {
	where, args, tail, rev := pageClause("h.status_id", p)
	return pageQuery{`SELECT ` + statusColumns + ` FROM home_feed h JOIN statuses s ON s.id = h.status_id
		WHERE h.account_id = ?` + where + `
		AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = h.account_id AND m.target_id = h.author_id AND ` + unexpired + `)` + tail,
		append([]any{accountID}, args...), rev}
}

// HomeTimeline reads a page of the account's home feed.
func (s *Store) HomeTimeline(ctx context.Context, accountID int64, p model.Page) ([]*model.Status, error) {
	v, err := s.pageStatuses(ctx, homeQuery(accountID, p))
	return v, wrap("home timeline", err)
}

// notRestricted leaves out the posts of suspended and silenced authors; it
// probes the small partial index of those accounts (migration 0035) rather
// than each author's row.
const notRestricted = `NOT EXISTS (SELECT 1 FROM accounts a INDEXED BY accounts_restricted
		WHERE a.id = s.account_id AND (a.suspended_at IS NOT NULL OR a.silenced_at IS NOT NULL))`

// publicQuery reads the partial index statuses_public (or _local).
func publicQuery(localOnly, remoteOnly bool, p model.Page) pageQuery {
	where, args, tail, rev := pageClause("s.id", p)
	index, extra := "statuses_public", ""
	if localOnly {
		index, extra = "statuses_public_local", " AND s.local = 1"
	} else if remoteOnly {
		extra = " AND s.local = 0"
	}
	return pageQuery{`SELECT ` + statusColumns + ` FROM statuses s INDEXED BY ` + index + `
		WHERE s.visibility = 0 AND s.reblog_of_id IS NULL` + extra + where + `
		AND ` + notRestricted + tail,
		args, rev}
}

// withMedia keeps the statuses with media attachments (only_media; index
// media_attachments_status).
const withMedia = " AND EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id)"

// PublicMediaTimeline is PublicTimeline of the statuses with media.
func (s *Store) PublicMediaTimeline(ctx context.Context, localOnly, remoteOnly bool, p model.Page) ([]*model.Status, error) {
	q := publicQuery(localOnly, remoteOnly, p)
	q.sql = strings.Replace(q.sql, "WHERE s.visibility = 0", "WHERE s.visibility = 0"+withMedia, 1)
	v, err := s.pageStatuses(ctx, q)
	return v, wrap("public media timeline", err)
}

// PublicTimeline reads public statuses, skipping suspended and silenced accounts.
func (s *Store) PublicTimeline(ctx context.Context, localOnly, remoteOnly bool, p model.Page) ([]*model.Status, error) {
	v, err := s.pageStatuses(ctx, publicQuery(localOnly, remoteOnly, p))
	return v, wrap("public timeline", err)
}

// TagTimeline reads public statuses with a hashtag.
func (s *Store) TagTimeline(ctx context.Context, tag string, localOnly bool, p model.Page) ([]*model.Status, error) {
	v, err := s.TagsTimeline(ctx, storage.TagQuery{Any: []string{tag}, LocalOnly: localOnly}, p)
	return v, wrap("tag timeline", err)
}

// TagsTimeline reads public statuses by hashtags.
func (s *Store) TagsTimeline(ctx context.Context, tq storage.TagQuery, p model.Page) ([]*model.Status, error) {
	q, ok := tagsQuery(tq, p)
	if !ok {
		return nil, nil
	}
	v, err := s.pageStatuses(ctx, q)
	return v, wrap("tags timeline", err)
}

// tagsQuery is a page of public statuses by hashtags (ok is false without
// an "any" tag). With one "any" tag the page is a range scan of
// status_tags' primary key (tag_id, status_id).
func tagsQuery(tq storage.TagQuery, p model.Page) (pageQuery, bool) {
	anyTags := dedupeStrings(tq.Any)
	if len(anyTags) == 0 {
		return pageQuery{}, false
	}
	var cond strings.Builder
	var condArgs []any
	if tq.OnlyMedia {
		cond.WriteString(withMedia)
	}
	if tq.LocalOnly {
		cond.WriteString(" AND s.local = 1")
	} else if tq.RemoteOnly {
		cond.WriteString(" AND s.local = 0")
	}
	for _, t := range dedupeStrings(tq.All) {
		cond.WriteString(" AND EXISTS (SELECT 1 FROM status_tags x JOIN tags t ON t.id = x.tag_id WHERE x.status_id = s.id AND t.name = ?)")
		condArgs = append(condArgs, t)
	}
	if none := dedupeStrings(tq.None); len(none) > 0 {
		cond.WriteString(" AND NOT EXISTS (SELECT 1 FROM status_tags x JOIN tags t ON t.id = x.tag_id WHERE x.status_id = s.id AND t.name IN (" + placeholders(len(none)) + "))")
		for _, t := range none {
			condArgs = append(condArgs, t)
		}
	}
	cond.WriteString(" AND " + notRestricted)
	if len(anyTags) == 1 {
		where, args, tail, rev := pageClause("st.status_id", p)
		q := `SELECT ` + statusColumns + ` FROM status_tags st JOIN statuses s ON s.id = st.status_id
			WHERE st.tag_id = (SELECT id FROM tags WHERE name = ?) AND s.visibility = 0 AND s.reblog_of_id IS NULL` +
			cond.String() + where + tail
		all := append([]any{anyTags[0]}, condArgs...)
		return pageQuery{q, append(all, args...), rev}, true
	}
	where, args, tail, rev := pageClause("s.id", p)
	q := `SELECT ` + statusColumns + ` FROM statuses s INDEXED BY statuses_public
		WHERE s.visibility = 0 AND s.reblog_of_id IS NULL
		AND EXISTS (SELECT 1 FROM status_tags x JOIN tags t ON t.id = x.tag_id WHERE x.status_id = s.id AND t.name IN (` + placeholders(len(anyTags)) + `))` +
		cond.String() + where + tail
	var all []any
	for _, t := range anyTags {
		all = append(all, t)
	}
	all = append(all, condArgs...)
	return pageQuery{q, append(all, args...), rev}, true
}

// ListTimeline reads the list owner's home feed restricted to the list's
// members.
func (s *Store) ListTimeline(ctx context.Context, listID int64, p model.Page) ([]*model.Status, error) {
	v, err := s.pageStatuses(ctx, listQuery(listID, p))
	return v, wrap("list timeline", err)
}

// listQuery is a page of a list: a range scan of home_feed like the home
// timeline.
func listQuery(listID int64, p model.Page) pageQuery {
	where, args, tail, rev := pageClause("h.status_id", p)
	q := `SELECT ` + statusColumns + ` FROM lists l JOIN home_feed h ON h.account_id = l.account_id
		JOIN list_accounts la ON la.list_id = l.id AND la.account_id = h.author_id
		JOIN statuses s ON s.id = h.status_id
		WHERE l.id = ?` + where + tail
	return pageQuery{q, append([]any{listID}, args...), rev}
}

// TimelineListOwner returns the account that owns a list.
func (s *Store) TimelineListOwner(ctx context.Context, listID int64) (int64, error) {
	var owner int64
	err := s.r.QueryRowContext(ctx, "SELECT account_id FROM lists WHERE id = ?", listID).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, wrap("timeline list owner", storage.ErrNotFound)
	}
	return owner, wrap("timeline list owner", err)
}

// AccountStatuses reads an account's statuses.
func (s *Store) AccountStatuses(ctx context.Context, accountID int64, maxVisibility model.Visibility, f storage.AccountStatusFilter, p model.Page) ([]*model.Status, error) {
	v, err := s.pageStatuses(ctx, accountStatusesQuery(accountID, maxVisibility, f, p))
	return v, wrap("account statuses", err)
}

// accountStatusesQuery is a page of an account's statuses (index
// statuses_account).
func accountStatusesQuery(accountID int64, maxVisibility model.Visibility, f storage.AccountStatusFilter, p model.Page) pageQuery {
	where, args, tail, rev := pageClause("s.id", p)
	q := `SELECT ` + statusColumns + ` FROM statuses s INDEXED BY statuses_account WHERE s.account_id = ? AND s.visibility <= ?`
	all := []any{accountID, int(maxVisibility)}
	if f.ExcludeReplies {
		q += " AND (s.in_reply_to_id IS NULL OR s.in_reply_to_account_id = s.account_id)"
	}
	if f.ExcludeReblogs {
		q += " AND s.reblog_of_id IS NULL"
	}
	if f.OnlyMedia {
		q += withMedia
	}
	if f.Pinned {
		q += " AND s.id IN (SELECT status_id FROM pins WHERE account_id = ?)"
		all = append(all, accountID)
	}
	if f.Tagged != "" {
		q += " AND EXISTS (SELECT 1 FROM status_tags x JOIN tags t ON t.id = x.tag_id WHERE x.status_id = s.id AND t.name = ?)"
		all = append(all, strings.ToLower(strings.TrimPrefix(f.Tagged, "#")))
	}
	// By created_at, not by id bounds: exact whatever made the id. The
	// scan stays within the account's rows of statuses_account.
	if !f.PublishedFrom.IsZero() {
		q += " AND s.created_at >= ?"
		all = append(all, ms(f.PublishedFrom))
	}
	if !f.PublishedBefore.IsZero() {
		q += " AND s.created_at < ?"
		all = append(all, ms(f.PublishedBefore))
	}
	return pageQuery{q + where + tail, append(all, args...), rev}
}

// DirectTimeline reads the direct statuses in the account's home feed
// (where CreateStatus puts them for the author and the mentioned).
func (s *Store) DirectTimeline(ctx context.Context, accountID int64, p model.Page) ([]*model.Status, error) {
	v, err := s.pageStatuses(ctx, directQuery(accountID, p))
	return v, wrap("direct timeline", err)
}

// directQuery is a range scan of the account's home_feed, like the home
// timeline. CROSS JOIN keeps home_feed the outer loop: the planner would
// otherwise read every direct status of the instance (statuses_direct)
// and sort them, as it does when there are few.
func directQuery(accountID int64, p model.Page) pageQuery {
	where, args, tail, rev := pageClause("h.status_id", p)
	q := `SELECT ` + statusColumns + ` FROM home_feed h CROSS JOIN statuses s ON s.id = h.status_id
		WHERE h.account_id = ? AND s.visibility = 3` + where + tail
	return pageQuery{q, append([]any{accountID}, args...), rev}
}

// Replies returns the direct replies to a status, oldest first.
func (s *Store) Replies(ctx context.Context, statusID int64, limit int) ([]*model.Status, error) {
	v, err := queryStatuses(ctx, s.r, "SELECT "+statusColumns+" FROM statuses s WHERE s.in_reply_to_id = ? ORDER BY s.id LIMIT ?", statusID, limit)
	return v, wrap("replies", err)
}

// Favourites pages through the statuses an account favourited, by favourite id.
func (s *Store) Favourites(ctx context.Context, accountID int64, p model.Page) ([]*model.Status, []int64, error) {
	v, v2, err := s.markedStatuses(ctx, "favourites", accountID, p)
	return v, v2, wrap("favourites", err)
}

// Bookmarks pages through the statuses an account bookmarked, by bookmark id.
func (s *Store) Bookmarks(ctx context.Context, accountID int64, p model.Page) ([]*model.Status, []int64, error) {
	v, v2, err := s.markedStatuses(ctx, "bookmarks", accountID, p)
	return v, v2, wrap("bookmarks", err)
}

// markedFilter leaves out the marks not made yet: favourites waiting for
// a remote author's approval.
var markedFilter = map[string]string{"favourites": " AND x.pending_approval = 0"}

// markedQuery is a page of the statuses an account favourited or
// bookmarked (table), by the mark's id; each row ends with that id.
func markedQuery(table string, accountID int64, p model.Page) pageQuery {
	where, args, tail, rev := pageClause("x.id", p)
	q := `SELECT ` + statusColumns + `, x.id FROM ` + table + ` x JOIN statuses s ON s.id = x.status_id
		WHERE x.account_id = ?` + markedFilter[table] + where + tail
	return pageQuery{q, append([]any{accountID}, args...), rev}
}

func (s *Store) markedStatuses(ctx context.Context, table string, accountID int64, p model.Page) ([]*model.Status, []int64, error) {
	q := markedQuery(table, accountID, p)
	rows, err := s.r.QueryContext(ctx, q.sql, q.args...)
	if err != nil {
		return nil, nil, err
	}
	var sts []*model.Status
	var cursors []int64
	for rows.Next() {
		var cur int64
		st, err := scanStatus(rows, &cur)
		if err != nil {
			rows.Close()
			return nil, nil, err
		}
		sts = append(sts, st)
		cursors = append(cursors, cur)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if q.reverse {
		slices.Reverse(sts)
		slices.Reverse(cursors)
	}
	return sts, cursors, loadStatusExtras(ctx, s.r, sts)
}
