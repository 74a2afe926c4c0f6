-- Spotik initial schema for SQLite: the tables of CONTRACT.md section 11.
-- Ids are TEXT (lower-case UUID strings), instants INTEGER epoch milliseconds (UTC),
-- booleans INTEGER 0/1. Applied by the store's migrator inside one transaction.

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX idx_users_created ON users (created_at);

-- rooms and tracks reference each other; SQLite resolves foreign keys when rows are
-- written, so current_track_id can be declared here before tracks exists.
CREATE TABLE rooms (
    id                  TEXT    NOT NULL PRIMARY KEY,
    name                TEXT    NOT NULL,
    description         TEXT    NULL,
    administrator_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    current_track_id    TEXT    NULL REFERENCES tracks (id) ON DELETE SET NULL,
    playback_started_at INTEGER NULL,
    playback_paused_at  INTEGER NULL,
    is_playing          INTEGER NOT NULL DEFAULT 0 CHECK (is_playing IN (0, 1)),
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
-- list_rooms: ORDER BY created_at DESC, id ASC.
CREATE INDEX idx_rooms_created ON rooms (created_at DESC, id);
CREATE INDEX idx_rooms_administrator ON rooms (administrator_id);
CREATE INDEX idx_rooms_current_track ON rooms (current_track_id);
-- list_playing_rooms (the auto-advance timer) reads only the playing rooms.
CREATE INDEX idx_rooms_playing ON rooms (updated_at) WHERE is_playing = 1;

CREATE TABLE tracks (
    id               TEXT    NOT NULL PRIMARY KEY,
    room_id          TEXT    NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    uploader_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    filename         TEXT    NOT NULL,
    original_name    TEXT    NOT NULL,
    file_path        TEXT    NOT NULL,
    duration_seconds INTEGER NOT NULL,
    file_size_bytes  INTEGER NOT NULL,
    mime_type        TEXT    NOT NULL,
    vote_score       INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
-- The queue order; its leading room_id also serves the room_id foreign key.
CREATE INDEX idx_tracks_queue_order ON tracks (room_id, vote_score DESC, created_at, id);
CREATE INDEX idx_tracks_uploader_time ON tracks (uploader_id, created_at);

-- UNIQUE (room_id, user_id) also indexes room_id for the foreign key and lookups.
CREATE TABLE room_participants (
    id        TEXT    NOT NULL PRIMARY KEY,
    room_id   TEXT    NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id   TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at INTEGER NOT NULL,
    UNIQUE (room_id, user_id)
);
CREATE INDEX idx_participants_room_time ON room_participants (room_id, joined_at, id);
CREATE INDEX idx_participants_user_time ON room_participants (user_id, joined_at);

-- UNIQUE (track_id, user_id) is the index on track_id (cascade and COUNT(*) by track).
CREATE TABLE track_votes (
    id         TEXT    NOT NULL PRIMARY KEY,
    track_id   TEXT    NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    UNIQUE (track_id, user_id)
);
CREATE INDEX idx_votes_user_time ON track_votes (user_id, created_at);

CREATE TABLE jwt_blacklist (
    jti        TEXT    NOT NULL PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX idx_jwt_blacklist_expires ON jwt_blacklist (expires_at);
