-- The AI therapist's own database before seed 000 (its migration 001 and its hand-made log), in
-- schema public. TIMESTAMP columns hold local times of the app's connections: America/Denver.
CREATE TABLE users (
    userid SERIAL PRIMARY KEY,
    username VARCHAR(255) UNIQUE NOT NULL,
    password VARCHAR(255) NOT NULL,
    role VARCHAR(50) NOT NULL CHECK (role IN ('therapist', 'researcher', 'participant')),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_users_username ON users (username);
CREATE INDEX idx_users_role ON users (role);

CREATE TABLE conversation_logs (
    id SERIAL PRIMARY KEY,
    session_id TEXT NOT NULL,
    role VARCHAR NOT NULL,
    message_type VARCHAR NOT NULL,
    message TEXT,
    extras JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
