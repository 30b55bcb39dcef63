"""The chat schema: the document's index names, uniqueness, cascades, checks and enum types."""

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.runtime.models.chat import (
    ChatMessage,
    ChatSession,
    ChatTranscript,
    MessageRole,
    SessionOrigin,
    SystemConfig,
    TranscriptFormat,
)
from app.runtime.models.identity import User
from tests.support import downgrade

# Every index seed 004 lists, and the table it is on.
DOCUMENTED_INDEXES = {
    "idx_users_discord_id": "public.users",
    "idx_users_active": "public.users",
    "idx_sessions_owner": "chat.sessions",
    "idx_sessions_origin": "chat.sessions",
    "idx_sessions_active": "chat.sessions",
    "idx_sessions_created_at": "chat.sessions",
    "idx_sessions_discord_channel": "chat.sessions",
    "idx_messages_session": "chat.messages",
    "idx_messages_timestamp": "chat.messages",
    "idx_messages_role": "chat.messages",
    "idx_messages_request_id": "chat.messages",
    "idx_transcripts_session": "chat.transcripts",
    "idx_transcripts_created_at": "chat.transcripts",
    "idx_transcripts_format": "chat.transcripts",
    "idx_metrics_timestamp": "chat.metrics",
    "idx_metrics_type": "chat.metrics",
    "idx_metrics_client_bot": "chat.metrics",
    "idx_backup_logs_type": "chat.backup_logs",
    "idx_backup_logs_status": "chat.backup_logs",
    "idx_backup_logs_started_at": "chat.backup_logs",
}

# The document's unique columns, each served by one unique index with the document's name.
UNIQUE_COLUMNS = [
    ("public.users", "discord_id", "idx_users_discord_id"),
    ("chat.sessions", "discord_channel_id", "idx_sessions_discord_channel"),
    ("chat.messages", "request_id", "idx_messages_request_id"),
]

CHAT_ENUM_TYPES = """
    SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    JOIN pg_enum e ON e.enumtypid = t.oid
    WHERE n.nspname = 'chat' GROUP BY t.typname ORDER BY t.typname
"""


def query(engine: Engine, sql: str, **params) -> list:
    with engine.connect() as connection:
        return connection.execute(sa.text(sql), params).all()


def test_every_index_the_document_lists_exists_under_its_name(engine: Engine):
    indexes = dict(
        query(
            engine,
            "SELECT indexname, schemaname || '.' || tablename FROM pg_indexes "
            "WHERE schemaname IN ('public', 'chat') AND indexname LIKE 'idx\\_%'",
        )
    )
    assert {name: indexes.get(name) for name in DOCUMENTED_INDEXES} == DOCUMENTED_INDEXES
    undocumented = {name for name, table in indexes.items() if table.startswith("chat.")}
    assert undocumented - set(DOCUMENTED_INDEXES) == set()


@pytest.mark.parametrize(("table", "column", "name"), UNIQUE_COLUMNS)
def test_a_unique_column_has_one_index_the_unique_constraint_named_by_the_document(
    engine: Engine, table: str, column: str, name: str
):
    indexes = query(
        engine,
        """
        SELECT c.relname, i.indisunique, con.contype
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
        WHERE i.indrelid = CAST(:table AS regclass)
          AND i.indnatts = 1
          AND i.indkey[0] = (SELECT attnum FROM pg_attribute
                             WHERE attrelid = CAST(:table AS regclass) AND attname = :column)
        """,
        table=table,
        column=column,
    )
    assert indexes == [(name, True, "u")]


def test_no_two_indexes_of_a_chat_table_are_the_same(engine: Engine):
    duplicates = query(
        engine,
        """
        SELECT i.indrelid::regclass::text, array_agg(i.indexrelid::regclass::text)
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'chat' OR i.indrelid = 'public.users'::regclass
        GROUP BY i.indrelid, i.indkey::text, coalesce(pg_get_expr(i.indexprs, i.indrelid), ''),
                 coalesce(pg_get_expr(i.indpred, i.indrelid), '')
        HAVING count(*) > 1
        """,
    )
    assert duplicates == []


@pytest.fixture
def owner(session: Session) -> User:
    person = User(discord_id=412345678901234567, display_label="alex")
    session.add(person)
    session.flush()
    return person


@pytest.fixture
def chat_session(session: Session, owner: User) -> ChatSession:
    conversation = ChatSession(owner=owner, origin=SessionOrigin.DISCORD, discord_channel_id=42)
    session.add(conversation)
    session.flush()
    return conversation


def test_deleting_a_session_deletes_its_messages_and_transcripts(
    session: Session, chat_session: ChatSession
):
    session.add_all(
        [
            ChatMessage(session=chat_session, role=MessageRole.USER, content="hello"),
            ChatMessage(session=chat_session, role=MessageRole.ASSISTANT, content="hi"),
            ChatTranscript(
                session=chat_session,
                s3_key="t/1.json",
                format=TranscriptFormat.JSON,
                message_count=2,
            ),
        ]
    )
    session.commit()

    session.execute(sa.delete(ChatSession).where(ChatSession.id == chat_session.id))
    left = [
        session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (ChatMessage, ChatTranscript)
    ]
    assert left == [0, 0]


def test_deleting_a_user_keeps_the_configuration_they_last_changed(session: Session, owner: User):
    session.add(SystemConfig(key="max_context_messages", value=40, updated_by=owner.id))
    session.commit()

    session.delete(owner)
    session.commit()
    config = session.get(SystemConfig, "max_context_messages", populate_existing=True)
    assert (config.value, config.updated_by) == (40, None)


@pytest.mark.parametrize(
    ("content", "refusal"),
    [
        (
            {"content": "hi", "encrypted_content": b"gAAAA..."},
            "both content and encrypted_content, and an encrypted message keeps no plaintext",
        ),
        ({}, "neither content nor encrypted_content"),
    ],
    ids=["both", "neither"],
)
def test_a_message_is_in_clear_or_encrypted_never_both_nor_neither(
    session: Session, chat_session: ChatSession, content: dict, refusal: str
):
    session.add(ChatMessage(session=chat_session, role=MessageRole.USER, **content))
    with pytest.raises(IntegrityError, match=refusal) as refused:
        session.flush()
    assert refused.value.orig.pgcode == "23514"  # check_violation
    assert refused.value.orig.diag.message_hint.startswith(
        ("Store an encrypted message", "Set content")
    )


def test_a_stored_message_cannot_gain_plaintext_beside_its_ciphertext(
    session: Session, chat_session: ChatSession
):
    message = ChatMessage(session=chat_session, role=MessageRole.USER, encrypted_content=b"gAA")
    session.add(message)
    session.flush()
    message.content = "the plaintext"
    with pytest.raises(IntegrityError, match="keeps no plaintext beside its ciphertext"):
        session.flush()


def test_an_ended_session_is_not_active(session: Session, chat_session: ChatSession):
    chat_session.ended_at = sa.func.now()
    with pytest.raises(IntegrityError, match="ck_sessions_ended_sessions_are_inactive"):
        session.flush()


def test_a_discord_channel_belongs_to_one_session(
    session: Session, chat_session: ChatSession, owner: User
):
    session.add(ChatSession(owner=owner, origin=SessionOrigin.DISCORD, discord_channel_id=42))
    with pytest.raises(IntegrityError, match="idx_sessions_discord_channel"):
        session.flush()


def test_the_enum_types_live_in_schema_chat_named_as_the_bots_code_names_them(engine: Engine):
    assert query(engine, CHAT_ENUM_TYPES) == [
        ("backupstatus", ["started", "in_progress", "completed", "failed"]),
        ("messagerole", ["user", "assistant", "system"]),
        ("sessionorigin", ["website", "discord"]),
        ("transcriptformat", ["json", "csv"]),
    ]


def test_downgrades_leave_only_the_enum_types_of_the_revisions_below(databases):
    with databases.at("head") as engine:
        downgrade(engine, "chat_legacy")
        assert query(engine, CHAT_ENUM_TYPES) == [("sessionorigin", ["website", "discord"])]
        downgrade(engine, "platform")
        assert query(engine, CHAT_ENUM_TYPES) == []
