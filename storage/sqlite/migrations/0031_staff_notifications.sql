-- Notifications about a report (admin.report) or a moderation action
-- (moderation_warning) point at it: two reports by the same reporter are
-- two notifications, so the uniqueness includes them.
DROP INDEX notifications_once;
ALTER TABLE notifications ADD COLUMN report_id INTEGER REFERENCES reports(id) ON DELETE CASCADE;
ALTER TABLE notifications ADD COLUMN warning_id INTEGER REFERENCES account_warnings(id) ON DELETE CASCADE;
CREATE UNIQUE INDEX notifications_once ON notifications(account_id, from_account_id, type, ifnull(status_id, 0), ifnull(report_id, 0), ifnull(warning_id, 0));

-- Appeals: the owner of a warned account disputes it once; a moderator
-- approves (the action is reversed where it can be) or rejects it.
CREATE TABLE appeals (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    warning_id  INTEGER NOT NULL UNIQUE REFERENCES account_warnings(id) ON DELETE CASCADE,
    text        TEXT    NOT NULL,
    approved_at INTEGER,
    rejected_at INTEGER,
    decided_by  INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX appeals_pending ON appeals(id) WHERE approved_at IS NULL AND rejected_at IS NULL;
CREATE INDEX appeals_account ON appeals(account_id, id);

-- Staff e-mail preferences (Mastodon's notification_emails.report and
-- .pending_account): in-app notifications are always created.
ALTER TABLE users ADD COLUMN email_on_report INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN email_on_sign_up INTEGER NOT NULL DEFAULT 1;
