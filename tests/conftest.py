"""Fixtures: one throwaway embedded server per session, databases cloned per test.

The server's data directory lives on tmpfs when /dev/shm is writable, with durability off: creating
a database there is about ten times faster. Two template databases are prepared once per session
(pytest-postgresql's janitor, as its noproc fixtures do), one migrated to head and one empty, and
every test that asks for a database gets a fresh clone.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import alembic.command
import pytest
import sqlalchemy as sa
from pytest_postgresql.executors.noop import NoopExecutor
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app import embedded
from tests.support import ROOT, CloneJanitor, database_url, migration_config


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[embedded.EmbeddedServer]:
    shm = Path("/dev/shm")
    parent = shm if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path_factory.getbasetemp()
    workdir = Path(tempfile.mkdtemp(prefix="therapy-db-tests-", dir=parent))
    server = embedded.start(workdir / "pgdata", delete_on_release=True)
    previous_pghost = os.environ.get("PGHOST")
    os.environ["PGHOST"] = str(server.socket_dir)  # for this process and every one it starts
    try:
        server.make_non_durable()
        yield server
    finally:
        server.release()
        shutil.rmtree(workdir, ignore_errors=True)
        if previous_pghost is None:
            os.environ.pop("PGHOST", None)
        else:
            os.environ["PGHOST"] = previous_pghost


def _template(server: embedded.EmbeddedServer, name: str, load=()) -> Iterator[NoopExecutor]:
    executor = NoopExecutor(
        host=str(server.socket_dir), port=5432, user=embedded.SUPERUSER, options="", dbname=name
    )
    janitor = CloneJanitor(
        user=executor.user,
        host=executor.host,
        port=executor.port,
        dbname=executor.template_dbname,
        as_template=True,
    )
    with janitor:
        for loader in load:
            janitor.load(loader)
        yield executor


def upgrade_to_head(*, user: str, dbname: str, password: str | None, **_) -> None:
    engine = sa.create_engine(database_url(dbname, user, password), poolclass=sa.NullPool)
    try:
        alembic.command.upgrade(migration_config(engine), "head")
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def head_template(pg_server) -> Iterator[NoopExecutor]:
    """A template database migrated to head, once per session."""
    yield from _template(pg_server, "head", load=[upgrade_to_head])


@pytest.fixture(scope="session")
def empty_template(pg_server) -> Iterator[NoopExecutor]:
    yield from _template(pg_server, "empty")


def _clone(template: NoopExecutor) -> Iterator[Engine]:
    """A fresh database cloned from `template` for one test, dropped after it."""
    with CloneJanitor(
        user=template.user,
        host=template.host,
        port=template.port,
        dbname=template.dbname,
        template_dbname=template.template_dbname,
    ):
        engine = sa.create_engine(database_url(template.dbname), poolclass=sa.NullPool)
        yield engine
        engine.dispose()


@pytest.fixture
def engine(head_template) -> Iterator[Engine]:
    """An engine on a fresh database at head."""
    yield from _clone(head_template)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@pytest.fixture
def empty_engine(empty_template) -> Iterator[Engine]:
    """An engine on a fresh, empty database: for tests that migrate it themselves."""
    yield from _clone(empty_template)


# pytest-alembic: its tests run against a fresh empty database with the project's alembic.ini.
@pytest.fixture
def alembic_engine(empty_engine: Engine) -> Engine:
    return empty_engine


@pytest.fixture
def alembic_config() -> dict:
    return {"file": str(ROOT / "alembic.ini")}
