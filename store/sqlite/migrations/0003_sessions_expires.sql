-- PurgeSessions finds expired sessions by expiry. Sessions are written at
-- sign-in and revocation only, so one more index costs little; the refresh
-- token table, written at every refresh, gets none (tokens are purged by
-- user id, with their session).
CREATE INDEX sessions_expires ON sessions (expires_at);
