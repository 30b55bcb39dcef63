BEGIN;

-- Running upgrade platform -> chat_legacy

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

-- squawk-ignore-file constraint-missing-not-valid -- uq_users_discord_id is on a column added in this transaction;

-- squawk-ignore-file disallowed-unique-constraint -- built under the ACCESS EXCLUSIVE lock the new columns hold anyway;

ALTER TABLE public.users ADD COLUMN discord_id BIGINT;

ALTER TABLE public.users ADD COLUMN display_label VARCHAR(255);

ALTER TABLE public.users ADD CONSTRAINT uq_users_discord_id UNIQUE (discord_id);

CREATE TYPE chat.sessionorigin AS ENUM ('website', 'discord');

CREATE TABLE chat.sessions (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    owner_user_id UUID NOT NULL, 
    origin chat.sessionorigin NOT NULL, 
    discord_channel_id BIGINT, 
    system_prompt TEXT, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT pk_sessions PRIMARY KEY (id), 
    CONSTRAINT fk_sessions_owner_user_id_users FOREIGN KEY(owner_user_id) REFERENCES public.users (id), 
    CONSTRAINT uq_sessions_discord_channel_id UNIQUE (discord_channel_id)
);

CREATE VIEW chat.users AS
SELECT id, discord_id, display_label, created_at
  FROM public.users
 WHERE display_label IS NOT NULL
  WITH CASCADED CHECK OPTION;

COMMIT;

