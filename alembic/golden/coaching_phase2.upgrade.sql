BEGIN;

-- Running upgrade coaching_phase1 -> coaching_phase2

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

-- squawk-ignore-file constraint-missing-not-valid -- unique and foreign keys on columns this transaction adds or rewrites;

-- squawk-ignore-file disallowed-unique-constraint -- users.external_auth_id is added in this transaction;

-- squawk-ignore-file adding-foreign-key-constraint -- conversations.user_id is filled in this transaction;

-- squawk-ignore-file require-concurrent-index-creation -- indexes on columns this transaction adds or rewrites;

-- squawk-ignore-file changing-column-type -- conversations.user_id becomes the person's uuid: one rewrite, under the lock above;

SET LOCAL work_mem = '256MB';

SET LOCAL maintenance_work_mem = '1GB';

DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'vector') THEN
                CREATE EXTENSION vector;
                COMMENT ON EXTENSION vector IS 'installed by therapy-db revision coaching_phase2, which removes it on downgrade';
            END IF;
        END
        $$;

ALTER TABLE public.users ADD COLUMN first_name VARCHAR(100);

ALTER TABLE public.users ADD COLUMN last_name VARCHAR(100);

ALTER TABLE public.users ADD COLUMN phone_number VARCHAR(20);

ALTER TABLE public.users ADD COLUMN last_login TIMESTAMP WITH TIME ZONE;

ALTER TABLE public.users ADD COLUMN external_auth_id VARCHAR;

ALTER TABLE public.users ADD COLUMN coaching_since TIMESTAMP WITH TIME ZONE;

ALTER TABLE public.users ADD CONSTRAINT uq_users_external_auth_id UNIQUE (external_auth_id);

CREATE TABLE coaching.backfilled_users (
    user_id UUID NOT NULL
);

CREATE TABLE coaching.migration_rejects (
    source_table TEXT NOT NULL, 
    source_id VARCHAR NOT NULL, 
    target_table TEXT NOT NULL, 
    revision TEXT NOT NULL, 
    reason TEXT NOT NULL, 
    source_value JSON, 
    CONSTRAINT pk_migration_rejects PRIMARY KEY (source_table, source_id, target_table)
);

WITH created AS (
            INSERT INTO public.users (id, external_auth_id, created_at, updated_at, coaching_since)
            SELECT md5('coaching_user:' || user_id)::uuid, user_id, min(created_at), min(created_at),
                   min(created_at)
            FROM coaching.conversations
            WHERE btrim(user_id) <> ''
            GROUP BY user_id
            RETURNING id
        )
        INSERT INTO coaching.backfilled_users (user_id) SELECT id FROM created;

INSERT INTO coaching.migration_rejects
            (source_table, source_id, target_table, revision, reason, source_value)
        SELECT 'coaching.conversations', id, 'public.users', 'coaching_phase2',
               'user_id is blank: the conversation stays anonymous',
               json_build_object('user_id', user_id)
        FROM coaching.conversations
        WHERE btrim(user_id) = '';

INSERT INTO public.migration_reconciliation (revision, target, source_rows, moved_rows, rejected_rows)
        VALUES ('coaching_phase2', 'public.users', (SELECT count(*) FROM coaching.conversations WHERE user_id IS NOT NULL), (SELECT count(*) FROM coaching.conversations c JOIN public.users u ON u.id = md5('coaching_user:' || c.user_id)::uuid AND u.external_auth_id = c.user_id WHERE btrim(c.user_id) <> ''), (SELECT count(*) FROM coaching.migration_rejects WHERE revision = 'coaching_phase2' AND target_table = 'public.users'));

ALTER TABLE coaching.conversations ALTER COLUMN user_id TYPE UUID USING CASE WHEN btrim(user_id) <> '' THEN md5('coaching_user:' || user_id)::uuid END;

ALTER TABLE coaching.conversations ADD CONSTRAINT fk_conversations_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

CREATE VIEW coaching.users AS
SELECT id AS user_id, email, password_hash, first_name, last_name, phone_number,
       coaching_since AS created_at, last_login
FROM public.users
WHERE coaching_since IS NOT NULL
WITH CASCADED CHECK OPTION;

ALTER VIEW coaching.users ALTER COLUMN user_id SET DEFAULT gen_random_uuid();
ALTER VIEW coaching.users ALTER COLUMN created_at SET DEFAULT now();
COMMENT ON VIEW coaching.users IS
    'The health coach''s people (public.users with coaching_since), in seed 002''s Phase 2 shape';

CREATE TABLE coaching.user_persona (
    persona_id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    personal_details JSONB, 
    has_dog BOOLEAN, 
    preferences JSONB, 
    vector_data VECTOR(1536), 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT pk_user_persona PRIMARY KEY (persona_id), 
    CONSTRAINT fk_user_persona_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX idx_persona_user ON coaching.user_persona (user_id);

CREATE INDEX ix_user_persona_vector_data ON coaching.user_persona USING hnsw (vector_data vector_cosine_ops);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "coaching"."user_persona" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TABLE coaching.engagement_analytics (
    analytics_id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    total_messages INTEGER DEFAULT '0' NOT NULL, 
    avg_response_time INTERVAL, 
    session_completion_rate NUMERIC(5, 2), 
    last_activity TIMESTAMP WITH TIME ZONE, 
    engagement_score NUMERIC(5, 2), 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL
);

CREATE UNIQUE INDEX idx_analytics_user ON coaching.engagement_analytics (user_id);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "coaching"."engagement_analytics" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE VIEW coaching.message_activity AS
WITH timeline AS (
    SELECT c.user_id, c.updated_at AS conversation_updated_at,
           m.id AS message_id, m.role, m.created_at,
           lag(m.role) OVER turns AS previous_role,
           lag(m.created_at) OVER turns AS previous_at
    FROM coaching.conversations c
    LEFT JOIN coaching.messages m ON m.conversation_id = c.id
    WHERE c.user_id IS NOT NULL
    WINDOW turns AS (PARTITION BY c.user_id, c.id ORDER BY m.created_at, m.id)
),
activity AS (
    SELECT user_id,
           count(message_id)::integer AS total_messages,
           avg(extract(epoch FROM created_at) - extract(epoch FROM previous_at))
               FILTER (WHERE role = 'user' AND previous_role = 'assistant'
                       AND isfinite(created_at) AND isfinite(previous_at)) AS reply_seconds,
           greatest(max(created_at), max(conversation_updated_at)) AS last_activity
    FROM timeline
    GROUP BY user_id
)
SELECT user_id, total_messages,
       make_interval(days => floor(reply_seconds / 86400)::integer,
                     secs => (reply_seconds % 86400)::double precision) AS avg_response_time,
       last_activity
FROM activity;

CREATE VIEW coaching.engagement_activity AS
SELECT a.user_id, a.total_messages, a.avg_response_time,
       NULL::numeric(5, 2) AS session_completion_rate, a.last_activity
FROM coaching.message_activity a;

CREATE FUNCTION coaching.refresh_engagement_analytics(for_user uuid DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    changed integer;
BEGIN
    INSERT INTO coaching.engagement_analytics AS e
        (analytics_id, user_id, total_messages, avg_response_time, session_completion_rate,
         last_activity)
    SELECT md5('coaching_analytics:' || a.user_id)::uuid, a.user_id, a.total_messages,
           a.avg_response_time, a.session_completion_rate, a.last_activity
    FROM coaching.engagement_activity a
    WHERE for_user IS NULL OR a.user_id = for_user
    ON CONFLICT (user_id) DO UPDATE
    SET total_messages = EXCLUDED.total_messages,
        avg_response_time = EXCLUDED.avg_response_time,
        session_completion_rate = EXCLUDED.session_completion_rate,
        last_activity = EXCLUDED.last_activity
    WHERE (e.total_messages, e.avg_response_time, e.session_completion_rate, e.last_activity)
          IS DISTINCT FROM (EXCLUDED.total_messages, EXCLUDED.avg_response_time,
                            EXCLUDED.session_completion_rate, EXCLUDED.last_activity);
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END
$$;

SELECT coaching.refresh_engagement_analytics();

ALTER TABLE coaching.backfilled_users ADD CONSTRAINT pk_backfilled_users PRIMARY KEY (user_id);

ALTER TABLE coaching.engagement_analytics ADD CONSTRAINT pk_engagement_analytics PRIMARY KEY (analytics_id);

ALTER TABLE coaching.backfilled_users ADD CONSTRAINT fk_backfilled_users_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE coaching.engagement_analytics ADD CONSTRAINT fk_engagement_analytics_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

COMMIT;

