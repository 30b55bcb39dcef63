BEGIN;

-- Running downgrade coaching_phase2 -> coaching_phase1

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

-- squawk-ignore-file require-concurrent-index-deletion -- indexes on columns this transaction drops or rewrites;

-- squawk-ignore-file require-concurrent-index-creation -- the MVP's user_id index, on the column this transaction fills;

-- squawk-ignore-file renaming-column -- the restored string column takes the MVP's name back;

DROP VIEW coaching.users;

DROP FUNCTION coaching.refresh_engagement_analytics(uuid);

DROP VIEW coaching.engagement_activity;

DROP VIEW coaching.message_activity;

DROP TABLE coaching.engagement_analytics;

DROP TABLE coaching.user_persona;

DROP INDEX coaching.ix_conversations_user_id;

ALTER TABLE coaching.conversations ADD COLUMN external_user_id VARCHAR;

SELECT set_config('therapy_db.keep_updated_at', 'on', true);

UPDATE coaching.conversations c
        SET external_user_id = coalesce(u.external_auth_id, u.id::text)
        FROM public.users u
        WHERE u.id = c.user_id;

UPDATE coaching.conversations c SET external_user_id = r.source_value->>'user_id'
        FROM coaching.migration_rejects r
        WHERE r.source_table = 'coaching.conversations' AND r.source_id = c.id
          AND r.target_table = 'public.users';

ALTER TABLE coaching.conversations DROP COLUMN user_id;

ALTER TABLE coaching.conversations RENAME external_user_id TO user_id;

CREATE INDEX ix_conversations_user_id ON coaching.conversations (user_id);

DELETE FROM public.users WHERE id IN (SELECT user_id FROM coaching.backfilled_users);

DELETE FROM public.migration_reconciliation WHERE revision = 'coaching_phase2';

DROP TABLE coaching.migration_rejects;

DROP TABLE coaching.backfilled_users;

ALTER TABLE public.users DROP CONSTRAINT uq_users_external_auth_id;

ALTER TABLE public.users DROP COLUMN coaching_since;

ALTER TABLE public.users DROP COLUMN external_auth_id;

ALTER TABLE public.users DROP COLUMN last_login;

ALTER TABLE public.users DROP COLUMN phone_number;

ALTER TABLE public.users DROP COLUMN last_name;

ALTER TABLE public.users DROP COLUMN first_name;

DO $$
        BEGIN
            IF obj_description((SELECT oid FROM pg_extension WHERE extname = 'vector'),
                               'pg_extension') = 'installed by therapy-db revision coaching_phase2, which removes it on downgrade' THEN
                DROP EXTENSION vector;
            END IF;
        END
        $$;

COMMIT;

