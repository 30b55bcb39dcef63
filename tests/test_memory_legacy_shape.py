"""A real database of the companion, as its own dump shows it, copied into memory_legacy's tables
and migrated: no column mapped by hand, no statement fixed afterwards, and its code runs on it."""

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.support import columns, ledger, upgrade
from tests.support.sources import system_ddl
from tests.test_companion_code import LOGIN, create, read

ANNA, BEN, NOBODY = (uuid.UUID(f"00000000-0000-4000-9001-00000000000{n}") for n in range(1, 4))
CONVERSATION = uuid.UUID("00000000-0000-4000-9002-000000000001")

# Its users and router tables as its dump shows them (memory-tables.md), and its conversations
# (ARCHITECTURE section 5), in a schema of their own: the host put them in `public`.
THE_DUMP = system_ddl("memory", schema="real")
# What the companion wrote, on a host running in UTC: NULLs where its dump allowed them, a
# continuity of someone no longer there, a value compass reflected on twice.
THE_ROWS = f"""
SET timezone = 'UTC';
INSERT INTO real.users VALUES
    ('{ANNA}', 'Anna', 'anna@example.org', '2024-01-15 09:00', false, '2024-06-01 10:00'),
    ('{BEN}', NULL, 'ben@example.org', '2024-02-20 09:00', NULL, NULL);
INSERT INTO real.conversations (id, user_id, started_at, title)
VALUES ('{CONVERSATION}', '{ANNA}', '2024-06-01 20:00+00', 'Monday dread');
INSERT INTO real.conversation_continuity (user_id, conversation_id, session_duration_minutes)
VALUES ('{ANNA}', '{CONVERSATION}', NULL), ('{NOBODY}', '{CONVERSATION}', 12);
INSERT INTO real.feedback (user_id, raw_feedback, feedback_type, status)
VALUES ('{ANNA}', 'The voice is too fast.', NULL, NULL);
INSERT INTO real.feedback_log (id, user_id, rating) VALUES (gen_random_uuid(), '{ANNA}', 4);
INSERT INTO real.user_preferences (user_id, show_text_response, daily_reminder_time)
VALUES ('{ANNA}', false, '21:30'), ('{BEN}', NULL, '07:30');
INSERT INTO real.emotional_trends (id, user_id, mood_score) VALUES (gen_random_uuid(), '{BEN}', 5);
INSERT INTO real.value_compass (id, user_id, core_values, last_reflected_at)
VALUES (gen_random_uuid(), '{ANNA}', '{{work}}', '2024-01-01 09:00'),
       (gen_random_uuid(), '{ANNA}', '{{honesty,rest}}', '2024-06-01 21:00');
"""

# The copy: the legacy revision's tables (and its users) take the dump's rows as they are.
ROUTER_TABLES = (
    "conversation_continuity",
    "feedback",
    "feedback_log",
    "user_preferences",
    "emotional_trends",
    "value_compass",
)
COPIED = ("users", "conversations", *ROUTER_TABLES)


def test_the_router_tables_of_memory_legacy_are_the_dumps(databases):
    with databases.at("memory_legacy") as engine, engine.begin() as connection:
        connection.exec_driver_sql(THE_DUMP)
        for table in ROUTER_TABLES:
            assert columns(connection, f"memory.{table}") == columns(connection, f"real.{table}")
        names = [name for name, _, _ in columns(connection, "real.users")]
        assert [name for name, _, _ in columns(connection, "memory.users")] == names


@pytest.fixture
def migrated_copy(databases):
    """The dump's rows copied into memory_legacy column for column, then migrated to head."""
    with databases.at("memory_legacy") as engine:
        with engine.begin() as connection:
            connection.exec_driver_sql(THE_DUMP)
            connection.exec_driver_sql(THE_ROWS)
            for table in COPIED:
                connection.exec_driver_sql(f"INSERT INTO memory.{table} SELECT * FROM real.{table}")
            connection.exec_driver_sql("DROP SCHEMA real CASCADE")
        upgrade(engine, "head")
        yield engine


def test_a_real_database_of_the_companion_copied_into_memory_legacy_migrates(migrated_copy):
    with migrated_copy.connect() as connection:
        counted = ledger(connection, "memory_normalized")
    assert counted["memory.user_conversation_continuity"] == (2, 1, 1)  # one of nobody
    assert counted["memory.user_value_compass"] == (2, 1, 1)  # Anna's older one
    assert counted["memory.user_preferences"] == (2, 2, 0)
    assert counted["memory.feedback"] == (1, 1, 0)


def test_the_companions_code_runs_on_its_migrated_database(migrated_copy):
    login = sa.create_engine(migrated_copy.url.set(username=LOGIN))
    try:
        with login.connect() as client:
            people = client.execute(
                sa.text('SELECT "id", "onboarding_skipped", "created_at" FROM "memory"."users"')
            ).all()
            assert sorted(people) == sorted([
                (ANNA, False, datetime(2024, 1, 15, 9, 0, tzinfo=UTC)),
                (BEN, False, datetime(2024, 2, 20, 9, 0, tzinfo=UTC)),  # its flag was NULL
            ])  # fmt: skip
            preferences = read(client, "user_preferences", user_id=BEN)
            assert preferences["show_text_response"] is True  # NULL in the dump: its default
            assert preferences["daily_reminder_time"] == datetime(1970, 1, 1, 7, 30, tzinfo=UTC)
            thread = create(
                client,
                "user_conversation_continuity",
                {"id": uuid.uuid4(), "user_id": ANNA, "conversation_id": CONVERSATION,
                 "updated_at": datetime.now(UTC)},
            )  # fmt: skip
            assert thread["session_duration_minutes"] == 0
    finally:
        login.dispose()
