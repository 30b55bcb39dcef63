"""alembic/env.py: which database it migrates, how it fails, offline SQL, concurrent runs."""

import alembic.command
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from app.operations.history import alembic_config, current_heads
from app.runtime.settings import Settings
from app.toolkit.migration_session import (
    MIGRATION_LOCK_KEY,
    MigrationLockTimeoutError,
    migration_session,
)
from tests.support import ROOT, database_url, run_alembic

UNREACHABLE_URL = "postgresql://owner:s3cret-pw@127.0.0.1:9/nowhere"


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    return ", ".join(current_heads(engine)) or None


class WrappedConnection:
    """Not an Engine, not a Connection: just something with connect(), as some callers pass."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def connect(self):
        return self.engine.connect()


@pytest.mark.parametrize("kind", ["connection", "engine", "object with connect()"])
def test_handed_in_connectable_is_migrated_and_settings_url_ignored(
    kind, empty_engine: Engine, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE_URL)
    if kind == "connection":
        with empty_engine.begin() as connection:
            alembic.command.upgrade(alembic_config(connection), "head")
    else:
        connectable = empty_engine if kind == "engine" else WrappedConnection(empty_engine)
        alembic.command.upgrade(alembic_config(connectable), "head")
    assert current_revision(empty_engine) == head()


def test_x_url_overrides_database_url(empty_engine: Engine):
    url = database_url(empty_engine.url.database).render_as_string(hide_password=False)
    result = run_alembic("-x", f"url={url}", "upgrade", "head", DATABASE_URL=UNREACHABLE_URL)
    assert result.returncode == 0, result.stderr
    assert current_revision(empty_engine) == head()


@pytest.mark.parametrize(
    ("database_url", "message"),
    [
        ("not a url at all", "DATABASE_URL is not a database URL"),
        ("mysql://owner:s3cret-pw@db.example/app", "DATABASE_URL must point to PostgreSQL"),
        ("postgresql://owner:s3cret-pw@127.0.0.1:9", "DATABASE_URL names no database"),
        (UNREACHABLE_URL, "cannot connect to PostgreSQL at 127.0.0.1:9/nowhere"),
    ],
)
def test_bad_database_url_is_one_clear_line_without_the_password(database_url, message):
    result = run_alembic("upgrade", "head", DATABASE_URL=database_url)
    assert_failed_clearly(result, message)
    assert "s3cret-pw" not in result.stderr + result.stdout


def test_unknown_revision_is_a_clear_error(empty_engine: Engine):
    url = database_url(empty_engine.url.database).render_as_string(hide_password=False)
    result = run_alembic("-x", f"url={url}", "upgrade", "coaching_phase9")
    assert_failed_clearly(result, "Can't locate revision identified by 'coaching_phase9'")


def test_alembic_check_is_clean_at_head(engine: Engine):
    alembic.command.check(alembic_config(engine))


def test_offline_mode_renders_the_whole_history_without_a_server(tmp_path):
    pgdata = tmp_path / "pgdata"
    upgrade = run_alembic("upgrade", "head", "--sql", THERAPY_DB_PGDATA=str(pgdata))
    assert upgrade.returncode == 0, upgrade.stderr
    assert "CREATE SCHEMA therapy;" in upgrade.stdout
    assert "CREATE TABLE public.users" in upgrade.stdout
    assert f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY});" in upgrade.stdout
    assert "INSERT INTO alembic_version (version_num) VALUES ('platform')" in upgrade.stdout

    downgrade = run_alembic("downgrade", f"{head()}:base", "--sql", THERAPY_DB_PGDATA=str(pgdata))
    assert downgrade.returncode == 0, downgrade.stderr
    assert "DROP TABLE public.users;" in downgrade.stdout
    assert not pgdata.exists(), "offline mode started the embedded server"


def test_migration_session_holds_lock_and_timeouts_then_restores_them(empty_engine: Engine):
    settings = Settings(
        _env_file=None, migration_lock_timeout="3s", migration_statement_timeout="7min"
    )
    with empty_engine.connect() as connection, empty_engine.connect() as other:
        with migration_session(connection, settings):
            assert connection.scalar(sa.text("SHOW lock_timeout")) == "3s"
            assert connection.scalar(sa.text("SHOW statement_timeout")) == "7min"
            assert connection.scalar(sa.text("SHOW client_connection_check_interval")) == "1s"
            assert connection.scalar(sa.text("SHOW application_name")) == "therapy-db migration"
            assert not try_migration_lock(other)
        assert connection.scalar(sa.text("SHOW lock_timeout")) == "0"
        assert connection.scalar(sa.text("SHOW statement_timeout")) == "0"
        assert connection.scalar(sa.text("SHOW client_connection_check_interval")) == "0"
        assert connection.scalar(sa.text("SHOW application_name")) == ""
        assert try_migration_lock(other)


def test_waiting_too_long_for_another_run_is_a_clear_error(empty_engine: Engine):
    settings = Settings(_env_file=None, migration_lock_wait="200ms")
    with empty_engine.connect() as holder, empty_engine.connect() as connection:
        assert try_migration_lock(holder)
        expected = "held the migration lock for over 200ms"
        with (
            pytest.raises(MigrationLockTimeoutError, match=expected),
            migration_session(connection, settings),
        ):
            pass


def try_migration_lock(connection) -> bool:
    return connection.scalar(
        sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
    )


def test_revision_ids_must_be_readable():
    result = run_alembic("revision", "-m", "unnamed change")
    assert_failed_clearly(result, "give the revision a readable id")
    assert not list((ROOT / "alembic" / "versions").glob("*unnamed*"))


def assert_failed_clearly(result, message: str) -> None:
    """Alembic's own failure form: exit status 255 and one `FAILED: ...` line, no traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    failures = [line for line in result.stdout.splitlines() if line.startswith("FAILED:")]
    assert len(failures) == 1 and message in failures[0], result.stdout + result.stderr


def test_a_statement_the_database_refuses_is_one_clear_line(empty_engine: Engine):
    """A database that already has a schema of one of ours belongs to someone else: refused."""
    with empty_engine.begin() as connection:
        connection.execute(sa.text("CREATE SCHEMA therapy"))
    url = database_url(empty_engine.url.database).render_as_string(hide_password=False)
    result = run_alembic("-x", f"url={url}", "upgrade", "head")
    assert_failed_clearly(
        result, 'the migration stopped and rolled back: schema "therapy" already exists'
    )
    with empty_engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT to_regclass('public.users')")) is None
