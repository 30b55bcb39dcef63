"""The AI therapist's own code, run unchanged against a database at head.

Each test is one thing its code does (source-systems.md, seed 000, "What the code does"), with
its SQL as the app writes it: table names unqualified, parameters sent untyped as text, exactly
as node-postgres sends them (PostgreSQL infers their types), every row read back as text. The
app connects as its login, `therapy_db_ai_therapist` (search_path `therapy, public`, the
application's privileges), in its time zone, America/Denver.
"""

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import psycopg
import pytest
import sqlalchemy as sa
from psycopg.pq import DiagnosticField, ExecStatus
from sqlalchemy.engine import Engine

from tests.support import upgrade
from tests.test_therapy import CONNECT_PG_SIMPLE

LOGIN = "therapy_db_ai_therapist"
TIMEZONE = "America/Denver"
MOUNTAIN_STANDARD = timezone(timedelta(hours=-7))
BCRYPT = "$2b$12$C6UzMDM.H6dfI/f/IKxGhu2Qj3t8r5e1Xo7fMSo7e5h5mJ2hG8b2a"

# -- the app's statements -------------------------------------------------------------------------

LOGIN_USER = "SELECT userid, username, password, role FROM users WHERE username = $1"
CREATE_USER = (
    "INSERT INTO users (username, password, role) VALUES ($1, $2, $3) "
    "RETURNING userid, username, role"
)
LIST_USERS = (
    "SELECT userid, username, role, created_at, updated_at FROM users ORDER BY created_at DESC"
)
DELETE_USER = "DELETE FROM users WHERE userid = $1 RETURNING userid, username"

CREATE_SESSION = "INSERT INTO therapy_sessions (user_id, session_name) VALUES ($1, $2) RETURNING *"
CREATE_CONFIGURATION = """
INSERT INTO session_configurations
    (session_id, voice, modalities, instructions, turn_detection, tools, temperature,
     max_response_output_tokens)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *
"""
GET_SESSION = "SELECT * FROM therapy_sessions WHERE session_id = $1"
GET_CONFIGURATION = "SELECT * FROM session_configurations WHERE session_id = $1"
USER_SESSIONS = "SELECT * FROM therapy_sessions WHERE user_id = $1 ORDER BY created_at DESC"
USER_SESSIONS_BY_STATUS = (
    "SELECT * FROM therapy_sessions WHERE user_id = $1 AND status = $2 ORDER BY created_at DESC"
)
ACTIVE_SESSION = (
    "SELECT * FROM therapy_sessions WHERE user_id = $1 AND status = 'active' "
    "ORDER BY created_at DESC LIMIT 1"
)
RENAME_SESSION = (
    "UPDATE therapy_sessions SET session_name = $1, updated_at = CURRENT_TIMESTAMP "
    "WHERE session_id = $2 RETURNING *"
)
END_SESSION = (
    "UPDATE therapy_sessions SET status = 'ended', ended_at = CURRENT_TIMESTAMP, "
    "updated_at = CURRENT_TIMESTAMP WHERE session_id = $1 RETURNING *"
)
ARCHIVE_SESSION = (
    "UPDATE therapy_sessions SET status = 'archived', updated_at = CURRENT_TIMESTAMP "
    "WHERE session_id = $1 RETURNING *"
)
DELETE_SESSION = [
    "DELETE FROM messages WHERE session_id = $1",
    "DELETE FROM session_configurations WHERE session_id = $1",
    "DELETE FROM therapy_sessions WHERE session_id = $1 RETURNING session_id",
]

ADMIN_SESSIONS = """
SELECT s.session_id, s.session_name, s.status, s.created_at, s.ended_at, u.username,
       COUNT(m.message_id) AS message_count
FROM therapy_sessions s
LEFT JOIN users u ON s.user_id = u.userid
LEFT JOIN messages m ON m.session_id = s.session_id
GROUP BY s.session_id, u.username
ORDER BY s.created_at DESC
LIMIT $1 OFFSET $2
"""
ADMIN_SESSION = """
SELECT s.*, u.username FROM therapy_sessions s LEFT JOIN users u ON s.user_id = u.userid
WHERE s.session_id = $1
"""
ADMIN_EXPORT = """
SELECT m.session_id, u.username, m.role, m.message_type, m.content_redacted AS content,
       m.created_at
FROM messages m
JOIN therapy_sessions s ON s.session_id = m.session_id
LEFT JOIN users u ON s.user_id = u.userid
ORDER BY m.created_at ASC
"""

INSERT_MESSAGE = """
INSERT INTO messages
    (session_id, role, message_type, content, content_redacted, metadata, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING message_id
"""
THERAPIST_MESSAGES = """
SELECT message_id, role, message_type, content, metadata, created_at
FROM messages WHERE session_id = $1 ORDER BY created_at ASC
"""
RESEARCHER_MESSAGES = """
SELECT message_id, role, message_type, content_redacted AS content, metadata, created_at
FROM messages WHERE session_id = $1 ORDER BY created_at ASC
"""
MERGE_METADATA = """
UPDATE messages SET metadata = COALESCE(metadata, '{}'::jsonb) || $1::jsonb
WHERE message_id = $2 RETURNING metadata
"""

SESSION_COUNTS = """
SELECT COUNT(*) AS total_sessions,
       COUNT(DISTINCT user_id) FILTER (WHERE user_id IS NOT NULL) AS authenticated_sessions
FROM therapy_sessions
"""
SESSIONS_BY_STATUS = "SELECT status, COUNT(*) AS count FROM therapy_sessions GROUP BY status"
MESSAGES_BY_ROLE = "SELECT role, COUNT(*) AS count FROM messages GROUP BY role"
VOICES = "SELECT voice, COUNT(*) AS count FROM session_configurations GROUP BY voice"


# -- the app's connection -------------------------------------------------------------------------


class QueryError(Exception):
    def __init__(self, sqlstate: str, message: str):
        super().__init__(message)
        self.sqlstate = sqlstate


def node_value(value) -> bytes | None:
    """A JavaScript value as node-postgres's prepareValue sends it: text, untyped."""
    if value is None:
        return None
    if isinstance(value, list):  # a JS array becomes a PostgreSQL array literal
        escaped = (str(v).replace("\\", "\\\\").replace('"', '\\"') for v in value)
        return ("{" + ",".join(f'"{v}"' for v in escaped) + "}").encode()
    if isinstance(value, dict):  # any other object: JSON.stringify
        return json.dumps(value).encode()
    if isinstance(value, datetime):  # a Date: local time with its offset, to the millisecond
        return value.isoformat(timespec="milliseconds").encode()
    return str(value).encode()


class NodePostgres:
    """The app's database connection, as its node-postgres pool uses it."""

    def __init__(self, connection: psycopg.Connection):
        self.pgconn = connection.pgconn

    def query(self, sql: str, *params) -> list[dict[str, str | None]]:
        """`pool.query(sql, params)`: the rows as the app gets them, or the error it gets."""
        result = self.pgconn.exec_params(sql.encode(), [node_value(p) for p in params])
        if result.status not in (ExecStatus.TUPLES_OK, ExecStatus.COMMAND_OK):
            sqlstate = result.error_field(DiagnosticField.SQLSTATE).decode()
            raise QueryError(sqlstate, result.get_error_message())
        names = [result.fname(column).decode() for column in range(result.nfields)]
        return [
            {
                name: None if (value := result.get_value(row, column)) is None else value.decode()
                for column, name in enumerate(names)
            }
            for row in range(result.ntuples)
        ]

    def one(self, sql: str, *params) -> dict[str, str | None]:
        (row,) = self.query(sql, *params)
        return row


@pytest.fixture
def database(databases) -> Iterator[Engine]:
    """A database at head that ran platform_roles itself: the login's search_path is a setting
    of this database, which a clone of a template would not have."""
    with databases.at("chat_discord") as engine:
        upgrade(engine, "head")
        yield engine


@pytest.fixture
def app(database: Engine) -> Iterator[NodePostgres]:
    with psycopg.connect(
        dbname=database.url.database,
        user=LOGIN,
        options=f"-c timezone={TIMEZONE}",
        autocommit=True,
    ) as connection:
        yield NodePostgres(connection)


@pytest.fixture
def owner(database: Engine) -> Iterator[sa.Connection]:
    """The migration owner, in UTC: to set up what the app does not, and to look underneath."""
    with database.connect() as connection:
        connection.execute(sa.text("SET timezone = 'UTC'"))
        connection.commit()
        yield connection


def create_user(app: NodePostgres, username: str, role: str = "participant") -> str:
    return app.one(CREATE_USER, username, BCRYPT, role)["userid"]


def create_session(app: NodePostgres, userid: str | None, name: str | None = None) -> str:
    session_id = app.one(CREATE_SESSION, userid, name)["session_id"]
    app.query(
        CREATE_CONFIGURATION,
        session_id,
        "alloy",
        ["text", "audio"],
        "You are a calm, supportive therapist.",
        json.dumps({"type": "server_vad", "silence_duration_ms": 600}),
        json.dumps([]),
        0.8,
        4096,
    )
    return session_id


def log_message(app: NodePostgres, session_id: str, role: str, content: str | None, **extra):
    """One message as the app's batch logger inserts it."""
    return app.one(
        INSERT_MESSAGE,
        session_id,
        role,
        extra.get("message_type", "chat"),
        content,
        extra.get("content_redacted", content),
        extra.get("metadata"),
        extra.get("created_at", datetime.now(UTC)),
    )["message_id"]


def at(text: str) -> datetime:
    """A timestamp the app read back (text, with the session's UTC offset)."""
    return datetime.fromisoformat(text)


# -- users ----------------------------------------------------------------------------------------


def test_login_reads_userid_username_password_and_role(app):
    userid = create_user(app, "dr.okafor", "therapist")
    assert app.query(LOGIN_USER, "dr.okafor") == [
        {"userid": userid, "username": "dr.okafor", "password": BCRYPT, "role": "therapist"}
    ]
    assert app.query(LOGIN_USER, "nobody") == []


def test_creating_a_user_reads_back_userid_username_and_role(app, owner):
    first = app.one(CREATE_USER, "participant-1", BCRYPT, "participant")
    second = app.one(CREATE_USER, "researcher-1", BCRYPT, "researcher")
    assert first == {"userid": first["userid"], "username": "participant-1", "role": "participant"}
    assert int(second["userid"]) == int(first["userid"]) + 1  # SERIAL: the app's own numbers

    # The row is a person of the shared identity, with every rule of public.users.
    person = owner.execute(
        sa.text("SELECT id, password_hash FROM public.users WHERE userid = :userid"),
        {"userid": int(first["userid"])},
    ).one()
    assert isinstance(person.id, uuid.UUID) and person.password_hash == BCRYPT
    with pytest.raises(QueryError) as taken:
        app.query(CREATE_USER, "participant-1", BCRYPT, "participant")
    assert taken.value.sqlstate == "23505"  # unique_violation, as the app's own table answered
    with pytest.raises(QueryError, match="ck_users_role"):
        app.query(CREATE_USER, "admin-1", BCRYPT, "admin")
    with pytest.raises(QueryError, match="ck_users_therapist_login"):
        app.query(CREATE_USER, "no-password", None, "participant")


def test_the_admin_lists_users_newest_first(app, owner):
    for name in ("first", "second", "third"):
        create_user(app, name)
    owner.execute(  # a person of another system: not one of the app's users
        sa.text("INSERT INTO public.users (username, discord_id) VALUES ('on-discord', 42)")
    )
    owner.execute(
        sa.text(
            "UPDATE public.users SET created_at = timestamptz '2025-01-01Z' + "
            "CASE username WHEN 'first' THEN 1 WHEN 'second' THEN 2 ELSE 3 END * interval '1 day' "
            "WHERE userid IS NOT NULL"
        )
    )
    owner.commit()
    listed = app.query(LIST_USERS)
    assert [user["username"] for user in listed] == ["third", "second", "first"]
    assert set(listed[0]) == {"userid", "username", "role", "created_at", "updated_at"}
    assert listed[0]["created_at"] == "2025-01-03 17:00:00-07"  # midnight UTC, in Denver


def test_deleting_a_user_by_userid_reads_back_userid_and_username(app, owner):
    userid = create_user(app, "leaving")
    session_id = create_session(app, userid, "Before I go")
    assert app.query(DELETE_USER, userid) == [{"userid": userid, "username": "leaving"}]
    assert app.query(LOGIN_USER, "leaving") == []
    assert app.one(GET_SESSION, session_id)["user_id"] is None  # kept, anonymised
    assert (
        owner.scalar(sa.text("SELECT count(*) FROM public.users WHERE username = 'leaving'")) == 0
    )


# -- sessions -------------------------------------------------------------------------------------


def test_a_session_is_created_with_an_integer_user_id_or_null_and_a_name(app):
    userid = create_user(app, "sam")
    mine = app.one(CREATE_SESSION, userid, "Evening check-in")
    assert (mine["user_id"], mine["session_name"], mine["status"]) == (
        userid,
        "Evening check-in",
        "active",
    )
    assert mine["ended_at"] is None and uuid.UUID(mine["session_id"])
    anonymous = app.one(CREATE_SESSION, None, None)
    assert (anonymous["user_id"], anonymous["status"]) == (None, "active")

    configuration = app.one(
        CREATE_CONFIGURATION,
        mine["session_id"],
        "verse",
        ["text", "audio"],
        "You are a calm, supportive therapist.",
        json.dumps({"type": "server_vad"}),
        json.dumps([{"type": "function", "name": "end_session"}]),
        0.7,
        2048,
    )
    assert (configuration["voice"], configuration["modalities"]) == ("verse", "{text,audio}")
    assert Decimal(configuration["temperature"]) == Decimal("0.70")
    assert configuration["created_at"] is not None

    with pytest.raises(QueryError) as unknown:  # a user the app does not have
        app.query(CREATE_SESSION, int(userid) + 1000, "Nobody's")
    assert unknown.value.sqlstate == "23503"


def test_a_session_is_read_by_session_id(app):
    session_id = create_session(app, create_user(app, "sam"), "Sleep")
    session = app.one(GET_SESSION, session_id)
    assert (session["session_id"], session["session_name"]) == (session_id, "Sleep")
    assert app.one(GET_CONFIGURATION, session_id)["voice"] == "alloy"
    assert app.query(GET_SESSION, str(uuid.uuid4())) == []


def test_a_users_sessions_are_read_newest_first_by_status_and_the_active_one(app, owner):
    userid = create_user(app, "sam")
    names = ["Monday", "Tuesday", "Wednesday"]
    ids = [create_session(app, userid, name) for name in names]
    create_session(app, None, "Someone else")
    owner.execute(
        sa.text(
            "UPDATE therapy.therapy_sessions SET created_at = timestamptz '2025-03-03Z' + "
            "array_position(CAST(:names AS text[]), session_name) * interval '1 day' "
            "WHERE session_name = ANY(:names)"
        ),
        {"names": names},
    )
    owner.commit()
    app.query(END_SESSION, ids[0])
    app.query(END_SESSION, ids[2])

    newest_first = app.query(USER_SESSIONS, userid)
    assert [s["session_name"] for s in newest_first] == ["Wednesday", "Tuesday", "Monday"]
    ended = app.query(USER_SESSIONS_BY_STATUS, userid, "ended")
    assert [s["session_name"] for s in ended] == ["Wednesday", "Monday"]
    assert app.one(ACTIVE_SESSION, userid)["session_name"] == "Tuesday"


def test_a_session_is_renamed(app, owner):
    session_id = create_session(app, None)
    owner.execute(
        sa.text(
            "UPDATE therapy.therapy_sessions SET updated_at = '2020-01-01Z' WHERE session_id = :id"
        ),
        {"id": session_id},
    )
    owner.commit()
    renamed = app.one(RENAME_SESSION, "Coping with work anxiety", session_id)
    assert renamed["session_name"] == "Coping with work anxiety"
    assert at(renamed["updated_at"]) > datetime(2020, 1, 1, tzinfo=UTC)


def test_a_session_is_ended_with_status_ended_and_ended_at_set(app, owner):
    session_id = create_session(app, None)
    ended = app.one(END_SESSION, session_id)
    assert ended["status"] == "ended"
    now = owner.scalar(sa.text("SELECT now()"))
    assert abs(at(ended["ended_at"]) - now) < timedelta(minutes=1)


def test_a_session_is_archived_with_ended_at_left_as_it_is(app):
    active = create_session(app, None)
    archived = app.one(ARCHIVE_SESSION, active)
    assert (archived["status"], archived["ended_at"]) == ("archived", None)

    ended = create_session(app, None)
    ended_at = app.one(END_SESSION, ended)["ended_at"]
    archived = app.one(ARCHIVE_SESSION, ended)
    assert (archived["status"], archived["ended_at"]) == ("archived", ended_at)


def test_a_session_is_deleted_with_its_messages_and_configuration(app, owner):
    session_id = create_session(app, None)
    kept = create_session(app, None)
    for session in (session_id, kept):
        log_message(app, session, "user", "hello")
    app.query("BEGIN")
    for statement in DELETE_SESSION:
        app.query(statement, session_id)
    app.query("COMMIT")
    assert app.query(GET_SESSION, session_id) == []
    left = owner.execute(
        sa.text(
            "SELECT (SELECT count(*) FROM therapy.messages WHERE session_id = :id), "
            "(SELECT count(*) FROM therapy.session_configurations WHERE session_id = :id)"
        ),
        {"id": session_id},
    ).one()
    assert tuple(left) == (0, 0)
    assert len(app.query(THERAPIST_MESSAGES, kept)) == 1


def test_every_admin_view_joins_sessions_to_users_for_the_username(app):
    userid = create_user(app, "dana")
    mine = create_session(app, userid, "About work")
    anonymous = create_session(app, None)
    for minute, text in enumerate(("first", "second")):
        log_message(
            app,
            mine,
            "user",
            text,
            content_redacted=f"{text} [REDACTED]",
            created_at=datetime(2025, 12, 20, 10, minute, tzinfo=UTC),
        )

    listed = {row["session_id"]: row for row in app.query(ADMIN_SESSIONS, 50, 0)}
    assert (listed[mine]["username"], listed[mine]["message_count"]) == ("dana", "2")
    assert (listed[anonymous]["username"], listed[anonymous]["message_count"]) == (None, "0")
    assert app.one(ADMIN_SESSION, mine)["username"] == "dana"
    assert [(row["username"], row["content"]) for row in app.query(ADMIN_EXPORT)] == [
        ("dana", "first [REDACTED]"),
        ("dana", "second [REDACTED]"),
    ]


# -- messages -------------------------------------------------------------------------------------


def test_a_message_is_inserted_alone(app):
    session_id = create_session(app, None)
    message_id = log_message(
        app, session_id, "assistant", "How did you sleep?", message_type="voice"
    )
    (message,) = app.query(THERAPIST_MESSAGES, session_id)
    assert (message["message_id"], message["content"]) == (message_id, "How did you sleep?")


def test_a_batch_with_a_failing_row_loses_the_whole_batch_and_a_good_batch_commits(app):
    session_id = create_session(app, None)
    gone = str(uuid.uuid4())  # a session the app already deleted

    app.query("BEGIN")
    log_message(app, session_id, "system", None, message_type="session_start")
    log_message(app, session_id, "user", "I could not sleep again.")
    with pytest.raises(QueryError) as failed:
        log_message(app, gone, "user", "lost")
    assert failed.value.sqlstate == "23503"
    app.query("ROLLBACK")
    assert app.query(THERAPIST_MESSAGES, session_id) == []

    batch = [  # timestamped by the client as they happened
        ("system", "session_start", None),
        ("user", "chat", "I could not sleep again."),
        ("assistant", "chat", "What kept you awake?"),
    ]
    started = datetime(2025, 12, 20, 10, 30, tzinfo=UTC)
    app.query("BEGIN")
    for second, (role, message_type, content) in enumerate(batch):
        log_message(
            app,
            session_id,
            role,
            content,
            message_type=message_type,
            created_at=started + timedelta(seconds=second),
        )
    app.query("COMMIT")
    logged = app.query(THERAPIST_MESSAGES, session_id)
    assert [(m["role"], m["message_type"], m["content"]) for m in logged] == batch


def messages_said_in(app: NodePostgres) -> str:
    session_id = create_session(app, None)
    start = datetime(2025, 12, 20, 10, 30, tzinfo=UTC)
    for second, (role, content, redacted) in enumerate(
        [
            ("user", "My sister Ana Ruiz moved out.", "My sister [NAME] moved out."),
            ("assistant", "How has that been for you?", "How has that been for you?"),
        ]
    ):
        log_message(
            app,
            session_id,
            role,
            content,
            content_redacted=redacted,
            created_at=start + timedelta(seconds=10 - second * 5),  # logged out of order
        )
    return session_id


def test_therapists_read_messages_in_order_with_their_content(app):
    session_id = messages_said_in(app)
    assert [m["content"] for m in app.query(THERAPIST_MESSAGES, session_id)] == [
        "How has that been for you?",
        "My sister Ana Ruiz moved out.",
    ]


def test_researchers_read_content_redacted_as_content(app):
    session_id = messages_said_in(app)
    assert [m["content"] for m in app.query(RESEARCHER_MESSAGES, session_id)] == [
        "How has that been for you?",
        "My sister [NAME] moved out.",
    ]


def test_metadata_is_merged_with_coalesce_metadata_empty_object(app):
    session_id = create_session(app, None)
    bare = log_message(app, session_id, "user", "hi")
    tagged = log_message(app, session_id, "user", "hi", metadata={"duration_ms": 5400})
    merged = app.one(MERGE_METADATA, json.dumps({"flagged": True}), bare)["metadata"]
    assert json.loads(merged) == {"flagged": True}
    merged = app.one(MERGE_METADATA, json.dumps({"flagged": True}), tagged)["metadata"]
    assert json.loads(merged) == {"duration_ms": 5400, "flagged": True}


# -- statistics, times, web logins ----------------------------------------------------------------


def test_statistics_count_sessions_authenticated_sessions_messages_per_role_and_voices(app):
    sam, dana = create_user(app, "sam"), create_user(app, "dana")
    sessions = [create_session(app, userid) for userid in (sam, sam, dana, None)]
    app.query(
        "UPDATE session_configurations SET voice = 'verse' WHERE session_id = $1", sessions[0]
    )
    app.query(END_SESSION, sessions[1])
    for role in ("user", "assistant", "user"):
        log_message(app, sessions[0], role, "x")

    assert app.one(SESSION_COUNTS) == {"total_sessions": "4", "authenticated_sessions": "2"}
    assert {r["status"]: r["count"] for r in app.query(SESSIONS_BY_STATUS)} == {
        "active": "3",
        "ended": "1",
    }
    assert {r["role"]: r["count"] for r in app.query(MESSAGES_BY_ROLE)} == {
        "user": "2",
        "assistant": "1",
    }
    assert {r["voice"]: r["count"] for r in app.query(VOICES)} == {"alloy": "3", "verse": "1"}


def test_times_the_app_writes_and_reads_are_the_same_instants_in_denver(app, owner):
    """The app's SQL says TIMESTAMP; here times are timestamptz, shown in its session's zone."""
    session_id = create_session(app, None)
    for moment in (
        datetime(2025, 12, 20, 3, 30, tzinfo=MOUNTAIN_STANDARD),  # a Date of its Denver clock
        datetime(2025, 7, 1, 12, 0, tzinfo=UTC),  # an ISO string in UTC, in summer time
    ):
        log_message(app, session_id, "user", "x", created_at=moment)
    read = [m["created_at"] for m in app.query(THERAPIST_MESSAGES, session_id)]
    assert read == ["2025-07-01 06:00:00-06", "2025-12-20 03:30:00-07"]
    stored = owner.scalars(sa.text("SELECT created_at FROM therapy.messages ORDER BY created_at"))
    assert stored.all() == [
        datetime(2025, 7, 1, 12, tzinfo=UTC),
        datetime(2025, 12, 20, 10, 30, tzinfo=UTC),
    ]


@pytest.mark.calendar
def test_connect_pg_simple_stores_web_logins_under_the_apps_login(app):
    now = int(time.time())
    sess = '{"cookie":{"originalMaxAge":86400000},"userId":7}'
    assert app.query(CONNECT_PG_SIMPLE["set"], sess, now + 3600, "sid-1") == [{"sid": "sid-1"}]
    assert '"userId": 7' in app.one(CONNECT_PG_SIMPLE["get"], "sid-1", now)["sess"]
    assert app.query(CONNECT_PG_SIMPLE["touch"], now + 7200, "sid-1") == [{"sid": "sid-1"}]
    app.query(CONNECT_PG_SIMPLE["destroy"], "sid-1")
    assert app.query(CONNECT_PG_SIMPLE["get"], "sid-1", now) == []
