"""Round-trip data of the chat context: Discord users, their sessions, and what migration 001 adds.

The legacy rows are what the chat system held before migration 001 (people with a Discord id, a
website session and a Discord channel's session); the new-shape rows use every table 001 creates.
"""

import uuid

import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.engine import Connection

from tests.migrations.roundtrip import (
    after_downgrade,
    after_upgrade,
    insert_after_upgrade,
)

ALEX = uuid.UUID("00000000-0000-4000-8004-000000000001")
SAM = uuid.UUID("00000000-0000-4000-8004-000000000002")
ADMIN = uuid.UUID("00000000-0000-4000-8004-000000000003")
WEBSITE_SESSION = uuid.UUID("00000000-0000-4000-8004-000000000101")
DISCORD_SESSION = uuid.UUID("00000000-0000-4000-8004-000000000102")
ENDED_SESSION = uuid.UUID("00000000-0000-4000-8004-000000000103")
LEGACY_SESSIONS = (WEBSITE_SESSION, DISCORD_SESSION)
ENCRYPTED_REPLY = Fernet(Fernet.generate_key()).encrypt(b"I hear you. What felt hardest today?")

CHAT_ENUM_TYPES = """
    SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = 'chat' AND t.typtype = 'e' ORDER BY t.typname
"""


def discord_unique_constraints(connection: Connection) -> list[str]:
    """The unique constraints on users.discord_id and sessions.discord_channel_id."""
    return connection.scalars(
        sa.text(
            "SELECT con.conname FROM pg_constraint con JOIN pg_attribute a "
            "ON a.attrelid = con.conrelid AND a.attnum = ANY(con.conkey) "
            "WHERE con.contype = 'u' AND a.attname IN ('discord_id', 'discord_channel_id') "
            "AND con.conrelid IN ('public.users'::regclass, 'chat.sessions'::regclass) ORDER BY 1"
        )
    ).all()


def insert(connection: Connection, table: str, *rows: dict) -> None:
    columns = ", ".join(f'"{name}"' for name in rows[0])
    values = ", ".join(f":{name}" for name in rows[0])
    connection.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), list(rows))


# -- chat_legacy ----------------------------------------------------------------------------------


@after_upgrade("chat_legacy")
def discord_ids_and_channels_are_unique(connection: Connection) -> None:
    assert discord_unique_constraints(connection) == [
        "uq_sessions_discord_channel_id",
        "uq_users_discord_id",
    ]
    assert connection.scalars(sa.text(CHAT_ENUM_TYPES)).all() == ["sessionorigin"]


@after_upgrade("chat_legacy")
def the_bots_users_are_the_people_with_a_display_label(connection: Connection) -> None:
    """Written through the bot's view, a user lands in public.users; a person of another system
    (no display label) is not the bot's."""
    bot_user, therapist = uuid.uuid4(), uuid.uuid4()
    insert(
        connection, "chat.users", {"id": bot_user, "discord_id": 5550001, "display_label": "kim"}
    )
    insert(connection, "public.users", {"id": therapist, "username": f"t-{therapist}"})
    landed = connection.execute(
        sa.text("SELECT discord_id, display_label FROM public.users WHERE id = :id"),
        {"id": bot_user},
    ).one()
    assert tuple(landed) == (5550001, "kim")
    shown = connection.scalars(
        sa.text("SELECT id FROM chat.users WHERE id IN (:bot_user, :therapist)"),
        {"bot_user": bot_user, "therapist": therapist},
    ).all()
    assert shown == [bot_user]


@insert_after_upgrade("chat_legacy")
def discord_users_and_their_sessions(connection: Connection) -> None:
    insert(
        connection,
        "public.users",
        {"id": ALEX, "discord_id": 412345678901234567, "display_label": "alex#0420"},
        {"id": SAM, "discord_id": 998877665544332211, "display_label": "Sam"},
        {"id": ADMIN, "discord_id": None, "display_label": "operator"},
    )
    insert(
        connection,
        "chat.sessions",
        {
            "id": WEBSITE_SESSION,
            "owner_user_id": ALEX,
            "origin": "website",
            "discord_channel_id": None,
            "system_prompt": "You are a calm, supportive listener.",
            "created_at": "2025-02-03T20:15:00+00:00",
        },
        {
            "id": DISCORD_SESSION,
            "owner_user_id": SAM,
            "origin": "discord",
            "discord_channel_id": 1133557799113355779,
            "system_prompt": None,
            "created_at": "2025-02-04T08:00:00+00:00",
        },
    )


@after_downgrade("chat_legacy")
def nothing_of_the_chat_system_is_left(connection: Connection) -> None:
    assert connection.scalars(sa.text(CHAT_ENUM_TYPES)).all() == []
    assert connection.scalar(sa.text("SELECT to_regclass('chat.sessions')")) is None
    assert connection.scalar(sa.text("SELECT to_regclass('chat.users')")) is None
    leftover_columns = connection.scalars(
        sa.text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = 'users' AND column_name IN ('discord_id', 'display_label')"
        )
    ).all()
    assert leftover_columns == []


# -- chat_discord ---------------------------------------------------------------------------------


@after_upgrade("chat_discord")
def legacy_sessions_and_users_are_active_with_empty_settings(connection: Connection) -> None:
    sessions = connection.execute(
        sa.text("SELECT is_active, ended_at, parameters FROM chat.sessions WHERE id = ANY(:ids)"),
        {"ids": list(LEGACY_SESSIONS)},
    ).all()
    assert sessions == [(True, None, {})] * len(LEGACY_SESSIONS)
    users = connection.execute(
        sa.text("SELECT is_active, preferences FROM public.users WHERE id IN (:alex, :sam)"),
        {"alex": ALEX, "sam": SAM},
    ).all()
    assert users == [(True, {})] * 2


@after_upgrade("chat_discord")
def unique_columns_carry_the_documents_index_names(connection: Connection) -> None:
    assert discord_unique_constraints(connection) == [
        "idx_sessions_discord_channel",
        "idx_users_discord_id",
    ]
    assert connection.scalars(sa.text(CHAT_ENUM_TYPES)).all() == [
        "backupstatus",
        "messagerole",
        "sessionorigin",
        "transcriptformat",
    ]


@after_upgrade("chat_discord")
def the_bots_users_show_and_take_their_account_settings(connection: Connection) -> None:
    kim = uuid.uuid4()
    insert(
        connection,
        "chat.users",
        {"id": kim, "display_label": "kim", "is_active": False, "preferences": '{"dm": false}'},
    )
    landed = connection.execute(
        sa.text("SELECT is_active, preferences FROM public.users WHERE id = :id"), {"id": kim}
    ).one()
    assert tuple(landed) == (False, {"dm": False})


@after_upgrade("chat_discord")
def deleting_a_legacy_session_takes_its_messages_and_transcripts(connection: Connection) -> None:
    insert(
        connection,
        "chat.messages",
        {"session_id": DISCORD_SESSION, "role": "user", "content": "hello"},
    )
    insert(
        connection,
        "chat.transcripts",
        {
            "session_id": DISCORD_SESSION,
            "s3_key": "transcripts/probe.json",
            "format": "json",
            "message_count": 1,
        },
    )
    connection.execute(sa.text("DELETE FROM chat.sessions WHERE id = :id"), {"id": DISCORD_SESSION})
    left = connection.scalar(
        sa.text(
            "SELECT (SELECT count(*) FROM chat.messages WHERE session_id = :id) "
            "+ (SELECT count(*) FROM chat.transcripts WHERE session_id = :id)"
        ),
        {"id": DISCORD_SESSION},
    )
    assert left == 0


@insert_after_upgrade("chat_discord")
def a_conversation_with_everything_around_it(connection: Connection) -> None:
    connection.execute(
        sa.text(
            'UPDATE public.users SET preferences = \'{"language": "en", "dm": false}\' '
            "WHERE id = :id"
        ),
        {"id": ALEX},
    )
    insert(
        connection,
        "chat.sessions",
        {
            "id": ENDED_SESSION,
            "owner_user_id": ALEX,
            "origin": "discord",
            "discord_channel_id": 2244668800224466880,
            "system_prompt": None,
            "created_at": "2025-03-01T19:00:00+00:00",
            "parameters": '{"model": "gpt-4o-mini", "temperature": 0.7}',
            "ended_at": "2025-03-01T19:40:00+00:00",
            "is_active": False,
        },
    )
    message = {
        "session_id": ENDED_SESSION,
        "timestamp": "2025-03-01T19:01:00+00:00",
        "metadata": "{}",
    }
    insert(
        connection,
        "chat.messages",
        {
            **message,
            "request_id": uuid.UUID("00000000-0000-4000-8004-000000000201"),
            "role": "user",
            "content": "Rough day at work.",
            "encrypted_content": None,
        },
        {
            **message,
            "request_id": uuid.UUID("00000000-0000-4000-8004-000000000202"),
            "role": "assistant",
            "content": None,
            "encrypted_content": ENCRYPTED_REPLY,
            "timestamp": "2025-03-01T19:01:05+00:00",
            "metadata": '{"tokens": 42}',
        },
    )
    insert(
        connection,
        "chat.transcripts",
        {
            "session_id": ENDED_SESSION,
            "s3_key": f"transcripts/{ENDED_SESSION}.json",
            "format": "json",
            "file_size_bytes": 2048,
            "message_count": 2,
        },
        {  # its upload has not finished
            "session_id": ENDED_SESSION,
            "s3_key": None,
            "format": "csv",
            "file_size_bytes": None,
            "message_count": 2,
        },
    )
    insert(
        connection,
        "chat.metrics",
        {
            "client_bot_id": "discord-bot-eu-1",
            "timestamp": "2025-03-01T19:05:00+00:00",
            "metric_type": "response_latency_ms",
            "metric_data": '{"p50": 820, "p95": 2100}',
        },
    )
    insert(
        connection,
        "chat.system_configs",
        {"key": "max_context_messages", "value": "40", "updated_by": ADMIN},
    )
    insert(
        connection,
        "chat.backup_logs",
        {
            "backup_type": "full",
            "status": "completed",
            "started_at": "2025-03-02T02:00:00+00:00",
            "completed_at": "2025-03-02T02:04:10+00:00",
            "file_path": "backups/2025-03-02-full.dump",
            "file_size_bytes": 7_340_032_000,
            "error_message": None,
        },
    )


@after_downgrade("chat_discord")
def only_the_legacy_shape_is_left(connection: Connection) -> None:
    assert discord_unique_constraints(connection) == [
        "uq_sessions_discord_channel_id",
        "uq_users_discord_id",
    ]
    assert connection.scalars(sa.text(CHAT_ENUM_TYPES)).all() == ["sessionorigin"]
    tables = connection.execute(
        sa.text(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_schema = 'chat' ORDER BY 1"
        )
    ).all()
    assert tables == [("sessions", "BASE TABLE"), ("users", "VIEW")]
    bot_user_columns = connection.scalars(
        sa.text(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'chat' AND table_name = 'users' ORDER BY ordinal_position"
        )
    ).all()
    assert bot_user_columns == ["id", "discord_id", "display_label", "created_at"]
