BEGIN;

-- Running downgrade memory_normalized -> memory_legacy

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
            LOCK TABLE memory.user_conversation_continuity IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.feedback IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_feedback_log IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_preferences IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_emotional_trends IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_value_compass IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_conversations IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_conversation_messages IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_crisis_flags IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_themes IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_people IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_coping_tools IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_goals IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_pattern_loops IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_shadow_themes IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_current_practices IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_regulation_strategies IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_dysregulating_factors IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_role_model_traits IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_growth_milestones IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_emotional_patterns IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_relationship_dynamics IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_growth_opportunities IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_risk_factors IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_strengths IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_mood_trends IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_emotional_states IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_support_system IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_current_stressors IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_daily_habits IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_substance_use IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_stuck_points IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_trauma_patterns IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_ancestral_issues IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_insight_notes IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_previous_therapy IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_suicidal_thoughts IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_profile_summary IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_ai_preferences IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_therapy_preferences IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_sleep_routine IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_relationship_status IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_living_situation IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_spiritual_path IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_profile_legacy_values IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.legacy_nulls IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.memory_profiles_rejected IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.conversations_rejected IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.conversation_messages_rejected IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.crisis_flags_rejected IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.conversation_continuity_rejected IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.feedback_rejected IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.feedback_log_rejected IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_preferences_rejected IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.emotional_trends_rejected IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.value_compass_rejected IN ACCESS EXCLUSIVE MODE;
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

-- squawk-ignore-file require-concurrent-index-deletion -- the tables are locked until the downgrade commits;

-- squawk-ignore-file ban-drop-not-null -- the legacy columns were nullable;

-- squawk-ignore-file renaming-table -- the tables take their legacy names back;

-- squawk-ignore-file renaming-object -- their primary keys and checks follow the legacy table names;

-- squawk-ignore-file changing-column-type -- the router tables' legacy types, on locked tables;

-- squawk-ignore-file prefer-timestamp-tz -- the router tables' legacy types: the dump's timestamp;

-- squawk-ignore-file ban-drop-default -- legacy ids and columns had no default;

-- squawk-ignore-file constraint-missing-not-valid -- the legacy crisis flag key, on locked tables;

-- squawk-ignore-file adding-foreign-key-constraint -- the legacy crisis flag key, on locked tables;

DELETE FROM public.migration_reconciliation WHERE revision = 'memory_normalized';

SET LOCAL work_mem = '256MB';

SELECT set_config('therapy_db.keep_updated_at', 'on', true);

DROP TRIGGER companion_email ON public.users;

DROP FUNCTION memory.check_companion_email();

DROP VIEW memory.users;

CREATE VIEW memory.users AS
SELECT id, name, email, created_at, onboarding_skipped, updated_at
FROM public.users
WHERE onboarding_skipped IS NOT NULL
WITH CASCADED CHECK OPTION;

CREATE FUNCTION memory.insert_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.users (id, name, email, created_at, onboarding_skipped, updated_at)
    VALUES (coalesce(NEW.id, gen_random_uuid()), NEW.name, NEW.email,
            coalesce(NEW.created_at, NEW.updated_at, now()),
            coalesce(NEW.onboarding_skipped, false),
            coalesce(NEW.updated_at, NEW.created_at, now()))
    RETURNING id, name, email, created_at, onboarding_skipped, updated_at
         INTO NEW.id, NEW.name, NEW.email, NEW.created_at, NEW.onboarding_skipped, NEW.updated_at;
    RETURN NEW;
END
$$;

CREATE TRIGGER insert_user INSTEAD OF INSERT ON memory.users FOR EACH ROW EXECUTE FUNCTION memory.insert_user();

ALTER TABLE public.users DROP COLUMN onboarding_completed_at;

ALTER TABLE memory.user_conversation_continuity DROP CONSTRAINT fk_user_conversation_continuity_conversation_id_user_co_a260;

DROP INDEX memory.ix_user_conversation_continuity_conversation_id;

DROP TRIGGER set_updated_at ON "memory"."user_value_compass";

ALTER TABLE memory.user_value_compass DROP CONSTRAINT uq_user_value_compass_user_id;

ALTER TABLE memory.user_value_compass DROP CONSTRAINT fk_user_value_compass_user_id_users;

ALTER TABLE memory.user_value_compass ALTER COLUMN user_id DROP NOT NULL;

ALTER TABLE memory.user_value_compass DROP COLUMN created_at;

ALTER TABLE memory.user_value_compass DROP COLUMN updated_at;

ALTER TABLE memory.user_value_compass ALTER COLUMN id DROP DEFAULT;

ALTER TABLE memory.user_value_compass ALTER COLUMN last_reflected_at TYPE timestamp USING last_reflected_at AT TIME ZONE 'UTC';

ALTER TABLE memory.user_value_compass RENAME TO value_compass;

ALTER TABLE memory.value_compass RENAME CONSTRAINT pk_user_value_compass TO pk_value_compass;

INSERT INTO memory.value_compass (id, user_id, core_values, anti_values, narrative, last_reflected_at) SELECT id, user_id, core_values, anti_values, narrative, last_reflected_at FROM memory.value_compass_rejected;

DROP TABLE memory.value_compass_rejected;

DROP TRIGGER set_updated_at ON "memory"."user_emotional_trends";

DROP INDEX memory.ix_user_emotional_trends_user_id;

ALTER TABLE memory.user_emotional_trends DROP CONSTRAINT fk_user_emotional_trends_user_id_users;

ALTER TABLE memory.user_emotional_trends ALTER COLUMN user_id DROP NOT NULL;

ALTER TABLE memory.user_emotional_trends ALTER COLUMN recorded_at DROP NOT NULL;

UPDATE memory.user_emotional_trends t SET recorded_at = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_emotional_trends' AND n.column_name = 'recorded_at' AND n.row_id = t.id
              AND t.recorded_at = CAST(n.filled AS timestamptz);

ALTER TABLE memory.user_emotional_trends ALTER COLUMN created_at DROP NOT NULL;

UPDATE memory.user_emotional_trends t SET created_at = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_emotional_trends' AND n.column_name = 'created_at' AND n.row_id = t.id
              AND t.created_at = CAST(n.filled AS timestamptz);

ALTER TABLE memory.user_emotional_trends DROP COLUMN updated_at;

ALTER TABLE memory.user_emotional_trends ALTER COLUMN id DROP DEFAULT;

ALTER TABLE memory.user_emotional_trends ALTER COLUMN recorded_at TYPE timestamp USING recorded_at AT TIME ZONE 'UTC', ALTER COLUMN recorded_at SET DEFAULT now(), ALTER COLUMN created_at TYPE timestamp USING created_at AT TIME ZONE 'UTC', ALTER COLUMN created_at SET DEFAULT now();

ALTER TABLE memory.user_emotional_trends RENAME TO emotional_trends;

ALTER TABLE memory.emotional_trends RENAME CONSTRAINT pk_user_emotional_trends TO pk_emotional_trends;

ALTER TABLE memory.emotional_trends RENAME CONSTRAINT ck_user_emotional_trends_mood_score TO ck_emotional_trends_mood_score;

INSERT INTO memory.emotional_trends (id, user_id, recorded_at, mood_score, mood_label, notes, created_at) SELECT id, user_id, recorded_at, mood_score, mood_label, notes, created_at FROM memory.emotional_trends_rejected;

DROP TABLE memory.emotional_trends_rejected;

DROP TRIGGER set_updated_at ON "memory"."user_preferences";

ALTER TABLE memory.user_preferences DROP CONSTRAINT fk_user_preferences_user_id_users;

ALTER TABLE memory.user_preferences ALTER COLUMN show_text_response DROP NOT NULL;

UPDATE memory.user_preferences t SET show_text_response = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_preferences' AND n.column_name = 'show_text_response' AND n.row_id = t.user_id
              AND t.show_text_response = CAST(n.filled AS boolean);

ALTER TABLE memory.user_preferences ALTER COLUMN play_audio_response DROP NOT NULL;

UPDATE memory.user_preferences t SET play_audio_response = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_preferences' AND n.column_name = 'play_audio_response' AND n.row_id = t.user_id
              AND t.play_audio_response = CAST(n.filled AS boolean);

ALTER TABLE memory.user_preferences DROP COLUMN created_at;

ALTER TABLE memory.user_preferences DROP COLUMN updated_at;

ALTER TABLE memory.user_preferences ALTER COLUMN daily_reminder_time TYPE time USING CASE WHEN daily_reminder_time = '1970-01-02 00:00+00' THEN time '24:00' ELSE (daily_reminder_time AT TIME ZONE 'UTC')::time END;

INSERT INTO memory.user_preferences (user_id, show_text_response, play_audio_response, preferred_therapist_name, daily_reminder_time, timezone) SELECT user_id, show_text_response, play_audio_response, preferred_therapist_name, daily_reminder_time, timezone FROM memory.user_preferences_rejected;

DROP TABLE memory.user_preferences_rejected;

DROP TRIGGER set_updated_at ON "memory"."user_feedback_log";

DROP INDEX memory.ix_user_feedback_log_user_id;

ALTER TABLE memory.user_feedback_log DROP CONSTRAINT fk_user_feedback_log_user_id_users;

ALTER TABLE memory.user_feedback_log ALTER COLUMN user_id DROP NOT NULL;

ALTER TABLE memory.user_feedback_log ALTER COLUMN created_at DROP NOT NULL;

UPDATE memory.user_feedback_log t SET created_at = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_feedback_log' AND n.column_name = 'created_at' AND n.row_id = t.id
              AND t.created_at = CAST(n.filled AS timestamptz);

ALTER TABLE memory.user_feedback_log DROP COLUMN updated_at;

ALTER TABLE memory.user_feedback_log ALTER COLUMN id DROP DEFAULT;

ALTER TABLE memory.user_feedback_log ALTER COLUMN created_at TYPE timestamp USING created_at AT TIME ZONE 'UTC', ALTER COLUMN created_at SET DEFAULT now();

ALTER TABLE memory.user_feedback_log RENAME TO feedback_log;

ALTER TABLE memory.feedback_log RENAME CONSTRAINT pk_user_feedback_log TO pk_feedback_log;

ALTER TABLE memory.feedback_log RENAME CONSTRAINT ck_user_feedback_log_rating TO ck_feedback_log_rating;

INSERT INTO memory.feedback_log (id, user_id, session_id, rating, comment, created_at) SELECT id, user_id, session_id, rating, comment, created_at FROM memory.feedback_log_rejected;

DROP TABLE memory.feedback_log_rejected;

DROP TRIGGER set_updated_at ON "memory"."feedback";

DROP INDEX memory.ix_feedback_user_id;

ALTER TABLE memory.feedback DROP CONSTRAINT fk_feedback_user_id_users;

ALTER TABLE memory.feedback ALTER COLUMN feedback_type DROP NOT NULL;

UPDATE memory.feedback t SET feedback_type = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'feedback' AND n.column_name = 'feedback_type' AND n.row_id = t.id
              AND t.feedback_type = CAST(n.filled AS text);

ALTER TABLE memory.feedback ALTER COLUMN created_at DROP NOT NULL;

UPDATE memory.feedback t SET created_at = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'feedback' AND n.column_name = 'created_at' AND n.row_id = t.id
              AND t.created_at = CAST(n.filled AS timestamptz);

ALTER TABLE memory.feedback ALTER COLUMN status DROP NOT NULL;

UPDATE memory.feedback t SET status = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'feedback' AND n.column_name = 'status' AND n.row_id = t.id
              AND t.status = CAST(n.filled AS text);

ALTER TABLE memory.feedback DROP COLUMN updated_at;

ALTER TABLE memory.feedback DROP CONSTRAINT ck_feedback_priority, DROP CONSTRAINT ck_feedback_status, ALTER COLUMN priority TYPE varchar(20) USING left(priority, 20), ALTER COLUMN feedback_type TYPE varchar(50) USING left(feedback_type, 50), ALTER COLUMN feedback_type SET DEFAULT 'general', ALTER COLUMN app_version TYPE varchar(20) USING left(app_version, 20), ALTER COLUMN status TYPE varchar(20) USING left(status, 20), ALTER COLUMN status SET DEFAULT 'pending', ADD CONSTRAINT ck_feedback_priority CHECK (priority IN ('low', 'medium', 'high', 'critical')), ADD CONSTRAINT ck_feedback_status CHECK (status IN ('pending', 'processed', 'resolved', 'ignored'));

INSERT INTO memory.feedback (id, user_id, raw_feedback, ai_summary, priority, feedback_type, device_info, app_version, created_at, processed_at, status, tags, metadata) SELECT id, user_id, raw_feedback, ai_summary, priority, feedback_type, device_info, app_version, created_at, processed_at, status, tags, metadata FROM memory.feedback_rejected;

DROP TABLE memory.feedback_rejected;

DROP INDEX memory.ix_user_conversation_continuity_user_id;

ALTER TABLE memory.user_conversation_continuity DROP CONSTRAINT fk_user_conversation_continuity_user_id_users;

ALTER TABLE memory.user_conversation_continuity ALTER COLUMN session_duration_minutes DROP NOT NULL;

UPDATE memory.user_conversation_continuity t SET session_duration_minutes = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_conversation_continuity' AND n.column_name = 'session_duration_minutes' AND n.row_id = t.id
              AND t.session_duration_minutes = CAST(n.filled AS integer);

ALTER TABLE memory.user_conversation_continuity ALTER COLUMN is_resuming DROP NOT NULL;

UPDATE memory.user_conversation_continuity t SET is_resuming = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_conversation_continuity' AND n.column_name = 'is_resuming' AND n.row_id = t.id
              AND t.is_resuming = CAST(n.filled AS boolean);

ALTER TABLE memory.user_conversation_continuity ALTER COLUMN created_at DROP NOT NULL;

UPDATE memory.user_conversation_continuity t SET created_at = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_conversation_continuity' AND n.column_name = 'created_at' AND n.row_id = t.id
              AND t.created_at = CAST(n.filled AS timestamptz);

ALTER TABLE memory.user_conversation_continuity ALTER COLUMN updated_at DROP NOT NULL;

UPDATE memory.user_conversation_continuity t SET updated_at = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_conversation_continuity' AND n.column_name = 'updated_at' AND n.row_id = t.id
              AND t.updated_at = CAST(n.filled AS timestamptz);

ALTER TABLE memory.user_conversation_continuity ALTER COLUMN last_session_phase TYPE varchar(50) USING left(last_session_phase, 50), ALTER COLUMN last_session_phase SET DEFAULT 'start', ALTER COLUMN last_emotional_state TYPE varchar(50) USING left(last_emotional_state, 50);

ALTER TABLE memory.user_conversation_continuity RENAME TO conversation_continuity;

ALTER TABLE memory.conversation_continuity RENAME CONSTRAINT pk_user_conversation_continuity TO pk_conversation_continuity;

INSERT INTO memory.conversation_continuity (id, user_id, conversation_id, last_message_count, last_session_phase, last_therapeutic_focus, last_emotional_state, last_timestamp, session_duration_minutes, is_resuming, continuity_context, created_at, updated_at) SELECT id, user_id, conversation_id, last_message_count, last_session_phase, last_therapeutic_focus, last_emotional_state, last_timestamp, session_duration_minutes, is_resuming, continuity_context, created_at, updated_at FROM memory.conversation_continuity_rejected;

DROP TABLE memory.conversation_continuity_rejected;

ALTER TABLE memory.user_crisis_flags DROP CONSTRAINT fk_user_crisis_flags_session_id_user_conversation_messages;

DROP INDEX memory.ix_user_crisis_flags_session_id;

ALTER TABLE memory.user_conversation_messages DROP CONSTRAINT fk_user_conversation_messages_conversation_id_user_conv_9001;

DROP INDEX memory.ix_user_conversation_messages_conversation_id_created_at;

ALTER TABLE memory.user_conversations ALTER COLUMN started_at DROP DEFAULT;

ALTER TABLE memory.user_crisis_flags ALTER COLUMN triggered_at DROP DEFAULT;

ALTER TABLE memory.user_crisis_flags ALTER COLUMN reviewed DROP DEFAULT;

DROP TRIGGER set_updated_at ON "memory"."user_conversations";

ALTER TABLE memory.user_conversations DROP CONSTRAINT fk_user_conversations_user_id_users;

DROP INDEX memory.ix_user_conversations_user_id;

ALTER TABLE memory.user_conversations ALTER COLUMN started_at DROP NOT NULL;

UPDATE memory.user_conversations t SET started_at = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_conversations' AND n.column_name = 'started_at' AND n.row_id = t.id
              AND t.started_at = CAST(n.filled AS timestamptz);

ALTER TABLE memory.user_conversations ALTER COLUMN created_at DROP NOT NULL;

UPDATE memory.user_conversations t SET created_at = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_conversations' AND n.column_name = 'created_at' AND n.row_id = t.id
              AND t.created_at = CAST(n.filled AS timestamptz);

ALTER TABLE memory.user_conversations DROP COLUMN updated_at;

ALTER TABLE memory.user_conversations ALTER COLUMN user_id DROP NOT NULL;

ALTER TABLE memory.user_conversations RENAME CONSTRAINT pk_user_conversations TO pk_conversations;

ALTER TABLE memory.user_conversations RENAME TO conversations;

DROP TRIGGER set_updated_at ON "memory"."user_conversation_messages";

ALTER TABLE memory.user_conversation_messages DROP CONSTRAINT fk_user_conversation_messages_user_id_users;

DROP INDEX memory.ix_user_conversation_messages_user_id;

ALTER TABLE memory.user_conversation_messages ALTER COLUMN created_at DROP NOT NULL;

UPDATE memory.user_conversation_messages t SET created_at = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_conversation_messages' AND n.column_name = 'created_at' AND n.row_id = t.id
              AND t.created_at = CAST(n.filled AS timestamptz);

ALTER TABLE memory.user_conversation_messages ALTER COLUMN flagged DROP NOT NULL;

UPDATE memory.user_conversation_messages t SET flagged = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_conversation_messages' AND n.column_name = 'flagged' AND n.row_id = t.id
              AND t.flagged = CAST(n.filled AS boolean);

ALTER TABLE memory.user_conversation_messages DROP COLUMN updated_at;

ALTER TABLE memory.user_conversation_messages ALTER COLUMN user_id DROP NOT NULL;

ALTER TABLE memory.user_conversation_messages RENAME CONSTRAINT pk_user_conversation_messages TO pk_conversation_messages;

ALTER TABLE memory.user_conversation_messages RENAME TO conversation_messages;

DROP TRIGGER set_updated_at ON "memory"."user_crisis_flags";

ALTER TABLE memory.user_crisis_flags DROP CONSTRAINT fk_user_crisis_flags_user_id_users;

DROP INDEX memory.ix_user_crisis_flags_user_id;

ALTER TABLE memory.user_crisis_flags ALTER COLUMN flag_type DROP NOT NULL;

UPDATE memory.user_crisis_flags t SET flag_type = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_crisis_flags' AND n.column_name = 'flag_type' AND n.row_id = t.id
              AND t.flag_type = CAST(n.filled AS text);

ALTER TABLE memory.user_crisis_flags ALTER COLUMN triggered_at DROP NOT NULL;

UPDATE memory.user_crisis_flags t SET triggered_at = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_crisis_flags' AND n.column_name = 'triggered_at' AND n.row_id = t.id
              AND t.triggered_at = CAST(n.filled AS timestamptz);

ALTER TABLE memory.user_crisis_flags ALTER COLUMN reviewed DROP NOT NULL;

UPDATE memory.user_crisis_flags t SET reviewed = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_crisis_flags' AND n.column_name = 'reviewed' AND n.row_id = t.id
              AND t.reviewed = CAST(n.filled AS boolean);

ALTER TABLE memory.user_crisis_flags DROP COLUMN updated_at;

ALTER TABLE memory.user_crisis_flags ALTER COLUMN user_id DROP NOT NULL;

ALTER TABLE memory.user_crisis_flags RENAME CONSTRAINT pk_user_crisis_flags TO pk_crisis_flags;

ALTER TABLE memory.user_crisis_flags RENAME TO crisis_flags;

ALTER TABLE memory.crisis_flags DROP COLUMN created_at;

INSERT INTO memory.conversations (id, user_id, started_at, ended_at, title, context_summary, mood_at_start, mood_at_end, context_json, created_at, description) SELECT id, user_id, started_at, ended_at, title, context_summary, mood_at_start, mood_at_end, context_json, created_at, description FROM memory.conversations_rejected;

DROP TABLE memory.conversations_rejected;

INSERT INTO memory.conversation_messages (id, user_id, conversation_id, created_at, input_type, input_transcript, gpt_response, audio_response_url, summary, mood_at_time, flagged, tags) SELECT id, user_id, conversation_id, created_at, input_type, input_transcript, gpt_response, audio_response_url, summary, mood_at_time, flagged, tags FROM memory.conversation_messages_rejected;

DROP TABLE memory.conversation_messages_rejected;

INSERT INTO memory.crisis_flags (id, user_id, session_id, flag_type, triggered_at, reviewed) SELECT id, user_id, session_id, flag_type, triggered_at, reviewed FROM memory.crisis_flags_rejected;

DROP TABLE memory.crisis_flags_rejected;

ALTER TABLE memory.crisis_flags ADD CONSTRAINT fk_crisis_flags_session_id_conversation_messages FOREIGN KEY(session_id) REFERENCES memory.conversation_messages (id);

CREATE TABLE memory.memory_profiles (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID, 
    spiritual_connection_level INTEGER, 
    personal_agency_level INTEGER, 
    boundaries_awareness INTEGER, 
    self_development_capacity INTEGER, 
    hard_truths_tolerance INTEGER, 
    awareness_level INTEGER, 
    suicidal_risk_level INTEGER, 
    sleep_quality TEXT, 
    mood_score_initial INTEGER, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now(), 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now(), 
    themes JSONB, 
    people JSONB, 
    coping_tools JSONB, 
    goals JSONB, 
    preferred_therapy_styles JSONB, 
    preferred_tone JSONB, 
    pattern_loops JSONB, 
    shadow_themes JSONB, 
    current_practices JSONB, 
    regulation_strategies JSONB, 
    dysregulating_factors JSONB, 
    role_model_traits JSONB, 
    growth_milestones JSONB, 
    emotional_patterns JSONB, 
    relationship_dynamics JSONB, 
    growth_opportunities JSONB, 
    risk_factors JSONB, 
    strengths JSONB, 
    mood_trends JSONB, 
    emotional_states_initial JSONB, 
    support_system JSONB, 
    current_stressors JSONB, 
    daily_habits JSONB, 
    substance_use JSONB, 
    stuck_points JSONB, 
    summary JSONB, 
    trauma_patterns JSONB, 
    ancestral_issues JSONB, 
    spiritual_path_notes JSONB, 
    insight_notes JSONB, 
    therapeutic_approach JSONB, 
    motivation_for_joining JSONB, 
    hopes_to_achieve JSONB, 
    previous_therapy JSONB, 
    therapy_type JSONB, 
    therapy_duration JSONB, 
    sleep_routine JSONB, 
    suicidal_thoughts_initial JSONB, 
    relationship_status JSONB, 
    living_situation JSONB, 
    biggest_challenge JSONB, 
    biggest_obstacle JSONB, 
    CONSTRAINT pk_memory_profiles PRIMARY KEY (id), 
    CONSTRAINT ck_memory_profiles_spiritual_connection_level CHECK (spiritual_connection_level BETWEEN 1 AND 10), 
    CONSTRAINT ck_memory_profiles_personal_agency_level CHECK (personal_agency_level BETWEEN 1 AND 10), 
    CONSTRAINT ck_memory_profiles_boundaries_awareness CHECK (boundaries_awareness BETWEEN 1 AND 10), 
    CONSTRAINT ck_memory_profiles_self_development_capacity CHECK (self_development_capacity BETWEEN 1 AND 10), 
    CONSTRAINT ck_memory_profiles_hard_truths_tolerance CHECK (hard_truths_tolerance BETWEEN 1 AND 10), 
    CONSTRAINT ck_memory_profiles_awareness_level CHECK (awareness_level BETWEEN 1 AND 10), 
    CONSTRAINT ck_memory_profiles_suicidal_risk_level CHECK (suicidal_risk_level BETWEEN 0 AND 3), 
    CONSTRAINT fk_memory_profiles_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id)
);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."memory_profiles" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE memory.user_profile_summary ALTER COLUMN created_at DROP NOT NULL;

UPDATE memory.user_profile_summary t SET created_at = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_profile_summary' AND n.column_name = 'created_at' AND n.row_id = t.id
              AND t.created_at = CAST(n.filled AS timestamptz);

ALTER TABLE memory.user_profile_summary ALTER COLUMN updated_at DROP NOT NULL;

UPDATE memory.user_profile_summary t SET updated_at = NULL
            FROM memory.legacy_nulls n
            WHERE n.table_name = 'user_profile_summary' AND n.column_name = 'updated_at' AND n.row_id = t.id
              AND t.updated_at = CAST(n.filled AS timestamptz);

INSERT INTO memory.memory_profiles (id, user_id, spiritual_connection_level, personal_agency_level, boundaries_awareness, self_development_capacity, hard_truths_tolerance, awareness_level, suicidal_risk_level, sleep_quality, mood_score_initial, created_at, updated_at, themes, people, coping_tools, goals, preferred_therapy_styles, preferred_tone, pattern_loops, shadow_themes, current_practices, regulation_strategies, dysregulating_factors, role_model_traits, growth_milestones, emotional_patterns, relationship_dynamics, growth_opportunities, risk_factors, strengths, mood_trends, emotional_states_initial, support_system, current_stressors, daily_habits, substance_use, stuck_points, summary, trauma_patterns, ancestral_issues, spiritual_path_notes, insight_notes, therapeutic_approach, motivation_for_joining, hopes_to_achieve, previous_therapy, therapy_type, therapy_duration, sleep_routine, suicidal_thoughts_initial, relationship_status, living_situation, biggest_challenge, biggest_obstacle)
        SELECT s.id, s.user_id, s.spiritual_connection_level, s.personal_agency_level, s.boundaries_awareness, s.self_development_capacity, s.hard_truths_tolerance, s.awareness_level,
               s.suicidal_risk_level::integer, s.sleep_quality, s.mood_score_initial,
               s.created_at, s.updated_at,
               CASE WHEN (legacy.held -> 'themes') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'themes')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'themes')) END) IS NOT DISTINCT FROM user_themes.items THEN (legacy.held -> 'themes') ELSE user_themes.items END,
CASE WHEN (legacy.held -> 'people') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'people')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'people')) END) IS NOT DISTINCT FROM user_people.items THEN (legacy.held -> 'people') ELSE user_people.items END,
CASE WHEN (legacy.held -> 'coping_tools') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'coping_tools')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'coping_tools')) END) IS NOT DISTINCT FROM user_coping_tools.items THEN (legacy.held -> 'coping_tools') ELSE user_coping_tools.items END,
CASE WHEN (legacy.held -> 'goals') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'goals')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'goals')) END) IS NOT DISTINCT FROM user_goals.items THEN (legacy.held -> 'goals') ELSE user_goals.items END,
CASE WHEN (legacy.held -> 'preferred_therapy_styles') IS NOT NULL AND (CASE coalesce(jsonb_typeof((legacy.held -> 'preferred_therapy_styles')), 'null')
        WHEN 'null' THEN NULL
        WHEN 'array' THEN ARRAY(
            SELECT CASE WHEN jsonb_typeof(a.item) = 'string' THEN a.item #>> '{}' ELSE a.item::text END
            FROM jsonb_array_elements((legacy.held -> 'preferred_therapy_styles')) WITH ORDINALITY AS a(item, n) ORDER BY n)
        ELSE ARRAY[CASE WHEN jsonb_typeof((legacy.held -> 'preferred_therapy_styles')) = 'string' THEN (legacy.held -> 'preferred_therapy_styles') #>> '{}' ELSE (legacy.held -> 'preferred_therapy_styles')::text END]
    END) IS NOT DISTINCT FROM user_therapy_preferences.preferred_therapy_styles THEN (legacy.held -> 'preferred_therapy_styles') ELSE to_jsonb(user_therapy_preferences.preferred_therapy_styles) END,
CASE WHEN (legacy.held -> 'preferred_tone') IS NOT NULL AND (CASE jsonb_typeof((legacy.held -> 'preferred_tone'))
        WHEN 'string' THEN (legacy.held -> 'preferred_tone') #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE (legacy.held -> 'preferred_tone')::text END
            FROM jsonb_array_elements((legacy.held -> 'preferred_tone')) WITH ORDINALITY AS a(item, n))
        ELSE (legacy.held -> 'preferred_tone')::text
    END) IS NOT DISTINCT FROM user_therapy_preferences.preferred_tone THEN (legacy.held -> 'preferred_tone') ELSE to_jsonb(user_therapy_preferences.preferred_tone) END,
CASE WHEN (legacy.held -> 'pattern_loops') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'pattern_loops')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'pattern_loops')) END) IS NOT DISTINCT FROM user_pattern_loops.items THEN (legacy.held -> 'pattern_loops') ELSE user_pattern_loops.items END,
CASE WHEN (legacy.held -> 'shadow_themes') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'shadow_themes')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'shadow_themes')) END) IS NOT DISTINCT FROM user_shadow_themes.items THEN (legacy.held -> 'shadow_themes') ELSE user_shadow_themes.items END,
CASE WHEN (legacy.held -> 'current_practices') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'current_practices')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'current_practices')) END) IS NOT DISTINCT FROM user_current_practices.items THEN (legacy.held -> 'current_practices') ELSE user_current_practices.items END,
CASE WHEN (legacy.held -> 'regulation_strategies') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'regulation_strategies')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'regulation_strategies')) END) IS NOT DISTINCT FROM user_regulation_strategies.items THEN (legacy.held -> 'regulation_strategies') ELSE user_regulation_strategies.items END,
CASE WHEN (legacy.held -> 'dysregulating_factors') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'dysregulating_factors')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'dysregulating_factors')) END) IS NOT DISTINCT FROM user_dysregulating_factors.items THEN (legacy.held -> 'dysregulating_factors') ELSE user_dysregulating_factors.items END,
CASE WHEN (legacy.held -> 'role_model_traits') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'role_model_traits')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'role_model_traits')) END) IS NOT DISTINCT FROM user_role_model_traits.items THEN (legacy.held -> 'role_model_traits') ELSE user_role_model_traits.items END,
CASE WHEN (legacy.held -> 'growth_milestones') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'growth_milestones')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'growth_milestones')) END) IS NOT DISTINCT FROM user_growth_milestones.items THEN (legacy.held -> 'growth_milestones') ELSE user_growth_milestones.items END,
CASE WHEN (legacy.held -> 'emotional_patterns') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'emotional_patterns')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'emotional_patterns')) END) IS NOT DISTINCT FROM user_emotional_patterns.items THEN (legacy.held -> 'emotional_patterns') ELSE user_emotional_patterns.items END,
CASE WHEN (legacy.held -> 'relationship_dynamics') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'relationship_dynamics')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'relationship_dynamics')) END) IS NOT DISTINCT FROM user_relationship_dynamics.items THEN (legacy.held -> 'relationship_dynamics') ELSE user_relationship_dynamics.items END,
CASE WHEN (legacy.held -> 'growth_opportunities') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'growth_opportunities')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'growth_opportunities')) END) IS NOT DISTINCT FROM user_growth_opportunities.items THEN (legacy.held -> 'growth_opportunities') ELSE user_growth_opportunities.items END,
CASE WHEN (legacy.held -> 'risk_factors') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'risk_factors')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'risk_factors')) END) IS NOT DISTINCT FROM user_risk_factors.items THEN (legacy.held -> 'risk_factors') ELSE user_risk_factors.items END,
CASE WHEN (legacy.held -> 'strengths') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'strengths')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'strengths')) END) IS NOT DISTINCT FROM user_strengths.items THEN (legacy.held -> 'strengths') ELSE user_strengths.items END,
CASE WHEN (legacy.held -> 'mood_trends') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'mood_trends')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'mood_trends')) END) IS NOT DISTINCT FROM user_mood_trends.items THEN (legacy.held -> 'mood_trends') ELSE user_mood_trends.items END,
CASE WHEN (legacy.held -> 'emotional_states_initial') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'emotional_states_initial')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'emotional_states_initial')) END) IS NOT DISTINCT FROM user_emotional_states.items THEN (legacy.held -> 'emotional_states_initial') ELSE user_emotional_states.items END,
CASE WHEN (legacy.held -> 'support_system') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'support_system')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'support_system')) END) IS NOT DISTINCT FROM user_support_system.items THEN (legacy.held -> 'support_system') ELSE user_support_system.items END,
CASE WHEN (legacy.held -> 'current_stressors') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'current_stressors')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'current_stressors')) END) IS NOT DISTINCT FROM user_current_stressors.items THEN (legacy.held -> 'current_stressors') ELSE user_current_stressors.items END,
CASE WHEN (legacy.held -> 'daily_habits') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'daily_habits')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'daily_habits')) END) IS NOT DISTINCT FROM user_daily_habits.items THEN (legacy.held -> 'daily_habits') ELSE user_daily_habits.items END,
CASE WHEN (legacy.held -> 'substance_use') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'substance_use')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'substance_use')) END) IS NOT DISTINCT FROM user_substance_use.items THEN (legacy.held -> 'substance_use') ELSE user_substance_use.items END,
CASE WHEN (legacy.held -> 'stuck_points') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'stuck_points')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'stuck_points')) END) IS NOT DISTINCT FROM user_stuck_points.items THEN (legacy.held -> 'stuck_points') ELSE user_stuck_points.items END,
CASE WHEN (legacy.held -> 'summary') IS NOT NULL AND (CASE jsonb_typeof((legacy.held -> 'summary'))
        WHEN 'string' THEN (legacy.held -> 'summary') #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE (legacy.held -> 'summary')::text END
            FROM jsonb_array_elements((legacy.held -> 'summary')) WITH ORDINALITY AS a(item, n))
        ELSE (legacy.held -> 'summary')::text
    END) IS NOT DISTINCT FROM s.summary THEN (legacy.held -> 'summary') ELSE to_jsonb(s.summary) END,
CASE WHEN (legacy.held -> 'trauma_patterns') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'trauma_patterns')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'trauma_patterns')) END) IS NOT DISTINCT FROM user_trauma_patterns.items THEN (legacy.held -> 'trauma_patterns') ELSE user_trauma_patterns.items END,
CASE WHEN (legacy.held -> 'ancestral_issues') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'ancestral_issues')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'ancestral_issues')) END) IS NOT DISTINCT FROM user_ancestral_issues.items THEN (legacy.held -> 'ancestral_issues') ELSE user_ancestral_issues.items END,
CASE WHEN (legacy.held -> 'spiritual_path_notes') IS NOT NULL AND (CASE jsonb_typeof((legacy.held -> 'spiritual_path_notes'))
        WHEN 'string' THEN (legacy.held -> 'spiritual_path_notes') #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE (legacy.held -> 'spiritual_path_notes')::text END
            FROM jsonb_array_elements((legacy.held -> 'spiritual_path_notes')) WITH ORDINALITY AS a(item, n))
        ELSE (legacy.held -> 'spiritual_path_notes')::text
    END) IS NOT DISTINCT FROM user_spiritual_path.notes THEN (legacy.held -> 'spiritual_path_notes') ELSE to_jsonb(user_spiritual_path.notes) END,
CASE WHEN (legacy.held -> 'insight_notes') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'insight_notes')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'insight_notes')) END) IS NOT DISTINCT FROM user_insight_notes.items THEN (legacy.held -> 'insight_notes') ELSE user_insight_notes.items END,
CASE WHEN (legacy.held -> 'therapeutic_approach') IS NOT NULL AND (CASE jsonb_typeof((legacy.held -> 'therapeutic_approach'))
        WHEN 'string' THEN (legacy.held -> 'therapeutic_approach') #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE (legacy.held -> 'therapeutic_approach')::text END
            FROM jsonb_array_elements((legacy.held -> 'therapeutic_approach')) WITH ORDINALITY AS a(item, n))
        ELSE (legacy.held -> 'therapeutic_approach')::text
    END) IS NOT DISTINCT FROM user_ai_preferences.therapeutic_approach THEN (legacy.held -> 'therapeutic_approach') ELSE to_jsonb(user_ai_preferences.therapeutic_approach) END,
CASE WHEN (legacy.held -> 'motivation_for_joining') IS NOT NULL AND (CASE jsonb_typeof((legacy.held -> 'motivation_for_joining'))
        WHEN 'string' THEN (legacy.held -> 'motivation_for_joining') #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE (legacy.held -> 'motivation_for_joining')::text END
            FROM jsonb_array_elements((legacy.held -> 'motivation_for_joining')) WITH ORDINALITY AS a(item, n))
        ELSE (legacy.held -> 'motivation_for_joining')::text
    END) IS NOT DISTINCT FROM s.motivation_for_joining THEN (legacy.held -> 'motivation_for_joining') ELSE to_jsonb(s.motivation_for_joining) END,
CASE WHEN (legacy.held -> 'hopes_to_achieve') IS NOT NULL AND (CASE jsonb_typeof((legacy.held -> 'hopes_to_achieve'))
        WHEN 'string' THEN (legacy.held -> 'hopes_to_achieve') #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE (legacy.held -> 'hopes_to_achieve')::text END
            FROM jsonb_array_elements((legacy.held -> 'hopes_to_achieve')) WITH ORDINALITY AS a(item, n))
        ELSE (legacy.held -> 'hopes_to_achieve')::text
    END) IS NOT DISTINCT FROM s.hopes_to_achieve THEN (legacy.held -> 'hopes_to_achieve') ELSE to_jsonb(s.hopes_to_achieve) END,
CASE WHEN (legacy.held -> 'previous_therapy') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'previous_therapy')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'previous_therapy')) END) IS NOT DISTINCT FROM user_previous_therapy.items THEN (legacy.held -> 'previous_therapy') ELSE user_previous_therapy.items END,
CASE WHEN (legacy.held -> 'therapy_type') IS NOT NULL AND (CASE jsonb_typeof((legacy.held -> 'therapy_type'))
        WHEN 'string' THEN (legacy.held -> 'therapy_type') #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE (legacy.held -> 'therapy_type')::text END
            FROM jsonb_array_elements((legacy.held -> 'therapy_type')) WITH ORDINALITY AS a(item, n))
        ELSE (legacy.held -> 'therapy_type')::text
    END) IS NOT DISTINCT FROM s.therapy_type THEN (legacy.held -> 'therapy_type') ELSE to_jsonb(s.therapy_type) END,
CASE WHEN (legacy.held -> 'therapy_duration') IS NOT NULL AND (CASE jsonb_typeof((legacy.held -> 'therapy_duration'))
        WHEN 'string' THEN (legacy.held -> 'therapy_duration') #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE (legacy.held -> 'therapy_duration')::text END
            FROM jsonb_array_elements((legacy.held -> 'therapy_duration')) WITH ORDINALITY AS a(item, n))
        ELSE (legacy.held -> 'therapy_duration')::text
    END) IS NOT DISTINCT FROM s.therapy_duration THEN (legacy.held -> 'therapy_duration') ELSE to_jsonb(s.therapy_duration) END,
CASE WHEN (legacy.held -> 'sleep_routine') IS NOT NULL AND (CASE jsonb_typeof((legacy.held -> 'sleep_routine'))
        WHEN 'string' THEN (legacy.held -> 'sleep_routine') #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE (legacy.held -> 'sleep_routine')::text END
            FROM jsonb_array_elements((legacy.held -> 'sleep_routine')) WITH ORDINALITY AS a(item, n))
        ELSE (legacy.held -> 'sleep_routine')::text
    END) IS NOT DISTINCT FROM user_sleep_routine.notes THEN (legacy.held -> 'sleep_routine') ELSE to_jsonb(user_sleep_routine.notes) END,
CASE WHEN (legacy.held -> 'suicidal_thoughts_initial') IS NOT NULL AND (CASE WHEN jsonb_typeof((legacy.held -> 'suicidal_thoughts_initial')) IN ('array', 'null') THEN NULL ELSE jsonb_build_array((legacy.held -> 'suicidal_thoughts_initial')) END) IS NOT DISTINCT FROM user_suicidal_thoughts.items THEN (legacy.held -> 'suicidal_thoughts_initial') ELSE user_suicidal_thoughts.items END,
CASE WHEN (legacy.held -> 'relationship_status') IS NOT NULL AND (CASE jsonb_typeof((legacy.held -> 'relationship_status'))
        WHEN 'string' THEN (legacy.held -> 'relationship_status') #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE (legacy.held -> 'relationship_status')::text END
            FROM jsonb_array_elements((legacy.held -> 'relationship_status')) WITH ORDINALITY AS a(item, n))
        ELSE (legacy.held -> 'relationship_status')::text
    END) IS NOT DISTINCT FROM user_relationship_status.current_status THEN (legacy.held -> 'relationship_status') ELSE to_jsonb(user_relationship_status.current_status) END,
CASE WHEN (legacy.held -> 'living_situation') IS NOT NULL AND (CASE jsonb_typeof((legacy.held -> 'living_situation'))
        WHEN 'string' THEN (legacy.held -> 'living_situation') #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE (legacy.held -> 'living_situation')::text END
            FROM jsonb_array_elements((legacy.held -> 'living_situation')) WITH ORDINALITY AS a(item, n))
        ELSE (legacy.held -> 'living_situation')::text
    END) IS NOT DISTINCT FROM user_living_situation.living_arrangement THEN (legacy.held -> 'living_situation') ELSE to_jsonb(user_living_situation.living_arrangement) END,
CASE WHEN (legacy.held -> 'biggest_challenge') IS NOT NULL AND (CASE jsonb_typeof((legacy.held -> 'biggest_challenge'))
        WHEN 'string' THEN (legacy.held -> 'biggest_challenge') #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE (legacy.held -> 'biggest_challenge')::text END
            FROM jsonb_array_elements((legacy.held -> 'biggest_challenge')) WITH ORDINALITY AS a(item, n))
        ELSE (legacy.held -> 'biggest_challenge')::text
    END) IS NOT DISTINCT FROM s.biggest_challenge THEN (legacy.held -> 'biggest_challenge') ELSE to_jsonb(s.biggest_challenge) END,
CASE WHEN (legacy.held -> 'biggest_obstacle') IS NOT NULL AND (CASE jsonb_typeof((legacy.held -> 'biggest_obstacle'))
        WHEN 'string' THEN (legacy.held -> 'biggest_obstacle') #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE (legacy.held -> 'biggest_obstacle')::text END
            FROM jsonb_array_elements((legacy.held -> 'biggest_obstacle')) WITH ORDINALITY AS a(item, n))
        ELSE (legacy.held -> 'biggest_obstacle')::text
    END) IS NOT DISTINCT FROM s.biggest_obstacle THEN (legacy.held -> 'biggest_obstacle') ELSE to_jsonb(s.biggest_obstacle) END
        FROM memory.user_profile_summary s
        LEFT JOIN (
            SELECT user_id, jsonb_object_agg(field, value) AS held
            FROM memory.user_profile_legacy_values GROUP BY user_id
        ) AS legacy ON legacy.user_id = s.user_id
        LEFT JOIN memory.user_ai_preferences ON user_ai_preferences.user_id = s.user_id
LEFT JOIN memory.user_therapy_preferences ON user_therapy_preferences.user_id = s.user_id
LEFT JOIN memory.user_sleep_routine ON user_sleep_routine.user_id = s.user_id
LEFT JOIN memory.user_relationship_status ON user_relationship_status.user_id = s.user_id
LEFT JOIN memory.user_living_situation ON user_living_situation.user_id = s.user_id
LEFT JOIN memory.user_spiritual_path ON user_spiritual_path.user_id = s.user_id
        LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = theme_name THEN legacy_value ELSE to_jsonb(theme_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_themes WHERE is_active GROUP BY user_id
            ) AS user_themes ON user_themes.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = name THEN legacy_value ELSE to_jsonb(name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_people WHERE is_active GROUP BY user_id
            ) AS user_people ON user_people.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = tool_name THEN legacy_value ELSE to_jsonb(tool_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_coping_tools WHERE is_active GROUP BY user_id
            ) AS user_coping_tools ON user_coping_tools.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = goal_title THEN legacy_value ELSE to_jsonb(goal_title) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_goals  GROUP BY user_id
            ) AS user_goals ON user_goals.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = loop_name THEN legacy_value ELSE to_jsonb(loop_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_pattern_loops WHERE is_active GROUP BY user_id
            ) AS user_pattern_loops ON user_pattern_loops.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = theme_name THEN legacy_value ELSE to_jsonb(theme_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_shadow_themes WHERE is_active GROUP BY user_id
            ) AS user_shadow_themes ON user_shadow_themes.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = practice_name THEN legacy_value ELSE to_jsonb(practice_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_current_practices WHERE is_active GROUP BY user_id
            ) AS user_current_practices ON user_current_practices.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = strategy_name THEN legacy_value ELSE to_jsonb(strategy_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_regulation_strategies WHERE is_active GROUP BY user_id
            ) AS user_regulation_strategies ON user_regulation_strategies.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = factor_name THEN legacy_value ELSE to_jsonb(factor_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_dysregulating_factors WHERE is_active GROUP BY user_id
            ) AS user_dysregulating_factors ON user_dysregulating_factors.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = trait_name THEN legacy_value ELSE to_jsonb(trait_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_role_model_traits WHERE is_active GROUP BY user_id
            ) AS user_role_model_traits ON user_role_model_traits.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = milestone_title THEN legacy_value ELSE to_jsonb(milestone_title) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_growth_milestones WHERE is_active GROUP BY user_id
            ) AS user_growth_milestones ON user_growth_milestones.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = pattern_name THEN legacy_value ELSE to_jsonb(pattern_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_emotional_patterns WHERE is_active GROUP BY user_id
            ) AS user_emotional_patterns ON user_emotional_patterns.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = dynamic_pattern THEN legacy_value ELSE to_jsonb(dynamic_pattern) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_relationship_dynamics WHERE is_active GROUP BY user_id
            ) AS user_relationship_dynamics ON user_relationship_dynamics.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = opportunity_title THEN legacy_value ELSE to_jsonb(opportunity_title) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_growth_opportunities WHERE is_active GROUP BY user_id
            ) AS user_growth_opportunities ON user_growth_opportunities.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = risk_factor_name THEN legacy_value ELSE to_jsonb(risk_factor_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_risk_factors WHERE is_active GROUP BY user_id
            ) AS user_risk_factors ON user_risk_factors.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = strength_name THEN legacy_value ELSE to_jsonb(strength_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_strengths WHERE is_active GROUP BY user_id
            ) AS user_strengths ON user_strengths.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = mood_label THEN legacy_value ELSE to_jsonb(mood_label) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_mood_trends  GROUP BY user_id
            ) AS user_mood_trends ON user_mood_trends.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = state_name THEN legacy_value ELSE to_jsonb(state_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_emotional_states WHERE is_active GROUP BY user_id
            ) AS user_emotional_states ON user_emotional_states.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = person_name THEN legacy_value ELSE to_jsonb(person_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_support_system WHERE is_active GROUP BY user_id
            ) AS user_support_system ON user_support_system.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = stressor_name THEN legacy_value ELSE to_jsonb(stressor_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_current_stressors WHERE is_active GROUP BY user_id
            ) AS user_current_stressors ON user_current_stressors.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = habit_name THEN legacy_value ELSE to_jsonb(habit_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_daily_habits WHERE is_active GROUP BY user_id
            ) AS user_daily_habits ON user_daily_habits.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = substance_name THEN legacy_value ELSE to_jsonb(substance_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_substance_use WHERE is_active GROUP BY user_id
            ) AS user_substance_use ON user_substance_use.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = stuck_point THEN legacy_value ELSE to_jsonb(stuck_point) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_stuck_points WHERE is_active GROUP BY user_id
            ) AS user_stuck_points ON user_stuck_points.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = pattern_name THEN legacy_value ELSE to_jsonb(pattern_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_trauma_patterns WHERE is_active GROUP BY user_id
            ) AS user_trauma_patterns ON user_trauma_patterns.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = issue_name THEN legacy_value ELSE to_jsonb(issue_name) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_ancestral_issues WHERE is_active GROUP BY user_id
            ) AS user_ancestral_issues ON user_ancestral_issues.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = insight_content THEN legacy_value ELSE to_jsonb(insight_content) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_insight_notes WHERE is_active GROUP BY user_id
            ) AS user_insight_notes ON user_insight_notes.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = therapy_type THEN legacy_value ELSE to_jsonb(therapy_type) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_previous_therapy WHERE is_active GROUP BY user_id
            ) AS user_previous_therapy ON user_previous_therapy.user_id = s.user_id
LEFT JOIN (
                SELECT user_id,
                       jsonb_agg(CASE WHEN (CASE WHEN jsonb_typeof(legacy_value) = 'string' THEN legacy_value #>> '{}' ELSE legacy_value::text END) = thought_content THEN legacy_value ELSE to_jsonb(thought_content) END ORDER BY position NULLS LAST, created_at, id) AS items
                FROM memory.user_suicidal_thoughts  GROUP BY user_id
            ) AS user_suicidal_thoughts ON user_suicidal_thoughts.user_id = s.user_id;

INSERT INTO memory.memory_profiles (id, user_id, spiritual_connection_level, personal_agency_level, boundaries_awareness, self_development_capacity, hard_truths_tolerance, awareness_level, suicidal_risk_level, sleep_quality, mood_score_initial, created_at, updated_at, themes, people, coping_tools, goals, preferred_therapy_styles, preferred_tone, pattern_loops, shadow_themes, current_practices, regulation_strategies, dysregulating_factors, role_model_traits, growth_milestones, emotional_patterns, relationship_dynamics, growth_opportunities, risk_factors, strengths, mood_trends, emotional_states_initial, support_system, current_stressors, daily_habits, substance_use, stuck_points, summary, trauma_patterns, ancestral_issues, spiritual_path_notes, insight_notes, therapeutic_approach, motivation_for_joining, hopes_to_achieve, previous_therapy, therapy_type, therapy_duration, sleep_routine, suicidal_thoughts_initial, relationship_status, living_situation, biggest_challenge, biggest_obstacle) SELECT id, user_id, spiritual_connection_level, personal_agency_level, boundaries_awareness, self_development_capacity, hard_truths_tolerance, awareness_level, suicidal_risk_level, sleep_quality, mood_score_initial, created_at, updated_at, themes, people, coping_tools, goals, preferred_therapy_styles, preferred_tone, pattern_loops, shadow_themes, current_practices, regulation_strategies, dysregulating_factors, role_model_traits, growth_milestones, emotional_patterns, relationship_dynamics, growth_opportunities, risk_factors, strengths, mood_trends, emotional_states_initial, support_system, current_stressors, daily_habits, substance_use, stuck_points, summary, trauma_patterns, ancestral_issues, spiritual_path_notes, insight_notes, therapeutic_approach, motivation_for_joining, hopes_to_achieve, previous_therapy, therapy_type, therapy_duration, sleep_routine, suicidal_thoughts_initial, relationship_status, living_situation, biggest_challenge, biggest_obstacle FROM memory.memory_profiles_rejected;

DROP TABLE memory.memory_profiles_rejected;

DROP TABLE memory.user_themes;

DROP TABLE memory.user_people;

DROP TABLE memory.user_coping_tools;

DROP TABLE memory.user_goals;

DROP TABLE memory.user_pattern_loops;

DROP TABLE memory.user_shadow_themes;

DROP TABLE memory.user_current_practices;

DROP TABLE memory.user_regulation_strategies;

DROP TABLE memory.user_dysregulating_factors;

DROP TABLE memory.user_role_model_traits;

DROP TABLE memory.user_growth_milestones;

DROP TABLE memory.user_emotional_patterns;

DROP TABLE memory.user_relationship_dynamics;

DROP TABLE memory.user_growth_opportunities;

DROP TABLE memory.user_risk_factors;

DROP TABLE memory.user_strengths;

DROP TABLE memory.user_mood_trends;

DROP TABLE memory.user_emotional_states;

DROP TABLE memory.user_support_system;

DROP TABLE memory.user_current_stressors;

DROP TABLE memory.user_daily_habits;

DROP TABLE memory.user_substance_use;

DROP TABLE memory.user_stuck_points;

DROP TABLE memory.user_trauma_patterns;

DROP TABLE memory.user_ancestral_issues;

DROP TABLE memory.user_insight_notes;

DROP TABLE memory.user_previous_therapy;

DROP TABLE memory.user_suicidal_thoughts;

DROP TABLE memory.user_profile_summary;

DROP TABLE memory.user_ai_preferences;

DROP TABLE memory.user_therapy_preferences;

DROP TABLE memory.user_sleep_routine;

DROP TABLE memory.user_relationship_status;

DROP TABLE memory.user_living_situation;

DROP TABLE memory.user_spiritual_path;

DROP TABLE memory.user_profile_legacy_values;

DROP TABLE memory.legacy_nulls;

COMMIT;

