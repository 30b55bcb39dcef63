"""memory_legacy: the companion app's memory before its normalization (seed 001's "before").

One wide `memory_profiles` row per profile holds everything the companion remembers about a person
in 42 jsonb columns, next to the conversations it had with them, their messages and the crisis
flags raised on those messages. The shapes are DESIGN section 5's, which come from the source
system itself; legacy data is loaded into exactly these columns, so nothing here is tightened:

- `memory_profiles.user_id` references users but is neither unique nor NOT NULL: a person may
  have two profiles, and a profile may have no person.
- Columns DESIGN does not call NOT NULL are nullable, timestamps included (their default is now()).
- `conversations.user_id`, `conversation_messages.user_id` and `.conversation_id` carry no foreign
  key: the source system declared none, so they may point nowhere.
- `crisis_flags.session_id` references `conversation_messages` (a message, despite its name).

One addition to the source: `memory_profiles.updated_at` is kept current by the database trigger
every table with that column has here.

Revision ID: memory_legacy
Revises: platform
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app import ddl

revision: str = "memory_legacy"
down_revision: str | Sequence[str] | None = "platform"
branch_labels: str | Sequence[str] | None = ("memory",)
depends_on: str | Sequence[str] | None = None

# What the downgrade cannot give back (app/data_loss.py): a downgrade that would destroy rows
# of these refuses unless told to. Table -> the condition of its rows that are lost.
LOST_ON_DOWNGRADE = {"memory.*": "true"}  # the companion's data was not here before

SCHEMA = "memory"
NOW = sa.text("now()")

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
    # The new tables' foreign keys lock writers out of users.
    ddl.lock_tables({"public.users": "SHARE ROW EXCLUSIVE"})
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


def downgrade() -> None:
    # Dropping tables whose foreign keys point at users.
    ddl.lock_tables({"public.users": "ACCESS EXCLUSIVE"})
    for table in ("crisis_flags", "conversation_messages", "conversations", "memory_profiles"):
        op.drop_table(table, schema=SCHEMA)
