BEGIN;

-- Running downgrade memory_legacy -> platform

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
            LOCK TABLE memory.users IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE public.users IN ACCESS EXCLUSIVE MODE;
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

DELETE FROM public.migration_reconciliation WHERE revision = 'import:memory';

DELETE FROM public.import_rejects WHERE context = 'memory';

DROP VIEW memory.users;

DROP FUNCTION memory.insert_user();

ALTER TABLE public.users DROP COLUMN onboarding_skipped;

ALTER TABLE public.users DROP COLUMN name;

DROP TABLE memory.value_compass;

DROP TABLE memory.emotional_trends;

DROP TABLE memory.user_preferences;

DROP TABLE memory.feedback_log;

DROP TABLE memory.feedback;

DROP TABLE memory.conversation_continuity;

DROP TABLE memory.crisis_flags;

DROP TABLE memory.conversation_messages;

DROP TABLE memory.conversations;

DROP TABLE memory.memory_profiles;

COMMIT;

