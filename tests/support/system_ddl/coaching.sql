-- The health coach's MVP database as the app built it (seed 002's Phase 1, as built): ids are
-- strings (conv_/msg_ + 12 hex), user_id the auth provider's uid, role a plain string, metadata
-- json as the app wrote it, timestamps naive UTC.
CREATE TABLE conversations (
    id VARCHAR PRIMARY KEY,
    user_id VARCHAR,
    title VARCHAR,
    message_count INTEGER NOT NULL DEFAULT 0,
    metadata JSON,
    created_at TIMESTAMP NOT NULL DEFAULT now(),
    updated_at TIMESTAMP NOT NULL DEFAULT now()
);
CREATE TABLE messages (
    id VARCHAR PRIMARY KEY,
    conversation_id VARCHAR NOT NULL REFERENCES conversations (id),
    role VARCHAR NOT NULL,
    content TEXT NOT NULL,
    metadata JSON,
    created_at TIMESTAMP NOT NULL DEFAULT now(),
    updated_at TIMESTAMP NOT NULL DEFAULT now()
);
CREATE INDEX ix_conversations_user_id ON conversations (user_id);
