"""A pytest plugin for services that test against this package's database:
`pytest -p app.runtime.testing` (or `pytest_plugins = ["app.runtime.testing"]` in a conftest).
Needs the `testing` extra.

Every test that asks gets a fresh database at head, cloned from a template migrated once per
session (about 25 ms a clone on tmpfs), and dropped after it:

- `therapy_db_engine` / `therapy_db_session`: sync (psycopg2);
- `therapy_db_async_engine` / `therapy_db_async_session`: async (asyncpg), in the test's own
  event loop (an async test runner such as pytest-asyncio or anyio);
- `therapy_db_databases.at(revision)`: a fresh database at any revision, as a context manager.

The server is a throwaway embedded PostgreSQL for the session (data on tmpfs where /dev/shm is
writable, durability off), or the server `--therapy-db-url` (or THERAPY_DB_TEST_URL) names, on
which databases are created and dropped and nothing else is touched.
"""

import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from psycopg import sql
from pytest_postgresql.janitor import DatabaseJanitor
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session

URL_OPTION = "--therapy-db-url"
URL_VARIABLE = "THERAPY_DB_TEST_URL"


@dataclass(frozen=True)
class Server:
    """Where test databases are made: host (a unix socket's directory, or a name), port, login."""

    host: str
    port: int = 5432
    user: str = "postgres"
    password: str | None = None

    def url(self, database: str, driver: str = "postgresql+psycopg2") -> URL:
        return URL.create(
            driver,
            username=self.user,
            password=self.password,
            database=database,
            **(
                {"query": {"host": self.host}, "port": self.port}
                if self.host.startswith("/")
                else {"host": self.host, "port": self.port}
            ),
        )


class CloneJanitor(DatabaseJanitor):
    """pytest-postgresql's janitor, cloning templates with STRATEGY FILE_COPY.

    On tmpfs with durability off, a file copy of a template takes about half the time of the
    default WAL_LOG strategy (`make bench` measures both).
    """

    def _build_create_database_sql(self) -> sql.Composed:
        query = super()._build_create_database_sql()
        return query + sql.SQL(" STRATEGY FILE_COPY") if self.template_dbname else query


def migrate_to(engine: Engine, revision: str) -> None:
    """`alembic upgrade revision` on `engine`'s database, with the installed history."""
    import alembic.command

    from app.operations.history import History

    config = History().config
    config.attributes.update(connection=engine, configure_logger=False)
    alembic.command.upgrade(config, revision)


class Databases:
    """Fresh databases at any revision of the history, on one server.

    Each revision's template is migrated once, on first use; every `at()` clones it and drops the
    clone afterwards. Safe to use inside hypothesis examples:

        with databases.at("head") as engine:
            ...
    """

    def __init__(self, server: Server, migrate: Callable[[Engine, str], None] = migrate_to):
        self.server, self.migrate = server, migrate
        self._templates: dict[str, CloneJanitor] = {}
        self._names = itertools.count()
        self._prefix = f"t{os.getpid()}"

    def _janitor(self, **kwargs) -> CloneJanitor:
        return CloneJanitor(
            user=self.server.user,
            host=self.server.host,
            port=self.server.port,
            password=self.server.password,
            **kwargs,
        )

    def template(self, revision: str) -> str:
        """The name of a template database migrated to `revision` ("base": empty)."""
        if revision not in self._templates:
            name = f"template_{self._prefix}_{revision.replace('@', '_').replace('-', '_')}"
            janitor = self._janitor(dbname=name, as_template=True)
            janitor.init()
            self._templates[revision] = janitor
            if revision != "base":
                engine = sa.create_engine(self.server.url(name), poolclass=sa.NullPool)
                try:
                    self.migrate(engine, revision)
                finally:
                    engine.dispose()
        return self._templates[revision].dbname

    @contextmanager
    def at(self, revision: str = "head") -> Iterator[Engine]:
        with self.copy(self.template(revision)) as engine:
            yield engine

    @contextmanager
    def copy(self, database: str) -> Iterator[Engine]:
        """A fresh copy of `database`, dropped afterwards; nobody may be connected to the original
        meanwhile (engines of this class hold no connection between uses)."""
        name = f"test_{self._prefix}_{next(self._names)}"
        with self._janitor(dbname=name, template_dbname=database):
            engine = sa.create_engine(self.server.url(name), poolclass=sa.NullPool)
            try:
                yield engine
            finally:
                engine.dispose()

    def close(self) -> None:
        for janitor in self._templates.values():
            janitor.drop()


# -- the plugin ------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        URL_OPTION,
        default=os.environ.get(URL_VARIABLE),
        help="a PostgreSQL server for therapy-db's test databases (default: an embedded one)",
    )


@contextmanager
def embedded_server(durable: bool = False) -> Iterator[Server]:
    """A throwaway embedded server for as long as the block runs (on tmpfs unless `durable`)."""
    from app.runtime import embedded

    shm = Path("/dev/shm")
    in_memory = shm.is_dir() and os.access(shm, os.W_OK) and not durable
    workdir = Path(tempfile.mkdtemp(prefix="therapy-db-tests-", dir=shm if in_memory else None))
    server = embedded.start(workdir / "pgdata", delete_on_release=True)
    try:
        server.make_non_durable()
        yield Server(host=str(server.socket_dir), user=embedded.SUPERUSER)
    finally:
        server.release()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def therapy_db_server(request: pytest.FixtureRequest) -> Iterator[Server]:
    given = request.config.getoption(URL_OPTION)
    if given:
        from app.runtime.db import parse_database_url

        url = parse_database_url(given, source=URL_OPTION)
        host = url.host or url.query.get("host") or "localhost"
        yield Server(str(host), url.port or 5432, url.username or "postgres", url.password)
        return
    with embedded_server() as server:
        yield server


@pytest.fixture(scope="session")
def therapy_db_databases(therapy_db_server: Server) -> Iterator[Databases]:
    databases = Databases(therapy_db_server)
    yield databases
    databases.close()


@pytest.fixture
def therapy_db_engine(therapy_db_databases: Databases) -> Iterator[Engine]:
    """A fresh database at head, for this test only."""
    with therapy_db_databases.at("head") as engine:
        yield engine


@pytest.fixture
def therapy_db_session(therapy_db_engine: Engine) -> Iterator[Session]:
    with Session(therapy_db_engine) as session:
        yield session


@pytest.fixture
async def therapy_db_async_engine(therapy_db_engine: Engine) -> AsyncIterator:
    """The same fresh database through the async driver (in the test's event loop)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from app.runtime.db import async_url

    engine = create_async_engine(async_url(therapy_db_engine.url), poolclass=sa.NullPool)
    yield engine
    await engine.dispose()


@pytest.fixture
async def therapy_db_async_session(therapy_db_async_engine) -> AsyncIterator:
    from sqlalchemy.ext.asyncio import AsyncSession

    async with AsyncSession(therapy_db_async_engine) as session:
        yield session
