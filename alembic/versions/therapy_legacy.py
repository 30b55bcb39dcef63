"""therapy_legacy: the AI therapist app before its 3NF migration: one hand-made log table.

Every event of a voice or chat session was appended to `conversation_logs`: `session_id` is free
text written by the app (not always a UUID), `message` was PHI-redacted by the app before insert,
`extras` holds whatever else the app had at hand.

Revision ID: therapy_legacy
Revises: platform
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app import ddl

revision: str = "therapy_legacy"
down_revision: str | Sequence[str] | None = "platform"
branch_labels: str | Sequence[str] | None = ("therapy",)
depends_on: str | Sequence[str] | None = None

# What the downgrade cannot give back (app/data_loss.py): a downgrade that would destroy rows
# of these refuses unless told to. Table -> the condition of its rows that are lost.
LOST_ON_DOWNGRADE = {"therapy.*": "true"}  # the therapist's data was not here before


def upgrade() -> None:
    ddl.lint_exemption(
        "prefer-identity",
        "bigserial is the legacy table's own shape (DESIGN section 5)",
    )
    op.create_table(
        "conversation_logs",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),  # BIGSERIAL
        sa.Column("session_id", sa.Text(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("message_type", sa.String(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("extras", postgresql.JSONB(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_logs")),
        schema="therapy",
    )


def downgrade() -> None:
    op.drop_table("conversation_logs", schema="therapy")
