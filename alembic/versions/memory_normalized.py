"""memory_normalized: seed 001's migration, from one wide JSON profile to the `user_*` tables.

The story, in the order `upgrade()` tells it:

1. Profiles that cannot become a user's one summary are set aside, unchanged, in
   `memory_profiles_rejected` with the reason: a profile with no user, and every profile of a user
   but the most recently updated one (a user has one summary; which profile wins is decided by
   updated_at, then created_at, then id). Source profiles = migrated + rejected, written to the
   ledger (public.migration_reconciliation, as for the conversation tables in step 4), whose
   CHECK fails the revision if a profile did not reach its summary.
2. Every JSON field of every remaining profile lands in its home (docs/SEEDS.md has the map):
   - 29 list fields become one row per element in their `user_*` list table, `position` the
     element's place. A JSON string's text goes in the table's item column; any other element
     (number, object, nested array, null) goes there as its JSON text and is kept as
     `legacy_value`. A bare value where an array was expected becomes the list's one item.
   - 13 fields are single text answers in a one-per-user table (the summary, AI preferences,
     sleep routine, ...): a JSON string as it is, an array of strings joined by "; ", the JSON
     text of anything else, nothing for JSON null.
   - `user_profile_legacy_values` keeps the exact JSON wherever those rows alone would rebuild
     something else: a list field holding a bare value, `[]` or JSON null; a text answer that
     was not a plain string. The downgrade uses it while the rows still say what the upgrade made
     of it, so an edit made since then wins.
   The upstream migration lost stuck_points, summary and therapy_duration; here they live in
   `user_stuck_points`, `user_profile_summary.summary` and `.therapy_duration`.
3. Then the keys: primary keys, unique user_ids, user_id indexes and foreign keys are built after
   the load, with maintenance_work_mem raised, and rows get ids derived from their source
   (`md5('<table>:' || profile id || ':' || position)::uuid`): deterministic, and about four
   times cheaper than a random UUID per row (DESIGN section 8). One INSERT per table.
4. Conversations, messages and crisis flags are renamed to `user_*`, tied to their user (and a
   message to its conversation) with cascading foreign keys. Rows that cannot be tied are set
   aside in `*_rejected` first: no user_id, a user who does not exist, no or an unknown
   conversation, a conversation or message that was itself set aside. Their legacy columns stay
   as they were (nullable, `context_json` json); `updated_at` starts at the migration time (a
   fast default: no rewrite of tables that may be large), a crisis flag's new `created_at` is
   when it was triggered.
5. The tables the routers need: conversation continuity, value compass, emotional trends,
   feedback log.

Also settled here:
- Both directions LOCK everything they read and drop before anything else: no application write
  can fall between a read and the drop that follows it (nor can autovacuum hold up a drop).
- Legacy columns DESIGN does not call NOT NULL stay nullable where they are carried over (the
  summary's timestamps, every conversation column). Columns the reference calls NOT NULL but that
  legacy items cannot fill (relationship_type of a dynamic, a mood trend's recorded_date, a
  thought's thought_date, an insight's title) are nullable rather than invented.
- The spec below is this revision's own, frozen: `app/models/memory.py` builds the same tables
  from shared mixins, and `alembic check` holds the two to each other.

The downgrade rebuilds every legacy profile from its rows (JSON values equal to the originals,
element order included), one INSERT over all list tables aggregated per user, and puts back every
rejected row. A user who got a summary after the upgrade gets a legacy profile. What it cannot
give back, because the legacy tables have no place for it: rows of the new-only tables (step 5),
the columns the legacy items did not have (ratings, categories, ...), inactive list items
(retired memory stays forgotten), list items and answers of a user who has no
`user_profile_summary` row, `updated_at` of conversations and messages, and a crisis flag's
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

from app import ddl

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
TIMESTAMP = Kind(sa.DateTime(timezone=True))
RATING = Kind(sa.Integer(), check="BETWEEN 1 AND 10")
RISK = Kind(sa.Integer(), check="BETWEEN 0 AND 3")
NO = Kind(sa.Boolean(), default="false", nullable=False)

Columns = dict[str, Kind]


@dataclass(frozen=True)
class ListTable:
    """A legacy JSON array's home: one row per element, its text in `item_column`."""

    name: str
    legacy_field: str
    item_column: str
    columns: Columns = field(default_factory=dict)
    deactivatable: bool = True


@dataclass(frozen=True)
class OneTable:
    """A one-row-per-user table; `answers` maps its text columns to the legacy fields they hold."""

    name: str
    columns: Columns
    answers: dict[str, str] = field(default_factory=dict)


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
    ListTable("user_preferred_therapy_styles", "preferred_therapy_styles", "style_name"),
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
              {"relationship_type": TEXT, "communication_style": TEXT,
               "conflict_resolution": TEXT, "emotional_safety_level": RATING}),
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
              {"recorded_date": DATE, "mood_score": RATING, "contributing_factors": TEXTS,
               "notes": TEXT},
              deactivatable=False),
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
              {"insight_title": TEXT, "insight_category": TEXT, "importance_level": RATING,
               "related_themes": TEXTS, "action_items": TEXTS}),
    ListTable("user_previous_therapy", "previous_therapy", "therapy_type",
              {"therapist_name": TEXT, "duration": TEXT, "effectiveness_rating": RATING,
               "key_insights": TEXT, "termination_reason": TEXT}),
    ListTable("user_suicidal_thoughts", "suicidal_thoughts_initial", "thought_content",
              {"thought_date": DATE, "intensity_level": RATING, "risk_level": RISK,
               "protective_factors": TEXTS, "safety_plan_activated": NO,
               "professional_help_sought": NO},
              deactivatable=False),
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
        answers={"therapeutic_approach": "therapeutic_approach",
                 "emotional_tone": "preferred_tone"},
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
assert sorted([*LIST_HOMES, *ANSWER_HOMES]) == sorted(LEGACY_FIELDS), "every field, one home"

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
# What the rewritten routers need and the legacy app never had (step 5).
ROUTER_TABLES = (
    "user_conversation_continuity",
    "user_value_compass",
    "user_emotional_trends",
    "user_feedback_log",
)

# What the downgrade cannot give back (app/data_loss.py): a downgrade that would destroy rows
# of these refuses unless told to. Table -> the condition of its rows that are lost.
LOST_ON_DOWNGRADE = {f"memory.{table}": "true" for table in ROUTER_TABLES}

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


def user_key(table: str, unique: bool = False) -> list[SchemaItem]:
    """user_id, deleted with the user, with the index (or unique constraint) serving the key."""
    items = [
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["public.users.id"], name=op.f(f"fk_{table}_user_id_users"),
            ondelete="CASCADE",
        ),
    ]  # fmt: skip
    if unique:
        items.append(sa.UniqueConstraint("user_id", name=op.f(f"uq_{table}_user_id")))
    return items


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


def legacy_conversation_columns() -> dict[str, list[sa.Column]]:
    """The legacy conversation tables' columns, as revision memory_legacy created them."""

    def nullable(name: str, type_: sa.types.TypeEngine, **kwargs) -> sa.Column:
        return sa.Column(name, type_, nullable=True, **kwargs)

    created_at = {"server_default": NOW}
    return {
        "conversations": [
            uuid_key(),
            nullable("user_id", sa.UUID()),
            nullable("started_at", sa.DateTime(timezone=True)),
            nullable("ended_at", sa.DateTime(timezone=True)),
            nullable("title", sa.Text()),
            nullable("context_summary", sa.Text()),
            nullable("mood_at_start", sa.Integer()),
            nullable("mood_at_end", sa.Integer()),
            nullable("context_json", postgresql.JSON()),
            nullable("created_at", sa.DateTime(timezone=True), **created_at),
            nullable("description", sa.Text()),
        ],
        "conversation_messages": [
            uuid_key(),
            nullable("user_id", sa.UUID()),
            nullable("conversation_id", sa.UUID()),
            nullable("created_at", sa.DateTime(timezone=True), **created_at),
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
            nullable("triggered_at", sa.DateTime(timezone=True)),
            nullable("reviewed", sa.Boolean()),
        ],
    }


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


def answer_value(column: str, held: str) -> str:
    """A text answer's legacy JSON: the held value while the column still says what the upgrade
    made of it, otherwise the column as a JSON string."""
    return (
        f"CASE WHEN {held} IS NOT NULL AND ({answer_text(held)}) IS NOT DISTINCT FROM {column} "
        f"THEN {held} ELSE to_jsonb({column}) END"
    )


# -- upgrade ---------------------------------------------------------------------------------------


def upgrade() -> None:
    # Nothing may write to what this migration reads and then drops; and sorts and index builds
    # over every list item run in memory rather than on disk.
    lock(["memory_profiles", *CONVERSATION_TABLES])
    lint_exemptions(UPGRADE_EXEMPTIONS)
    op.execute("SET LOCAL maintenance_work_mem = '1GB'")
    op.execute("SET LOCAL work_mem = '256MB'")

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
    create_router_tables()


def lock(tables: list[str]) -> None:
    """Take every lock up front: a write cannot slip in between a read and the drop that
    follows it, and autovacuum stays off tables this transaction is about to drop. Dropping a
    table whose foreign key points at users locks users as strongly."""
    ddl.lock_tables(
        {"public.users": "ACCESS EXCLUSIVE"}
        | {f"{SCHEMA}.{table}": "ACCESS EXCLUSIVE" for table in tables}
    )


# Every table this revision changes is locked until it commits (above), so squawk's warnings about
# locks and rewrites do not apply; the renames are the document's (the `user_*` names).
UPGRADE_EXEMPTIONS = {
    "ban-drop-table": "the legacy profiles live on in the user_* tables",
    "ban-drop-constraint": "a crisis flag's message key is rebuilt under the new names",
    "renaming-table": "conversations, messages and crisis flags take the document's user_* names",
    "renaming-object": "their primary keys follow the new table names",
    "adding-not-nullable-field": "rows without a user were set aside first; the tables are locked",
    "prefer-bigint-over-smallint": "suicidal_risk_level keeps the legacy column's type (0..3)",
    "require-concurrent-index-creation": "user_id indexes of the renamed, locked tables",
    "constraint-missing-not-valid": "their keys to users and to each other, on locked tables",
    "adding-foreign-key-constraint": "their keys to users and to each other, on locked tables",
}
DOWNGRADE_EXEMPTIONS = {
    "require-concurrent-index-deletion": "the tables are locked until the downgrade commits",
    "ban-drop-not-null": "the legacy columns were nullable",
    "renaming-table": "the tables take their legacy names back",
    "renaming-object": "their primary keys follow the legacy table names",
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


def set_aside(table: str, reasons: str) -> None:
    """Copy the rows of `table` that `reasons` (a CASE over `t`) gives a reason to its rejects."""
    columns = legacy_columns(table)
    op.execute(
        f"""
        INSERT INTO {SCHEMA}.{table}_rejected ({column_list(columns)}, reason)
        SELECT {column_list(columns, "t.")}, r.reason
        FROM {SCHEMA}.{table} t
        JOIN (SELECT t.id, {reasons} AS reason FROM {SCHEMA}.{table} t) r ON r.id = t.id
        WHERE r.reason IS NOT NULL
        """
    )


def remove_set_aside(table: str) -> None:
    op.execute(
        f"DELETE FROM {SCHEMA}.{table} t USING {SCHEMA}.{table}_rejected r WHERE r.id = t.id"
    )


def legacy_columns(table: str) -> list[sa.Column]:
    if table == "memory_profiles":
        return legacy_profile_columns()
    return legacy_conversation_columns()[table]


def create_rejected_table(table: str, *extra: SchemaItem) -> None:
    op.create_table(
        f"{table}_rejected",
        *legacy_columns(table),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}_rejected")),
        *extra,
        schema=SCHEMA,
    )


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
            sa.Column(table.item_column, sa.Text(), nullable=False),
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
            *timestamps(nullable=table is SUMMARY),
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
        fields = [f"p.{field}" for field in table.answers.values()]
        op.execute(
            f"""
            INSERT INTO {SCHEMA}.{table.name}
                (id, user_id, {", ".join(table.answers)}, created_at, updated_at)
            SELECT md5('{table.name}:' || p.id)::uuid, p.user_id,
                   {", ".join(answer_text(value) for value in fields)}, {CREATED}, {UPDATED}
            FROM {SCHEMA}.memory_profiles p
            WHERE {" OR ".join(f"{value} IS NOT NULL" for value in fields)}
            """
        )

    # A text answer that was not a plain JSON string: its column holds a rendering of it.
    answers = ", ".join(f"('{name}', p.{name})" for name in ANSWER_HOMES)
    op.execute(
        f"""
        INSERT INTO {SCHEMA}.{LEGACY_VALUES} (user_id, field, value)
        SELECT p.user_id, a.field, a.value
        FROM {SCHEMA}.memory_profiles p CROSS JOIN LATERAL (VALUES {answers}) AS a(field, value)
        WHERE jsonb_typeof(a.value) <> 'string'
        """
    )


def load_list(table: ListTable) -> None:
    """One row per element of a list field, in one pass over the profiles that also keeps the
    values the rows alone would not give back (a bare value, `[]`, JSON null).

    Profiles are read in user_id order, so the rows land in (user_id, position) order: the
    user_id index builds from presorted input, and so do the downgrade's per-user aggregates.
    """
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
        INSERT INTO {SCHEMA}.{table.name}
            (id, user_id, {table.item_column}, position, legacy_value, created_at, updated_at)
        SELECT md5('{table.name}:' || profile.id || ':' || e.position)::uuid, profile.user_id,
               {item_text("e.value")}, e.position,
               CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
               profile.created_at, profile.updated_at
        FROM profile
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE shape WHEN 'array' THEN value ELSE jsonb_build_array(value) END
        ) WITH ORDINALITY AS e(value, position)
        WHERE shape <> 'null'
        """
    )


def key_profile_tables() -> None:
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
    unknown_user = """
        WHEN t.user_id IS NULL THEN 'no user_id'
        WHEN NOT EXISTS (SELECT FROM public.users u WHERE u.id = t.user_id) THEN 'user not found'
    """
    set_aside("conversations", f"CASE {unknown_user} END")
    set_aside(
        "conversation_messages",
        f"""CASE {unknown_user}
            WHEN t.conversation_id IS NULL THEN 'no conversation_id'
            WHEN EXISTS (SELECT FROM {SCHEMA}.conversations_rejected r
                         WHERE r.id = t.conversation_id) THEN 'conversation rejected'
            WHEN NOT EXISTS (SELECT FROM {SCHEMA}.conversations c
                             WHERE c.id = t.conversation_id) THEN 'conversation not found'
        END""",
    )
    set_aside(
        "crisis_flags",
        f"""CASE {unknown_user}
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
    op.execute(
        f"UPDATE {SCHEMA}.user_crisis_flags SET created_at = triggered_at, updated_at = "
        f"triggered_at WHERE triggered_at IS NOT NULL"
    )
    op.alter_column("user_conversation_messages", "conversation_id", nullable=False, schema=SCHEMA)

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


def create_router_tables() -> None:
    """What the rewritten routers use and the legacy app never had."""

    def set_null_reference(table: str, column: str, target: str, name: str) -> list:
        return [
            sa.Column(column, sa.UUID(), nullable=True),
            sa.ForeignKeyConstraint(
                [column], [f"{SCHEMA}.{target}.id"], name=op.f(name), ondelete="SET NULL"
            ),
            sa.Index(op.f(f"ix_{table}_{column}"), column),
        ]

    router_tables = {
        "user_conversation_continuity": [
            *user_key("user_conversation_continuity", unique=True),
            *set_null_reference(
                "user_conversation_continuity", "last_conversation_id", "user_conversations",
                "fk_user_conversation_continuity_last_conversation_id_us_e86e",
            ),
            *spec_columns("user_conversation_continuity", {
                "last_session_summary": TEXT, "open_threads": TEXTS,
                "next_session_focus": TEXT, "last_interaction_at": TIMESTAMP,
            }),
        ],
        "user_value_compass": [
            *user_key("user_value_compass"),
            sa.Column("value_name", sa.Text(), nullable=False),
            *spec_columns("user_value_compass", {
                "description": TEXT, "importance_level": RATING, "alignment_level": RATING,
            }),
            sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        ],
        "user_emotional_trends": [
            *user_key("user_emotional_trends"),
            sa.Column("period_start", sa.Date(), nullable=False),
            sa.Column("period_end", sa.Date(), nullable=False),
            *spec_columns("user_emotional_trends", {
                "dominant_emotion": TEXT,
                "average_mood": Kind(sa.Numeric(), check="BETWEEN 1 AND 10"),
                "trend_direction": TEXT, "notes": TEXT,
            }),
            sa.CheckConstraint("period_end >= period_start",
                               name=op.f("ck_user_emotional_trends_period")),
            sa.CheckConstraint(
                "trend_direction IN ('improving', 'stable', 'declining', 'fluctuating')",
                name=op.f("ck_user_emotional_trends_trend_direction"),
            ),
        ],
        "user_feedback_log": [
            *user_key("user_feedback_log"),
            *set_null_reference("user_feedback_log", "conversation_id", "user_conversations",
                                "fk_user_feedback_log_conversation_id_user_conversations"),
            *set_null_reference("user_feedback_log", "message_id", "user_conversation_messages",
                                "fk_user_feedback_log_message_id_user_conversation_messages"),
            sa.Column("feedback_type", sa.Text(), nullable=False),
            *spec_columns("user_feedback_log", {
                "rating": Kind(sa.Integer(), check="BETWEEN 1 AND 5"), "comment": TEXT,
            }),
        ],
    }  # fmt: skip
    for name, items in router_tables.items():
        op.create_table(
            name,
            uuid_key(),
            *items,
            *timestamps(),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
            schema=SCHEMA,
        )
        if name != "user_conversation_continuity":  # its unique user_id serves the key
            op.create_index(op.f(f"ix_{name}_user_id"), name, ["user_id"], schema=SCHEMA)
        ddl.add_updated_at_trigger(name, schema=SCHEMA)


# -- downgrade -------------------------------------------------------------------------------------


def downgrade() -> None:
    rejected = [f"{table}_rejected" for table in ("memory_profiles", *CONVERSATION_TABLES)]
    lock([*ROUTER_TABLES, *CONVERSATION_TABLES.values(), *LOADED_TABLES, LEGACY_VALUES, *rejected])
    lint_exemptions(DOWNGRADE_EXEMPTIONS)
    ddl.forget_reconciliation("memory_normalized")
    op.execute("SET LOCAL work_mem = '256MB'")

    for name in reversed(ROUTER_TABLES):
        op.drop_table(name, schema=SCHEMA)
    untie_conversations()

    create_legacy_profiles_table()
    rebuild_profiles()
    put_back("memory_profiles")
    for name in (*LOADED_TABLES, LEGACY_VALUES):
        op.drop_table(name, schema=SCHEMA)


def put_back(table: str) -> None:
    columns = column_list(legacy_columns(table))
    op.execute(
        f"INSERT INTO {SCHEMA}.{table} ({columns}) SELECT {columns} FROM {SCHEMA}.{table}_rejected"
    )
    op.drop_table(f"{table}_rejected", schema=SCHEMA)


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
    op.alter_column("user_conversation_messages", "conversation_id", nullable=True, schema=SCHEMA)
    for legacy, name in CONVERSATION_TABLES.items():
        ddl.drop_updated_at_trigger(name, schema=SCHEMA)
        op.drop_constraint(op.f(f"fk_{name}_user_id_users"), name, schema=SCHEMA)
        op.drop_index(op.f(f"ix_{name}_user_id"), name, schema=SCHEMA)
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
