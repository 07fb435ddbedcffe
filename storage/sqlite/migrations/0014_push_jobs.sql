-- Web Push moves onto the job runtime (internal/jobs): a stored
-- notification queues one "push" job per subscription that wants it, in the
-- very transaction that stores it (as push_queue rows were), so no push is
-- lost to a crash. unique_key queues a (subscription, notification) pair
-- once. Jobs do not cascade as push_queue did: a push whose subscription
-- or notification was removed meanwhile finds that out when it runs, and
-- ends unsent (internal/push).
DROP TRIGGER notifications_push;

CREATE TRIGGER notifications_push AFTER INSERT ON notifications
BEGIN
    INSERT INTO jobs (kind, payload, run_at, unique_key, created_at)
    SELECT 'push', json_object('subscription_id', p.id, 'notification_id', NEW.id),
           NEW.created_at, 'push:' || p.id || ':' || NEW.id, NEW.created_at
    FROM push_subscriptions p
    WHERE p.account_id = NEW.account_id AND p.policy <> 'none'
      AND instr(' ' || p.alerts || ' ', ' ' || NEW.type || ' ') > 0
    ON CONFLICT DO NOTHING;
END;

-- The pushes still queued keep their schedule and the failures they have
-- had; no process runs during a migration, so claims are moot.
INSERT INTO jobs (kind, payload, run_at, attempts, last_error, unique_key, created_at)
SELECT 'push', json_object('subscription_id', q.subscription_id, 'notification_id', q.notification_id),
       q.next_attempt_at, q.attempts, q.last_error, 'push:' || q.subscription_id || ':' || q.notification_id, q.created_at
FROM push_queue q
WHERE true -- (an INSERT … SELECT needs a WHERE before ON CONFLICT)
ON CONFLICT DO NOTHING;

DROP INDEX push_queue_due;
DROP INDEX push_queue_notification;
DROP INDEX push_queue_once;
DROP TABLE push_queue;
