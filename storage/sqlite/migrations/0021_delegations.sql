-- Delegation (issue 17): members (local users) act for another local
-- account (a team sharing @city) through tokens that name them, and every
-- action they take is logged for the account's owner and staff.

-- delegations: who may act for which account, with which permissions
-- (space separated: post, interact, direct, profile).
CREATE TABLE delegations (
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    permissions TEXT    NOT NULL,
    granted_by  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, member_id)
) WITHOUT ROWID;
CREATE INDEX delegations_member ON delegations(member_id);

-- A delegated token acts as its user_id's account; delegate_id is the
-- member who holds it. Deleting the member's user deletes their tokens.
ALTER TABLE tokens ADD COLUMN delegate_id INTEGER REFERENCES users(id) ON DELETE CASCADE;
CREATE INDEX tokens_delegate ON tokens(delegate_id, user_id) WHERE delegate_id IS NOT NULL;
ALTER TABLE auth_codes ADD COLUMN delegate_id INTEGER NOT NULL DEFAULT 0;

-- A browser session acting for another account (the web client's account
-- switcher): 0 for the session's own user.
ALTER TABLE web_sessions ADD COLUMN acting_id INTEGER NOT NULL DEFAULT 0;

-- delegation_actions: the activity log of an account. member is the
-- member's username, kept so that the log still reads after they left.
CREATE TABLE delegation_actions (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL,
    member      TEXT    NOT NULL,
    actor_id    INTEGER NOT NULL DEFAULT 0,
    action      TEXT    NOT NULL,
    object_type TEXT    NOT NULL DEFAULT '',
    object_id   TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX delegation_actions_account ON delegation_actions(account_id, id);
CREATE INDEX delegation_actions_member ON delegation_actions(account_id, member_id, id);
