"""Fixtures: one throwaway embedded server per session, databases cloned per test.

The fixtures services use (app/runtime/testing.py, the plugin `pytest -p app.runtime.testing`)
are this suite's too: `engine` and `session` are the plugin's `therapy_db_engine` and
`therapy_db_session`, on this session's server, so every test here exercises them.

The server's data directory lives on tmpfs when /dev/shm is writable, with durability off: creating
a database there is about ten times faster (`make soak` keeps it on disk: its copies of bulk data
take gigabytes). Template databases are migrated once per session (pytest-postgresql's janitor,
as its noproc fixtures do) and every test that asks for a database gets a fresh clone of one:
`engine` (head), `empty_engine` (nothing), or `databases.at(revision)`.
"""

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

# Round-trip data modules assert with plain `assert`: have pytest explain their failures too. The
# plugin (app.runtime.testing) is imported here before pytest loads it as one: rewritten alike.
pytest.register_assert_rewrite(
    "tests.migrations.data", "tests.migrations.roundtrip", "app.runtime.testing"
)

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.runtime import embedded  # noqa: E402
from app.runtime.testing import Databases, Server  # noqa: E402
from tests.clock import Clock  # noqa: E402
from tests.scale import SOAK  # noqa: E402
from tests.support import ROOT, database_url, upgrade  # noqa: E402

pytest_plugins = ["app.runtime.testing"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[embedded.EmbeddedServer]:
    shm = Path("/dev/shm")
    in_memory = shm.is_dir() and os.access(shm, os.W_OK) and not SOAK  # soak data takes GBs
    # Else the system's temporary directory, not pytest's basetemp: pytest deletes all but its
    # three newest basetemps, so three other test runs started during a soak would delete its
    # server's data directory under it.
    parent = shm if in_memory else None
    workdir = Path(tempfile.mkdtemp(prefix="therapy-db-tests-", dir=parent))
    server = embedded.start(workdir / "pgdata", delete_on_release=True)
    previous_pghost = os.environ.get("PGHOST")
    os.environ["PGHOST"] = str(server.socket_dir)  # for this process and every one it starts
    try:
        server.make_non_durable()
        if Clock.of_this_process():
            assert_server_follows_the_moved_clock(server)
        yield server
    finally:
        server.release()
        shutil.rmtree(workdir, ignore_errors=True)
        if previous_pghost is None:
            os.environ.pop("PGHOST", None)
        else:
            os.environ["PGHOST"] = previous_pghost


def assert_server_follows_the_moved_clock(server: embedded.EmbeddedServer) -> None:
    """A server that ignored the preloaded libfaketime would pass the calendar runs unmoved."""
    with closing(server.connect()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT extract(epoch FROM now())")
        skew = abs(float(cursor.fetchone()[0]) - time.time())
    assert skew < 60, f"the test server's clock is {skew:.0f} s from the moved clock"


@pytest.fixture
def clock() -> Iterator[Clock]:
    """Moves the clock of this process and the test server (`clock.move_to(moment)`); only under
    `python -m tests.clock`, which `make test` runs."""
    moved = Clock.of_this_process()
    if moved is None:
        pytest.skip("moves the clock: runs under `python -m tests.clock` (part of `make test`)")
    try:
        yield moved
    finally:
        moved.restore()


@pytest.fixture(scope="session")
def therapy_db_server(pg_server: embedded.EmbeddedServer) -> Server:
    """The plugin's fixtures (app/runtime/testing.py), on this session's server: tested here."""
    return Server(host=str(pg_server.socket_dir), user=embedded.SUPERUSER)


@pytest.fixture(scope="session")
def therapy_db_databases(therapy_db_server: Server) -> Iterator[Databases]:
    """Templates at any revision of the history walked in order (tests.support.upgrade)."""
    factory = Databases(therapy_db_server, migrate=upgrade)
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def databases(therapy_db_databases: Databases) -> Databases:
    """Fresh databases at any revision: `with databases.at("therapy_legacy") as engine: ...`."""
    return therapy_db_databases


@pytest.fixture(scope="session")
def logins_database(databases: Databases) -> Iterator[Engine]:
    """A database at head that ran platform_roles itself, so the source systems' logins have
    their search_path here (a per-database setting a template's clone does not inherit).
    Shared by the session: a test that writes cleans up after itself or uses its own names."""
    with databases.at("chat_discord") as engine:
        upgrade(engine, "head")
        yield engine


@pytest.fixture
def engine(therapy_db_engine: Engine) -> Engine:
    """An engine on a fresh database at head (the plugin's `therapy_db_engine`)."""
    return therapy_db_engine


@pytest.fixture
def session(therapy_db_session: Session) -> Session:
    return therapy_db_session


@pytest.fixture
def empty_engine(databases: Databases) -> Iterator[Engine]:
    """An engine on a fresh, empty database: for tests that migrate it themselves."""
    with databases.at("base") as engine:
        yield engine


# pytest-alembic: its tests run against a fresh empty database with the project's alembic.ini.
@pytest.fixture
def alembic_engine(empty_engine: Engine) -> Iterator[Engine]:
    """The URL without its socket directory (PGHOST has it): pytest-alembic writes the URL into
    an ini file, where the percent signs of an encoded path are interpolation syntax."""
    engine = sa.create_engine(database_url(empty_engine.url.database), poolclass=sa.NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def alembic_config() -> dict:
    return {"file": str(ROOT / "alembic.ini")}


# Live traffic (tests/migrations/test_live_traffic.py): its figures, printed at the end of the run.
LIVE_TRAFFIC = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def live_traffic_report(request: pytest.FixtureRequest) -> list:
    return request.config.stash.setdefault(LIVE_TRAFFIC, [])


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    write_live_traffic(terminalreporter, config)
    write_safety_figures(terminalreporter)


def write_live_traffic(terminalreporter, config: pytest.Config) -> None:
    results = config.stash.get(LIVE_TRAFFIC, [])
    if not results:
        return
    write = terminalreporter.write_line
    terminalreporter.section("live traffic: writer requests while each revision migrates")
    write(f"{'migration':<32}{'seconds':>9}{'requests':>10}{'lock timeouts':>15}{'stall s':>9}")
    made = failed = 0
    baseline = 0.0
    for windows, requests, outside in results:
        made += len(requests)
        failed += sum(1 for r in requests if r.failure)
        baseline = max([baseline, *(r.seconds for r in outside)])
        for w in windows:
            timeouts = sum(r.lock_timeouts for r in w.requests)
            write(
                f"{w.name:<32}{w.ended - w.started:>9.2f}{len(w.requests):>10}"
                f"{timeouts:>15}{w.stall:>9.3f}"
            )
    write(
        f"writer requests: {made} made, {failed} failed; longest request outside migrations "
        f"(baseline): {baseline:.3f} s"
    )


def write_safety_figures(terminalreporter) -> None:
    """Kills injected and hostile rows tried (tests/figures.py)."""
    from tests import figures

    if figures.lines():
        terminalreporter.section("safety: kills injected, hostile legacy rows tried")
        for line in figures.lines():
            terminalreporter.write_line(line)
