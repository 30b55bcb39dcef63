"""The coaching backfills (Phases 2-4) on hostile MVP rows: every column at the edges of its type.

tests/test_coaching_backfills.py throws any JSON the app could write at the program metadata;
here every other column is hostile too: ids of the app's shape, uuids, or quotes, SQL and every
Unicode plane; user id strings of those up to the auth provider's 128 characters, repeated
between conversations; 1 MB message contents and goal descriptions; timestamps from 4714 BC to
294276 AD and +-infinity; extreme counts; json as written (spacing, duplicate keys) and json
jsonb cannot hold (\\u0000, an unpaired surrogate, a number beyond numeric). Whatever they hold,
the upgrade to Phase 4 succeeds, every source row is moved or rejected with its reason, and the
downgrade to Phase 1 gives the MVP's rows back exactly, byte for byte.
"""

import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests import figures
from tests.coaching_checks import (
    assert_completed_sessions_have_their_transcripts,
    assert_every_source_row_is_moved_or_rejected,
    assert_program_order_holds,
)
from tests.migrations.hostile import (
    JSON_NULL,
    RAW_JSON,
    JsonText,
    insert_rows,
    integers,
    json_values,
    texts,
    timestamps,
)
from tests.scale import size
from tests.support import Databases, downgrade, upgrade

# The metadata keys the backfills read.
CONVERSATION_KEYS = ("week_number", "goal_type", "goal_description", "goal_id", "session_type",
                     "session_status", "program_status", "measurable")  # fmt: skip
MESSAGE_KEYS = ("mood_rating", "goal_progress", "takeaways", "action_items", "revised_goal",
                "progress_notes")  # fmt: skip

# Program keys with hostile values (numbers as text, huge, 1 MB strings, lists, objects).
program_value = st.one_of(json_values, st.sampled_from([1, "1", " 2 ", 2.0, "completed"]))

# json the app's serializer may write that jsonb (and text) cannot hold, next to program keys; and
# escapes and exponents jsonb does hold, which only the careful reading of them tries.
BEYOND_JSONB = [
    '{"week_number": 1, "goal_type": "fitness", "goal_description": "walk\\u0000"}',
    '{"mood_rating": 5, "note": "\\ud800"}',
    '{"takeaways": ["rest"], "score": 1e400000}',
    '{"week_number": 2, "sources": [1e-20000]}',
]
CAREFULLY_READ = [
    '{"week_number": 1, "goal_type": "mood \\ud83d\\ude00", "goal_description": "smile"}',
    '{"mood_rating": 7, "goal_progress": 1E+2}',
    '{"week_number": 3e0, "bound": 1e-999, "note": "\\\\u0000 is not an escape"}',
]


def metadata(*keys: str) -> st.SearchStrategy:
    """json the app wrote: SQL NULL, JSON null, not an object, an object with these keys, or text
    as written (spacing, duplicate keys, escapes, numbers jsonb cannot hold)."""
    return st.one_of(
        st.none(),
        st.just(JSON_NULL),
        json_values,
        st.fixed_dictionaries({}, optional=dict.fromkeys(keys, program_value)),
        st.sampled_from([*RAW_JSON, *BEYOND_JSONB, *CAREFULLY_READ]).map(JsonText),
    )


hex_ids = st.text("0123456789abcdef", min_size=12, max_size=12)


def ids(prefix: str) -> st.SearchStrategy[str]:
    """Keys as the app makes them (`conv_` + 12 hex), as the document says (uuids), or hostile
    text (an index holds it: at most 100 characters)."""
    return st.one_of(hex_ids.map(lambda h: f"{prefix}_{h}"), st.uuids().map(str), texts(100))


@st.composite
def mvp(draw) -> tuple[list[dict], list[dict]]:
    """Conversations (user ids drawn from a few hostile ones) and messages spread over them."""
    user_ids = draw(st.lists(st.none() | texts(128), min_size=1, max_size=3))
    conversations = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "id": ids("conv"),
                    "user_id": st.sampled_from(user_ids),
                    "title": st.none() | texts(255),
                    "message_count": integers(32),
                    "metadata": metadata(*CONVERSATION_KEYS),
                    "created_at": timestamps(),
                    "updated_at": timestamps(),
                }
            ),
            min_size=1,
            max_size=4,
            unique_by=lambda row: row["id"],
        )
    )
    messages = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "id": ids("msg"),
                    "conversation_id": st.sampled_from([c["id"] for c in conversations]),
                    "role": st.sampled_from(["user", "assistant", "system"]),
                    "content": texts(),
                    "metadata": metadata(*MESSAGE_KEYS),
                    "created_at": timestamps(),
                    "updated_at": timestamps(),
                }
            ),
            max_size=6,
            unique_by=lambda row: row["id"],
        )
    )
    return conversations, messages


FIRST, SECOND = "conv_000000000001", "conv_000000000002"


def conversation(id: str, user_id: str | None, at: str, metadata=None) -> dict:
    return dict(id=id, user_id=user_id, title=None, message_count=0, metadata=metadata,
                created_at=at, updated_at=at)  # fmt: skip


def message(conversation_id: str, n: int, role: str, at: str, metadata=None) -> dict:
    return dict(id=f"msg_{n:012x}", conversation_id=conversation_id,
                role=role, content="", metadata=metadata, created_at=at, updated_at=at)  # fmt: skip


def texts_of(connection, sql: str) -> list[str]:
    return connection.scalars(sa.text(sql)).all()


# The MVP's rows as text, json as written: what an import put there, compared byte for byte
# (columns named: a downgrade that re-adds a column puts it last).
CONVERSATIONS = """
SELECT (id, user_id, title, message_count, metadata, created_at, updated_at)::text
FROM coaching.conversations ORDER BY id"""
MESSAGES = """
SELECT (id, conversation_id, role, content, metadata, created_at, updated_at)::text
FROM coaching.messages ORDER BY id"""
OWNED_BUT_NEITHER_LINKED_NOR_REJECTED = """
SELECT c.id FROM coaching.conversations c
WHERE c.id = ANY(CAST(:owned AS text[])) AND c.user_id IS NULL
  AND NOT EXISTS (SELECT FROM coaching.migration_rejects r
                  WHERE r.source_id = c.id AND r.target_table = 'public.users')
"""


@settings(
    max_examples=size(ci=10, soak=300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=mvp())
@example(  # replies at -infinity, and one across the whole range of timestamptz
    data=(
        [conversation(FIRST, "'", "-infinity")],
        [
            message(FIRST, 1, "assistant", "-infinity"),
            message(FIRST, 2, "user", "-infinity"),
            message(FIRST, 3, "assistant", "4714-11-24 00:00:00+00 BC"),
            message(FIRST, 4, "user", "294276-12-31 23:59:59.999999+00"),
        ],
    )
)
@example(  # json jsonb cannot hold, in a completed session: its conversation, its messages
    data=(
        [
            conversation(
                FIRST,
                "uid",
                "2025-01-01",
                JsonText('{"week_number": 1, "program_status": "completed"}'),
            ),
            conversation(SECOND, "uid", "2025-01-02", JsonText(BEYOND_JSONB[0])),
        ],
        [
            message(FIRST, n, "user", "2025-01-01", JsonText(written))
            for n, written in enumerate([*BEYOND_JSONB, *CAREFULLY_READ])
        ],
    )
)
def test_hostile_mvp_rows_are_moved_or_rejected_and_come_back_exactly(databases: Databases, data):
    conversations, messages = data
    figures.count("coaching_phase2..4", len(conversations) + len(messages))
    owned = [c["id"] for c in conversations if c["user_id"] is not None]
    with databases.at("coaching_phase1") as engine:
        with engine.begin() as connection:
            insert_rows(connection, "coaching.conversations", conversations)
            insert_rows(connection, "coaching.messages", messages)
            mvp_conversations = texts_of(connection, CONVERSATIONS)
            mvp_messages = texts_of(connection, MESSAGES)

        upgrade(engine, "coaching_phase4")
        with engine.connect() as connection:
            lost = connection.scalars(
                sa.text(OWNED_BUT_NEITHER_LINKED_NOR_REJECTED), {"owned": owned}
            ).all()
            assert lost == [], "conversations lost their person"
            assert texts_of(connection, MESSAGES) == mvp_messages
            assert_every_source_row_is_moved_or_rejected(connection)
            assert_program_order_holds(connection)
            assert_completed_sessions_have_their_transcripts(connection)

        downgrade(engine, "coaching_phase1")
        with engine.connect() as connection:
            assert texts_of(connection, CONVERSATIONS) == mvp_conversations
            assert texts_of(connection, MESSAGES) == mvp_messages
