BEGIN;

-- Running upgrade coaching_phase2 -> coaching_phase3

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
            LOCK TABLE public.users IN SHARE ROW EXCLUSIVE MODE;
            LOCK TABLE coaching.conversations IN SHARE ROW EXCLUSIVE MODE;
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

CREATE TABLE coaching.smart_goals (
    goal_id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    goal_type VARCHAR(50) NOT NULL, 
    specific TEXT NOT NULL, 
    measurable TEXT NOT NULL, 
    achievable TEXT NOT NULL, 
    relevant TEXT NOT NULL, 
    time_bound TEXT NOT NULL, 
    status VARCHAR(20) DEFAULT 'active' NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    completed_at TIMESTAMP WITH TIME ZONE, 
    CONSTRAINT ck_smart_goals_status CHECK (status IN ('active', 'completed', 'revised', 'abandoned'))
);

CREATE TABLE coaching.sessions (
    session_id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    goal_id UUID, 
    conversation_id VARCHAR, 
    session_number INTEGER NOT NULL, 
    week_number INTEGER NOT NULL, 
    session_type VARCHAR(50), 
    scheduled_date TIMESTAMP WITH TIME ZONE, 
    completed_date TIMESTAMP WITH TIME ZONE, 
    status VARCHAR(20) DEFAULT 'locked' NOT NULL, 
    summary TEXT, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_sessions_status CHECK (status IN ('locked', 'unlocked', 'in_progress', 'completed')), 
    CONSTRAINT ck_sessions_week_number CHECK (week_number >= 1), 
    CONSTRAINT ck_sessions_session_number CHECK (session_number >= 1)
);

CREATE TABLE coaching.session_takeaways (
    takeaway_id UUID DEFAULT gen_random_uuid() NOT NULL, 
    session_id UUID NOT NULL, 
    key_learnings TEXT, 
    action_items TEXT, 
    revised_goal TEXT, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL
);

CREATE TABLE coaching.check_ins (
    checkin_id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    goal_id UUID, 
    checkin_date DATE NOT NULL, 
    progress_notes TEXT, 
    mood_rating INTEGER, 
    goal_progress INTEGER, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_check_ins_mood_rating CHECK (mood_rating BETWEEN 1 AND 10), 
    CONSTRAINT ck_check_ins_goal_progress CHECK (goal_progress BETWEEN 0 AND 100)
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

CREATE TEMPORARY TABLE program_conversations ON COMMIT DROP AS
SELECT id, user_id, created_at, updated_at, metadata,
       written IS NOT NULL AND metadata IS NULL AS unreadable
FROM (SELECT id, user_id, created_at, updated_at, metadata AS written,
             pg_temp.readable(metadata) AS metadata
      FROM coaching.conversations WHERE metadata IS NOT NULL OFFSET 0) c
WHERE metadata ?| ARRAY['week_number', 'goal_type', 'goal_id'] OR metadata IS NULL;
CREATE TEMPORARY TABLE program_messages ON COMMIT DROP AS
SELECT id, conversation_id, created_at, metadata, metadata IS NULL AS unreadable
FROM (SELECT id, conversation_id, created_at, pg_temp.readable(metadata) AS metadata
      FROM coaching.messages WHERE metadata IS NOT NULL OFFSET 0) m
WHERE metadata ?| ARRAY['takeaways', 'action_items', 'revised_goal', 'mood_rating', 'goal_progress'] OR metadata IS NULL;

CREATE OR REPLACE FUNCTION pg_temp.whole_number(value jsonb, low bigint, high bigint)
RETURNS TABLE (number integer, problem text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN problem IS NULL THEN parsed::integer END, problem
    FROM (
        SELECT parsed,
               CASE WHEN kind IS NULL OR kind = 'null' THEN NULL
                    WHEN NOT is_number THEN 'is not a number'
                    WHEN parsed IS NULL THEN format('is outside %s..%s', low, high)
                    WHEN fractional THEN 'is not a whole number'
                    WHEN parsed < low OR parsed > high THEN format('is outside %s..%s', low, high)
               END AS problem
        FROM (
            SELECT kind, is_number, rtrim(split_part(digits, '.', 2), '0') <> '' AS fractional,
                   CASE WHEN is_number AND length(split_part(ltrim(digits, '+-0'), '.', 1)) <= 18
                        THEN coalesce(substring(split_part(digits, '.', 1) FROM '^[+-]?[0-9]+$'),
                                      '0')::numeric END AS parsed
            FROM (
                SELECT kind, digits,
                       kind = 'number' OR (kind = 'string'
                           AND digits ~ '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$') AS is_number
                FROM (SELECT jsonb_typeof(value) AS kind, btrim(value #>> '{}') AS digits
                      OFFSET 0) AS typed
                OFFSET 0
            ) AS classified
            OFFSET 0
        ) AS numbered
        OFFSET 0
    ) AS checked
$$;

WITH source AS (
    SELECT c.id, c.user_id, c.created_at, c.metadata,
           
md5('coaching_goal:' || c.user_id || ':' || coalesce(
    nullif(btrim(c.metadata->>'goal_id'), ''),
    CASE WHEN c.metadata->>'goal_type' IS NOT NULL THEN c.id::text END))::uuid
 AS goal_id,
           CASE WHEN c.unreadable THEN 'metadata cannot be read as jsonb (it holds \u0000, an unpaired surrogate or a number beyond numeric)' ELSE nullif(concat_ws('; ',
               CASE WHEN c.user_id IS NULL THEN 'conversation has no user' END,
               CASE WHEN jsonb_typeof(c.metadata->'goal_type') <> 'string'
                         OR btrim(c.metadata->>'goal_type') = ''
                    THEN 'goal_type is not a text'
                    WHEN length(btrim(c.metadata->>'goal_type')) > 50
                    THEN 'goal_type is longer than 50 characters' END,
               CASE WHEN jsonb_typeof(c.metadata->'goal_description') IS DISTINCT FROM 'string'
                         OR btrim(c.metadata->>'goal_description') = ''
                    THEN 'goal_description is missing' END
           ), '') END AS problem
    FROM program_conversations c
    WHERE c.metadata->>'goal_type' IS NOT NULL OR c.unreadable
),

rejected AS (
    INSERT INTO coaching.migration_rejects
        (source_table, source_id, target_table, revision, reason, source_value)
    SELECT 'coaching.conversations', s.id, 'coaching.smart_goals', 'coaching_phase3', s.problem, written.metadata
    FROM source s JOIN coaching.conversations written USING (id)
    WHERE s.problem IS NOT NULL
)

INSERT INTO coaching.smart_goals
    (goal_id, user_id, goal_type, specific, measurable, achievable, relevant, time_bound,
     created_at)
SELECT DISTINCT ON (goal_id)
       goal_id, user_id, btrim(metadata->>'goal_type'), metadata->>'goal_description',
       coalesce(metadata->>'measurable', ''), coalesce(metadata->>'achievable', ''),
       coalesce(metadata->>'relevant', ''), coalesce(metadata->>'time_bound', ''),
       min(created_at) OVER (PARTITION BY goal_id)
FROM source
WHERE problem IS NULL
ORDER BY goal_id, created_at DESC, id DESC;

WITH source AS (
    SELECT c.id, c.user_id, c.created_at, c.updated_at, c.metadata, week.number AS week_number,
           
md5('coaching_goal:' || c.user_id || ':' || coalesce(
    nullif(btrim(c.metadata->>'goal_id'), ''),
    CASE WHEN c.metadata->>'goal_type' IS NOT NULL THEN c.id::text END))::uuid
 AS goal_id,
           CASE WHEN c.unreadable THEN 'metadata cannot be read as jsonb (it holds \u0000, an unpaired surrogate or a number beyond numeric)' ELSE nullif(concat_ws('; ',
               CASE WHEN c.user_id IS NULL THEN 'conversation has no user' END,
               'week_number ' || week.problem,
               CASE WHEN length(c.metadata->>'session_type') > 50
                    THEN 'session_type is longer than 50 characters' END
           ), '') END AS problem
    FROM program_conversations c
    CROSS JOIN LATERAL pg_temp.whole_number(c.metadata->'week_number', 1, 2147483647) week
    WHERE c.metadata->>'week_number' IS NOT NULL OR c.unreadable
),

rejected AS (
    INSERT INTO coaching.migration_rejects
        (source_table, source_id, target_table, revision, reason, source_value)
    SELECT 'coaching.conversations', s.id, 'coaching.sessions', 'coaching_phase3', s.problem, written.metadata
    FROM source s JOIN coaching.conversations written USING (id)
    WHERE s.problem IS NOT NULL
)
,
placed AS (
    SELECT source.*,
           row_number() OVER (PARTITION BY user_id, week_number ORDER BY created_at, id)
               AS session_number,
           lead(id) OVER (PARTITION BY user_id ORDER BY week_number, created_at, id) IS NOT NULL
               OR metadata->>'session_status' = 'completed'
               OR metadata->>'program_status' = 'completed' AS completed
    FROM source
    WHERE problem IS NULL
)
INSERT INTO coaching.sessions
    (session_id, user_id, goal_id, conversation_id, session_number, week_number, session_type,
     completed_date, status, created_at)
SELECT md5('coaching_session:' || p.id)::uuid, p.user_id, g.goal_id, p.id, p.session_number,
       p.week_number, p.metadata->>'session_type',
       CASE WHEN p.completed THEN p.updated_at END,
       CASE WHEN p.completed THEN 'completed' ELSE 'in_progress' END,
       p.created_at
FROM placed p
LEFT JOIN coaching.smart_goals g ON g.goal_id = p.goal_id;

WITH source AS (
    SELECT m.id, m.created_at, m.metadata, s.session_id,
           CASE WHEN m.unreadable THEN 'metadata cannot be read as jsonb (it holds \u0000, an unpaired surrogate or a number beyond numeric)' ELSE nullif(concat_ws('; ',
               CASE WHEN s.session_id IS NULL
                    THEN 'its conversation is not a program session' END,
               CASE WHEN jsonb_typeof(m.metadata->'takeaways') NOT IN ('array', 'string', 'null')
                    THEN 'takeaways is neither a text nor a list' END,
               CASE WHEN jsonb_typeof(m.metadata->'action_items') NOT IN ('array', 'string', 'null')
                    THEN 'action_items is neither a text nor a list' END
           ), '') END AS problem
    FROM program_messages m
    LEFT JOIN coaching.sessions s ON s.conversation_id = m.conversation_id
    WHERE m.metadata->>'takeaways' IS NOT NULL
       OR m.metadata->>'action_items' IS NOT NULL
       OR m.metadata->>'revised_goal' IS NOT NULL
       OR m.unreadable
),

rejected AS (
    INSERT INTO coaching.migration_rejects
        (source_table, source_id, target_table, revision, reason, source_value)
    SELECT 'coaching.messages', s.id, 'coaching.session_takeaways', 'coaching_phase3', s.problem, written.metadata
    FROM source s JOIN coaching.messages written USING (id)
    WHERE s.problem IS NOT NULL
)
,
placed AS (
    SELECT * FROM source WHERE problem IS NULL
),
lists AS (
    SELECT p.session_id,
           string_agg(item.text, E'\n' ORDER BY p.created_at, p.id, item.position)
               FILTER (WHERE kinds.kind = 'takeaways') AS key_learnings,
           string_agg(item.text, E'\n' ORDER BY p.created_at, p.id, item.position)
               FILTER (WHERE kinds.kind = 'action_items') AS action_items
    FROM placed p
    CROSS JOIN (VALUES ('takeaways'), ('action_items')) AS kinds (kind)
    CROSS JOIN LATERAL jsonb_array_elements_text(
        CASE jsonb_typeof(p.metadata->kinds.kind)
            WHEN 'array' THEN p.metadata->kinds.kind
            WHEN 'string' THEN jsonb_build_array(p.metadata->kinds.kind)
            ELSE '[]'
        END) WITH ORDINALITY AS item (text, position)
    GROUP BY p.session_id
),
latest AS (
    SELECT session_id, max(created_at) AS created_at,
           (array_agg(metadata->>'revised_goal' ORDER BY created_at DESC, id DESC)
               FILTER (WHERE metadata->>'revised_goal' IS NOT NULL))[1] AS revised_goal
    FROM placed
    GROUP BY session_id
)
INSERT INTO coaching.session_takeaways
    (takeaway_id, session_id, key_learnings, action_items, revised_goal, created_at)
SELECT md5('coaching_takeaway:' || latest.session_id)::uuid, latest.session_id,
       lists.key_learnings, lists.action_items, latest.revised_goal, latest.created_at
FROM latest
LEFT JOIN lists USING (session_id);

WITH source AS (
    SELECT m.id, m.created_at, m.metadata, person.user_id, mood.number AS mood_rating,
           progress.number AS goal_progress, 
md5('coaching_goal:' || c.user_id || ':' || coalesce(
    nullif(btrim(c.metadata->>'goal_id'), ''),
    CASE WHEN c.metadata->>'goal_type' IS NOT NULL THEN c.id::text END))::uuid
 AS goal_id,
           CASE WHEN m.unreadable THEN 'metadata cannot be read as jsonb (it holds \u0000, an unpaired surrogate or a number beyond numeric)' ELSE nullif(concat_ws('; ',
               CASE WHEN person.user_id IS NULL THEN 'conversation has no user' END,
               'mood_rating ' || mood.problem,
               'goal_progress ' || progress.problem
           ), '') END AS problem
    FROM program_messages m
    JOIN coaching.conversations person ON person.id = m.conversation_id
    LEFT JOIN program_conversations c ON c.id = m.conversation_id
    CROSS JOIN LATERAL pg_temp.whole_number(m.metadata->'mood_rating', 1, 10) mood
    CROSS JOIN LATERAL pg_temp.whole_number(m.metadata->'goal_progress', 0, 100) progress
    WHERE m.metadata->>'mood_rating' IS NOT NULL OR m.metadata->>'goal_progress' IS NOT NULL
       OR m.unreadable
),

rejected AS (
    INSERT INTO coaching.migration_rejects
        (source_table, source_id, target_table, revision, reason, source_value)
    SELECT 'coaching.messages', s.id, 'coaching.check_ins', 'coaching_phase3', s.problem, written.metadata
    FROM source s JOIN coaching.messages written USING (id)
    WHERE s.problem IS NOT NULL
)

INSERT INTO coaching.check_ins
    (checkin_id, user_id, goal_id, checkin_date, progress_notes, mood_rating, goal_progress,
     created_at)
SELECT md5('coaching_check_in:' || s.id)::uuid, s.user_id, g.goal_id,
       (s.created_at AT TIME ZONE 'UTC')::date, s.metadata->>'progress_notes', s.mood_rating,
       s.goal_progress, s.created_at
FROM source s
LEFT JOIN coaching.smart_goals g ON g.goal_id = s.goal_id
WHERE s.problem IS NULL;

ANALYZE coaching.migration_rejects, coaching.smart_goals, coaching.sessions, coaching.session_takeaways, coaching.check_ins;

INSERT INTO public.migration_reconciliation (revision, target, source_rows, moved_rows, rejected_rows)
        VALUES ('coaching_phase3', 'coaching.smart_goals', (SELECT count(*) FROM program_conversations c WHERE c.metadata->>'goal_type' IS NOT NULL OR c.unreadable), (SELECT count(*) FROM program_conversations c WHERE (c.metadata->>'goal_type' IS NOT NULL OR c.unreadable) AND EXISTS (SELECT FROM coaching.smart_goals g WHERE g.goal_id = 
md5('coaching_goal:' || c.user_id || ':' || coalesce(
    nullif(btrim(c.metadata->>'goal_id'), ''),
    CASE WHEN c.metadata->>'goal_type' IS NOT NULL THEN c.id::text END))::uuid
) AND NOT EXISTS (SELECT FROM coaching.migration_rejects r WHERE r.revision = 'coaching_phase3' AND r.target_table = 'coaching.smart_goals' AND r.source_id = c.id)), (SELECT count(*) FROM coaching.migration_rejects r WHERE r.revision = 'coaching_phase3' AND r.target_table = 'coaching.smart_goals'));

INSERT INTO public.migration_reconciliation (revision, target, source_rows, moved_rows, rejected_rows)
        VALUES ('coaching_phase3', 'coaching.sessions', (SELECT count(*) FROM program_conversations c WHERE c.metadata->>'week_number' IS NOT NULL OR c.unreadable), (SELECT count(*) FROM program_conversations c WHERE (c.metadata->>'week_number' IS NOT NULL OR c.unreadable) AND EXISTS (SELECT FROM coaching.sessions s WHERE s.conversation_id = c.id) AND NOT EXISTS (SELECT FROM coaching.migration_rejects r WHERE r.revision = 'coaching_phase3' AND r.target_table = 'coaching.sessions' AND r.source_id = c.id)), (SELECT count(*) FROM coaching.migration_rejects r WHERE r.revision = 'coaching_phase3' AND r.target_table = 'coaching.sessions'));

INSERT INTO public.migration_reconciliation (revision, target, source_rows, moved_rows, rejected_rows)
        VALUES ('coaching_phase3', 'coaching.session_takeaways', (SELECT count(*) FROM program_messages c WHERE c.metadata->>'takeaways' IS NOT NULL OR c.metadata->>'action_items' IS NOT NULL OR c.metadata->>'revised_goal' IS NOT NULL OR c.unreadable), (SELECT count(*) FROM program_messages c WHERE (c.metadata->>'takeaways' IS NOT NULL OR c.metadata->>'action_items' IS NOT NULL OR c.metadata->>'revised_goal' IS NOT NULL OR c.unreadable) AND EXISTS (SELECT FROM coaching.sessions s JOIN coaching.session_takeaways t ON t.session_id = s.session_id WHERE s.conversation_id = c.conversation_id) AND NOT EXISTS (SELECT FROM coaching.migration_rejects r WHERE r.revision = 'coaching_phase3' AND r.target_table = 'coaching.session_takeaways' AND r.source_id = c.id)), (SELECT count(*) FROM coaching.migration_rejects r WHERE r.revision = 'coaching_phase3' AND r.target_table = 'coaching.session_takeaways'));

INSERT INTO public.migration_reconciliation (revision, target, source_rows, moved_rows, rejected_rows)
        VALUES ('coaching_phase3', 'coaching.check_ins', (SELECT count(*) FROM program_messages c WHERE c.metadata->>'mood_rating' IS NOT NULL OR c.metadata->>'goal_progress' IS NOT NULL OR c.unreadable), (SELECT count(*) FROM program_messages c WHERE (c.metadata->>'mood_rating' IS NOT NULL OR c.metadata->>'goal_progress' IS NOT NULL OR c.unreadable) AND EXISTS (SELECT FROM coaching.check_ins k WHERE k.checkin_id = md5('coaching_check_in:' || c.id)::uuid) AND NOT EXISTS (SELECT FROM coaching.migration_rejects r WHERE r.revision = 'coaching_phase3' AND r.target_table = 'coaching.check_ins' AND r.source_id = c.id)), (SELECT count(*) FROM coaching.migration_rejects r WHERE r.revision = 'coaching_phase3' AND r.target_table = 'coaching.check_ins'));

-- squawk-ignore-file ban-drop-function -- pg_temp's functions are this migration session's own helpers;

DROP FUNCTION pg_temp.whole_number(jsonb, bigint, bigint);

DROP FUNCTION pg_temp.readable(json);

CREATE INDEX idx_goals_user ON coaching.smart_goals (user_id);

CREATE INDEX idx_goals_status ON coaching.smart_goals (status);

CREATE UNIQUE INDEX idx_sessions_user_week ON coaching.sessions (user_id, week_number, session_number);

CREATE INDEX idx_sessions_week ON coaching.sessions (week_number);

CREATE INDEX ix_sessions_goal_id ON coaching.sessions (goal_id);

CREATE UNIQUE INDEX idx_takeaways_session ON coaching.session_takeaways (session_id);

CREATE INDEX idx_checkins_user ON coaching.check_ins (user_id);

CREATE INDEX idx_checkins_goal ON coaching.check_ins (goal_id);

CREATE INDEX idx_checkins_date ON coaching.check_ins (checkin_date);

ALTER TABLE coaching.smart_goals ADD CONSTRAINT pk_smart_goals PRIMARY KEY (goal_id);

ALTER TABLE coaching.sessions ADD CONSTRAINT pk_sessions PRIMARY KEY (session_id);

ALTER TABLE coaching.sessions ADD CONSTRAINT uq_sessions_conversation_id UNIQUE (conversation_id);

ALTER TABLE coaching.session_takeaways ADD CONSTRAINT pk_session_takeaways PRIMARY KEY (takeaway_id);

ALTER TABLE coaching.check_ins ADD CONSTRAINT pk_check_ins PRIMARY KEY (checkin_id);

ALTER TABLE coaching.smart_goals ADD CONSTRAINT fk_smart_goals_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE coaching.sessions ADD CONSTRAINT fk_sessions_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE coaching.sessions ADD CONSTRAINT fk_sessions_goal_id_smart_goals FOREIGN KEY(goal_id) REFERENCES coaching.smart_goals (goal_id) ON DELETE SET NULL;

ALTER TABLE coaching.sessions ADD CONSTRAINT fk_sessions_conversation_id_conversations FOREIGN KEY(conversation_id) REFERENCES coaching.conversations (id) ON DELETE SET NULL;

ALTER TABLE coaching.session_takeaways ADD CONSTRAINT fk_session_takeaways_session_id_sessions FOREIGN KEY(session_id) REFERENCES coaching.sessions (session_id) ON DELETE CASCADE;

ALTER TABLE coaching.check_ins ADD CONSTRAINT fk_check_ins_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE coaching.check_ins ADD CONSTRAINT fk_check_ins_goal_id_smart_goals FOREIGN KEY(goal_id) REFERENCES coaching.smart_goals (goal_id) ON DELETE CASCADE;

CREATE FUNCTION coaching.enforce_program_order() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    other coaching.sessions;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('coaching.sessions:' || NEW.user_id, 0));

    IF NEW.status IN ('in_progress', 'completed') THEN
        SELECT * INTO other FROM coaching.sessions
        WHERE user_id = NEW.user_id AND status <> 'completed'
          AND (week_number, session_number) < (NEW.week_number, NEW.session_number)
        ORDER BY week_number, session_number LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION
                'session week %, session % cannot be %: week %, session % before it is %',
                NEW.week_number, NEW.session_number, NEW.status,
                other.week_number, other.session_number, other.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'enforce_program_order',
                  HINT = 'Sessions of a program are taken in order: complete the earlier one.';
        END IF;
    END IF;

    IF NEW.status <> 'completed' THEN
        SELECT * INTO other FROM coaching.sessions
        WHERE user_id = NEW.user_id AND status IN ('in_progress', 'completed')
          AND (week_number, session_number) > (NEW.week_number, NEW.session_number)
        ORDER BY week_number, session_number LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION
                'session week %, session % cannot be %: week %, session % after it is %',
                NEW.week_number, NEW.session_number, NEW.status,
                other.week_number, other.session_number, other.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'enforce_program_order',
                  HINT = 'A session stays completed while a later one is under way.';
        END IF;
    END IF;

    IF NEW.status = 'completed' AND (TG_OP = 'INSERT' OR OLD.status <> 'completed') THEN
        UPDATE coaching.sessions SET status = 'unlocked'
        WHERE session_id = (
            SELECT session_id FROM coaching.sessions
            WHERE user_id = NEW.user_id
              AND (week_number, session_number) > (NEW.week_number, NEW.session_number)
            ORDER BY week_number, session_number LIMIT 1)
          AND status = 'locked';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER enforce_program_order
AFTER INSERT OR UPDATE OF status, week_number, session_number, user_id ON coaching.sessions
FOR EACH ROW EXECUTE FUNCTION coaching.enforce_program_order();

CREATE OR REPLACE VIEW coaching.engagement_activity AS
SELECT a.user_id, a.total_messages, a.avg_response_time,
       (
    SELECT round(100.0 * count(*) FILTER (WHERE s.status = 'completed') / nullif(count(*), 0), 2)
    FROM coaching.sessions s WHERE s.user_id = a.user_id)::numeric(5, 2) AS session_completion_rate, a.last_activity
FROM coaching.message_activity a;

COMMIT;

