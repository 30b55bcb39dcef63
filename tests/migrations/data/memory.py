"""Round-trip data of the memory context: legacy profiles and conversations, then new-shape rows.

Anna's profile is what real ones look like (arrays of short strings, a few bare strings); Ben's
holds every unusual JSON shape; Cleo has two profiles and one profile has no user; a conversation
of a user who does not exist drags its message and crisis flag into the rejects with it.
"""

import json
import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tests.migrations.roundtrip import (
    after_downgrade,
    after_upgrade,
    insert_after_upgrade,
    volatile,
)

ANNA, BEN, CLEO, DANA = (uuid.UUID(f"00000000-0000-4000-8001-00000000000{n}") for n in range(1, 5))
NOBODY = uuid.UUID("00000000-0000-4000-8001-0000000000ff")  # no such user

PROFILE_ANNA = uuid.UUID("00000000-0000-4000-8002-000000000001")
PROFILE_BEN = uuid.UUID("00000000-0000-4000-8002-000000000002")
PROFILE_CLEO_OLD = uuid.UUID("00000000-0000-4000-8002-000000000003")
PROFILE_CLEO = uuid.UUID("00000000-0000-4000-8002-000000000004")
PROFILE_ORPHAN = uuid.UUID("00000000-0000-4000-8002-000000000005")
PROFILES = (PROFILE_ANNA, PROFILE_BEN, PROFILE_CLEO_OLD, PROFILE_CLEO, PROFILE_ORPHAN)

CONVERSATION = uuid.UUID("00000000-0000-4000-8003-000000000001")
GHOST_CONVERSATION = uuid.UUID("00000000-0000-4000-8003-000000000002")
MESSAGE, MESSAGE_2, GHOST_MESSAGE, LOOSE_MESSAGE = (
    uuid.UUID(f"00000000-0000-4000-8004-00000000000{n}") for n in range(1, 5)
)
FLAG, GHOST_FLAG = (uuid.UUID(f"00000000-0000-4000-8005-00000000000{n}") for n in range(1, 3))

ANNA_THEMES = ["work stress", "fear of abandonment", "perfectionism"]
BEN_THEMES = [["grief", "anger"], 7, None, {"name": "shame", "weight": 0.8}, True, "loneliness"]

LEGACY_PROFILES = [
    {
        "id": PROFILE_ANNA,
        "user_id": ANNA,
        "awareness_level": 6,
        "personal_agency_level": 4,
        "suicidal_risk_level": 1,
        "sleep_quality": "poor",
        "mood_score_initial": 4,
        "created_at": "2024-02-01T10:00:00+00:00",
        "updated_at": "2024-06-01T10:00:00+00:00",
        "json": {
            "themes": ANNA_THEMES,
            "people": ["sister Maya", "manager Tom"],
            "coping_tools": ["box breathing", "journaling", "walks with the dog"],
            "goals": ["sleep before midnight", "ask for help at work"],
            "preferred_therapy_styles": ["CBT", "somatic"],
            "preferred_tone": "warm but direct",
            "stuck_points": ["can't say no", "procrastinating on applications"],
            "summary": "Anna, 34, burnt out at work; anxious attachment.",
            "mood_trends": ["low on Mondays", "better after exercise"],
            "biggest_challenge": "Saying no",
            "hopes_to_achieve": ["calmer mornings", "a job I like"],
            "therapy_duration": "6 months",
            "relationship_status": "single",
            "suicidal_thoughts_initial": [],
        },
    },
    {
        "id": PROFILE_BEN,
        "user_id": BEN,
        "created_at": "2024-03-01T10:00:00+00:00",
        "updated_at": "2024-03-02T10:00:00+00:00",
        "json": {
            "themes": BEN_THEMES,
            "people": "his brother, mostly",
            "coping_tools": [],
            "goals": None,  # JSON null (SQL NULL is a missing key)
            "strengths": [[]],
            "summary": ["grieving", "angry"],
            "therapy_duration": 6,
            "relationship_status": {"status": "married", "years": 12},
            "biggest_obstacle": None,
        },
    },
    {
        "id": PROFILE_CLEO_OLD,
        "user_id": CLEO,
        "created_at": "2023-01-01T10:00:00+00:00",
        "updated_at": "2023-01-01T10:00:00+00:00",
        "json": {"themes": ["old theme"]},
    },
    {
        "id": PROFILE_CLEO,
        "user_id": CLEO,
        "created_at": "2024-01-01T10:00:00+00:00",
        "updated_at": "2024-05-01T10:00:00+00:00",
        "json": {"themes": ["current theme"]},
    },
    {
        "id": PROFILE_ORPHAN,
        "user_id": None,
        "created_at": None,
        "updated_at": None,
        "json": {"themes": ["nobody's theme"]},
    },
]

CONVERSATIONS = [
    {
        "id": CONVERSATION,
        "user_id": ANNA,
        "started_at": "2024-06-01T20:00:00+00:00",
        "ended_at": "2024-06-01T20:40:00+00:00",
        "title": "Monday dread",
        "mood_at_start": 3,
        "mood_at_end": 5,
        # json (not jsonb): whitespace, key order and duplicate keys are part of the value.
        "context_json": '{"topic": "work",  "topic": "sleep", "b": 1, "a": 2}',
        "created_at": "2024-06-01T20:00:00+00:00",
    },
    {
        "id": GHOST_CONVERSATION,
        "user_id": NOBODY,
        "title": "from a deleted account",
        "created_at": "2023-12-01T20:00:00+00:00",
    },
]

MESSAGES = [
    {
        "id": MESSAGE,
        "user_id": ANNA,
        "conversation_id": CONVERSATION,
        "created_at": "2024-06-01T20:01:00+00:00",
        "input_type": "voice",
        "input_transcript": "I dread Mondays.",
        "gpt_response": "What happens on Monday mornings?",
        "mood_at_time": 3,
        "flagged": False,
        "tags": ["work", "dread"],
    },
    {
        "id": MESSAGE_2,
        "user_id": ANNA,
        "conversation_id": CONVERSATION,
        "created_at": "2024-06-01T20:05:00+00:00",
        "input_type": "voice",
        "input_transcript": "Sometimes I don't want to wake up.",
        "flagged": True,
    },
    {
        "id": GHOST_MESSAGE,
        "user_id": NOBODY,
        "conversation_id": GHOST_CONVERSATION,
        "created_at": "2023-12-01T20:01:00+00:00",
        "input_transcript": "hello?",
    },
    {
        "id": LOOSE_MESSAGE,
        "user_id": ANNA,
        "conversation_id": None,
        "created_at": "2024-06-02T08:00:00+00:00",
        "input_transcript": "a message that lost its conversation",
    },
]

FLAGS = [
    {
        "id": FLAG,
        "user_id": ANNA,
        "session_id": MESSAGE_2,
        "flag_type": "passive_ideation",
        "triggered_at": "2024-06-01T20:05:01+00:00",
        "reviewed": False,
    },
    {
        "id": GHOST_FLAG,
        "user_id": NOBODY,
        "session_id": GHOST_MESSAGE,
        "flag_type": "unknown",
        "triggered_at": "2023-12-01T20:01:01+00:00",
        "reviewed": True,
    },
]

REJECTED = {
    "memory_profiles_rejected": {
        PROFILE_CLEO_OLD: "a more recently updated profile of this user was migrated",
        PROFILE_ORPHAN: "no user_id",
    },
    "conversations_rejected": {GHOST_CONVERSATION: "user not found"},
    "conversation_messages_rejected": {
        GHOST_MESSAGE: "user not found",
        LOOSE_MESSAGE: "no conversation_id",
    },
    "crisis_flags_rejected": {GHOST_FLAG: "user not found"},
}

# Columns the normalization adds with the migration time as their value.
volatile("memory_normalized", "memory.user_conversations", "updated_at")
volatile("memory_normalized", "memory.user_conversation_messages", "updated_at")


def insert_rows(connection: Connection, table: str, rows: list[dict], casts: dict) -> None:
    for row in rows:
        columns = list(row)
        values = [f"CAST(:{c} AS {casts[c]})" if c in casts else f":{c}" for c in columns]
        connection.execute(
            sa.text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(values)})"),
            row,
        )


def scalars(connection: Connection, sql: str, **params) -> list:
    return connection.scalars(sa.text(sql), params).all()


# -- memory_legacy ---------------------------------------------------------------------------------


@after_upgrade("memory_legacy")
def legacy_profiles_take_what_the_source_system_wrote(connection: Connection) -> None:
    user = connection.scalar(sa.text("INSERT INTO public.users DEFAULT VALUES RETURNING id"))
    connection.execute(
        sa.text(
            "INSERT INTO memory.memory_profiles (user_id, themes) "
            "VALUES (:user, '[\"a\"]'), (:user, 'null'), (NULL, '\"bare\"')"
        ),
        {"user": user},
    )
    checks = scalars(
        connection,
        "SELECT conname FROM pg_constraint "
        "WHERE conrelid = 'memory.memory_profiles'::regclass AND contype = 'c'",
    )
    assert len(checks) == 7  # six 1..10 levels and the 0..3 risk level


@insert_after_upgrade("memory_legacy")
def legacy_memory(connection: Connection) -> None:
    connection.execute(
        sa.text("INSERT INTO public.users (id) VALUES (:id)"),
        [{"id": user} for user in (ANNA, BEN, CLEO)],
    )
    for profile in LEGACY_PROFILES:
        row = {k: v for k, v in profile.items() if k != "json"}
        row.update({field: json.dumps(value) for field, value in profile["json"].items()})
        insert_rows(
            connection, "memory.memory_profiles", [row], dict.fromkeys(profile["json"], "jsonb")
        )
    insert_rows(connection, "memory.conversations", CONVERSATIONS, {"context_json": "json"})
    insert_rows(connection, "memory.conversation_messages", MESSAGES, {})
    insert_rows(connection, "memory.crisis_flags", FLAGS, {})


# -- memory_normalized -----------------------------------------------------------------------------


@after_upgrade("memory_normalized")
def every_legacy_profile_is_migrated_or_rejected_with_a_reason(connection: Connection) -> None:
    summaries = scalars(
        connection,
        "SELECT id FROM memory.user_profile_summary WHERE id = ANY(:ids)",
        ids=list(PROFILES),
    )
    assert sorted(summaries) == sorted([PROFILE_ANNA, PROFILE_BEN, PROFILE_CLEO])
    for table, expected in REJECTED.items():
        rejected = connection.execute(
            sa.text(f"SELECT id, reason FROM memory.{table} WHERE id = ANY(:ids)"),
            {"ids": list(expected)},
        ).all()
        assert dict(rejected) == expected, table


@after_upgrade("memory_normalized")
def list_items_read_naturally_in_their_original_order(connection: Connection) -> None:
    themes = connection.execute(
        sa.text(
            "SELECT id, theme_name, position, legacy_value, is_active, created_at::text "
            "FROM memory.user_themes WHERE user_id = :user ORDER BY position"
        ),
        {"user": ANNA},
    ).all()
    assert [t.theme_name for t in themes] == ANNA_THEMES
    assert [t.position for t in themes] == [1, 2, 3]
    assert all(t.legacy_value is None and t.is_active for t in themes)
    assert themes[0].created_at == "2024-02-01 10:00:00+00"  # dated by their profile
    derived = connection.scalar(
        sa.text("SELECT md5('user_themes:' || CAST(:profile AS text) || ':' || 1)::uuid"),
        {"profile": str(PROFILE_ANNA)},
    )
    assert themes[0].id == derived

    summary = connection.execute(
        sa.text("SELECT * FROM memory.user_profile_summary WHERE user_id = :user"), {"user": ANNA}
    ).one()
    assert (summary.biggest_challenge, summary.hopes_to_achieve) == (
        "Saying no",
        "calmer mornings; a job I like",
    )
    assert (summary.summary, summary.therapy_duration) == (
        "Anna, 34, burnt out at work; anxious attachment.",
        "6 months",
    )
    assert scalars(
        connection, "SELECT stuck_point FROM memory.user_stuck_points WHERE user_id = :u "
        "ORDER BY position", u=ANNA,
    ) == ["can't say no", "procrastinating on applications"]  # fmt: skip
    assert scalars(
        connection, "SELECT emotional_tone FROM memory.user_ai_preferences WHERE user_id = :u",
        u=ANNA,
    ) == ["warm but direct"]  # fmt: skip


@after_upgrade("memory_normalized")
def unusual_json_is_kept_faithfully(connection: Connection) -> None:
    themes = connection.execute(
        sa.text(
            "SELECT theme_name, legacy_value FROM memory.user_themes "
            "WHERE user_id = :user ORDER BY position"
        ),
        {"user": BEN},
    ).all()
    assert [t.legacy_value for t in themes] == [*BEN_THEMES[:5], None]
    assert [t.theme_name for t in themes] == [
        '["grief", "anger"]', "7", "null", '{"name": "shame", "weight": 0.8}', "true", "loneliness"
    ]  # fmt: skip
    assert scalars(
        connection, "SELECT name FROM memory.user_people WHERE user_id = :u", u=BEN
    ) == ["his brother, mostly"]  # fmt: skip
    held = dict(
        connection.execute(
            sa.text(
                "SELECT field, value FROM memory.user_profile_legacy_values WHERE user_id = :u"
            ),
            {"u": BEN},
        ).all()
    )
    assert held == {
        "people": "his brother, mostly",
        "coping_tools": [],
        "goals": None,
        "summary": ["grieving", "angry"],
        "therapy_duration": 6,
        "relationship_status": {"status": "married", "years": 12},
        "biggest_obstacle": None,
    }


@after_upgrade("memory_normalized")
def conversations_are_tied_to_their_user(connection: Connection) -> None:
    context = connection.scalar(
        sa.text("SELECT context_json::text FROM memory.user_conversations WHERE id = :id"),
        {"id": CONVERSATION},
    )
    assert context == CONVERSATIONS[0]["context_json"]
    assert scalars(
        connection, "SELECT id FROM memory.user_conversation_messages WHERE id = ANY(:ids) "
        "ORDER BY created_at", ids=[MESSAGE, MESSAGE_2, GHOST_MESSAGE, LOOSE_MESSAGE],
    ) == [MESSAGE, MESSAGE_2]  # fmt: skip
    flag = connection.execute(
        sa.text("SELECT session_id, created_at FROM memory.user_crisis_flags WHERE id = :id"),
        {"id": FLAG},
    ).one()
    assert flag.session_id == MESSAGE_2
    assert flag.created_at.isoformat() == FLAGS[0]["triggered_at"]


@insert_after_upgrade("memory_normalized")
def new_shape_memory(connection: Connection) -> None:
    """Dana joins after the migration: her memory exists only in the normalized tables."""
    connection.execute(sa.text("INSERT INTO public.users (id) VALUES (:id)"), {"id": DANA})
    connection.execute(
        sa.text(
            "INSERT INTO memory.user_profile_summary (user_id, awareness_level, biggest_challenge) "
            "VALUES (:u, 7, 'Trusting people')"
        ),
        {"u": DANA},
    )
    connection.execute(
        sa.text(
            "INSERT INTO memory.user_themes (user_id, theme_name, importance_level, is_active, "
            "created_at) VALUES (:u, 'moving cities', 8, true, '2025-01-01'), "
            "(:u, 'an old breakup', 3, false, '2025-01-02'), "
            "(:u, 'new job', 9, true, '2025-01-03')"
        ),
        {"u": DANA},
    )
    connection.execute(
        sa.text(
            "INSERT INTO memory.user_value_compass (user_id, value_name) VALUES (:u, 'honesty')"
        ),
        {"u": DANA},
    )


@after_downgrade("memory_normalized")
def legacy_tables_are_back(connection: Connection) -> None:
    profiles = scalars(
        connection, "SELECT id FROM memory.memory_profiles WHERE id = ANY(:ids)", ids=list(PROFILES)
    )
    assert sorted(profiles) == sorted(PROFILES)
    ben_themes = connection.scalar(
        sa.text("SELECT themes FROM memory.memory_profiles WHERE id = :id"), {"id": PROFILE_BEN}
    )
    assert ben_themes == BEN_THEMES
    for table, ids in (("conversations", [GHOST_CONVERSATION]), ("crisis_flags", [GHOST_FLAG])):
        assert scalars(connection, f"SELECT id FROM memory.{table} WHERE id = ANY(:ids)", ids=ids)

    dana = connection.execute(
        sa.text("SELECT themes, biggest_challenge FROM memory.memory_profiles WHERE user_id = :u"),
        {"u": DANA},
    ).all()
    if scalars(connection, "SELECT id FROM public.users WHERE id = :u", u=DANA):
        # On the way down after new-shape rows: only her active themes, in their order.
        assert [tuple(row) for row in dana] == [(["moving cities", "new job"], "Trusting people")]
    else:
        assert dana == []
