-- Account recovery and email verification.
-- A new address waiting for confirmation, and the state of the latest
-- verification mail (store.EmailVerification), on the user row: the API
-- shows them with the user.
ALTER TABLE users ADD COLUMN pending_email TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN email_verification_status TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN email_verification_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN email_verification_message TEXT NOT NULL DEFAULT '';

-- Reset links, verification links and SMS codes (store.RecoveryToken),
-- hashed. One token per purpose and subject: a new one replaces the old.
CREATE TABLE recovery_tokens (
    id         TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    subject    TEXT NOT NULL,
    hash       TEXT NOT NULL,
    user_id    TEXT NOT NULL DEFAULT '',
    email      TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0,
    failures   INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX recovery_tokens_subject ON recovery_tokens (purpose, subject);
CREATE UNIQUE INDEX recovery_tokens_hash ON recovery_tokens (hash);
CREATE INDEX recovery_tokens_expires ON recovery_tokens (expires_at);

-- The last granted turn of each throttled key (store.ThrottleStore).
CREATE TABLE throttle_turns (
    key     TEXT PRIMARY KEY,
    last_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX throttle_turns_last ON throttle_turns (last_at);
