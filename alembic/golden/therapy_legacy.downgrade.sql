BEGIN;

-- Running downgrade therapy_legacy -> platform

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

DELETE FROM public.migration_reconciliation WHERE revision = 'import:therapy';

DELETE FROM public.import_rejects WHERE context = 'therapy';

DROP TABLE therapy.conversation_logs;

DROP VIEW therapy.users;

ALTER TABLE public.users DROP CONSTRAINT ck_users_therapist_login;

ALTER TABLE public.users DROP CONSTRAINT uq_users_userid;

ALTER TABLE public.users DROP COLUMN userid;

-- squawk-ignore-file ban-drop-sequence -- the app's key generator goes with the key it numbered;

DROP SEQUENCE therapy.users_userid_seq;

COMMIT;

