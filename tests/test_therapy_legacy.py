"""A real database of the AI therapist app, as its own DDL made it, copied into therapy_legacy's
tables and migrated: no column mapped by hand, no statement fixed afterwards."""

import psycopg
import sqlalchemy as sa

from tests.support import columns, upgrade
from tests.support.sources import system_ddl
from tests.test_therapist_code import (
    BCRYPT,
    CREATE_SESSION,
    CREATE_USER,
    LIST_USERS,
    LOGIN,
    LOGIN_USER,
    TIMEZONE,
    NodePostgres,
)

# The app's migration 001 (users) and its hand-made log, in a schema of their own.
THE_APPS_DDL = system_ddl("therapy", schema="real")
# What the app wrote over time, in its time zone: a user it later deleted leaves a gap.
THE_APPS_ROWS = """
SET timezone = 'America/Denver';
INSERT INTO real.users (username, password, role, created_at, updated_at) VALUES
    ('dr.okafor', '$2b$12$okafor', 'therapist', '2024-02-11 08:15:00', '2024-02-11 08:15:00'),
    ('gone', '$2b$12$gone', 'participant', '2024-03-01 09:00:00', '2024-03-01 09:00:00'),
    ('sleepless', '$2b$12$sleepless', 'participant', '2024-09-30 22:40:00', '2025-01-04 06:05:00');
DELETE FROM real.users WHERE username = 'gone';
INSERT INTO real.conversation_logs (session_id, role, message_type, message, extras, created_at)
VALUES ('sess-1', 'user', 'session_start', NULL, '{"voice": "alloy"}', '2025-01-04 06:00:00'),
       ('sess-1', 'user', 'voice', 'I slept badly [REDACTED].', NULL, '2025-01-04 06:00:09');
"""
# The copy: the legacy revision's tables take the app's rows as they are, column for column.
COPY = """
SET timezone = 'America/Denver';
INSERT INTO therapy.users SELECT * FROM real.users;
INSERT INTO therapy.conversation_logs SELECT * FROM real.conversation_logs;
"""


def test_a_real_database_of_the_app_copied_into_therapy_legacy_migrates_and_the_app_runs(
    databases,
):
    with databases.at("therapy_legacy") as engine:
        with engine.begin() as connection:
            connection.exec_driver_sql(THE_APPS_DDL)
            connection.exec_driver_sql(THE_APPS_ROWS)
            assert columns(connection, "therapy.conversation_logs") == columns(
                connection, "real.conversation_logs"
            )
            the_apps_names = [name for name, _, _ in columns(connection, "real.users")]
            assert [name for name, _, _ in columns(connection, "therapy.users")] == the_apps_names
            connection.exec_driver_sql(COPY)
            connection.exec_driver_sql("DROP SCHEMA real CASCADE")

        upgrade(engine, "head")

        with psycopg.connect(
            dbname=engine.url.database, user=LOGIN, options=f"-c timezone={TIMEZONE}"
        ) as connection:
            connection.autocommit = True
            app = NodePostgres(connection)
            assert app.one(LOGIN_USER, "sleepless")["password"] == "$2b$12$sleepless"
            assert [(u["username"], u["created_at"]) for u in app.query(LIST_USERS)] == [
                ("sleepless", "2024-09-30 22:40:00-06"),  # its Denver clock, read back as such
                ("dr.okafor", "2024-02-11 08:15:00-07"),
            ]
            created = app.one(CREATE_USER, "new-after-the-copy", BCRYPT, "participant")
            assert int(created["userid"]) == 4  # the next after the highest copied
            session = app.one(CREATE_SESSION, 3, "First session after the move")
            assert session["user_id"] == "3"

        with engine.connect() as connection:
            logged = connection.scalars(
                sa.text("SELECT message FROM therapy.conversation_logs ORDER BY id")
            ).all()
        assert logged == [None, "I slept badly [REDACTED]."]
