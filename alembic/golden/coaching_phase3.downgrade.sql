BEGIN;

-- Running downgrade coaching_phase3 -> coaching_phase2

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
            LOCK TABLE coaching.conversations IN ACCESS EXCLUSIVE MODE;
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

CREATE OR REPLACE VIEW coaching.engagement_activity AS
SELECT a.user_id, a.total_messages, a.avg_response_time,
       NULL::numeric(5, 2) AS session_completion_rate, a.last_activity
FROM coaching.message_activity a;

DROP TRIGGER enforce_program_order ON coaching.sessions;

DROP FUNCTION coaching.enforce_program_order();

DELETE FROM public.migration_reconciliation WHERE revision = 'coaching_phase3';

DELETE FROM coaching.migration_rejects WHERE revision = 'coaching_phase3';

DROP TABLE coaching.check_ins;

DROP TABLE coaching.session_takeaways;

DROP TABLE coaching.sessions;

DROP TABLE coaching.smart_goals;

COMMIT;

