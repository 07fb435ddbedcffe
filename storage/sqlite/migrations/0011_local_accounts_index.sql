-- The instance's counters (GET /api/v1/instance, which every app calls at
-- launch, and NodeInfo) count local accounts and sum their statuses. Without
-- this index both scan the whole accounts table, remote accounts and keys
-- included: 20 to 100 ms at a million statuses and 25,000 accounts. The
-- partial index holds local accounts only and covers both queries.
CREATE INDEX accounts_local_statuses ON accounts(statuses_count) WHERE domain = '';
