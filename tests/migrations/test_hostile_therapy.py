"""therapy_3nf on hostile data: whatever the legacy log holds stays exactly as it is, and the
downgrade folds every 3NF message back into the log, whatever the sessions and messages hold.

(The upgrade copies no row out of the log, by the document's decision; the data that moves is the
downgrade's.)
"""

import uuid

import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests import figures
from tests.migrations.hostile import as_json, insert_rows, integers, jsonb, texts, timestamps
from tests.scale import size
from tests.support import Databases, downgrade, upgrade

legacy_logs = st.lists(
    st.fixed_dictionaries(
        {
            "id": integers(32),  # SERIAL
            "session_id": texts(),
            "role": texts(),
            "message_type": texts(),
            "message": st.none() | texts(),
            "extras": jsonb,
            "created_at": timestamps(),
        }
    ),
    max_size=4,
    unique_by=lambda row: row["id"],
)


@st.composite
def sessions(draw) -> dict:
    status = draw(st.sampled_from(["active", "ended", "archived"]))
    return {
        "session_id": str(draw(st.uuids())),
        "user_id": draw(st.sampled_from([None, OWNER])),
        "session_name": draw(st.none() | texts(255)),
        "status": status,
        "created_at": draw(timestamps()),
        "updated_at": draw(timestamps()),
        "ended_at": None if status == "active" else draw(timestamps()),
    }


messages = st.fixed_dictionaries(
    {
        "message_id": integers(64),
        "role": st.sampled_from(["user", "assistant", "system"]),
        "message_type": texts(50),
        "content": st.none() | texts(),  # a session_start has none
        "content_redacted": st.none() | texts(),
        "metadata": jsonb,
        "created_at": timestamps(),
    }
)


@st.composite
def conversations(draw) -> tuple[list[dict], list[dict]]:
    """Sessions, and messages spread over them."""
    found = draw(st.lists(sessions(), max_size=3, unique_by=lambda s: s["session_id"]))
    if not found:
        return [], []
    said = draw(st.lists(messages, max_size=6, unique_by=lambda m: m["message_id"]))
    return found, [{**m, "session_id": draw(st.sampled_from(found))["session_id"]} for m in said]


OWNER = 2**31 - 1  # the app's userid of the sessions' owner: the highest there can be


def log(id: int) -> dict:
    return dict(id=id, session_id="s", role="user", message_type="chat", message=None,
                extras=None, created_at="2025-01-01 00:00:00+00")  # fmt: skip


SESSION = dict(session_id=str(uuid.UUID(int=OWNER)), user_id=None, session_name=None,
               created_at="infinity", updated_at="infinity")  # fmt: skip
MESSAGE = dict(message_id=1, role="user", message_type="voice", content="x", content_redacted="x",
               metadata=None, created_at="infinity")  # fmt: skip

# What a message becomes in the log, and what a folded-back log row says it was.
MESSAGE_AS_LOGGED = """
SELECT m.session_id::text AS session_id, m.role, m.message_type, m.content_redacted AS message,
       m.created_at, m.message_id
FROM therapy.messages m
"""
LOGGED_MESSAGE = """
SELECT session_id, role, message_type, message, created_at,
       (extras->>'message_id')::bigint AS message_id
FROM therapy.conversation_logs WHERE extras->>'folded_back_from' = 'therapy_3nf'
"""
LEGACY = "SELECT * FROM therapy.conversation_logs WHERE id = ANY(:ids)"


@settings(
    max_examples=size(ci=10, soak=300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(logs=legacy_logs, conversations=conversations())
@example(  # a log whose ids take both ends of integer: the folded message needs a free id between
    logs=[log(-(2**31)), log(2**31 - 1)],
    conversations=(
        [{**SESSION, "status": "active", "ended_at": None}],
        [{**MESSAGE, "session_id": SESSION["session_id"]}],
    ),
)
def test_hostile_log_rows_stay_and_every_message_folds_back(
    databases: Databases, logs, conversations
):
    sessions_, messages_ = conversations
    figures.count("therapy_3nf", len(logs) + len(sessions_) + len(messages_))
    with databases.at("therapy_legacy") as engine:
        ids = [row["id"] for row in logs]
        with engine.begin() as connection:
            insert_rows(connection, "therapy.conversation_logs", logs)
            legacy = as_json(connection, LEGACY, ids=ids)

        upgrade(engine, "therapy_3nf")
        with engine.begin() as connection:
            assert as_json(connection, LEGACY, ids=ids) == legacy
            connection.execute(
                sa.text(
                    "INSERT INTO therapy.users (userid, username, password, role) "
                    "VALUES (:userid, 'owner', '$2b$12$owner', 'participant')"
                ),
                {"userid": OWNER},
            )
            insert_rows(connection, "therapy.therapy_sessions", sessions_)
            insert_rows(connection, "therapy.messages", messages_)
            folded = as_json(connection, MESSAGE_AS_LOGGED)

        downgrade(engine, "therapy_legacy")
        with engine.connect() as connection:
            assert as_json(connection, LEGACY, ids=ids) == legacy
            assert as_json(connection, LOGGED_MESSAGE) == folded
            total = connection.scalar(sa.text("SELECT count(*) FROM therapy.conversation_logs"))
            assert total == len(logs) + len(folded)
