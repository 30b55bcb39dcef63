"""memory_legacy: the companion app before its normalization (seed 001's "before").

One wide `memory_profiles` row per profile holds everything the companion remembers about a person
in 42 jsonb columns, next to the conversations it had with them, their messages and the crisis
flags raised on those messages. The shapes are ARCHITECTURE section 5's, which come from the source
system itself; legacy data is loaded into exactly these columns, so nothing here is tightened:

- `memory_profiles.user_id` references users but is neither unique nor NOT NULL: a person may
  have two profiles, and a profile may have no person.
- Columns ARCHITECTURE section 5 does not call NOT NULL are nullable, timestamps included
  (their default is now()).
- `conversations.user_id`, `conversation_messages.user_id` and `.conversation_id` carry no foreign
  key: the source system declared none, so they may point nowhere.
- `crisis_flags.session_id` references `conversation_messages` (a message, despite its name).

Beside them, the tables the companion's routers already used, as its own database dump shows
them (../shared/reference/memory-tables.md): conversation_continuity, feedback, feedback_log,
user_preferences, emotional_trends and value_compass, with the dump's types (`varchar(n)`,
`timestamp` without time zone where it has them, `time`), defaults and CHECKs, and no foreign
keys (it declared none). Seed 001 renames and reshapes them (memory_normalized).

The companion's people are `public.users` rows: one identity for the whole platform. `users`
here is the companion's own table as its dump shows it (id, name, email, created_at,
onboarding_skipped, updated_at: its logins lived with its host), a view over `public.users`,
which gains the companion's `name` and `onboarding_skipped`. The companion gives every person of
its own an `onboarding_skipped` flag (default false) and no other system has one: the view shows
the people who have it. Inserting into the view (how its rows are brought in) makes a person of
the platform; a legacy row's missing flag is false, its default, and a missing created_at or
updated_at the other one, else the time it is brought in (`public.users` requires both). Updates
and deletes go through the view as through a table.

One addition to the source: `memory_profiles.updated_at` and `conversation_continuity.updated_at`
are kept current by the database trigger every table with that column has here.

Revision ID: memory_legacy
Revises: platform
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.toolkit import ddl

revision: str = "memory_legacy"
down_revision: str | Sequence[str] | None = "platform"
branch_labels: str | Sequence[str] | None = ("memory",)
depends_on: str | Sequence[str] | None = None

# What the downgrade cannot give back (app/toolkit/data_loss.py): a downgrade that would
# destroy rows of these refuses unless told to. Table -> the condition of its rows that are lost.
LOST_ON_DOWNGRADE = {
    "memory.*": "true",  # the companion's data was not here before
    "public.users": "name IS NOT NULL OR onboarding_skipped IS NOT NULL",
    "public.import_rejects": "context = 'memory'",
}

SCHEMA = "memory"
NOW = sa.text("now()")

FEEDBACK_PRIORITIES = ("low", "medium", "high", "critical")
FEEDBACK_STATUSES = ("pending", "processed", "resolved", "ignored")

# Self-assessed levels, each CHECKed to 1..10.
LEVELS = (
    "spiritual_connection_level",
    "personal_agency_level",
    "boundaries_awareness",
    "self_development_capacity",
    "hard_truths_tolerance",
    "awareness_level",
)

# Everything else the companion remembered, one jsonb column each, in the source's order.
JSON_FIELDS = (
    "themes",
    "people",
    "coping_tools",
    "goals",
    "preferred_therapy_styles",
    "preferred_tone",
    "pattern_loops",
    "shadow_themes",
    "current_practices",
    "regulation_strategies",
    "dysregulating_factors",
    "role_model_traits",
    "growth_milestones",
    "emotional_patterns",
    "relationship_dynamics",
    "growth_opportunities",
    "risk_factors",
    "strengths",
    "mood_trends",
    "emotional_states_initial",
    "support_system",
    "current_stressors",
    "daily_habits",
    "substance_use",
    "stuck_points",
    "summary",
    "trauma_patterns",
    "ancestral_issues",
    "spiritual_path_notes",
    "insight_notes",
    "therapeutic_approach",
    "motivation_for_joining",
    "hopes_to_achieve",
    "previous_therapy",
    "therapy_type",
    "therapy_duration",
    "sleep_routine",
    "suicidal_thoughts_initial",
    "relationship_status",
    "living_situation",
    "biggest_challenge",
    "biggest_obstacle",
)


def uuid_key() -> sa.Column:
    return sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False)


def timestamp(name: str, **kwargs) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True, **kwargs)


def upgrade() -> None:
    # The companion's columns on users, and the new tables' foreign keys to it.
    ddl.lock_tables({"public.users": "ACCESS EXCLUSIVE"})
    op.create_table(
        "memory_profiles",
        uuid_key(),
        sa.Column("user_id", sa.UUID(), nullable=True),
        *(sa.Column(level, sa.Integer(), nullable=True) for level in LEVELS),
        sa.Column("suicidal_risk_level", sa.Integer(), nullable=True),
        sa.Column("sleep_quality", sa.Text(), nullable=True),
        sa.Column("mood_score_initial", sa.Integer(), nullable=True),
        timestamp("created_at", server_default=NOW),
        timestamp("updated_at", server_default=NOW),
        *(sa.Column(field, postgresql.JSONB(), nullable=True) for field in JSON_FIELDS),
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

    op.create_table(
        "conversations",
        uuid_key(),
        sa.Column("user_id", sa.UUID(), nullable=True),
        timestamp("started_at"),
        timestamp("ended_at"),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("context_summary", sa.Text(), nullable=True),
        sa.Column("mood_at_start", sa.Integer(), nullable=True),
        sa.Column("mood_at_end", sa.Integer(), nullable=True),
        sa.Column("context_json", postgresql.JSON(), nullable=True),
        timestamp("created_at", server_default=NOW),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        schema=SCHEMA,
    )

    op.create_table(
        "conversation_messages",
        uuid_key(),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("conversation_id", sa.UUID(), nullable=True),
        timestamp("created_at", server_default=NOW),
        sa.Column("input_type", sa.Text(), nullable=True),
        sa.Column("input_transcript", sa.Text(), nullable=True),
        sa.Column("gpt_response", sa.Text(), nullable=True),
        sa.Column("audio_response_url", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("mood_at_time", sa.Integer(), nullable=True),
        sa.Column("flagged", sa.Boolean(), server_default=sa.false(), nullable=True),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_messages")),
        schema=SCHEMA,
    )

    op.create_table(
        "crisis_flags",
        uuid_key(),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("session_id", sa.UUID(), nullable=True),
        sa.Column("flag_type", sa.Text(), nullable=True),
        timestamp("triggered_at"),
        sa.Column("reviewed", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            [f"{SCHEMA}.conversation_messages.id"],
            name=op.f("fk_crisis_flags_session_id_conversation_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_flags")),
        schema=SCHEMA,
    )

    create_router_tables()
    bridge_users()


def create_router_tables() -> None:
    """What the companion's routers used before seed 001, as its dump shows it."""

    def column(name: str, type_: sa.types.TypeEngine, nullable: bool = True, **kwargs) -> sa.Column:
        return sa.Column(name, type_, nullable=nullable, **kwargs)

    def check(table: str, column: str, rule: str) -> sa.CheckConstraint:
        return sa.CheckConstraint(f"{column} {rule}", name=op.f(f"ck_{table}_{column}"))

    def key(table: str, column: str = "id") -> sa.PrimaryKeyConstraint:
        return sa.PrimaryKeyConstraint(column, name=op.f(f"pk_{table}"))

    naive = sa.DateTime()  # the dump's `timestamp`, without time zone
    ddl.lint_exemption(
        "prefer-timestamp-tz",
        "the companion's dump has timestamp without time zone: legacy "
        "data is loaded into exactly its columns",
    )
    op.create_table(
        "conversation_continuity",
        uuid_key(),
        column("user_id", sa.UUID(), nullable=False),
        column("conversation_id", sa.UUID(), nullable=False),
        column("last_message_count", sa.Integer(), server_default="0", nullable=False),
        column("last_session_phase", sa.String(50), server_default="start", nullable=False),
        column("last_therapeutic_focus", sa.Text()),
        column("last_emotional_state", sa.String(50)),
        column("last_timestamp", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        column("session_duration_minutes", sa.Integer(), server_default="0"),
        column("is_resuming", sa.Boolean(), server_default=sa.false()),
        column("continuity_context", sa.Text()),
        timestamp("created_at", server_default=NOW),
        timestamp("updated_at", server_default=NOW),
        key("conversation_continuity"),
        schema=SCHEMA,
    )
    ddl.add_updated_at_trigger("conversation_continuity", schema=SCHEMA)
    op.create_table(
        "feedback",
        uuid_key(),
        column("user_id", sa.UUID(), nullable=False),
        column("raw_feedback", sa.Text(), nullable=False),
        column("ai_summary", sa.Text()),
        column("priority", sa.String(20)),
        column("feedback_type", sa.String(50), server_default="general"),
        column("device_info", postgresql.JSONB()),
        column("app_version", sa.String(20)),
        timestamp("created_at", server_default=NOW),
        timestamp("processed_at"),
        column("status", sa.String(20), server_default="pending"),
        column("tags", postgresql.ARRAY(sa.Text())),
        column("metadata", postgresql.JSONB()),
        check("feedback", "priority", f"IN {FEEDBACK_PRIORITIES}"),
        check("feedback", "status", f"IN {FEEDBACK_STATUSES}"),
        key("feedback"),
        schema=SCHEMA,
    )
    op.create_table(
        "feedback_log",
        column("id", sa.UUID(), nullable=False),
        column("user_id", sa.UUID()),
        column("session_id", sa.UUID()),
        column("rating", sa.Integer()),
        column("comment", sa.Text()),
        column("created_at", naive, server_default=NOW),
        check("feedback_log", "rating", "BETWEEN 1 AND 5"),
        key("feedback_log"),
        schema=SCHEMA,
    )
    op.create_table(
        "user_preferences",
        column("user_id", sa.UUID(), nullable=False),
        column("show_text_response", sa.Boolean(), server_default=sa.true()),
        column("play_audio_response", sa.Boolean(), server_default=sa.true()),
        column("preferred_therapist_name", sa.Text()),
        column("daily_reminder_time", sa.Time()),
        column("timezone", sa.Text()),
        key("user_preferences", "user_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "emotional_trends",
        column("id", sa.UUID(), nullable=False),
        column("user_id", sa.UUID()),
        column("recorded_at", naive, server_default=NOW),
        column("mood_score", sa.Integer()),
        column("mood_label", sa.Text()),
        column("notes", sa.Text()),
        column("created_at", naive, server_default=NOW),
        check("emotional_trends", "mood_score", "BETWEEN 1 AND 10"),
        key("emotional_trends"),
        schema=SCHEMA,
    )
    op.create_table(
        "value_compass",
        column("id", sa.UUID(), nullable=False),
        column("user_id", sa.UUID()),
        column("core_values", postgresql.ARRAY(sa.Text())),
        column("anti_values", postgresql.ARRAY(sa.Text())),
        column("narrative", sa.Text()),
        column("last_reflected_at", naive),
        key("value_compass"),
        schema=SCHEMA,
    )


def bridge_users() -> None:
    """The companion's `users`: its people of `public.users`, in the shape of its dump."""
    op.add_column("users", sa.Column("name", sa.Text(), nullable=True), schema="public")
    op.add_column(
        "users", sa.Column("onboarding_skipped", sa.Boolean(), nullable=True), schema="public"
    )
    op.execute(
        f"""
        CREATE VIEW {SCHEMA}.users AS
        SELECT id, name, email, created_at, onboarding_skipped, updated_at
        FROM public.users
        WHERE onboarding_skipped IS NOT NULL
        WITH CASCADED CHECK OPTION
        """
    )
    op.execute(INSERT_USER_FUNCTION)
    op.execute(
        f"CREATE TRIGGER insert_user INSTEAD OF INSERT ON {SCHEMA}.users "
        f"FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.insert_user()"
    )


# A legacy row brought in through the view: a person of the platform, the companion's (its flag,
# false when missing), dated as the legacy row was (public.users requires both timestamps).
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


def downgrade() -> None:
    # Dropping tables whose foreign keys point at users, and the companion's columns of users;
    # its view first, as its writers lock them.
    ddl.lock_tables({f"{SCHEMA}.users": "ACCESS EXCLUSIVE", "public.users": "ACCESS EXCLUSIVE"})
    ddl.forget_import("memory")
    op.execute(f"DROP VIEW {SCHEMA}.users")
    op.execute(f"DROP FUNCTION {SCHEMA}.insert_user()")
    op.drop_column("users", "onboarding_skipped", schema="public")
    op.drop_column("users", "name", schema="public")
    for table in (
        "value_compass", "emotional_trends", "user_preferences", "feedback_log", "feedback",
        "conversation_continuity",
        "crisis_flags", "conversation_messages", "conversations", "memory_profiles",
    ):  # fmt: skip
        op.drop_table(table, schema=SCHEMA)
