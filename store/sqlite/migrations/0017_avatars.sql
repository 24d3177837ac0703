-- Avatars (store.Avatar): the re-encoded image itself, served by id. Numbered
-- 0017, clear of 0015 and 0016, which other work in progress takes;
-- migrations run in name order, so the gap does no harm. A user's avatars
-- are deleted with the user (deleteUserData), found by user_id.
CREATE TABLE avatars (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX avatars_user_id ON avatars (user_id);
