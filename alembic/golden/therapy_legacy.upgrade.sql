BEGIN;

-- Running upgrade platform -> therapy_legacy

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

-- squawk-ignore-file constraint-missing-not-valid -- uq_users_userid and ck_users_therapist_login are on a column added in this transaction;

-- squawk-ignore-file disallowed-unique-constraint -- built under the ACCESS EXCLUSIVE lock the new column holds anyway;

CREATE SEQUENCE therapy.users_userid_seq AS integer;

ALTER TABLE public.users ADD COLUMN userid INTEGER;

ALTER TABLE public.users ADD CONSTRAINT uq_users_userid UNIQUE (userid);

ALTER TABLE public.users ADD CONSTRAINT ck_users_therapist_login CHECK (userid IS NULL OR (username IS NOT NULL AND password_hash IS NOT NULL AND role IS NOT NULL));

CREATE VIEW therapy.users AS
        SELECT userid, username, password_hash AS password, role, created_at, updated_at
        FROM public.users
        WHERE userid IS NOT NULL
        WITH CASCADED CHECK OPTION;

ALTER VIEW therapy.users ALTER COLUMN userid SET DEFAULT nextval('therapy.users_userid_seq');

COMMENT ON VIEW therapy.users IS 'The AI therapist app''s users table, as its code reads and writes it: its people in public.users.';

-- squawk-ignore-file prefer-identity -- serial is the legacy table's own shape (DESIGN 5);

CREATE TABLE therapy.conversation_logs (
    id SERIAL NOT NULL, 
    session_id TEXT NOT NULL, 
    role VARCHAR NOT NULL, 
    message_type VARCHAR NOT NULL, 
    message TEXT, 
    extras JSONB, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT pk_conversation_logs PRIMARY KEY (id)
);

COMMIT;

