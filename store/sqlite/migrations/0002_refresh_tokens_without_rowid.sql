-- Every refresh writes this table: keep it to two b-trees instead of four.
-- The hash is the key (WITHOUT ROWID stores rows in its primary-key index);
-- tokens are found by hash or deleted by user, never looked up by session.
CREATE TABLE refresh_tokens_new (
    hash        TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    consumed_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO refresh_tokens_new SELECT hash, session_id, user_id, created_at, expires_at, consumed_at FROM refresh_tokens;
DROP TABLE refresh_tokens;
ALTER TABLE refresh_tokens_new RENAME TO refresh_tokens;
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
