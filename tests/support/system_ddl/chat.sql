-- The Discord chat system's own database before its migration 001: its users and sessions, in
-- schema public. Its TIMESTAMP columns hold UTC times (naive datetimes the bot writes in UTC).
CREATE TYPE sessionorigin AS ENUM ('website', 'discord');
CREATE TABLE users (
    id uuid PRIMARY KEY,
    discord_id bigint UNIQUE,
    display_label varchar(255) NOT NULL,
    created_at timestamp NOT NULL
);
CREATE TABLE sessions (
    id uuid PRIMARY KEY,
    owner_user_id uuid NOT NULL REFERENCES users (id),
    origin sessionorigin NOT NULL,
    discord_channel_id bigint UNIQUE,
    system_prompt text,
    created_at timestamp NOT NULL
);
