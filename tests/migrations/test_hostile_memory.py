"""memory_normalized on hostile legacy memory: every column of the ten legacy tables at the edges
of its type.

tests/test_memory_roundtrip.py throws any JSON shape at the 42 profile fields, with short strings
and ordinary dates. Here the strings are hostile too (1 MB, SQL, every Unicode plane, JSON-looking
text, inside arrays or bare, the longest a varchar(n) takes), numbers beyond any float, timestamps
from 4714 BC to +-infinity (which decide which of a user's profiles and value compasses wins), a
reminder at 24:00, conversations, messages, crisis flags and router rows that point nowhere, NULLs
wherever the companion's dump allowed them, a json column holding text jsonb would normalize.
Whatever they hold, the upgrade succeeds, every legacy row is moved or set aside with its reason
(and so counted in the migration ledger), and the downgrade gives the ten legacy tables back
exactly (row text: JSON null is not SQL NULL, duplicate keys stay, a NULL filled in is NULL again).
"""

import uuid

import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection

from tests import figures
from tests.migrations.hostile import (
    JSON_NULL,
    ONE_MB,
    JsonText,
    insert_rows,
    integers,
    json_texts,
    jsonb,
    texts,
    timestamps,
)
from tests.scale import size
from tests.support import Databases, downgrade, ledger, upgrade
from tests.support.data import memory_normalized

REVISION = memory_normalized()
USERS = [str(uuid.UUID(int=n)) for n in (1, 2, 3)]
NOBODY = str(uuid.UUID(int=99))  # no such user
NOWHERE = str(uuid.UUID(int=98))  # no such conversation

# Each legacy table, and where its rows are after the upgrade (besides `<table>_rejected`).
HOMES = {
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
KEYS = {"user_preferences": "user_id"}  # the others: id


def maybe(values: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | values


# Any JSON, and most often what a list field is meant to hold: an array of strings.
field_values = st.one_of(st.lists(texts(), max_size=4), jsonb)


@st.composite
def profiles(draw) -> dict:
    """A few fields hostile (42 fields of 1 MB each are no more hostile than 3), the rest NULL."""
    fields = draw(
        st.dictionaries(st.sampled_from(REVISION.LEGACY_FIELDS), field_values, max_size=3)
    )
    return {
        "id": str(draw(st.uuids())),
        "user_id": draw(st.sampled_from([None, *USERS])),
        **{level: draw(maybe(st.integers(1, 10))) for level in REVISION.LEVELS},
        "suicidal_risk_level": draw(maybe(st.integers(0, 3))),
        "sleep_quality": draw(maybe(texts())),
        "mood_score_initial": draw(maybe(integers(32))),
        "created_at": draw(maybe(timestamps())),
        "updated_at": draw(maybe(timestamps())),
        **dict.fromkeys(REVISION.LEGACY_FIELDS),
        **fields,
    }


users = st.sampled_from([None, NOBODY, *USERS])
someone = st.sampled_from([NOBODY, *USERS])  # a NOT NULL user_id
times = st.one_of(
    st.sampled_from(["00:00:00", "23:59:59.999999", "24:00:00"]),
    st.times().map(lambda moment: moment.isoformat()),
)
priorities = st.sampled_from(REVISION.FEEDBACK_PRIORITIES)
statuses = st.sampled_from(REVISION.FEEDBACK_STATUSES)


@st.composite
def legacy_memory(draw) -> dict[str, list[dict]]:
    """Profiles, conversations, messages in them (or nowhere), flags on the messages."""
    unique = {"unique_by": lambda row: row["id"]}
    conversations = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "id": st.uuids().map(str),
                    "user_id": users,
                    "started_at": maybe(timestamps()),
                    "ended_at": maybe(timestamps()),
                    "title": maybe(texts()),
                    "context_summary": maybe(texts()),
                    "mood_at_start": maybe(integers(32)),
                    "mood_at_end": maybe(integers(32)),
                    "context_json": json_texts,
                    "created_at": maybe(timestamps()),
                    "description": maybe(texts()),
                }
            ),
            max_size=3,
            **unique,
        )
    )
    messages = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "id": st.uuids().map(str),
                    "user_id": users,
                    "conversation_id": st.sampled_from(
                        [None, NOWHERE, *(c["id"] for c in conversations)]
                    ),
                    "created_at": maybe(timestamps()),
                    "input_type": maybe(texts()),
                    "input_transcript": maybe(texts()),
                    "gpt_response": maybe(texts()),
                    "audio_response_url": maybe(texts()),
                    "summary": maybe(texts()),
                    "mood_at_time": maybe(integers(32)),
                    "flagged": maybe(st.booleans()),
                    "tags": maybe(st.lists(maybe(texts(40)), max_size=3)),
                }
            ),
            max_size=4,
            **unique,
        )
    )
    flags = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "id": st.uuids().map(str),
                    "user_id": users,
                    "session_id": st.sampled_from([None, *(m["id"] for m in messages)]),
                    "flag_type": maybe(texts()),
                    "triggered_at": maybe(timestamps()),
                    "reviewed": maybe(st.booleans()),
                }
            ),
            max_size=3,
            **unique,
        )
    )
    return {
        "memory_profiles": draw(st.lists(profiles(), min_size=1, max_size=4, **unique)),
        "conversations": conversations,
        "conversation_messages": messages,
        "crisis_flags": flags,
        **draw(router_rows([NOWHERE, *(c["id"] for c in conversations)])),
    }


def rows_of(columns: dict, max_size: int = 3, key: str = "id") -> st.SearchStrategy[list[dict]]:
    return st.lists(
        st.fixed_dictionaries(columns), max_size=max_size, unique_by=lambda row: row[key]
    )


@st.composite
def router_rows(draw, conversations: list[str]) -> dict[str, list[dict]]:
    """The companion's router tables as its dump allows them, NULLs included."""
    uuids = st.uuids().map(str)
    return {
        "conversation_continuity": draw(rows_of({
            "id": uuids, "user_id": someone, "conversation_id": st.sampled_from(conversations),
            "last_message_count": integers(32), "last_session_phase": texts(50),
            "last_therapeutic_focus": maybe(texts()), "last_emotional_state": maybe(texts(50)),
            "last_timestamp": timestamps(), "session_duration_minutes": maybe(integers(32)),
            "is_resuming": maybe(st.booleans()), "continuity_context": maybe(texts()),
            "created_at": maybe(timestamps()), "updated_at": maybe(timestamps()),
        })),
        "feedback": draw(rows_of({
            "id": uuids, "user_id": someone, "raw_feedback": texts(),
            "ai_summary": maybe(texts()), "priority": maybe(priorities),
            "feedback_type": maybe(texts(50)), "device_info": jsonb,
            "app_version": maybe(texts(20)), "created_at": maybe(timestamps()),
            "processed_at": maybe(timestamps()), "status": maybe(statuses),
            "tags": maybe(st.lists(maybe(texts(40)), max_size=3)), "metadata": jsonb,
        })),
        "feedback_log": draw(rows_of({
            "id": uuids, "user_id": users, "session_id": maybe(uuids),
            "rating": maybe(st.integers(1, 5)), "comment": maybe(texts()),
            "created_at": maybe(timestamps()),
        })),
        "user_preferences": draw(rows_of({
            "user_id": someone, "show_text_response": maybe(st.booleans()),
            "play_audio_response": maybe(st.booleans()),
            "preferred_therapist_name": maybe(texts()), "daily_reminder_time": maybe(times),
            "timezone": maybe(texts()),
        }, key="user_id")),
        "emotional_trends": draw(rows_of({
            "id": uuids, "user_id": users, "recorded_at": maybe(timestamps()),
            "mood_score": maybe(st.integers(1, 10)), "mood_label": maybe(texts()),
            "notes": maybe(texts()), "created_at": maybe(timestamps()),
        })),
        "value_compass": draw(rows_of({
            "id": uuids, "user_id": users,
            "core_values": maybe(st.lists(maybe(texts(40)), max_size=3)),
            "anti_values": maybe(st.lists(maybe(texts(40)), max_size=3)),
            "narrative": maybe(texts()), "last_reflected_at": maybe(timestamps()),
        })),
    }  # fmt: skip


def ids(connection: Connection, sql: str) -> set[str]:
    return {str(id) for id in connection.scalars(sa.text(sql))}


def row_texts(connection: Connection) -> dict[str, list[str]]:
    """Each legacy table's rows as PostgreSQL prints them: stricter than `=` on every column."""
    return {
        table: connection.scalars(
            sa.text(f"SELECT t::text FROM memory.{table} t ORDER BY {KEYS.get(table, 'id')}")
        ).all()
        for table in HOMES
    }


def profile(id: int, **values) -> dict:
    return {"id": str(uuid.UUID(int=id)), "user_id": USERS[0], **dict.fromkeys(REVISION.LEVELS),
            "suicidal_risk_level": None, "sleep_quality": None, "mood_score_initial": None,
            "created_at": None, "updated_at": "infinity",
            **dict.fromkeys(REVISION.LEGACY_FIELDS), **values}  # fmt: skip


@settings(
    max_examples=size(ci=10, soak=300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(memory=legacy_memory())
@example(  # two profiles updated at infinity (the id decides); JSON-looking strings; 1 MB bare
    memory={
        "memory_profiles": [
            profile(1),
            profile(
                2,
                themes=["null", '["a"]', "", "7", " "],
                people="x" * ONE_MB,
                goals=10**400,
                summary=JSON_NULL,
                created_at="4714-11-24 00:00:00+00 BC",
            ),
        ],
        "conversations": [
            dict(
                id=str(uuid.UUID(int=10)),
                user_id=NOBODY,
                started_at="-infinity",
                ended_at="infinity",
                title="'",
                context_summary=None,
                mood_at_start=-(2**31),
                mood_at_end=2**31 - 1,
                context_json=JsonText('{"a": 1, "a": 2}'),
                created_at=None,
                description="",
            )
        ],
        "conversation_messages": [],
        "crisis_flags": [],
        "conversation_continuity": [],
        "feedback": [],
        "feedback_log": [],
        "user_preferences": [
            dict(user_id=USERS[0], show_text_response=None, play_audio_response=None,
                 preferred_therapist_name="'", daily_reminder_time="24:00:00", timezone=None)
        ],
        "emotional_trends": [],
        "value_compass": [
            dict(id=str(uuid.UUID(int=20 + n)), user_id=USERS[0], core_values=None,
                 anti_values=[None], narrative="", last_reflected_at=moment)
            for n, moment in enumerate(["infinity", None, "-infinity"])
        ],
    }
)  # fmt: skip
def test_hostile_legacy_memory_is_moved_or_set_aside_and_comes_back_exactly(
    databases: Databases, memory
):
    figures.count("memory_normalized", sum(map(len, memory.values())))
    with databases.at("memory_legacy") as engine:
        with engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO public.users (id) VALUES (CAST(:id AS uuid))"),
                [{"id": user} for user in USERS],
            )
            for table, rows in memory.items():
                insert_rows(connection, f"memory.{table}", rows)
            legacy = row_texts(connection)

        upgrade(engine, "memory_normalized")
        with engine.connect() as connection:
            counted = ledger(connection, "memory_normalized")
            for table, home in HOMES.items():
                key = KEYS.get(table, "id")
                moved = ids(connection, f"SELECT {key} FROM memory.{home}")
                rejected = ids(
                    connection, f"SELECT {key} FROM memory.{table}_rejected WHERE reason <> ''"
                )
                assert not moved & rejected, f"{table}: moved and set aside"
                assert moved | rejected == {row[key] for row in memory[table]}, table
                accounted = (len(memory[table]), len(moved), len(rejected))
                assert counted[f"memory.{home}"] == accounted, table

        downgrade(engine, "memory_legacy")
        with engine.connect() as connection:
            assert row_texts(connection) == legacy
