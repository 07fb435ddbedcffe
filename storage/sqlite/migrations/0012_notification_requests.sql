-- notification_permissions: senders an account accepted (a notification
-- request accepted): their notifications skip the notification policy.
CREATE TABLE notification_permissions (
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    from_account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (account_id, from_account_id)
) WITHOUT ROWID;
