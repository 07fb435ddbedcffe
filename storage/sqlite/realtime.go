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

// --- streaming audiences ---

func idSet(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, v := range ids {
		m[v] = true
	}
	return m
}

// chunks splits ids into slices of at most n.
func chunks(ids []int64, n int) [][]int64 {
	var out [][]int64
	for len(ids) > n {
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

// HomeFeedAccounts uses index home_feed_status.
func (s *Store) HomeFeedAccounts(ctx context.Context, statusID int64) ([]int64, error) {
	v, err := queryIDs(ctx, s.r, "SELECT account_id FROM home_feed WHERE status_id = ?", statusID)
	return v, wrap("home feed accounts", err)
}

// StreamExclusions: blocks either way, unexpired mutes of the authors, and
// the users who block an author's domain without following the author.
func (s *Store) StreamExclusions(ctx context.Context, authorIDs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(authorIDs) == 0 {
		return out, nil
	}
	in := placeholders(len(authorIDs))
	args := int64Args(authorIDs)
	all := append(append(append([]any{}, args...), args...), args...)
	all = append(all, ms(time.Now()))
	ids, err := queryIDs(ctx, s.r, `SELECT account_id FROM blocks WHERE target_id IN (`+in+`)
		UNION SELECT target_id FROM blocks WHERE account_id IN (`+in+`)
		UNION SELECT account_id FROM mutes WHERE target_id IN (`+in+`) AND (expires_at IS NULL OR expires_at > ?)
		UNION SELECT d.account_id FROM accounts a JOIN account_domain_blocks d ON d.domain = a.domain
			WHERE a.domain <> '' AND a.id IN (`+in+`)
			AND NOT EXISTS (SELECT 1 FROM follows f WHERE f.account_id = d.account_id AND f.target_id = a.id)`, append(all, args...)...)
	if err != nil {
		return nil, wrap("stream exclusions", err)
	}
	for _, v := range ids {
		out[v] = true
	}
	return out, nil
}

// FollowersAmong uses index follows_target.
func (s *Store) FollowersAmong(ctx context.Context, targetID int64, accountIDs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	for _, part := range chunks(accountIDs, 500) {
		ids, err := queryIDs(ctx, s.r, "SELECT account_id FROM follows WHERE target_id = ? AND account_id IN ("+placeholders(len(part))+")",
			append([]any{targetID}, int64Args(part)...)...)
		if err != nil {
			return nil, wrap("followers among", err)
		}
		for _, v := range ids {
			out[v] = true
		}
	}
	return out, nil
}

// ListsWithMember uses index list_accounts_account.
func (s *Store) ListsWithMember(ctx context.Context, memberID int64) ([]storage.ListRef, error) {
	v, err := queryAll(ctx, s.r, "SELECT l.id, l.account_id FROM list_accounts la JOIN lists l ON l.id = la.list_id WHERE la.account_id = ?",
		[]any{memberID}, func(row scanner) (storage.ListRef, error) {
			var r storage.ListRef
			err := row.Scan(&r.ID, &r.OwnerID)
			return r, err
		})
	return v, wrap("lists with member", err)
}

// StatusInteractors: favourites, boosts, bookmarks and pins of the statuses.
func (s *Store) StatusInteractors(ctx context.Context, statusIDs []int64) (map[int64]bool, error) {
	ids := dedupe(statusIDs)
	if len(ids) == 0 {
		return map[int64]bool{}, nil
	}
	in := placeholders(len(ids))
	args := int64Args(ids)
	var all []any
	for range 4 {
		all = append(all, args...)
	}
	got, err := queryIDs(ctx, s.r, `SELECT account_id FROM favourites WHERE status_id IN (`+in+`)
		UNION SELECT account_id FROM statuses WHERE reblog_of_id IN (`+in+`)
		UNION SELECT account_id FROM bookmarks WHERE status_id IN (`+in+`)
		UNION SELECT account_id FROM pins WHERE status_id IN (`+in+`)`, all...)
	if err != nil {
		return nil, wrap("status interactors", err)
	}
	return idSet(got), nil
}

// NotificationsSince scans the primary key.
func (s *Store) NotificationsSince(ctx context.Context, afterID int64, limit int) ([]*model.Notification, error) {
	v, err := queryAll(ctx, s.r, "SELECT "+notificationColumns+" FROM notifications n WHERE n.id > ? ORDER BY n.id LIMIT ?",
		[]any{afterID, limit}, scanNotification)
	return v, wrap("notifications since", err)
}

// --- Web Push ---

const pushColumns = "p.id, p.token_id, p.account_id, p.endpoint, p.key_p256dh, p.key_auth, p.alerts, p.policy, p.standard, p.created_at"

func scanPush(row scanner, extra ...any) (*storage.PushSubscription, error) {
	var p storage.PushSubscription
	var alerts string
	var standard int
	var created int64
	dest := append([]any{&p.ID, &p.TokenID, &p.AccountID, &p.Endpoint, &p.P256dh, &p.Auth, &alerts, &p.Policy, &standard, &created}, extra...)
	if err := row.Scan(dest...); errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	p.Alerts = strings.Fields(alerts)
	p.Standard, p.CreatedAt = standard == 1, fromMs(created)
	return &p, nil
}

// SavePushSubscription replaces the token's subscription.
func (s *Store) SavePushSubscription(ctx context.Context, p *storage.PushSubscription) error {
	p.ID = id.New()
	p.CreatedAt = time.Now().UTC()
	return wrap("save push subscription", s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM push_subscriptions WHERE token_id = ?", p.TokenID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO push_subscriptions (id, token_id, account_id, endpoint, key_p256dh, key_auth, alerts, policy, standard, created_at)
			VALUES (?,?,?,?,?,?,?,?,?,?)`, p.ID, p.TokenID, p.AccountID, p.Endpoint, p.P256dh, p.Auth,
			strings.Join(p.Alerts, " "), p.Policy, b2i(p.Standard), ms(p.CreatedAt))
		return err
	}))
}

func (s *Store) PushSubscriptionByToken(ctx context.Context, tokenID int64) (*storage.PushSubscription, error) {
	v, err := scanPush(s.r.QueryRowContext(ctx, "SELECT "+pushColumns+" FROM push_subscriptions p WHERE p.token_id = ?", tokenID))
	return v, wrap("push subscription by token", err)
}

func (s *Store) UpdatePushSubscription(ctx context.Context, p *storage.PushSubscription) error {
	return wrap("update push subscription", notFoundIfNone(s.w.ExecContext(ctx, "UPDATE push_subscriptions SET alerts = ?, policy = ? WHERE id = ?", strings.Join(p.Alerts, " "), p.Policy, p.ID)))
}

func (s *Store) DeletePushSubscription(ctx context.Context, tokenID int64) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM push_subscriptions WHERE token_id = ?", tokenID)
	return wrap("delete push subscription", err)
}

func (s *Store) DeletePushSubscriptionByID(ctx context.Context, subID int64) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM push_subscriptions WHERE id = ?", subID)
	return wrap("delete push subscription by id", err)
}

// PushJob joins the subscription and the notification by primary key; a
// missing row (removed since the push was queued: jobs do not cascade)
// leaves no row.
func (s *Store) PushJob(ctx context.Context, subscriptionID, notificationID int64) (*storage.PushJob, error) {
	var n model.Notification
	var status, report, warning sql.NullInt64
	var created int64
	p, err := scanPush(s.r.QueryRowContext(ctx, `SELECT `+pushColumns+`, `+notificationColumns+`
		FROM push_subscriptions p, notifications n WHERE p.id = ? AND n.id = ?`, subscriptionID, notificationID),
		&n.ID, &n.AccountID, &n.FromAccountID, &n.Type, &status, &created, &report, &warning)
	if err != nil {
		return nil, wrap("push job", err)
	}
	n.StatusID, n.CreatedAt, n.ReportID, n.WarningID = status.Int64, fromMs(created), report.Int64, warning.Int64
	return &storage.PushJob{Subscription: *p, Notification: n}, nil
}

// --- conversations ---

// RecordConversation finds the thread's root by walking in_reply_to_id up
// and upserts one conversation per local participant.
func (s *Store) RecordConversation(ctx context.Context, st *model.Status) (map[int64]int64, error) {
	out := map[int64]int64{}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var root int64
		if err := tx.QueryRowContext(ctx, `WITH RECURSIVE up(id, parent, depth) AS (
				SELECT id, in_reply_to_id, 0 FROM statuses WHERE id = ?
				UNION ALL SELECT s.id, s.in_reply_to_id, up.depth + 1 FROM statuses s JOIN up ON s.id = up.parent WHERE up.depth < 200)
			SELECT id FROM up ORDER BY depth DESC LIMIT 1`, st.ID).Scan(&root); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return storage.ErrNotFound
			}
			return err
		}
		participants := append([]int64{st.AccountID}, st.MentionIDs...)
		now := ms(time.Now())
		for _, acc := range dedupe(participants) {
			unread := b2i(acc != st.AccountID)
			if _, err := tx.ExecContext(ctx, `INSERT INTO conversations (id, account_id, root_id, last_status_id, unread, updated_at)
				SELECT ?, a.id, ?, ?, ?, ? FROM accounts a WHERE a.id = ? AND a.domain = ''
				ON CONFLICT(account_id, root_id) DO UPDATE SET
					last_status_id = max(conversations.last_status_id, excluded.last_status_id),
					unread = CASE WHEN excluded.last_status_id > conversations.last_status_id THEN excluded.unread ELSE conversations.unread END,
					updated_at = excluded.updated_at`,
				id.New(), root, st.ID, unread, now, acc); err != nil {
				return err
			}
			var cid int64
			err := tx.QueryRowContext(ctx, "SELECT id FROM conversations WHERE account_id = ? AND root_id = ?", acc, root).Scan(&cid)
			if err == nil {
				out[acc] = cid
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		return nil
	})
	return out, wrap("record conversation", err)
}

const conversationColumns = "id, account_id, root_id, last_status_id, unread, updated_at"

func scanConversation(row scanner) (*storage.Conversation, error) {
	var c storage.Conversation
	var unread int
	var updated int64
	if err := row.Scan(&c.ID, &c.AccountID, &c.RootID, &c.LastStatusID, &unread, &updated); errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	c.Unread, c.UpdatedAt = unread == 1, fromMs(updated)
	return &c, nil
}

// Conversations uses index conversations_account.
func (s *Store) Conversations(ctx context.Context, accountID int64, p model.Page) ([]storage.Conversation, error) {
	v, err := queryPage(ctx, s.r, "SELECT "+conversationColumns+" FROM conversations WHERE account_id = ?", []any{accountID},
		"last_status_id", p, func(row scanner) (storage.Conversation, error) {
			c, err := scanConversation(row)
			if err != nil {
				return storage.Conversation{}, err
			}
			return *c, nil
		})
	return v, wrap("conversations", err)
}

func (s *Store) ConversationByID(ctx context.Context, accountID, convID int64) (*storage.Conversation, error) {
	v, err := scanConversation(s.r.QueryRowContext(ctx, "SELECT "+conversationColumns+" FROM conversations WHERE id = ? AND account_id = ?", convID, accountID))
	return v, wrap("conversation by id", err)
}

func (s *Store) DeleteConversation(ctx context.Context, accountID, convID int64) error {
	return wrap("delete conversation", notFoundIfNone(s.w.ExecContext(ctx, "DELETE FROM conversations WHERE id = ? AND account_id = ?", convID, accountID)))
}

func (s *Store) MarkConversationRead(ctx context.Context, accountID, convID int64) error {
	return wrap("mark conversation read", notFoundIfNone(s.w.ExecContext(ctx, "UPDATE conversations SET unread = 0 WHERE id = ? AND account_id = ?", convID, accountID)))
}

// MarkConversationUnread marks an account's conversation unread again.
func (s *Store) MarkConversationUnread(ctx context.Context, accountID, convID int64) error {
	return wrap("mark conversation unread", notFoundIfNone(s.w.ExecContext(ctx, "UPDATE conversations SET unread = 1 WHERE id = ? AND account_id = ?", convID, accountID)))
}

// --- notification policies and groups ---

func (s *Store) NotificationPolicy(ctx context.Context, accountID int64) (*storage.NotificationPolicy, error) {
	p := &storage.NotificationPolicy{AccountID: accountID, ForNotFollowing: "accept", ForNotFollowers: "accept",
		ForNewAccounts: "accept", ForPrivateMentions: "filter", ForLimitedAccounts: "filter"}
	err := s.r.QueryRowContext(ctx, `SELECT for_not_following, for_not_followers, for_new_accounts, for_private_mentions, for_limited_accounts
		FROM notification_policies WHERE account_id = ?`, accountID).Scan(&p.ForNotFollowing, &p.ForNotFollowers, &p.ForNewAccounts,
		&p.ForPrivateMentions, &p.ForLimitedAccounts)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, wrap("notification policy", err)
	}
	return p, nil
}

func (s *Store) SetNotificationPolicy(ctx context.Context, p *storage.NotificationPolicy) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO notification_policies (account_id, for_not_following, for_not_followers, for_new_accounts,
		for_private_mentions, for_limited_accounts, updated_at) VALUES (?,?,?,?,?,?,?)
		ON CONFLICT(account_id) DO UPDATE SET for_not_following = excluded.for_not_following, for_not_followers = excluded.for_not_followers,
		for_new_accounts = excluded.for_new_accounts, for_private_mentions = excluded.for_private_mentions,
		for_limited_accounts = excluded.for_limited_accounts, updated_at = excluded.updated_at`,
		p.AccountID, p.ForNotFollowing, p.ForNotFollowers, p.ForNewAccounts, p.ForPrivateMentions, p.ForLimitedAccounts, ms(time.Now()))
	return wrap("set notification policy", err)
}

// groupWhere is the condition selecting a group's notifications (index
// notifications_account: account_id, then an id range from the times).
func groupWhere(accountID int64, g storage.NotificationGroupKey) (string, []any) {
	if g.ID != 0 {
		return "n.account_id = ? AND n.id = ?", []any{accountID, g.ID}
	}
	q := "n.account_id = ? AND n.type = ? AND n.id >= ? AND n.id < ?"
	args := []any{accountID, g.Type, id.Min(g.From), id.Min(g.To)}
	if g.StatusID != 0 {
		q += " AND n.status_id = ?"
		args = append(args, g.StatusID)
	} else {
		q += " AND n.status_id IS NULL"
	}
	return q, args
}

func (s *Store) NotificationGroup(ctx context.Context, accountID int64, g storage.NotificationGroupKey, limit int, screen *storage.NotificationScreen) ([]*model.Notification, error) {
	where, args := groupWhere(accountID, g)
	cond, cargs := screenClause(screen)
	where += cond
	args = append(args, cargs...)
	v, err := queryAll(ctx, s.r, "SELECT "+notificationColumns+" FROM notifications n WHERE "+where+" ORDER BY n.id DESC LIMIT ?",
		append(args, limit), scanNotification)
	return v, wrap("notification group", err)
}

func (s *Store) CountNotificationGroup(ctx context.Context, accountID int64, g storage.NotificationGroupKey, screen *storage.NotificationScreen) (int64, error) {
	where, args := groupWhere(accountID, g)
	cond, cargs := screenClause(screen)
	where += cond
	args = append(args, cargs...)
	var n int64
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM notifications n WHERE "+where, args...).Scan(&n)
	return n, wrap("count notification group", err)
}

func (s *Store) DismissNotificationGroup(ctx context.Context, accountID int64, g storage.NotificationGroupKey) (int64, error) {
	where, args := groupWhere(accountID, g)
	res, err := s.w.ExecContext(ctx, "DELETE FROM notifications AS n WHERE "+where, args...)
	if err != nil {
		return 0, wrap("dismiss notification group", err)
	}
	v, err := res.RowsAffected()
	return v, wrap("dismiss notification group", err)
}
