-- Federation queues: claims (a worker owns a row while it works on it; the
-- claims are released at start, so rows held by a killed process come back),
-- per-inbox-item retries, and the activity type of each delivery.

ALTER TABLE deliveries ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN claimed_at INTEGER;
CREATE INDEX deliveries_host ON deliveries(host);
CREATE INDEX deliveries_unclaimed_due ON deliveries(next_attempt_at) WHERE claimed_at IS NULL;

ALTER TABLE inbox_queue ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox_queue ADD COLUMN claimed_at INTEGER;
ALTER TABLE inbox_queue ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
CREATE INDEX inbox_queue_unclaimed_due ON inbox_queue(next_attempt_at) WHERE claimed_at IS NULL;

CREATE INDEX seen_activities_received ON seen_activities(received_at);

-- failure_day_list: the distinct days (YYYY-MM-DD, comma separated) on
-- which deliveries to the domain failed for good, since its last success.
ALTER TABLE remote_domains ADD COLUMN failure_day_list TEXT NOT NULL DEFAULT '';
