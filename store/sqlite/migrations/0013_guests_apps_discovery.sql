-- Guests, applications and user discovery. Numbered 0013, clear of 0011
-- and 0012, which other work in progress may take; migrations run in name
-- order, so the gap does no harm.

-- Discovery finds users by exact name and by name prefix from indexes: the
-- names folded (store.NameKeys), written with every write of a user. The
-- code migration 0013_guests_apps_discovery_name_keys fills them in for
-- the users stored before (SQLite's lower() folds ASCII only).
ALTER TABLE users ADD COLUMN first_name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN last_name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN full_name_key TEXT NOT NULL DEFAULT '';
CREATE INDEX users_first_name_key ON users (first_name_key);
CREATE INDEX users_last_name_key ON users (last_name_key);
CREATE INDEX users_full_name_key ON users (full_name_key);

-- The users discovery may show, in the default order: an unfiltered page
-- reads them from this index alone, however many guests and suspended
-- accounts there are. The compiled filter writes these three conditions
-- as literals, as SQLite needs to use a partial index.
CREATE INDEX users_discoverable ON users (created_at, id)
    WHERE status = 'ACTIVE' AND deleted_at = 0 AND is_guest = 0;

-- The guests the janitor deletes once idle (PurgeGuests), by last request.
CREATE INDEX users_guests_idle ON users (last_request_at, created_at) WHERE is_guest = 1;

-- An APP session belongs to an application, not a user.
ALTER TABLE sessions ADD COLUMN application_id TEXT NOT NULL DEFAULT '';

-- Client applications (store.Application): the secret only as its hash.
CREATE TABLE applications (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    client_id    TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    secret_since INTEGER NOT NULL,
    roles        TEXT NOT NULL DEFAULT '[]',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX applications_client_id ON applications (client_id);
