"""coaching_phase1: the health coach MVP as it runs today, conversations and their messages.

Seed 002's Phase 1 block, in the shape the app's own code fills (a real Phase 1 database is
imported into exactly these columns, unchanged):

- ids are the strings the app generates: `conv_` + 12 hex characters for a conversation, `msg_`
  + 12 hex for a message. The document says UUID; the app's data wins, so the keys are varchar
  (the document's notation for a string), and the database makes ids of the app's shape
  (`coaching.app_id('conv')`) for rows written without one.
- `conversations.user_id` holds the id the app's auth provider (Firebase) gave the person, 28
  characters (custom ids may take up to 128), or nothing for a conversation started before
  sign-in; there is no users table yet. varchar, as the document says.
- `metadata` is json, as the document's block and the app's JSON column say: json keeps what the
  app wrote (its spacing, key order, duplicate keys, and escapes such as \\u0000 that jsonb cannot
  hold), so an import changes nothing. Structure the app needs beyond that (program week, session
  type, goal, mood, takeaways) lives there.
- `messages.role` is the native enum `coaching.message_role` the document names: the app writes
  plain strings, and the three it writes (user, assistant, system) are the enum's labels.

Deliberate differences from the document: timestamps are timestamptz (the document's notes say
they are UTC); a conversation's messages go with it (ON DELETE CASCADE), and the two lookups the
app makes (a person's conversations, a conversation's messages in order) are indexed.

Revision ID: coaching_phase1
Revises: platform
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.toolkit import ddl

revision: str = "coaching_phase1"
down_revision: str | Sequence[str] | None = "platform"
branch_labels: str | Sequence[str] | None = ("coaching",)
depends_on: str | Sequence[str] | None = None

# What the downgrade cannot give back (app/toolkit/data_loss.py): a downgrade that would
# destroy rows of these refuses unless told to. Table -> the condition of its rows that are lost.
LOST_ON_DOWNGRADE = {  # the coach's data was not here before
    "coaching.*": "true",
    "public.import_rejects": "context = 'coaching'",
}

NOW = sa.text("now()")
MESSAGE_ROLE = postgresql.ENUM(
    "user", "assistant", "system", name="message_role", schema="coaching", create_type=False
)

# An id of the app's shape: its prefix, '_' and 12 random hex characters (as `uuid4().hex[:12]`).
APP_ID = """
CREATE FUNCTION coaching.app_id(prefix text) RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT prefix || '_' || left(replace(gen_random_uuid()::text, '-', ''), 12)
$$
"""


def upgrade() -> None:
    op.execute("CREATE TYPE coaching.message_role AS ENUM ('user', 'assistant', 'system')")
    op.execute(APP_ID)

    op.create_table(
        "conversations",
        sa.Column(
            "id", sa.String(), server_default=sa.text("coaching.app_id('conv')"), nullable=False
        ),
        sa.Column("user_id", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("message_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("metadata", postgresql.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        schema="coaching",
    )
    op.create_index(
        op.f("ix_conversations_user_id"), "conversations", ["user_id"], schema="coaching"
    )
    ddl.add_updated_at_trigger("conversations", schema="coaching")

    op.create_table(
        "messages",
        sa.Column(
            "id", sa.String(), server_default=sa.text("coaching.app_id('msg')"), nullable=False
        ),
        sa.Column("conversation_id", sa.String(), nullable=False),
        sa.Column("role", MESSAGE_ROLE, nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("metadata", postgresql.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["coaching.conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        schema="coaching",
    )
    op.create_index(
        op.f("ix_messages_conversation_id_created_at"),
        "messages",
        ["conversation_id", "created_at"],
        schema="coaching",
    )
    ddl.add_updated_at_trigger("messages", schema="coaching")


def downgrade() -> None:
    ddl.forget_import("coaching")
    op.drop_table("messages", schema="coaching")
    op.drop_table("conversations", schema="coaching")
    op.execute("DROP FUNCTION coaching.app_id(text)")
    op.execute("DROP TYPE coaching.message_role")
