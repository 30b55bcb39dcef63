BEGIN;

-- Running upgrade chat_legacy -> chat_discord

COMMIT;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_index
                WHERE indexrelid = to_regclass('chat.idx_sessions_owner') AND NOT indisvalid) THEN
        DROP INDEX chat.idx_sessions_owner;
    END IF;
END
$$;

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_owner ON chat.sessions (owner_user_id);

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_index
                WHERE indexrelid = to_regclass('chat.idx_sessions_origin') AND NOT indisvalid) THEN
        DROP INDEX chat.idx_sessions_origin;
    END IF;
END
$$;

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_origin ON chat.sessions (origin);

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_index
                WHERE indexrelid = to_regclass('chat.idx_sessions_created_at') AND NOT indisvalid) THEN
        DROP INDEX chat.idx_sessions_created_at;
    END IF;
END
$$;

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_created_at ON chat.sessions (created_at);

BEGIN;

DO $$
DECLARE
    configured CONSTANT text := current_setting('lock_timeout');
    longest CONSTANT interval := nullif(configured, '0')::interval;
    attempt integer := 1;
BEGIN
    LOOP
        BEGIN
            PERFORM set_config('lock_timeout', ceil(1000 * extract(epoch FROM
                least(interval '100 ms' * 2 ^ (attempt - 1), longest))) || 'ms', true);
            LOCK TABLE public.users IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE chat.sessions IN ACCESS EXCLUSIVE MODE;
            EXIT;
        EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
            IF attempt >= 10 THEN
                RAISE;
            END IF;
            RAISE WARNING 'therapy-db: tables busy (%), attempt % of 10; retrying',
                SQLERRM, attempt;
        END;
        PERFORM pg_sleep(random() * least(0.05 * 2 ^ attempt, 2));
        attempt := attempt + 1;
    END LOOP;
    PERFORM set_config('lock_timeout', configured, true);
END
$$;

-- squawk-ignore-file constraint-missing-not-valid -- the check is on columns added in this transaction;

-- squawk-ignore-file require-concurrent-index-creation -- idx_users_active, idx_sessions_active: columns added in this transaction;

-- squawk-ignore-file renaming-object -- unique constraints take the document's index names; no client names a constraint;

ALTER TABLE public.users ADD COLUMN is_active BOOLEAN DEFAULT true NOT NULL;

ALTER TABLE public.users ADD COLUMN preferences JSONB DEFAULT '{}'::jsonb NOT NULL;

ALTER TABLE chat.sessions ADD COLUMN parameters JSONB DEFAULT '{}'::jsonb NOT NULL;

ALTER TABLE chat.sessions ADD COLUMN ended_at TIMESTAMP WITH TIME ZONE;

ALTER TABLE chat.sessions ADD COLUMN is_active BOOLEAN DEFAULT true NOT NULL;

ALTER TABLE chat.sessions ADD CONSTRAINT ck_sessions_ended_sessions_are_inactive CHECK (NOT (is_active AND ended_at IS NOT NULL));

ALTER TABLE "public"."users" RENAME CONSTRAINT "uq_users_discord_id" TO "idx_users_discord_id";

ALTER TABLE "chat"."sessions" RENAME CONSTRAINT "uq_sessions_discord_channel_id" TO "idx_sessions_discord_channel";

CREATE INDEX idx_users_active ON public.users (is_active);

CREATE INDEX idx_sessions_active ON chat.sessions (is_active);

CREATE OR REPLACE VIEW chat.users AS
SELECT id, discord_id, display_label, created_at, is_active, preferences
  FROM public.users
 WHERE display_label IS NOT NULL
  WITH CASCADED CHECK OPTION;

CREATE TYPE chat.messagerole AS ENUM ('user', 'assistant', 'system');

CREATE TYPE chat.transcriptformat AS ENUM ('json', 'csv');

CREATE TYPE chat.backupstatus AS ENUM ('started', 'in_progress', 'completed', 'failed');

CREATE TABLE chat.messages (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    session_id UUID NOT NULL, 
    request_id UUID, 
    role chat.messagerole NOT NULL, 
    content TEXT, 
    encrypted_content BYTEA, 
    timestamp TIMESTAMP WITH TIME ZONE DEFAULT clock_timestamp() NOT NULL, 
    metadata JSONB DEFAULT '{}'::jsonb NOT NULL, 
    CONSTRAINT pk_messages PRIMARY KEY (id), 
    CONSTRAINT fk_messages_session_id_sessions FOREIGN KEY(session_id) REFERENCES chat.sessions (id) ON DELETE CASCADE, 
    CONSTRAINT idx_messages_request_id UNIQUE (request_id)
);

CREATE INDEX idx_messages_session ON chat.messages (session_id, timestamp);

CREATE INDEX idx_messages_timestamp ON chat.messages (timestamp);

CREATE INDEX idx_messages_role ON chat.messages (role);

CREATE FUNCTION chat.refuse_message_content_not_in_clear_or_encrypted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.content IS NOT NULL THEN
        RAISE EXCEPTION 'message not stored: it has both content and encrypted_content, and an '
                        'encrypted message keeps no plaintext beside its ciphertext'
            USING ERRCODE = 'check_violation',
                  SCHEMA = 'chat', TABLE = 'messages',
                  CONSTRAINT = 'message_content_in_clear_or_encrypted',
                  HINT = 'Store an encrypted message with content NULL: its ciphertext in '
                         'encrypted_content only.';
    END IF;
    RAISE EXCEPTION 'message not stored: it has neither content nor encrypted_content'
        USING ERRCODE = 'check_violation',
              SCHEMA = 'chat', TABLE = 'messages',
              CONSTRAINT = 'message_content_in_clear_or_encrypted',
              HINT = 'Set content for a message in clear, encrypted_content for an encrypted one.';
END
$$;

CREATE TRIGGER content_in_clear_or_encrypted BEFORE INSERT OR UPDATE OF content, encrypted_content ON chat.messages FOR EACH ROW WHEN (num_nonnulls(NEW.content, NEW.encrypted_content) <> 1) EXECUTE FUNCTION chat.refuse_message_content_not_in_clear_or_encrypted();

CREATE TABLE chat.transcripts (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    session_id UUID NOT NULL, 
    s3_key VARCHAR(500), 
    format chat.transcriptformat NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    file_size_bytes INTEGER, 
    message_count INTEGER NOT NULL, 
    CONSTRAINT pk_transcripts PRIMARY KEY (id), 
    CONSTRAINT ck_transcripts_file_size_not_negative CHECK (file_size_bytes >= 0), 
    CONSTRAINT ck_transcripts_message_count_not_negative CHECK (message_count >= 0), 
    CONSTRAINT fk_transcripts_session_id_sessions FOREIGN KEY(session_id) REFERENCES chat.sessions (id) ON DELETE CASCADE
);

CREATE INDEX idx_transcripts_session ON chat.transcripts (session_id);

CREATE INDEX idx_transcripts_created_at ON chat.transcripts (created_at);

CREATE INDEX idx_transcripts_format ON chat.transcripts (format);

CREATE TABLE chat.metrics (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    client_bot_id VARCHAR(50) NOT NULL, 
    timestamp TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    metric_type VARCHAR(50) NOT NULL, 
    metric_data JSONB NOT NULL, 
    CONSTRAINT pk_metrics PRIMARY KEY (id)
);

CREATE INDEX idx_metrics_timestamp ON chat.metrics (timestamp);

CREATE INDEX idx_metrics_type ON chat.metrics (metric_type);

CREATE INDEX idx_metrics_client_bot ON chat.metrics (client_bot_id, metric_type, timestamp);

CREATE TABLE chat.system_configs (
    key VARCHAR(100) NOT NULL, 
    value JSONB NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_by UUID, 
    CONSTRAINT pk_system_configs PRIMARY KEY (key), 
    CONSTRAINT fk_system_configs_updated_by_users FOREIGN KEY(updated_by) REFERENCES public.users (id) ON DELETE SET NULL
);

CREATE INDEX ix_system_configs_updated_by ON chat.system_configs (updated_by);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "chat"."system_configs" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TABLE chat.backup_logs (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    backup_type VARCHAR(50) NOT NULL, 
    status chat.backupstatus DEFAULT 'started' NOT NULL, 
    started_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    completed_at TIMESTAMP WITH TIME ZONE, 
    file_path VARCHAR(500), 
    file_size_bytes BIGINT, 
    error_message TEXT, 
    CONSTRAINT pk_backup_logs PRIMARY KEY (id), 
    CONSTRAINT ck_backup_logs_file_size_not_negative CHECK (file_size_bytes >= 0)
);

CREATE INDEX idx_backup_logs_type ON chat.backup_logs (backup_type, started_at);

CREATE INDEX idx_backup_logs_status ON chat.backup_logs (status);

CREATE INDEX idx_backup_logs_started_at ON chat.backup_logs (started_at);

COMMIT;

