-- The outbox (store.OutboxMessage): what leaves the process, kept until it
-- is delivered or given up on, then purged after a retention. Times are
-- integer milliseconds like everywhere else; 0 means never.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    payload         BLOB NOT NULL,
    order_key       TEXT NOT NULL DEFAULT '',
    ref             TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner     TEXT NOT NULL DEFAULT '',
    lease_seq       INTEGER NOT NULL DEFAULT 0,
    lease_until     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    done_at         INTEGER NOT NULL DEFAULT 0
);
-- A claim reads the due pending messages of one kind, oldest due first;
-- done messages (the bulk of the table until purged) stay out of it.
CREATE INDEX outbox_due ON outbox (kind, next_attempt_at, id) WHERE state = 'pending';
-- The order-key rule looks for an older pending message with the same key.
CREATE INDEX outbox_order ON outbox (order_key, id) WHERE state = 'pending' AND order_key <> '';
-- The purge deletes done messages by age.
CREATE INDEX outbox_done ON outbox (done_at) WHERE state <> 'pending';
