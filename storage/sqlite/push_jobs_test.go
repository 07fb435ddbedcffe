package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// mkPushSubscription subscribes account to alerts, with a token of its own.
func mkPushSubscription(t *testing.T, s *Store, accountID int64, alerts ...string) *storage.PushSubscription {
	t.Helper()
	tokenID := id.New()
	if _, err := s.w.Exec("INSERT INTO tokens (id, token_hash, scopes, created_at) VALUES (?,?,?,?)",
		tokenID, fmt.Sprint(tokenID), "push", ms(time.Now())); err != nil {
		t.Fatal(err)
	}
	sub := &storage.PushSubscription{TokenID: tokenID, AccountID: accountID, Endpoint: "https://push.test/" + fmt.Sprint(tokenID),
		P256dh: "key", Auth: "auth", Alerts: alerts, Policy: "all"}
	if err := s.SavePushSubscription(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	return sub
}

// mkNotification stores a notification as the store does, and reads back
// its id and time.
func mkNotification(t *testing.T, s *Store, accountID, fromID int64, typ string, statusID int64) *model.Notification {
	t.Helper()
	n := &model.Notification{AccountID: accountID, FromAccountID: fromID, Type: typ, StatusID: statusID}
	if _, err := s.CreateNotification(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	var created int64
	if err := s.r.QueryRow("SELECT id, created_at FROM notifications WHERE account_id = ? AND from_account_id = ? AND type = ? AND status_id = ?",
		accountID, fromID, typ, statusID).Scan(&n.ID, &created); err != nil {
		t.Fatal(err)
	}
	n.CreatedAt = fromMs(created)
	return n
}

type pushJobRow struct {
	payload   map[string]int64
	runAt     int64
	attempts  int
	lastError string
	uniqueKey string
}

func pushJobRows(t *testing.T, s *Store) map[string]pushJobRow {
	t.Helper()
	rows, err := s.r.Query("SELECT payload, run_at, attempts, last_error, unique_key FROM jobs WHERE kind = 'push'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]pushJobRow{}
	for rows.Next() {
		var r pushJobRow
		var payload string
		if err := rows.Scan(&payload, &r.runAt, &r.attempts, &r.lastError, &r.uniqueKey); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(payload), &r.payload); err != nil {
			t.Fatalf("payload %s: %v", payload, err)
		}
		out[r.uniqueKey] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A stored notification queues one push job per subscription of its
// account that asks for its type, once; the job outlives the subscription
// (no cascade), and PushJob then answers ErrNotFound.
func TestNotificationsQueuePushJobs(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	alice, bob := mkLocal(t, s, "alice"), mkLocal(t, s, "bob")
	phone := mkPushSubscription(t, s, alice.ID, "mention", "follow")
	laptop := mkPushSubscription(t, s, alice.ID, "follow")
	mkPushSubscription(t, s, bob.ID, "mention")

	mention := mkNotification(t, s, alice.ID, bob.ID, model.NotifyMention, mkStatus(t, s, bob.ID, model.Public))
	// Stored again (ignored as a duplicate): not queued twice.
	if _, err := s.CreateNotification(ctx, &model.Notification{AccountID: alice.ID, FromAccountID: bob.ID, Type: model.NotifyMention, StatusID: mention.StatusID}); err != nil {
		t.Fatal(err)
	}
	got := pushJobRows(t, s)
	key := fmt.Sprintf("push:%d:%d", phone.ID, mention.ID)
	j, ok := got[key]
	if len(got) != 1 || !ok {
		t.Fatalf("push jobs %v, want one with key %s", got, key)
	}
	if j.payload["subscription_id"] != phone.ID || j.payload["notification_id"] != mention.ID || j.runAt != ms(mention.CreatedAt) {
		t.Fatalf("push job %+v for subscription %d, notification %d at %d", j, phone.ID, mention.ID, ms(mention.CreatedAt))
	}

	loaded, err := s.PushJob(ctx, phone.ID, mention.ID)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Subscription.Endpoint != phone.Endpoint || loaded.Notification.Type != model.NotifyMention ||
		loaded.Notification.StatusID != mention.StatusID || loaded.Notification.AccountID != alice.ID {
		t.Fatalf("push job loaded: %+v", loaded)
	}
	if _, err := s.PushJob(ctx, laptop.ID, mention.ID); err != nil {
		t.Fatalf("any pair loads: %v", err)
	}

	if err := s.DeletePushSubscriptionByID(ctx, phone.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(pushJobRows(t, s)); n != 1 {
		t.Fatalf("%d push jobs after the subscription went, want 1: jobs do not cascade", n)
	}
	if _, err := s.PushJob(ctx, phone.ID, mention.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("push job of a removed subscription: %v, want ErrNotFound", err)
	}
	if err := s.DismissNotification(ctx, alice.ID, mention.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PushJob(ctx, laptop.ID, mention.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("push job of a dismissed notification: %v, want ErrNotFound", err)
	}
}

// Migration 0014 moves the pushes still in push_queue into jobs, with their
// schedule and failures, and drops the table.
func TestPushQueueMovedIntoJobs(t *testing.T) {
	s := openSQLiteTestStore(t) // it replays SQLite migration 0014
	ctx := context.Background()
	alice, bob := mkLocal(t, s, "alice"), mkLocal(t, s, "bob")
	sub := mkPushSubscription(t, s, alice.ID, "mention")
	// A favourite: not in the alerts, so the trigger queues nothing.
	fav := mkNotification(t, s, alice.ID, bob.ID, model.NotifyFavourite, mkStatus(t, s, alice.ID, model.Public))
	// Back to before 0014: push_queue (as in 0006) with a row that failed
	// twice and was claimed when the process died.
	due := time.Now().Add(time.Minute)
	for _, q := range []string{
		`CREATE TABLE push_queue (
			id              INTEGER PRIMARY KEY,
			subscription_id INTEGER NOT NULL REFERENCES push_subscriptions(id) ON DELETE CASCADE,
			notification_id INTEGER NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
			attempts        INTEGER NOT NULL DEFAULT 0,
			next_attempt_at INTEGER NOT NULL,
			claimed         INTEGER NOT NULL DEFAULT 0,
			last_error      TEXT    NOT NULL DEFAULT '',
			created_at      INTEGER NOT NULL)`,
		"CREATE UNIQUE INDEX push_queue_once ON push_queue(subscription_id, notification_id)",
		"CREATE INDEX push_queue_notification ON push_queue(notification_id)",
		"CREATE INDEX push_queue_due ON push_queue(next_attempt_at) WHERE claimed = 0",
		fmt.Sprintf(`INSERT INTO push_queue (subscription_id, notification_id, attempts, next_attempt_at, claimed, last_error, created_at)
			VALUES (%d, %d, 2, %d, 1, 'push service answered 503', %d)`, sub.ID, fav.ID, ms(due), ms(fav.CreatedAt)),
		"DELETE FROM schema_migrations WHERE version = 14",
	} {
		if _, err := s.w.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := s.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	got := pushJobRows(t, s)
	j, ok := got[fmt.Sprintf("push:%d:%d", sub.ID, fav.ID)]
	if len(got) != 1 || !ok {
		t.Fatalf("push jobs after the migration: %v", got)
	}
	if j.payload["subscription_id"] != sub.ID || j.payload["notification_id"] != fav.ID || j.runAt != ms(due) ||
		j.attempts != 2 || j.lastError != "push service answered 503" {
		t.Fatalf("moved push: %+v", j)
	}
	if n := count(t, s, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'push_queue%'"); n != 0 {
		t.Fatalf("%d push_queue tables or indexes left", n)
	}
	// The trigger is the new one.
	mention := mkNotification(t, s, alice.ID, bob.ID, model.NotifyMention, fav.StatusID)
	if _, ok := pushJobRows(t, s)[fmt.Sprintf("push:%d:%d", sub.ID, mention.ID)]; !ok {
		t.Fatal("a mention after the migration queued no push job")
	}
}
