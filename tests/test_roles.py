"""Least privilege, proven by logging in as each kind of role.

The database is owned by a migration owner who is neither superuser nor CREATEROLE and runs the
whole history; a DBA did what only a DBA can, once per server: the group roles, and pgvector
(not a trusted extension). The application and an analyst log in with their group roles.
"""

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from app.contexts import CONTEXTS
from app.runtime.queries import clinic, therapy
from tests.clinic_staff import add_staff_member
from tests.support import database_url, run_alembic

SECRET = "owner-s3cret"
GROUP_ROLES = (
    "therapy_db_therapist",
    "therapy_db_researcher",
    "therapy_db_app",
    "therapy_db_analyst",
)
CREATE_ROLE_ONCE = """
DO $$ BEGIN CREATE ROLE {role} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$
"""


@pytest.fixture(scope="module")
def owned(pg_server):
    """A database owned by a new non-superuser login, migrated to head by that login."""
    suffix = uuid.uuid4().hex[:10]
    owner, app, analyst, dbname = (f"{kind}_{suffix}" for kind in ("owner", "app", "analyst", "db"))
    admin = sa.create_engine(database_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for role in GROUP_ROLES:
            connection.execute(sa.text(CREATE_ROLE_ONCE.format(role=role)))
        connection.execute(sa.text("GRANT therapy_db_researcher TO therapy_db_analyst"))
        connection.execute(sa.text(f"CREATE ROLE {owner} LOGIN PASSWORD '{SECRET}'"))
        connection.execute(sa.text(f"CREATE DATABASE {dbname} OWNER {owner}"))
    superuser = sa.create_engine(database_url(dbname), isolation_level="AUTOCOMMIT")
    with superuser.connect() as connection:  # the DBA's part: pgvector is not a trusted extension
        connection.execute(sa.text("CREATE EXTENSION vector"))
    superuser.dispose()

    url = database_url(dbname, user=owner, password=SECRET).render_as_string(hide_password=False)
    migrated = run_alembic("-x", f"url={url}", "upgrade", "head")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE ROLE {app} LOGIN IN ROLE therapy_db_app"))
        connection.execute(sa.text(f"CREATE ROLE {analyst} LOGIN IN ROLE therapy_db_analyst"))
    engines = {
        role: sa.create_engine(database_url(dbname, user=login), poolclass=sa.NullPool)
        for role, login in (("owner", owner), ("app", app), ("analyst", analyst))
    }
    yield migrated, engines
    for engine in engines.values():
        engine.dispose()
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE {dbname} WITH (FORCE)"))
        for login in (app, analyst, owner):
            connection.execute(sa.text(f"DROP ROLE {login}"))
    admin.dispose()


def refused(engine: Engine, statement: str) -> str:
    with engine.connect() as connection, pytest.raises(ProgrammingError) as error:
        connection.execute(sa.text(statement))
    return str(error.value.orig)


def test_a_non_superuser_owner_migrates_the_whole_history_without_showing_its_password(owned):
    migrated, _ = owned
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert SECRET not in migrated.stdout + migrated.stderr


def test_the_application_reads_and_writes_its_tables(owned):
    _, engines = owned
    with Session(engines["app"]) as session:
        created = therapy.create_session(session)
        therapy.add_message(
            session, created.session_id, role="user", content="hi", content_redacted="hi"
        )
        session.commit()
        assert session.scalar(sa.text("SELECT version_num FROM alembic_version"))


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("CREATE TABLE therapy.mine (id int)", "permission denied for schema therapy"),
        ("CREATE TABLE public.mine (id int)", "permission denied for schema public"),
        ("ALTER TABLE therapy.messages ADD COLUMN x int", "must be owner of table messages"),
        ("DROP TABLE chat.messages", "must be owner of table messages"),
        ("CREATE INDEX ON coaching.messages (content)", "must be owner of table messages"),
        (
            "SELECT * FROM coaching.migration_rejects",
            "permission denied for table migration_rejects",
        ),
        (
            "SELECT * FROM memory.conversation_messages_rejected",
            "permission denied for table conversation_messages_rejected",
        ),
        ("UPDATE auth.audit_log SET note = 'x'", "permission denied for table audit_log"),
        ("DELETE FROM auth.audit_log", "permission denied for table audit_log"),
        ("SELECT * FROM auth.audit_log_default", "permission denied for table audit_log_default"),
        ("DELETE FROM therapy.conversation_logs", "permission denied for table conversation_logs"),
        (
            "UPDATE alembic_version SET version_num = 'x'",
            "permission denied for table alembic_version",
        ),
    ],
)
def test_the_application_cannot_change_the_schema_or_reach_what_is_not_its(
    owned, statement, refusal
):
    _, engines = owned
    assert refusal in refused(engines["app"], statement)


@pytest.mark.calendar
def test_audit_rows_are_append_only_for_the_application(owned):
    _, engines = owned
    with Session(engines["owner"]) as setup:
        member = add_staff_member(setup, f"staff-{uuid.uuid4().hex[:6]}")
        setup.commit()
        member_id = member.id_usuario
    with Session(engines["app"]) as session:
        clinic.record_api_request(
            session,
            method="GET",
            endpoint="/pacientes",
            tabla_afectada="pacientes",
            usuario_id=member_id,
            session_id="s-1",
        )
        session.commit()
        assert len(clinic.audit_trail(session, session_id="s-1")) == 1
        assert (
            clinic.maintain_audit_log_partitions(session, months_ahead=1) >= 0
        )  # its owner's rights


@pytest.mark.parametrize(
    "table",
    [
        "therapy.messages",
        "therapy.therapy_sessions",
        "public.users",
        "coaching.messages",
        "chat.messages",
        "auth.voice_transcripts",
        "auth.audit_log",
    ],
)
def test_the_analyst_is_refused_anything_but_redacted_data(owned, table):
    _, engines = owned
    assert "permission denied" in refused(engines["analyst"], f"SELECT * FROM {table} LIMIT 1")


def test_the_analyst_reads_the_redacted_views_and_the_metrics(owned):
    _, engines = owned
    with engines["analyst"].connect() as analyst:
        for view in (
            "therapy.messages_redacted",
            "therapy.sessions_redacted",
            "coaching.engagement_analytics",
            "chat.metrics",
        ):
            analyst.execute(sa.text(f"SELECT * FROM {view} LIMIT 1"))


# -- each source system's own login ---------------------------------------------------------------


@pytest.mark.parametrize("context", CONTEXTS, ids=[c.login for c in CONTEXTS])
def test_each_systems_login_finds_its_own_schema_first_with_the_applications_rights(
    logins_database: Engine, context
):
    login = sa.create_engine(database_url(logins_database.url.database, user=context.login))
    try:
        with login.connect() as connection:
            assert connection.scalar(sa.text("SHOW search_path")) == f"{context.schema}, public"
            assert connection.scalar(sa.text("SELECT pg_has_role('therapy_db_app', 'MEMBER')"))
        assert "must be owner" in refused(login, "DROP TABLE public.users")
    finally:
        login.dispose()


def test_an_owner_without_createrole_is_told_what_a_dba_must_do_for_the_system_logins(owned):
    """The owner may not set another role's search_path: the migration says what a DBA runs."""
    migrated, _ = owned
    for context in CONTEXTS:  # the whole setup, or (the login exists already) its search_path
        told = [line for line in migrated.stderr.splitlines() if "a DBA must run once" in line]
        assert any(
            f"ALTER ROLE {context.login} IN DATABASE db_" in line
            and f"SET search_path = {context.schema}, public" in line
            for line in told
        ), told


def test_verify_reports_a_system_login_without_its_search_path_here(engine: Engine):
    """A database cloned from a template (as `engine` is) does not inherit per-database role
    settings: verify says what to run."""
    from tests.test_cli import therapy_db

    result = therapy_db(engine, "verify")
    assert result.exit_code == 1
    assert (
        f"therapy_db_ai_therapist IN DATABASE {engine.url.database} "
        "SET search_path = therapy, public" in result.output
    )


@pytest.mark.parametrize("login", ["therapy_db_discord_bot", "therapy_db_health_coach"])
def test_the_bots_and_the_coachs_logins_run_in_utc_as_their_databases_did(
    logins_database: Engine, login: str
):
    engine = sa.create_engine(database_url(logins_database.url.database, user=login))
    try:
        with engine.connect() as connection:
            assert connection.scalar(sa.text("SHOW timezone")) == "UTC"
    finally:
        engine.dispose()
