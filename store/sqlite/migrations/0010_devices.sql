-- The devices users sign in from (store.Device), one per user and token.
-- Numbered 0010, clear of 0008 and 0009, which other work in progress may
-- take; migrations run in name order, so the gap does no harm.
-- A sign-in finds its device by (user_id, token): the unique index serves
-- it, and listing a user's devices by its prefix.
CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    token        TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    can_access   INTEGER NOT NULL DEFAULT 0,
    last_used_at INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX devices_user_token ON devices (user_id, token);
