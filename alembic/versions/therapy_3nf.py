"""therapy_3nf: seed 000's migration of the therapist app to Third Normal Form.

0. People copied in with their own userids (a real database of the app brought in at
   therapy_legacy) leave `therapy.users_userid_seq` behind them: it moves past the highest, so
   the next user the app creates gets a free userid.
1. `conversation_logs` stays as history and becomes read-only for real: a trigger refuses every
   INSERT, UPDATE, DELETE and TRUNCATE, whoever runs it. Its rows are not copied (the document's
   decision: they were already redacted, and belong to no session or user).
2. `therapy_sessions`, one per voice/chat session, owned by one of the app's users or anonymous:
   `user_id` is the app's integer `userid` (its migration 003), NULL for anonymous sessions;
   deleting a user keeps their sessions, anonymised. Status and `ended_at` agree: an active
   session has not ended, an ended one has an end; an archived one keeps whatever it had
   (the app archives active and ended sessions alike).
3. `session_configurations`, one per session: the OpenAI realtime settings it ran with, and
   when they were set.
4. `messages`: original `content` for therapists, `content_redacted` for researchers. `content`
   may be NULL: the app logs a session's start as a `system` message without text.
5. `public.user_sessions`, Express login sessions in connect-pg-simple's own layout.
6. Role-based redaction, enforced by PostgreSQL: group roles `therapy_db_therapist` (reads
   everything) and `therapy_db_researcher` (reads only the redacted views, never
   `messages.content`). The roles are created if missing and never dropped: roles belong to the
   whole server, and other databases on it may use them.

Times are timestamptz where the app's SQL says TIMESTAMP: its connection (time zone
America/Denver) writes and reads the same instants as before, shown in its zone, and they stay
right for a client in any other zone.

Downgrade: the 3NF tables go, but the conversations they hold are not thrown away. Each message
is folded back into `conversation_logs` as the legacy app would have logged it (its redacted text,
the session as `session_id`, metadata and session details under `extras`); the original
`content` is not (the legacy table holds redacted text only), nor are session configurations and
login sessions (users log in again).

Revision ID: therapy_3nf
Revises: therapy_legacy
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.toolkit import bulk, ddl

revision: str = "therapy_3nf"
down_revision: str | Sequence[str] | None = "therapy_legacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the downgrade cannot give back (app/toolkit/data_loss.py): a downgrade that would
# destroy rows of these refuses unless told to. Table -> the condition of its rows that are lost.
LOST_ON_DOWNGRADE = {
    "therapy.messages": "content IS DISTINCT FROM content_redacted",  # the originals
    "therapy.session_configurations": "true",
    "public.user_sessions": "true",
}

NOW = sa.text("now()")
THERAPIST, RESEARCHER = "therapy_db_therapist", "therapy_db_researcher"


def upgrade() -> None:
    # The read-only trigger, and the new tables' foreign keys to users, lock out writers.
    ddl.lock_tables(
        {"therapy.conversation_logs": "SHARE ROW EXCLUSIVE", "public.users": "SHARE ROW EXCLUSIVE"}
    )

    # 0. The app's next user gets a free userid, whatever was copied in.
    op.execute(
        """
        SELECT setval('therapy.users_userid_seq', max(userid))
        FROM public.users
        HAVING max(userid) > coalesce(pg_sequence_last_value('therapy.users_userid_seq'), 0)
        """
    )

    # 1. The legacy log: history, read-only from now on.
    op.execute(
        """
        CREATE FUNCTION therapy.refuse_conversation_log_writes() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% on therapy.conversation_logs refused: it is read-only history '
                            'since revision therapy_3nf', TG_OP
                USING ERRCODE = 'read_only_sql_transaction',
                      HINT = 'New messages go to therapy.messages.';
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER read_only BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
        "ON therapy.conversation_logs "
        "FOR EACH STATEMENT EXECUTE FUNCTION therapy.refuse_conversation_log_writes()"
    )
    op.create_table_comment(
        "conversation_logs",
        "Read-only history of the therapist app before therapy_3nf; see therapy.messages.",
        schema="therapy",
    )

    # 2. Sessions.
    op.create_table(
        "therapy_sessions",
        sa.Column(
            "session_id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("session_name", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'ended', 'archived')", name=op.f("ck_therapy_sessions_status")
        ),
        sa.CheckConstraint(
            "(status <> 'active' OR ended_at IS NULL) "
            "AND (status <> 'ended' OR ended_at IS NOT NULL)",
            name=op.f("ck_therapy_sessions_ended_at_agrees_with_status"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["public.users.userid"],
            name=op.f("fk_therapy_sessions_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_therapy_sessions")),
        schema="therapy",
    )
    op.create_index(
        "ix_therapy_sessions_user_id_created_at",
        "therapy_sessions",
        ["user_id", sa.literal_column("created_at DESC")],
        schema="therapy",
    )
    op.create_index(
        op.f("ix_therapy_sessions_status"), "therapy_sessions", ["status"], schema="therapy"
    )
    op.create_index(
        "ix_therapy_sessions_created_at",
        "therapy_sessions",
        [sa.literal_column("created_at DESC")],
        schema="therapy",
    )
    ddl.add_updated_at_trigger("therapy_sessions", schema="therapy")

    # 3. One configuration per session.
    op.create_table(
        "session_configurations",
        sa.Column("config_id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("voice", sa.String(length=50), server_default="alloy", nullable=False),
        sa.Column(
            "modalities",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{text,audio}'"),
            nullable=False,
        ),
        sa.Column("instructions", sa.Text(), nullable=True),
        sa.Column("turn_detection", postgresql.JSONB(), nullable=True),
        sa.Column("tools", postgresql.JSONB(), nullable=True),
        sa.Column(
            "temperature",
            sa.Numeric(precision=3, scale=2),
            server_default=sa.text("0.8"),
            nullable=False,
        ),
        sa.Column(
            "max_response_output_tokens",
            sa.Integer(),
            server_default=sa.text("4096"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "cardinality(modalities) > 0 AND modalities <@ ARRAY['text', 'audio']",
            name=op.f("ck_session_configurations_modalities"),
        ),
        sa.CheckConstraint(
            "temperature BETWEEN 0.6 AND 1.2", name=op.f("ck_session_configurations_temperature")
        ),
        sa.CheckConstraint(
            "max_response_output_tokens BETWEEN 1 AND 4096",
            name=op.f("ck_session_configurations_max_response_output_tokens"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["therapy.therapy_sessions.session_id"],
            name=op.f("fk_session_configurations_session_id_therapy_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("config_id", name=op.f("pk_session_configurations")),
        sa.UniqueConstraint("session_id", name=op.f("uq_session_configurations_session_id")),
        schema="therapy",
    )

    # 4. Messages, original and redacted.
    op.create_table(
        "messages",
        sa.Column("message_id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("message_type", sa.String(length=50), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("content_redacted", sa.Text(), nullable=True),
        sa.Column("metadata", postgresql.JSONB(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "role IN ('user', 'assistant', 'system')", name=op.f("ck_messages_role")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["therapy.therapy_sessions.session_id"],
            name=op.f("fk_messages_session_id_therapy_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_messages")),
        schema="therapy",
    )
    op.create_index(
        op.f("ix_messages_session_id_created_at_message_id"),
        "messages",
        ["session_id", "created_at", "message_id"],
        schema="therapy",
    )

    # 5. Login sessions, in the layout connect-pg-simple reads and writes.
    op.create_table(
        "user_sessions",
        sa.Column("sid", sa.String(), nullable=False),
        sa.Column("sess", postgresql.JSONB(), nullable=False),
        sa.Column("expire", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_user_sessions")),
        schema="public",
    )
    op.create_index(op.f("ix_user_sessions_expire"), "user_sessions", ["expire"], schema="public")

    # 6. Who may read what: researchers see redacted views only.
    for role in (THERAPIST, RESEARCHER):
        ddl.create_role_if_missing(role)
    op.execute(
        """
        CREATE VIEW therapy.messages_redacted AS
        SELECT message_id, session_id, role, message_type, content_redacted, created_at
        FROM therapy.messages
        """
    )
    op.execute(
        """
        CREATE VIEW therapy.sessions_redacted AS
        SELECT session_id, user_id, status, created_at, updated_at, ended_at
        FROM therapy.therapy_sessions
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA therapy TO {THERAPIST}, {RESEARCHER}")
    op.execute(
        "GRANT SELECT ON therapy.therapy_sessions, therapy.session_configurations, "
        f"therapy.messages, therapy.conversation_logs TO {THERAPIST}"
    )
    op.execute(
        "GRANT SELECT ON therapy.messages_redacted, therapy.sessions_redacted "
        f"TO {THERAPIST}, {RESEARCHER}"
    )


def downgrade() -> None:
    # Dropping the trigger, and the tables whose foreign keys point at users.
    ddl.lock_tables(
        {"therapy.conversation_logs": "ACCESS EXCLUSIVE", "public.users": "ACCESS EXCLUSIVE"}
    )
    op.execute(
        "REVOKE SELECT ON therapy.therapy_sessions, therapy.session_configurations, "
        f"therapy.messages, therapy.conversation_logs FROM {THERAPIST}"
    )
    op.execute(f"REVOKE USAGE ON SCHEMA therapy FROM {THERAPIST}, {RESEARCHER}")
    op.execute("DROP VIEW therapy.sessions_redacted")
    op.execute("DROP VIEW therapy.messages_redacted")

    op.drop_table("user_sessions", schema="public")

    # Writable again, then the conversations held by the 3NF tables go back into the log.
    op.execute("DROP TRIGGER read_only ON therapy.conversation_logs")
    op.execute("DROP FUNCTION therapy.refuse_conversation_log_writes()")
    op.drop_table_comment("conversation_logs", schema="therapy")
    # Ids follow the highest in the log, not its sequence: legacy rows loaded with their ids
    # (a restore, a copy) may have left the sequence behind them. Where integer (the log's
    # SERIAL) has no room left above the highest id (a log loaded with ids up to its limit), free
    # ids below it are used.
    # Each session's details are built once (MATERIALIZED), not once per message of it.
    bulk.use_backfill_memory()
    op.execute(
        """
        WITH top AS (  -- the free ids above the highest one (from 1 in an empty log)
            SELECT coalesce(max(id), 0)::numeric + 1 AS first,
                   2147483647 - coalesce(max(id), 0)::numeric AS length
            FROM therapy.conversation_logs
        ),
        runs AS (  -- runs of free ids, and how many ids come before each: the ids above the
                   -- highest, then (only where those are too few) the gaps below it
            SELECT * FROM (
                SELECT first, length, sum(length) OVER (ORDER BY rank, first) - length AS before
                FROM (
                    SELECT first, length, 0 AS rank FROM top
                    UNION ALL
                    SELECT id + 1, lead(id) OVER (ORDER BY id) - id - 1, 1
                    FROM (SELECT id::numeric FROM therapy.conversation_logs
                          UNION ALL VALUES (-2147483649)) used
                    WHERE (SELECT length FROM top) < (SELECT count(*) FROM therapy.messages)
                ) run
                WHERE length > 0) placed
            WHERE before < (SELECT count(*) FROM therapy.messages)
        ),
        sessions AS MATERIALIZED (
            SELECT session_id,
                   jsonb_build_object(
                       'user_id', user_id, 'session_name', session_name, 'status', status,
                       'created_at', created_at, 'ended_at', ended_at) AS details
            FROM therapy.therapy_sessions
        ),
        folded AS (
            SELECT m.*, row_number() OVER (ORDER BY m.created_at, m.message_id) - 1 AS n
            FROM therapy.messages m
        )
        INSERT INTO therapy.conversation_logs
            (id, session_id, role, message_type, message, extras, created_at)
        SELECT (r.first + m.n - r.before)::integer,
               m.session_id::text, m.role, m.message_type, m.content_redacted,
               jsonb_build_object(
                   'metadata', m.metadata,
                   'folded_back_from', 'therapy_3nf',
                   'message_id', m.message_id,
                   'session', s.details),
               m.created_at
        FROM folded m
        JOIN sessions s USING (session_id)
        JOIN runs r ON m.n >= r.before AND m.n < r.before + r.length
        """
    )
    op.execute(
        """
        SELECT setval('therapy.conversation_logs_id_seq', max(id))
        FROM therapy.conversation_logs
        HAVING max(id) > coalesce(pg_sequence_last_value('therapy.conversation_logs_id_seq'), 0)
        """
    )
    op.drop_table("messages", schema="therapy")
    op.drop_table("session_configurations", schema="therapy")
    op.drop_table("therapy_sessions", schema="therapy")
