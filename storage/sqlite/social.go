package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// The social graph: follows, follow requests, blocks, mutes, notes. Every
// change keeps its side effects (counters, home_feed, list memberships,
// follow notifications, outbox events) in the same transaction.

// feedBackfill is how many of a newly followed account's statuses enter the
// follower's home feed at once.
const feedBackfill = 40

const followColumns = "id, account_id, target_id, uri, show_reblogs, notify, created_at"

func scanFollow(row scanner) (*model.Follow, error) {
	var f model.Follow
	var created int64
	err := row.Scan(&f.ID, &f.AccountID, &f.TargetID, &f.URI, &f.ShowReblogs, &f.Notify, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	f.CreatedAt = fromMs(created)
	return &f, nil
}

type socialQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func socialFollowBetween(ctx context.Context, q socialQuerier, table string, followerID, targetID int64) (*model.Follow, error) {
	return scanFollow(q.QueryRowContext(ctx, "SELECT "+followColumns+" FROM "+table+" WHERE account_id = ? AND target_id = ?", followerID, targetID))
}

// socialIsLocal reports whether an account is local (false when it does not exist).
func socialIsLocal(ctx context.Context, q socialQuerier, accountID int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM accounts WHERE id = ? AND domain = ''", accountID).Scan(&n)
	return n > 0, err
}

// socialNotify records a follow-type notification for a local account,
// once (insertNotification is shared with the statuses store).
func socialNotify(ctx context.Context, tx *sql.Tx, accountID, fromID int64, kind string) error {
	_, err := insertNotification(ctx, tx, accountID, fromID, kind, 0)
	return err
}

func socialUnnotify(ctx context.Context, tx *sql.Tx, accountID, fromID int64, kind string) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM notifications WHERE account_id = ? AND from_account_id = ? AND type = ? AND status_id IS NULL",
		accountID, fromID, kind)
	return err
}

// upsertFollow stores f in table (follows or follow_requests). A row
// between the same two accounts is updated and keeps its id, its creation
// time and, when f has none, its URI; created: a new row was inserted.
//
// The insert comes first and gives way to the pair's row (ON CONFLICT), so
// that two transactions following at once (two processes on PostgreSQL)
// make one row and count one follow, not a unique violation.
func upsertFollow(ctx context.Context, tx *sql.Tx, table string, f *model.Follow) (created bool, err error) {
	newID, createdAt := f.ID, f.CreatedAt
	if newID == 0 {
		newID = id.New()
	}
	if createdAt.IsZero() {
		createdAt = time.Now()
	}
	var got int64
	err = tx.QueryRowContext(ctx, "INSERT INTO "+table+" ("+followColumns+") VALUES (?,?,?,?,?,?,?) ON CONFLICT (account_id, target_id) DO NOTHING RETURNING id",
		newID, f.AccountID, f.TargetID, f.URI, b2i(f.ShowReblogs), b2i(f.Notify), ms(createdAt)).Scan(&got)
	if err == nil {
		f.ID, f.CreatedAt = newID, createdAt
		return true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	existing, err := scanFollow(tx.QueryRowContext(ctx, "UPDATE "+table+` SET show_reblogs = ?, notify = ?,
		uri = CASE WHEN ? = '' THEN uri ELSE ? END WHERE account_id = ? AND target_id = ? RETURNING `+followColumns,
		b2i(f.ShowReblogs), b2i(f.Notify), f.URI, f.URI, f.AccountID, f.TargetID))
	if err != nil {
		return false, err
	}
	f.ID, f.CreatedAt, f.URI = existing.ID, existing.CreatedAt, existing.URI
	return false, nil
}

// followTx creates or updates the follow f. notify: a new follow of a local
// target notifies it.
func followTx(ctx context.Context, tx *sql.Tx, f *model.Follow, notify bool) error {
	created, err := upsertFollow(ctx, tx, "follows", f)
	if err != nil {
		return err
	}
	if created {
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET following_count = following_count + 1 WHERE id = ?", f.AccountID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET followers_count = followers_count + 1 WHERE id = ?", f.TargetID); err != nil {
			return err
		}
		// Backfill a local follower's home feed with what they may now see.
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO home_feed (account_id, status_id, author_id)
			SELECT ?, s.id, s.account_id FROM statuses s
			WHERE s.account_id = ? AND s.visibility < 3
			  AND EXISTS (SELECT 1 FROM accounts WHERE id = ? AND domain = '')
			ORDER BY s.id DESC LIMIT ?`, f.AccountID, f.TargetID, f.AccountID, feedBackfill); err != nil {
			return err
		}
		if notify {
			if err := socialNotify(ctx, tx, f.TargetID, f.AccountID, model.NotifyFollow); err != nil {
				return err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM follow_requests WHERE account_id = ? AND target_id = ?", f.AccountID, f.TargetID); err != nil {
		return err
	}
	return socialUnnotify(ctx, tx, f.TargetID, f.AccountID, model.NotifyFollowRequest)
}

// Follow makes follower follow target; see storage.Social.
func (s *Store) Follow(ctx context.Context, f *model.Follow, events []model.OutboxEvent) error {
	return wrap("follow", s.tx(ctx, func(tx *sql.Tx) error {
		if err := followTx(ctx, tx, f, true); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	}))
}

// RequestFollow records a pending follow request.
func (s *Store) RequestFollow(ctx context.Context, f *model.Follow, events []model.OutboxEvent) error {
	return wrap("request follow", s.tx(ctx, func(tx *sql.Tx) error {
		created, err := upsertFollow(ctx, tx, "follow_requests", f)
		if err != nil {
			return err
		}
		if created {
			if err := socialNotify(ctx, tx, f.TargetID, f.AccountID, model.NotifyFollowRequest); err != nil {
				return err
			}
		}
		return insertEvents(ctx, tx, events)
	}))
}

// severFollow removes the follow (and request) of follower to target with
// everything that hangs on it; it reports whether something was removed.
func severFollow(ctx context.Context, tx *sql.Tx, followerID, targetID int64) (bool, error) {
	res, err := tx.ExecContext(ctx, "DELETE FROM follows WHERE account_id = ? AND target_id = ?", followerID, targetID)
	if err != nil {
		return false, err
	}
	followed, _ := res.RowsAffected()
	if followed > 0 {
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET following_count = max(following_count - 1, 0) WHERE id = ?", followerID); err != nil {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET followers_count = max(followers_count - 1, 0) WHERE id = ?", targetID); err != nil {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM home_feed WHERE account_id = ? AND author_id = ?", followerID, targetID); err != nil {
			return false, err
		}
		// The follow notification goes with the follow (as Mastodon's), so
		// that following again notifies again.
		if err := socialUnnotify(ctx, tx, targetID, followerID, model.NotifyFollow); err != nil {
			return false, err
		}
	}
	res, err = tx.ExecContext(ctx, "DELETE FROM follow_requests WHERE account_id = ? AND target_id = ?", followerID, targetID)
	if err != nil {
		return false, err
	}
	requested, _ := res.RowsAffected()
	if requested > 0 {
		if err := socialUnnotify(ctx, tx, targetID, followerID, model.NotifyFollowRequest); err != nil {
			return false, err
		}
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM list_accounts WHERE account_id = ? AND list_id IN (SELECT id FROM lists WHERE account_id = ?)",
		targetID, followerID); err != nil {
		return false, err
	}
	return followed > 0 || requested > 0, nil
}

// Unfollow removes a follow or a pending request.
func (s *Store) Unfollow(ctx context.Context, followerID, targetID int64, events []model.OutboxEvent) (bool, error) {
	var removed bool
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if removed, err = severFollow(ctx, tx, followerID, targetID); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
	return removed, wrap("unfollow", err)
}

// AuthorizeFollowRequest turns a pending request into a follow.
func (s *Store) AuthorizeFollowRequest(ctx context.Context, followerID, targetID int64, events []model.OutboxEvent) (*model.Follow, error) {
	var f *model.Follow
	err := s.tx(ctx, func(tx *sql.Tx) error {
		req, err := socialFollowBetween(ctx, tx, "follow_requests", followerID, targetID)
		if err != nil {
			return err
		}
		f = &model.Follow{AccountID: followerID, TargetID: targetID, URI: req.URI, ShowReblogs: req.ShowReblogs, Notify: req.Notify}
		if err := followTx(ctx, tx, f, false); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
	if err != nil {
		return nil, wrap("authorize follow request", err)
	}
	return f, nil
}

// RejectFollowRequest deletes a pending request.
func (s *Store) RejectFollowRequest(ctx context.Context, followerID, targetID int64, events []model.OutboxEvent) (*model.Follow, error) {
	var req *model.Follow
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if req, err = socialFollowBetween(ctx, tx, "follow_requests", followerID, targetID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM follow_requests WHERE id = ?", req.ID); err != nil {
			return err
		}
		if err := socialUnnotify(ctx, tx, targetID, followerID, model.NotifyFollowRequest); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
	if err != nil {
		return nil, wrap("reject follow request", err)
	}
	return req, nil
}

// FollowBetween returns the follow of follower to target.
func (s *Store) FollowBetween(ctx context.Context, followerID, targetID int64) (*model.Follow, error) {
	v, err := socialFollowBetween(ctx, s.r, "follows", followerID, targetID)
	return v, wrap("follow between", err)
}

// FollowRequestBetween returns the pending request of follower to target.
func (s *Store) FollowRequestBetween(ctx context.Context, followerID, targetID int64) (*model.Follow, error) {
	v, err := socialFollowBetween(ctx, s.r, "follow_requests", followerID, targetID)
	return v, wrap("follow request between", err)
}

// FollowByURI finds a follow, or else a pending request, by ActivityPub id.
func (s *Store) FollowByURI(ctx context.Context, uri string) (*model.Follow, error) {
	if uri == "" {
		return nil, wrap("follow by uri", storage.ErrNotFound)
	}
	f, err := scanFollow(s.r.QueryRowContext(ctx, "SELECT "+followColumns+" FROM follows WHERE uri = ? LIMIT 1", uri))
	if errors.Is(err, storage.ErrNotFound) {
		v, err := scanFollow(s.r.QueryRowContext(ctx, "SELECT "+followColumns+" FROM follow_requests WHERE uri = ? LIMIT 1", uri))
		return v, wrap("follow by uri", err)
	}
	return f, wrap("follow by uri", err)
}

// Block severs follows and requests both ways, then records the block.
func (s *Store) Block(ctx context.Context, accountID, targetID int64, uri string, events []model.OutboxEvent) error {
	return wrap("block", s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := severFollow(ctx, tx, accountID, targetID); err != nil {
			return err
		}
		if _, err := severFollow(ctx, tx, targetID, accountID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO blocks (id, account_id, target_id, uri, created_at) VALUES (?,?,?,?,?)
			ON CONFLICT(account_id, target_id) DO UPDATE SET uri = CASE WHEN excluded.uri <> '' THEN excluded.uri ELSE blocks.uri END`,
			id.New(), accountID, targetID, uri, ms(time.Now())); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	}))
}

// Unblock removes a block.
func (s *Store) Unblock(ctx context.Context, accountID, targetID int64, events []model.OutboxEvent) error {
	return wrap("unblock", s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM blocks WHERE account_id = ? AND target_id = ?", accountID, targetID); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	}))
}

// BlockURI returns the ActivityPub id of a block.
func (s *Store) BlockURI(ctx context.Context, accountID, targetID int64) (string, error) {
	var uri string
	err := s.r.QueryRowContext(ctx, "SELECT uri FROM blocks WHERE account_id = ? AND target_id = ?", accountID, targetID).Scan(&uri)
	if errors.Is(err, sql.ErrNoRows) {
		return "", wrap("block uri", storage.ErrNotFound)
	}
	return uri, wrap("block uri", err)
}

// Mute records or updates a mute.
func (s *Store) Mute(ctx context.Context, accountID, targetID int64, notifications bool, expiresAt *int64) error {
	var exp any
	if expiresAt != nil {
		exp = *expiresAt
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO mutes (id, account_id, target_id, notifications, expires_at, created_at)
		VALUES (?,?,?,?,?,?) ON CONFLICT(account_id, target_id) DO UPDATE SET notifications = excluded.notifications,
		expires_at = excluded.expires_at`, id.New(), accountID, targetID, b2i(notifications), exp, ms(time.Now()))
	return wrap("mute", err)
}

// Unmute removes a mute.
func (s *Store) Unmute(ctx context.Context, accountID, targetID int64) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM mutes WHERE account_id = ? AND target_id = ?", accountID, targetID)
	return wrap("unmute", err)
}

// relationshipChunk bounds the ids of one Relationships query (each is
// bound eleven times).
const relationshipChunk = 300

// Relationships answers in one query per 400 targets.
// FamiliarFollowers: the follows of the targets by accounts accountID
// follows (follows_pair then follows_target).
func (s *Store) FamiliarFollowers(ctx context.Context, accountID int64, targetIDs []int64, limit int) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	if len(targetIDs) == 0 {
		return out, nil
	}
	type pair struct{ target, follower int64 }
	rows, err := queryAll(ctx, s.r, `SELECT f2.target_id, f2.account_id FROM follows f1
		JOIN follows f2 ON f2.account_id = f1.target_id
		JOIN accounts a ON a.id = f1.target_id
		WHERE f1.account_id = ? AND a.hide_collections = 0 AND a.suspended_at IS NULL
		AND f2.target_id IN (`+placeholders(len(targetIDs))+`) ORDER BY f2.id`,
		append([]any{accountID}, int64Args(targetIDs)...), func(r scanner) (pair, error) {
			var p pair
			err := r.Scan(&p.target, &p.follower)
			return p, err
		})
	if err != nil {
		return nil, wrap("familiar followers", err)
	}
	for _, p := range rows {
		if len(out[p.target]) < limit {
			out[p.target] = append(out[p.target], p.follower)
		}
	}
	return out, nil
}

func (s *Store) Relationships(ctx context.Context, accountID int64, targetIDs []int64) ([]model.Relationship, error) {
	rels := make(map[int64]*model.Relationship, len(targetIDs))
	for start := 0; start < len(targetIDs); start += relationshipChunk {
		chunk := targetIDs[start:min(start+relationshipChunk, len(targetIDs))]
		if err := s.relationships(ctx, accountID, chunk, rels); err != nil {
			return nil, wrap("relationships", err)
		}
	}
	out := make([]model.Relationship, 0, len(targetIDs))
	seen := make(map[int64]bool, len(targetIDs))
	for _, t := range targetIDs {
		if r, ok := rels[t]; ok && !seen[t] {
			seen[t] = true
			out = append(out, *r)
		}
	}
	return out, nil
}

func (s *Store) relationships(ctx context.Context, me int64, ids []int64, rels map[int64]*model.Relationship) error {
	in := "(" + placeholders(len(ids)) + ")"
	idArgs := int64Args(ids)
	var args []any
	var parts []string
	add := func(q string, pre ...any) {
		parts = append(parts, q)
		args = append(args, pre...)
		args = append(args, idArgs...)
	}
	add("SELECT 'id', id, 0, 0, '' FROM accounts WHERE id IN " + in)
	add("SELECT 'f', target_id, show_reblogs, notify, '' FROM follows WHERE account_id = ? AND target_id IN "+in, me)
	add("SELECT 'fb', account_id, 0, 0, '' FROM follows WHERE target_id = ? AND account_id IN "+in, me)
	add("SELECT 'b', target_id, 0, 0, '' FROM blocks WHERE account_id = ? AND target_id IN "+in, me)
	add("SELECT 'bb', account_id, 0, 0, '' FROM blocks WHERE target_id = ? AND account_id IN "+in, me)
	add("SELECT 'm', target_id, notifications, 0, '' FROM mutes WHERE account_id = ? AND (expires_at IS NULL OR expires_at > ?) AND target_id IN "+in,
		me, ms(time.Now()))
	add("SELECT 'r', target_id, 0, 0, '' FROM follow_requests WHERE account_id = ? AND target_id IN "+in, me)
	add("SELECT 'rb', account_id, 0, 0, '' FROM follow_requests WHERE target_id = ? AND account_id IN "+in, me)
	add("SELECT 'n', target_id, 0, 0, comment FROM account_notes WHERE account_id = ? AND target_id IN "+in, me)
	add("SELECT 'e', target_id, 0, 0, '' FROM endorsements WHERE account_id = ? AND target_id IN "+in, me)
	add("SELECT 'd', a.id, 0, 0, '' FROM accounts a JOIN account_domain_blocks d ON d.account_id = ? AND d.domain = a.domain WHERE a.domain <> '' AND a.id IN "+in, me)
	type row struct {
		kind   string
		other  int64
		a, b   bool
		note   string
		exists bool
	}
	all, err := queryAll(ctx, s.r, strings.Join(parts, " UNION ALL "), args, func(sc scanner) (row, error) {
		var r row
		err := sc.Scan(&r.kind, &r.other, &r.a, &r.b, &r.note)
		return r, err
	})
	if err != nil {
		return err
	}
	for _, r := range all {
		if r.kind == "id" {
			rels[r.other] = &model.Relationship{TargetID: r.other}
		}
	}
	for _, r := range all {
		rel := rels[r.other]
		if rel == nil {
			continue
		}
		switch r.kind {
		case "f":
			rel.Following, rel.ShowingReblogs, rel.Notifying = true, r.a, r.b
		case "fb":
			rel.FollowedBy = true
		case "b":
			rel.Blocking = true
		case "bb":
			rel.BlockedBy = true
		case "m":
			rel.Muting, rel.MutingNotifications = true, r.a
		case "r":
			rel.Requested = true
		case "rb":
			rel.RequestedBy = true
		case "n":
			rel.Note = r.note
		case "e":
			rel.Endorsed = true
		case "d":
			rel.DomainBlocking = true
		}
	}
	return nil
}

// SetAccountNote stores or removes a private note.
func (s *Store) SetAccountNote(ctx context.Context, accountID, targetID int64, comment string) error {
	if comment == "" {
		_, err := s.w.ExecContext(ctx, "DELETE FROM account_notes WHERE account_id = ? AND target_id = ?", accountID, targetID)
		return wrap("set account note", err)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO account_notes (account_id, target_id, comment) VALUES (?,?,?)
		ON CONFLICT(account_id, target_id) DO UPDATE SET comment = excluded.comment`, accountID, targetID, comment)
	return wrap("set account note", err)
}

// FollowerInboxes lists the delivery inboxes of target's remote followers.
func (s *Store) FollowerInboxes(ctx context.Context, targetID int64) ([]string, error) {
	v, err := queryColumn[string](ctx, s.r, `SELECT DISTINCT coalesce(nullif(a.shared_inbox_url, ''), a.inbox_url) AS inbox
		FROM follows f JOIN accounts a ON a.id = f.account_id
		WHERE f.target_id = ? AND a.domain <> '' AND a.gone_at IS NULL AND a.suspended_at IS NULL
		  AND coalesce(nullif(a.shared_inbox_url, ''), a.inbox_url) <> ''
		ORDER BY inbox`, targetID)
	return v, wrap("follower inboxes", err)
}

// IsBlockedEitherWay reports a block between a and b in either direction.
func (s *Store) IsBlockedEitherWay(ctx context.Context, a, b int64) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM blocks WHERE (account_id = ? AND target_id = ?) OR (account_id = ? AND target_id = ?)`,
		a, b, b, a).Scan(&n)
	return n > 0, wrap("is blocked either way", err)
}

// CountFollowRequests counts the requests waiting for target's answer.
func (s *Store) CountFollowRequests(ctx context.Context, targetID int64) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM follow_requests WHERE target_id = ?", targetID).Scan(&n)
	return n, wrap("count follow requests", err)
}

// pageLinks reads one page of (row id, account id) pairs. base selects
// "id, listed_account_id[, expires_at]" with its own WHERE clause and args.
func (s *Store) pageLinks(ctx context.Context, base string, args []any, withExpiry bool, p model.Page) ([]storage.AccountLink, error) {
	return s.pageLinksBy(ctx, "x.id", base, args, withExpiry, p)
}

// pageLinksBy is pageLinks with another cursor column.
func (s *Store) pageLinksBy(ctx context.Context, col, base string, args []any, withExpiry bool, p model.Page) ([]storage.AccountLink, error) {
	q := base
	if p.MaxID != 0 {
		q += " AND " + col + " < ?"
		args = append(args, p.MaxID)
	}
	asc := false
	if p.MinID != 0 {
		q += " AND " + col + " > ?"
		args = append(args, p.MinID)
		asc = true
	} else if p.SinceID != 0 {
		q += " AND " + col + " > ?"
		args = append(args, p.SinceID)
	}
	if asc {
		q += " ORDER BY " + col + " ASC"
	} else {
		q += " ORDER BY " + col + " DESC"
	}
	if p.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, p.Limit)
	}
	out, err := queryAll(ctx, s.r, q, args, func(row scanner) (storage.AccountLink, error) {
		var l storage.AccountLink
		if !withExpiry {
			err := row.Scan(&l.ID, &l.AccountID)
			return l, err
		}
		var exp sql.NullInt64
		err := row.Scan(&l.ID, &l.AccountID, &exp)
		l.ExpiresAt = fromNullMs(exp)
		return l, err
	})
	if asc {
		slices.Reverse(out)
	}
	return out, err
}

const visibleAccount = " AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = %s AND a.suspended_at IS NULL)"

func visible(col string) string { return strings.Replace(visibleAccount, "%s", col, 1) }

// Followers lists who follows accountID.
func (s *Store) Followers(ctx context.Context, accountID int64, p model.Page) ([]storage.AccountLink, error) {
	v, err := s.pageLinks(ctx, "SELECT x.id, x.account_id FROM follows x WHERE x.target_id = ?"+visible("x.account_id"), []any{accountID}, false, p)
	return v, wrap("followers", err)
}

// Following lists whom accountID follows.
func (s *Store) Following(ctx context.Context, accountID int64, p model.Page) ([]storage.AccountLink, error) {
	v, err := s.pageLinks(ctx, "SELECT x.id, x.target_id FROM follows x WHERE x.account_id = ?"+visible("x.target_id"), []any{accountID}, false, p)
	return v, wrap("following", err)
}

// FollowRequests lists the accounts waiting for targetID's answer.
func (s *Store) FollowRequests(ctx context.Context, targetID int64, p model.Page) ([]storage.AccountLink, error) {
	v, err := s.pageLinks(ctx, "SELECT x.id, x.account_id FROM follow_requests x WHERE x.target_id = ?"+visible("x.account_id"), []any{targetID}, false, p)
	return v, wrap("follow requests", err)
}

// Blocks lists whom accountID blocks.
func (s *Store) Blocks(ctx context.Context, accountID int64, p model.Page) ([]storage.AccountLink, error) {
	v, err := s.pageLinks(ctx, "SELECT x.id, x.target_id FROM blocks x WHERE x.account_id = ?", []any{accountID}, false, p)
	return v, wrap("blocks", err)
}

// Mutes lists whom accountID mutes, unexpired.
func (s *Store) Mutes(ctx context.Context, accountID int64, p model.Page) ([]storage.AccountLink, error) {
	v, err := s.pageLinks(ctx, "SELECT x.id, x.target_id, x.expires_at FROM mutes x WHERE x.account_id = ? AND (x.expires_at IS NULL OR x.expires_at > ?)",
		[]any{accountID, ms(time.Now())}, true, p)
	return v, wrap("mutes", err)
}

func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s) + "%"
}

func (s *Store) queryAccounts(ctx context.Context, q string, args ...any) ([]*model.Account, error) {
	return queryAll(ctx, s.r, q, args, scanAccount)
}

// SearchFollowing finds accounts that accountID follows by username or
// display name prefix (and domain prefix after an @).
func (s *Store) SearchFollowing(ctx context.Context, accountID int64, q string, limit, offset int) ([]*model.Account, error) {
	q = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(q), "@"))
	user, domain, hasDomain := strings.Cut(q, "@")
	like := likePrefix(user)
	query := "SELECT " + accountColumns + ` FROM follows f JOIN accounts a ON a.id = f.target_id
		WHERE f.account_id = ? AND a.suspended_at IS NULL
		AND (lower(a.username) LIKE ? ESCAPE '\' OR lower(a.display_name) LIKE ? ESCAPE '\')`
	args := []any{accountID, like, like}
	if hasDomain {
		query += ` AND a.domain LIKE ? ESCAPE '\'`
		args = append(args, likePrefix(domain))
	}
	query += " ORDER BY (a.domain = '') DESC, a.followers_count DESC, a.id LIMIT ? OFFSET ?"
	args = append(args, limit, offset)
	v, err := s.queryAccounts(ctx, query, args...)
	return v, wrap("search following", err)
}

// DirectoryAccounts lists discoverable accounts for the profile directory.
func (s *Store) DirectoryAccounts(ctx context.Context, order string, localOnly bool, limit, offset int) ([]*model.Account, error) {
	query := "SELECT " + accountColumns + ` FROM accounts a WHERE a.discoverable = 1 AND a.suspended_at IS NULL
		AND a.moved_to_id IS NULL AND a.username <> 'instance.actor'`
	if localOnly {
		query += " AND a.domain = ''"
	}
	if order == "new" {
		query += " ORDER BY a.id DESC"
	} else {
		query += " ORDER BY a.last_status_at DESC NULLS LAST, a.id DESC"
	}
	query += " LIMIT ? OFFSET ?"
	v, err := s.queryAccounts(ctx, query, limit, offset)
	return v, wrap("directory accounts", err)
}
