"""The therapy context at head: sessions, messages, the read-only log, redaction, login sessions."""

import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest
import sqlalchemy as sa
from psycopg.pq import ExecStatus
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, ProgrammingError
from sqlalchemy.orm import Session

from app.operations import privacy
from app.runtime.models.identity import User, UserSession
from app.runtime.models.therapy import (
    RESEARCHER_ROLE,
    THERAPIST_ROLE,
    ConversationLog,
    SessionConfiguration,
    TherapyMessage,
    TherapySession,
)
from app.runtime.queries import therapy
from tests.support import database_url


@pytest.fixture
def person(session: Session) -> User:
    """One of the app's users: a person with its login and its key (`userid`)."""
    return therapy.create_user(
        session,
        username=f"client-{uuid.uuid4().hex[:8]}",
        password_hash="$2b$12$placeholder",
        role="participant",
    )


def count_statements(engine: Engine):
    statements = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    return statements


def test_new_session_is_active_with_the_apps_default_configuration(session, person):
    created = therapy.create_session(session, user_id=person.userid)
    session.commit()
    assert created.status == "active" and created.ended_at is None
    config = therapy.get_session_details(session, created.session_id).configuration
    assert (config.voice, config.modalities, config.temperature) == (
        "alloy",
        ["text", "audio"],
        Decimal("0.80"),
    )
    assert config.max_response_output_tokens == 4096


def test_session_configuration_can_be_chosen_at_creation(session):
    created = therapy.create_session(
        session,
        session_name="Evening check-in",
        voice="verse",
        modalities=["text"],
        temperature=1.1,
    )
    assert created.user_id is None  # anonymous
    assert (created.configuration.voice, created.configuration.modalities) == ("verse", ["text"])


def test_user_sessions_are_listed_newest_first_and_only_theirs(session, person):
    for day in (3, 1, 2):
        session.add(
            TherapySession(user_id=person.userid, created_at=datetime(2025, 1, day, tzinfo=UTC))
        )
    session.add(TherapySession(user_id=None))
    session.flush()
    listed = therapy.list_user_sessions(session, person.userid)
    assert [s.created_at.day for s in listed] == [3, 2, 1]


def test_session_details_come_in_one_round_trip_with_messages_in_order(session, engine, person):
    created = therapy.create_session(session, user_id=person.userid)
    for second, text in ((30, "third"), (10, "first"), (20, "second")):
        therapy.add_message(
            session,
            created.session_id,
            role="user",
            content=text,
            content_redacted=text,
            message_type="voice",
        )
        session.flush()
        session.execute(
            sa.update(TherapyMessage)
            .where(TherapyMessage.content == text)
            .values(created_at=datetime(2025, 1, 1, 12, 0, second, tzinfo=UTC))
        )
    session_id = created.session_id
    session.commit()
    session.expunge_all()

    statements = count_statements(engine)
    details = therapy.get_session_details(session, session_id)
    assert len(statements) == 1
    assert [m.content for m in details.messages] == ["first", "second", "third"]
    assert details.configuration.voice == "alloy"
    assert therapy.get_session_details(session, uuid.uuid4()) is None


def test_ending_a_session_twice_is_harmless(session, person):
    created = therapy.create_session(session, user_id=person.userid)
    session.commit()
    ended = therapy.end_session(session, created.session_id)
    session.commit()
    assert ended.status == "ended" and ended.ended_at is not None
    first_end = ended.ended_at

    again = therapy.end_session(session, created.session_id)
    assert (again.status, again.ended_at) == ("ended", first_end)
    assert therapy.end_session(session, uuid.uuid4()) is None


def test_naming_a_session_keeps_updated_at_current(session):
    created = TherapySession(updated_at=datetime(2020, 1, 1, tzinfo=UTC))
    session.add(created)
    session.commit()
    therapy.name_session(session, created.session_id, "Coping with work anxiety")
    session.commit()
    session.refresh(created)
    assert created.session_name == "Coping with work anxiety"
    assert created.updated_at > datetime(2020, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        ({"status": "ended"}, "ck_therapy_sessions_ended_at_agrees_with_status"),
        (
            {"ended_at": datetime(2025, 1, 1, tzinfo=UTC)},
            "ck_therapy_sessions_ended_at_agrees_with_status",
        ),
        (
            {"status": "paused", "ended_at": datetime(2025, 1, 1, tzinfo=UTC)},
            "ck_therapy_sessions_status",
        ),
    ],
)
def test_session_status_and_end_time_must_agree(session, change, constraint):
    created = therapy.create_session(session)
    session.commit()
    with pytest.raises(IntegrityError, match=constraint):
        session.execute(
            sa.update(TherapySession)
            .where(TherapySession.session_id == created.session_id)
            .values(**change)
        )


@pytest.mark.parametrize("ended_at", [None, datetime(2025, 1, 1, tzinfo=UTC)])
def test_an_archived_session_keeps_whatever_end_it_had(session, ended_at):
    created = therapy.create_session(session)
    session.commit()
    session.execute(
        sa.update(TherapySession)
        .where(TherapySession.session_id == created.session_id)
        .values(status="archived", ended_at=ended_at)
    )
    session.refresh(created)
    assert (created.status, created.ended_at) == ("archived", ended_at)


@pytest.mark.parametrize(
    ("configuration", "constraint"),
    [
        ({"temperature": Decimal("1.5")}, "ck_session_configurations_temperature"),
        ({"temperature": Decimal("0.1")}, "ck_session_configurations_temperature"),
        ({"modalities": ["text", "video"]}, "ck_session_configurations_modalities"),
        ({"modalities": []}, "ck_session_configurations_modalities"),
        ({"max_response_output_tokens": 0}, "ck_session_configurations_max_response_output_tokens"),
    ],
)
def test_configurations_outside_what_the_realtime_api_accepts_are_refused(
    session, configuration, constraint
):
    with pytest.raises(IntegrityError, match=constraint):
        therapy.create_session(session, **configuration)


def test_a_session_has_one_configuration(session):
    created = therapy.create_session(session)
    session.add(SessionConfiguration(session_id=created.session_id))
    with pytest.raises(IntegrityError, match="uq_session_configurations_session_id"):
        session.flush()


def test_message_roles_are_user_assistant_or_system(session):
    created = therapy.create_session(session)
    with pytest.raises(IntegrityError, match="ck_messages_role"):
        therapy.add_message(
            session, created.session_id, role="tool", content="x", content_redacted="x"
        )


def test_deleting_a_user_keeps_their_sessions_anonymised(session, person):
    created = therapy.create_session(session, user_id=person.userid)
    session.commit()
    session.delete(person)
    session.commit()
    session.refresh(created)
    assert created.user_id is None


def test_deleting_a_session_removes_its_configuration_and_messages(session):
    created = therapy.create_session(session)
    therapy.add_message(
        session, created.session_id, role="user", content="hi", content_redacted="hi"
    )
    session.commit()
    session.execute(
        sa.delete(TherapySession).where(TherapySession.session_id == created.session_id)
    )
    assert session.scalar(sa.select(sa.func.count()).select_from(TherapyMessage)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(SessionConfiguration)) == 0


def test_admin_listing_shows_username_status_and_message_count(session, person):
    mine = therapy.create_session(session, user_id=person.userid, session_name="Sleep")
    therapy.create_session(session)
    for text in ("a", "b"):
        therapy.add_message(
            session, mine.session_id, role="user", content=text, content_redacted=text
        )
    session.flush()
    rows = {row.session_id: row for row in therapy.admin_sessions(session)}
    assert (rows[mine.session_id].username, rows[mine.session_id].message_count) == (
        person.username,
        2,
    )
    assert len(rows) == 2


@pytest.mark.calendar
def test_analytics_counts_sessions_by_status_messages_by_role_and_per_day(session):
    first = therapy.create_session(session)
    second = therapy.create_session(session)
    therapy.end_session(session, second.session_id)
    for role in ("user", "assistant", "user"):
        therapy.add_message(session, first.session_id, role=role, content="x", content_redacted="x")
    session.execute(
        sa.update(TherapySession)
        .where(TherapySession.session_id == first.session_id)
        .values(created_at=datetime(2025, 3, 1, 23, 30, tzinfo=UTC))
    )
    session.flush()

    result = therapy.analytics(session)
    assert result.sessions_by_status == {"active": 1, "ended": 1}
    assert result.messages_by_role == {"user": 2, "assistant": 1}
    assert result.daily[0] == therapy.DailyActivity(datetime(2025, 3, 1).date(), 1, 0)
    assert sum(day.messages for day in result.daily) == 3
    later = therapy.analytics(session, since=datetime(2025, 6, 1, tzinfo=UTC))
    assert later.sessions_by_status == {"ended": 1}


def test_conversation_log_refuses_writes_even_from_a_superuser(session):
    with pytest.raises(DBAPIError, match=r"INSERT on therapy\.conversation_logs refused"):
        session.add(ConversationLog(session_id="s", role="user", message_type="chat"))
        session.flush()


# -- connect-pg-simple ---------------------------------------------------------------------------

TABLE = '"public"."user_sessions"'  # the store's quotedTable() for schemaName/tableName
CONNECT_PG_SIMPLE = {  # its statements, verbatim (lib index.js)
    "set": f"INSERT INTO {TABLE} (sess, expire, sid) SELECT $1, to_timestamp($2), $3 "
    "ON CONFLICT (sid) DO UPDATE SET sess=$1, expire=to_timestamp($2) RETURNING sid",
    "get": f"SELECT sess FROM {TABLE} WHERE sid = $1 AND expire >= to_timestamp($2)",
    "touch": f"UPDATE {TABLE} SET expire = to_timestamp($1) WHERE sid = $2 RETURNING sid",
    "destroy": f"DELETE FROM {TABLE} WHERE sid = $1",
    "prune": f"DELETE FROM {TABLE} WHERE expire < to_timestamp($1)",
}


@pytest.mark.calendar
def test_connect_pg_simple_statements_work_on_user_sessions(engine):
    """Run the library's statements as node-postgres sends them: untyped text parameters."""
    with psycopg.connect(dbname=engine.url.database, user="postgres", autocommit=True) as conn:

        def store(name: str, *params) -> list[tuple]:
            result = conn.pgconn.exec_params(
                CONNECT_PG_SIMPLE[name].encode(), [str(p).encode() for p in params]
            )
            assert result.status in (ExecStatus.TUPLES_OK, ExecStatus.COMMAND_OK), (
                result.get_error_message()
            )
            return [
                tuple(result.get_value(row, col).decode() for col in range(result.nfields))
                for row in range(result.ntuples)
            ]

        now = int(time.time())
        sess = '{"cookie":{"originalMaxAge":86400000,"httpOnly":true},"userId":"42"}'
        assert store("set", sess, now + 3600, "sid-1") == [("sid-1",)]
        assert store("set", sess.replace("42", "43"), now + 3600, "sid-1") == [("sid-1",)]
        assert '"userId": "43"' in store("get", "sid-1", now)[0][0]
        assert store("touch", now + 7200, "sid-1") == [("sid-1",)]
        assert store("get", "sid-1", now + 5000) != []

        store("set", sess, now - 10, "sid-expired")
        assert store("get", "sid-expired", now) == []
        store("prune", now)
        store("destroy", "sid-1")
        remaining = conn.execute("SELECT count(*) FROM public.user_sessions").fetchone()[0]
        assert remaining == 0


# -- role-based redaction ------------------------------------------------------------------------


@pytest.fixture
def login(engine: Engine):
    """`login(group_role)`: an engine connected as a new login that is a member of the group."""
    names, engines = [], []

    def make(group: str) -> Engine:
        name = f"login_{uuid.uuid4().hex[:12]}"
        with engine.begin() as connection:
            connection.execute(sa.text(f"CREATE ROLE {name} LOGIN IN ROLE {group}"))
        names.append(name)
        engines.append(sa.create_engine(database_url(engine.url.database, user=name)))
        return engines[-1]

    yield make
    for made in engines:
        made.dispose()
    with engine.begin() as connection:
        for name in names:
            connection.execute(sa.text(f"DROP ROLE {name}"))


@pytest.fixture
def spoken(session) -> TherapySession:
    created = therapy.create_session(session, session_name="About my mother")
    therapy.add_message(
        session,
        created.session_id,
        role="user",
        content="My mother Ruth Alvarez was diagnosed in March.",
        content_redacted="My mother [NAME] was diagnosed in [DATE].",
    )
    session.commit()
    return created


def test_researcher_is_refused_original_content_but_reads_the_redacted_view(login, spoken):
    with login(RESEARCHER_ROLE).connect() as researcher:
        with pytest.raises(ProgrammingError, match="permission denied for table messages"):
            researcher.execute(sa.text("SELECT content FROM therapy.messages"))
        researcher.rollback()
        with pytest.raises(ProgrammingError, match="permission denied for table therapy_sessions"):
            researcher.execute(sa.text("SELECT session_name FROM therapy.therapy_sessions"))
        researcher.rollback()
        redacted = researcher.execute(
            sa.text("SELECT content_redacted FROM therapy.messages_redacted")
        ).scalars()
        assert list(redacted) == ["My mother [NAME] was diagnosed in [DATE]."]
        statuses = researcher.execute(sa.text("SELECT status FROM therapy.sessions_redacted"))
        assert statuses.scalars().all() == ["active"]


def test_therapist_reads_original_content(login, spoken):
    with login(THERAPIST_ROLE).connect() as therapist:
        content = therapist.execute(sa.text("SELECT content FROM therapy.messages")).scalar()
    assert content == "My mother Ruth Alvarez was diagnosed in March."


def test_exports_are_read_with_the_readers_database_privileges(session, spoken):
    researcher_rows = therapy.export_messages(session, reader="researcher")
    assert [row["content_redacted"] for row in researcher_rows] == [
        "My mother [NAME] was diagnosed in [DATE]."
    ]
    assert all("content" not in row for row in researcher_rows)
    therapist_rows = therapy.export_messages(
        session, reader="therapist", session_id=spoken.session_id
    )
    assert therapist_rows[0]["content"] == "My mother Ruth Alvarez was diagnosed in March."
    with pytest.raises(ValueError, match="not 'participant'"):
        therapy.export_messages(session, reader="participant")
    assert session.scalar(sa.text("SELECT current_user")) == "postgres"  # role reset afterwards


def test_a_researcher_export_cannot_reach_original_content_even_by_mistake(session, spoken):
    """If the export query ever named the table instead of the view, the database refuses."""
    refused = pytest.raises(ProgrammingError, match="permission denied for table messages")
    with refused, session.begin_nested():
        session.execute(sa.text(f"SET LOCAL ROLE {RESEARCHER_ROLE}"))
        session.execute(sa.text("SELECT content FROM therapy.messages"))


# -- a person by the app's key --------------------------------------------------------------------


def test_a_person_is_found_by_the_apps_userid(session, person):
    found = privacy.find_person(session, str(person.userid))
    assert found.id == person.id
    with pytest.raises(privacy.PersonNotFoundError, match="the AI therapist's userid"):
        privacy.find_person(session, str(person.userid + 1000))


def test_erasing_one_of_the_apps_users_takes_their_sessions_and_the_web_logins_holding_userid(
    session, person
):
    talk = therapy.create_session(session, user_id=person.userid)
    therapy.add_message(session, talk.session_id, role="user", content="hi", content_redacted="hi")
    for sid, key in (("theirs", person.userid), ("as-text", str(person.userid)), ("other", 99)):
        session.add(
            UserSession(sid=sid, sess={"user": {"userid": key}}, expire=datetime(2030, 1, 1))
        )
    session.commit()

    erasure = privacy.erase(session, privacy.find_person(session, person.username))
    assert erasure.deleted["therapy.therapy_sessions"] == 1
    assert erasure.deleted["therapy.messages"] == 1
    assert erasure.deleted["public.user_sessions"] == 2
    assert session.scalars(sa.select(UserSession.sid)).all() == ["other"]
