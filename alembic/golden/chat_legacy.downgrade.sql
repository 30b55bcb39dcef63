BEGIN;

-- Running downgrade chat_legacy -> platform

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

DELETE FROM public.migration_reconciliation WHERE revision = 'import:chat';

DELETE FROM public.import_rejects WHERE context = 'chat';

DROP VIEW chat.users;

DROP TABLE chat.sessions;

DROP TYPE chat.sessionorigin;

ALTER TABLE public.users DROP CONSTRAINT uq_users_discord_id;

ALTER TABLE public.users DROP COLUMN display_label;

ALTER TABLE public.users DROP COLUMN discord_id;

COMMIT;

