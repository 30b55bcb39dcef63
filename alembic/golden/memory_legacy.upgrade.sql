BEGIN;

-- Running upgrade platform -> memory_legacy

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

CREATE TABLE memory.conversations (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID, 
    started_at TIMESTAMP WITH TIME ZONE, 
    ended_at TIMESTAMP WITH TIME ZONE, 
    title TEXT, 
    context_summary TEXT, 
    mood_at_start INTEGER, 
    mood_at_end INTEGER, 
    context_json JSON, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now(), 
    description TEXT, 
    CONSTRAINT pk_conversations PRIMARY KEY (id)
);

CREATE TABLE memory.conversation_messages (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID, 
    conversation_id UUID, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now(), 
    input_type TEXT, 
    input_transcript TEXT, 
    gpt_response TEXT, 
    audio_response_url TEXT, 
    summary TEXT, 
    mood_at_time INTEGER, 
    flagged BOOLEAN DEFAULT false, 
    tags TEXT[], 
    CONSTRAINT pk_conversation_messages PRIMARY KEY (id)
);

CREATE TABLE memory.crisis_flags (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID, 
    session_id UUID, 
    flag_type TEXT, 
    triggered_at TIMESTAMP WITH TIME ZONE, 
    reviewed BOOLEAN, 
    CONSTRAINT pk_crisis_flags PRIMARY KEY (id), 
    CONSTRAINT fk_crisis_flags_session_id_conversation_messages FOREIGN KEY(session_id) REFERENCES memory.conversation_messages (id)
);

-- squawk-ignore-file prefer-timestamp-tz -- the companion's dump has timestamp without time zone: legacy data is loaded into exactly its columns;

CREATE TABLE memory.conversation_continuity (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    conversation_id UUID NOT NULL, 
    last_message_count INTEGER DEFAULT '0' NOT NULL, 
    last_session_phase VARCHAR(50) DEFAULT 'start' NOT NULL, 
    last_therapeutic_focus TEXT, 
    last_emotional_state VARCHAR(50), 
    last_timestamp TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    session_duration_minutes INTEGER DEFAULT '0', 
    is_resuming BOOLEAN DEFAULT false, 
    continuity_context TEXT, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now(), 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now(), 
    CONSTRAINT pk_conversation_continuity PRIMARY KEY (id)
);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."conversation_continuity" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TABLE memory.feedback (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    raw_feedback TEXT NOT NULL, 
    ai_summary TEXT, 
    priority VARCHAR(20), 
    feedback_type VARCHAR(50) DEFAULT 'general', 
    device_info JSONB, 
    app_version VARCHAR(20), 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now(), 
    processed_at TIMESTAMP WITH TIME ZONE, 
    status VARCHAR(20) DEFAULT 'pending', 
    tags TEXT[], 
    metadata JSONB, 
    CONSTRAINT pk_feedback PRIMARY KEY (id), 
    CONSTRAINT ck_feedback_priority CHECK (priority IN ('low', 'medium', 'high', 'critical')), 
    CONSTRAINT ck_feedback_status CHECK (status IN ('pending', 'processed', 'resolved', 'ignored'))
);

CREATE TABLE memory.feedback_log (
    id UUID NOT NULL, 
    user_id UUID, 
    session_id UUID, 
    rating INTEGER, 
    comment TEXT, 
    created_at TIMESTAMP WITHOUT TIME ZONE DEFAULT now(), 
    CONSTRAINT pk_feedback_log PRIMARY KEY (id), 
    CONSTRAINT ck_feedback_log_rating CHECK (rating BETWEEN 1 AND 5)
);

CREATE TABLE memory.user_preferences (
    user_id UUID NOT NULL, 
    show_text_response BOOLEAN DEFAULT true, 
    play_audio_response BOOLEAN DEFAULT true, 
    preferred_therapist_name TEXT, 
    daily_reminder_time TIME WITHOUT TIME ZONE, 
    timezone TEXT, 
    CONSTRAINT pk_user_preferences PRIMARY KEY (user_id)
);

CREATE TABLE memory.emotional_trends (
    id UUID NOT NULL, 
    user_id UUID, 
    recorded_at TIMESTAMP WITHOUT TIME ZONE DEFAULT now(), 
    mood_score INTEGER, 
    mood_label TEXT, 
    notes TEXT, 
    created_at TIMESTAMP WITHOUT TIME ZONE DEFAULT now(), 
    CONSTRAINT pk_emotional_trends PRIMARY KEY (id), 
    CONSTRAINT ck_emotional_trends_mood_score CHECK (mood_score BETWEEN 1 AND 10)
);

CREATE TABLE memory.value_compass (
    id UUID NOT NULL, 
    user_id UUID, 
    core_values TEXT[], 
    anti_values TEXT[], 
    narrative TEXT, 
    last_reflected_at TIMESTAMP WITHOUT TIME ZONE, 
    CONSTRAINT pk_value_compass PRIMARY KEY (id)
);

ALTER TABLE public.users ADD COLUMN name TEXT;

ALTER TABLE public.users ADD COLUMN onboarding_skipped BOOLEAN;

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

COMMIT;

