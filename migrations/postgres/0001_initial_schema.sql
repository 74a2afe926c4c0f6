-- Spotik initial schema for PostgreSQL 15: the tables of CONTRACT.md section 11 with its
-- canonical recommendations: native uuid keys, timestamptz(3) instants (UTC, milliseconds),
-- the foreign keys with their ON DELETE actions, the unique constraints and the indexes.
-- Applied by the store's migrator inside one transaction, under an advisory lock.
-- Indexes of section 11 that would exactly repeat another index here (Laravel created the same
-- columns twice under two names) are created once, under the name listed first.

CREATE TABLE users (
    id            uuid           PRIMARY KEY,
    username      varchar(50)    NOT NULL,
    email         varchar(255)   NOT NULL,
    password_hash varchar(255)   NOT NULL,
    created_at    timestamptz(3) NOT NULL DEFAULT now(),
    updated_at    timestamptz(3) NOT NULL DEFAULT now(),
    CONSTRAINT users_username_unique UNIQUE (username),
    CONSTRAINT users_email_unique UNIQUE (email)
);
-- users_username_index, users_email_index, idx_users_username and idx_users_email would
-- repeat the two unique indexes.
CREATE INDEX idx_users_created ON users (created_at);

CREATE TABLE rooms (
    id                  uuid           PRIMARY KEY,
    name                varchar(100)   NOT NULL,
    description         varchar(500)   NULL,
    administrator_id    uuid           NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    current_track_id    uuid           NULL,
    playback_started_at timestamptz(3) NULL,
    playback_paused_at  timestamptz(3) NULL,
    is_playing          boolean        NOT NULL DEFAULT false,
    created_at          timestamptz(3) NOT NULL DEFAULT now(),
    updated_at          timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX rooms_administrator_id_index ON rooms (administrator_id);
CREATE INDEX rooms_name_index ON rooms (name);
CREATE INDEX rooms_is_playing_index ON rooms (is_playing);
-- Also serves idx_rooms_current_track (same column).
CREATE INDEX rooms_current_track_id_index ON rooms (current_track_id);
CREATE INDEX idx_rooms_time_name ON rooms (created_at, name);
CREATE INDEX idx_rooms_playing_updated ON rooms (is_playing, updated_at);
CREATE INDEX idx_rooms_active ON rooms (updated_at DESC) WHERE is_playing = true;
-- The room list: ORDER BY created_at DESC, id.
CREATE INDEX idx_rooms_created ON rooms (created_at DESC, id);

CREATE TABLE tracks (
    id               uuid           PRIMARY KEY,
    room_id          uuid           NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    uploader_id      uuid           NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    filename         varchar(255)   NOT NULL,
    original_name    varchar(255)   NOT NULL,
    file_path        varchar(500)   NOT NULL,
    duration_seconds integer        NOT NULL,
    file_size_bytes  bigint         NOT NULL,
    mime_type        varchar(100)   NOT NULL,
    vote_score       integer        NOT NULL DEFAULT 0,
    created_at       timestamptz(3) NOT NULL DEFAULT now(),
    updated_at       timestamptz(3) NOT NULL DEFAULT now()
);
-- rooms and tracks reference each other: the cycle is closed once both exist.
ALTER TABLE rooms ADD CONSTRAINT rooms_current_track_id_foreign
    FOREIGN KEY (current_track_id) REFERENCES tracks (id) ON DELETE SET NULL;
-- Also serves idx_tracks_queue_order (same columns) and the room_id foreign key; the queue
-- itself reads idx_tracks_room_queue below.
CREATE INDEX idx_tracks_room_score ON tracks (room_id, vote_score, created_at);
CREATE INDEX idx_tracks_room_queue ON tracks (room_id, vote_score DESC, created_at, id);
CREATE INDEX tracks_uploader_id_index ON tracks (uploader_id);
CREATE INDEX tracks_vote_score_index ON tracks (vote_score);
CREATE INDEX idx_tracks_uploader_time ON tracks (uploader_id, created_at);
CREATE INDEX idx_tracks_file_path ON tracks (file_path);
CREATE INDEX idx_tracks_voted ON tracks (room_id, vote_score DESC, created_at ASC) WHERE vote_score > 0;

CREATE TABLE room_participants (
    id        uuid           PRIMARY KEY,
    room_id   uuid           NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id   uuid           NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at timestamptz(3) NOT NULL DEFAULT now(),
    CONSTRAINT room_participants_room_id_user_id_unique UNIQUE (room_id, user_id)
);
-- The unique (room_id, user_id) index also serves lookups by room_id.
CREATE INDEX room_participants_user_id_index ON room_participants (user_id);
CREATE INDEX idx_participants_room_time ON room_participants (room_id, joined_at, id);
CREATE INDEX idx_participants_user_time ON room_participants (user_id, joined_at);

CREATE TABLE track_votes (
    id         uuid           PRIMARY KEY,
    track_id   uuid           NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    user_id    uuid           NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    CONSTRAINT track_votes_track_id_user_id_unique UNIQUE (track_id, user_id)
);
-- The unique (track_id, user_id) index also serves lookups by track_id.
CREATE INDEX track_votes_user_id_index ON track_votes (user_id);
CREATE INDEX idx_votes_track_time ON track_votes (track_id, created_at);
CREATE INDEX idx_votes_user_time ON track_votes (user_id, created_at);

CREATE TABLE jwt_blacklist (
    jti        varchar(255)   PRIMARY KEY,
    expires_at timestamptz(3) NOT NULL,
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    updated_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX jwt_blacklist_expires_at_index ON jwt_blacklist (expires_at);
