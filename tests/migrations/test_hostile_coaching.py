"""The coaching backfills (Phases 2-4) on hostile MVP rows: every column at the edges of its type.

tests/test_coaching_backfills.py throws any JSON the app could write at the program metadata;
here every other column is hostile too: user id strings of quotes, SQL and every Unicode plane
up to the column's 36 characters, repeated between conversations; 1 MB message contents and goal
descriptions; timestamps from 4714 BC to 294276 AD and +-infinity; extreme counts. Whatever they
hold, the upgrade to Phase 4 succeeds, every source row is moved or rejected with its reason, and
the downgrade to Phase 1 gives the MVP's rows back exactly.
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
    as_json,
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


def metadata(*keys: str) -> st.SearchStrategy:
    """jsonb the app wrote: SQL NULL, JSON null, not an object, or an object with these keys."""
    return st.one_of(
        st.none(),
        st.just(JSON_NULL),
        json_values,
        st.fixed_dictionaries({}, optional=dict.fromkeys(keys, program_value)),
    )


@st.composite
def mvp(draw) -> tuple[list[dict], list[dict]]:
    """Conversations (user ids drawn from a few hostile ones) and messages spread over them."""
    user_ids = draw(st.lists(st.none() | texts(36), min_size=1, max_size=3))
    conversations = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "id": st.uuids().map(str),
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
                    "id": st.uuids().map(str),
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


FIRST = "00000000-0000-4000-8000-000000000001"


def conversation(id: str, user_id: str | None, at: str) -> dict:
    return dict(id=id, user_id=user_id, title=None, message_count=0, metadata=None,
                created_at=at, updated_at=at)  # fmt: skip


def message(conversation_id: str, n: int, role: str, at: str) -> dict:
    return dict(id=f"00000000-0000-4000-8001-{n:012d}", conversation_id=conversation_id,
                role=role, content="", metadata=None, created_at=at, updated_at=at)  # fmt: skip


CONVERSATIONS = "SELECT * FROM coaching.conversations"
MESSAGES = "SELECT * FROM coaching.messages"
OWNED_BUT_NEITHER_LINKED_NOR_REJECTED = """
SELECT c.id FROM coaching.conversations c
WHERE c.id = ANY(CAST(:owned AS uuid[])) AND c.user_id IS NULL
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
def test_hostile_mvp_rows_are_moved_or_rejected_and_come_back_exactly(databases: Databases, data):
    conversations, messages = data
    figures.count("coaching_phase2..4", len(conversations) + len(messages))
    owned = [c["id"] for c in conversations if c["user_id"] is not None]
    with databases.at("coaching_phase1") as engine:
        with engine.begin() as connection:
            insert_rows(connection, "coaching.conversations", conversations)
            insert_rows(connection, "coaching.messages", messages)
            mvp_conversations = as_json(connection, CONVERSATIONS)
            mvp_messages = as_json(connection, MESSAGES)

        upgrade(engine, "coaching_phase4")
        with engine.connect() as connection:
            lost = connection.scalars(
                sa.text(OWNED_BUT_NEITHER_LINKED_NOR_REJECTED), {"owned": owned}
            ).all()
            assert lost == [], "conversations lost their person"
            assert as_json(connection, MESSAGES) == mvp_messages
            assert_every_source_row_is_moved_or_rejected(connection)
            assert_program_order_holds(connection)
            assert_completed_sessions_have_their_transcripts(connection)

        downgrade(engine, "coaching_phase1")
        with engine.connect() as connection:
            assert as_json(connection, CONVERSATIONS) == mvp_conversations
            assert as_json(connection, MESSAGES) == mvp_messages
