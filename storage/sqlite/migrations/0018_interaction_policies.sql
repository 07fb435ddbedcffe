-- Interaction policies (issue 18): who may reply to, boost, favourite and
-- quote a post (GoToSocial's interactionPolicy, Mastodon's quote policy),
-- and the interactions that wait for their author's approval.

-- A post's policy, as JSON (model.InteractionPolicy); NULL when the post
-- declares none (remote servers without policies, posts from before):
-- anyone may favourite, reply and boost, only the author quote.
ALTER TABLE statuses ADD COLUMN interaction_policy TEXT;
-- A reply (or boost) waiting for the approval of the author it answers:
-- in no feed, counted nowhere, seen by its own author only.
ALTER TABLE statuses ADD COLUMN pending_approval INTEGER NOT NULL DEFAULT 0;
-- The Accept by which a remote author approved this interaction, and the
-- authorization object it named (sent on as approvedBy and
-- replyAuthorization).
ALTER TABLE statuses ADD COLUMN approved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE statuses ADD COLUMN authorization_uri TEXT NOT NULL DEFAULT '';

-- An account's default policies for its new posts, per visibility, as JSON
-- (model.InteractionDefaults); no row: the instance's default.
CREATE TABLE interaction_defaults (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    policies   TEXT    NOT NULL
);

-- Interactions with local posts that their authors answer: pending ones,
-- and the answered ones (their authorization objects are served to other
-- servers from here).
CREATE TABLE interaction_requests (
    id                INTEGER PRIMARY KEY,
    kind              TEXT    NOT NULL,  -- reply, favourite, reblog, quote
    status_id         INTEGER NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,
    target_account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    account_id        INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    -- The held reply; a rejected reply is deleted, its request stays.
    reply_id          INTEGER REFERENCES statuses(id) ON DELETE SET NULL,
    uri               TEXT    NOT NULL DEFAULT '',  -- the interaction's ActivityPub id
    request_uri       TEXT    NOT NULL DEFAULT '',  -- the request activity's id, if polite
    created_at        INTEGER NOT NULL,
    accepted_at       INTEGER,
    rejected_at       INTEGER
);
CREATE INDEX interaction_requests_pending ON interaction_requests(target_account_id, id)
    WHERE accepted_at IS NULL AND rejected_at IS NULL;
CREATE INDEX interaction_requests_status ON interaction_requests(status_id);
CREATE INDEX interaction_requests_reply ON interaction_requests(reply_id) WHERE reply_id IS NOT NULL;
CREATE INDEX interaction_requests_uri ON interaction_requests(uri) WHERE uri <> '';
