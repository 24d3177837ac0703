-- The hash of the token a rotation issued, recorded on the token it
-- consumed, in the same row write: the session service tells a repeat of
-- the just-rotated token (successor still current) from a replay of an
-- older one by it. Tokens consumed before this column keep '' and count as
-- older.
ALTER TABLE refresh_tokens ADD COLUMN successor TEXT NOT NULL DEFAULT '';
