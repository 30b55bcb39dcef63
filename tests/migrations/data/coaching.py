"""Round-trip data of the coaching context (seed 002): the MVP's chat as the app wrote it.

Three people signed in through the auth provider (alice, bob, carol: its 28-character uids), one
conversation whose user id is blank and one anonymous conversation; the app's own ids (`conv_` and
`msg_` + 12 hex). The metadata is json as an app writes it without a schema: week numbers as
numbers, strings, floats, huge values and words; moods out of range; goals without a description;
one message's json spaced and with a duplicate key, as it was written.
"""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from tests.migrations.roundtrip import (
    after_downgrade,
    after_upgrade,
    before_upgrade,
    insert_after_upgrade,
    volatile,
)


def key(n: int) -> uuid.UUID:
    return uuid.UUID(f"00000000-0000-4000-8002-{n:012d}")


def conversation_key(n: int) -> str:
    """A conversation id as the app makes them: `conv_` and 12 hex characters."""
    return f"conv_{n:012x}"


def message_key(conversation: int, position: int) -> str:
    return f"msg_{1000 + conversation * 10 + position:012x}"


def at(day: int, minute: int = 0) -> datetime:
    return datetime(2024, 9, 1, 9, 0, tzinfo=UTC) + timedelta(days=day, minutes=minute)


def derived(kind: str, source: object) -> uuid.UUID:
    """The id a backfill derives from a source key (md5 of 'coaching_<kind>:<key>')."""
    return uuid.UUID(hashlib.md5(f"coaching_{kind}:{source}".encode()).hexdigest())


# The auth provider's uids: 28 characters.
ALICE, BOB, CAROL = (
    "aL1cE7Hq2xKv9RmT3pW8nYd4ZbU6",
    "B0bXk9sQ2wE4rT6yU8iO1pA3sD5f",
    "cArOl22gH5jK7lZ9xC1vB3nM5qW7",
)
BLANK = "   "

# conversation key -> (user id string, day, metadata, [(role, content, metadata), ...])
CONVERSATIONS = {
    1: (
        ALICE,
        0,
        {
            "week_number": 1,
            "session_type": "goal_setting",
            "goal_id": "fitness_goal_1",
            "goal_type": "fitness",
            "goal_description": "Walk 30 minutes a day",
            "measurable": "Step counter shows 4000 steps in one walk",
            "program_status": "active",
        },
        [
            ("user", "I want to get fitter but I keep giving up.", None),
            ("assistant", "Let's set one small goal. What would walking daily look like?", None),
            ("user", "30 minutes after lunch.", {"mood_rating": 6}),
            (
                "assistant",
                "Great: 30 minutes after lunch, every day this week.",
                {
                    "model": "Claude Sonnet 4",
                    "takeaways": ["Set realistic goals", "Start small"],
                    "action_items": ["Walk after lunch 5x this week"],
                },
            ),
        ],
    ),
    2: (
        ALICE,
        8,
        {"week_number": "2", "session_type": "check_in", "goal_id": "fitness_goal_1"},
        [
            ("assistant", "How did the walks go?", None),
            ("user", "Four out of five!", {"mood_rating": "8", "goal_progress": 40}),
            ("assistant", "That is real progress.", {"takeaways": "Consistency beats intensity"}),
        ],
    ),
    3: (
        ALICE,
        10,
        {"week_number": 2.0, "session_type": "reflection", "program_status": "active"},
        [
            ("assistant", "What made the good days good?", None),
            ("user", "Walking with my neighbour.", {"mood_rating": 7.0}),
        ],
    ),
    4: (ALICE, 12, None, [("user", "Any tips for sleeping better?", None)]),
    5: (
        BOB,
        1,
        {"week_number": "two", "goal_type": "sleep"},
        [
            ("user", "I sleep badly.", {"mood_rating": 11}),
            ("assistant", "Let's look at your evenings.", {"takeaways": ["No screens"]}),
        ],
    ),
    6: (
        BOB,
        3,
        {"week_number": 1, "program_status": "completed", "goal_id": "sleep_1"},
        [
            ("user", "Done with week one.", {"goal_progress": "55.5"}),
            ("assistant", "Well done.", {"revised_goal": "In bed by 23:00", "takeaways": 7}),
        ],
    ),
    7: (CAROL, 2, {"week_number": 1e30}, []),
    8: (CAROL, 3, {"week_number": "3.5"}, []),
    9: (CAROL, 4, {"week_number": True, "session_type": "x" * 60}, []),
    10: (CAROL, 5, {"week_number": "99999999999999999999999"}, []),
    11: (CAROL, 6, {"week_number": " 0 "}, []),
    12: (BLANK, 2, {"week_number": 1}, [("user", "hello?", {"mood_rating": 5})]),
    13: (None, 2, {"goal_type": "stress", "goal_description": "Breathe"}, [("user", "hi", None)]),
}

conversations = sa.table(
    "conversations",
    *(sa.column(name) for name in ("id", "user_id", "title", "message_count", "created_at")),
    sa.column("metadata", sa.JSON(none_as_null=True)),  # None: SQL NULL
    sa.column("updated_at"),
    schema="coaching",
)
messages = sa.table(
    "messages",
    *(sa.column(name) for name in ("id", "conversation_id", "role", "content", "created_at")),
    sa.column("metadata", sa.JSON(none_as_null=True)),  # None: SQL NULL
    sa.column("updated_at"),
    schema="coaching",
)

# One message's metadata as the app's json serializer might have spaced it, a key written twice:
# json keeps it exactly (jsonb would not), through every phase.
AS_WRITTEN = '{"model" : "Claude Sonnet 4",  "model": "Claude Haiku", "sources": [ ]}'


def mvp_rows() -> tuple[list[dict], list[dict]]:
    conversation_rows, message_rows = [], []
    for n, (user_id, day, metadata, chat) in CONVERSATIONS.items():
        conversation_rows.append(
            {
                "id": conversation_key(n),
                "user_id": user_id,
                "title": f"Chat {n}",
                "message_count": len(chat),
                "metadata": metadata,
                "created_at": at(day),
                "updated_at": at(day, 5 * len(chat) + 1),
            }
        )
        for position, (role, content, extra) in enumerate(chat):
            message_rows.append(
                {
                    "id": message_key(n, position),
                    "conversation_id": conversation_key(n),
                    "role": role,
                    "content": content,
                    "metadata": extra,
                    "created_at": at(day, 5 * position),
                    "updated_at": at(day, 5 * position),
                }
            )
    return conversation_rows, message_rows


def scalar(connection: Connection, sql: str, **params):
    return connection.execute(sa.text(sql), params).scalar_one()


def all_rows(connection: Connection, sql: str, **params) -> list:
    return connection.execute(sa.text(sql), params).all()


# -- coaching_phase1 ---------------------------------------------------------------------------


@after_upgrade("coaching_phase1")
def messages_go_with_their_conversation(connection: Connection) -> None:
    conversation = scalar(
        connection, "INSERT INTO coaching.conversations (user_id) VALUES ('probe') RETURNING id"
    )
    connection.execute(
        sa.text(
            "INSERT INTO coaching.messages (conversation_id, role, content) "
            "VALUES (:c, 'user', 'x')"
        ),
        {"c": conversation},
    )
    connection.execute(
        sa.text("DELETE FROM coaching.conversations WHERE id = :c"), {"c": conversation}
    )
    assert (
        scalar(
            connection,
            "SELECT count(*) FROM coaching.messages WHERE conversation_id = :c",
            c=conversation,
        )
        == 0
    )


# -- coaching_phase2 ---------------------------------------------------------------------------


RAW_MESSAGE = message_key(13, 1)  # in the anonymous conversation: no backfill reads it


@before_upgrade("coaching_phase2")
def mvp_chat(connection: Connection) -> None:
    conversation_rows, message_rows = mvp_rows()
    connection.execute(conversations.insert(), conversation_rows)
    connection.execute(messages.insert(), message_rows)
    connection.execute(
        sa.text(
            "INSERT INTO coaching.messages (id, conversation_id, role, content, metadata, "
            "created_at, updated_at) VALUES (:id, :c, 'assistant', 'Hello!', CAST(:raw AS json), "
            ":t, :t)"
        ),
        {"id": RAW_MESSAGE, "c": conversation_key(13), "raw": AS_WRITTEN, "t": at(2, 5)},
    )


def the_apps_json_is_kept_as_written(connection: Connection) -> None:
    written = scalar(
        connection, "SELECT metadata::text FROM coaching.messages WHERE id = :id", id=RAW_MESSAGE
    )
    assert written == AS_WRITTEN


for revision in ("coaching_phase2", "coaching_phase3", "coaching_phase4"):
    after_upgrade(revision)(the_apps_json_is_kept_as_written)
    after_downgrade(revision)(the_apps_json_is_kept_as_written)


# The analytics backfill is a refresh: updated_at is when it ran, so a re-upgrade differs there.
volatile("coaching_phase2", "coaching.engagement_analytics", "updated_at")


@after_upgrade("coaching_phase2")
def one_person_per_mvp_user_id_and_conversations_linked(connection: Connection) -> None:
    people = dict(
        all_rows(
            connection,
            "SELECT u.external_auth_id, u.id FROM public.users u "
            "JOIN coaching.backfilled_users b ON b.user_id = u.id "
            "WHERE u.external_auth_id = ANY(:ids)",
            ids=[ALICE, BOB, CAROL],
        )
    )
    assert people == {name: derived("user", name) for name in (ALICE, BOB, CAROL)}
    owners = dict(
        all_rows(
            connection,
            "SELECT id, user_id FROM coaching.conversations WHERE id = ANY(:ids)",
            ids=[conversation_key(n) for n in CONVERSATIONS],
        )
    )
    for n, (user_id, *_rest) in CONVERSATIONS.items():
        expected = people.get(user_id)
        assert owners[conversation_key(n)] == expected, (n, user_id)
    first_chat = scalar(
        connection, "SELECT created_at FROM public.users WHERE id = :id", id=people[ALICE]
    )
    assert first_chat == at(0)


@after_upgrade("coaching_phase2")
def the_backfilled_people_are_the_coachs_users_since_their_first_chat(connection) -> None:
    users = dict(
        all_rows(
            connection,
            "SELECT user_id, created_at FROM coaching.users WHERE user_id = ANY(:ids)",
            ids=[derived("user", name) for name in (ALICE, BOB, CAROL)],
        )
    )
    assert users == {
        derived("user", ALICE): at(0),
        derived("user", BOB): at(1),
        derived("user", CAROL): at(2),
    }


@after_upgrade("coaching_phase2")
def a_blank_user_id_stays_anonymous_and_is_kept_with_its_reason(connection: Connection) -> None:
    reject = connection.execute(
        sa.text(
            "SELECT reason, source_value FROM coaching.migration_rejects "
            "WHERE source_id = :id AND target_table = 'public.users'"
        ),
        {"id": conversation_key(12)},
    ).one()
    assert reject.reason == "user_id is blank: the conversation stays anonymous"
    assert reject.source_value == {"user_id": BLANK}


@after_upgrade("coaching_phase2")
def analytics_are_computed_from_the_chat(connection: Connection) -> None:
    alice = connection.execute(
        sa.text(
            "SELECT total_messages, avg_response_time, last_activity, session_completion_rate "
            "FROM coaching.engagement_analytics WHERE user_id = :id"
        ),
        {"id": derived("user", ALICE)},
    ).one()
    assert alice.total_messages == 10
    # Replies to the coach: 5 minutes after each assistant message it follows.
    assert alice.avg_response_time == timedelta(minutes=5)
    assert alice.last_activity == at(12, 6)  # conversation 4's last update
    assert alice.session_completion_rate is None
    carol = scalar(
        connection,
        "SELECT total_messages FROM coaching.engagement_analytics WHERE user_id = :id",
        id=derived("user", CAROL),
    )
    assert carol == 0


@after_upgrade("coaching_phase2")
def emails_are_unique_where_present(connection: Connection) -> None:
    connection.execute(
        sa.text("INSERT INTO public.users (email) VALUES (NULL), (NULL), ('pat@example.com')")
    )
    with refused("idx_users_email"), connection.begin_nested():
        connection.execute(sa.text("INSERT INTO public.users (email) VALUES ('pat@example.com')"))


DANA = key(500)  # signed up after Phase 2, through the auth provider
ERIN = key(501)  # a person the coach app knows by email only (no external id)


@insert_after_upgrade("coaching_phase2")
def people_personas_and_analytics_of_phase2(connection: Connection) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO public.users (id, email, first_name, last_name, external_auth_id, "
            "created_at, updated_at, coaching_since) VALUES "
            "(:dana, 'dana@example.com', 'Dana', 'Ito', 'fb_dana_01', :t, :t, :t), "
            "(:erin, 'erin@example.com', 'Erin', NULL, NULL, :t, :t, :t)"
        ),
        {"dana": DANA, "erin": ERIN, "t": at(30)},
    )
    connection.execute(
        conversations.insert(),
        [
            {
                "id": conversation_key(600),
                "user_id": DANA,
                "title": "Week 1",
                "message_count": 1,
                "metadata": {},
                "created_at": at(31),
                "updated_at": at(31),
            },
            {
                "id": conversation_key(601),
                "user_id": ERIN,
                "title": "Hello",
                "message_count": 0,
                "metadata": None,
                "created_at": at(31),
                "updated_at": at(31),
            },
        ],
    )
    connection.execute(
        messages.insert(),
        [
            {
                "id": message_key(60, 2),
                "conversation_id": conversation_key(600),
                "role": "user",
                "content": "Hi",
                "metadata": None,
                "created_at": at(31),
                "updated_at": at(31),
            }
        ],
    )
    connection.execute(
        sa.text(
            "INSERT INTO coaching.user_persona (user_id, personal_details, has_dog, "
            'preferences, vector_data, updated_at) VALUES (:dana, \'{"city": "Lyon"}\', '
            'true, \'{"tone": "warm"}\', :vector, :t)'
        ),
        {"dana": DANA, "vector": "[" + ",".join(["0.1"] * 1536) + "]", "t": at(31)},
    )
    connection.execute(
        sa.text(
            "INSERT INTO coaching.engagement_analytics (user_id, total_messages, last_activity, "
            "engagement_score, updated_at) VALUES (:dana, 1, :t, 42.5, :t)"
        ),
        {"dana": DANA, "t": at(31)},
    )


@after_downgrade("coaching_phase2")
def conversations_get_their_user_id_strings_back(connection: Connection) -> None:
    owners = dict(
        all_rows(
            connection,
            "SELECT id, user_id FROM coaching.conversations WHERE id = ANY(:ids)",
            ids=[conversation_key(n) for n in CONVERSATIONS],
        )
    )
    assert owners == {
        conversation_key(n): user_id for n, (user_id, *_rest) in CONVERSATIONS.items()
    }
    assert scalar(connection, "SELECT to_regclass('coaching.backfilled_users') IS NULL")
    backfilled = [derived("user", name) for name in (ALICE, BOB, CAROL)]
    assert (
        scalar(connection, "SELECT count(*) FROM public.users WHERE id = ANY(:ids)", ids=backfilled)
        == 0
    )


@after_downgrade("coaching_phase2")
def people_this_revision_did_not_create_stay(connection: Connection) -> None:
    if not scalar(connection, "SELECT count(*) FROM public.users WHERE id = :id", id=DANA):
        return  # Phase 2's own rows are inserted after its first round trip
    owners = dict(
        all_rows(
            connection,
            "SELECT id, user_id FROM coaching.conversations WHERE id = ANY(:ids)",
            ids=[conversation_key(600), conversation_key(601)],
        )
    )
    # Dana's external id comes back; Erin never had one, so her uuid stands in for it.
    assert owners == {conversation_key(600): "fb_dana_01", conversation_key(601): str(ERIN)}
    assert scalar(connection, "SELECT count(*) FROM public.users WHERE id = :id", id=ERIN) == 1


# -- coaching_phase3 ---------------------------------------------------------------------------


def session_of(conversation: int) -> uuid.UUID:
    return derived("session", conversation_key(conversation))


@after_upgrade("coaching_phase3")
def goals_come_from_goal_setting_conversations(connection: Connection) -> None:
    goal = connection.execute(
        sa.text("SELECT * FROM coaching.smart_goals WHERE user_id = :alice"),
        {"alice": derived("user", ALICE)},
    ).one()
    assert goal.goal_id == derived("goal", f"{derived('user', ALICE)}:fitness_goal_1")
    assert (goal.goal_type, goal.specific, goal.status) == (
        "fitness",
        "Walk 30 minutes a day",
        "active",
    )
    assert goal.measurable == "Step counter shows 4000 steps in one walk"
    assert goal.achievable == "" and goal.created_at == at(0)


@after_upgrade("coaching_phase3")
def sessions_follow_the_program_order(connection: Connection) -> None:
    sessions = all_rows(
        connection,
        "SELECT conversation_id, week_number, session_number, status, completed_date, goal_id "
        "FROM coaching.sessions WHERE conversation_id = ANY(:ids) "
        "ORDER BY conversation_id",
        ids=[conversation_key(n) for n in CONVERSATIONS],
    )
    alice_goal = derived("goal", f"{derived('user', ALICE)}:fitness_goal_1")
    assert [tuple(row) for row in sessions] == [
        (conversation_key(1), 1, 1, "completed", at(0, 21), alice_goal),
        (conversation_key(2), 2, 1, "completed", at(8, 16), alice_goal),
        (conversation_key(3), 2, 2, "in_progress", None, None),
        (
            conversation_key(6),
            1,
            1,
            "completed",
            at(3, 11),
            None,
        ),  # bob's goal sleep_1 was never defined
    ]


@after_upgrade("coaching_phase3")
def messy_metadata_is_rejected_with_its_reason(connection: Connection) -> None:
    rejects = {
        (row.source_id, row.target_table): row.reason
        for row in all_rows(
            connection,
            "SELECT source_id, target_table, reason FROM coaching.migration_rejects "
            "WHERE revision = 'coaching_phase3'",
        )
    }
    sessions, goals = "coaching.sessions", "coaching.smart_goals"
    check_ins, takeaways = "coaching.check_ins", "coaching.session_takeaways"
    expected = {
        (conversation_key(5), sessions): "week_number is not a number",
        (conversation_key(5), goals): "goal_description is missing",
        (conversation_key(7), sessions): "week_number is outside 1..2147483647",
        (conversation_key(8), sessions): "week_number is not a whole number",
        (
            conversation_key(9),
            sessions,
        ): "week_number is not a number; session_type is longer than 50 characters",
        (conversation_key(10), sessions): "week_number is outside 1..2147483647",
        (conversation_key(11), sessions): "week_number is outside 1..2147483647",
        (conversation_key(12), sessions): "conversation has no user",
        (conversation_key(13), goals): "conversation has no user",
        (message_key(5, 0), check_ins): "mood_rating is outside 1..10",
        (message_key(5, 1), takeaways): "its conversation is not a program session",
        (message_key(6, 0), check_ins): "goal_progress is not a whole number",
        (message_key(6, 1), takeaways): "takeaways is neither a text nor a list",
        (message_key(12, 0), check_ins): "conversation has no user",
    }
    mine = {k: v for k, v in rejects.items() if k[0] in {source for source, _ in expected}}
    assert mine == expected


@after_upgrade("coaching_phase3")
def takeaways_and_check_ins_come_from_message_metadata(connection: Connection) -> None:
    takeaways = all_rows(
        connection,
        "SELECT session_id, key_learnings, action_items, revised_goal FROM "
        "coaching.session_takeaways WHERE session_id = ANY(:ids) ORDER BY created_at",
        ids=[session_of(1), session_of(2), session_of(6)],
    )
    assert [tuple(row) for row in takeaways] == [
        (session_of(1), "Set realistic goals\nStart small", "Walk after lunch 5x this week", None),
        (session_of(2), "Consistency beats intensity", None, None),
    ]
    check_ins = all_rows(
        connection,
        "SELECT checkin_date, mood_rating, goal_progress, goal_id IS NOT NULL AS has_goal "
        "FROM coaching.check_ins WHERE user_id = :alice ORDER BY checkin_date",
        alice=derived("user", ALICE),
    )
    assert [tuple(row) for row in check_ins] == [
        (at(0).date(), 6, None, True),
        (at(8).date(), 8, 40, True),
        (at(10).date(), 7, None, False),
    ]


@after_upgrade("coaching_phase3")
def the_program_rule_holds_for_migrated_sessions(connection: Connection) -> None:
    connection.execute(
        sa.text("UPDATE coaching.sessions SET status = 'completed' WHERE session_id = :id"),
        {"id": session_of(3)},
    )
    with refused("enforce_program_order"), connection.begin_nested():
        connection.execute(
            sa.text("UPDATE coaching.sessions SET status = 'unlocked' WHERE session_id = :id"),
            {"id": session_of(1)},
        )


@insert_after_upgrade("coaching_phase3")
def danas_program(connection: Connection) -> None:
    goal = key(700)
    connection.execute(
        sa.text(
            "INSERT INTO coaching.smart_goals (goal_id, user_id, goal_type, specific, measurable, "
            "achievable, relevant, time_bound, created_at) VALUES (:goal, :dana, 'nutrition', "
            "'Cook at home', '4 dinners a week', 'Yes', 'Saves money', '4 weeks', :t)"
        ),
        {"goal": goal, "dana": DANA, "t": at(32)},
    )
    connection.execute(
        sa.text(
            "INSERT INTO coaching.sessions (session_id, user_id, goal_id, session_number, "
            "week_number, session_type, status, created_at) VALUES "
            "(:s1, :dana, :goal, 1, 1, 'goal_setting', 'unlocked', :t), "
            "(:s2, :dana, :goal, 1, 2, 'check_in', 'locked', :t)"
        ),
        {"s1": key(701), "s2": key(702), "dana": DANA, "goal": goal, "t": at(32)},
    )
    connection.execute(
        sa.text(
            "UPDATE coaching.sessions SET status = 'completed', completed_date = :t "
            "WHERE session_id = :s1"
        ),
        {"s1": key(701), "t": at(33)},
    )
    connection.execute(
        sa.text(
            "INSERT INTO coaching.session_takeaways (session_id, key_learnings, created_at) "
            "VALUES (:s1, 'Plan meals on Sunday', :t)"
        ),
        {"s1": key(701), "t": at(33)},
    )
    connection.execute(
        sa.text(
            "INSERT INTO coaching.check_ins (user_id, goal_id, checkin_date, mood_rating, "
            "goal_progress, created_at) VALUES (:dana, :goal, :d, 8, 25, :t)"
        ),
        {"dana": DANA, "goal": goal, "d": at(34).date(), "t": at(34)},
    )


@after_upgrade("coaching_phase3")
def danas_second_week_unlocked_when_the_first_was_completed(connection: Connection) -> None:
    status = connection.scalar(
        sa.text("SELECT status FROM coaching.sessions WHERE session_id = :s2"), {"s2": key(702)}
    )
    assert status in (None, "unlocked")  # None until Dana's program is inserted


@after_downgrade("coaching_phase3")
def program_tables_and_their_rejects_are_gone(connection: Connection) -> None:
    assert scalar(connection, "SELECT to_regclass('coaching.sessions') IS NULL")
    remaining = scalar(
        connection,
        "SELECT count(*) FROM coaching.migration_rejects WHERE revision = 'coaching_phase3'",
    )
    assert remaining == 0


# -- coaching_phase4 ---------------------------------------------------------------------------


@after_upgrade("coaching_phase4")
def completed_sessions_keep_their_own_messages_in_order(connection: Connection) -> None:
    lines = all_rows(
        connection,
        'SELECT session_id, message_order, sender, message_content, "timestamp", metadata '
        "FROM coaching.transcripts WHERE session_id = ANY(:ids) "
        "ORDER BY session_id, message_order",
        ids=[session_of(n) for n in (1, 2, 3, 6)],
    )
    expected = []
    for n in (1, 2, 6):  # conversation 3's session is in progress
        chat = CONVERSATIONS[n][3]
        day = CONVERSATIONS[n][1]
        expected += [
            (session_of(n), position + 1, role, content, at(day, 5 * position), extra)
            for position, (role, content, extra) in enumerate(chat)
        ]
    assert sorted(tuple(row) for row in lines) == sorted(expected)


@after_downgrade("coaching_phase4")
def transcripts_are_gone(connection: Connection) -> None:
    assert scalar(connection, "SELECT to_regclass('coaching.transcripts') IS NULL")


def refused(name: str):
    """The statement must be refused by the constraint (or trigger) of this name."""
    return pytest.raises(IntegrityError, match=name)
