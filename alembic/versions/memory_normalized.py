"""memory_normalized: seed 001's migration, from one wide JSON profile to the `user_*` tables.

The story, in the order `upgrade()` tells it:

1. Profiles that cannot become a user's one summary are set aside, unchanged, in
   `memory_profiles_rejected` with the reason: a profile with no user, and every profile of a user
   but the most recently updated one (a user has one summary; which profile wins is decided by
   updated_at, then created_at, then id). Source profiles = migrated + rejected, written to the
   ledger (public.migration_reconciliation, as for every legacy table below), whose CHECK fails
   the revision if a profile did not reach its summary.
2. Every JSON field of every remaining profile lands in its home (docs/SEEDS.md has the map):
   - 28 list fields become one row per element in their `user_*` list table, `position` the
     element's place. A JSON string's text goes in the table's item column; any other element
     (number, object, nested array, null) goes there as its JSON text and is kept as
     `legacy_value`. A bare value where an array was expected becomes the list's one item.
     Columns the companion requires that a legacy item never had are derived from its profile
     (a mood trend's recorded_date is the day the profile was last updated, ...).
   - 13 fields are single text answers in a one-per-user table (the summary, AI preferences,
     sleep routine, ...): a JSON string as it is, an array of strings joined by "; ", the JSON
     text of anything else, nothing for JSON null. preferred_therapy_styles is the one text[]
     answer (`user_therapy_preferences`): each element's text, a bare value its one element.
   - `user_profile_legacy_values` keeps the exact JSON wherever those rows alone would rebuild
     something else: a list field holding a bare value, `[]` or JSON null; a text answer that
     was not a plain string; a text[] answer that was not an array of strings. The downgrade
     uses it while the rows still say what the upgrade made of it, so an edit made since wins.
   The upstream migration lost stuck_points, summary and therapy_duration; here they live in
   `user_stuck_points`, `user_profile_summary.summary` and `.therapy_duration`.
3. Then the keys: primary keys, unique user_ids, user_id indexes and foreign keys are built after
   the load, with maintenance_work_mem raised, and rows get ids derived from their source
   (`md5('<table>:' || profile id || ':' || position)::uuid`): deterministic, and about four
   times cheaper than a random UUID per row (ARCHITECTURE section 11). One INSERT per table.
4. Conversations, messages and crisis flags are renamed to `user_*`, tied to their user (and a
   message to its conversation, when it names one) with cascading foreign keys. Rows that cannot
   be tied are set aside in `*_rejected` first: no user_id, a user who does not exist, an
   unknown conversation, a conversation or message that was itself set aside. Their columns
   keep their legacy types (`context_json` stays json); `updated_at` starts at the migration
   time (a fast default: no rewrite of tables that may be large), a crisis flag's new
   `created_at` is when it was triggered.
5. The tables the companion's routers used before the seed take the names and columns of its
   post-migration schema, rows included: conversation_continuity, feedback_log, emotional_trends
   and value_compass become `user_*`, feedback and user_preferences keep their names. Rows that
   cannot be tied to a user (or a continuity to its conversation), and every value compass of a
   user but the most recently reflected one (it is one per user now), are set aside as in 4.
   The dump's `varchar(n)` become text, its `timestamp` (the host's UTC) and `time` (a reminder's
   time of day, on 1970-01-01 UTC) become timestamptz, as every timestamp here.
6. The companion's `users` takes the shape of its post-migration schema (password,
   onboarding_completed_at): still a view over `public.users`, now written by its code. It shows
   the people who have the flag and the email it requires (a warning counts legacy people without
   one); a trigger on `public.users` says why the platform refuses an email another system's
   person has (one identity: people are linked, never merged on a guess).

Also settled here:
- Both directions LOCK everything they read and drop before anything else: no application write
  can fall between a read and the drop that follows it (nor can autovacuum hold up a drop).
- Every column the companion's schema requires is NOT NULL. A legacy row's NULL there takes the
  value the companion's code would have been given (the column's default, or as `LEGACY_NULLS`
  says), and `memory.legacy_nulls` remembers it: the downgrade gives the NULL back while the row
  still holds the value filled in.
- The spec below is this revision's own, frozen: `app/runtime/models/memory.py` builds the same
  tables from shared mixins, and `alembic check` holds the two to each other.

The downgrade rebuilds every legacy profile from its rows (JSON values equal to the originals,
element order included), one INSERT over all list tables aggregated per user, gives the
conversation and router tables their legacy names, types and NULLs back, and puts back every
rejected row. A user who got a summary after the upgrade gets a legacy profile. What it cannot
give back, because the legacy tables have no place for it: rows of `user_therapy_preferences`
beyond its two legacy fields, a router text longer than the dump's `varchar(n)`, the date of a
reminder time (`LOST_ON_DOWNGRADE` counts those rows), `onboarding_completed_at`; the columns
the legacy items did not have (ratings, categories, ...), inactive list items (retired memory
stays forgotten), list items and answers of a user who has no `user_profile_summary` row,
`updated_at` of conversations, messages and the router tables that had none, and a crisis flag's
`created_at`/`updated_at`.

Revision ID: memory_normalized
Revises: memory_legacy
Create Date: 2026-11-25
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import SchemaItem

from app.toolkit import ddl

revision: str = "memory_normalized"
down_revision: str | Sequence[str] | None = "memory_legacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "memory"
NOW = sa.text("now()")

# -- the frozen spec: every table this revision creates, and where each legacy field goes --------


@dataclass(frozen=True)
class Kind:
    """A column's type and rule; CHECKs are named `ck_<table>_<column>`."""

    type_: sa.types.TypeEngine
    check: str | None = None
    default: str | None = None
    nullable: bool = True


TEXT = Kind(sa.Text())
TEXTS = Kind(postgresql.ARRAY(sa.Text()))
INT = Kind(sa.Integer())
DATE = Kind(sa.Date())
RATING = Kind(sa.Integer(), check="BETWEEN 1 AND 10")
RISK = Kind(sa.Integer(), check="BETWEEN 0 AND 3")
NO = Kind(sa.Boolean(), default="false", nullable=False)

Columns = dict[str, Kind]


@dataclass(frozen=True)
class ListTable:
    """A legacy JSON array's home: one row per element, its text in `item_column`.

    `derived` gives the columns the companion requires that a legacy item never had: SQL over the
    item's `profile` (its dates) and `{item}` (its text)."""

    name: str
    legacy_field: str
    item_column: str
    columns: Columns = field(default_factory=dict)
    deactivatable: bool = True
    item_required: bool = True
    derived: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OneTable:
    """A one-row-per-user table; `answers` maps its text columns to the legacy fields they hold,
    `arrays` its text[] columns."""

    name: str
    columns: Columns
    answers: dict[str, str] = field(default_factory=dict)
    arrays: dict[str, str] = field(default_factory=dict)


# The day a migrated item was recorded: its profile's last update.
RECORDED = "(profile.updated_at AT TIME ZONE 'UTC')::date"

LIST_TABLES = (
    ListTable("user_themes", "themes", "theme_name",
              {"theme_category": TEXT, "importance_level": RATING}),
    ListTable("user_people", "people", "name",
              {"relationship_type": TEXT, "role": TEXT, "importance_level": RATING,
               "notes": TEXT}),
    ListTable("user_coping_tools", "coping_tools", "tool_name",
              {"tool_category": TEXT, "effectiveness_rating": RATING, "description": TEXT,
               "when_to_use": TEXT}),
    ListTable("user_goals", "goals", "goal_title",
              {"goal_description": TEXT, "goal_category": TEXT, "priority_level": RATING,
               "target_date": DATE,
               "status": Kind(sa.Text(), default="'active'", nullable=False),
               "progress_percentage": Kind(sa.Integer(), check="BETWEEN 0 AND 100",
                                           default="0", nullable=False)},
              deactivatable=False),
    ListTable("user_pattern_loops", "pattern_loops", "loop_name",
              {"trigger_situation": TEXT, "automatic_response": TEXT, "consequences": TEXT,
               "alternative_responses": TEXTS}),
    ListTable("user_shadow_themes", "shadow_themes", "theme_name",
              {"theme_description": TEXT, "triggers": TEXTS, "avoidance_behaviors": TEXTS,
               "integration_strategies": TEXTS}),
    ListTable("user_current_practices", "current_practices", "practice_name",
              {"practice_type": TEXT, "frequency": TEXT, "effectiveness_rating": RATING,
               "notes": TEXT}),
    ListTable("user_regulation_strategies", "regulation_strategies", "strategy_name",
              {"strategy_type": TEXT, "when_to_use": TEXT, "effectiveness_rating": RATING,
               "notes": TEXT}),
    ListTable("user_dysregulating_factors", "dysregulating_factors", "factor_name",
              {"factor_type": TEXT, "impact_level": RATING, "triggers": TEXTS,
               "coping_strategies": TEXTS}),
    ListTable("user_role_model_traits", "role_model_traits", "trait_name",
              {"person_name": TEXT, "trait_description": TEXT, "aspiration_level": RATING}),
    ListTable("user_growth_milestones", "growth_milestones", "milestone_title",
              {"milestone_description": TEXT, "category": TEXT, "date_achieved": DATE,
               "significance_level": RATING, "lessons_learned": TEXT}),
    ListTable("user_emotional_patterns", "emotional_patterns", "pattern_name",
              {"emotional_state": TEXT, "triggers": TEXTS, "duration_pattern": TEXT,
               "intensity_level": RATING, "coping_strategies": TEXTS}),
    ListTable("user_relationship_dynamics", "relationship_dynamics", "dynamic_pattern",
              {"relationship_type": Kind(sa.Text(), nullable=False), "communication_style": TEXT,
               "conflict_resolution": TEXT, "emotional_safety_level": RATING},
              item_required=False, derived={"relationship_type": "'unspecified'"}),
    ListTable("user_growth_opportunities", "growth_opportunities", "opportunity_title",
              {"opportunity_description": TEXT, "area_of_growth": TEXT,
               "readiness_level": RATING, "potential_impact": TEXT, "action_steps": TEXTS}),
    ListTable("user_risk_factors", "risk_factors", "risk_factor_name",
              {"risk_category": TEXT, "severity_level": RATING, "triggers": TEXTS,
               "warning_signs": TEXTS, "safety_plan": TEXT}),
    ListTable("user_strengths", "strengths", "strength_name",
              {"strength_category": TEXT, "confidence_level": RATING, "how_developed": TEXT,
               "how_utilized": TEXT}),
    ListTable("user_mood_trends", "mood_trends", "mood_label",
              {"recorded_date": Kind(sa.Date(), nullable=False), "mood_score": RATING,
               "contributing_factors": TEXTS, "notes": TEXT},
              deactivatable=False, item_required=False, derived={"recorded_date": RECORDED}),
    ListTable("user_emotional_states", "emotional_states_initial", "state_name",
              {"state_description": TEXT, "physical_sensations": TEXTS,
               "thoughts_patterns": TEXTS, "behaviors": TEXTS, "intensity_level": RATING}),
    ListTable("user_support_system", "support_system", "person_name",
              {"relationship_type": TEXT, "support_type": TEXTS, "reliability_level": RATING,
               "contact_info": TEXT}),
    ListTable("user_current_stressors", "current_stressors", "stressor_name",
              {"stressor_type": TEXT, "impact_level": RATING, "duration": TEXT,
               "coping_strategies": TEXTS}),
    ListTable("user_daily_habits", "daily_habits", "habit_name",
              {"habit_category": TEXT, "frequency": TEXT, "consistency_level": RATING,
               "impact_on_wellbeing": TEXT}),
    ListTable("user_substance_use", "substance_use", "substance_name",
              {"usage_pattern": TEXT, "frequency": TEXT, "impact_level": RATING,
               "triggers": TEXTS, "harm_reduction_strategies": TEXTS}),
    ListTable("user_stuck_points", "stuck_points", "stuck_point"),
    ListTable("user_trauma_patterns", "trauma_patterns", "pattern_name",
              {"pattern_description": TEXT, "trigger_events": TEXTS, "emotional_response": TEXT,
               "coping_strategies": TEXTS, "severity_level": RATING}),
    ListTable("user_ancestral_issues", "ancestral_issues", "issue_name",
              {"issue_description": TEXT, "generational_impact": TEXT,
               "current_manifestation": TEXT, "healing_approaches": TEXTS}),
    ListTable("user_insight_notes", "insight_notes", "insight_content",
              {"insight_title": Kind(sa.Text(), nullable=False), "insight_category": TEXT,
               "importance_level": RATING, "related_themes": TEXTS, "action_items": TEXTS},
              derived={"insight_title": "left({item}, 100)"}),
    ListTable("user_previous_therapy", "previous_therapy", "therapy_type",
              {"therapist_name": TEXT, "duration": TEXT, "effectiveness_rating": RATING,
               "key_insights": TEXT, "termination_reason": TEXT}),
    ListTable("user_suicidal_thoughts", "suicidal_thoughts_initial", "thought_content",
              {"thought_date": Kind(sa.Date(), nullable=False), "intensity_level": RATING,
               "risk_level": RISK, "protective_factors": TEXTS, "safety_plan_activated": NO,
               "professional_help_sought": NO},
              deactivatable=False, item_required=False, derived={"thought_date": RECORDED}),
)  # fmt: skip

LEVELS = (
    "spiritual_connection_level",
    "personal_agency_level",
    "boundaries_awareness",
    "self_development_capacity",
    "hard_truths_tolerance",
    "awareness_level",
)

SUMMARY = OneTable(
    "user_profile_summary",
    {
        **dict.fromkeys(LEVELS, RATING),
        "suicidal_risk_level": Kind(sa.SmallInteger(), check="BETWEEN 0 AND 3"),
        "sleep_quality": TEXT,
        "mood_score_initial": INT,
        **dict.fromkeys(
            ("biggest_challenge", "biggest_obstacle", "motivation_for_joining",
             "hopes_to_achieve", "summary", "therapy_type", "therapy_duration"),
            TEXT,
        ),
    },
    answers={
        name: name
        for name in ("biggest_challenge", "biggest_obstacle", "motivation_for_joining",
                     "hopes_to_achieve", "summary", "therapy_type", "therapy_duration")
    },
)  # fmt: skip

ANSWER_TABLES = (
    OneTable(
        "user_ai_preferences",
        {"ai_voice_style": TEXT, "growth_vs_support": TEXT, "pushback_level": RATING,
         "self_awareness_level": RATING, "goal_modeling_level": RATING,
         "therapeutic_approach": TEXT, "validation_vs_challenge": RATING,
         "directness_level": RATING, "emotional_tone": TEXT, "reflection_depth": RATING,
         "memory_recall_frequency": RATING, "goal_focus_level": RATING,
         "session_length_preference": TEXT, "voice_output_style": TEXT,
         "check_in_frequency": TEXT, "crisis_sensitivity_level": RATING,
         "preferred_language": TEXT, "notes": TEXT},
        answers={"therapeutic_approach": "therapeutic_approach"},
    ),
    OneTable(
        "user_therapy_preferences",
        {"preferred_therapy_styles": TEXTS, "preferred_tone": TEXT, "communication_style": TEXT,
         "feedback_frequency": TEXT, "session_length_preference": INT},
        answers={"preferred_tone": "preferred_tone"},
        arrays={"preferred_therapy_styles": "preferred_therapy_styles"},
    ),
    OneTable(
        "user_sleep_routine",
        {"bedtime": TEXT, "wake_time": TEXT,
         "sleep_duration_hours": Kind(sa.Numeric(), check="BETWEEN 0 AND 24"),
         "sleep_quality_rating": RATING, "sleep_hygiene_practices": TEXTS,
         "sleep_issues": TEXTS, "notes": TEXT},
        answers={"notes": "sleep_routine"},
    ),
    OneTable(
        "user_relationship_status",
        {"current_status": TEXT, "partner_name": TEXT, "relationship_duration": TEXT,
         "satisfaction_level": RATING, "challenges": TEXTS, "strengths": TEXTS},
        answers={"current_status": "relationship_status"},
    ),
    OneTable(
        "user_living_situation",
        {"living_arrangement": TEXT, "location": TEXT, "housemates": TEXTS,
         "financial_stability": TEXT, "housing_satisfaction": RATING},
        answers={"living_arrangement": "living_situation"},
    ),
    OneTable(
        "user_spiritual_path",
        {"spiritual_beliefs": TEXTS, "practices": TEXTS, "community_involvement": TEXT,
         "connection_level": RATING, "spiritual_challenges": TEXTS,
         "spiritual_growth_goals": TEXTS, "notes": TEXT},
        answers={"notes": "spiritual_path_notes"},
    ),
)  # fmt: skip

# The legacy profile's jsonb columns, in the legacy table's order.
LEGACY_FIELDS = (
    "themes", "people", "coping_tools", "goals", "preferred_therapy_styles", "preferred_tone",
    "pattern_loops", "shadow_themes", "current_practices", "regulation_strategies",
    "dysregulating_factors", "role_model_traits", "growth_milestones", "emotional_patterns",
    "relationship_dynamics", "growth_opportunities", "risk_factors", "strengths", "mood_trends",
    "emotional_states_initial", "support_system", "current_stressors", "daily_habits",
    "substance_use", "stuck_points", "summary", "trauma_patterns", "ancestral_issues",
    "spiritual_path_notes", "insight_notes", "therapeutic_approach", "motivation_for_joining",
    "hopes_to_achieve", "previous_therapy", "therapy_type", "therapy_duration", "sleep_routine",
    "suicidal_thoughts_initial", "relationship_status", "living_situation", "biggest_challenge",
    "biggest_obstacle",
)  # fmt: skip

LIST_HOMES = {table.legacy_field: table for table in LIST_TABLES}
ANSWER_HOMES = {
    legacy_field: (table, column)
    for table in (SUMMARY, *ANSWER_TABLES)
    for column, legacy_field in table.answers.items()
}
ARRAY_HOMES = {
    legacy_field: (table, column)
    for table in ANSWER_TABLES
    for column, legacy_field in table.arrays.items()
}
assert sorted([*LIST_HOMES, *ANSWER_HOMES, *ARRAY_HOMES]) == sorted(LEGACY_FIELDS), "one home each"

# The tables the profile load fills: created bare, keyed after the load.
LOADED_TABLES = (*(table.name for table in LIST_TABLES), SUMMARY.name,
                 *(table.name for table in ANSWER_TABLES))  # fmt: skip
LEGACY_VALUES = "user_profile_legacy_values"

CONVERSATION_TABLES = {  # legacy name -> new name
    "conversations": "user_conversations",
    "conversation_messages": "user_conversation_messages",
    "crisis_flags": "user_crisis_flags",
}
SESSION_FK = "fk_crisis_flags_session_id_conversation_messages"
CONTINUITY_FK = "fk_user_conversation_continuity_conversation_id_user_co_a260"


@dataclass(frozen=True)
class RouterTable:
    """A table the companion's routers used before the seed, and what the seed makes of it.

    `retyped` maps a column to its legacy type (the new one is text for a varchar, timestamptz
    otherwise); `checks`, a column to its CHECK (named after the table, renamed with it);
    `stamped`, the timestamps it gains; `key`, the column that identifies a row."""

    legacy: str
    name: str
    retyped: dict[str, str] = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=dict)
    stamped: tuple[str, ...] = ("updated_at",)
    key: str = "id"


FEEDBACK_PRIORITIES = ("low", "medium", "high", "critical")
FEEDBACK_STATUSES = ("pending", "processed", "resolved", "ignored")


ROUTER_TABLES = (
    RouterTable("conversation_continuity", "user_conversation_continuity",
                {"last_session_phase": "varchar(50)", "last_emotional_state": "varchar(50)"},
                stamped=()),
    RouterTable("feedback", "feedback",
                {"priority": "varchar(20)", "feedback_type": "varchar(50)",
                 "app_version": "varchar(20)", "status": "varchar(20)"},
                {"priority": f"IN {FEEDBACK_PRIORITIES}", "status": f"IN {FEEDBACK_STATUSES}"}),
    RouterTable("feedback_log", "user_feedback_log", {"created_at": "timestamp"},
                {"rating": "BETWEEN 1 AND 5"}),
    RouterTable("user_preferences", "user_preferences", {"daily_reminder_time": "time"},
                stamped=("created_at", "updated_at"), key="user_id"),
    RouterTable("emotional_trends", "user_emotional_trends",
                {"recorded_at": "timestamp", "created_at": "timestamp"},
                {"mood_score": "BETWEEN 1 AND 10"}),
    RouterTable("value_compass", "user_value_compass", {"last_reflected_at": "timestamp"},
                stamped=("created_at", "updated_at")),
)  # fmt: skip
ROUTER_RENAMES = {table.legacy: table.name for table in ROUTER_TABLES}


@dataclass(frozen=True)
class Fill:
    """What a legacy NULL becomes where the companion requires a value: `value` is SQL over the
    row (`t`), `type_` the column's type, to recognise the value on the way back."""

    type_: str
    value: str


FIRST_MESSAGE_TIME = (
    f"(SELECT m.created_at FROM {SCHEMA}.user_conversation_messages m WHERE m.id = t.session_id)"
)
# Table (its new name) -> column -> what its legacy NULLs become, in this order.
LEGACY_NULLS = {
    "user_profile_summary": {
        "created_at": Fill("timestamptz", "coalesce(t.updated_at, now())"),
        "updated_at": Fill("timestamptz", "t.created_at"),
    },
    "user_conversations": {
        "started_at": Fill("timestamptz", "coalesce(t.created_at, now())"),
        "created_at": Fill("timestamptz", "t.started_at"),
    },
    "user_conversation_messages": {
        "created_at": Fill("timestamptz", "now()"),
        "flagged": Fill("boolean", "false"),
    },
    "user_crisis_flags": {
        "flag_type": Fill("text", "'unspecified'"),
        "triggered_at": Fill("timestamptz", f"coalesce({FIRST_MESSAGE_TIME}, now())"),
        "reviewed": Fill("boolean", "false"),
    },
    "user_conversation_continuity": {
        "session_duration_minutes": Fill("integer", "0"),
        "is_resuming": Fill("boolean", "false"),
        "created_at": Fill("timestamptz", "coalesce(t.updated_at, t.last_timestamp)"),
        "updated_at": Fill("timestamptz", "t.created_at"),
    },
    "feedback": {
        "feedback_type": Fill("text", "'general'"),
        "created_at": Fill("timestamptz", "now()"),
        "status": Fill("text", "'pending'"),
    },
    "user_feedback_log": {"created_at": Fill("timestamptz", "now()")},
    "user_preferences": {
        "show_text_response": Fill("boolean", "true"),
        "play_audio_response": Fill("boolean", "true"),
    },
    "user_emotional_trends": {
        "recorded_at": Fill("timestamptz", "coalesce(t.created_at, now())"),
        "created_at": Fill("timestamptz", "t.recorded_at"),
    },
}
LEGACY_NULLS_TABLE = "legacy_nulls"

# What the downgrade cannot give back (app/toolkit/data_loss.py): a downgrade that would
# destroy rows of these refuses unless told to. Table -> the condition of its rows that are lost.
LOST_ON_DOWNGRADE = {
    # Only preferred_therapy_styles and preferred_tone were legacy fields, of summarized users.
    "memory.user_therapy_preferences": "num_nonnulls(communication_style, feedback_frequency, "
    "session_length_preference) > 0 OR NOT EXISTS (SELECT FROM memory.user_profile_summary s "
    "WHERE s.user_id = user_therapy_preferences.user_id)",
    # Texts longer than the dump's varchar(n) are cut to fit.
    **{
        f"memory.{table.name}": " OR ".join(
            f"length({column}) > {legacy.removeprefix('varchar(').removesuffix(')')}"
            for column, legacy in table.retyped.items()
            if legacy.startswith("varchar")
        )
        for table in ROUTER_TABLES
        if any(legacy.startswith("varchar") for legacy in table.retyped.values())
    },
    # A reminder is a time of day again: of the day (1970-01-01, UTC) the upgrade put it on.
    "memory.user_preferences": "daily_reminder_time NOT BETWEEN '1970-01-01 00:00+00' "
    "AND '1970-01-02 00:00+00'",
    "public.users": "onboarding_completed_at IS NOT NULL",
}

# Migrated rows are dated by their profile (whose timestamps may be missing).
CREATED = "coalesce(p.created_at, p.updated_at, now())"
UPDATED = "coalesce(p.updated_at, p.created_at, now())"


# -- columns ---------------------------------------------------------------------------------------


def spec_columns(table: str, columns: Columns) -> list[SchemaItem]:
    items: list[SchemaItem] = []
    for name, kind in columns.items():
        default = sa.text(kind.default) if kind.default else None
        items.append(sa.Column(name, kind.type_, nullable=kind.nullable, server_default=default))
        if kind.check:
            items.append(
                sa.CheckConstraint(f"{name} {kind.check}", name=op.f(f"ck_{table}_{name}"))
            )
    return items


def uuid_key() -> sa.Column:
    return sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False)


def timestamps(nullable: bool = False) -> list[sa.Column]:
    return [
        sa.Column(name, sa.DateTime(timezone=True), server_default=NOW, nullable=nullable)
        for name in ("created_at", "updated_at")
    ]


def legacy_profile_columns() -> list[sa.Column]:
    """memory_profiles' columns, as revision memory_legacy created them."""
    return [
        uuid_key(),
        sa.Column("user_id", sa.UUID(), nullable=True),
        *(sa.Column(level, sa.Integer(), nullable=True) for level in LEVELS),
        sa.Column("suicidal_risk_level", sa.Integer(), nullable=True),
        sa.Column("sleep_quality", sa.Text(), nullable=True),
        sa.Column("mood_score_initial", sa.Integer(), nullable=True),
        *timestamps(nullable=True),
        *(sa.Column(name, postgresql.JSONB(), nullable=True) for name in LEGACY_FIELDS),
    ]


def legacy_columns(table: str) -> list[sa.Column]:
    """A legacy table's columns, as revision memory_legacy created them."""
    if table == "memory_profiles":
        return legacy_profile_columns()

    def nullable(name: str, type_: sa.types.TypeEngine, **kwargs) -> sa.Column:
        return sa.Column(name, type_, nullable=True, **kwargs)

    def required(name: str, type_: sa.types.TypeEngine, **kwargs) -> sa.Column:
        return sa.Column(name, type_, nullable=False, **kwargs)

    now = {"server_default": NOW}
    naive = sa.DateTime()  # the companion's dump: `timestamp`, without time zone
    aware = sa.DateTime(timezone=True)
    return {
        "conversations": [
            uuid_key(),
            nullable("user_id", sa.UUID()),
            nullable("started_at", aware),
            nullable("ended_at", aware),
            nullable("title", sa.Text()),
            nullable("context_summary", sa.Text()),
            nullable("mood_at_start", sa.Integer()),
            nullable("mood_at_end", sa.Integer()),
            nullable("context_json", postgresql.JSON()),
            nullable("created_at", aware, **now),
            nullable("description", sa.Text()),
        ],
        "conversation_messages": [
            uuid_key(),
            nullable("user_id", sa.UUID()),
            nullable("conversation_id", sa.UUID()),
            nullable("created_at", aware, **now),
            nullable("input_type", sa.Text()),
            nullable("input_transcript", sa.Text()),
            nullable("gpt_response", sa.Text()),
            nullable("audio_response_url", sa.Text()),
            nullable("summary", sa.Text()),
            nullable("mood_at_time", sa.Integer()),
            nullable("flagged", sa.Boolean(), server_default=sa.false()),
            nullable("tags", postgresql.ARRAY(sa.Text())),
        ],
        "crisis_flags": [
            uuid_key(),
            nullable("user_id", sa.UUID()),
            nullable("session_id", sa.UUID()),
            nullable("flag_type", sa.Text()),
            nullable("triggered_at", aware),
            nullable("reviewed", sa.Boolean()),
        ],
        "conversation_continuity": [
            uuid_key(),
            required("user_id", sa.UUID()),
            required("conversation_id", sa.UUID()),
            required("last_message_count", sa.Integer(), server_default="0"),
            required("last_session_phase", sa.String(50), server_default="start"),
            nullable("last_therapeutic_focus", sa.Text()),
            nullable("last_emotional_state", sa.String(50)),
            required("last_timestamp", aware, **now),
            nullable("session_duration_minutes", sa.Integer(), server_default="0"),
            nullable("is_resuming", sa.Boolean(), server_default=sa.false()),
            nullable("continuity_context", sa.Text()),
            nullable("created_at", aware, **now),
            nullable("updated_at", aware, **now),
        ],
        "feedback": [
            uuid_key(),
            required("user_id", sa.UUID()),
            required("raw_feedback", sa.Text()),
            nullable("ai_summary", sa.Text()),
            nullable("priority", sa.String(20)),
            nullable("feedback_type", sa.String(50), server_default="general"),
            nullable("device_info", postgresql.JSONB()),
            nullable("app_version", sa.String(20)),
            nullable("created_at", aware, **now),
            nullable("processed_at", aware),
            nullable("status", sa.String(20), server_default="pending"),
            nullable("tags", postgresql.ARRAY(sa.Text())),
            nullable("metadata", postgresql.JSONB()),
        ],
        "feedback_log": [
            required("id", sa.UUID()),
            nullable("user_id", sa.UUID()),
            nullable("session_id", sa.UUID()),
            nullable("rating", sa.Integer()),
            nullable("comment", sa.Text()),
            nullable("created_at", naive, **now),
        ],
        "user_preferences": [
            required("user_id", sa.UUID()),
            nullable("show_text_response", sa.Boolean(), server_default=sa.true()),
            nullable("play_audio_response", sa.Boolean(), server_default=sa.true()),
            nullable("preferred_therapist_name", sa.Text()),
            nullable("daily_reminder_time", sa.Time()),
            nullable("timezone", sa.Text()),
        ],
        "emotional_trends": [
            required("id", sa.UUID()),
            nullable("user_id", sa.UUID()),
            nullable("recorded_at", naive, **now),
            nullable("mood_score", sa.Integer()),
            nullable("mood_label", sa.Text()),
            nullable("notes", sa.Text()),
            nullable("created_at", naive, **now),
        ],
        "value_compass": [
            required("id", sa.UUID()),
            nullable("user_id", sa.UUID()),
            nullable("core_values", postgresql.ARRAY(sa.Text())),
            nullable("anti_values", postgresql.ARRAY(sa.Text())),
            nullable("narrative", sa.Text()),
            nullable("last_reflected_at", naive),
        ],
    }[table]


def column_list(columns: list[sa.Column], prefix: str = "") -> str:
    return ", ".join(prefix + column.name for column in columns)


# -- SQL: legacy JSON -> text and back -------------------------------------------------------------


def item_text(element: str) -> str:
    """A list item's text: a JSON string's own text, the JSON text of anything else."""
    return (
        f"CASE WHEN jsonb_typeof({element}) = 'string' THEN {element} #>> '{{}}' "
        f"ELSE {element}::text END"
    )


def answer_text(value: str) -> str:
    """A text answer: a JSON string as it is, an array of strings joined by '; ', nothing for
    JSON null, the JSON text of anything else."""
    return f"""CASE jsonb_typeof({value})
        WHEN 'string' THEN {value} #>> '{{}}'
        WHEN 'null' THEN NULL
        WHEN 'array' THEN (
            SELECT CASE WHEN bool_and(jsonb_typeof(item) = 'string') IS NOT FALSE
                        THEN string_agg(item #>> '{{}}', '; ' ORDER BY n) ELSE {value}::text END
            FROM jsonb_array_elements({value}) WITH ORDINALITY AS a(item, n))
        ELSE {value}::text
    END"""


def array_text(value: str) -> str:
    """A text[] answer: each element's text (as a list item's), a bare value its one element,
    nothing for JSON null."""
    return f"""CASE coalesce(jsonb_typeof({value}), 'null')
        WHEN 'null' THEN NULL
        WHEN 'array' THEN ARRAY(
            SELECT {item_text("a.item")}
            FROM jsonb_array_elements({value}) WITH ORDINALITY AS a(item, n) ORDER BY n)
        ELSE ARRAY[{item_text(value)}]
    END"""


def not_strings(value: str) -> str:
    """Whether a JSON value is anything but an array of strings."""
    return f"""CASE WHEN jsonb_typeof({value}) = 'array'
        THEN EXISTS (SELECT FROM jsonb_array_elements({value}) AS a(item)
                     WHERE jsonb_typeof(a.item) <> 'string')
        ELSE true
    END"""


def list_value(items: str, held: str) -> str:
    """A list field's legacy JSON: the held value while the items are still what the upgrade made
    of it (a bare value: its one item; `[]` and JSON null: none), otherwise the items."""
    made_of_held = (
        f"CASE WHEN jsonb_typeof({held}) IN ('array', 'null') THEN NULL "
        f"ELSE jsonb_build_array({held}) END"
    )
    return (
        f"CASE WHEN {held} IS NOT NULL AND ({made_of_held}) IS NOT DISTINCT FROM {items} "
        f"THEN {held} ELSE {items} END"
    )


def answer_value(column: str, held: str, made_of=answer_text) -> str:
    """A text (or text[]) answer's legacy JSON: the held value while the column still says what
    the upgrade made of it, otherwise the column as JSON."""
    return (
        f"CASE WHEN {held} IS NOT NULL AND ({made_of(held)}) IS NOT DISTINCT FROM {column} "
        f"THEN {held} ELSE to_jsonb({column}) END"
    )


# -- upgrade ---------------------------------------------------------------------------------------


def upgrade() -> None:
    # Nothing may write to what this migration reads and then drops; and sorts and index builds
    # over every list item run in memory rather than on disk.
    lock(["memory_profiles", *CONVERSATION_TABLES, *ROUTER_RENAMES])
    lint_exemptions(UPGRADE_EXEMPTIONS)
    op.execute("SET LOCAL maintenance_work_mem = '1GB'")
    op.execute("SET LOCAL work_mem = '256MB'")
    ddl.keep_updated_at()  # a legacy NULL filled in is not the user changing the row
    create_legacy_nulls_table()

    set_aside_profiles()
    create_profile_tables()
    load_profiles()
    key_profile_tables()
    record_reconciliation(
        "memory_profiles",
        SUMMARY.name,
        moved=f"SELECT count(*) FROM {SCHEMA}.memory_profiles p "
        f"WHERE EXISTS (SELECT FROM {SCHEMA}.{SUMMARY.name} s WHERE s.id = p.id)",
    )
    op.drop_table("memory_profiles", schema=SCHEMA)

    set_aside_conversations()
    for legacy, name in CONVERSATION_TABLES.items():  # what stays becomes the user_* table
        record_reconciliation(legacy, name, moved=f"SELECT count(*) FROM {SCHEMA}.{legacy}")
    tie_conversations_to_users()

    set_aside_router_rows()
    for table in ROUTER_TABLES:
        record_reconciliation(
            table.legacy, table.name, moved=f"SELECT count(*) FROM {SCHEMA}.{table.legacy}"
        )
    reshape_router_tables()

    bridge_users()


def lock(tables: list[str]) -> None:
    """Take every lock up front: a write cannot slip in between a read and the drop that
    follows it, and autovacuum stays off tables this transaction is about to drop. Dropping a
    table whose foreign key points at users locks users as strongly. The companion's users (a
    view, replaced) first: locking it locks public.users, in the order its writers take them."""
    ddl.lock_tables(
        {f"{SCHEMA}.users": "ACCESS EXCLUSIVE", "public.users": "ACCESS EXCLUSIVE"}
        | {f"{SCHEMA}.{table}": "ACCESS EXCLUSIVE" for table in tables}
    )


# Every table this revision changes is locked until it commits (above), so squawk's warnings about
# locks and rewrites do not apply; the renames are the document's (the `user_*` names).
UPGRADE_EXEMPTIONS = {
    "ban-drop-table": "the legacy profiles live on in the user_* tables",
    "ban-drop-constraint": "a crisis flag's message key is rebuilt under the new names",
    "ban-drop-view": "the companion's users take the shape of its post-migration schema",
    "ban-drop-function": "the legacy users view's insert trigger goes with it",
    "renaming-table": "conversations, messages, crisis flags and the router tables take the "
    "companion's user_* names",
    "renaming-object": "their primary keys and checks follow the new table names",
    "changing-column-type": "the router tables' varchar(n), timestamp and time become text and "
    "timestamptz, on locked tables",
    "adding-not-nullable-field": "legacy NULLs were filled first; the tables are locked",
    "prefer-bigint-over-smallint": "suicidal_risk_level keeps the legacy column's type (0..3)",
    "require-concurrent-index-creation": "user_id indexes of the renamed, locked tables",
    "constraint-missing-not-valid": "their keys to users and to each other, on locked tables",
    "adding-foreign-key-constraint": "their keys to users and to each other, on locked tables",
    "disallowed-unique-constraint": "a value compass per user, on its locked table",
    "prefer-timestamp-tz": "router rows set aside keep the dump's timestamp without time zone",
}
DOWNGRADE_EXEMPTIONS = {
    "require-concurrent-index-deletion": "the tables are locked until the downgrade commits",
    "ban-drop-not-null": "the legacy columns were nullable",
    "renaming-table": "the tables take their legacy names back",
    "renaming-object": "their primary keys and checks follow the legacy table names",
    "changing-column-type": "the router tables' legacy types, on locked tables",
    "prefer-timestamp-tz": "the router tables' legacy types: the dump's timestamp",
    "ban-drop-default": "legacy ids and columns had no default",
    "constraint-missing-not-valid": "the legacy crisis flag key, on locked tables",
    "adding-foreign-key-constraint": "the legacy crisis flag key, on locked tables",
}


def lint_exemptions(exemptions: dict[str, str]) -> None:
    for rule, reason in exemptions.items():
        ddl.lint_exemption(rule, reason)


def record_reconciliation(legacy: str, target: str, moved: str) -> None:
    """The ledger: a legacy table's rows are those still there plus those set aside (which the
    set-aside deleted), and `moved` counts the ones that reached `target`."""
    ddl.record_reconciliation(
        "memory_normalized",
        f"{SCHEMA}.{target}",
        source=f"SELECT (SELECT count(*) FROM {SCHEMA}.{legacy}) "
        f"+ (SELECT count(*) FROM {SCHEMA}.{legacy}_rejected)",
        moved=moved,
        rejected=f"SELECT count(*) FROM {SCHEMA}.{legacy}_rejected",
    )


def set_aside(table: str, reasons: str, key: str = "id") -> None:
    """Copy the rows of `table` that `reasons` (a CASE over `t`) gives a reason to its rejects."""
    columns = legacy_columns(table)
    op.execute(
        f"""
        INSERT INTO {SCHEMA}.{table}_rejected ({column_list(columns)}, reason)
        SELECT {column_list(columns, "t.")}, r.reason
        FROM {SCHEMA}.{table} t
        JOIN (SELECT t.{key}, {reasons} AS reason FROM {SCHEMA}.{table} t) r ON r.{key} = t.{key}
        WHERE r.reason IS NOT NULL
        """
    )


def remove_set_aside(table: str, key: str = "id") -> None:
    op.execute(
        f"DELETE FROM {SCHEMA}.{table} t USING {SCHEMA}.{table}_rejected r WHERE r.{key} = t.{key}"
    )


def create_rejected_table(table: str, *extra: SchemaItem, key: str = "id") -> None:
    op.create_table(
        f"{table}_rejected",
        *legacy_columns(table),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(key, name=op.f(f"pk_{table}_rejected")),
        *extra,
        schema=SCHEMA,
    )


UNKNOWN_USER = """
    WHEN t.user_id IS NULL THEN 'no user_id'
    WHEN NOT EXISTS (SELECT FROM public.users u WHERE u.id = t.user_id) THEN 'user not found'
"""


def create_legacy_nulls_table() -> None:
    """Where a legacy NULL was filled in: the downgrade gives it back while the value is there."""
    op.create_table(
        LEGACY_NULLS_TABLE,
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("row_id", sa.UUID(), nullable=False),
        sa.Column("column_name", sa.Text(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("filled", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["public.users.id"], name=op.f(f"fk_{LEGACY_NULLS_TABLE}_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "table_name", "row_id", "column_name", name=op.f(f"pk_{LEGACY_NULLS_TABLE}")
        ),
        sa.Index(op.f(f"ix_{LEGACY_NULLS_TABLE}_user_id"), "user_id"),
        schema=SCHEMA,
    )  # fmt: skip


def fill_legacy_nulls(table: str, key: str = "id") -> None:
    """Give the legacy NULLs of `table` (its new name) the values LEGACY_NULLS says, remember
    each, then require the column."""
    for column, fill in LEGACY_NULLS[table].items():
        op.execute(
            f"""
            WITH filled AS (
                UPDATE {SCHEMA}.{table} t SET {column} = {fill.value} WHERE t.{column} IS NULL
                RETURNING t.{key} AS row_id, t.user_id, t.{column}::text AS filled
            )
            INSERT INTO {SCHEMA}.{LEGACY_NULLS_TABLE}
                (table_name, row_id, column_name, user_id, filled)
            SELECT '{table}', row_id, '{column}', user_id, filled FROM filled
            """
        )
        op.alter_column(table, column, nullable=False, schema=SCHEMA)


def set_aside_profiles() -> None:
    create_rejected_table(
        "memory_profiles",
        sa.ForeignKeyConstraint(
            ["user_id"], ["public.users.id"],
            name=op.f("fk_memory_profiles_rejected_user_id_users"), ondelete="CASCADE",
        ),
    )  # fmt: skip
    op.create_index(
        op.f("ix_memory_profiles_rejected_user_id"),
        "memory_profiles_rejected",
        ["user_id"],
        schema=SCHEMA,
    )
    ddl.add_updated_at_trigger("memory_profiles_rejected", schema=SCHEMA)
    set_aside(
        "memory_profiles",
        """CASE
            WHEN t.user_id IS NULL THEN 'no user_id'
            WHEN row_number() OVER (
                PARTITION BY t.user_id
                ORDER BY t.updated_at DESC NULLS LAST, t.created_at DESC NULLS LAST, t.id
            ) > 1 THEN 'a more recently updated profile of this user was migrated'
        END""",
    )
    remove_set_aside("memory_profiles")


def create_profile_tables() -> None:
    """The tables the load fills, with columns and CHECKs only: keys come after the load."""
    for table in LIST_TABLES:
        op.create_table(
            table.name,
            uuid_key(),
            sa.Column("user_id", sa.UUID(), nullable=False),
            sa.Column(table.item_column, sa.Text(), nullable=not table.item_required),
            *spec_columns(table.name, table.columns),
            sa.Column("position", sa.Integer(), nullable=True,
                      comment="Place in the list: the legacy array's order; "
                              "items without one come last."),
            sa.Column("legacy_value", postgresql.JSONB(), nullable=True,
                      comment="The legacy JSON element when it was not a plain string "
                              "(the item column then holds its JSON text)."),
            *([sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False)]
              if table.deactivatable else []),
            *timestamps(),
            schema=SCHEMA,
        )  # fmt: skip
    for table in (SUMMARY, *ANSWER_TABLES):
        op.create_table(
            table.name,
            uuid_key(),
            sa.Column("user_id", sa.UUID(), nullable=False),
            *spec_columns(table.name, table.columns),
            *timestamps(nullable=table is SUMMARY),  # the legacy profile's, filled in later
            schema=SCHEMA,
        )
    op.create_table(
        LEGACY_VALUES,
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("value", postgresql.JSONB(), nullable=False),
        schema=SCHEMA,
    )


def load_profiles() -> None:
    """One INSERT ... SELECT per table, straight from the (now placeable) legacy profiles."""
    for table in LIST_TABLES:
        load_list(table)

    levels = ", ".join(LEVELS)
    answers = SUMMARY.answers
    op.execute(
        f"""
        INSERT INTO {SCHEMA}.{SUMMARY.name} (id, user_id, {levels}, suicidal_risk_level,
            sleep_quality, mood_score_initial, {", ".join(answers)}, created_at, updated_at)
        SELECT p.id, p.user_id, {", ".join(f"p.{level}" for level in LEVELS)},
               p.suicidal_risk_level, p.sleep_quality, p.mood_score_initial,
               {", ".join(answer_text(f"p.{field}") for field in answers.values())},
               p.created_at, p.updated_at
        FROM {SCHEMA}.memory_profiles p
        """
    )

    for table in ANSWER_TABLES:
        homes = {column: f"p.{field}" for column, field in table.answers.items()}
        arrays = {column: f"p.{field}" for column, field in table.arrays.items()}
        values = [answer_text(value) for value in homes.values()]
        values += [array_text(value) for value in arrays.values()]
        fields = [*homes.values(), *arrays.values()]
        op.execute(
            f"""
            INSERT INTO {SCHEMA}.{table.name}
                (id, user_id, {", ".join([*homes, *arrays])}, created_at, updated_at)
            SELECT md5('{table.name}:' || p.id)::uuid, p.user_id,
                   {", ".join(values)}, {CREATED}, {UPDATED}
            FROM {SCHEMA}.memory_profiles p
            WHERE {" OR ".join(f"{value} IS NOT NULL" for value in fields)}
            """
        )

    # A text answer that was not a plain JSON string, a text[] answer that was not an array of
    # strings: its column holds a rendering of it.
    answers = ", ".join(f"('{name}', p.{name})" for name in ANSWER_HOMES)
    arrays = ", ".join(f"('{name}', p.{name})" for name in ARRAY_HOMES)
    op.execute(
        f"""
        INSERT INTO {SCHEMA}.{LEGACY_VALUES} (user_id, field, value)
        SELECT p.user_id, a.field, a.value
        FROM {SCHEMA}.memory_profiles p CROSS JOIN LATERAL (VALUES {answers}) AS a(field, value)
        WHERE jsonb_typeof(a.value) <> 'string'
        UNION ALL
        SELECT p.user_id, a.field, a.value
        FROM {SCHEMA}.memory_profiles p CROSS JOIN LATERAL (VALUES {arrays}) AS a(field, value)
        WHERE a.value IS NOT NULL AND {not_strings("a.value")}
        """
    )


def load_list(table: ListTable) -> None:
    """One row per element of a list field, in one pass over the profiles that also keeps the
    values the rows alone would not give back (a bare value, `[]`, JSON null).

    Profiles are read in user_id order, so the rows land in (user_id, position) order: the
    user_id index builds from presorted input, and so do the downgrade's per-user aggregates.
    """
    item = item_text("e.value")
    derived = "".join(f", {column}" for column in table.derived)
    derived_values = "".join(f", {sql.format(item=item)}" for sql in table.derived.values())
    op.execute(
        f"""
        WITH profile AS MATERIALIZED (
            SELECT p.id, p.user_id, {CREATED} AS created_at, {UPDATED} AS updated_at,
                   p.{table.legacy_field} AS value, jsonb_typeof(p.{table.legacy_field}) AS shape
            FROM {SCHEMA}.memory_profiles p
            WHERE p.{table.legacy_field} IS NOT NULL
            ORDER BY p.user_id
        ), held AS (
            INSERT INTO {SCHEMA}.{LEGACY_VALUES} (user_id, field, value)
            SELECT user_id, '{table.legacy_field}', value FROM profile
            WHERE shape <> 'array' OR value = '[]'
        )
        INSERT INTO {SCHEMA}.{table.name} (id, user_id, {table.item_column}, position,
                                           legacy_value, created_at, updated_at{derived})
        SELECT md5('{table.name}:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               {item}, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at{derived_values}
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null'
        """
    )


def key_profile_tables() -> None:
    fill_legacy_nulls(SUMMARY.name)
    for name in LOADED_TABLES:
        op.create_primary_key(op.f(f"pk_{name}"), name, ["id"], schema=SCHEMA)
        if name in (SUMMARY.name, *(table.name for table in ANSWER_TABLES)):
            op.create_unique_constraint(
                op.f(f"uq_{name}_user_id"), name, ["user_id"], schema=SCHEMA
            )
        else:
            op.create_index(op.f(f"ix_{name}_user_id"), name, ["user_id"], schema=SCHEMA)
    op.create_primary_key(
        op.f(f"pk_{LEGACY_VALUES}"), LEGACY_VALUES, ["user_id", "field"], schema=SCHEMA
    )
    for name in (*LOADED_TABLES, LEGACY_VALUES):
        op.create_foreign_key(
            op.f(f"fk_{name}_user_id_users"), name, "users", ["user_id"], ["id"],
            source_schema=SCHEMA, referent_schema="public", ondelete="CASCADE",
        )  # fmt: skip
    for name in LOADED_TABLES:
        ddl.add_updated_at_trigger(name, schema=SCHEMA)


def set_aside_conversations() -> None:
    for table in CONVERSATION_TABLES:
        create_rejected_table(table)
    set_aside("conversations", f"CASE {UNKNOWN_USER} END")
    set_aside(
        "conversation_messages",
        f"""CASE {UNKNOWN_USER}
            WHEN EXISTS (SELECT FROM {SCHEMA}.conversations_rejected r
                         WHERE r.id = t.conversation_id) THEN 'conversation rejected'
            WHEN t.conversation_id IS NOT NULL AND NOT EXISTS (
                SELECT FROM {SCHEMA}.conversations c WHERE c.id = t.conversation_id
            ) THEN 'conversation not found'
        END""",
    )
    set_aside(
        "crisis_flags",
        f"""CASE {UNKNOWN_USER}
            WHEN EXISTS (SELECT FROM {SCHEMA}.conversation_messages_rejected r
                         WHERE r.id = t.session_id) THEN 'message rejected'
        END""",
    )
    for table in reversed(CONVERSATION_TABLES):  # flags point to messages
        remove_set_aside(table)


def tie_conversations_to_users() -> None:
    op.drop_constraint(SESSION_FK, "crisis_flags", schema=SCHEMA)
    for legacy, name in CONVERSATION_TABLES.items():
        op.rename_table(legacy, name, schema=SCHEMA)
        op.execute(f"ALTER TABLE {SCHEMA}.{name} RENAME CONSTRAINT pk_{legacy} TO pk_{name}")
        op.alter_column(name, "user_id", nullable=False, schema=SCHEMA)

    op.add_column(
        "user_crisis_flags",
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        schema=SCHEMA,
    )
    for name in CONVERSATION_TABLES.values():
        op.add_column(
            name,
            sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
            schema=SCHEMA,
        )
        fill_legacy_nulls(name)
    # What the companion's code leaves to the database.
    op.alter_column("user_conversations", "started_at", server_default=NOW, schema=SCHEMA)
    op.alter_column("user_crisis_flags", "triggered_at", server_default=NOW, schema=SCHEMA)
    op.alter_column("user_crisis_flags", "reviewed", server_default=sa.false(), schema=SCHEMA)
    op.execute(
        f"UPDATE {SCHEMA}.user_crisis_flags SET created_at = triggered_at, "
        "updated_at = triggered_at"
    )

    for name in CONVERSATION_TABLES.values():
        op.create_index(op.f(f"ix_{name}_user_id"), name, ["user_id"], schema=SCHEMA)
        op.create_foreign_key(
            op.f(f"fk_{name}_user_id_users"), name, "users", ["user_id"], ["id"],
            source_schema=SCHEMA, referent_schema="public", ondelete="CASCADE",
        )  # fmt: skip
        ddl.add_updated_at_trigger(name, schema=SCHEMA)
    op.create_index(
        op.f("ix_user_conversation_messages_conversation_id_created_at"),
        "user_conversation_messages",
        ["conversation_id", "created_at"],
        schema=SCHEMA,
    )
    op.create_foreign_key(
        op.f("fk_user_conversation_messages_conversation_id_user_conv_9001"),
        "user_conversation_messages", "user_conversations", ["conversation_id"], ["id"],
        source_schema=SCHEMA, referent_schema=SCHEMA, ondelete="CASCADE",
    )  # fmt: skip
    op.create_index(
        op.f("ix_user_crisis_flags_session_id"), "user_crisis_flags", ["session_id"], schema=SCHEMA
    )
    op.create_foreign_key(
        op.f("fk_user_crisis_flags_session_id_user_conversation_messages"),
        "user_crisis_flags", "user_conversation_messages", ["session_id"], ["id"],
        source_schema=SCHEMA, referent_schema=SCHEMA, ondelete="SET NULL",
    )  # fmt: skip


def set_aside_router_rows() -> None:
    """A row that cannot be tied to its user, a continuity to its conversation, and every value
    compass of a user but the most recently reflected one (one per user now)."""
    conversation = f"""
        WHEN EXISTS (SELECT FROM {SCHEMA}.conversations_rejected r
                     WHERE r.id = t.conversation_id) THEN 'conversation rejected'
        WHEN NOT EXISTS (SELECT FROM {SCHEMA}.user_conversations c
                         WHERE c.id = t.conversation_id) THEN 'conversation not found'
    """
    second_compass = """
        WHEN row_number() OVER (
            PARTITION BY t.user_id ORDER BY t.last_reflected_at DESC NULLS LAST, t.id
        ) > 1 THEN 'a more recently reflected value compass of this user was migrated'
    """
    more = {"conversation_continuity": conversation, "value_compass": second_compass}
    for table in ROUTER_TABLES:
        create_rejected_table(table.legacy, key=table.key)
        if "updated_at" in (column.name for column in legacy_columns(table.legacy)):
            ddl.add_updated_at_trigger(f"{table.legacy}_rejected", schema=SCHEMA)
        set_aside(table.legacy, f"CASE {UNKNOWN_USER} {more.get(table.legacy, '')} END", table.key)
        remove_set_aside(table.legacy, table.key)


def retype(table: RouterTable, upward: bool) -> None:
    """The dump's varchar(n), timestamp and time to the companion's text and timestamptz, or
    back: a timestamp was the host's UTC, a time of day is one of 1970-01-01 UTC."""
    defaults = {column.name: column.server_default for column in legacy_columns(table.legacy)}
    checked = [column for column in table.checks if column in table.retyped]
    changes = [f"DROP CONSTRAINT ck_{table.name}_{column}" for column in checked]
    for column, legacy in table.retyped.items():
        new, up, down = conversion(legacy)
        using = (up if upward else down).format(c=column)
        changes.append(f"ALTER COLUMN {column} TYPE {new if upward else legacy} USING {using}")
        if defaults[column] is not None:  # typed anew, as the column's own type
            arg = defaults[column].arg
            default = arg.text if isinstance(arg, sa.TextClause) else f"'{arg}'"
            changes.append(f"ALTER COLUMN {column} SET DEFAULT {default}")
    changes += [
        f"ADD CONSTRAINT ck_{table.name}_{column} CHECK ({column} {table.checks[column]})"
        for column in checked
    ]
    op.execute(f"ALTER TABLE {SCHEMA}.{table.name} {', '.join(changes)}")  # under its new name


def conversion(legacy: str) -> tuple[str, str, str]:
    """A legacy type's new type, and the USING of each direction (`{c}`: the column)."""
    if legacy.startswith("varchar("):
        return "text", "{c}", f"left({{c}}, {legacy.removeprefix('varchar(').removesuffix(')')})"
    if legacy == "timestamp":
        return "timestamptz", "{c} AT TIME ZONE 'UTC'", "{c} AT TIME ZONE 'UTC'"
    assert legacy == "time", legacy  # 24:00 is the next day's 00:00
    return (
        "timestamptz",
        "(date '1970-01-01' + {c}) AT TIME ZONE 'UTC'",
        "CASE WHEN {c} = '1970-01-02 00:00+00' THEN time '24:00' "
        "ELSE ({c} AT TIME ZONE 'UTC')::time END",
    )


def rename(table: RouterTable, upward: bool) -> None:
    """The table, its primary key and CHECKs take the companion's names, or the legacy ones."""
    old, new = (table.legacy, table.name) if upward else (table.name, table.legacy)
    if old == new:
        return
    op.rename_table(old, new, schema=SCHEMA)
    for pattern in ("pk_{}", *(f"ck_{{}}_{column}" for column in table.checks)):
        op.execute(
            f"ALTER TABLE {SCHEMA}.{new} RENAME CONSTRAINT {pattern.format(old)} "
            f"TO {pattern.format(new)}"
        )


def reshape_router_tables() -> None:
    for table in ROUTER_TABLES:
        name = table.name
        rename(table, upward=True)
        retype(table, upward=True)
        if legacy_columns(table.legacy)[0].server_default is None and table.key == "id":
            op.alter_column(name, "id", server_default=sa.text("gen_random_uuid()"), schema=SCHEMA)
        for column in table.stamped:
            op.add_column(
                name,
                sa.Column(column, sa.DateTime(timezone=True), server_default=NOW, nullable=False),
                schema=SCHEMA,
            )
        if name in LEGACY_NULLS:
            fill_legacy_nulls(name, key=table.key)
        op.alter_column(name, "user_id", nullable=False, schema=SCHEMA)
        op.create_foreign_key(
            op.f(f"fk_{name}_user_id_users"), name, "users", ["user_id"], ["id"],
            source_schema=SCHEMA, referent_schema="public", ondelete="CASCADE",
        )  # fmt: skip
        if name == "user_value_compass":  # one per user
            op.create_unique_constraint(
                op.f(f"uq_{name}_user_id"), name, ["user_id"], schema=SCHEMA
            )
        elif table.key != "user_id":
            op.create_index(op.f(f"ix_{name}_user_id"), name, ["user_id"], schema=SCHEMA)
        if "updated_at" in table.stamped:
            ddl.add_updated_at_trigger(name, schema=SCHEMA)
    op.create_index(
        op.f("ix_user_conversation_continuity_conversation_id"),
        "user_conversation_continuity",
        ["conversation_id"],
        schema=SCHEMA,
    )
    op.create_foreign_key(
        op.f(CONTINUITY_FK), "user_conversation_continuity", "user_conversations",
        ["conversation_id"], ["id"], source_schema=SCHEMA, referent_schema=SCHEMA,
        ondelete="CASCADE",
    )  # fmt: skip


def bridge_users() -> None:
    """The companion's users as its post-migration schema has them, still the platform's people."""
    op.add_column(
        "users",
        sa.Column("onboarding_completed_at", sa.DateTime(timezone=True), nullable=True),
        schema="public",
    )
    op.execute(f"DROP VIEW {SCHEMA}.users")  # the legacy shape, and its insert trigger
    op.execute(f"DROP FUNCTION {SCHEMA}.insert_user()")
    op.execute(COMPANION_USERS)
    op.execute(f"ALTER VIEW {SCHEMA}.users ALTER COLUMN onboarding_skipped SET DEFAULT false")
    op.execute(CHECK_COMPANION_EMAIL)
    op.execute(
        "CREATE TRIGGER companion_email BEFORE INSERT OR UPDATE OF email, onboarding_skipped "
        "ON public.users FOR EACH ROW WHEN (NEW.onboarding_skipped IS NOT NULL) "
        f"EXECUTE FUNCTION {SCHEMA}.check_companion_email()"
    )
    op.execute(
        """
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
        $$
        """
    )


# Updatable as it stands: its code inserts (with the id it generated), upserts, updates and
# deletes through it. Its people: those with the onboarding flag (every person of its own has
# one, false by default) and the email it requires; deleting one deletes their memory.
COMPANION_USERS = f"""
CREATE VIEW {SCHEMA}.users AS
SELECT id, name, email, password_hash AS password, onboarding_skipped, onboarding_completed_at,
       created_at, updated_at
FROM public.users
WHERE onboarding_skipped IS NOT NULL AND email IS NOT NULL
WITH CASCADED CHECK OPTION
"""

CHECK_COMPANION_EMAIL = rf"""
CREATE FUNCTION {SCHEMA}.check_companion_email() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.email IS NULL THEN
        RAISE EXCEPTION 'null value in column "email" of relation "users" violates not-null '
                        'constraint'
            USING ERRCODE = 'not_null_violation', SCHEMA = '{SCHEMA}', TABLE = 'users',
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
$$
"""


# -- downgrade -------------------------------------------------------------------------------------


def downgrade() -> None:
    rejected = [
        f"{table}_rejected" for table in ("memory_profiles", *CONVERSATION_TABLES, *ROUTER_RENAMES)
    ]
    lock([
        *ROUTER_RENAMES.values(), *CONVERSATION_TABLES.values(), *LOADED_TABLES, LEGACY_VALUES,
        LEGACY_NULLS_TABLE, *rejected,
    ])  # fmt: skip
    lint_exemptions(DOWNGRADE_EXEMPTIONS)
    ddl.forget_reconciliation("memory_normalized")
    op.execute("SET LOCAL work_mem = '256MB'")
    ddl.keep_updated_at()  # a legacy NULL given back is not the user changing the row

    unbridge_users()
    restore_router_tables()
    untie_conversations()

    create_legacy_profiles_table()
    unfill_legacy_nulls(SUMMARY.name)
    rebuild_profiles()
    put_back("memory_profiles")
    for name in (*LOADED_TABLES, LEGACY_VALUES, LEGACY_NULLS_TABLE):
        op.drop_table(name, schema=SCHEMA)


def put_back(table: str) -> None:
    columns = column_list(legacy_columns(table))
    op.execute(
        f"INSERT INTO {SCHEMA}.{table} ({columns}) SELECT {columns} FROM {SCHEMA}.{table}_rejected"
    )
    op.drop_table(f"{table}_rejected", schema=SCHEMA)


def unfill_legacy_nulls(table: str, key: str = "id") -> None:
    """The legacy NULLs of `table` (its new name) back, where the row still holds the value the
    upgrade filled in: an edit made since wins."""
    for column, fill in LEGACY_NULLS[table].items():
        op.alter_column(table, column, nullable=True, schema=SCHEMA)
        op.execute(
            f"""
            UPDATE {SCHEMA}.{table} t SET {column} = NULL
            FROM {SCHEMA}.{LEGACY_NULLS_TABLE} n
            WHERE n.table_name = '{table}' AND n.column_name = '{column}' AND n.row_id = t.{key}
              AND t.{column} = CAST(n.filled AS {fill.type_})
            """
        )


def unbridge_users() -> None:
    """The companion's users in the legacy shape again; onboarding_completed_at is lost."""
    op.execute("DROP TRIGGER companion_email ON public.users")
    op.execute(f"DROP FUNCTION {SCHEMA}.check_companion_email()")
    op.execute(f"DROP VIEW {SCHEMA}.users")
    op.execute(LEGACY_USERS)
    op.execute(INSERT_USER_FUNCTION)
    op.execute(
        f"CREATE TRIGGER insert_user INSTEAD OF INSERT ON {SCHEMA}.users "
        f"FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.insert_user()"
    )
    op.drop_column("users", "onboarding_completed_at", schema="public")


# The legacy users view and its insert trigger, as revision memory_legacy created them.
LEGACY_USERS = f"""
CREATE VIEW {SCHEMA}.users AS
SELECT id, name, email, created_at, onboarding_skipped, updated_at
FROM public.users
WHERE onboarding_skipped IS NOT NULL
WITH CASCADED CHECK OPTION
"""
INSERT_USER_FUNCTION = f"""
CREATE FUNCTION {SCHEMA}.insert_user() RETURNS trigger
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
$$
"""


def restore_router_tables() -> None:
    op.drop_constraint(op.f(CONTINUITY_FK), "user_conversation_continuity", schema=SCHEMA)
    op.drop_index(
        op.f("ix_user_conversation_continuity_conversation_id"),
        "user_conversation_continuity",
        schema=SCHEMA,
    )
    for table in reversed(ROUTER_TABLES):
        name = table.name
        if "updated_at" in table.stamped:
            ddl.drop_updated_at_trigger(name, schema=SCHEMA)
        if name == "user_value_compass":
            op.drop_constraint(op.f(f"uq_{name}_user_id"), name, schema=SCHEMA)
        elif table.key != "user_id":
            op.drop_index(op.f(f"ix_{name}_user_id"), name, schema=SCHEMA)
        op.drop_constraint(op.f(f"fk_{name}_user_id_users"), name, schema=SCHEMA)
        legacy = {column.name: column for column in legacy_columns(table.legacy)}
        if legacy["user_id"].nullable:
            op.alter_column(name, "user_id", nullable=True, schema=SCHEMA)
        if name in LEGACY_NULLS:
            unfill_legacy_nulls(name, key=table.key)
        for column in table.stamped:
            op.drop_column(name, column, schema=SCHEMA)
        if table.key == "id" and legacy["id"].server_default is None:
            op.alter_column(name, "id", server_default=None, schema=SCHEMA)
        retype(table, upward=False)
        rename(table, upward=False)
        put_back(table.legacy)


def untie_conversations() -> None:
    op.drop_constraint(
        op.f("fk_user_crisis_flags_session_id_user_conversation_messages"),
        "user_crisis_flags", schema=SCHEMA,
    )  # fmt: skip
    op.drop_index(op.f("ix_user_crisis_flags_session_id"), "user_crisis_flags", schema=SCHEMA)
    op.drop_constraint(
        op.f("fk_user_conversation_messages_conversation_id_user_conv_9001"),
        "user_conversation_messages", schema=SCHEMA,
    )  # fmt: skip
    op.drop_index(
        op.f("ix_user_conversation_messages_conversation_id_created_at"),
        "user_conversation_messages",
        schema=SCHEMA,
    )
    op.alter_column("user_conversations", "started_at", server_default=None, schema=SCHEMA)
    op.alter_column("user_crisis_flags", "triggered_at", server_default=None, schema=SCHEMA)
    op.alter_column("user_crisis_flags", "reviewed", server_default=None, schema=SCHEMA)
    for legacy, name in CONVERSATION_TABLES.items():
        ddl.drop_updated_at_trigger(name, schema=SCHEMA)
        op.drop_constraint(op.f(f"fk_{name}_user_id_users"), name, schema=SCHEMA)
        op.drop_index(op.f(f"ix_{name}_user_id"), name, schema=SCHEMA)
        unfill_legacy_nulls(name)
        op.drop_column(name, "updated_at", schema=SCHEMA)
        op.alter_column(name, "user_id", nullable=True, schema=SCHEMA)
        op.execute(f"ALTER TABLE {SCHEMA}.{name} RENAME CONSTRAINT pk_{name} TO pk_{legacy}")
        op.rename_table(name, legacy, schema=SCHEMA)
    op.drop_column("crisis_flags", "created_at", schema=SCHEMA)

    for table in CONVERSATION_TABLES:  # a message before the flags raised on it
        put_back(table)
    op.create_foreign_key(
        op.f(SESSION_FK), "crisis_flags", "conversation_messages", ["session_id"], ["id"],
        source_schema=SCHEMA, referent_schema=SCHEMA,
    )  # fmt: skip


def create_legacy_profiles_table() -> None:
    op.create_table(
        "memory_profiles",
        *legacy_profile_columns(),
        *(
            sa.CheckConstraint(
                f"{level} BETWEEN 1 AND 10", name=op.f(f"ck_memory_profiles_{level}")
            )
            for level in LEVELS
        ),
        sa.CheckConstraint(
            "suicidal_risk_level BETWEEN 0 AND 3",
            name=op.f("ck_memory_profiles_suicidal_risk_level"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["public.users.id"], name=op.f("fk_memory_profiles_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_profiles")),
        schema=SCHEMA,
    )
    ddl.add_updated_at_trigger("memory_profiles", schema=SCHEMA)


def rebuild_profiles() -> None:
    """One legacy profile per summary, each JSON field rebuilt from its home in one INSERT.

    Every list table is aggregated once, per user, in position order (active items only); the
    legacy values are pivoted to one JSON object per user.
    """
    list_joins = []
    for table in LIST_TABLES:
        item = table.item_column
        element = (
            f"CASE WHEN ({item_text('legacy_value')}) = {item} THEN legacy_value "
            f"ELSE to_jsonb({item}) END"
        )
        active = "WHERE is_active" if table.deactivatable else ""
        list_joins.append(
            f"""LEFT JOIN (
                SELECT user_id,
                       jsonb_agg({element} ORDER BY position NULLS LAST, created_at, id) AS items
                FROM {SCHEMA}.{table.name} {active} GROUP BY user_id
            ) AS {table.name} ON {table.name}.user_id = s.user_id"""
        )
    answer_joins = [
        f"LEFT JOIN {SCHEMA}.{table.name} ON {table.name}.user_id = s.user_id"
        for table in ANSWER_TABLES
    ]

    def rebuilt(name: str) -> str:
        held = f"(legacy.held -> '{name}')"
        if name in LIST_HOMES:
            return list_value(f"{LIST_HOMES[name].name}.items", held)
        if name in ARRAY_HOMES:
            table, column = ARRAY_HOMES[name]
            return answer_value(f"{table.name}.{column}", held, made_of=array_text)
        table, column = ANSWER_HOMES[name]
        return answer_value(f"{'s' if table is SUMMARY else table.name}.{column}", held)

    newline = "\n"
    op.execute(
        f"""
        INSERT INTO {SCHEMA}.memory_profiles ({column_list(legacy_profile_columns())})
        SELECT s.id, s.user_id, {", ".join(f"s.{level}" for level in LEVELS)},
               s.suicidal_risk_level::integer, s.sleep_quality, s.mood_score_initial,
               s.created_at, s.updated_at,
               {("," + newline).join(rebuilt(name) for name in LEGACY_FIELDS)}
        FROM {SCHEMA}.{SUMMARY.name} s
        LEFT JOIN (
            SELECT user_id, jsonb_object_agg(field, value) AS held
            FROM {SCHEMA}.{LEGACY_VALUES} GROUP BY user_id
        ) AS legacy ON legacy.user_id = s.user_id
        {newline.join(answer_joins)}
        {newline.join(list_joins)}
        """
    )
