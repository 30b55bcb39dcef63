BEGIN;

-- Running downgrade coaching_phase4 -> coaching_phase3

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
            LOCK TABLE coaching.sessions IN ACCESS EXCLUSIVE MODE;
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

DELETE FROM public.migration_reconciliation WHERE revision = 'coaching_phase4';

DELETE FROM coaching.migration_rejects WHERE revision = 'coaching_phase4';

DROP TABLE coaching.transcripts;

COMMIT;

