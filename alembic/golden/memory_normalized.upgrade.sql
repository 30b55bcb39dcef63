BEGIN;

-- Running upgrade memory_legacy -> memory_normalized

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
            LOCK TABLE memory.memory_profiles IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.conversations IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.conversation_messages IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.crisis_flags IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.conversation_continuity IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.feedback IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.feedback_log IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.user_preferences IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.emotional_trends IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE memory.value_compass IN ACCESS EXCLUSIVE MODE;
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

-- squawk-ignore-file ban-drop-table -- the legacy profiles live on in the user_* tables;

-- squawk-ignore-file ban-drop-constraint -- a crisis flag's message key is rebuilt under the new names;

-- squawk-ignore-file ban-drop-view -- the companion's users take the shape of its post-migration schema;

-- squawk-ignore-file ban-drop-function -- the legacy users view's insert trigger goes with it;

-- squawk-ignore-file renaming-table -- conversations, messages, crisis flags and the router tables take the companion's user_* names;

-- squawk-ignore-file renaming-object -- their primary keys and checks follow the new table names;

-- squawk-ignore-file changing-column-type -- the router tables' varchar(n), timestamp and time become text and timestamptz, on locked tables;

-- squawk-ignore-file adding-not-nullable-field -- legacy NULLs were filled first; the tables are locked;

-- squawk-ignore-file prefer-bigint-over-smallint -- suicidal_risk_level keeps the legacy column's type (0..3);

-- squawk-ignore-file require-concurrent-index-creation -- user_id indexes of the renamed, locked tables;

-- squawk-ignore-file constraint-missing-not-valid -- their keys to users and to each other, on locked tables;

-- squawk-ignore-file adding-foreign-key-constraint -- their keys to users and to each other, on locked tables;

-- squawk-ignore-file disallowed-unique-constraint -- a value compass per user, on its locked table;

-- squawk-ignore-file prefer-timestamp-tz -- router rows set aside keep the dump's timestamp without time zone;

SET LOCAL maintenance_work_mem = '1GB';

SET LOCAL work_mem = '256MB';

SELECT set_config('therapy_db.keep_updated_at', 'on', true);

CREATE TABLE memory.legacy_nulls (
    table_name TEXT NOT NULL, 
    row_id UUID NOT NULL, 
    column_name TEXT NOT NULL, 
    user_id UUID NOT NULL, 
    filled TEXT NOT NULL, 
    CONSTRAINT pk_legacy_nulls PRIMARY KEY (table_name, row_id, column_name), 
    CONSTRAINT fk_legacy_nulls_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE
);

CREATE INDEX ix_legacy_nulls_user_id ON memory.legacy_nulls (user_id);

CREATE TABLE memory.memory_profiles_rejected (
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
    reason TEXT NOT NULL, 
    CONSTRAINT pk_memory_profiles_rejected PRIMARY KEY (id), 
    CONSTRAINT fk_memory_profiles_rejected_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE
);

CREATE INDEX ix_memory_profiles_rejected_user_id ON memory.memory_profiles_rejected (user_id);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."memory_profiles_rejected" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

INSERT INTO memory.memory_profiles_rejected (id, user_id, spiritual_connection_level, personal_agency_level, boundaries_awareness, self_development_capacity, hard_truths_tolerance, awareness_level, suicidal_risk_level, sleep_quality, mood_score_initial, created_at, updated_at, themes, people, coping_tools, goals, preferred_therapy_styles, preferred_tone, pattern_loops, shadow_themes, current_practices, regulation_strategies, dysregulating_factors, role_model_traits, growth_milestones, emotional_patterns, relationship_dynamics, growth_opportunities, risk_factors, strengths, mood_trends, emotional_states_initial, support_system, current_stressors, daily_habits, substance_use, stuck_points, summary, trauma_patterns, ancestral_issues, spiritual_path_notes, insight_notes, therapeutic_approach, motivation_for_joining, hopes_to_achieve, previous_therapy, therapy_type, therapy_duration, sleep_routine, suicidal_thoughts_initial, relationship_status, living_situation, biggest_challenge, biggest_obstacle, reason)
        SELECT t.id, t.user_id, t.spiritual_connection_level, t.personal_agency_level, t.boundaries_awareness, t.self_development_capacity, t.hard_truths_tolerance, t.awareness_level, t.suicidal_risk_level, t.sleep_quality, t.mood_score_initial, t.created_at, t.updated_at, t.themes, t.people, t.coping_tools, t.goals, t.preferred_therapy_styles, t.preferred_tone, t.pattern_loops, t.shadow_themes, t.current_practices, t.regulation_strategies, t.dysregulating_factors, t.role_model_traits, t.growth_milestones, t.emotional_patterns, t.relationship_dynamics, t.growth_opportunities, t.risk_factors, t.strengths, t.mood_trends, t.emotional_states_initial, t.support_system, t.current_stressors, t.daily_habits, t.substance_use, t.stuck_points, t.summary, t.trauma_patterns, t.ancestral_issues, t.spiritual_path_notes, t.insight_notes, t.therapeutic_approach, t.motivation_for_joining, t.hopes_to_achieve, t.previous_therapy, t.therapy_type, t.therapy_duration, t.sleep_routine, t.suicidal_thoughts_initial, t.relationship_status, t.living_situation, t.biggest_challenge, t.biggest_obstacle, r.reason
        FROM memory.memory_profiles t
        JOIN (SELECT t.id, CASE
            WHEN t.user_id IS NULL THEN 'no user_id'
            WHEN row_number() OVER (
                PARTITION BY t.user_id
                ORDER BY t.updated_at DESC NULLS LAST, t.created_at DESC NULLS LAST, t.id
            ) > 1 THEN 'a more recently updated profile of this user was migrated'
        END AS reason FROM memory.memory_profiles t) r ON r.id = t.id
        WHERE r.reason IS NOT NULL;

DELETE FROM memory.memory_profiles t USING memory.memory_profiles_rejected r WHERE r.id = t.id;

CREATE TABLE memory.user_themes (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    theme_name TEXT NOT NULL, 
    theme_category TEXT, 
    importance_level INTEGER, 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_themes_importance_level CHECK (importance_level BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_themes.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_themes.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_people (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    name TEXT NOT NULL, 
    relationship_type TEXT, 
    role TEXT, 
    importance_level INTEGER, 
    notes TEXT, 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_people_importance_level CHECK (importance_level BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_people.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_people.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_coping_tools (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    tool_name TEXT NOT NULL, 
    tool_category TEXT, 
    effectiveness_rating INTEGER, 
    description TEXT, 
    when_to_use TEXT, 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_coping_tools_effectiveness_rating CHECK (effectiveness_rating BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_coping_tools.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_coping_tools.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_goals (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    goal_title TEXT NOT NULL, 
    goal_description TEXT, 
    goal_category TEXT, 
    priority_level INTEGER, 
    target_date DATE, 
    status TEXT DEFAULT 'active' NOT NULL, 
    progress_percentage INTEGER DEFAULT 0 NOT NULL, 
    position INTEGER, 
    legacy_value JSONB, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_goals_priority_level CHECK (priority_level BETWEEN 1 AND 10), 
    CONSTRAINT ck_user_goals_progress_percentage CHECK (progress_percentage BETWEEN 0 AND 100)
);

COMMENT ON COLUMN memory.user_goals.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_goals.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_pattern_loops (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    loop_name TEXT NOT NULL, 
    trigger_situation TEXT, 
    automatic_response TEXT, 
    consequences TEXT, 
    alternative_responses TEXT[], 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL
);

COMMENT ON COLUMN memory.user_pattern_loops.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_pattern_loops.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_shadow_themes (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    theme_name TEXT NOT NULL, 
    theme_description TEXT, 
    triggers TEXT[], 
    avoidance_behaviors TEXT[], 
    integration_strategies TEXT[], 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL
);

COMMENT ON COLUMN memory.user_shadow_themes.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_shadow_themes.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_current_practices (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    practice_name TEXT NOT NULL, 
    practice_type TEXT, 
    frequency TEXT, 
    effectiveness_rating INTEGER, 
    notes TEXT, 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_current_practices_effectiveness_rating CHECK (effectiveness_rating BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_current_practices.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_current_practices.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_regulation_strategies (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    strategy_name TEXT NOT NULL, 
    strategy_type TEXT, 
    when_to_use TEXT, 
    effectiveness_rating INTEGER, 
    notes TEXT, 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_regulation_strategies_effectiveness_rating CHECK (effectiveness_rating BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_regulation_strategies.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_regulation_strategies.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_dysregulating_factors (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    factor_name TEXT NOT NULL, 
    factor_type TEXT, 
    impact_level INTEGER, 
    triggers TEXT[], 
    coping_strategies TEXT[], 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_dysregulating_factors_impact_level CHECK (impact_level BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_dysregulating_factors.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_dysregulating_factors.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_role_model_traits (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    trait_name TEXT NOT NULL, 
    person_name TEXT, 
    trait_description TEXT, 
    aspiration_level INTEGER, 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_role_model_traits_aspiration_level CHECK (aspiration_level BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_role_model_traits.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_role_model_traits.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_growth_milestones (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    milestone_title TEXT NOT NULL, 
    milestone_description TEXT, 
    category TEXT, 
    date_achieved DATE, 
    significance_level INTEGER, 
    lessons_learned TEXT, 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_growth_milestones_significance_level CHECK (significance_level BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_growth_milestones.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_growth_milestones.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_emotional_patterns (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    pattern_name TEXT NOT NULL, 
    emotional_state TEXT, 
    triggers TEXT[], 
    duration_pattern TEXT, 
    intensity_level INTEGER, 
    coping_strategies TEXT[], 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_emotional_patterns_intensity_level CHECK (intensity_level BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_emotional_patterns.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_emotional_patterns.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_relationship_dynamics (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    dynamic_pattern TEXT, 
    relationship_type TEXT NOT NULL, 
    communication_style TEXT, 
    conflict_resolution TEXT, 
    emotional_safety_level INTEGER, 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_relationship_dynamics_emotional_safety_level CHECK (emotional_safety_level BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_relationship_dynamics.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_relationship_dynamics.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_growth_opportunities (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    opportunity_title TEXT NOT NULL, 
    opportunity_description TEXT, 
    area_of_growth TEXT, 
    readiness_level INTEGER, 
    potential_impact TEXT, 
    action_steps TEXT[], 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_growth_opportunities_readiness_level CHECK (readiness_level BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_growth_opportunities.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_growth_opportunities.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_risk_factors (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    risk_factor_name TEXT NOT NULL, 
    risk_category TEXT, 
    severity_level INTEGER, 
    triggers TEXT[], 
    warning_signs TEXT[], 
    safety_plan TEXT, 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_risk_factors_severity_level CHECK (severity_level BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_risk_factors.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_risk_factors.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_strengths (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    strength_name TEXT NOT NULL, 
    strength_category TEXT, 
    confidence_level INTEGER, 
    how_developed TEXT, 
    how_utilized TEXT, 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_strengths_confidence_level CHECK (confidence_level BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_strengths.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_strengths.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_mood_trends (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    mood_label TEXT, 
    recorded_date DATE NOT NULL, 
    mood_score INTEGER, 
    contributing_factors TEXT[], 
    notes TEXT, 
    position INTEGER, 
    legacy_value JSONB, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_mood_trends_mood_score CHECK (mood_score BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_mood_trends.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_mood_trends.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_emotional_states (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    state_name TEXT NOT NULL, 
    state_description TEXT, 
    physical_sensations TEXT[], 
    thoughts_patterns TEXT[], 
    behaviors TEXT[], 
    intensity_level INTEGER, 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_emotional_states_intensity_level CHECK (intensity_level BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_emotional_states.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_emotional_states.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_support_system (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    person_name TEXT NOT NULL, 
    relationship_type TEXT, 
    support_type TEXT[], 
    reliability_level INTEGER, 
    contact_info TEXT, 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_support_system_reliability_level CHECK (reliability_level BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_support_system.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_support_system.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_current_stressors (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    stressor_name TEXT NOT NULL, 
    stressor_type TEXT, 
    impact_level INTEGER, 
    duration TEXT, 
    coping_strategies TEXT[], 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_current_stressors_impact_level CHECK (impact_level BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_current_stressors.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_current_stressors.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_daily_habits (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    habit_name TEXT NOT NULL, 
    habit_category TEXT, 
    frequency TEXT, 
    consistency_level INTEGER, 
    impact_on_wellbeing TEXT, 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_daily_habits_consistency_level CHECK (consistency_level BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_daily_habits.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_daily_habits.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_substance_use (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    substance_name TEXT NOT NULL, 
    usage_pattern TEXT, 
    frequency TEXT, 
    impact_level INTEGER, 
    triggers TEXT[], 
    harm_reduction_strategies TEXT[], 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_substance_use_impact_level CHECK (impact_level BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_substance_use.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_substance_use.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_stuck_points (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    stuck_point TEXT NOT NULL, 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL
);

COMMENT ON COLUMN memory.user_stuck_points.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_stuck_points.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_trauma_patterns (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    pattern_name TEXT NOT NULL, 
    pattern_description TEXT, 
    trigger_events TEXT[], 
    emotional_response TEXT, 
    coping_strategies TEXT[], 
    severity_level INTEGER, 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_trauma_patterns_severity_level CHECK (severity_level BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_trauma_patterns.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_trauma_patterns.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_ancestral_issues (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    issue_name TEXT NOT NULL, 
    issue_description TEXT, 
    generational_impact TEXT, 
    current_manifestation TEXT, 
    healing_approaches TEXT[], 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL
);

COMMENT ON COLUMN memory.user_ancestral_issues.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_ancestral_issues.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_insight_notes (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    insight_content TEXT NOT NULL, 
    insight_title TEXT NOT NULL, 
    insight_category TEXT, 
    importance_level INTEGER, 
    related_themes TEXT[], 
    action_items TEXT[], 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_insight_notes_importance_level CHECK (importance_level BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_insight_notes.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_insight_notes.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_previous_therapy (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    therapy_type TEXT NOT NULL, 
    therapist_name TEXT, 
    duration TEXT, 
    effectiveness_rating INTEGER, 
    key_insights TEXT, 
    termination_reason TEXT, 
    position INTEGER, 
    legacy_value JSONB, 
    is_active BOOLEAN DEFAULT true NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_previous_therapy_effectiveness_rating CHECK (effectiveness_rating BETWEEN 1 AND 10)
);

COMMENT ON COLUMN memory.user_previous_therapy.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_previous_therapy.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_suicidal_thoughts (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    thought_content TEXT, 
    thought_date DATE NOT NULL, 
    intensity_level INTEGER, 
    risk_level INTEGER, 
    protective_factors TEXT[], 
    safety_plan_activated BOOLEAN DEFAULT false NOT NULL, 
    professional_help_sought BOOLEAN DEFAULT false NOT NULL, 
    position INTEGER, 
    legacy_value JSONB, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_suicidal_thoughts_intensity_level CHECK (intensity_level BETWEEN 1 AND 10), 
    CONSTRAINT ck_user_suicidal_thoughts_risk_level CHECK (risk_level BETWEEN 0 AND 3)
);

COMMENT ON COLUMN memory.user_suicidal_thoughts.position IS 'Place in the list: the legacy array''s order; items without one come last.';

COMMENT ON COLUMN memory.user_suicidal_thoughts.legacy_value IS 'The legacy JSON element when it was not a plain string (the item column then holds its JSON text).';

CREATE TABLE memory.user_profile_summary (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    spiritual_connection_level INTEGER, 
    personal_agency_level INTEGER, 
    boundaries_awareness INTEGER, 
    self_development_capacity INTEGER, 
    hard_truths_tolerance INTEGER, 
    awareness_level INTEGER, 
    suicidal_risk_level SMALLINT, 
    sleep_quality TEXT, 
    mood_score_initial INTEGER, 
    biggest_challenge TEXT, 
    biggest_obstacle TEXT, 
    motivation_for_joining TEXT, 
    hopes_to_achieve TEXT, 
    summary TEXT, 
    therapy_type TEXT, 
    therapy_duration TEXT, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now(), 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now(), 
    CONSTRAINT ck_user_profile_summary_spiritual_connection_level CHECK (spiritual_connection_level BETWEEN 1 AND 10), 
    CONSTRAINT ck_user_profile_summary_personal_agency_level CHECK (personal_agency_level BETWEEN 1 AND 10), 
    CONSTRAINT ck_user_profile_summary_boundaries_awareness CHECK (boundaries_awareness BETWEEN 1 AND 10), 
    CONSTRAINT ck_user_profile_summary_self_development_capacity CHECK (self_development_capacity BETWEEN 1 AND 10), 
    CONSTRAINT ck_user_profile_summary_hard_truths_tolerance CHECK (hard_truths_tolerance BETWEEN 1 AND 10), 
    CONSTRAINT ck_user_profile_summary_awareness_level CHECK (awareness_level BETWEEN 1 AND 10), 
    CONSTRAINT ck_user_profile_summary_suicidal_risk_level CHECK (suicidal_risk_level BETWEEN 0 AND 3)
);

CREATE TABLE memory.user_ai_preferences (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    ai_voice_style TEXT, 
    growth_vs_support TEXT, 
    pushback_level INTEGER, 
    self_awareness_level INTEGER, 
    goal_modeling_level INTEGER, 
    therapeutic_approach TEXT, 
    validation_vs_challenge INTEGER, 
    directness_level INTEGER, 
    emotional_tone TEXT, 
    reflection_depth INTEGER, 
    memory_recall_frequency INTEGER, 
    goal_focus_level INTEGER, 
    session_length_preference TEXT, 
    voice_output_style TEXT, 
    check_in_frequency TEXT, 
    crisis_sensitivity_level INTEGER, 
    preferred_language TEXT, 
    notes TEXT, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_ai_preferences_pushback_level CHECK (pushback_level BETWEEN 1 AND 10), 
    CONSTRAINT ck_user_ai_preferences_self_awareness_level CHECK (self_awareness_level BETWEEN 1 AND 10), 
    CONSTRAINT ck_user_ai_preferences_goal_modeling_level CHECK (goal_modeling_level BETWEEN 1 AND 10), 
    CONSTRAINT ck_user_ai_preferences_validation_vs_challenge CHECK (validation_vs_challenge BETWEEN 1 AND 10), 
    CONSTRAINT ck_user_ai_preferences_directness_level CHECK (directness_level BETWEEN 1 AND 10), 
    CONSTRAINT ck_user_ai_preferences_reflection_depth CHECK (reflection_depth BETWEEN 1 AND 10), 
    CONSTRAINT ck_user_ai_preferences_memory_recall_frequency CHECK (memory_recall_frequency BETWEEN 1 AND 10), 
    CONSTRAINT ck_user_ai_preferences_goal_focus_level CHECK (goal_focus_level BETWEEN 1 AND 10), 
    CONSTRAINT ck_user_ai_preferences_crisis_sensitivity_level CHECK (crisis_sensitivity_level BETWEEN 1 AND 10)
);

CREATE TABLE memory.user_therapy_preferences (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    preferred_therapy_styles TEXT[], 
    preferred_tone TEXT, 
    communication_style TEXT, 
    feedback_frequency TEXT, 
    session_length_preference INTEGER, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL
);

CREATE TABLE memory.user_sleep_routine (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    bedtime TEXT, 
    wake_time TEXT, 
    sleep_duration_hours NUMERIC, 
    sleep_quality_rating INTEGER, 
    sleep_hygiene_practices TEXT[], 
    sleep_issues TEXT[], 
    notes TEXT, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_sleep_routine_sleep_duration_hours CHECK (sleep_duration_hours BETWEEN 0 AND 24), 
    CONSTRAINT ck_user_sleep_routine_sleep_quality_rating CHECK (sleep_quality_rating BETWEEN 1 AND 10)
);

CREATE TABLE memory.user_relationship_status (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    current_status TEXT, 
    partner_name TEXT, 
    relationship_duration TEXT, 
    satisfaction_level INTEGER, 
    challenges TEXT[], 
    strengths TEXT[], 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_relationship_status_satisfaction_level CHECK (satisfaction_level BETWEEN 1 AND 10)
);

CREATE TABLE memory.user_living_situation (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    living_arrangement TEXT, 
    location TEXT, 
    housemates TEXT[], 
    financial_stability TEXT, 
    housing_satisfaction INTEGER, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_living_situation_housing_satisfaction CHECK (housing_satisfaction BETWEEN 1 AND 10)
);

CREATE TABLE memory.user_spiritual_path (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID NOT NULL, 
    spiritual_beliefs TEXT[], 
    practices TEXT[], 
    community_involvement TEXT, 
    connection_level INTEGER, 
    spiritual_challenges TEXT[], 
    spiritual_growth_goals TEXT[], 
    notes TEXT, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT ck_user_spiritual_path_connection_level CHECK (connection_level BETWEEN 1 AND 10)
);

CREATE TABLE memory.user_profile_legacy_values (
    user_id UUID NOT NULL, 
    field TEXT NOT NULL, 
    value JSONB NOT NULL
);

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.themes AS value, jsonb_typeof(p.themes) AS shape
            FROM memory.memory_profiles p
            WHERE p.themes IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'themes', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_themes (id, user_id, theme_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_themes:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.people AS value, jsonb_typeof(p.people) AS shape
            FROM memory.memory_profiles p
            WHERE p.people IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'people', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_people (id, user_id, name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_people:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.coping_tools AS value, jsonb_typeof(p.coping_tools) AS shape
            FROM memory.memory_profiles p
            WHERE p.coping_tools IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'coping_tools', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_coping_tools (id, user_id, tool_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_coping_tools:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.goals AS value, jsonb_typeof(p.goals) AS shape
            FROM memory.memory_profiles p
            WHERE p.goals IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'goals', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_goals (id, user_id, goal_title, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_goals:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.pattern_loops AS value, jsonb_typeof(p.pattern_loops) AS shape
            FROM memory.memory_profiles p
            WHERE p.pattern_loops IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'pattern_loops', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_pattern_loops (id, user_id, loop_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_pattern_loops:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.shadow_themes AS value, jsonb_typeof(p.shadow_themes) AS shape
            FROM memory.memory_profiles p
            WHERE p.shadow_themes IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'shadow_themes', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_shadow_themes (id, user_id, theme_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_shadow_themes:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.current_practices AS value, jsonb_typeof(p.current_practices) AS shape
            FROM memory.memory_profiles p
            WHERE p.current_practices IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'current_practices', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_current_practices (id, user_id, practice_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_current_practices:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.regulation_strategies AS value, jsonb_typeof(p.regulation_strategies) AS shape
            FROM memory.memory_profiles p
            WHERE p.regulation_strategies IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'regulation_strategies', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_regulation_strategies (id, user_id, strategy_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_regulation_strategies:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.dysregulating_factors AS value, jsonb_typeof(p.dysregulating_factors) AS shape
            FROM memory.memory_profiles p
            WHERE p.dysregulating_factors IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'dysregulating_factors', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_dysregulating_factors (id, user_id, factor_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_dysregulating_factors:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.role_model_traits AS value, jsonb_typeof(p.role_model_traits) AS shape
            FROM memory.memory_profiles p
            WHERE p.role_model_traits IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'role_model_traits', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_role_model_traits (id, user_id, trait_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_role_model_traits:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.growth_milestones AS value, jsonb_typeof(p.growth_milestones) AS shape
            FROM memory.memory_profiles p
            WHERE p.growth_milestones IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'growth_milestones', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_growth_milestones (id, user_id, milestone_title, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_growth_milestones:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.emotional_patterns AS value, jsonb_typeof(p.emotional_patterns) AS shape
            FROM memory.memory_profiles p
            WHERE p.emotional_patterns IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'emotional_patterns', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_emotional_patterns (id, user_id, pattern_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_emotional_patterns:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.relationship_dynamics AS value, jsonb_typeof(p.relationship_dynamics) AS shape
            FROM memory.memory_profiles p
            WHERE p.relationship_dynamics IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'relationship_dynamics', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_relationship_dynamics (id, user_id, dynamic_pattern, position,
                                           legacy_value, created_at, updated_at, relationship_type)
        SELECT md5('user_relationship_dynamics:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at, 'unspecified'
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.growth_opportunities AS value, jsonb_typeof(p.growth_opportunities) AS shape
            FROM memory.memory_profiles p
            WHERE p.growth_opportunities IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'growth_opportunities', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_growth_opportunities (id, user_id, opportunity_title, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_growth_opportunities:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.risk_factors AS value, jsonb_typeof(p.risk_factors) AS shape
            FROM memory.memory_profiles p
            WHERE p.risk_factors IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'risk_factors', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_risk_factors (id, user_id, risk_factor_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_risk_factors:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.strengths AS value, jsonb_typeof(p.strengths) AS shape
            FROM memory.memory_profiles p
            WHERE p.strengths IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'strengths', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_strengths (id, user_id, strength_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_strengths:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.mood_trends AS value, jsonb_typeof(p.mood_trends) AS shape
            FROM memory.memory_profiles p
            WHERE p.mood_trends IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'mood_trends', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_mood_trends (id, user_id, mood_label, position,
                                           legacy_value, created_at, updated_at, recorded_date)
        SELECT md5('user_mood_trends:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at, (profile.updated_at AT TIME ZONE 'UTC')::date
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.emotional_states_initial AS value, jsonb_typeof(p.emotional_states_initial) AS shape
            FROM memory.memory_profiles p
            WHERE p.emotional_states_initial IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'emotional_states_initial', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_emotional_states (id, user_id, state_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_emotional_states:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.support_system AS value, jsonb_typeof(p.support_system) AS shape
            FROM memory.memory_profiles p
            WHERE p.support_system IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'support_system', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_support_system (id, user_id, person_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_support_system:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.current_stressors AS value, jsonb_typeof(p.current_stressors) AS shape
            FROM memory.memory_profiles p
            WHERE p.current_stressors IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'current_stressors', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_current_stressors (id, user_id, stressor_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_current_stressors:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.daily_habits AS value, jsonb_typeof(p.daily_habits) AS shape
            FROM memory.memory_profiles p
            WHERE p.daily_habits IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'daily_habits', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_daily_habits (id, user_id, habit_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_daily_habits:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.substance_use AS value, jsonb_typeof(p.substance_use) AS shape
            FROM memory.memory_profiles p
            WHERE p.substance_use IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'substance_use', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_substance_use (id, user_id, substance_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_substance_use:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.stuck_points AS value, jsonb_typeof(p.stuck_points) AS shape
            FROM memory.memory_profiles p
            WHERE p.stuck_points IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'stuck_points', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_stuck_points (id, user_id, stuck_point, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_stuck_points:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.trauma_patterns AS value, jsonb_typeof(p.trauma_patterns) AS shape
            FROM memory.memory_profiles p
            WHERE p.trauma_patterns IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'trauma_patterns', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_trauma_patterns (id, user_id, pattern_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_trauma_patterns:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.ancestral_issues AS value, jsonb_typeof(p.ancestral_issues) AS shape
            FROM memory.memory_profiles p
            WHERE p.ancestral_issues IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'ancestral_issues', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_ancestral_issues (id, user_id, issue_name, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_ancestral_issues:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.insight_notes AS value, jsonb_typeof(p.insight_notes) AS shape
            FROM memory.memory_profiles p
            WHERE p.insight_notes IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'insight_notes', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_insight_notes (id, user_id, insight_content, position,
                                           legacy_value, created_at, updated_at, insight_title)
        SELECT md5('user_insight_notes:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at, left(CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, 100)
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.previous_therapy AS value, jsonb_typeof(p.previous_therapy) AS shape
            FROM memory.memory_profiles p
            WHERE p.previous_therapy IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'previous_therapy', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_previous_therapy (id, user_id, therapy_type, position,
                                           legacy_value, created_at, updated_at)
        SELECT md5('user_previous_therapy:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, coalesce(p.created_at, p.updated_at, now()) AS created_at, coalesce(p.updated_at, p.created_at, now()) AS updated_at,
                   p.suicidal_thoughts_initial AS value, jsonb_typeof(p.suicidal_thoughts_initial) AS shape
            FROM memory.memory_profiles p
            WHERE p.suicidal_thoughts_initial IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
            SELECT user_id, 'suicidal_thoughts_initial', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO memory.user_suicidal_thoughts (id, user_id, thought_content, position,
                                           legacy_value, created_at, updated_at, thought_date)
        SELECT md5('user_suicidal_thoughts:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{}' ELSE e.value::text END, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at, (profile.updated_at AT TIME ZONE 'UTC')::date
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null';

INSERT INTO memory.user_profile_summary (id, user_id, spiritual_connection_level, personal_agency_level, boundaries_awareness, self_development_capacity, hard_truths_tolerance, awareness_level, suicidal_risk_level,
            sleep_quality, mood_score_initial, biggest_challenge, biggest_obstacle, motivation_for_joining, hopes_to_achieve, summary, therapy_type, therapy_duration, created_at, updated_at)
        SELECT p.id, p.user_id, p.spiritual_connection_level, p.personal_agency_level, p.boundaries_awareness, p.self_development_capacity, p.hard_truths_tolerance, p.awareness_level,
               p.suicidal_risk_level, p.sleep_quality, p.mood_score_initial,
               CASE jsonb_typeof(p.biggest_challenge)
        WHEN 'string' THEN p.biggest_challenge #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE p.biggest_challenge::text END
            FROM jsonb_array_elements(p.biggest_challenge) WITH ORDINALITY AS a(item, n))
        ELSE p.biggest_challenge::text
    END, CASE jsonb_typeof(p.biggest_obstacle)
        WHEN 'string' THEN p.biggest_obstacle #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE p.biggest_obstacle::text END
            FROM jsonb_array_elements(p.biggest_obstacle) WITH ORDINALITY AS a(item, n))
        ELSE p.biggest_obstacle::text
    END, CASE jsonb_typeof(p.motivation_for_joining)
        WHEN 'string' THEN p.motivation_for_joining #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE p.motivation_for_joining::text END
            FROM jsonb_array_elements(p.motivation_for_joining) WITH ORDINALITY AS a(item, n))
        ELSE p.motivation_for_joining::text
    END, CASE jsonb_typeof(p.hopes_to_achieve)
        WHEN 'string' THEN p.hopes_to_achieve #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE p.hopes_to_achieve::text END
            FROM jsonb_array_elements(p.hopes_to_achieve) WITH ORDINALITY AS a(item, n))
        ELSE p.hopes_to_achieve::text
    END, CASE jsonb_typeof(p.summary)
        WHEN 'string' THEN p.summary #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE p.summary::text END
            FROM jsonb_array_elements(p.summary) WITH ORDINALITY AS a(item, n))
        ELSE p.summary::text
    END, CASE jsonb_typeof(p.therapy_type)
        WHEN 'string' THEN p.therapy_type #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE p.therapy_type::text END
            FROM jsonb_array_elements(p.therapy_type) WITH ORDINALITY AS a(item, n))
        ELSE p.therapy_type::text
    END, CASE jsonb_typeof(p.therapy_duration)
        WHEN 'string' THEN p.therapy_duration #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE p.therapy_duration::text END
            FROM jsonb_array_elements(p.therapy_duration) WITH ORDINALITY AS a(item, n))
        ELSE p.therapy_duration::text
    END,
               p.created_at, p.updated_at
        FROM memory.memory_profiles p;

INSERT INTO memory.user_ai_preferences
                (id, user_id, therapeutic_approach, created_at, updated_at)
            SELECT md5('user_ai_preferences:' || p.id)::uuid, p.user_id,
                   CASE jsonb_typeof(p.therapeutic_approach)
        WHEN 'string' THEN p.therapeutic_approach #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE p.therapeutic_approach::text END
            FROM jsonb_array_elements(p.therapeutic_approach) WITH ORDINALITY AS a(item, n))
        ELSE p.therapeutic_approach::text
    END, coalesce(p.created_at, p.updated_at, now()), coalesce(p.updated_at, p.created_at, now())
            FROM memory.memory_profiles p
            WHERE p.therapeutic_approach IS NOT NULL;

INSERT INTO memory.user_therapy_preferences
                (id, user_id, preferred_tone, preferred_therapy_styles, created_at, updated_at)
            SELECT md5('user_therapy_preferences:' || p.id)::uuid, p.user_id,
                   CASE jsonb_typeof(p.preferred_tone)
        WHEN 'string' THEN p.preferred_tone #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE p.preferred_tone::text END
            FROM jsonb_array_elements(p.preferred_tone) WITH ORDINALITY AS a(item, n))
        ELSE p.preferred_tone::text
    END, CASE coalesce(jsonb_typeof(p.preferred_therapy_styles), 'null')
        WHEN 'null' THEN NULL
        WHEN 'array' THEN ARRAY(
            SELECT CASE WHEN jsonb_typeof(a.item) = 'string' THEN a.item #>> '{}' ELSE a.item::text END
            FROM jsonb_array_elements(p.preferred_therapy_styles) WITH ORDINALITY AS a(item, n) ORDER BY n)
        ELSE ARRAY[CASE WHEN jsonb_typeof(p.preferred_therapy_styles) = 'string' THEN p.preferred_therapy_styles #>> '{}' ELSE p.preferred_therapy_styles::text END]
    END, coalesce(p.created_at, p.updated_at, now()), coalesce(p.updated_at, p.created_at, now())
            FROM memory.memory_profiles p
            WHERE p.preferred_tone IS NOT NULL OR p.preferred_therapy_styles IS NOT NULL;

INSERT INTO memory.user_sleep_routine
                (id, user_id, notes, created_at, updated_at)
            SELECT md5('user_sleep_routine:' || p.id)::uuid, p.user_id,
                   CASE jsonb_typeof(p.sleep_routine)
        WHEN 'string' THEN p.sleep_routine #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE p.sleep_routine::text END
            FROM jsonb_array_elements(p.sleep_routine) WITH ORDINALITY AS a(item, n))
        ELSE p.sleep_routine::text
    END, coalesce(p.created_at, p.updated_at, now()), coalesce(p.updated_at, p.created_at, now())
            FROM memory.memory_profiles p
            WHERE p.sleep_routine IS NOT NULL;

INSERT INTO memory.user_relationship_status
                (id, user_id, current_status, created_at, updated_at)
            SELECT md5('user_relationship_status:' || p.id)::uuid, p.user_id,
                   CASE jsonb_typeof(p.relationship_status)
        WHEN 'string' THEN p.relationship_status #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE p.relationship_status::text END
            FROM jsonb_array_elements(p.relationship_status) WITH ORDINALITY AS a(item, n))
        ELSE p.relationship_status::text
    END, coalesce(p.created_at, p.updated_at, now()), coalesce(p.updated_at, p.created_at, now())
            FROM memory.memory_profiles p
            WHERE p.relationship_status IS NOT NULL;

INSERT INTO memory.user_living_situation
                (id, user_id, living_arrangement, created_at, updated_at)
            SELECT md5('user_living_situation:' || p.id)::uuid, p.user_id,
                   CASE jsonb_typeof(p.living_situation)
        WHEN 'string' THEN p.living_situation #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE p.living_situation::text END
            FROM jsonb_array_elements(p.living_situation) WITH ORDINALITY AS a(item, n))
        ELSE p.living_situation::text
    END, coalesce(p.created_at, p.updated_at, now()), coalesce(p.updated_at, p.created_at, now())
            FROM memory.memory_profiles p
            WHERE p.living_situation IS NOT NULL;

INSERT INTO memory.user_spiritual_path
                (id, user_id, notes, created_at, updated_at)
            SELECT md5('user_spiritual_path:' || p.id)::uuid, p.user_id,
                   CASE jsonb_typeof(p.spiritual_path_notes)
        WHEN 'string' THEN p.spiritual_path_notes #>> '{}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{}', '; ' ORDER BY n) ELSE p.spiritual_path_notes::text END
            FROM jsonb_array_elements(p.spiritual_path_notes) WITH ORDINALITY AS a(item, n))
        ELSE p.spiritual_path_notes::text
    END, coalesce(p.created_at, p.updated_at, now()), coalesce(p.updated_at, p.created_at, now())
            FROM memory.memory_profiles p
            WHERE p.spiritual_path_notes IS NOT NULL;

INSERT INTO memory.user_profile_legacy_values (user_id, field, value)
        SELECT p.user_id, a.field, a.value
        FROM memory.memory_profiles p CROSS JOIN LATERAL (VALUES ('biggest_challenge', p.biggest_challenge), ('biggest_obstacle', p.biggest_obstacle), ('motivation_for_joining', p.motivation_for_joining), ('hopes_to_achieve', p.hopes_to_achieve), ('summary', p.summary), ('therapy_type', p.therapy_type), ('therapy_duration', p.therapy_duration), ('therapeutic_approach', p.therapeutic_approach), ('preferred_tone', p.preferred_tone), ('sleep_routine', p.sleep_routine), ('relationship_status', p.relationship_status), ('living_situation', p.living_situation), ('spiritual_path_notes', p.spiritual_path_notes)) AS a(field, value)
        WHERE jsonb_typeof(a.value) <> 'string'
        UNION ALL
        SELECT p.user_id, a.field, a.value
        FROM memory.memory_profiles p CROSS JOIN LATERAL (VALUES ('preferred_therapy_styles', p.preferred_therapy_styles)) AS a(field, value)
        WHERE a.value IS NOT NULL AND CASE WHEN jsonb_typeof(a.value) = 'array'
        THEN EXISTS (SELECT FROM jsonb_array_elements(a.value) AS a(item)
                     WHERE jsonb_typeof(a.item) <> 'string')
        ELSE true
    END;

WITH filled AS (
                UPDATE memory.user_profile_summary t SET created_at = coalesce(t.updated_at, now()) WHERE t.created_at IS NULL
                RETURNING t.id AS row_id, t.user_id, t.created_at::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_profile_summary', row_id, 'created_at', user_id, filled FROM filled;

ALTER TABLE memory.user_profile_summary ALTER COLUMN created_at SET NOT NULL;

WITH filled AS (
                UPDATE memory.user_profile_summary t SET updated_at = t.created_at WHERE t.updated_at IS NULL
                RETURNING t.id AS row_id, t.user_id, t.updated_at::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_profile_summary', row_id, 'updated_at', user_id, filled FROM filled;

ALTER TABLE memory.user_profile_summary ALTER COLUMN updated_at SET NOT NULL;

ALTER TABLE memory.user_themes ADD CONSTRAINT pk_user_themes PRIMARY KEY (id);

CREATE INDEX ix_user_themes_user_id ON memory.user_themes (user_id);

ALTER TABLE memory.user_people ADD CONSTRAINT pk_user_people PRIMARY KEY (id);

CREATE INDEX ix_user_people_user_id ON memory.user_people (user_id);

ALTER TABLE memory.user_coping_tools ADD CONSTRAINT pk_user_coping_tools PRIMARY KEY (id);

CREATE INDEX ix_user_coping_tools_user_id ON memory.user_coping_tools (user_id);

ALTER TABLE memory.user_goals ADD CONSTRAINT pk_user_goals PRIMARY KEY (id);

CREATE INDEX ix_user_goals_user_id ON memory.user_goals (user_id);

ALTER TABLE memory.user_pattern_loops ADD CONSTRAINT pk_user_pattern_loops PRIMARY KEY (id);

CREATE INDEX ix_user_pattern_loops_user_id ON memory.user_pattern_loops (user_id);

ALTER TABLE memory.user_shadow_themes ADD CONSTRAINT pk_user_shadow_themes PRIMARY KEY (id);

CREATE INDEX ix_user_shadow_themes_user_id ON memory.user_shadow_themes (user_id);

ALTER TABLE memory.user_current_practices ADD CONSTRAINT pk_user_current_practices PRIMARY KEY (id);

CREATE INDEX ix_user_current_practices_user_id ON memory.user_current_practices (user_id);

ALTER TABLE memory.user_regulation_strategies ADD CONSTRAINT pk_user_regulation_strategies PRIMARY KEY (id);

CREATE INDEX ix_user_regulation_strategies_user_id ON memory.user_regulation_strategies (user_id);

ALTER TABLE memory.user_dysregulating_factors ADD CONSTRAINT pk_user_dysregulating_factors PRIMARY KEY (id);

CREATE INDEX ix_user_dysregulating_factors_user_id ON memory.user_dysregulating_factors (user_id);

ALTER TABLE memory.user_role_model_traits ADD CONSTRAINT pk_user_role_model_traits PRIMARY KEY (id);

CREATE INDEX ix_user_role_model_traits_user_id ON memory.user_role_model_traits (user_id);

ALTER TABLE memory.user_growth_milestones ADD CONSTRAINT pk_user_growth_milestones PRIMARY KEY (id);

CREATE INDEX ix_user_growth_milestones_user_id ON memory.user_growth_milestones (user_id);

ALTER TABLE memory.user_emotional_patterns ADD CONSTRAINT pk_user_emotional_patterns PRIMARY KEY (id);

CREATE INDEX ix_user_emotional_patterns_user_id ON memory.user_emotional_patterns (user_id);

ALTER TABLE memory.user_relationship_dynamics ADD CONSTRAINT pk_user_relationship_dynamics PRIMARY KEY (id);

CREATE INDEX ix_user_relationship_dynamics_user_id ON memory.user_relationship_dynamics (user_id);

ALTER TABLE memory.user_growth_opportunities ADD CONSTRAINT pk_user_growth_opportunities PRIMARY KEY (id);

CREATE INDEX ix_user_growth_opportunities_user_id ON memory.user_growth_opportunities (user_id);

ALTER TABLE memory.user_risk_factors ADD CONSTRAINT pk_user_risk_factors PRIMARY KEY (id);

CREATE INDEX ix_user_risk_factors_user_id ON memory.user_risk_factors (user_id);

ALTER TABLE memory.user_strengths ADD CONSTRAINT pk_user_strengths PRIMARY KEY (id);

CREATE INDEX ix_user_strengths_user_id ON memory.user_strengths (user_id);

ALTER TABLE memory.user_mood_trends ADD CONSTRAINT pk_user_mood_trends PRIMARY KEY (id);

CREATE INDEX ix_user_mood_trends_user_id ON memory.user_mood_trends (user_id);

ALTER TABLE memory.user_emotional_states ADD CONSTRAINT pk_user_emotional_states PRIMARY KEY (id);

CREATE INDEX ix_user_emotional_states_user_id ON memory.user_emotional_states (user_id);

ALTER TABLE memory.user_support_system ADD CONSTRAINT pk_user_support_system PRIMARY KEY (id);

CREATE INDEX ix_user_support_system_user_id ON memory.user_support_system (user_id);

ALTER TABLE memory.user_current_stressors ADD CONSTRAINT pk_user_current_stressors PRIMARY KEY (id);

CREATE INDEX ix_user_current_stressors_user_id ON memory.user_current_stressors (user_id);

ALTER TABLE memory.user_daily_habits ADD CONSTRAINT pk_user_daily_habits PRIMARY KEY (id);

CREATE INDEX ix_user_daily_habits_user_id ON memory.user_daily_habits (user_id);

ALTER TABLE memory.user_substance_use ADD CONSTRAINT pk_user_substance_use PRIMARY KEY (id);

CREATE INDEX ix_user_substance_use_user_id ON memory.user_substance_use (user_id);

ALTER TABLE memory.user_stuck_points ADD CONSTRAINT pk_user_stuck_points PRIMARY KEY (id);

CREATE INDEX ix_user_stuck_points_user_id ON memory.user_stuck_points (user_id);

ALTER TABLE memory.user_trauma_patterns ADD CONSTRAINT pk_user_trauma_patterns PRIMARY KEY (id);

CREATE INDEX ix_user_trauma_patterns_user_id ON memory.user_trauma_patterns (user_id);

ALTER TABLE memory.user_ancestral_issues ADD CONSTRAINT pk_user_ancestral_issues PRIMARY KEY (id);

CREATE INDEX ix_user_ancestral_issues_user_id ON memory.user_ancestral_issues (user_id);

ALTER TABLE memory.user_insight_notes ADD CONSTRAINT pk_user_insight_notes PRIMARY KEY (id);

CREATE INDEX ix_user_insight_notes_user_id ON memory.user_insight_notes (user_id);

ALTER TABLE memory.user_previous_therapy ADD CONSTRAINT pk_user_previous_therapy PRIMARY KEY (id);

CREATE INDEX ix_user_previous_therapy_user_id ON memory.user_previous_therapy (user_id);

ALTER TABLE memory.user_suicidal_thoughts ADD CONSTRAINT pk_user_suicidal_thoughts PRIMARY KEY (id);

CREATE INDEX ix_user_suicidal_thoughts_user_id ON memory.user_suicidal_thoughts (user_id);

ALTER TABLE memory.user_profile_summary ADD CONSTRAINT pk_user_profile_summary PRIMARY KEY (id);

ALTER TABLE memory.user_profile_summary ADD CONSTRAINT uq_user_profile_summary_user_id UNIQUE (user_id);

ALTER TABLE memory.user_ai_preferences ADD CONSTRAINT pk_user_ai_preferences PRIMARY KEY (id);

ALTER TABLE memory.user_ai_preferences ADD CONSTRAINT uq_user_ai_preferences_user_id UNIQUE (user_id);

ALTER TABLE memory.user_therapy_preferences ADD CONSTRAINT pk_user_therapy_preferences PRIMARY KEY (id);

ALTER TABLE memory.user_therapy_preferences ADD CONSTRAINT uq_user_therapy_preferences_user_id UNIQUE (user_id);

ALTER TABLE memory.user_sleep_routine ADD CONSTRAINT pk_user_sleep_routine PRIMARY KEY (id);

ALTER TABLE memory.user_sleep_routine ADD CONSTRAINT uq_user_sleep_routine_user_id UNIQUE (user_id);

ALTER TABLE memory.user_relationship_status ADD CONSTRAINT pk_user_relationship_status PRIMARY KEY (id);

ALTER TABLE memory.user_relationship_status ADD CONSTRAINT uq_user_relationship_status_user_id UNIQUE (user_id);

ALTER TABLE memory.user_living_situation ADD CONSTRAINT pk_user_living_situation PRIMARY KEY (id);

ALTER TABLE memory.user_living_situation ADD CONSTRAINT uq_user_living_situation_user_id UNIQUE (user_id);

ALTER TABLE memory.user_spiritual_path ADD CONSTRAINT pk_user_spiritual_path PRIMARY KEY (id);

ALTER TABLE memory.user_spiritual_path ADD CONSTRAINT uq_user_spiritual_path_user_id UNIQUE (user_id);

ALTER TABLE memory.user_profile_legacy_values ADD CONSTRAINT pk_user_profile_legacy_values PRIMARY KEY (user_id, field);

ALTER TABLE memory.user_themes ADD CONSTRAINT fk_user_themes_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_people ADD CONSTRAINT fk_user_people_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_coping_tools ADD CONSTRAINT fk_user_coping_tools_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_goals ADD CONSTRAINT fk_user_goals_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_pattern_loops ADD CONSTRAINT fk_user_pattern_loops_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_shadow_themes ADD CONSTRAINT fk_user_shadow_themes_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_current_practices ADD CONSTRAINT fk_user_current_practices_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_regulation_strategies ADD CONSTRAINT fk_user_regulation_strategies_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_dysregulating_factors ADD CONSTRAINT fk_user_dysregulating_factors_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_role_model_traits ADD CONSTRAINT fk_user_role_model_traits_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_growth_milestones ADD CONSTRAINT fk_user_growth_milestones_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_emotional_patterns ADD CONSTRAINT fk_user_emotional_patterns_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_relationship_dynamics ADD CONSTRAINT fk_user_relationship_dynamics_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_growth_opportunities ADD CONSTRAINT fk_user_growth_opportunities_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_risk_factors ADD CONSTRAINT fk_user_risk_factors_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_strengths ADD CONSTRAINT fk_user_strengths_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_mood_trends ADD CONSTRAINT fk_user_mood_trends_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_emotional_states ADD CONSTRAINT fk_user_emotional_states_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_support_system ADD CONSTRAINT fk_user_support_system_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_current_stressors ADD CONSTRAINT fk_user_current_stressors_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_daily_habits ADD CONSTRAINT fk_user_daily_habits_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_substance_use ADD CONSTRAINT fk_user_substance_use_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_stuck_points ADD CONSTRAINT fk_user_stuck_points_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_trauma_patterns ADD CONSTRAINT fk_user_trauma_patterns_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_ancestral_issues ADD CONSTRAINT fk_user_ancestral_issues_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_insight_notes ADD CONSTRAINT fk_user_insight_notes_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_previous_therapy ADD CONSTRAINT fk_user_previous_therapy_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_suicidal_thoughts ADD CONSTRAINT fk_user_suicidal_thoughts_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_profile_summary ADD CONSTRAINT fk_user_profile_summary_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_ai_preferences ADD CONSTRAINT fk_user_ai_preferences_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_therapy_preferences ADD CONSTRAINT fk_user_therapy_preferences_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_sleep_routine ADD CONSTRAINT fk_user_sleep_routine_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_relationship_status ADD CONSTRAINT fk_user_relationship_status_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_living_situation ADD CONSTRAINT fk_user_living_situation_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_spiritual_path ADD CONSTRAINT fk_user_spiritual_path_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_profile_legacy_values ADD CONSTRAINT fk_user_profile_legacy_values_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_themes" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_people" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_coping_tools" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_goals" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_pattern_loops" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_shadow_themes" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_current_practices" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_regulation_strategies" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_dysregulating_factors" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_role_model_traits" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_growth_milestones" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_emotional_patterns" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_relationship_dynamics" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_growth_opportunities" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_risk_factors" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_strengths" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_mood_trends" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_emotional_states" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_support_system" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_current_stressors" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_daily_habits" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_substance_use" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_stuck_points" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_trauma_patterns" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_ancestral_issues" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_insight_notes" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_previous_therapy" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_suicidal_thoughts" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_profile_summary" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_ai_preferences" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_therapy_preferences" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_sleep_routine" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_relationship_status" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_living_situation" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_spiritual_path" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

INSERT INTO public.migration_reconciliation (revision, target, source_rows, moved_rows, rejected_rows)
        VALUES ('memory_normalized', 'memory.user_profile_summary', (SELECT (SELECT count(*) FROM memory.memory_profiles) + (SELECT count(*) FROM memory.memory_profiles_rejected)), (SELECT count(*) FROM memory.memory_profiles p WHERE EXISTS (SELECT FROM memory.user_profile_summary s WHERE s.id = p.id)), (SELECT count(*) FROM memory.memory_profiles_rejected));

DROP TABLE memory.memory_profiles;

CREATE TABLE memory.conversations_rejected (
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
    reason TEXT NOT NULL, 
    CONSTRAINT pk_conversations_rejected PRIMARY KEY (id)
);

CREATE TABLE memory.conversation_messages_rejected (
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
    reason TEXT NOT NULL, 
    CONSTRAINT pk_conversation_messages_rejected PRIMARY KEY (id)
);

CREATE TABLE memory.crisis_flags_rejected (
    id UUID DEFAULT gen_random_uuid() NOT NULL, 
    user_id UUID, 
    session_id UUID, 
    flag_type TEXT, 
    triggered_at TIMESTAMP WITH TIME ZONE, 
    reviewed BOOLEAN, 
    reason TEXT NOT NULL, 
    CONSTRAINT pk_crisis_flags_rejected PRIMARY KEY (id)
);

INSERT INTO memory.conversations_rejected (id, user_id, started_at, ended_at, title, context_summary, mood_at_start, mood_at_end, context_json, created_at, description, reason)
        SELECT t.id, t.user_id, t.started_at, t.ended_at, t.title, t.context_summary, t.mood_at_start, t.mood_at_end, t.context_json, t.created_at, t.description, r.reason
        FROM memory.conversations t
        JOIN (SELECT t.id, CASE 
    WHEN t.user_id IS NULL THEN 'no user_id'
    WHEN NOT EXISTS (SELECT FROM public.users u WHERE u.id = t.user_id) THEN 'user not found'
 END AS reason FROM memory.conversations t) r ON r.id = t.id
        WHERE r.reason IS NOT NULL;

INSERT INTO memory.conversation_messages_rejected (id, user_id, conversation_id, created_at, input_type, input_transcript, gpt_response, audio_response_url, summary, mood_at_time, flagged, tags, reason)
        SELECT t.id, t.user_id, t.conversation_id, t.created_at, t.input_type, t.input_transcript, t.gpt_response, t.audio_response_url, t.summary, t.mood_at_time, t.flagged, t.tags, r.reason
        FROM memory.conversation_messages t
        JOIN (SELECT t.id, CASE 
    WHEN t.user_id IS NULL THEN 'no user_id'
    WHEN NOT EXISTS (SELECT FROM public.users u WHERE u.id = t.user_id) THEN 'user not found'

            WHEN EXISTS (SELECT FROM memory.conversations_rejected r
                         WHERE r.id = t.conversation_id) THEN 'conversation rejected'
            WHEN t.conversation_id IS NOT NULL AND NOT EXISTS (
                SELECT FROM memory.conversations c WHERE c.id = t.conversation_id
            ) THEN 'conversation not found'
        END AS reason FROM memory.conversation_messages t) r ON r.id = t.id
        WHERE r.reason IS NOT NULL;

INSERT INTO memory.crisis_flags_rejected (id, user_id, session_id, flag_type, triggered_at, reviewed, reason)
        SELECT t.id, t.user_id, t.session_id, t.flag_type, t.triggered_at, t.reviewed, r.reason
        FROM memory.crisis_flags t
        JOIN (SELECT t.id, CASE 
    WHEN t.user_id IS NULL THEN 'no user_id'
    WHEN NOT EXISTS (SELECT FROM public.users u WHERE u.id = t.user_id) THEN 'user not found'

            WHEN EXISTS (SELECT FROM memory.conversation_messages_rejected r
                         WHERE r.id = t.session_id) THEN 'message rejected'
        END AS reason FROM memory.crisis_flags t) r ON r.id = t.id
        WHERE r.reason IS NOT NULL;

DELETE FROM memory.crisis_flags t USING memory.crisis_flags_rejected r WHERE r.id = t.id;

DELETE FROM memory.conversation_messages t USING memory.conversation_messages_rejected r WHERE r.id = t.id;

DELETE FROM memory.conversations t USING memory.conversations_rejected r WHERE r.id = t.id;

INSERT INTO public.migration_reconciliation (revision, target, source_rows, moved_rows, rejected_rows)
        VALUES ('memory_normalized', 'memory.user_conversations', (SELECT (SELECT count(*) FROM memory.conversations) + (SELECT count(*) FROM memory.conversations_rejected)), (SELECT count(*) FROM memory.conversations), (SELECT count(*) FROM memory.conversations_rejected));

INSERT INTO public.migration_reconciliation (revision, target, source_rows, moved_rows, rejected_rows)
        VALUES ('memory_normalized', 'memory.user_conversation_messages', (SELECT (SELECT count(*) FROM memory.conversation_messages) + (SELECT count(*) FROM memory.conversation_messages_rejected)), (SELECT count(*) FROM memory.conversation_messages), (SELECT count(*) FROM memory.conversation_messages_rejected));

INSERT INTO public.migration_reconciliation (revision, target, source_rows, moved_rows, rejected_rows)
        VALUES ('memory_normalized', 'memory.user_crisis_flags', (SELECT (SELECT count(*) FROM memory.crisis_flags) + (SELECT count(*) FROM memory.crisis_flags_rejected)), (SELECT count(*) FROM memory.crisis_flags), (SELECT count(*) FROM memory.crisis_flags_rejected));

ALTER TABLE memory.crisis_flags DROP CONSTRAINT fk_crisis_flags_session_id_conversation_messages;

ALTER TABLE memory.conversations RENAME TO user_conversations;

ALTER TABLE memory.user_conversations RENAME CONSTRAINT pk_conversations TO pk_user_conversations;

ALTER TABLE memory.user_conversations ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE memory.conversation_messages RENAME TO user_conversation_messages;

ALTER TABLE memory.user_conversation_messages RENAME CONSTRAINT pk_conversation_messages TO pk_user_conversation_messages;

ALTER TABLE memory.user_conversation_messages ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE memory.crisis_flags RENAME TO user_crisis_flags;

ALTER TABLE memory.user_crisis_flags RENAME CONSTRAINT pk_crisis_flags TO pk_user_crisis_flags;

ALTER TABLE memory.user_crisis_flags ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE memory.user_crisis_flags ADD COLUMN created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL;

ALTER TABLE memory.user_conversations ADD COLUMN updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL;

WITH filled AS (
                UPDATE memory.user_conversations t SET started_at = coalesce(t.created_at, now()) WHERE t.started_at IS NULL
                RETURNING t.id AS row_id, t.user_id, t.started_at::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_conversations', row_id, 'started_at', user_id, filled FROM filled;

ALTER TABLE memory.user_conversations ALTER COLUMN started_at SET NOT NULL;

WITH filled AS (
                UPDATE memory.user_conversations t SET created_at = t.started_at WHERE t.created_at IS NULL
                RETURNING t.id AS row_id, t.user_id, t.created_at::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_conversations', row_id, 'created_at', user_id, filled FROM filled;

ALTER TABLE memory.user_conversations ALTER COLUMN created_at SET NOT NULL;

ALTER TABLE memory.user_conversation_messages ADD COLUMN updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL;

WITH filled AS (
                UPDATE memory.user_conversation_messages t SET created_at = now() WHERE t.created_at IS NULL
                RETURNING t.id AS row_id, t.user_id, t.created_at::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_conversation_messages', row_id, 'created_at', user_id, filled FROM filled;

ALTER TABLE memory.user_conversation_messages ALTER COLUMN created_at SET NOT NULL;

WITH filled AS (
                UPDATE memory.user_conversation_messages t SET flagged = false WHERE t.flagged IS NULL
                RETURNING t.id AS row_id, t.user_id, t.flagged::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_conversation_messages', row_id, 'flagged', user_id, filled FROM filled;

ALTER TABLE memory.user_conversation_messages ALTER COLUMN flagged SET NOT NULL;

ALTER TABLE memory.user_crisis_flags ADD COLUMN updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL;

WITH filled AS (
                UPDATE memory.user_crisis_flags t SET flag_type = 'unspecified' WHERE t.flag_type IS NULL
                RETURNING t.id AS row_id, t.user_id, t.flag_type::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_crisis_flags', row_id, 'flag_type', user_id, filled FROM filled;

ALTER TABLE memory.user_crisis_flags ALTER COLUMN flag_type SET NOT NULL;

WITH filled AS (
                UPDATE memory.user_crisis_flags t SET triggered_at = coalesce((SELECT m.created_at FROM memory.user_conversation_messages m WHERE m.id = t.session_id), now()) WHERE t.triggered_at IS NULL
                RETURNING t.id AS row_id, t.user_id, t.triggered_at::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_crisis_flags', row_id, 'triggered_at', user_id, filled FROM filled;

ALTER TABLE memory.user_crisis_flags ALTER COLUMN triggered_at SET NOT NULL;

WITH filled AS (
                UPDATE memory.user_crisis_flags t SET reviewed = false WHERE t.reviewed IS NULL
                RETURNING t.id AS row_id, t.user_id, t.reviewed::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_crisis_flags', row_id, 'reviewed', user_id, filled FROM filled;

ALTER TABLE memory.user_crisis_flags ALTER COLUMN reviewed SET NOT NULL;

ALTER TABLE memory.user_conversations ALTER COLUMN started_at SET DEFAULT now();

ALTER TABLE memory.user_crisis_flags ALTER COLUMN triggered_at SET DEFAULT now();

ALTER TABLE memory.user_crisis_flags ALTER COLUMN reviewed SET DEFAULT false;

UPDATE memory.user_crisis_flags SET created_at = triggered_at, updated_at = triggered_at;

CREATE INDEX ix_user_conversations_user_id ON memory.user_conversations (user_id);

ALTER TABLE memory.user_conversations ADD CONSTRAINT fk_user_conversations_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_conversations" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE INDEX ix_user_conversation_messages_user_id ON memory.user_conversation_messages (user_id);

ALTER TABLE memory.user_conversation_messages ADD CONSTRAINT fk_user_conversation_messages_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_conversation_messages" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE INDEX ix_user_crisis_flags_user_id ON memory.user_crisis_flags (user_id);

ALTER TABLE memory.user_crisis_flags ADD CONSTRAINT fk_user_crisis_flags_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_crisis_flags" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE INDEX ix_user_conversation_messages_conversation_id_created_at ON memory.user_conversation_messages (conversation_id, created_at);

ALTER TABLE memory.user_conversation_messages ADD CONSTRAINT fk_user_conversation_messages_conversation_id_user_conv_9001 FOREIGN KEY(conversation_id) REFERENCES memory.user_conversations (id) ON DELETE CASCADE;

CREATE INDEX ix_user_crisis_flags_session_id ON memory.user_crisis_flags (session_id);

ALTER TABLE memory.user_crisis_flags ADD CONSTRAINT fk_user_crisis_flags_session_id_user_conversation_messages FOREIGN KEY(session_id) REFERENCES memory.user_conversation_messages (id) ON DELETE SET NULL;

CREATE TABLE memory.conversation_continuity_rejected (
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
    reason TEXT NOT NULL, 
    CONSTRAINT pk_conversation_continuity_rejected PRIMARY KEY (id)
);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."conversation_continuity_rejected" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

INSERT INTO memory.conversation_continuity_rejected (id, user_id, conversation_id, last_message_count, last_session_phase, last_therapeutic_focus, last_emotional_state, last_timestamp, session_duration_minutes, is_resuming, continuity_context, created_at, updated_at, reason)
        SELECT t.id, t.user_id, t.conversation_id, t.last_message_count, t.last_session_phase, t.last_therapeutic_focus, t.last_emotional_state, t.last_timestamp, t.session_duration_minutes, t.is_resuming, t.continuity_context, t.created_at, t.updated_at, r.reason
        FROM memory.conversation_continuity t
        JOIN (SELECT t.id, CASE 
    WHEN t.user_id IS NULL THEN 'no user_id'
    WHEN NOT EXISTS (SELECT FROM public.users u WHERE u.id = t.user_id) THEN 'user not found'
 
        WHEN EXISTS (SELECT FROM memory.conversations_rejected r
                     WHERE r.id = t.conversation_id) THEN 'conversation rejected'
        WHEN NOT EXISTS (SELECT FROM memory.user_conversations c
                         WHERE c.id = t.conversation_id) THEN 'conversation not found'
     END AS reason FROM memory.conversation_continuity t) r ON r.id = t.id
        WHERE r.reason IS NOT NULL;

DELETE FROM memory.conversation_continuity t USING memory.conversation_continuity_rejected r WHERE r.id = t.id;

CREATE TABLE memory.feedback_rejected (
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
    reason TEXT NOT NULL, 
    CONSTRAINT pk_feedback_rejected PRIMARY KEY (id)
);

INSERT INTO memory.feedback_rejected (id, user_id, raw_feedback, ai_summary, priority, feedback_type, device_info, app_version, created_at, processed_at, status, tags, metadata, reason)
        SELECT t.id, t.user_id, t.raw_feedback, t.ai_summary, t.priority, t.feedback_type, t.device_info, t.app_version, t.created_at, t.processed_at, t.status, t.tags, t.metadata, r.reason
        FROM memory.feedback t
        JOIN (SELECT t.id, CASE 
    WHEN t.user_id IS NULL THEN 'no user_id'
    WHEN NOT EXISTS (SELECT FROM public.users u WHERE u.id = t.user_id) THEN 'user not found'
  END AS reason FROM memory.feedback t) r ON r.id = t.id
        WHERE r.reason IS NOT NULL;

DELETE FROM memory.feedback t USING memory.feedback_rejected r WHERE r.id = t.id;

CREATE TABLE memory.feedback_log_rejected (
    id UUID NOT NULL, 
    user_id UUID, 
    session_id UUID, 
    rating INTEGER, 
    comment TEXT, 
    created_at TIMESTAMP WITHOUT TIME ZONE DEFAULT now(), 
    reason TEXT NOT NULL, 
    CONSTRAINT pk_feedback_log_rejected PRIMARY KEY (id)
);

INSERT INTO memory.feedback_log_rejected (id, user_id, session_id, rating, comment, created_at, reason)
        SELECT t.id, t.user_id, t.session_id, t.rating, t.comment, t.created_at, r.reason
        FROM memory.feedback_log t
        JOIN (SELECT t.id, CASE 
    WHEN t.user_id IS NULL THEN 'no user_id'
    WHEN NOT EXISTS (SELECT FROM public.users u WHERE u.id = t.user_id) THEN 'user not found'
  END AS reason FROM memory.feedback_log t) r ON r.id = t.id
        WHERE r.reason IS NOT NULL;

DELETE FROM memory.feedback_log t USING memory.feedback_log_rejected r WHERE r.id = t.id;

CREATE TABLE memory.user_preferences_rejected (
    user_id UUID NOT NULL, 
    show_text_response BOOLEAN DEFAULT true, 
    play_audio_response BOOLEAN DEFAULT true, 
    preferred_therapist_name TEXT, 
    daily_reminder_time TIME WITHOUT TIME ZONE, 
    timezone TEXT, 
    reason TEXT NOT NULL, 
    CONSTRAINT pk_user_preferences_rejected PRIMARY KEY (user_id)
);

INSERT INTO memory.user_preferences_rejected (user_id, show_text_response, play_audio_response, preferred_therapist_name, daily_reminder_time, timezone, reason)
        SELECT t.user_id, t.show_text_response, t.play_audio_response, t.preferred_therapist_name, t.daily_reminder_time, t.timezone, r.reason
        FROM memory.user_preferences t
        JOIN (SELECT t.user_id, CASE 
    WHEN t.user_id IS NULL THEN 'no user_id'
    WHEN NOT EXISTS (SELECT FROM public.users u WHERE u.id = t.user_id) THEN 'user not found'
  END AS reason FROM memory.user_preferences t) r ON r.user_id = t.user_id
        WHERE r.reason IS NOT NULL;

DELETE FROM memory.user_preferences t USING memory.user_preferences_rejected r WHERE r.user_id = t.user_id;

CREATE TABLE memory.emotional_trends_rejected (
    id UUID NOT NULL, 
    user_id UUID, 
    recorded_at TIMESTAMP WITHOUT TIME ZONE DEFAULT now(), 
    mood_score INTEGER, 
    mood_label TEXT, 
    notes TEXT, 
    created_at TIMESTAMP WITHOUT TIME ZONE DEFAULT now(), 
    reason TEXT NOT NULL, 
    CONSTRAINT pk_emotional_trends_rejected PRIMARY KEY (id)
);

INSERT INTO memory.emotional_trends_rejected (id, user_id, recorded_at, mood_score, mood_label, notes, created_at, reason)
        SELECT t.id, t.user_id, t.recorded_at, t.mood_score, t.mood_label, t.notes, t.created_at, r.reason
        FROM memory.emotional_trends t
        JOIN (SELECT t.id, CASE 
    WHEN t.user_id IS NULL THEN 'no user_id'
    WHEN NOT EXISTS (SELECT FROM public.users u WHERE u.id = t.user_id) THEN 'user not found'
  END AS reason FROM memory.emotional_trends t) r ON r.id = t.id
        WHERE r.reason IS NOT NULL;

DELETE FROM memory.emotional_trends t USING memory.emotional_trends_rejected r WHERE r.id = t.id;

CREATE TABLE memory.value_compass_rejected (
    id UUID NOT NULL, 
    user_id UUID, 
    core_values TEXT[], 
    anti_values TEXT[], 
    narrative TEXT, 
    last_reflected_at TIMESTAMP WITHOUT TIME ZONE, 
    reason TEXT NOT NULL, 
    CONSTRAINT pk_value_compass_rejected PRIMARY KEY (id)
);

INSERT INTO memory.value_compass_rejected (id, user_id, core_values, anti_values, narrative, last_reflected_at, reason)
        SELECT t.id, t.user_id, t.core_values, t.anti_values, t.narrative, t.last_reflected_at, r.reason
        FROM memory.value_compass t
        JOIN (SELECT t.id, CASE 
    WHEN t.user_id IS NULL THEN 'no user_id'
    WHEN NOT EXISTS (SELECT FROM public.users u WHERE u.id = t.user_id) THEN 'user not found'
 
        WHEN row_number() OVER (
            PARTITION BY t.user_id ORDER BY t.last_reflected_at DESC NULLS LAST, t.id
        ) > 1 THEN 'a more recently reflected value compass of this user was migrated'
     END AS reason FROM memory.value_compass t) r ON r.id = t.id
        WHERE r.reason IS NOT NULL;

DELETE FROM memory.value_compass t USING memory.value_compass_rejected r WHERE r.id = t.id;

INSERT INTO public.migration_reconciliation (revision, target, source_rows, moved_rows, rejected_rows)
        VALUES ('memory_normalized', 'memory.user_conversation_continuity', (SELECT (SELECT count(*) FROM memory.conversation_continuity) + (SELECT count(*) FROM memory.conversation_continuity_rejected)), (SELECT count(*) FROM memory.conversation_continuity), (SELECT count(*) FROM memory.conversation_continuity_rejected));

INSERT INTO public.migration_reconciliation (revision, target, source_rows, moved_rows, rejected_rows)
        VALUES ('memory_normalized', 'memory.feedback', (SELECT (SELECT count(*) FROM memory.feedback) + (SELECT count(*) FROM memory.feedback_rejected)), (SELECT count(*) FROM memory.feedback), (SELECT count(*) FROM memory.feedback_rejected));

INSERT INTO public.migration_reconciliation (revision, target, source_rows, moved_rows, rejected_rows)
        VALUES ('memory_normalized', 'memory.user_feedback_log', (SELECT (SELECT count(*) FROM memory.feedback_log) + (SELECT count(*) FROM memory.feedback_log_rejected)), (SELECT count(*) FROM memory.feedback_log), (SELECT count(*) FROM memory.feedback_log_rejected));

INSERT INTO public.migration_reconciliation (revision, target, source_rows, moved_rows, rejected_rows)
        VALUES ('memory_normalized', 'memory.user_preferences', (SELECT (SELECT count(*) FROM memory.user_preferences) + (SELECT count(*) FROM memory.user_preferences_rejected)), (SELECT count(*) FROM memory.user_preferences), (SELECT count(*) FROM memory.user_preferences_rejected));

INSERT INTO public.migration_reconciliation (revision, target, source_rows, moved_rows, rejected_rows)
        VALUES ('memory_normalized', 'memory.user_emotional_trends', (SELECT (SELECT count(*) FROM memory.emotional_trends) + (SELECT count(*) FROM memory.emotional_trends_rejected)), (SELECT count(*) FROM memory.emotional_trends), (SELECT count(*) FROM memory.emotional_trends_rejected));

INSERT INTO public.migration_reconciliation (revision, target, source_rows, moved_rows, rejected_rows)
        VALUES ('memory_normalized', 'memory.user_value_compass', (SELECT (SELECT count(*) FROM memory.value_compass) + (SELECT count(*) FROM memory.value_compass_rejected)), (SELECT count(*) FROM memory.value_compass), (SELECT count(*) FROM memory.value_compass_rejected));

ALTER TABLE memory.conversation_continuity RENAME TO user_conversation_continuity;

ALTER TABLE memory.user_conversation_continuity RENAME CONSTRAINT pk_conversation_continuity TO pk_user_conversation_continuity;

ALTER TABLE memory.user_conversation_continuity ALTER COLUMN last_session_phase TYPE text USING last_session_phase, ALTER COLUMN last_session_phase SET DEFAULT 'start', ALTER COLUMN last_emotional_state TYPE text USING last_emotional_state;

WITH filled AS (
                UPDATE memory.user_conversation_continuity t SET session_duration_minutes = 0 WHERE t.session_duration_minutes IS NULL
                RETURNING t.id AS row_id, t.user_id, t.session_duration_minutes::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_conversation_continuity', row_id, 'session_duration_minutes', user_id, filled FROM filled;

ALTER TABLE memory.user_conversation_continuity ALTER COLUMN session_duration_minutes SET NOT NULL;

WITH filled AS (
                UPDATE memory.user_conversation_continuity t SET is_resuming = false WHERE t.is_resuming IS NULL
                RETURNING t.id AS row_id, t.user_id, t.is_resuming::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_conversation_continuity', row_id, 'is_resuming', user_id, filled FROM filled;

ALTER TABLE memory.user_conversation_continuity ALTER COLUMN is_resuming SET NOT NULL;

WITH filled AS (
                UPDATE memory.user_conversation_continuity t SET created_at = coalesce(t.updated_at, t.last_timestamp) WHERE t.created_at IS NULL
                RETURNING t.id AS row_id, t.user_id, t.created_at::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_conversation_continuity', row_id, 'created_at', user_id, filled FROM filled;

ALTER TABLE memory.user_conversation_continuity ALTER COLUMN created_at SET NOT NULL;

WITH filled AS (
                UPDATE memory.user_conversation_continuity t SET updated_at = t.created_at WHERE t.updated_at IS NULL
                RETURNING t.id AS row_id, t.user_id, t.updated_at::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_conversation_continuity', row_id, 'updated_at', user_id, filled FROM filled;

ALTER TABLE memory.user_conversation_continuity ALTER COLUMN updated_at SET NOT NULL;

ALTER TABLE memory.user_conversation_continuity ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE memory.user_conversation_continuity ADD CONSTRAINT fk_user_conversation_continuity_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

CREATE INDEX ix_user_conversation_continuity_user_id ON memory.user_conversation_continuity (user_id);

ALTER TABLE memory.feedback DROP CONSTRAINT ck_feedback_priority, DROP CONSTRAINT ck_feedback_status, ALTER COLUMN priority TYPE text USING priority, ALTER COLUMN feedback_type TYPE text USING feedback_type, ALTER COLUMN feedback_type SET DEFAULT 'general', ALTER COLUMN app_version TYPE text USING app_version, ALTER COLUMN status TYPE text USING status, ALTER COLUMN status SET DEFAULT 'pending', ADD CONSTRAINT ck_feedback_priority CHECK (priority IN ('low', 'medium', 'high', 'critical')), ADD CONSTRAINT ck_feedback_status CHECK (status IN ('pending', 'processed', 'resolved', 'ignored'));

ALTER TABLE memory.feedback ADD COLUMN updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL;

WITH filled AS (
                UPDATE memory.feedback t SET feedback_type = 'general' WHERE t.feedback_type IS NULL
                RETURNING t.id AS row_id, t.user_id, t.feedback_type::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'feedback', row_id, 'feedback_type', user_id, filled FROM filled;

ALTER TABLE memory.feedback ALTER COLUMN feedback_type SET NOT NULL;

WITH filled AS (
                UPDATE memory.feedback t SET created_at = now() WHERE t.created_at IS NULL
                RETURNING t.id AS row_id, t.user_id, t.created_at::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'feedback', row_id, 'created_at', user_id, filled FROM filled;

ALTER TABLE memory.feedback ALTER COLUMN created_at SET NOT NULL;

WITH filled AS (
                UPDATE memory.feedback t SET status = 'pending' WHERE t.status IS NULL
                RETURNING t.id AS row_id, t.user_id, t.status::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'feedback', row_id, 'status', user_id, filled FROM filled;

ALTER TABLE memory.feedback ALTER COLUMN status SET NOT NULL;

ALTER TABLE memory.feedback ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE memory.feedback ADD CONSTRAINT fk_feedback_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

CREATE INDEX ix_feedback_user_id ON memory.feedback (user_id);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."feedback" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE memory.feedback_log RENAME TO user_feedback_log;

ALTER TABLE memory.user_feedback_log RENAME CONSTRAINT pk_feedback_log TO pk_user_feedback_log;

ALTER TABLE memory.user_feedback_log RENAME CONSTRAINT ck_feedback_log_rating TO ck_user_feedback_log_rating;

ALTER TABLE memory.user_feedback_log ALTER COLUMN created_at TYPE timestamptz USING created_at AT TIME ZONE 'UTC', ALTER COLUMN created_at SET DEFAULT now();

ALTER TABLE memory.user_feedback_log ALTER COLUMN id SET DEFAULT gen_random_uuid();

ALTER TABLE memory.user_feedback_log ADD COLUMN updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL;

WITH filled AS (
                UPDATE memory.user_feedback_log t SET created_at = now() WHERE t.created_at IS NULL
                RETURNING t.id AS row_id, t.user_id, t.created_at::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_feedback_log', row_id, 'created_at', user_id, filled FROM filled;

ALTER TABLE memory.user_feedback_log ALTER COLUMN created_at SET NOT NULL;

ALTER TABLE memory.user_feedback_log ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE memory.user_feedback_log ADD CONSTRAINT fk_user_feedback_log_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

CREATE INDEX ix_user_feedback_log_user_id ON memory.user_feedback_log (user_id);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_feedback_log" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE memory.user_preferences ALTER COLUMN daily_reminder_time TYPE timestamptz USING (date '1970-01-01' + daily_reminder_time) AT TIME ZONE 'UTC';

ALTER TABLE memory.user_preferences ADD COLUMN created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL;

ALTER TABLE memory.user_preferences ADD COLUMN updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL;

WITH filled AS (
                UPDATE memory.user_preferences t SET show_text_response = true WHERE t.show_text_response IS NULL
                RETURNING t.user_id AS row_id, t.user_id, t.show_text_response::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_preferences', row_id, 'show_text_response', user_id, filled FROM filled;

ALTER TABLE memory.user_preferences ALTER COLUMN show_text_response SET NOT NULL;

WITH filled AS (
                UPDATE memory.user_preferences t SET play_audio_response = true WHERE t.play_audio_response IS NULL
                RETURNING t.user_id AS row_id, t.user_id, t.play_audio_response::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_preferences', row_id, 'play_audio_response', user_id, filled FROM filled;

ALTER TABLE memory.user_preferences ALTER COLUMN play_audio_response SET NOT NULL;

ALTER TABLE memory.user_preferences ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE memory.user_preferences ADD CONSTRAINT fk_user_preferences_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_preferences" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE memory.emotional_trends RENAME TO user_emotional_trends;

ALTER TABLE memory.user_emotional_trends RENAME CONSTRAINT pk_emotional_trends TO pk_user_emotional_trends;

ALTER TABLE memory.user_emotional_trends RENAME CONSTRAINT ck_emotional_trends_mood_score TO ck_user_emotional_trends_mood_score;

ALTER TABLE memory.user_emotional_trends ALTER COLUMN recorded_at TYPE timestamptz USING recorded_at AT TIME ZONE 'UTC', ALTER COLUMN recorded_at SET DEFAULT now(), ALTER COLUMN created_at TYPE timestamptz USING created_at AT TIME ZONE 'UTC', ALTER COLUMN created_at SET DEFAULT now();

ALTER TABLE memory.user_emotional_trends ALTER COLUMN id SET DEFAULT gen_random_uuid();

ALTER TABLE memory.user_emotional_trends ADD COLUMN updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL;

WITH filled AS (
                UPDATE memory.user_emotional_trends t SET recorded_at = coalesce(t.created_at, now()) WHERE t.recorded_at IS NULL
                RETURNING t.id AS row_id, t.user_id, t.recorded_at::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_emotional_trends', row_id, 'recorded_at', user_id, filled FROM filled;

ALTER TABLE memory.user_emotional_trends ALTER COLUMN recorded_at SET NOT NULL;

WITH filled AS (
                UPDATE memory.user_emotional_trends t SET created_at = t.recorded_at WHERE t.created_at IS NULL
                RETURNING t.id AS row_id, t.user_id, t.created_at::text AS filled
            )
            INSERT INTO memory.legacy_nulls
                (table_name, row_id, column_name, user_id, filled)
            SELECT 'user_emotional_trends', row_id, 'created_at', user_id, filled FROM filled;

ALTER TABLE memory.user_emotional_trends ALTER COLUMN created_at SET NOT NULL;

ALTER TABLE memory.user_emotional_trends ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE memory.user_emotional_trends ADD CONSTRAINT fk_user_emotional_trends_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

CREATE INDEX ix_user_emotional_trends_user_id ON memory.user_emotional_trends (user_id);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_emotional_trends" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE memory.value_compass RENAME TO user_value_compass;

ALTER TABLE memory.user_value_compass RENAME CONSTRAINT pk_value_compass TO pk_user_value_compass;

ALTER TABLE memory.user_value_compass ALTER COLUMN last_reflected_at TYPE timestamptz USING last_reflected_at AT TIME ZONE 'UTC';

ALTER TABLE memory.user_value_compass ALTER COLUMN id SET DEFAULT gen_random_uuid();

ALTER TABLE memory.user_value_compass ADD COLUMN created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL;

ALTER TABLE memory.user_value_compass ADD COLUMN updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL;

ALTER TABLE memory.user_value_compass ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE memory.user_value_compass ADD CONSTRAINT fk_user_value_compass_user_id_users FOREIGN KEY(user_id) REFERENCES public.users (id) ON DELETE CASCADE;

ALTER TABLE memory.user_value_compass ADD CONSTRAINT uq_user_value_compass_user_id UNIQUE (user_id);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "memory"."user_value_compass" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE INDEX ix_user_conversation_continuity_conversation_id ON memory.user_conversation_continuity (conversation_id);

ALTER TABLE memory.user_conversation_continuity ADD CONSTRAINT fk_user_conversation_continuity_conversation_id_user_co_a260 FOREIGN KEY(conversation_id) REFERENCES memory.user_conversations (id) ON DELETE CASCADE;

ALTER TABLE public.users ADD COLUMN onboarding_completed_at TIMESTAMP WITH TIME ZONE;

DROP VIEW memory.users;

DROP FUNCTION memory.insert_user();

CREATE VIEW memory.users AS
SELECT id, name, email, password_hash AS password, onboarding_skipped, onboarding_completed_at,
       created_at, updated_at
FROM public.users
WHERE onboarding_skipped IS NOT NULL AND email IS NOT NULL
WITH CASCADED CHECK OPTION;

ALTER VIEW memory.users ALTER COLUMN onboarding_skipped SET DEFAULT false;

CREATE FUNCTION memory.check_companion_email() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.email IS NULL THEN
        RAISE EXCEPTION 'null value in column "email" of relation "users" violates not-null '
                        'constraint'
            USING ERRCODE = 'not_null_violation', SCHEMA = 'memory', TABLE = 'users',
                  COLUMN = 'email',
                  HINT = 'The companion''s people sign in with their email: it is required.';
    END IF;
    IF EXISTS (SELECT FROM public.users u
                WHERE u.email = NEW.email AND u.id <> NEW.id AND u.onboarding_skipped IS NULL) THEN
        RAISE EXCEPTION 'duplicate key value violates unique constraint "idx_users_email": '
                        'the email is a person''s of another system of the platform'
            USING ERRCODE = 'unique_violation', SCHEMA = 'public', TABLE = 'users',
                  CONSTRAINT = 'idx_users_email',
                  DETAIL = format('Key (email)=(%s) already exists.', NEW.email),
                  HINT = 'The platform keeps one row per person and never merges people on a '
                         'guess: link that person to the companion explicitly instead.';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER companion_email BEFORE INSERT OR UPDATE OF email, onboarding_skipped ON public.users FOR EACH ROW WHEN (NEW.onboarding_skipped IS NOT NULL) EXECUTE FUNCTION memory.check_companion_email();

DO $$
        DECLARE
            unseen CONSTANT bigint := (SELECT count(*) FROM public.users
                                        WHERE onboarding_skipped IS NOT NULL AND email IS NULL);
        BEGIN
            IF unseen > 0 THEN
                RAISE WARNING 'therapy-db: % of the companion''s people have no email: its code, '
                              'which requires one, sees them once they have one '
                              '(UPDATE public.users SET email = ... WHERE id = ...)', unseen;
            END IF;
        END
        $$;

COMMIT;

