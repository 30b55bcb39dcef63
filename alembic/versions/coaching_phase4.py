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
into every session of that week. The metadata the document's copy left out is kept. Every such
message becomes a transcript line: no value of a message can be refused here (the ledger,
public.migration_reconciliation, checks it). Ids derive from the message ids.

Downgrade: drops the table; the messages it was filled from are untouched. Transcripts written
after the upgrade are lost with it.

Revision ID: coaching_phase4
Revises: coaching_phase3
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app import bulk, ddl

revision: str = "coaching_phase4"
down_revision: str | Sequence[str] | None = "coaching_phase3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the downgrade cannot give back (app/data_loss.py): a downgrade that would destroy rows
# of these refuses unless told to. Table -> the condition of its rows that are lost.
LOST_ON_DOWNGRADE = {"coaching.transcripts": "true"}

NOW = sa.text("now()")


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
    op.execute(
        """
        INSERT INTO coaching.transcripts
            (transcript_id, session_id, message_order, sender, message_content, "timestamp",
             metadata)
        SELECT md5('coaching_transcript:' || m.id)::uuid, s.session_id,
               row_number() OVER (PARTITION BY s.session_id ORDER BY m.created_at, m.id),
               m.role::text, m.content, m.created_at, m.metadata
        FROM coaching.sessions s
        JOIN coaching.messages m ON m.conversation_id = s.conversation_id
        WHERE s.status = 'completed'
        """
    )
    ddl.record_reconciliation(
        "coaching_phase4",
        "coaching.transcripts",
        source="SELECT count(*) FROM coaching.sessions s "
        "JOIN coaching.messages m ON m.conversation_id = s.conversation_id "
        "WHERE s.status = 'completed'",
        moved="SELECT count(*) FROM coaching.transcripts",
    )
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
    op.drop_table("transcripts", schema="coaching")
