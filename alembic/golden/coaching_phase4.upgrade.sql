BEGIN;

-- Running upgrade coaching_phase3 -> coaching_phase4

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
            LOCK TABLE coaching.sessions IN SHARE ROW EXCLUSIVE MODE;
            LOCK TABLE coaching.messages IN SHARE MODE;
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

SET LOCAL work_mem = '256MB';

SET LOCAL maintenance_work_mem = '1GB';

CREATE TABLE coaching.transcripts (
    transcript_id UUID DEFAULT gen_random_uuid() NOT NULL, 
    session_id UUID NOT NULL, 
    message_order INTEGER NOT NULL, 
    sender VARCHAR(20) NOT NULL, 
    message_content TEXT NOT NULL, 
    timestamp TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    metadata JSONB, 
    CONSTRAINT ck_transcripts_sender CHECK (sender IN ('user', 'assistant', 'system'))
);

CREATE OR REPLACE FUNCTION pg_temp.readable(value json) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN value::jsonb;
EXCEPTION WHEN untranslatable_character OR invalid_text_representation
               OR numeric_value_out_of_range THEN
    RETURN NULL;
END
$$;

WITH line AS (
            SELECT line.*, pg_temp.readable(metadata) AS readable FROM (
SELECT s.session_id, m.id, m.role, m.content, m.created_at, m.metadata,
       row_number() OVER (PARTITION BY s.session_id ORDER BY m.created_at, m.id) AS position
FROM coaching.sessions s
JOIN coaching.messages m ON m.conversation_id = s.conversation_id
WHERE s.status = 'completed'
) line
        ),
        rejected AS (
            INSERT INTO coaching.migration_rejects
                (source_table, source_id, target_table, revision, reason, source_value)
            SELECT 'coaching.messages', id, 'coaching.transcripts', 'coaching_phase4',
                   'metadata cannot be read as jsonb (it holds \u0000, an unpaired surrogate or a number beyond numeric)', metadata
            FROM line
            WHERE metadata IS NOT NULL AND readable IS NULL
        )
        INSERT INTO coaching.transcripts
            (transcript_id, session_id, message_order, sender, message_content, "timestamp",
             metadata)
        SELECT md5('coaching_transcript:' || id)::uuid, session_id, position, role::text,
               content, created_at, readable
        FROM line
        WHERE readable IS NOT NULL OR metadata IS NULL;

INSERT INTO public.migration_reconciliation (revision, target, source_rows, moved_rows, rejected_rows)
        VALUES ('coaching_phase4', 'coaching.transcripts', (SELECT count(*) FROM coaching.sessions s JOIN coaching.messages m ON m.conversation_id = s.conversation_id WHERE s.status = 'completed'), (SELECT count(*) FROM coaching.transcripts), (SELECT count(*) FROM coaching.migration_rejects WHERE revision = 'coaching_phase4'));

-- squawk-ignore-file ban-drop-function -- pg_temp's functions are this migration session's own helpers;

DROP FUNCTION pg_temp.readable(json);

CREATE UNIQUE INDEX idx_transcripts_order ON coaching.transcripts (session_id, message_order);

ALTER TABLE coaching.transcripts ADD CONSTRAINT pk_transcripts PRIMARY KEY (transcript_id);

ALTER TABLE coaching.transcripts ADD CONSTRAINT fk_transcripts_session_id_sessions FOREIGN KEY(session_id) REFERENCES coaching.sessions (session_id) ON DELETE CASCADE;

COMMIT;

