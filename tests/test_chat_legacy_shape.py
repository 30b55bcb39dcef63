"""A real Discord bot database, copied into chat_legacy's tables, migrates without a hand edit.

The bot's own DDL before its migration 001 (its `users` and `sessions`, without what the seed
says 001 adds) is created in a database of its own and filled as the bot fills it; its rows are
copied column by column (COPY, text format, as a data-only dump carries them) into a database at
chat_legacy, which then migrates to head.
"""

import io
import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.support import upgrade
from tests.support.sources import system_ddl

BOT_DDL = system_ddl("chat")
ALEX, SAM = uuid.uuid4(), uuid.uuid4()
WEBSITE, CHANNEL = uuid.uuid4(), uuid.uuid4()
BOT_ROWS = """
INSERT INTO users VALUES
    (:alex, 412345678901234567, 'alex#0420', '2025-02-01 09:00:00'),
    (:sam, NULL, :long_label, '2025-02-02 10:30:00');
INSERT INTO sessions VALUES
    (:website, :alex, 'website', NULL, 'You are a calm, supportive listener.',
     '2025-02-03 20:15:00'),
    (:channel, :sam, 'discord', 1133557799113355779, NULL, '2025-02-04 08:00:00');
"""
COPIED = {  # the bot's table -> the legacy revision's table, same columns
    "users": "public.users",
    "sessions": "chat.sessions",
}
COLUMNS = {
    "users": "id, discord_id, display_label, created_at",
    "sessions": "id, owner_user_id, origin, discord_channel_id, system_prompt, created_at",
}


def copy_rows(source: Engine, target: Engine) -> None:
    source_connection, target_connection = source.raw_connection(), target.raw_connection()
    try:
        target_connection.cursor().execute("SET timezone = 'UTC'")  # the bot's naive times are UTC
        for table, into in COPIED.items():
            rows = io.StringIO()
            source_connection.cursor().copy_expert(
                f"COPY {table} ({COLUMNS[table]}) TO STDOUT", rows
            )
            rows.seek(0)
            target_connection.cursor().copy_expert(
                f"COPY {into} ({COLUMNS[table]}) FROM STDIN", rows
            )
        target_connection.commit()
    finally:
        source_connection.close()
        target_connection.close()


def test_a_real_bot_database_copied_into_chat_legacy_migrates_to_head(databases):
    with databases.at("base") as bot_database, databases.at("chat_legacy") as engine:
        with bot_database.begin() as connection:
            connection.exec_driver_sql(BOT_DDL)
            connection.execute(
                sa.text(BOT_ROWS),
                {
                    "alex": ALEX,
                    "sam": SAM,
                    "long_label": "S" * 255,
                    "website": WEBSITE,
                    "channel": CHANNEL,
                },
            )
        copy_rows(bot_database, engine)

        upgrade(engine, "head")

        with engine.connect() as connection:
            users = connection.execute(
                sa.text(
                    "SELECT id, display_label, (created_at AT TIME ZONE 'UTC')::text, is_active, "
                    "preferences "
                    "FROM chat.users WHERE id IN (:alex, :sam) ORDER BY created_at"
                ),
                {"alex": ALEX, "sam": SAM},
            ).all()
            sessions = connection.execute(
                sa.text(
                    "SELECT id, origin::text, (created_at AT TIME ZONE 'UTC')::text, is_active, "
                    "ended_at FROM chat.sessions ORDER BY created_at"
                )
            ).all()
    assert users == [
        (ALEX, "alex#0420", "2025-02-01 09:00:00", True, {}),
        (SAM, "S" * 255, "2025-02-02 10:30:00", True, {}),
    ]
    assert sessions == [
        (WEBSITE, "website", "2025-02-03 20:15:00", True, None),
        (CHANNEL, "discord", "2025-02-04 08:00:00", True, None),
    ]
