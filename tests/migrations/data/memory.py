"""Round-trip data of the memory context: the companion's legacy people, profiles, conversations
and router tables, then new-shape rows as its code writes them.

Anna's profile is what real ones look like (arrays of short strings, a few bare strings); Ben's
holds every unusual JSON shape; Cleo has two profiles and one profile has no user; a conversation
of a user who does not exist drags its message and crisis flag into the rejects with it. The
companion brought its people in through its `users` (Ben's onboarding flag missing, Cleo without
an email); its router rows hold the NULLs its dump allowed, rows of nobody and a value compass a
newer one replaces.
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
FLAG, GHOST_FLAG, UNTYPED_FLAG = (
    uuid.UUID(f"00000000-0000-4000-8005-00000000000{n}") for n in range(1, 4)
)
BEN_CONVERSATION = uuid.UUID("00000000-0000-4000-8003-000000000003")
CONTINUITY, GHOST_CONTINUITY, LOST_CONTINUITY = (
    uuid.UUID(f"00000000-0000-4000-8006-00000000000{n}") for n in range(1, 4)
)
FEEDBACK, GHOST_FEEDBACK = (uuid.UUID(f"00000000-0000-4000-8007-00000000000{n}") for n in (1, 2))
RATING, LOOSE_RATING = (uuid.UUID(f"00000000-0000-4000-8008-00000000000{n}") for n in (1, 2))
TREND, LOOSE_TREND = (uuid.UUID(f"00000000-0000-4000-8009-00000000000{n}") for n in (1, 2))
COMPASS, OLD_COMPASS, BEN_COMPASS, DANA_COMPASS = (
    uuid.UUID(f"00000000-0000-4000-800a-00000000000{n}") for n in range(1, 5)
)

# The companion's people, as its legacy `users` held them (through memory.users).
LEGACY_PEOPLE = [
    {"id": ANNA, "name": "Anna", "email": "anna@example.org", "onboarding_skipped": False,
     "created_at": "2024-01-15T09:00:00+00:00", "updated_at": "2024-06-01T10:00:00+00:00"},
    {"id": BEN, "name": None, "email": "ben@example.org", "onboarding_skipped": None,
     "created_at": "2024-02-20T09:00:00+00:00", "updated_at": "2024-02-20T09:00:00+00:00"},
    {"id": CLEO, "name": "Cleo", "email": None, "onboarding_skipped": True,
     "created_at": "2022-12-01T09:00:00+00:00", "updated_at": "2022-12-01T09:00:00+00:00"},
]  # fmt: skip

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
            "relationship_dynamics": ["withdraws when criticised"],
            "insight_notes": ["Rest is not a reward for finishing everything."],
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
    {  # never marked as started: it started when it was created
        "id": BEN_CONVERSATION,
        "user_id": BEN,
        "title": "after the funeral",
        "created_at": "2024-03-05T10:00:00+00:00",
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
        "input_transcript": "a message outside any conversation",
        "flagged": None,
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
    {  # neither typed nor reviewed
        "id": UNTYPED_FLAG,
        "user_id": ANNA,
        "session_id": MESSAGE,
        "triggered_at": "2024-06-01T20:01:30+00:00",
    },
]

# The router tables as the companion's dump has them (timestamps without time zone are UTC).
ROUTER_ROWS = {
    "conversation_continuity": [
        {"id": CONTINUITY, "user_id": ANNA, "conversation_id": CONVERSATION,
         "last_message_count": 2, "last_session_phase": "closing",
         "last_emotional_state": "calmer", "last_timestamp": "2024-06-01T20:40:00+00:00",
         "session_duration_minutes": None, "is_resuming": None, "continuity_context": "Mondays",
         "created_at": None, "updated_at": None},
        {"id": GHOST_CONTINUITY, "user_id": NOBODY, "conversation_id": CONVERSATION},
        {"id": LOST_CONTINUITY, "user_id": ANNA, "conversation_id": GHOST_CONVERSATION},
    ],
    "feedback": [
        {"id": FEEDBACK, "user_id": ANNA, "raw_feedback": "The voice is too fast.",
         "priority": "high", "feedback_type": None, "device_info": '{"os": "ios", "v": 17}',
         "app_version": "2.3.1", "created_at": "2024-06-02T10:00:00+00:00",
         "tags": ["voice", "speed"], "metadata": "{}"},
        {"id": GHOST_FEEDBACK, "user_id": NOBODY, "raw_feedback": "hello?"},
    ],
    "feedback_log": [
        {"id": RATING, "user_id": ANNA, "session_id": CONVERSATION, "rating": 4,
         "comment": "helpful", "created_at": "2024-06-01 20:45:00"},
        {"id": LOOSE_RATING, "user_id": None, "rating": 1},
    ],
    "user_preferences": [
        {"user_id": ANNA, "show_text_response": None, "play_audio_response": False,
         "preferred_therapist_name": "Sol", "daily_reminder_time": "21:30:00",
         "timezone": "Europe/Lisbon"},
        {"user_id": BEN, "daily_reminder_time": "24:00:00"},
        {"user_id": NOBODY, "timezone": "UTC"},
    ],
    "emotional_trends": [
        {"id": TREND, "user_id": ANNA, "recorded_at": None, "mood_score": 6,
         "mood_label": "steady", "created_at": "2024-06-03 08:00:00"},
        {"id": LOOSE_TREND, "user_id": None, "mood_score": 2},
    ],
    "value_compass": [
        {"id": OLD_COMPASS, "user_id": ANNA, "core_values": ["work"],
         "last_reflected_at": "2024-01-01 09:00:00"},
        {"id": COMPASS, "user_id": ANNA, "core_values": ["honesty", "rest"],
         "anti_values": ["people pleasing"], "narrative": "Less proving, more living.",
         "last_reflected_at": "2024-06-01 21:00:00"},
        {"id": BEN_COMPASS, "user_id": BEN, "core_values": []},
    ],
}  # fmt: skip
ROUTER_CASTS = {"device_info": "jsonb", "metadata": "jsonb"}

REJECTED = {
    "memory_profiles_rejected": {
        PROFILE_CLEO_OLD: "a more recently updated profile of this user was migrated",
        PROFILE_ORPHAN: "no user_id",
    },
    "conversations_rejected": {GHOST_CONVERSATION: "user not found"},
    "conversation_messages_rejected": {GHOST_MESSAGE: "user not found"},
    "crisis_flags_rejected": {GHOST_FLAG: "user not found"},
    "conversation_continuity_rejected": {
        GHOST_CONTINUITY: "user not found",
        LOST_CONTINUITY: "conversation rejected",
    },
    "feedback_rejected": {GHOST_FEEDBACK: "user not found"},
    "feedback_log_rejected": {LOOSE_RATING: "no user_id"},
    "user_preferences_rejected": {NOBODY: "user not found"},
    "emotional_trends_rejected": {LOOSE_TREND: "no user_id"},
    "value_compass_rejected": {
        OLD_COMPASS: "a more recently reflected value compass of this user was migrated"
    },
}

# Columns the normalization adds with the migration time as their value.
volatile("memory_normalized", "memory.user_conversations", "updated_at")
volatile("memory_normalized", "memory.user_conversation_messages", "updated_at")
volatile("memory_normalized", "memory.feedback", "updated_at")
volatile("memory_normalized", "memory.user_feedback_log", "updated_at")
volatile("memory_normalized", "memory.user_emotional_trends", "updated_at")
volatile("memory_normalized", "memory.user_value_compass", "created_at", "updated_at")
volatile("memory_normalized", "memory.user_preferences", "created_at", "updated_at")


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


@after_upgrade("memory_legacy")
def the_companions_legacy_people_are_the_platforms(connection: Connection) -> None:
    """Brought in through its `users` as its dump holds them: NULLs where it allowed them."""
    person = uuid.uuid4()
    brought = connection.execute(
        sa.text(
            "INSERT INTO memory.users (id, name, email, created_at, onboarding_skipped, "
            "updated_at) VALUES (:id, 'Eve', NULL, NULL, NULL, '2024-01-01 00:00+00') "
            "RETURNING onboarding_skipped, created_at = updated_at AS dated"
        ),
        {"id": person},
    ).one()
    assert tuple(brought) == (False, True)
    assert scalars(connection, "SELECT name FROM public.users WHERE id = :id", id=person) == ["Eve"]
    someone_else = connection.scalar(
        sa.text("INSERT INTO public.users DEFAULT VALUES RETURNING id")
    )
    assert scalars(connection, "SELECT id FROM memory.users WHERE id = :id", id=someone_else) == []
    columns = scalars(
        connection,
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'memory' AND table_name = 'users' ORDER BY ordinal_position",
    )
    assert columns == ["id", "name", "email", "created_at", "onboarding_skipped", "updated_at"]


@insert_after_upgrade("memory_legacy")
def legacy_memory(connection: Connection) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO memory.users (id, name, email, onboarding_skipped, created_at, "
            "updated_at) VALUES (:id, :name, :email, :onboarding_skipped, :created_at, "
            ":updated_at)"
        ),
        LEGACY_PEOPLE,
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
    for table, rows in ROUTER_ROWS.items():
        insert_rows(connection, f"memory.{table}", rows, ROUTER_CASTS)


# -- memory_normalized -----------------------------------------------------------------------------


@after_upgrade("memory_normalized")
def every_legacy_row_is_migrated_or_rejected_with_a_reason(connection: Connection) -> None:
    summaries = scalars(
        connection,
        "SELECT id FROM memory.user_profile_summary WHERE id = ANY(:ids)",
        ids=list(PROFILES),
    )
    assert sorted(summaries) == sorted([PROFILE_ANNA, PROFILE_BEN, PROFILE_CLEO])
    for table, expected in REJECTED.items():
        key = "user_id" if table == "user_preferences_rejected" else "id"
        rejected = connection.execute(
            sa.text(f"SELECT {key}, reason FROM memory.{table} WHERE {key} = ANY(:ids)"),
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
    therapy = connection.execute(
        sa.text(
            "SELECT preferred_therapy_styles, preferred_tone FROM memory.user_therapy_preferences "
            "WHERE user_id = :u"
        ),
        {"u": ANNA},
    ).one()
    assert tuple(therapy) == (["CBT", "somatic"], "warm but direct")


@after_upgrade("memory_normalized")
def what_the_companion_requires_of_a_legacy_item_is_derived_from_its_profile(
    connection: Connection,
) -> None:
    trends = scalars(
        connection, "SELECT recorded_date::text FROM memory.user_mood_trends WHERE user_id = :u",
        u=ANNA,
    )  # fmt: skip
    assert trends == ["2024-06-01", "2024-06-01"]  # the day her profile was last updated
    dynamic = connection.execute(
        sa.text(
            "SELECT dynamic_pattern, relationship_type FROM memory.user_relationship_dynamics "
            "WHERE user_id = :u"
        ),
        {"u": ANNA},
    ).one()
    assert tuple(dynamic) == ("withdraws when criticised", "unspecified")
    note = connection.execute(
        sa.text("SELECT insight_title, insight_content FROM memory.user_insight_notes "
                "WHERE user_id = :u"),
        {"u": ANNA},
    ).one()  # fmt: skip
    assert note.insight_title == note.insight_content  # a title of its first 100 characters


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
    ) == [MESSAGE, MESSAGE_2, LOOSE_MESSAGE]  # fmt: skip
    flag = connection.execute(
        sa.text("SELECT session_id, created_at FROM memory.user_crisis_flags WHERE id = :id"),
        {"id": FLAG},
    ).one()
    assert flag.session_id == MESSAGE_2
    assert flag.created_at.isoformat() == FLAGS[0]["triggered_at"]


@after_upgrade("memory_normalized")
def legacy_nulls_take_what_the_companion_requires(connection: Connection) -> None:
    started = connection.execute(
        sa.text("SELECT started_at = created_at FROM memory.user_conversations WHERE id = :id"),
        {"id": BEN_CONVERSATION},
    ).scalar_one()
    assert started
    assert scalars(
        connection, "SELECT flagged FROM memory.user_conversation_messages WHERE id = :id",
        id=LOOSE_MESSAGE,
    ) == [False]  # fmt: skip
    flag = connection.execute(
        sa.text("SELECT flag_type, reviewed FROM memory.user_crisis_flags WHERE id = :id"),
        {"id": UNTYPED_FLAG},
    ).one()
    assert tuple(flag) == ("unspecified", False)
    filled = connection.execute(
        sa.text(
            "SELECT table_name, column_name, filled FROM memory.legacy_nulls "
            "WHERE row_id = ANY(:ids) ORDER BY 1, 2"
        ),
        {"ids": [BEN_CONVERSATION, UNTYPED_FLAG]},
    ).all()
    assert [tuple(row) for row in filled] == [
        ("user_conversations", "started_at", "2024-03-05 10:00:00+00"),
        ("user_crisis_flags", "flag_type", "unspecified"),
        ("user_crisis_flags", "reviewed", "false"),
    ]


@after_upgrade("memory_normalized")
def router_rows_take_the_companions_tables(connection: Connection) -> None:
    def one(sql: str, **params) -> sa.Row:
        return connection.execute(sa.text(sql), params).one()

    continuity = one(
        "SELECT last_session_phase, session_duration_minutes, is_resuming, created_at::text "
        "FROM memory.user_conversation_continuity WHERE id = :id", id=CONTINUITY,
    )  # fmt: skip
    assert tuple(continuity) == ("closing", 0, False, "2024-06-01 20:40:00+00")
    feedback = one(
        "SELECT feedback_type, status, device_info FROM memory.feedback WHERE id = :id",
        id=FEEDBACK,
    )
    assert tuple(feedback) == ("general", "pending", {"os": "ios", "v": 17})
    rating = one("SELECT created_at::text FROM memory.user_feedback_log WHERE id = :id", id=RATING)
    assert rating[0] == "2024-06-01 20:45:00+00"  # the host's UTC
    reminders = connection.execute(
        sa.text(
            "SELECT user_id, show_text_response, daily_reminder_time::text "
            "FROM memory.user_preferences WHERE user_id = ANY(:ids) ORDER BY user_id"
        ),
        {"ids": [ANNA, BEN]},
    ).all()
    assert [tuple(row) for row in reminders] == [
        (ANNA, True, "1970-01-01 21:30:00+00"),
        (BEN, True, "1970-01-02 00:00:00+00"),
    ]
    trend = one(
        "SELECT recorded_at = created_at FROM memory.user_emotional_trends WHERE id = :id",
        id=TREND,
    )
    assert trend[0]
    compasses = connection.execute(
        sa.text("SELECT id, core_values FROM memory.user_value_compass WHERE user_id = :u"),
        {"u": ANNA},
    ).all()
    assert [tuple(row) for row in compasses] == [(COMPASS, ["honesty", "rest"])]


@after_upgrade("memory_normalized")
def the_companions_users_are_its_people_with_an_email(connection: Connection) -> None:
    people = connection.execute(
        sa.text(
            "SELECT id, name, onboarding_skipped, password FROM memory.users "
            "WHERE id = ANY(:ids) ORDER BY id"
        ),
        {"ids": [ANNA, BEN, CLEO]},
    ).all()
    assert [tuple(row) for row in people] == [
        (ANNA, "Anna", False, None),
        (BEN, None, False, None),  # brought in without the flag: false, its default
    ]  # Cleo has no email: the companion's code cannot see her until she has one


@insert_after_upgrade("memory_normalized")
def new_shape_memory(connection: Connection) -> None:
    """Dana joins after the migration, through the companion's users: her memory exists only in
    the normalized tables."""
    connection.execute(
        sa.text(
            "INSERT INTO memory.users (id, name, email, password, onboarding_completed_at, "
            "created_at, updated_at) VALUES (:id, 'Dana', 'dana@example.org', '$2b$10$dana', "
            "'2025-01-01 12:00+00', '2025-01-01 11:00+00', '2025-01-01 12:00+00')"
        ),
        {"id": DANA},
    )
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
            "INSERT INTO memory.user_value_compass (id, user_id, core_values, last_reflected_at) "
            "VALUES (:id, :u, '{courage}', '2025-01-02 08:00+00')"
        ),
        {"id": DANA_COMPASS, "u": DANA},
    )
    connection.execute(
        sa.text(
            "INSERT INTO memory.user_preferences (user_id, daily_reminder_time) "
            "VALUES (:u, '1970-01-01 07:30+00')"
        ),
        {"u": DANA},
    )
    connection.execute(
        sa.text(
            "INSERT INTO memory.user_therapy_preferences (user_id, preferred_therapy_styles, "
            "preferred_tone) VALUES (:u, '{ACT}', 'gentle')"
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
        assert connection.execute(
            sa.text(
                "SELECT preferred_therapy_styles, preferred_tone FROM memory.memory_profiles "
                "WHERE user_id = :u"
            ),
            {"u": DANA},
        ).one() == (["ACT"], "gentle")
        assert scalars(
            connection, "SELECT daily_reminder_time::text FROM memory.user_preferences "
            "WHERE user_id = :u", u=DANA,
        ) == ["07:30:00"]  # fmt: skip
        assert scalars(
            connection, "SELECT core_values FROM memory.value_compass WHERE id = :id",
            id=DANA_COMPASS,
        ) == [["courage"]]  # fmt: skip
    else:
        assert dana == []


@after_downgrade("memory_normalized")
def legacy_router_rows_are_back_as_they_were(connection: Connection) -> None:
    """Every legacy router row, rejected ones too, exactly as the same row written again into a
    copy of its table: NULLs, the dump's types (a 24:00 reminder) and all (but the moment a
    default of now() gave)."""
    for table, rows in ROUTER_ROWS.items():
        key = "user_id" if table == "user_preferences" else "id"
        connection.execute(
            sa.text(f"CREATE TEMP TABLE written (LIKE memory.{table} INCLUDING DEFAULTS)")
        )
        insert_rows(connection, "written", rows, ROUTER_CASTS)
        for row in rows:
            now = sorted({"last_timestamp", "created_at", "updated_at", "recorded_at"} - set(row))
            same = connection.scalar(
                sa.text(
                    "SELECT to_jsonb(t) - CAST(:now AS text[]) "
                    "     = to_jsonb(w) - CAST(:now AS text[]) "
                    f"FROM written w JOIN memory.{table} t USING ({key}) WHERE w.{key} = :key"
                ),
                {"now": now, "key": row[key]},
            )
            assert same, (table, row[key])
        connection.execute(sa.text("DROP TABLE written"))
