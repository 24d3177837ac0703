-- Social sign-in (store.Identity, store.OAuthState). Numbered 0015, clear
-- of 0012 to 0014, which other work in progress takes; migrations run in
-- name order, so a gap does no harm.

-- The provider accounts linked to users. The primary key makes a provider
-- account belong to one user at most; the unique index gives a user one
-- identity per provider and serves the users filter's providers part and
-- the listing of a user's identities.
CREATE TABLE identities (
    provider  TEXT NOT NULL,
    subject   TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    email     TEXT NOT NULL DEFAULT '',
    linked_at INTEGER NOT NULL,
    PRIMARY KEY (provider, subject)
) WITHOUT ROWID;
CREATE UNIQUE INDEX identities_user ON identities (user_id, provider);

-- Redirect flows started and not completed yet, by the hash of their state.
CREATE TABLE oauth_states (
    hash         TEXT PRIMARY KEY,
    provider     TEXT NOT NULL,
    action       TEXT NOT NULL,
    verifier     TEXT NOT NULL,
    nonce        TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    user_id      TEXT NOT NULL DEFAULT '',
    device_token TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);
