"""The coaching backfills on the MVP's app-written data: every row moved or rejected, never lost.

Phase 2 turns the MVP's user id strings into people; Phase 3 reads the program out of metadata
that may hold anything JSON can; Phase 4 copies completed sessions' messages. Each source row is
accounted for (source = moved + rejected), and a full downgrade gives the MVP's data back exactly.
"""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection, Engine

from app.operations.history import alembic_config
from app.toolkit import data_loss
from tests.coaching_checks import (
    assert_completed_sessions_have_their_transcripts,
    assert_every_source_row_is_moved_or_rejected,
    assert_program_order_holds,
)
from tests.migrations.data.coaching import conversations, messages, mvp_rows
from tests.migrations.roundtrip import rows
from tests.support import Databases, downgrade, upgrade


def at(minutes: int) -> datetime:
    return datetime(2024, 10, 1, tzinfo=UTC) + timedelta(minutes=minutes)


def load_mvp(
    connection: Connection, chats: list[tuple[str | None, dict | None, list[dict | None]]]
) -> None:
    """Conversations (user id string, metadata, one metadata per message) in the MVP's tables,
    with ids as the app makes them."""
    conversation_rows, message_rows = [], []
    for n, (user_id, metadata, message_metadata) in enumerate(chats):
        conversation_id = f"conv_{uuid.uuid4().hex[:12]}"
        conversation_rows.append(
            {
                "id": conversation_id,
                "user_id": user_id,
                "title": None,
                "message_count": 0,
                "metadata": metadata,
                "created_at": at(n),
                "updated_at": at(n),
            }
        )
        message_rows += [
            {
                "id": f"msg_{uuid.uuid4().hex[:12]}",
                "conversation_id": conversation_id,
                "role": ("user", "assistant")[position % 2],
                "content": f"message {position}",
                "metadata": extra,
                "created_at": at(n),
                "updated_at": at(n),
            }
            for position, extra in enumerate(message_metadata)
        ]
    connection.execute(conversations.insert(), conversation_rows)
    if message_rows:
        connection.execute(messages.insert(), message_rows)


# -- Phase 3: what becomes of each kind of app-written value ---------------------------------

WEEK_NUMBERS = [
    (1, 1),
    ("2", 2),
    (" 3 ", 3),
    (2.0, 2),
    ("4.0", 4),
    ("+5", 5),
    (2147483647, 2147483647),
    (2147483648, "week_number is outside 1..2147483647"),
    (1e30, "week_number is outside 1..2147483647"),
    ("99999999999999999999999", "week_number is outside 1..2147483647"),
    (0, "week_number is outside 1..2147483647"),
    ("-1", "week_number is outside 1..2147483647"),
    ("2.5", "week_number is not a whole number"),
    (2.5, "week_number is not a whole number"),
    ("two", "week_number is not a number"),
    ("", "week_number is not a number"),
    ("1e3", "week_number is not a number"),
    (True, "week_number is not a number"),
    ([1], "week_number is not a number"),
    ({"week": 1}, "week_number is not a number"),
]

MOOD_RATINGS = [
    (7, 7),
    ("8", 8),
    (10.0, 10),
    (0, "mood_rating is outside 1..10"),
    (11, "mood_rating is outside 1..10"),
    ("ten", "mood_rating is not a number"),
    (6.5, "mood_rating is not a whole number"),
]


@pytest.fixture(scope="module")
def messy_program(databases: Databases) -> Iterator[Engine]:
    """One person per case: a conversation with that week_number and a message with that mood."""
    with databases.at("coaching_phase1") as engine:
        chats = [
            (f"week-{n}", {"week_number": value}, []) for n, (value, _) in enumerate(WEEK_NUMBERS)
        ]
        chats += [
            (f"mood-{n}", {"week_number": 1}, [{"mood_rating": value}])
            for n, (value, _) in enumerate(MOOD_RATINGS)
        ]
        chats += [
            ("no-week", {"session_type": "check_in"}, []),
            ("null-week", {"week_number": None}, []),
        ]
        with engine.begin() as connection:
            load_mvp(connection, chats)
        upgrade(engine, "coaching_phase3")
        yield engine


def outcome(connection: Connection, user: str, target: str, value_sql: str):
    """What the backfill made of this person's value: the migrated value or the reject reason."""
    return connection.scalar(
        sa.text(
            f"""
            SELECT coalesce(
                (SELECT ({value_sql})::text FROM {target} t WHERE t.user_id = u.id),
                (SELECT r.reason FROM coaching.migration_rejects r
                 JOIN coaching.conversations c ON c.user_id = u.id
                 LEFT JOIN coaching.messages m ON m.conversation_id = c.id
                 WHERE r.target_table = :target AND r.source_id IN (c.id, m.id)))
            FROM public.users u WHERE u.external_auth_id = :user
            """
        ),
        {"user": user, "target": target},
    )


@pytest.mark.parametrize(
    ("n", "value", "expected"), [(n, *case) for n, case in enumerate(WEEK_NUMBERS)]
)
def test_week_number_becomes_a_session_or_a_reject(messy_program, n, value, expected):
    with messy_program.connect() as connection:
        assert outcome(connection, f"week-{n}", "coaching.sessions", "t.week_number") == str(
            expected
        )


@pytest.mark.parametrize(
    ("n", "value", "expected"), [(n, *case) for n, case in enumerate(MOOD_RATINGS)]
)
def test_mood_rating_becomes_a_check_in_or_a_reject(messy_program, n, value, expected):
    with messy_program.connect() as connection:
        assert outcome(connection, f"mood-{n}", "coaching.check_ins", "t.mood_rating") == str(
            expected
        )


@pytest.mark.parametrize("user", ["no-week", "null-week"])
def test_a_conversation_without_a_week_number_is_no_session_and_no_reject(messy_program, user):
    with messy_program.connect() as connection:
        assert outcome(connection, user, "coaching.sessions", "t.week_number") is None


def test_messy_program_rows_are_all_accounted_for(messy_program):
    with messy_program.connect() as connection:
        assert_every_source_row_is_moved_or_rejected(connection)


# -- json as the app wrote it: jsonb cannot hold all of it ----------------------------------------

UNREADABLE = (
    "metadata cannot be read as jsonb (it holds \\u0000, an unpaired surrogate or a number "
    "beyond numeric)"
)
COMPLETED_WEEK = '{"week_number": 1, "program_status": "completed"}'
SMILING = '{"mood_rating": 7, "note": "\\ud83d\\ude00", "scale": 1e+999}'  # read the careful way


@pytest.mark.parametrize(
    "written",
    [
        '{"week_number": 2, "goal_type": "sleep", "note": "\\u0000"}',
        '{"week_number": 2, "goal_type": "sleep", "note": "\\udc00"}',
        '{"week_number": 2, "goal_type": "sleep", "score": 1e200000}',
    ],
    ids=["nul", "unpaired surrogate", "beyond numeric"],
)
def test_metadata_jsonb_cannot_hold_is_set_aside_with_its_reason_and_kept_as_written(
    databases: Databases, written
):
    with databases.at("coaching_phase1") as engine:
        with engine.begin() as connection:
            for conversation, metadata in (("conv_a", COMPLETED_WEEK), ("conv_b", written)):
                connection.execute(
                    sa.text(
                        "INSERT INTO coaching.conversations (id, user_id, metadata) "
                        "VALUES (:id, 'uid-1', CAST(:metadata AS json))"
                    ),
                    {"id": conversation, "metadata": metadata},
                )
            for message, metadata in (("msg_a", written), ("msg_b", SMILING)):
                connection.execute(
                    sa.text(
                        "INSERT INTO coaching.messages (id, conversation_id, role, content, "
                        "metadata) VALUES (:id, 'conv_a', 'user', 'hi', CAST(:metadata AS json))"
                    ),
                    {"id": message, "metadata": metadata},
                )
        upgrade(engine, "coaching_phase4")
        with engine.connect() as connection:
            rejects = connection.execute(
                sa.text(
                    "SELECT source_id, target_table, reason, source_value::text AS written "
                    "FROM coaching.migration_rejects WHERE revision <> 'coaching_phase2' "
                    "ORDER BY 1, 2"
                )
            ).all()
            assert [tuple(reject) for reject in rejects] == [
                ("conv_b", "coaching.sessions", UNREADABLE, written),
                ("conv_b", "coaching.smart_goals", UNREADABLE, written),
                ("msg_a", "coaching.check_ins", UNREADABLE, written),
                ("msg_a", "coaching.session_takeaways", UNREADABLE, written),
                ("msg_a", "coaching.transcripts", UNREADABLE, written),
            ]
            mood = connection.scalar(sa.text("SELECT mood_rating FROM coaching.check_ins"))
            line = connection.execute(
                sa.text("SELECT message_order, metadata->>'note' FROM coaching.transcripts")
            ).one()
            assert (mood, *line) == (7, 2, "\U0001f600")
            assert_every_source_row_is_moved_or_rejected(connection)
            assert_completed_sessions_have_their_transcripts(connection)


# -- any JSON the app could have written ----------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["1", "2", "2.0", " 3 ", "1e3", "-1", "0", "10", "abc", "", "4.5", "+7"]),
    # Any text: the app's json serializer escapes NUL and lone surrogates (\u0000, \ud800), which
    # json keeps and jsonb cannot hold.
    st.text(st.characters(), max_size=60),
)
json_values = st.one_of(json_scalars, st.lists(json_scalars, max_size=3))
absent = st.sampled_from([None, sa.JSON.NULL])  # SQL NULL, JSON null
conversation_metadata = st.one_of(
    absent,
    json_values,  # not even an object
    st.fixed_dictionaries(
        {},
        optional={
            key: json_values
            for key in ("week_number", "goal_type", "goal_description", "goal_id", "session_type")
        }
        | {"program_status": st.sampled_from(["active", "completed"])},
    ),
)
message_metadata = st.one_of(
    absent,
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            key: json_values
            for key in ("mood_rating", "goal_progress", "takeaways", "action_items", "revised_goal")
        },
    ),
)
chats = st.lists(
    st.tuples(
        st.sampled_from([None, "", "  ", "fb_a", "fb_b", "fb_c"]),
        conversation_metadata,
        st.lists(message_metadata, max_size=4),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chats=chats)
def test_any_app_written_metadata_is_moved_or_rejected_never_lost(databases: Databases, chats):
    with databases.at("coaching_phase1") as engine:
        with engine.begin() as connection:
            load_mvp(connection, chats)
            owned = connection.scalar(
                sa.text("SELECT count(*) FROM coaching.conversations WHERE user_id IS NOT NULL")
            )
        upgrade(engine, "coaching_phase4")
        with engine.connect() as connection:
            linked = connection.scalar(
                sa.text("SELECT count(*) FROM coaching.conversations WHERE user_id IS NOT NULL")
            )
            blank = connection.scalar(
                sa.text(
                    "SELECT count(*) FROM coaching.migration_rejects "
                    "WHERE target_table = 'public.users'"
                )
            )
            assert owned == linked + blank
            assert_every_source_row_is_moved_or_rejected(connection)
            assert_program_order_holds(connection)
            assert_completed_sessions_have_their_transcripts(connection)


# -- Phase 2: people, and the MVP's data after a full round trip ------------------------------


def test_full_downgrade_gives_the_mvp_data_back_exactly(databases: Databases):
    with databases.at("coaching_phase1") as engine:
        conversation_rows, message_rows = mvp_rows()
        with engine.begin() as connection:
            connection.execute(conversations.insert(), conversation_rows)
            connection.execute(messages.insert(), message_rows)
            connection.execute(
                sa.text("INSERT INTO public.users (username, role) VALUES ('dr.lee', 'therapist')")
            )
        before = rows(engine)

        upgrade(engine, "head")
        with engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT count(*) FROM coaching.transcripts")) > 0
        downgrade(engine, "coaching_phase1")

        after = rows(engine)
        for table in ("coaching.conversations", "coaching.messages", "public.users"):
            assert after[table] == before[table], table


def test_people_of_other_contexts_are_never_touched(databases: Databases):
    with databases.at("coaching_phase1") as engine:
        with engine.begin() as connection:
            other = connection.scalar(
                sa.text("INSERT INTO public.users (username) VALUES ('chat-user') RETURNING id")
            )
            load_mvp(connection, [("fb_x", None, [None]), ("fb_x", None, []), ("fb_y", None, [])])
        upgrade(engine, "coaching_phase2")
        with engine.connect() as connection:
            created = connection.scalars(
                sa.text("SELECT user_id FROM coaching.backfilled_users")
            ).all()
            assert len(created) == 2 and other not in created
            assert connection.scalar(sa.text("SELECT count(*) FROM public.users")) == 3
        downgrade(engine, "coaching_phase1")
        with engine.connect() as connection:
            people = connection.scalars(sa.text("SELECT id FROM public.users")).all()
            assert people == [other]


def lost_on_downgrade(engine: Engine, revision: str) -> dict[str, int]:
    """What the revision's downgrade declares it would destroy, counted on the database now."""
    script = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    with engine.connect() as connection:
        losses = data_loss.count(connection, data_loss.declared([script]))
    return {loss.table: loss.rows for loss in losses}


def test_phase2_downgrade_declares_the_coachs_people_it_cannot_give_back(databases: Databases):
    """The backfilled people come back from the MVP's rows; what the app added to them, and the
    people it added, do not."""
    with databases.at("coaching_phase1") as engine:
        with engine.begin() as connection:
            load_mvp(connection, [("uid-a", None, []), ("uid-b", None, [])])
        upgrade(engine, "coaching_phase2")
        assert lost_on_downgrade(engine, "coaching_phase2") == {}
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "UPDATE public.users SET email = 'a@example.com' "
                    "WHERE external_auth_id = 'uid-a'"
                )
            )
            connection.execute(sa.text("INSERT INTO coaching.users (email) VALUES (NULL)"))
        assert lost_on_downgrade(engine, "coaching_phase2") == {"public.users": 2}
