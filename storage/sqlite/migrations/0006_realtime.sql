-- Real-time features: Web Push subscriptions and their durable delivery
-- queue, direct-message conversations, notification policies.

-- push_subscriptions: one Web Push subscription per access token (as
-- Mastodon); it goes with its token. alerts is the space-separated list of
-- notification types pushed.
CREATE TABLE push_subscriptions (
    id          INTEGER PRIMARY KEY,
    token_id    INTEGER NOT NULL UNIQUE REFERENCES tokens(id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    endpoint    TEXT    NOT NULL,
    key_p256dh  TEXT    NOT NULL,
    key_auth    TEXT    NOT NULL,
    alerts      TEXT    NOT NULL DEFAULT '',
    policy      TEXT    NOT NULL DEFAULT 'all',
    standard    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_account ON push_subscriptions(account_id);

-- push_queue: one encrypted push of one notification to one subscription,
-- retried with backoff. Rows are written by the trigger below in the very
-- transaction that stores the notification, so no push is lost to a crash;
-- a dismissed notification or a removed subscription takes its rows along.
CREATE TABLE push_queue (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES push_subscriptions(id) ON DELETE CASCADE,
    notification_id INTEGER NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed         INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX push_queue_once ON push_queue(subscription_id, notification_id);
CREATE INDEX push_queue_notification ON push_queue(notification_id);
CREATE INDEX push_queue_due ON push_queue(next_attempt_at) WHERE claimed = 0;

CREATE TRIGGER notifications_push AFTER INSERT ON notifications
BEGIN
    INSERT OR IGNORE INTO push_queue (subscription_id, notification_id, next_attempt_at, created_at)
    SELECT p.id, NEW.id, NEW.created_at, NEW.created_at FROM push_subscriptions p
    WHERE p.account_id = NEW.account_id AND p.policy <> 'none'
      AND instr(' ' || p.alerts || ' ', ' ' || NEW.type || ' ') > 0;
END;

-- conversations: a local account's direct-message threads (Mastodon's
-- AccountConversation). root_id is the thread's first known status; the
-- participants are those of last_status.
CREATE TABLE conversations (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    root_id        INTEGER NOT NULL,
    last_status_id INTEGER NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,
    unread         INTEGER NOT NULL DEFAULT 0,
    updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX conversations_thread ON conversations(account_id, root_id);
CREATE INDEX conversations_account ON conversations(account_id, last_status_id);
CREATE INDEX conversations_last_status ON conversations(last_status_id);

-- notification_policies: what a local account does with notifications
-- from strangers (accept, filter or drop), as Mastodon's NotificationPolicy.
CREATE TABLE notification_policies (
    account_id           INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    for_not_following    TEXT NOT NULL DEFAULT 'accept',
    for_not_followers    TEXT NOT NULL DEFAULT 'accept',
    for_new_accounts     TEXT NOT NULL DEFAULT 'accept',
    for_private_mentions TEXT NOT NULL DEFAULT 'accept',
    for_limited_accounts TEXT NOT NULL DEFAULT 'accept',
    updated_at           INTEGER NOT NULL
) WITHOUT ROWID;

-- Streaming asks "who mutes this author?" for every public post.
CREATE INDEX IF NOT EXISTS mutes_target ON mutes(target_id);
