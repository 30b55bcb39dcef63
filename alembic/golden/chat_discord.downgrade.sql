BEGIN;

-- Running downgrade chat_discord -> chat_legacy

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

-- squawk-ignore-file require-concurrent-index-deletion -- dropped in the transaction that holds both tables anyway;

-- squawk-ignore-file renaming-object -- the unique constraints get chat_legacy's names back;

DROP TABLE chat.backup_logs;

DROP TABLE chat.system_configs;

DROP TABLE chat.metrics;

DROP TABLE chat.transcripts;

DROP TABLE chat.messages;

DROP FUNCTION chat.refuse_message_content_not_in_clear_or_encrypted();

DROP TYPE chat.backupstatus;

DROP TYPE chat.transcriptformat;

DROP TYPE chat.messagerole;

DROP VIEW chat.users;

CREATE OR REPLACE VIEW chat.users AS
SELECT id, discord_id, display_label, created_at
  FROM public.users
 WHERE display_label IS NOT NULL
  WITH CASCADED CHECK OPTION;

DROP INDEX chat.idx_sessions_active;

DROP INDEX public.idx_users_active;

DROP INDEX chat.idx_sessions_created_at;

DROP INDEX chat.idx_sessions_origin;

DROP INDEX chat.idx_sessions_owner;

ALTER TABLE "chat"."sessions" RENAME CONSTRAINT "idx_sessions_discord_channel" TO "uq_sessions_discord_channel_id";

ALTER TABLE "public"."users" RENAME CONSTRAINT "idx_users_discord_id" TO "uq_users_discord_id";

ALTER TABLE chat.sessions DROP CONSTRAINT ck_sessions_ended_sessions_are_inactive;

ALTER TABLE chat.sessions DROP COLUMN is_active;

ALTER TABLE chat.sessions DROP COLUMN ended_at;

ALTER TABLE chat.sessions DROP COLUMN parameters;

ALTER TABLE public.users DROP COLUMN preferences;

ALTER TABLE public.users DROP COLUMN is_active;

COMMIT;

