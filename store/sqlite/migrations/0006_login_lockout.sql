-- The sign-in lockout of each account (store.Lockout). It lives on the user
-- row: a sign-in reads it with the user, and a successful sign-in clears it
-- in the same write that stamps last_login_at. No index: it is only ever
-- read and written by user id.
ALTER TABLE users ADD COLUMN login_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_login_failure_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until INTEGER NOT NULL DEFAULT 0;
