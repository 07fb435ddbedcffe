-- The federation engine's queues become jobs (0013): outbox events
-- (kind 'federate', one account's in order), deliveries ('deliver', keyed
-- by host, ref the signing account) and the inbox ('inbox', keyed by the
-- signer). What was waiting is moved over, then the old tables go.
INSERT INTO jobs (kind, key, ref, payload, run_at, attempts, created_at)
SELECT 'federate', CAST(account_id AS TEXT), account_id,
       json_object('kind', kind, 'account_id', account_id, 'object_id', object_id, 'payload', json(payload)),
       created_at, 0, created_at
FROM outbox_events ORDER BY id;

INSERT INTO jobs (kind, key, ref, payload, run_at, attempts, last_error, created_at)
SELECT 'deliver', lower(host), signer_id,
       json_object('inbox', inbox_url, 'activity', json(activity), 'kind', kind),
       next_attempt_at, attempts, last_error, created_at
FROM deliveries WHERE json_valid(activity) ORDER BY id;

INSERT INTO jobs (kind, key, ref, payload, run_at, attempts, last_error, created_at)
SELECT 'inbox', signer_uri, 0,
       json_object('id', activity_id, 'activity', json(payload)),
       next_attempt_at, attempts, last_error, received_at
FROM inbox_queue WHERE json_valid(payload) ORDER BY id;

DROP TABLE outbox_events;
DROP TABLE deliveries;
DROP TABLE inbox_queue;
