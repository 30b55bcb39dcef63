"""Round-trip data of the therapy context (seed 000).

The app's users, copied in through its view with their own userids as an import would; legacy
log rows as the old app wrote them (free-text session ids, events without text, extras of any
shape), loaded with their ids as a restore would; then 3NF sessions (owned by a userid) and
messages, which later revisions must leave alone and therapy_3nf's downgrade folds back into the
log.
"""

import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from tests.migrations.roundtrip import (
    after_downgrade,
    after_upgrade,
    before_upgrade,
    insert,
    insert_after_upgrade,
)

# The app's users as its own database had them (userid SERIAL, password a bcrypt hash; its
# TIMESTAMP values are Denver wall-clock times, copied in with timezone America/Denver).
THERAPIST_USERS = [
    dict(
        userid=7,
        username="dr.okafor",
        password="$2b$12$okaforHashPlaceholder",
        role="therapist",
        created_at="2024-02-11 08:15:00",
        updated_at="2024-02-11 08:15:00",
    ),
    dict(
        userid=12,
        username="sleepless-in-denver",
        password="$2b$12$participantHashPlaceholder",
        role="participant",
        created_at="2024-09-30 22:40:00",
        updated_at="2025-01-04 06:05:00",
    ),
]
PARTICIPANT = 12

VOICE_SESSION = "6f1c2a4e-9a57-4c1e-b1c4-2f0e8d3b7a10"

LEGACY_LOGS = [
    dict(
        id=101,
        session_id=VOICE_SESSION,
        role="user",
        message_type="session_start",
        message=None,
        extras={"voice": "alloy", "client": "ios"},
        created_at="2025-11-02T20:14:03+00:00",
    ),
    dict(
        id=102,
        session_id=VOICE_SESSION,
        role="user",
        message_type="voice",
        message="I keep waking up at 3am worrying about [REDACTED].",
        extras={"duration_ms": 5400, "transcript_confidence": 0.93},
        created_at="2025-11-02T20:14:09+00:00",
    ),
    dict(
        id=103,
        session_id=VOICE_SESSION,
        role="assistant",
        message_type="voice",
        message="That sounds exhausting. What goes through your mind when it happens?",
        extras=None,
        created_at="2025-11-02T20:14:12+00:00",
    ),
    dict(
        id=104,
        session_id="web-chat-2024-07-19#3",
        role="user",
        message_type="chat",
        message="Can we talk about sleep again?",
        extras=["retry", 2],
        created_at="2024-07-19T08:00:00+00:00",
    ),
    dict(
        id=105,
        session_id="",
        role="system",
        message_type="error",
        message="",
        extras="socket closed",
        created_at="2024-07-19T08:00:01+00:00",
    ),
]

SLEEP_SESSION = uuid.UUID("a1d3c1e0-57a8-4b9e-9d51-3c7e95f0b001")
ANONYMOUS_SESSION = uuid.UUID("a1d3c1e0-57a8-4b9e-9d51-3c7e95f0b002")

SESSIONS = [
    dict(
        session_id=SLEEP_SESSION,
        user_id=PARTICIPANT,
        session_name="Working on sleep",
        status="ended",
        created_at="2025-12-20T10:30:00+00:00",
        updated_at="2025-12-20T11:15:00+00:00",
        ended_at="2025-12-20T11:15:00+00:00",
    ),
    dict(
        session_id=ANONYMOUS_SESSION,
        user_id=None,
        session_name=None,
        status="active",
        created_at="2025-12-21T09:00:00+00:00",
        updated_at="2025-12-21T09:00:00+00:00",
        ended_at=None,
    ),
]
CONFIGURATIONS = [
    dict(
        config_id=1,
        session_id=SLEEP_SESSION,
        voice="verse",
        modalities=["text", "audio"],
        instructions="You are a calm, supportive therapist.",
        turn_detection={"type": "server_vad", "silence_duration_ms": 600},
        tools=[],
        temperature=0.7,
        max_response_output_tokens=2048,
    ),
    dict(
        config_id=2,
        session_id=ANONYMOUS_SESSION,
        voice="alloy",
        modalities=["text"],
        instructions=None,
        turn_detection=None,
        tools=None,
        temperature=0.8,
        max_response_output_tokens=None,
    ),
]
MESSAGES = [
    dict(
        message_id=9001,
        session_id=SLEEP_SESSION,
        role="user",
        message_type="voice",
        content="I keep waking up at 3am worrying about my divorce hearing.",
        content_redacted="I keep waking up at 3am worrying about [REDACTED].",
        metadata={"duration_ms": 4100},
        created_at="2025-12-20T10:31:00+00:00",
    ),
    dict(
        message_id=9002,
        session_id=SLEEP_SESSION,
        role="assistant",
        message_type="voice",
        content="Let's look at what happens right before you wake.",
        content_redacted="Let's look at what happens right before you wake.",
        metadata=None,
        created_at="2025-12-20T10:31:05+00:00",
    ),
    dict(
        message_id=9003,
        session_id=ANONYMOUS_SESSION,
        role="user",
        message_type="chat",
        content="My name is Dana Whitfield and I live on Elm Street.",
        content_redacted="My name is [NAME] and I live on [ADDRESS].",
        metadata={"client": "web"},
        created_at="2025-12-21T09:00:10+00:00",
    ),
]


def therapist_users(connection: Connection) -> list[dict]:
    result = connection.execute(
        sa.text(
            "SELECT userid, username, password, role, created_at, updated_at FROM therapy.users "
            "ORDER BY userid"
        )
    )
    return [dict(row) for row in result.mappings()]


@after_upgrade("therapy_legacy")
def the_apps_users_table_is_its_people_in_the_shared_identity(connection: Connection) -> None:
    created = connection.execute(
        sa.text(
            "INSERT INTO therapy.users (username, password, role) "
            "VALUES ('probe-therapist', '$2b$12$probe', 'therapist') RETURNING userid"
        )
    ).scalar_one()
    person = connection.execute(
        sa.text("SELECT id, password_hash FROM public.users WHERE userid = :userid"),
        {"userid": created},
    ).one()
    assert person.id is not None and person.password_hash == "$2b$12$probe"
    connection.execute(sa.text("INSERT INTO public.users (username) VALUES ('not-the-apps')"))
    assert "not-the-apps" not in [row["username"] for row in therapist_users(connection)]
    for refused, statement in (
        (
            "ck_users_therapist_login",
            "INSERT INTO therapy.users (username, role) VALUES ('no-password', 'participant')",
        ),
        ("check option", "UPDATE therapy.users SET userid = NULL WHERE userid = :userid"),
    ):
        try:
            with connection.begin_nested():
                connection.execute(sa.text(statement), {"userid": created})
        except DBAPIError as error:
            assert refused in str(error.orig), error.orig
        else:
            raise AssertionError(f"allowed: {statement}")


@insert_after_upgrade("therapy_legacy")
def the_apps_users(connection: Connection) -> None:
    connection.execute(sa.text("SET LOCAL timezone = 'America/Denver'"))
    insert(connection, "therapy.users", THERAPIST_USERS)


@after_downgrade("therapy_legacy")
def the_apps_view_and_key_are_gone_and_its_people_stay(connection: Connection) -> None:
    leftovers = connection.scalars(
        sa.text(
            "SELECT 'therapy.users' WHERE to_regclass('therapy.users') IS NOT NULL "
            "UNION ALL SELECT 'therapy.users_userid_seq' "
            "WHERE to_regclass('therapy.users_userid_seq') IS NOT NULL "
            "UNION ALL SELECT 'public.users.userid' FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = 'users' AND column_name = 'userid'"
        )
    ).all()
    assert leftovers == []
    kept = connection.scalars(
        sa.text("SELECT username FROM public.users WHERE username = ANY(:names)"),
        {"names": [user["username"] for user in THERAPIST_USERS]},
    ).all()
    assert len(kept) in (0, len(THERAPIST_USERS))  # none before they were copied in


def logs(connection: Connection) -> list[dict]:
    result = connection.execute(
        sa.text("SELECT * FROM therapy.conversation_logs WHERE id = ANY(:ids) ORDER BY id"),
        {"ids": [row["id"] for row in LEGACY_LOGS]},
    )
    return [dict(row) for row in result.mappings()]


@before_upgrade("therapy_3nf")
def legacy_logs(connection: Connection) -> None:
    insert(connection, "therapy.conversation_logs", LEGACY_LOGS)


@after_upgrade("therapy_3nf")
def legacy_logs_are_kept_and_refuse_every_write(connection: Connection) -> None:
    assert [row["message"] for row in logs(connection)] == [row["message"] for row in LEGACY_LOGS]
    for statement in (
        "INSERT INTO therapy.conversation_logs (session_id, role, message_type) "
        "VALUES ('x', 'user', 'chat')",
        "UPDATE therapy.conversation_logs SET message = 'edited' WHERE id = 102",
        "DELETE FROM therapy.conversation_logs WHERE id = 103",
        "TRUNCATE therapy.conversation_logs",
    ):
        verb = statement.split()[0]
        try:
            with connection.begin_nested():
                connection.execute(sa.text(statement))
        except DBAPIError as refused:
            assert f"{verb} on therapy.conversation_logs refused" in str(refused.orig)
        else:
            raise AssertionError(f"{verb} on the read-only log was allowed")


@after_upgrade("therapy_3nf")
def the_apps_next_user_gets_a_userid_past_the_copied_ones(connection: Connection) -> None:
    copied = connection.scalar(sa.text("SELECT coalesce(max(userid), 0) FROM public.users"))
    created = connection.scalar(
        sa.text(
            "INSERT INTO therapy.users (username, password, role) "
            "VALUES ('after-the-copy', '$2b$12$probe', 'participant') RETURNING userid"
        )
    )
    assert created > copied


@insert_after_upgrade("therapy_3nf")
def sessions_and_messages(connection: Connection) -> None:
    insert(connection, "therapy.therapy_sessions", SESSIONS)
    insert(connection, "therapy.session_configurations", CONFIGURATIONS)
    insert(connection, "therapy.messages", MESSAGES)


@after_downgrade("therapy_3nf")
def log_is_writable_with_its_rows_and_the_conversations_folded_back(connection: Connection):
    assert [row["message"] for row in logs(connection)] == [row["message"] for row in LEGACY_LOGS]
    connection.execute(
        sa.text(
            "INSERT INTO therapy.conversation_logs (session_id, role, message_type) "
            "VALUES ('after-downgrade', 'user', 'chat')"
        )
    )
    folded = connection.execute(
        sa.text(
            "SELECT session_id, role, message, extras FROM therapy.conversation_logs "
            "WHERE extras ->> 'folded_back_from' = 'therapy_3nf' ORDER BY created_at"
        )
    ).all()
    if not folded:  # the downgrade ran before any 3NF rows were inserted
        return
    assert [(row.session_id, row.role, row.message) for row in folded] == [
        (str(m["session_id"]), m["role"], m["content_redacted"]) for m in MESSAGES
    ]
    assert [row.extras["message_id"] for row in folded] == [m["message_id"] for m in MESSAGES]
    assert folded[0].extras["session"]["session_name"] == "Working on sleep"
    everything = connection.scalar(
        sa.text(
            "SELECT string_agg(message || coalesce(extras::text, ''), ' ') "
            "FROM therapy.conversation_logs"
        )
    )
    assert "divorce" not in everything and "Dana Whitfield" not in everything
