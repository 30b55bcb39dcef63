"""coaching_phase4: transcripts of completed sessions, apart from the ongoing chat.

Seed 002's Phase 4. `transcripts` keeps a completed session's messages for analysis: its
position in the session, sender, content, time and the message's metadata.

Differences from the document: `idx_transcripts_session` is left out, because the document's
`idx_transcripts_order (session_id, message_order)` starts with the same column; that index is
unique, since a session has one message at each position. The sender is checked against the
document's list; `timestamp` is timestamptz.

Backfill: the messages of every completed session, from the session's own conversation
(`sessions.conversation_id`), numbered from 1 in message order (time, then id). The document
joined sessions to conversations by person and week, which copies every conversation of a week
into every session of that week. The metadata the document's copy left out is kept, as jsonb (the
document's type): the message's json as the app wrote it, converted. Json with no jsonb form (a
\\u0000 or unpaired surrogate escape, a number beyond numeric) cannot be kept there, so its message
is set aside in coaching.migration_rejects with the reason, and its place in the transcript's order
stays empty; every other message becomes a line (the ledger, public.migration_reconciliation,
checks the counts). Ids derive from the message ids.

Downgrade: drops the table and this revision's rejects; the messages it was filled from are
untouched. Transcripts written after the upgrade are lost with it.

Revision ID: coaching_phase4
Revises: coaching_phase3
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.toolkit import bulk, ddl

revision: str = "coaching_phase4"
down_revision: str | Sequence[str] | None = "coaching_phase3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the downgrade cannot give back (app/toolkit/data_loss.py): a downgrade that would
# destroy rows of these refuses unless told to. Table -> the condition of its rows that are lost.
LOST_ON_DOWNGRADE = {"coaching.transcripts": "true"}

NOW = sa.text("now()")

# The app's json as jsonb, NULL where jsonb cannot hold it (a \u0000 or unpaired surrogate
# escape, a number beyond numeric): coaching_phase3's helper, this revision's own copy (a revision
# never changes when another does).
READABLE = """
CREATE OR REPLACE FUNCTION pg_temp.readable(value json) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN value::jsonb;
EXCEPTION WHEN untranslatable_character OR invalid_text_representation
               OR numeric_value_out_of_range THEN
    RETURN NULL;
END
$$
"""

# The messages of completed sessions, each at its place in its session's order.
LINES = """
SELECT s.session_id, m.id, m.role, m.content, m.created_at, m.metadata,
       row_number() OVER (PARTITION BY s.session_id ORDER BY m.created_at, m.id) AS position
FROM coaching.sessions s
JOIN coaching.messages m ON m.conversation_id = s.conversation_id
WHERE s.status = 'completed'
"""
UNREADABLE = (
    "metadata cannot be read as jsonb (it holds \\u0000, an unpaired surrogate or a number "
    "beyond numeric)"
)


def upgrade() -> None:
    # The foreign key locks writers out of sessions; messages are locked likewise, so the
    # backfill copies every message of a completed session.
    ddl.lock_tables({"coaching.sessions": "SHARE ROW EXCLUSIVE", "coaching.messages": "SHARE"})

    bulk.use_backfill_memory()
    tables = bulk.NewTables()  # its keys come after the backfill
    tables.create_table(
        "transcripts",
        sa.Column(
            "transcript_id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("message_order", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=20), nullable=False),
        sa.Column("message_content", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("metadata", postgresql.JSONB(), nullable=True),
        sa.CheckConstraint(
            "sender IN ('user', 'assistant', 'system')", name=op.f("ck_transcripts_sender")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["coaching.sessions.session_id"],
            name=op.f("fk_transcripts_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("transcript_id", name=op.f("pk_transcripts")),
        schema="coaching",
    )
    op.execute(READABLE)
    # One statement: each line's metadata is converted once, then the line is set aside or copied.
    op.execute(
        f"""
        WITH line AS (
            SELECT line.*, pg_temp.readable(metadata) AS readable FROM ({LINES}) line
        ),
        rejected AS (
            INSERT INTO coaching.migration_rejects
                (source_table, source_id, target_table, revision, reason, source_value)
            SELECT 'coaching.messages', id, 'coaching.transcripts', 'coaching_phase4',
                   '{UNREADABLE}', metadata
            FROM line
            WHERE metadata IS NOT NULL AND readable IS NULL
        )
        INSERT INTO coaching.transcripts
            (transcript_id, session_id, message_order, sender, message_content, "timestamp",
             metadata)
        SELECT md5('coaching_transcript:' || id)::uuid, session_id, position, role::text,
               content, created_at, readable
        FROM line
        WHERE readable IS NOT NULL OR metadata IS NULL
        """
    )
    ddl.record_reconciliation(
        "coaching_phase4",
        "coaching.transcripts",
        source="SELECT count(*) FROM coaching.sessions s "
        "JOIN coaching.messages m ON m.conversation_id = s.conversation_id "
        "WHERE s.status = 'completed'",
        moved="SELECT count(*) FROM coaching.transcripts",
        rejected="SELECT count(*) FROM coaching.migration_rejects "
        "WHERE revision = 'coaching_phase4'",
    )
    ddl.lint_exemption(
        "ban-drop-function",
        "pg_temp's functions are this migration session's own helpers",
    )
    op.execute("DROP FUNCTION pg_temp.readable(json)")
    op.create_index(
        "idx_transcripts_order",
        "transcripts",
        ["session_id", "message_order"],
        unique=True,
        schema="coaching",
    )
    tables.add_keys()


def downgrade() -> None:
    ddl.lock_tables({"coaching.sessions": "ACCESS EXCLUSIVE"})
    ddl.forget_reconciliation("coaching_phase4")
    op.execute("DELETE FROM coaching.migration_rejects WHERE revision = 'coaching_phase4'")
    op.drop_table("transcripts", schema="coaching")
