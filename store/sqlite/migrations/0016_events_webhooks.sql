-- Events, the audit trail and webhooks (issue 17). Numbered 0016: 0015 is
-- social sign-in's, and migrations run in name order.

-- The audit trail (store.Event), written in the transaction of the change
-- it describes. Ids are time-ordered, so the trail pages newest first by
-- id; each filter has an index ending in id, so a filtered page is a range
-- scan, not a read of the whole trail.
CREATE TABLE audit_events (
    id         TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    at         INTEGER NOT NULL,
    actor_id   TEXT NOT NULL DEFAULT '',
    actor_kind TEXT NOT NULL DEFAULT '',
    subject_id TEXT NOT NULL DEFAULT '',
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    data       TEXT NOT NULL DEFAULT '{}'
) WITHOUT ROWID;
CREATE INDEX audit_events_type ON audit_events (type, id);
CREATE INDEX audit_events_actor ON audit_events (actor_id, id) WHERE actor_id <> '';
CREATE INDEX audit_events_subject ON audit_events (subject_id, id) WHERE subject_id <> '';
CREATE INDEX audit_events_ip ON audit_events (ip, id) WHERE ip <> '';
-- The retention purge deletes by age.
CREATE INDEX audit_events_at ON audit_events (at);

-- Webhooks (store.Webhook). The secret is kept as is: the server signs
-- every delivery with it.
CREATE TABLE webhooks (
    id                   TEXT PRIMARY KEY,
    url                  TEXT NOT NULL,
    events               TEXT NOT NULL DEFAULT '[]',
    secret               TEXT NOT NULL,
    active               INTEGER NOT NULL,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    failing_since        INTEGER NOT NULL DEFAULT 0,
    last_delivery_at     INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    version              INTEGER NOT NULL DEFAULT 0
);

-- One row per delivery attempt (store.WebhookDelivery), newest first by id.
CREATE TABLE webhook_deliveries (
    id         TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    event_type TEXT NOT NULL,
    attempt    INTEGER NOT NULL,
    status     INTEGER NOT NULL DEFAULT 0,
    error      TEXT NOT NULL DEFAULT '',
    at         INTEGER NOT NULL,
    delivered  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_at ON webhook_deliveries (at);
