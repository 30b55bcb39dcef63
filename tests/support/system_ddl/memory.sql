-- The companion's own database before seed 001, as its hosted project's dump shows it: its
-- tables in public (memory-tables.md; memory_profiles and the conversations: ARCHITECTURE section
-- 5). Beside them the host keeps schemas of its own: memory_host.sql.
CREATE TABLE users (
    id uuid NOT NULL PRIMARY KEY, name text, email text, created_at timestamp DEFAULT now(),
    onboarding_skipped boolean DEFAULT false, updated_at timestamp DEFAULT now()
);
CREATE TABLE conversations (
    id uuid NOT NULL PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid,
    started_at timestamptz, ended_at timestamptz, title text, context_summary text,
    mood_at_start integer, mood_at_end integer, context_json json,
    created_at timestamptz DEFAULT now(), description text
);
CREATE TABLE conversation_continuity (
    id uuid DEFAULT gen_random_uuid() NOT NULL PRIMARY KEY, user_id uuid NOT NULL,
    conversation_id uuid NOT NULL, last_message_count integer DEFAULT 0 NOT NULL,
    last_session_phase varchar(50) DEFAULT 'start' NOT NULL, last_therapeutic_focus text,
    last_emotional_state varchar(50), last_timestamp timestamptz DEFAULT now() NOT NULL,
    session_duration_minutes integer DEFAULT 0, is_resuming boolean DEFAULT false,
    continuity_context text, created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
CREATE TABLE feedback (
    id uuid DEFAULT gen_random_uuid() NOT NULL PRIMARY KEY, user_id uuid NOT NULL,
    raw_feedback text NOT NULL, ai_summary text,
    priority varchar(20) CHECK (priority IN ('low', 'medium', 'high', 'critical')),
    feedback_type varchar(50) DEFAULT 'general', device_info jsonb, app_version varchar(20),
    created_at timestamptz DEFAULT now(), processed_at timestamptz,
    status varchar(20) DEFAULT 'pending'
        CHECK (status IN ('pending', 'processed', 'resolved', 'ignored')),
    tags text[], metadata jsonb
);
CREATE TABLE feedback_log (
    id uuid NOT NULL PRIMARY KEY, user_id uuid, session_id uuid,
    rating integer CHECK (rating >= 1 AND rating <= 5), comment text,
    created_at timestamp DEFAULT now()
);
CREATE TABLE user_preferences (
    user_id uuid NOT NULL PRIMARY KEY, show_text_response boolean DEFAULT true,
    play_audio_response boolean DEFAULT true, preferred_therapist_name text,
    daily_reminder_time time, timezone text
);
CREATE TABLE emotional_trends (
    id uuid NOT NULL PRIMARY KEY, user_id uuid, recorded_at timestamp DEFAULT now(),
    mood_score integer CHECK (mood_score >= 1 AND mood_score <= 10), mood_label text,
    notes text, created_at timestamp DEFAULT now()
);
CREATE TABLE value_compass (
    id uuid NOT NULL PRIMARY KEY, user_id uuid, core_values text[], anti_values text[],
    narrative text, last_reflected_at timestamp
);
CREATE TABLE memory_profiles (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid REFERENCES users (id),
    spiritual_connection_level integer CHECK (spiritual_connection_level BETWEEN 1 AND 10),
    personal_agency_level integer CHECK (personal_agency_level BETWEEN 1 AND 10),
    boundaries_awareness integer CHECK (boundaries_awareness BETWEEN 1 AND 10),
    self_development_capacity integer CHECK (self_development_capacity BETWEEN 1 AND 10),
    hard_truths_tolerance integer CHECK (hard_truths_tolerance BETWEEN 1 AND 10),
    awareness_level integer CHECK (awareness_level BETWEEN 1 AND 10),
    suicidal_risk_level integer CHECK (suicidal_risk_level BETWEEN 0 AND 3),
    sleep_quality text,
    mood_score_initial integer,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    themes jsonb,
    people jsonb,
    coping_tools jsonb,
    goals jsonb,
    preferred_therapy_styles jsonb,
    preferred_tone jsonb,
    pattern_loops jsonb,
    shadow_themes jsonb,
    current_practices jsonb,
    regulation_strategies jsonb,
    dysregulating_factors jsonb,
    role_model_traits jsonb,
    growth_milestones jsonb,
    emotional_patterns jsonb,
    relationship_dynamics jsonb,
    growth_opportunities jsonb,
    risk_factors jsonb,
    strengths jsonb,
    mood_trends jsonb,
    emotional_states_initial jsonb,
    support_system jsonb,
    current_stressors jsonb,
    daily_habits jsonb,
    substance_use jsonb,
    stuck_points jsonb,
    summary jsonb,
    trauma_patterns jsonb,
    ancestral_issues jsonb,
    spiritual_path_notes jsonb,
    insight_notes jsonb,
    therapeutic_approach jsonb,
    motivation_for_joining jsonb,
    hopes_to_achieve jsonb,
    previous_therapy jsonb,
    therapy_type jsonb,
    therapy_duration jsonb,
    sleep_routine jsonb,
    suicidal_thoughts_initial jsonb,
    relationship_status jsonb,
    living_situation jsonb,
    biggest_challenge jsonb,
    biggest_obstacle jsonb
);
CREATE TABLE conversation_messages (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid, conversation_id uuid,
    created_at timestamptz DEFAULT now(), input_type text, input_transcript text,
    gpt_response text, audio_response_url text, summary text, mood_at_time integer,
    flagged boolean DEFAULT false, tags text[]
);
CREATE TABLE crisis_flags (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid,
    session_id uuid REFERENCES conversation_messages (id), flag_type text,
    triggered_at timestamptz, reviewed boolean
);
