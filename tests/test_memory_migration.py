"""memory_normalized on small legacy data: nothing lost going up, edits kept coming down."""

import json
import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.migrations.data.memory import legacy_memory
from tests.support import downgrade, ledger, upgrade

# legacy table -> where its rows are after the upgrade
MOVES = {
    "memory_profiles": "user_profile_summary",
    "conversations": "user_conversations",
    "conversation_messages": "user_conversation_messages",
    "crisis_flags": "user_crisis_flags",
    "conversation_continuity": "user_conversation_continuity",
    "feedback": "feedback",
    "feedback_log": "user_feedback_log",
    "user_preferences": "user_preferences",
    "emotional_trends": "user_emotional_trends",
    "value_compass": "user_value_compass",
}


def count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.text(f"SELECT count(*) FROM memory.{table}"))


def test_every_source_row_is_migrated_or_rejected(databases):
    with databases.at("memory_legacy") as engine:
        with engine.begin() as connection:
            legacy_memory(connection)
        source = {table: count(engine, table) for table in MOVES}

        upgrade(engine, "memory_normalized")

        with engine.connect() as connection:
            counted = ledger(connection, "memory_normalized")
        for table, moved_to in MOVES.items():
            moved, rejected = count(engine, moved_to), count(engine, f"{table}_rejected")
            assert moved + rejected == source[table], table
            assert rejected > 0, f"the data exercises the rejects of {table}"
            assert counted[f"memory.{moved_to}"] == (source[table], moved, rejected), table


def test_an_edit_made_since_the_upgrade_wins_over_the_kept_legacy_value(databases):
    legacy = {
        "biggest_challenge": ["money", "time"],  # a text answer that was a list: kept aside
        "people": "my mother",  # a bare value where a list was expected: kept aside
        "therapy_type": ["CBT"],
        "themes": "grief",
    }
    with databases.at("memory_legacy") as engine:
        user = uuid.uuid4()
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO public.users (id) VALUES (:u)"), {"u": user})
            connection.execute(
                sa.text(
                    "INSERT INTO memory.memory_profiles (user_id, biggest_challenge, people, "
                    "therapy_type, themes) VALUES (:u, CAST(:challenge AS jsonb), "
                    "CAST(:people AS jsonb), CAST(:therapy AS jsonb), CAST(:themes AS jsonb))"
                ),
                {
                    "u": user,
                    "challenge": json.dumps(legacy["biggest_challenge"]),
                    "people": json.dumps(legacy["people"]),
                    "therapy": json.dumps(legacy["therapy_type"]),
                    "themes": json.dumps(legacy["themes"]),
                },
            )
        upgrade(engine, "memory_normalized")
        with engine.begin() as connection:
            summary = connection.execute(
                sa.text(
                    "SELECT biggest_challenge, therapy_type FROM memory.user_profile_summary "
                    "WHERE user_id = :u"
                ),
                {"u": user},
            ).one()
            assert tuple(summary) == ("money; time", "CBT")  # how the answers read now
            connection.execute(
                sa.text(
                    "UPDATE memory.user_profile_summary SET biggest_challenge = 'loneliness' "
                    "WHERE user_id = :u"
                ),
                {"u": user},
            )
            connection.execute(
                sa.text("UPDATE memory.user_people SET name = 'my father' WHERE user_id = :u"),
                {"u": user},
            )

        downgrade(engine, "memory_legacy")
        with engine.connect() as connection:
            profile = connection.execute(
                sa.text(
                    "SELECT biggest_challenge, people, therapy_type, themes "
                    "FROM memory.memory_profiles WHERE user_id = :u"
                ),
                {"u": user},
            ).one()
    assert profile.biggest_challenge == "loneliness"  # edited: the edit
    assert profile.people == ["my father"]  # edited: the edit, as the list it now is
    assert profile.therapy_type == legacy["therapy_type"]  # untouched: exactly as it was
    assert profile.themes == legacy["themes"]
