"""`therapy-db import` of each source system's own database (its DDL in tests/support/system_ddl/),
filled with realistic and hostile rows: imported with every row accounted for, compared with the
source row by row, migrated to the context's newest phase and back.

The clinic's own tests are in tests/test_import_clinic.py (partitions, a kill, in place).
"""

import uuid
from collections.abc import Iterator

import alembic.command
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.operations.history import alembic_config, current_heads
from app.toolkit import data_loss
from tests.migrations.roundtrip import rows
from tests.support import ledger
from tests.support.sources import Source, source_database
from tests.test_cli import therapy_db


def reasons(engine: Engine, context: str) -> dict[str, list[str]]:
    with engine.connect() as connection:
        found: dict[str, list[str]] = {}
        for table, reason in connection.execute(
            sa.text(
                "SELECT source_table, reason FROM public.import_rejects WHERE context = :c "
                "ORDER BY id"
            ),
            {"c": context},
        ):
            found.setdefault(table, []).append(reason)
        return found


def query(engine: Engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql), params)]


def go_up_and_back(engine: Engine, newest: str, legacy: str) -> None:
    """The context's documented phases on what came in, then back down to its legacy shape."""
    config = alembic_config(engine)
    config.attributes[data_loss.ALLOW] = True
    alembic.command.upgrade(config, newest)
    alembic.command.downgrade(config, legacy)


# -- the AI therapist ------------------------------------------------------------------------------

THERAPIST_ROWS = """
SET timezone = 'America/Denver';
INSERT INTO users (username, password, role, created_at, updated_at) VALUES
    ('dr.okafor', '$2b$12$okafor', 'therapist', '2024-02-11 08:15:00', '2024-02-11 08:15:00'),
    ('gone', '$2b$12$gone', 'participant', '2024-03-01 09:00:00', '2024-03-01 09:00:00'),
    ('sleepless', '$2b$12$sleepless', 'participant', '2024-09-30 22:40:00', '2025-01-04 06:05:00'),
    ('ana.r', '$2b$12$ana', 'researcher', '2024-03-10 02:30:00', '2024-03-10 02:30:00');
DELETE FROM users WHERE username = 'gone';
INSERT INTO conversation_logs (session_id, role, message_type, message, extras, created_at)
VALUES ('sess-1', 'user', 'session_start', NULL, '{"voice": "alloy"}', '2025-01-04 06:00:00'),
       ('sess-1', 'user', 'voice', 'I slept badly [REDACTED].', NULL, '2025-01-04 06:00:09'),
       ('web-chat-2024-07-19#3', 'assistant', 'chat', E'quote '' and \\\\ and\\ttab', '[1, 2]',
        '2024-07-19 08:00:01'),
       ('', 'user', 'chat', repeat('long ', 20000), '"just a string"', '2024-11-03 01:30:00');
"""


@pytest.fixture
def therapist_source(pg_server) -> Iterator[Source]:
    with source_database("therapy", pg_server.socket_dir) as source:
        with source.engine.begin() as connection:
            connection.connection.cursor().execute(THERAPIST_ROWS)
        yield source


def test_the_therapists_database_comes_in_with_its_userids_and_never_merges_a_taken_name(
    therapist_source: Source, empty_engine: Engine
):
    # Another system's person already uses one of the therapist's usernames here.
    with empty_engine.begin() as connection:
        alembic.command.upgrade(alembic_config(connection), "platform")
        connection.execute(sa.text("INSERT INTO public.users (username) VALUES ('ana.r')"))

    result = therapy_db(empty_engine, "import", "therapy", "--from", therapist_source.url)
    assert result.exit_code == 0, result.output
    assert (
        "tolerated: public.users: column created_at: timestamp without time zone read as "
        "local time in America/Denver" in result.output
    )
    assert ledger(empty_engine, "import:therapy") == {
        "therapy.users": (3, 2, 1),
        "therapy.conversation_logs": (4, 4, 0),
    }
    assert reasons(empty_engine, "therapy") == {
        "public.users": ["username already belongs to a row of public.users"]
    }
    # Row by row: the therapist's own keys and local times, the log exactly.
    source_people = query(
        therapist_source.engine,
        "SELECT userid, username, password, role, created_at::text FROM users "
        "WHERE username <> 'ana.r' ORDER BY userid",
    )
    imported = query(
        empty_engine,
        "SELECT userid, username, password, role, "
        "(created_at AT TIME ZONE 'America/Denver')::text FROM therapy.users ORDER BY userid",
    )
    assert imported == source_people
    log = "SELECT id, session_id, role, message_type, message, extras FROM {} ORDER BY id"
    assert query(empty_engine, log.format("therapy.conversation_logs")) == query(
        therapist_source.engine, log.format("conversation_logs")
    )
    new_person = (
        "INSERT INTO therapy.users (username, password, role) "
        "VALUES ('new', 'x', 'participant') RETURNING userid"
    )
    with empty_engine.begin() as connection:  # past every userid the source had, set aside too
        assert connection.scalar(sa.text(new_person)) == 5

    before = rows(empty_engine)
    go_up_and_back(empty_engine, "therapy_3nf", "therapy_legacy")
    assert rows(empty_engine) == before
    assert current_heads(empty_engine) == ("therapy_legacy",)


# -- the Discord chat bot --------------------------------------------------------------------------

ALEX, SAM, TAKEN = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
CHAT_ROWS = """
INSERT INTO users VALUES
    (%(alex)s, 412345678901234567, 'alex#0420', '2025-02-01 09:00:00'),
    (%(sam)s, NULL, %(long_label)s, '2025-02-02 10:30:00'),
    (%(taken)s, 555, 'twin#0001', '2025-02-03 11:00:00');
INSERT INTO sessions VALUES
    (gen_random_uuid(), %(alex)s, 'website', NULL, 'You are a calm, supportive listener.',
     '2025-02-03 20:15:00'),
    (gen_random_uuid(), %(sam)s, 'discord', 1133557799113355779, NULL, '2025-02-04 08:00:00'),
    (gen_random_uuid(), %(taken)s, 'discord', 42, NULL, '2025-02-05 08:00:00');
"""


@pytest.fixture
def chat_source(pg_server) -> Iterator[Source]:
    with source_database("chat", pg_server.socket_dir) as source:
        with source.engine.begin() as connection:
            connection.connection.cursor().execute(
                CHAT_ROWS, {"alex": ALEX, "sam": SAM, "taken": TAKEN, "long_label": "S" * 255}
            )
        yield source


def test_the_bots_database_comes_in_whole_and_a_second_pass_sets_every_taken_key_aside(
    chat_source: Source, empty_engine: Engine
):
    result = therapy_db(empty_engine, "import", "chat", "--from", chat_source.url)
    assert result.exit_code == 0, result.output
    assert ledger(empty_engine, "import:chat") == {
        "chat.users": (3, 3, 0),
        "chat.sessions": (3, 3, 0),
    }
    people = "SELECT id, discord_id, display_label, {} FROM {} ORDER BY id"
    assert query(
        empty_engine, people.format("(created_at AT TIME ZONE 'UTC')::text", "chat.users")
    ) == query(chat_source.engine, people.format("created_at::text", "users"))
    sessions = (
        "SELECT id, owner_user_id, origin::text, discord_channel_id, system_prompt, {} FROM {} "
        "ORDER BY id"
    )
    assert query(
        empty_engine, sessions.format("(created_at AT TIME ZONE 'UTC')::text", "chat.sessions")
    ) == query(chat_source.engine, sessions.format("created_at::text", "sessions"))

    before = rows(empty_engine)
    go_up_and_back(empty_engine, "chat_discord", "chat_legacy")
    assert rows(empty_engine) == before

    again = therapy_db(empty_engine, "import", "chat", "--from", chat_source.url, "--append")
    assert again.exit_code == 0, again.output
    assert ledger(empty_engine, "import:chat") == {
        "chat.users": (6, 3, 3),
        "chat.sessions": (6, 3, 3),
    }
    assert reasons(empty_engine, "chat") == {
        "public.users": ["id already belongs to a row of public.users"] * 3,
        "public.sessions": ["id already belongs to a row of chat.sessions"] * 3,
    }
    assert query(empty_engine, "SELECT count(*) FROM public.users") == [(3,)]


# -- the health coach ------------------------------------------------------------------------------

COACH_ROWS = """
INSERT INTO conversations (id, user_id, title, message_count, metadata, created_at, updated_at)
VALUES ('conv_0a1b2c3d4e5f', 'Xk3pQ9rT2vW8yZ1aB4cD6eF7gH0j', 'Week 1', 2,
        '{"week_number": 1,  "goal": "sleep", "goal": "walk"}', '2025-01-06 07:00:00',
        '2025-01-06 07:10:00'),
       ('conv_ffffffffffff', NULL, NULL, 0, NULL, '2025-01-07 08:00:00', '2025-01-07 08:00:00'),
       ('conv_000000000001', 'Xk3pQ9rT2vW8yZ1aB4cD6eF7gH0j', 'Week 2', 1, '{"week_number": 2}',
        '2025-01-13 07:00:00', '2025-01-13 07:05:00');
INSERT INTO messages (id, conversation_id, role, content, metadata, created_at, updated_at)
VALUES ('msg_0a1b2c3d4e5f', 'conv_0a1b2c3d4e5f', 'user', 'I slept six hours.', '{"mood": 6}',
        '2025-01-06 07:01:00', '2025-01-06 07:01:00'),
       ('msg_0a1b2c3d4e60', 'conv_0a1b2c3d4e5f', 'assistant', 'Let us aim for seven.', NULL,
        '2025-01-06 07:02:00', '2025-01-06 07:02:00'),
       ('msg_000000000001', 'conv_000000000001', 'user', E'tab\\there', '[]',
        '2025-01-13 07:01:00', '2025-01-13 07:01:00');
"""


@pytest.fixture
def coach_source(pg_server) -> Iterator[Source]:
    with source_database("coaching", pg_server.socket_dir) as source:
        with source.engine.begin() as connection:
            connection.connection.cursor().execute(COACH_ROWS)
        yield source


def test_the_coachs_mvp_database_comes_in_as_written_and_its_phases_run_on_it(
    coach_source: Source, empty_engine: Engine
):
    result = therapy_db(empty_engine, "import", "coaching", "--from", coach_source.url)
    assert result.exit_code == 0, result.output
    assert "tolerated: public.messages: column role: character varying read as" in result.output
    assert ledger(empty_engine, "import:coaching") == {
        "coaching.conversations": (3, 3, 0),
        "coaching.messages": (3, 3, 0),
    }
    conversations = (
        "SELECT id, user_id, title, message_count, metadata::text, {} FROM {} ORDER BY id"
    )
    assert query(
        empty_engine,
        conversations.format("(created_at AT TIME ZONE 'UTC')::text", "coaching.conversations"),
    ) == query(coach_source.engine, conversations.format("created_at::text", "conversations"))
    messages = "SELECT id, conversation_id, role::text, content, metadata::text FROM {} ORDER BY id"
    assert query(empty_engine, messages.format("coaching.messages")) == query(
        coach_source.engine, messages.format("messages")
    )

    before = rows(empty_engine)
    go_up_and_back(empty_engine, "coaching_phase4", "coaching_phase1")
    assert rows(empty_engine) == before

    # Off the database, the context takes what its import recorded with it.
    config = alembic_config(empty_engine)
    config.attributes[data_loss.ALLOW] = True
    alembic.command.downgrade(config, "coaching_phase1@-1")
    assert ledger(empty_engine, "import:coaching") == {}


def test_a_role_the_coachs_enum_has_no_label_for_refuses_the_import(
    coach_source: Source, empty_engine: Engine
):
    with coach_source.engine.begin() as connection:
        connection.execute(sa.text("UPDATE messages SET role = 'coach' WHERE id LIKE '%60'"))
    result = therapy_db(empty_engine, "import", "coaching", "--from", coach_source.url)
    assert result.exit_code == 1
    assert "public.messages: column role: character varying read as" in result.output
    assert "(1 rows)" in result.output
    assert current_heads(empty_engine) == ()


# -- the companion ---------------------------------------------------------------------------------

ANNA, BEN = uuid.UUID(int=0xA11A), uuid.UUID(int=0xBE11)
TALK, SAID = uuid.UUID(int=0xC0), uuid.UUID(int=0x5A1D)
COMPANION_ROWS = f"""
SET timezone = 'UTC';
INSERT INTO users VALUES
    ('{ANNA}', 'Anna', 'anna@example.org', '2024-01-15 09:00', false, '2024-06-01 10:00'),
    ('{BEN}', NULL, 'ben@example.org', '2024-02-20 09:00', NULL, NULL);
INSERT INTO memory_profiles (user_id, awareness_level, suicidal_risk_level, themes, people,
                             summary, sleep_routine, created_at, updated_at)
VALUES ('{ANNA}', 7, 1, '["work", "sleep"]', '[{{"name": "Mia", "role": "sister"}}]',
        '"Anna sleeps badly before Mondays."', '["early", ["nested"], 3]',
        '2024-01-16 10:00+00', '2024-06-01 10:00+00'),
       ('{BEN}', NULL, NULL, NULL, '[]', NULL, 'null', '2024-02-21 10:00+00', NULL);
INSERT INTO conversations (id, user_id, started_at, title, context_json)
VALUES ('{TALK}', '{ANNA}', '2024-06-01 20:00+00', 'Monday dread', '{{"a": 1,  "a": 2}}');
INSERT INTO conversation_messages (id, user_id, conversation_id, input_transcript, tags)
VALUES ('{SAID}', '{ANNA}', '{TALK}', 'I dread Mondays.', '{{dread,work}}');
INSERT INTO crisis_flags (user_id, session_id, flag_type, triggered_at, reviewed)
VALUES ('{ANNA}', '{SAID}', 'low_mood', '2024-06-01 20:05+00', false);
INSERT INTO conversation_continuity (user_id, conversation_id, session_duration_minutes)
VALUES ('{ANNA}', '{TALK}', NULL);
INSERT INTO feedback (user_id, raw_feedback, feedback_type, status)
VALUES ('{ANNA}', 'The voice is too fast.', NULL, NULL);
INSERT INTO user_preferences (user_id, show_text_response, daily_reminder_time)
VALUES ('{ANNA}', false, '21:30'), ('{BEN}', NULL, '07:30');
INSERT INTO value_compass (id, user_id, core_values, last_reflected_at)
VALUES (gen_random_uuid(), '{ANNA}', '{{honesty,rest}}', '2024-06-01 21:00');
INSERT INTO auth.users VALUES ('{ANNA}', 'anna@example.org', 'hash', now());
INSERT INTO storage.objects VALUES (gen_random_uuid(), 'avatars', 'anna.png', '{ANNA}');
"""


@pytest.fixture
def companion_source(pg_server) -> Iterator[Source]:
    with source_database("memory", pg_server.socket_dir) as source:
        with source.engine.begin() as connection:
            connection.connection.cursor().execute(COMPANION_ROWS)
        yield source


def test_the_companions_hosted_database_comes_in_and_the_hosts_schemas_are_left_alone(
    companion_source: Source, empty_engine: Engine
):
    result = therapy_db(empty_engine, "import", "memory", "--from", companion_source.url)
    assert result.exit_code == 0, result.output
    for schema in ("auth", "storage", "realtime"):
        assert f"left alone: schema {schema} (1 tables; not memory's)" in result.output
    accounts = ledger(empty_engine, "import:memory")
    assert accounts["memory.users"] == (2, 2, 0)
    assert accounts["memory.memory_profiles"] == (2, 2, 0)
    assert all(source == moved + rejected for source, moved, rejected in accounts.values())
    assert len(accounts) == 11  # the people and ten tables of the companion's
    profiles = "SELECT id, user_id, themes, people, summary, sleep_routine FROM {} ORDER BY id"
    assert query(empty_engine, profiles.format("memory.memory_profiles")) == query(
        companion_source.engine, profiles.format("memory_profiles")
    )
    talk = "SELECT id, title, context_json::text FROM {}"
    assert query(empty_engine, talk.format("memory.conversations")) == query(
        companion_source.engine, talk.format("conversations")
    )
    assert query(empty_engine, "SELECT id, email FROM memory.users ORDER BY id") == [
        (ANNA, "anna@example.org"),
        (BEN, "ben@example.org"),
    ]

    before = rows(empty_engine)
    go_up_and_back(empty_engine, "memory_normalized", "memory_legacy")
    assert rows(empty_engine) == before
