package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

const statusColumns = `s.id, s.uri, s.url, s.account_id, s.local, s.in_reply_to_id, s.in_reply_to_account_id,
	s.in_reply_to_uri, s.reblog_of_id, s.content, s.text, s.spoiler_text, s.sensitive, s.visibility, s.language,
	s.app_id, s.replies_count, s.reblogs_count, s.favourites_count, s.created_at, s.edited_at,
	s.interaction_policy, s.pending_approval, s.approved_by, s.authorization_uri,
	s.quote_of_id, s.quote_uri, s.quote_state, s.quote_authorization, s.quotes_count`

func scanStatus(row scanner, extra ...any) (*model.Status, error) {
	var st model.Status
	var reply, replyAcct, reblog, app, edited, quoteOf sql.NullInt64
	var created int64
	var policy sql.NullString
	dest := []any{&st.ID, &st.URI, &st.URL, &st.AccountID, &st.Local, &reply, &replyAcct,
		&st.InReplyToURI, &reblog, &st.Content, &st.Text, &st.SpoilerText, &st.Sensitive, &st.Visibility, &st.Language,
		&app, &st.RepliesCount, &st.ReblogsCount, &st.FavouritesCount, &created, &edited,
		&policy, &st.PendingApproval, &st.ApprovedBy, &st.Authorization,
		&quoteOf, &st.QuoteURI, &st.QuoteState, &st.QuoteAuthorization, &st.QuotesCount}
	err := row.Scan(append(dest, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if st.Policy, err = decodePolicy(policy); err != nil {
		return nil, err
	}
	st.InReplyToID, st.InReplyToAccountID, st.ReblogOfID, st.AppID = reply.Int64, replyAcct.Int64, reblog.Int64, app.Int64
	st.QuoteOfID = quoteOf.Int64
	st.CreatedAt = fromMs(created)
	st.EditedAt = fromNullMs(edited)
	return &st, nil
}

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queryStatuses runs a query selecting statusColumns and loads the
// mentions and tags of the whole result in two more queries.
func queryStatuses(ctx context.Context, q queryer, query string, args ...any) ([]*model.Status, error) {
	out, err := queryAll(ctx, q, query, args, func(row scanner) (*model.Status, error) { return scanStatus(row) })
	if err != nil {
		return nil, err
	}
	return out, loadStatusExtras(ctx, q, out)
}

// loadStatusExtras fills MentionIDs and Tags of statuses, batched.
func loadStatusExtras(ctx context.Context, q queryer, sts []*model.Status) error {
	if len(sts) == 0 {
		return nil
	}
	byID := make(map[int64]*model.Status, len(sts))
	ids := make([]int64, 0, len(sts))
	for _, st := range sts {
		if _, dup := byID[st.ID]; !dup {
			ids = append(ids, st.ID)
		}
		byID[st.ID] = st
	}
	in, idArgs := placeholders(len(ids)), int64Args(ids)
	err := queryEach(ctx, q, "SELECT status_id, account_id FROM mentions WHERE status_id IN ("+in+")", idArgs, func(row scanner) error {
		var sid, aid int64
		if err := row.Scan(&sid, &aid); err != nil {
			return err
		}
		byID[sid].MentionIDs = append(byID[sid].MentionIDs, aid)
		return nil
	})
	if err != nil {
		return err
	}
	return queryEach(ctx, q, "SELECT st.status_id, t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id IN ("+in+") ORDER BY t.name",
		idArgs, func(row scanner) error {
			var sid int64
			var name string
			if err := row.Scan(&sid, &name); err != nil {
				return err
			}
			byID[sid].Tags = append(byID[sid].Tags, name)
			return nil
		})
}

func getStatus(ctx context.Context, q queryer, where string, arg any) (*model.Status, error) {
	sts, err := queryStatuses(ctx, q, "SELECT "+statusColumns+" FROM statuses s WHERE "+where, arg)
	if err != nil {
		return nil, err
	}
	if len(sts) == 0 {
		return nil, storage.ErrNotFound
	}
	return sts[0], nil
}

// StatusByID returns a status with its mentions and tags.
func (s *Store) StatusByID(ctx context.Context, statusID int64) (*model.Status, error) {
	v, err := getStatus(ctx, s.r, "s.id = ?", statusID)
	return v, wrap("status by id", err)
}

// StatusByURI finds a status by its ActivityPub id.
func (s *Store) StatusByURI(ctx context.Context, uri string) (*model.Status, error) {
	v, err := getStatus(ctx, s.r, "s.uri = ?", uri)
	return v, wrap("status by uri", err)
}

// StatusesByIDs returns the statuses that exist among ids.
func (s *Store) StatusesByIDs(ctx context.Context, ids []int64) (map[int64]*model.Status, error) {
	out := make(map[int64]*model.Status, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	sts, err := queryStatuses(ctx, s.r, "SELECT "+statusColumns+" FROM statuses s WHERE s.id IN ("+placeholders(len(ids))+")", int64Args(ids)...)
	if err != nil {
		return nil, wrap("statuses by ids", err)
	}
	for _, st := range sts {
		out[st.ID] = st
	}
	return out, nil
}

// TombstoneAt reports when a local object with that URI was deleted.
func (s *Store) TombstoneAt(ctx context.Context, uri string) (*time.Time, error) {
	var at int64
	err := s.r.QueryRowContext(ctx, "SELECT deleted_at FROM tombstones WHERE uri = ?", uri).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, wrap("tombstone at", storage.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("tombstone at", err)
	}
	t := fromMs(at)
	return &t, nil
}

// insertStatusRow inserts the statuses row. On the rare id collision it
// picks a new id and rewrites the old id inside the URI, URL and events
// that named it.
func insertStatusRow(ctx context.Context, tx *sql.Tx, st *model.Status, events []model.OutboxEvent) error {
	if st.CreatedAt.IsZero() {
		st.CreatedAt = time.Now().UTC()
	}
	if st.ID == 0 {
		st.ID = id.At(st.CreatedAt)
	}
	policy, err := encodePolicy(st.Policy)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		_, err := tx.ExecContext(ctx, `INSERT INTO statuses (id, uri, url, account_id, local, in_reply_to_id,
			in_reply_to_account_id, in_reply_to_uri, reblog_of_id, content, text, spoiler_text, sensitive, visibility,
			language, app_id, created_at, edited_at, interaction_policy, pending_approval, approved_by, authorization_uri,
			quote_of_id, quote_uri, quote_state, quote_authorization)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			st.ID, st.URI, st.URL, st.AccountID, b2i(st.Local), nullID(st.InReplyToID), nullID(st.InReplyToAccountID),
			st.InReplyToURI, nullID(st.ReblogOfID), st.Content, st.Text, st.SpoilerText, b2i(st.Sensitive), int(st.Visibility),
			st.Language, nullID(st.AppID), ms(st.CreatedAt), msPtr(st.EditedAt), policy, b2i(st.PendingApproval),
			st.ApprovedBy, st.Authorization, nullID(st.QuoteOfID), st.QuoteURI, st.QuoteState, st.QuoteAuthorization)
		if isUniqueViolation(err) && strings.Contains(err.Error(), "statuses.id") && attempt < 5 {
			oldID := st.ID
			old := strconv.FormatInt(oldID, 10)
			st.ID = id.At(st.CreatedAt)
			nw := strconv.FormatInt(st.ID, 10)
			if st.Local {
				st.URI = strings.Replace(st.URI, old, nw, 1)
				st.URL = strings.Replace(st.URL, old, nw, 1)
			}
			for i := range events {
				if events[i].ObjectID == oldID {
					events[i].ObjectID = st.ID
				}
			}
			continue
		}
		if isUniqueViolation(err) {
			return storage.ErrConflict
		}
		return err
	}
}

// accountIsLocal reports whether an account is local.
func accountIsLocal(ctx context.Context, tx *sql.Tx, accountID int64) (bool, error) {
	var domain string
	err := tx.QueryRowContext(ctx, "SELECT domain FROM accounts WHERE id = ?", accountID).Scan(&domain)
	if errors.Is(err, sql.ErrNoRows) {
		return false, storage.ErrNotFound
	}
	return domain == "", err
}

// nowMsSQL is the current time in Unix milliseconds, in SQL: an expired
// mute stops applying in every query the moment it ends.
const nowMsSQL = `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`

// unexpired is the SQL condition "the mute aliased m has not ended".
const unexpired = `(m.expires_at IS NULL OR m.expires_at > ` + nowMsSQL + `)`

// notWantedBy is the SQL condition "the account in column col neither
// blocks nor mutes (unexpired) the account bound to the two ? that follow".
func notWantedBy(col string) string {
	return `NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = ` + col + ` AND b.target_id = ?)
		AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = ` + col + ` AND m.target_id = ? AND ` + unexpired + `)`
}

// domainBlockedBy is the SQL condition "the account in column col blocks
// the domain of the account bound to the ? and does not follow it" (as
// Mastodon, a user's domain block spares the accounts they follow).
func domainBlockedBy(col string) string {
	return `EXISTS (SELECT 1 FROM accounts da JOIN account_domain_blocks d ON d.domain = da.domain
		WHERE da.id = ? AND da.domain <> '' AND d.account_id = ` + col + `
		AND NOT EXISTS (SELECT 1 FROM follows df WHERE df.account_id = ` + col + ` AND df.target_id = da.id))`
}

// insertNotification stores a notification for a local account unless it
// blocks or mutes (unexpired, with notifications) the sender, blocks the
// sender's domain without following the sender, or muted the conversation
// of the status; duplicates are ignored. Other stores of this package may
// call it inside their transactions.
func insertNotification(ctx context.Context, tx *sql.Tx, accountID, fromID int64, typ string, statusID int64) (bool, error) {
	if accountID == fromID {
		return false, nil
	}
	q := `INSERT OR IGNORE INTO notifications (id, account_id, from_account_id, type, status_id, created_at)
		SELECT ?, a.id, ?, ?, ?, ? FROM accounts a WHERE a.id = ? AND a.domain = ''
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = a.id AND b.target_id = ?)
		AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = a.id AND m.target_id = ? AND m.notifications = 1 AND ` + unexpired + `)
		AND NOT ` + domainBlockedBy("a.id")
	args := []any{id.New(), fromID, typ, nullID(statusID), ms(time.Now()), accountID, fromID, fromID, fromID}
	if statusID != 0 {
		q += ` AND NOT ` + conversationMutedBy("a.id")
		args = append(args, statusID)
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// CreateStatus writes a status and all that follows from it in one
// transaction (see storage.Statuses).
func (s *Store) CreateStatus(ctx context.Context, n storage.NewStatus) (*model.Status, bool, error) {
	st := n.Status
	var existing *model.Status
	err := s.tx(ctx, func(tx *sql.Tx) error {
		existing = nil
		// Two posts with one idempotency key, or two deliveries of one
		// remote post, take turns on PostgreSQL (SQLite has one writer):
		// the second finds what the first stored.
		if n.IdempotencyKey != "" {
			if err := s.serialize(ctx, tx, "idempotency:"+strconv.FormatInt(st.AccountID, 10)+":"+n.IdempotencyKey); err != nil {
				return err
			}
		}
		if st.URI != "" && !st.Local {
			if err := s.serialize(ctx, tx, "status-uri:"+st.URI); err != nil {
				return err
			}
		}
		if n.IdempotencyKey != "" {
			var sid int64
			err := tx.QueryRowContext(ctx, "SELECT status_id FROM idempotency_keys WHERE account_id = ? AND key = ?",
				st.AccountID, n.IdempotencyKey).Scan(&sid)
			if err == nil {
				ex, err := getStatus(ctx, tx, "s.id = ?", sid)
				if err == nil {
					existing = ex
					return nil
				}
				if !errors.Is(err, storage.ErrNotFound) {
					return err
				}
				// The first post was deleted since: post again.
				if _, err := tx.ExecContext(ctx, "DELETE FROM idempotency_keys WHERE account_id = ? AND key = ?", st.AccountID, n.IdempotencyKey); err != nil {
					return err
				}
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if st.URI != "" && !st.Local {
			if ex, err := getStatus(ctx, tx, "s.uri = ?", st.URI); err == nil {
				existing = ex
				return nil
			} else if !errors.Is(err, storage.ErrNotFound) {
				return err
			}
		}
		if n.ScheduledID != 0 {
			// The schedule goes with the publish: whoever deletes it posts.
			res, err := tx.ExecContext(ctx, "DELETE FROM scheduled_statuses WHERE id = ? AND account_id = ?", n.ScheduledID, st.AccountID)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return storage.ErrNotFound
			}
		}
		authorLocal, err := accountIsLocal(ctx, tx, st.AccountID)
		if err != nil {
			return err
		}
		if err := insertStatusRow(ctx, tx, st, n.Events); err != nil {
			return err
		}
		if n.Poll != nil {
			if err := insertPoll(ctx, tx, st.ID, n.Poll); err != nil {
				return err
			}
		}
		if len(n.MediaIDs) > 0 {
			if err := attachMedia(ctx, tx, st.ID, st.AccountID, n.MediaIDs); err != nil {
				return err
			}
		}
		if len(n.RemoteMedia) > 0 {
			if _, err := putRemoteMediaIn(ctx, tx, st.ID, st.AccountID, n.RemoteMedia); err != nil {
				return err
			}
		}
		st.MentionIDs = dedupe(n.MentionIDs)
		for _, m := range st.MentionIDs {
			if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO mentions (status_id, account_id) VALUES (?, ?)", st.ID, m); err != nil {
				return err
			}
		}
		st.Tags = dedupeStrings(n.Tags)
		if err := setStatusTags(ctx, tx, st.ID, st.Tags); err != nil {
			return err
		}
		if st.PendingApproval {
			// Held: only its author's own feed until it is approved.
			if authorLocal {
				if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO home_feed (account_id, status_id, author_id) VALUES (?, ?, ?)",
					st.AccountID, st.ID, st.AccountID); err != nil {
					return err
				}
			}
		} else if err := releaseStatus(ctx, tx, st, authorLocal); err != nil {
			return err
		}
		if st.QuoteOfID != 0 && st.QuoteState == model.QuoteAccepted && !st.PendingApproval {
			if err := notifyQuoteIn(ctx, tx, st); err != nil {
				return err
			}
		}
		if n.Request != nil {
			n.Request.ReplyID = st.ID
			if err := insertInteractionRequest(ctx, tx, n.Request); err != nil {
				return err
			}
		}
		now := ms(time.Now())
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET statuses_count = statuses_count + 1, last_status_at = max(ifnull(last_status_at, 0), ?) WHERE id = ?",
			ms(st.CreatedAt), st.AccountID); err != nil {
			return err
		}
		if n.IdempotencyKey != "" {
			if _, err := tx.ExecContext(ctx, "INSERT INTO idempotency_keys (account_id, key, status_id, created_at) VALUES (?,?,?,?)",
				st.AccountID, n.IdempotencyKey, st.ID, now); err != nil {
				return err
			}
		}
		if err := insertJobs(ctx, tx, n.Jobs); err != nil {
			return err
		}
		return insertEvents(ctx, tx, n.Events)
	})
	if err != nil {
		return nil, false, wrap("create status", err)
	}
	if existing != nil {
		return existing, true, nil
	}
	return st, false, nil
}

// releaseStatus writes what a new (or newly approved) status brings: the
// home feeds, the notifications and the parent's replies_count.
func releaseStatus(ctx context.Context, tx *sql.Tx, st *model.Status, authorLocal bool) error {
	if err := fanOutStatus(ctx, tx, st, authorLocal); err != nil {
		return err
	}
	if st.InReplyToID != 0 {
		if _, err := tx.ExecContext(ctx, "UPDATE statuses SET replies_count = replies_count + 1 WHERE id = ?", st.InReplyToID); err != nil {
			return err
		}
	}
	return nil
}

// fanOutStatus writes the home feed rows and notifications of a new status.
func fanOutStatus(ctx context.Context, tx *sql.Tx, st *model.Status, authorLocal bool) error {
	author := st.AccountID
	if authorLocal {
		if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO home_feed (account_id, status_id, author_id) VALUES (?, ?, ?)", author, st.ID, author); err != nil {
			return err
		}
	}
	if st.Visibility != model.Direct {
		// Local followers; a reply to someone else reaches only those who
		// also follow the account replied to (as Mastodon).
		q := `INSERT OR IGNORE INTO home_feed (account_id, status_id, author_id)
			SELECT f.account_id, ?, ? FROM follows f JOIN accounts a ON a.id = f.account_id AND a.domain = ''
			WHERE f.target_id = ? AND ` + notWantedBy("f.account_id")
		args := []any{st.ID, author, author, author, author}
		if st.InReplyToAccountID != 0 && st.InReplyToAccountID != author {
			q += ` AND (f.account_id = ? OR EXISTS (SELECT 1 FROM follows f2 WHERE f2.account_id = f.account_id AND f2.target_id = ?))`
			args = append(args, st.InReplyToAccountID, st.InReplyToAccountID)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	// Local followers of its hashtags (Mastodon's followed tags): public
	// posts of accounts not silenced, unless the follower blocks or mutes
	// the author or blocks the author's domain.
	if st.Visibility == model.Public && st.ReblogOfID == 0 && len(st.Tags) > 0 {
		q := `INSERT OR IGNORE INTO home_feed (account_id, status_id, author_id)
			SELECT ft.account_id, ?, ? FROM status_tags x JOIN followed_tags ft ON ft.tag_id = x.tag_id
			WHERE x.status_id = ? AND ft.account_id <> ? AND ` + notWantedBy("ft.account_id") + `
			AND NOT ` + domainBlockedBy("ft.account_id") + `
			AND NOT EXISTS (SELECT 1 FROM accounts sa WHERE sa.id = ? AND (sa.silenced_at IS NOT NULL OR sa.suspended_at IS NOT NULL))`
		if _, err := tx.ExecContext(ctx, q, st.ID, author, st.ID, author, author, author, author, author); err != nil {
			return err
		}
	}
	if st.Visibility == model.Private || st.Visibility == model.Direct {
		for _, m := range st.MentionIDs {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO home_feed (account_id, status_id, author_id)
				SELECT a.id, ?, ? FROM accounts a WHERE a.id = ? AND a.domain = '' AND `+notWantedBy("a.id"),
				st.ID, author, m, author, author); err != nil {
				return err
			}
		}
	}
	for _, m := range st.MentionIDs {
		if _, err := insertNotification(ctx, tx, m, author, model.NotifyMention, st.ID); err != nil {
			return err
		}
	}
	// "status" notifications for followers who asked for them: not for
	// direct statuses, nor replies to others.
	if st.Visibility != model.Direct && (st.InReplyToAccountID == 0 || st.InReplyToAccountID == author) {
		q := `INSERT OR IGNORE INTO notifications (id, account_id, from_account_id, type, status_id, created_at)
			SELECT ? + row_number() OVER (), f.account_id, ?, 'status', ?, ? FROM follows f
			JOIN accounts a ON a.id = f.account_id AND a.domain = ''
			WHERE f.target_id = ? AND f.notify = 1 AND ` + notWantedBy("f.account_id")
		args := []any{id.New(), author, st.ID, ms(time.Now()), author, author, author}
		if len(st.MentionIDs) > 0 {
			q += " AND f.account_id NOT IN (" + placeholders(len(st.MentionIDs)) + ")"
			args = append(args, int64Args(st.MentionIDs)...)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// setStatusTags replaces a status's tags, creating unknown tags.
func setStatusTags(ctx context.Context, tx *sql.Tx, statusID int64, tags []string) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM status_tags WHERE status_id = ?", statusID); err != nil {
		return err
	}
	now := ms(time.Now())
	for _, t := range tags {
		if _, err := tx.ExecContext(ctx, "INSERT INTO tags (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO NOTHING",
			id.New(), t, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO status_tags (tag_id, status_id) SELECT id, ? FROM tags WHERE name = ?",
			statusID, t); err != nil {
			return err
		}
	}
	return nil
}

// jsonIDs is ids as a JSON array, for json_each(?).
func jsonIDs(ids []int64) string {
	b := make([]byte, 0, len(ids)*20+2)
	b = append(b, '[')
	for i, v := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, v, 10)
	}
	return string(append(b, ']'))
}

func dedupe(ids []int64) []int64 {
	if len(ids) == 0 {
		return nil
	}
	out := make([]int64, 0, len(ids))
	seen := make(map[int64]struct{}, len(ids))
	for _, v := range ids {
		if _, dup := seen[v]; v != 0 && !dup {
			seen[v] = struct{}{}
			out = append(out, v)
		}
	}
	return out
}

func dedupeStrings(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range in {
		v = strings.ToLower(strings.TrimSpace(v))
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// UpdateStatus stores an edit.
func (s *Store) UpdateStatus(ctx context.Context, st *model.Status, tags []string, events []model.OutboxEvent) error {
	return wrap("update status", s.tx(ctx, func(tx *sql.Tx) error {
		if err := snapshotStatus(ctx, tx, st.ID); err != nil {
			return err
		}
		if err := notifyEditIn(ctx, tx, st); err != nil {
			return err
		}
		return updateStatusIn(ctx, tx, st, tags, events)
	}))
}

// snapshotStatus keeps the version of a status about to be replaced in
// its edit history: its text, attachments and poll.
func snapshotStatus(ctx context.Context, tx *sql.Tx, statusID int64) error {
	media, err := queryAll(ctx, tx, "SELECT id, description, focus_x, focus_y FROM media_attachments WHERE status_id = ? ORDER BY position, id",
		[]any{statusID}, func(row scanner) (storage.EditMedia, error) {
			var m storage.EditMedia
			err := row.Scan(&m.ID, &m.Description, &m.FocusX, &m.FocusY)
			return m, err
		})
	if err != nil {
		return err
	}
	mediaJSON, pollJSON := "", ""
	if len(media) > 0 {
		mediaJSON = jsonText(media)
	}
	if p, err := getPoll(ctx, tx, statusID); err == nil {
		pollJSON = jsonText(storage.EditPoll{Options: p.Options, Multiple: p.Multiple})
	} else if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO status_edits (id, status_id, content, spoiler_text, sensitive, created_at, media, poll)
		SELECT ?, id, content, spoiler_text, sensitive, ifnull(edited_at, created_at), ?, ? FROM statuses WHERE id = ?`,
		id.New(), mediaJSON, pollJSON, statusID)
	return err
}

// EditLocalStatus stores an edit of a local status with its attachments
// and poll.
func (s *Store) EditLocalStatus(ctx context.Context, e storage.LocalEdit) error {
	st := e.Status
	return wrap("edit local status", s.tx(ctx, func(tx *sql.Tx) error {
		if err := snapshotStatus(ctx, tx, st.ID); err != nil {
			return err
		}
		// Before the poll's votes may go: its voters hear of the edit.
		if err := notifyEditIn(ctx, tx, st); err != nil {
			return err
		}
		if err := setStatusMediaIn(ctx, tx, st.ID, st.AccountID, e.MediaIDs, true); err != nil {
			return err
		}
		for _, a := range e.MediaAttributes {
			if a.Description != nil {
				if _, err := tx.ExecContext(ctx, "UPDATE media_attachments SET description = ?, updated_at = ? WHERE id = ? AND status_id = ?",
					*a.Description, ms(time.Now()), a.ID, st.ID); err != nil {
					return err
				}
			}
			if a.Focus != nil {
				if _, err := tx.ExecContext(ctx, "UPDATE media_attachments SET focus_x = ?, focus_y = ?, updated_at = ? WHERE id = ? AND status_id = ?",
					a.Focus[0], a.Focus[1], ms(time.Now()), a.ID, st.ID); err != nil {
					return err
				}
			}
		}
		if e.SetPoll {
			old, err := getPoll(ctx, tx, st.ID)
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			switch {
			case e.Poll == nil:
				if _, err := tx.ExecContext(ctx, "DELETE FROM polls WHERE status_id = ?", st.ID); err != nil {
					return err
				}
			case old == nil || e.ResetVotes:
				if _, err := tx.ExecContext(ctx, "DELETE FROM polls WHERE status_id = ?", st.ID); err != nil {
					return err
				}
				if err := insertPoll(ctx, tx, st.ID, e.Poll); err != nil {
					return err
				}
			default:
				if _, err := tx.ExecContext(ctx, "UPDATE polls SET hide_totals = ?, expires_at = ?, closed_at = NULL WHERE status_id = ?",
					b2i(e.Poll.HideTotals), msPtr(e.Poll.ExpiresAt), st.ID); err != nil {
					return err
				}
			}
		}
		if err := insertJobs(ctx, tx, e.Jobs); err != nil {
			return err
		}
		for _, j := range e.Jobs { // a poll that now ends sooner: its waiting expiry job runs sooner
			if j.UniqueKey != "" {
				if _, err := tx.ExecContext(ctx, "UPDATE jobs SET run_at = ? WHERE unique_key = ? AND run_at > ?",
					ms(j.RunAt), j.UniqueKey, ms(j.RunAt)); err != nil {
					return err
				}
			}
		}
		return updateStatusIn(ctx, tx, st, e.Tags, e.Events)
	}))
}

// EditRemoteStatus stores an edit of a remote status with its poll and
// attachments, in one transaction: no reader sees half of it, and nothing
// of the post written before (its Create, a fetch) can land after it.
func (s *Store) EditRemoteStatus(ctx context.Context, e storage.RemoteEdit) (storage.RemoteEdited, error) {
	st := e.Status
	var out storage.RemoteEdited
	err := s.tx(ctx, func(tx *sql.Tx) error {
		out = storage.RemoteEdited{}
		if e.Poll != nil {
			if err := s.serialize(ctx, tx, "poll:"+strconv.FormatInt(st.ID, 10)); err != nil {
				return err
			}
		}
		if err := snapshotStatus(ctx, tx, st.ID); err != nil {
			return err
		}
		// Before the poll's votes may go: its voters hear of the edit.
		if err := notifyEditIn(ctx, tx, st); err != nil {
			return err
		}
		if e.Poll != nil {
			e.Poll.StatusID = st.ID
			p, err := updateRemotePollIn(ctx, tx, e.Poll)
			if err != nil {
				return err
			}
			out.Poll = p
		}
		if e.SetMedia {
			uncached, err := putRemoteMediaIn(ctx, tx, st.ID, st.AccountID, e.Media)
			if err != nil {
				return err
			}
			out.Uncached = uncached
		}
		return updateStatusIn(ctx, tx, st, e.Tags, nil)
	})
	return out, wrap("edit remote status", err)
}

// updateStatusIn writes an edited status's row and tags.
func updateStatusIn(ctx context.Context, tx *sql.Tx, st *model.Status, tags []string, events []model.OutboxEvent) error {
	{
		policy, err := encodePolicy(st.Policy)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE statuses SET content = ?, text = ?, spoiler_text = ?, sensitive = ?, language = ?,
			edited_at = ?, interaction_policy = ? WHERE id = ?`,
			st.Content, st.Text, st.SpoilerText, b2i(st.Sensitive), st.Language, msPtr(st.EditedAt), policy, st.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return storage.ErrNotFound
		}
		st.Tags = dedupeStrings(tags)
		if err := setStatusTags(ctx, tx, st.ID, st.Tags); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	}
}

// notifyEditIn tells local accounts of an edit, as Mastodon 4.5: those
// who boosted the status and those who voted in its poll get "update";
// the authors of accepted quotes of it get "quoted_update" about their
// own quote post. One statement, so that the ids it numbers from one
// base cannot collide.
func notifyEditIn(ctx context.Context, tx *sql.Tx, st *model.Status) error {
	_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO notifications (id, account_id, from_account_id, type, status_id, created_at)
		SELECT ? + row_number() OVER (), r.account_id, ?, r.type, r.status_id, ? FROM (
			SELECT b.account_id, 'update' AS type, b.reblog_of_id AS status_id FROM statuses b WHERE b.reblog_of_id = ?
			UNION SELECT v.account_id, 'update', v.status_id FROM poll_votes v WHERE v.status_id = ?
			UNION SELECT q.account_id, 'quoted_update', q.id FROM statuses q WHERE q.quote_of_id = ? AND q.quote_state = 'accepted'
		) r JOIN accounts a ON a.id = r.account_id AND a.domain = '' WHERE r.account_id <> ?`,
		id.New(), st.AccountID, ms(time.Now()), st.ID, st.ID, st.ID, st.AccountID)
	return err
}

// RedraftStatus deletes a status but keeps its attachments, unattached.
func (s *Store) RedraftStatus(ctx context.Context, statusID int64, events []model.OutboxEvent) error {
	return wrap("redraft status", s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE media_attachments SET status_id = NULL, position = 0, updated_at = ? WHERE status_id = ?",
			ms(time.Now()), statusID); err != nil {
			return err
		}
		if err := deleteStatusIn(ctx, tx, statusID); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	}))
}

// DeleteStatus removes a status and what depends on it.
func (s *Store) DeleteStatus(ctx context.Context, statusID int64, events []model.OutboxEvent) error {
	return wrap("delete status", s.tx(ctx, func(tx *sql.Tx) error {
		if err := deleteStatusIn(ctx, tx, statusID); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	}))
}

// deleteStatusIn removes a status and what depends on it, inside tx.
func deleteStatusIn(ctx context.Context, tx *sql.Tx, statusID int64) error {
	st, err := getStatus(ctx, tx, "s.id = ?", statusID)
	if err != nil {
		return err
	}
	// Boosts of it go with it (the foreign key cascades the rows; the
	// feeds and the boosters' counters are ours to fix).
	if _, err := tx.ExecContext(ctx, "DELETE FROM home_feed WHERE status_id IN (SELECT id FROM statuses WHERE reblog_of_id = ?)", statusID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM statuses WHERE reblog_of_id = ?", statusID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM home_feed WHERE status_id = ?", statusID); err != nil {
		return err
	}
	if st.ReblogOfID != 0 && !st.PendingApproval {
		if _, err := tx.ExecContext(ctx, "UPDATE statuses SET reblogs_count = max(reblogs_count - 1, 0) WHERE id = ?", st.ReblogOfID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM notifications WHERE from_account_id = ? AND type = 'reblog' AND status_id = ?",
			st.AccountID, st.ReblogOfID); err != nil {
			return err
		}
	} else {
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET statuses_count = max(statuses_count - 1, 0) WHERE id = ?", st.AccountID); err != nil {
			return err
		}
	}
	if st.InReplyToID != 0 && !st.PendingApproval {
		if _, err := tx.ExecContext(ctx, "UPDATE statuses SET replies_count = max(replies_count - 1, 0) WHERE id = ?", st.InReplyToID); err != nil {
			return err
		}
	}
	// A held reply deleted by its author withdraws its request.
	if _, err := tx.ExecContext(ctx, "DELETE FROM interaction_requests WHERE reply_id = ? AND accepted_at IS NULL AND rejected_at IS NULL",
		statusID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM statuses WHERE id = ?", statusID); err != nil {
		return err
	}
	if st.Local {
		if _, err := tx.ExecContext(ctx, "INSERT INTO tombstones (uri, deleted_at) VALUES (?, ?) ON CONFLICT(uri) DO NOTHING",
			st.URI, ms(time.Now())); err != nil {
			return err
		}
	}
	return nil
}

// Favourite records a favourite (idempotent).
func (s *Store) Favourite(ctx context.Context, accountID, statusID int64, uri string, events []model.OutboxEvent) error {
	return wrap("favourite", s.tx(ctx, func(tx *sql.Tx) error {
		added, err := favouriteIn(ctx, tx, accountID, statusID, uri)
		if err != nil || !added {
			return err
		}
		return insertEvents(ctx, tx, events)
	}))
}

// PendingFavourite records a favourite that waits for the remote author's
// approval: not counted, no notification (idempotent).
func (s *Store) PendingFavourite(ctx context.Context, accountID, statusID int64, uri string, events []model.OutboxEvent) error {
	return wrap("pending favourite", s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO favourites (id, account_id, status_id, uri, created_at, pending_approval)
			SELECT ?, ?, id, ?, ?, 1 FROM statuses WHERE id = ?`, id.New(), accountID, uri, ms(time.Now()), statusID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // favourited already (or the status is gone)
		}
		return insertEvents(ctx, tx, events)
	}))
}

// AnswerFavourite applies the remote author's answer to the pending
// favourite uri: accepted, it is counted; rejected, deleted. answered is
// false when no favourite with that id waits.
func (s *Store) AnswerFavourite(ctx context.Context, uri string, accept bool) (bool, error) {
	answered := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var accountID, statusID int64
		err := tx.QueryRowContext(ctx, "SELECT account_id, status_id FROM favourites WHERE uri = ? AND uri <> '' AND pending_approval = 1",
			uri).Scan(&accountID, &statusID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		answered = true
		if !accept {
			_, err := tx.ExecContext(ctx, "DELETE FROM favourites WHERE account_id = ? AND status_id = ?", accountID, statusID)
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE favourites SET pending_approval = 0 WHERE account_id = ? AND status_id = ?", accountID, statusID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE statuses SET favourites_count = favourites_count + 1 WHERE id = ?", statusID)
		return err
	})
	return answered, wrap("answer favourite", err)
}

// favouriteIn records a favourite inside tx; added is false when it
// existed already.
func favouriteIn(ctx context.Context, tx *sql.Tx, accountID, statusID int64, uri string) (added bool, err error) {
	var author int64
	if err := tx.QueryRowContext(ctx, "SELECT account_id FROM statuses WHERE id = ?", statusID).Scan(&author); errors.Is(err, sql.ErrNoRows) {
		return false, storage.ErrNotFound
	} else if err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO favourites (id, account_id, status_id, uri, created_at) VALUES (?,?,?,?,?)",
		id.New(), accountID, statusID, uri, ms(time.Now()))
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, "UPDATE statuses SET favourites_count = favourites_count + 1 WHERE id = ?", statusID); err != nil {
		return false, err
	}
	if _, err := insertNotification(ctx, tx, author, accountID, model.NotifyFavourite, statusID); err != nil {
		return false, err
	}
	return true, nil
}

// Unfavourite removes a favourite (idempotent).
func (s *Store) Unfavourite(ctx context.Context, accountID, statusID int64, events []model.OutboxEvent) error {
	return wrap("unfavourite", s.tx(ctx, func(tx *sql.Tx) error {
		var pending bool
		err := tx.QueryRowContext(ctx, "DELETE FROM favourites WHERE account_id = ? AND status_id = ? RETURNING pending_approval",
			accountID, statusID).Scan(&pending)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		if pending { // never counted; its Like is still undone
			return insertEvents(ctx, tx, events)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE statuses SET favourites_count = max(favourites_count - 1, 0) WHERE id = ?", statusID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM notifications WHERE from_account_id = ? AND type = 'favourite' AND status_id = ?", accountID, statusID); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	}))
}

// FavouriteURI is the ActivityPub id of a favourite.
func (s *Store) FavouriteURI(ctx context.Context, accountID, statusID int64) (string, error) {
	var uri string
	err := s.r.QueryRowContext(ctx, "SELECT uri FROM favourites WHERE account_id = ? AND status_id = ?", accountID, statusID).Scan(&uri)
	if errors.Is(err, sql.ErrNoRows) {
		return "", wrap("favourite uri", storage.ErrNotFound)
	}
	return uri, wrap("favourite uri", err)
}

// FavouriteByURI finds a favourite by its ActivityPub id.
func (s *Store) FavouriteByURI(ctx context.Context, uri string) (int64, int64, error) {
	var a, st int64
	err := s.r.QueryRowContext(ctx, "SELECT account_id, status_id FROM favourites WHERE uri = ? AND uri <> ''", uri).Scan(&a, &st)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, wrap("favourite by uri", storage.ErrNotFound)
	}
	return a, st, wrap("favourite by uri", err)
}

// Reblog creates a boost, or returns the existing one.
func (s *Store) Reblog(ctx context.Context, boost *model.Status, events []model.OutboxEvent) (*model.Status, error) {
	var out *model.Status
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// One boost per account and status, also between processes.
		if err := s.serialize(ctx, tx, "boost:"+strconv.FormatInt(boost.AccountID, 10)+":"+strconv.FormatInt(boost.ReblogOfID, 10)); err != nil {
			return err
		}
		var created bool
		var err error
		out, created, err = reblogIn(ctx, tx, boost, events)
		if err != nil || !created {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
	return out, wrap("reblog", err)
}

// reblogIn creates a boost inside tx, or returns the existing one
// (created false); events are those that will name the boost (their ids
// follow it if it has to change, see insertStatusRow).
func reblogIn(ctx context.Context, tx *sql.Tx, boost *model.Status, events []model.OutboxEvent) (*model.Status, bool, error) {
	ex, err := reblogOf(ctx, tx, boost.AccountID, boost.ReblogOfID)
	if err == nil {
		return ex, false, nil
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return nil, false, err
	}
	var origAuthor int64
	if err := tx.QueryRowContext(ctx, "SELECT account_id FROM statuses WHERE id = ?", boost.ReblogOfID).Scan(&origAuthor); errors.Is(err, sql.ErrNoRows) {
		return nil, false, storage.ErrNotFound
	} else if err != nil {
		return nil, false, err
	}
	if boost.URI != "" && !boost.Local {
		if ex, err := getStatus(ctx, tx, "s.uri = ?", boost.URI); err == nil {
			return ex, false, nil
		}
	}
	boosterLocal, err := accountIsLocal(ctx, tx, boost.AccountID)
	if err != nil {
		return nil, false, err
	}
	if err := insertStatusRow(ctx, tx, boost, events); err != nil {
		return nil, false, err
	}
	if boosterLocal {
		if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO home_feed (account_id, status_id, author_id) VALUES (?, ?, ?)",
			boost.AccountID, boost.ID, boost.AccountID); err != nil {
			return nil, false, err
		}
	}
	if !boost.PendingApproval {
		if err := releaseBoost(ctx, tx, boost, origAuthor); err != nil {
			return nil, false, err
		}
	}
	return boost, true, nil
}

// releaseBoost writes what a new (or newly approved) boost brings: the
// home feeds of the booster's followers, the original's reblogs_count and
// its author's notification.
func releaseBoost(ctx context.Context, tx *sql.Tx, boost *model.Status, origAuthor int64) error {
	booster := boost.AccountID
	if boost.Visibility != model.Direct && boost.Visibility != model.Private {
		// Local followers who show the booster's boosts and want neither
		// the booster nor the original author.
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO home_feed (account_id, status_id, author_id)
			SELECT f.account_id, ?, ? FROM follows f JOIN accounts a ON a.id = f.account_id AND a.domain = ''
			WHERE f.target_id = ? AND f.show_reblogs = 1 AND f.account_id <> ? AND `+notWantedBy("f.account_id")+` AND `+notWantedBy("f.account_id"),
			boost.ID, booster, booster, origAuthor, booster, booster, origAuthor, origAuthor); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE statuses SET reblogs_count = reblogs_count + 1 WHERE id = ?", boost.ReblogOfID); err != nil {
		return err
	}
	_, err := insertNotification(ctx, tx, origAuthor, booster, model.NotifyReblog, boost.ReblogOfID)
	return err
}

func reblogOf(ctx context.Context, q queryer, accountID, statusID int64) (*model.Status, error) {
	return getStatusArgs(ctx, q, "s.account_id = ? AND s.reblog_of_id = ?", accountID, statusID)
}

func getStatusArgs(ctx context.Context, q queryer, where string, args ...any) (*model.Status, error) {
	sts, err := queryStatuses(ctx, q, "SELECT "+statusColumns+" FROM statuses s WHERE "+where+" LIMIT 1", args...)
	if err != nil {
		return nil, err
	}
	if len(sts) == 0 {
		return nil, storage.ErrNotFound
	}
	return sts[0], nil
}

// ReblogOf returns accountID's boost of statusID.
func (s *Store) ReblogOf(ctx context.Context, accountID, statusID int64) (*model.Status, error) {
	v, err := reblogOf(ctx, s.r, accountID, statusID)
	return v, wrap("reblog of", err)
}

// Bookmark is idempotent.
func (s *Store) Bookmark(ctx context.Context, accountID, statusID int64) error {
	_, err := s.w.ExecContext(ctx, "INSERT OR IGNORE INTO bookmarks (id, account_id, status_id, created_at) VALUES (?,?,?,?)",
		id.New(), accountID, statusID, ms(time.Now()))
	return wrap("bookmark", err)
}

// Unbookmark is idempotent.
func (s *Store) Unbookmark(ctx context.Context, accountID, statusID int64) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM bookmarks WHERE account_id = ? AND status_id = ?", accountID, statusID)
	return wrap("unbookmark", err)
}

// Pin pins a status (idempotent), at most storage.MaxPins.
func (s *Store) Pin(ctx context.Context, accountID, statusID int64, events []model.OutboxEvent) error {
	return wrap("pin", s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.serialize(ctx, tx, "pins:"+strconv.FormatInt(accountID, 10)); err != nil {
			return err
		}
		var pinned, count int
		if err := tx.QueryRowContext(ctx, "SELECT count(*), count(CASE WHEN status_id = ? THEN 1 END) FROM pins WHERE account_id = ?", statusID, accountID).Scan(&count, &pinned); err != nil {
			return err
		}
		if pinned > 0 {
			return nil
		}
		if count >= storage.MaxPins {
			return storage.ErrPinLimit
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO pins (id, account_id, status_id, created_at) VALUES (?,?,?,?)",
			id.New(), accountID, statusID, ms(time.Now())); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	}))
}

// Unpin is idempotent.
func (s *Store) Unpin(ctx context.Context, accountID, statusID int64, events []model.OutboxEvent) error {
	return wrap("unpin", s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM pins WHERE account_id = ? AND status_id = ?", accountID, statusID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return insertEvents(ctx, tx, events)
	}))
}

// StatusFlags returns what the viewer did to the statuses among ids, in one query.
func (s *Store) StatusFlags(ctx context.Context, viewerID int64, ids []int64) (map[int64]storage.StatusFlags, error) {
	out := map[int64]storage.StatusFlags{}
	ids = dedupe(ids)
	if viewerID == 0 || len(ids) == 0 {
		return out, nil
	}
	// The ids go once, as a JSON array: one text for every page size (a
	// kept statement), one list for the four lookups.
	q := `WITH ids(id) AS MATERIALIZED (SELECT value FROM json_each(?2))
		SELECT 'f', f.status_id FROM ids JOIN favourites f ON f.account_id = ?1 AND f.status_id = ids.id AND f.pending_approval = 0
		UNION ALL SELECT 'r', s.reblog_of_id FROM ids JOIN statuses s INDEXED BY statuses_reblog ON s.reblog_of_id = ids.id AND s.account_id = ?1
		UNION ALL SELECT 'b', b.status_id FROM ids JOIN bookmarks b ON b.account_id = ?1 AND b.status_id = ids.id
		UNION ALL SELECT 'p', p.status_id FROM ids JOIN pins p ON p.account_id = ?1 AND p.status_id = ids.id`
	// Muted conversations: walked only for a viewer who muted one.
	var muting bool
	if err := s.r.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM conversation_mutes WHERE account_id = ?)", viewerID).Scan(&muting); err != nil {
		return nil, wrap("status flags", err)
	}
	if muting {
		q += ` UNION ALL SELECT * FROM (WITH RECURSIVE up(sid, id, parent, depth) AS (
				SELECT id, id, in_reply_to_id, 0 FROM statuses WHERE id IN (SELECT value FROM json_each(?2))
				UNION ALL SELECT up.sid, s.id, s.in_reply_to_id, up.depth + 1 FROM statuses s JOIN up ON s.id = up.parent WHERE up.depth < 1000)
			SELECT DISTINCT 'm', up.sid FROM up JOIN conversation_mutes cm ON cm.account_id = ?1 AND cm.root_id = up.id) AS muted`
	}
	err := queryKinds(ctx, s.r, q, []any{viewerID, jsonIDs(ids)}, func(kind string, sid int64) {
		f := out[sid]
		switch kind {
		case "f":
			f.Favourited = true
		case "r":
			f.Reblogged = true
		case "b":
			f.Bookmarked = true
		case "p":
			f.Pinned = true
		case "m":
			f.Muted = true
		}
		out[sid] = f
	})
	return out, wrap("status flags", err)
}

// ViewerRelations returns the viewer's follows, blocks (either way) and
// mutes among accountIDs, in one query.
func (s *Store) ViewerRelations(ctx context.Context, viewerID int64, accountIDs []int64) (*storage.ViewerRelations, error) {
	out := &storage.ViewerRelations{Following: map[int64]bool{}, Blocked: map[int64]bool{}, Muted: map[int64]bool{}, DomainBlocked: map[int64]bool{}}
	accountIDs = dedupe(accountIDs)
	if viewerID == 0 || len(accountIDs) == 0 {
		return out, nil
	}
	// As StatusFlags: the ids once, as a JSON array.
	const q = `WITH ids(id) AS MATERIALIZED (SELECT value FROM json_each(?2))
		SELECT 'f', f.target_id FROM ids JOIN follows f ON f.account_id = ?1 AND f.target_id = ids.id
		UNION ALL SELECT 'b', b.target_id FROM ids JOIN blocks b ON b.account_id = ?1 AND b.target_id = ids.id
		UNION ALL SELECT 'b', b.account_id FROM ids JOIN blocks b ON b.target_id = ?1 AND b.account_id = ids.id
		UNION ALL SELECT 'm', m.target_id FROM ids JOIN mutes m ON m.account_id = ?1 AND m.target_id = ids.id
			AND (m.expires_at IS NULL OR m.expires_at > ?3)
		UNION ALL SELECT 'd', a.id FROM ids JOIN accounts a ON a.id = ids.id
			JOIN account_domain_blocks d ON d.account_id = ?1 AND d.domain = a.domain WHERE a.domain <> ''`
	err := queryKinds(ctx, s.r, q, []any{viewerID, jsonIDs(accountIDs), ms(time.Now())}, func(kind string, aid int64) {
		switch kind {
		case "f":
			out.Following[aid] = true
		case "b":
			out.Blocked[aid] = true
		case "m":
			out.Muted[aid] = true
		case "d":
			out.DomainBlocked[aid] = true
		}
	})
	return out, wrap("viewer relations", err)
}

// ExtrasOf tells which statuses have attachments, a card or a poll: one
// index probe per status and kind (media_attachments_status, the primary
// keys of status_cards and polls), the ids once as a JSON array.
func (s *Store) ExtrasOf(ctx context.Context, ids []int64) (storage.StatusExtras, error) {
	out := storage.StatusExtras{Media: map[int64]bool{}, Card: map[int64]bool{}, Poll: map[int64]bool{}}
	ids = dedupe(ids)
	if len(ids) == 0 {
		return out, nil
	}
	const q = `WITH ids(id) AS MATERIALIZED (SELECT value FROM json_each(?1))
		SELECT 'm', ids.id FROM ids WHERE EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = ids.id)
		UNION ALL SELECT 'c', ids.id FROM ids WHERE EXISTS (SELECT 1 FROM status_cards sc WHERE sc.status_id = ids.id)
		UNION ALL SELECT 'p', ids.id FROM ids WHERE EXISTS (SELECT 1 FROM polls p WHERE p.status_id = ids.id)`
	err := queryKinds(ctx, s.r, q, []any{jsonIDs(ids)}, func(kind string, id int64) {
		switch kind {
		case "m":
			out.Media[id] = true
		case "c":
			out.Card[id] = true
		case "p":
			out.Poll[id] = true
		}
	})
	return out, wrap("extras of", err)
}

// Ancestors follows in_reply_to_id upwards, nearest first.
func (s *Store) Ancestors(ctx context.Context, statusID int64, limit int) ([]*model.Status, error) {
	v, err := queryStatuses(ctx, s.r, `WITH RECURSIVE up(id, depth) AS (
			SELECT in_reply_to_id, 1 FROM statuses WHERE id = ? AND in_reply_to_id IS NOT NULL
			UNION ALL
			SELECT st.in_reply_to_id, up.depth + 1 FROM statuses st JOIN up ON st.id = up.id
			WHERE st.in_reply_to_id IS NOT NULL AND up.depth < ?)
		SELECT `+statusColumns+` FROM up JOIN statuses s ON s.id = up.id ORDER BY up.depth`, statusID, limit)
	return v, wrap("ancestors", err)
}

// Descendants walks the replies breadth-first, at most limit statuses.
func (s *Store) Descendants(ctx context.Context, statusID int64, limit int) ([]*model.Status, error) {
	// SQLite stops the walk itself after limit statuses (ORDER BY and
	// LIMIT inside the recursion, breadth first); PostgreSQL has no such
	// clause there: it walks the thread (to the same depth) and keeps the
	// first limit.
	v, err := queryStatuses(ctx, s.r, s.dialect.pick(`WITH RECURSIVE down(id, depth) AS (
			SELECT ?, 0
			UNION ALL
			SELECT st.id, down.depth + 1 FROM statuses st JOIN down ON st.in_reply_to_id = down.id
			WHERE down.depth < 200
			ORDER BY 2 LIMIT ?)
		SELECT `+statusColumns+` FROM down JOIN statuses s ON s.id = down.id WHERE down.depth > 0 ORDER BY down.depth, s.id`,
		`WITH RECURSIVE down(id, depth) AS (
			SELECT ?::bigint, 0
			UNION ALL
			SELECT st.id, down.depth + 1 FROM statuses st JOIN down ON st.in_reply_to_id = down.id
			WHERE down.depth < 200)
		SELECT `+statusColumns+` FROM down JOIN statuses s ON s.id = down.id WHERE down.depth > 0 ORDER BY down.depth, s.id LIMIT ? - 1`),
		statusID, limit+1)
	return v, wrap("descendants", err)
}

// FavouritedBy pages through who favourited a status.
func (s *Store) FavouritedBy(ctx context.Context, statusID int64, p model.Page) ([]int64, []int64, error) {
	where, args, order, reverse := pageClause("f.id", p)
	q := "SELECT f.account_id, f.id FROM favourites f WHERE f.status_id = ? AND f.pending_approval = 0" + where + order
	v, v2, err := queryPairs(ctx, s.r, q, reverse, append([]any{statusID}, args...)...)
	return v, v2, wrap("favourited by", err)
}

// RebloggedBy pages through who boosted a status.
func (s *Store) RebloggedBy(ctx context.Context, statusID int64, p model.Page) ([]int64, []int64, error) {
	where, args, order, reverse := pageClause("b.id", p)
	// Public and unlisted boosts only, as Mastodon's: a boost of a private
	// post (by its author) is private and never listed.
	q := "SELECT b.account_id, b.id FROM statuses b WHERE b.reblog_of_id = ? AND b.visibility <= 1" + where + order
	v, v2, err := queryPairs(ctx, s.r, q, reverse, append([]any{statusID}, args...)...)
	return v, v2, wrap("reblogged by", err)
}

func queryPairs(ctx context.Context, q queryer, query string, reverse bool, args ...any) ([]int64, []int64, error) {
	var a, b []int64
	err := queryEach(ctx, q, query, args, func(row scanner) error {
		var x, y int64
		if err := row.Scan(&x, &y); err != nil {
			return err
		}
		a = append(a, x)
		b = append(b, y)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if reverse {
		slices.Reverse(a)
		slices.Reverse(b)
	}
	return a, b, nil
}

// StatusEdits returns the earlier versions of a status, oldest first.
func (s *Store) StatusEdits(ctx context.Context, statusID int64) ([]storage.StatusEdit, error) {
	v, err := queryAll(ctx, s.r, "SELECT content, spoiler_text, sensitive, created_at, media, poll FROM status_edits WHERE status_id = ? ORDER BY id",
		[]any{statusID}, func(row scanner) (storage.StatusEdit, error) {
			var e storage.StatusEdit
			var at int64
			var media, poll string
			err := row.Scan(&e.Content, &e.SpoilerText, &e.Sensitive, &at, &media, &poll)
			e.CreatedAt = fromMs(at)
			if err == nil && media != "" {
				err = json.Unmarshal([]byte(media), &e.Media)
			}
			if err == nil && poll != "" {
				e.Poll = &storage.EditPoll{}
				err = json.Unmarshal([]byte(poll), e.Poll)
			}
			return e, err
		})
	return v, wrap("status edits", err)
}
