"""A migration run killed with SIGKILL at a chosen point of its work, and what PostgreSQL does then.

The run is a child process forked from the test (it starts in milliseconds and needs no new
interpreter) that migrates a database with alembic as an operator's run does. It is killed at a
kill point, one of three kinds:

- inside a statement (`KillPoint(statement)`): the test watches the run's backend in
  pg_stat_activity, where the migration session names itself, and kills the run once the backend
  has been executing that statement for `after` seconds. Data big enough that the statement
  takes a while is the test's business (tests/migrations/bulk.py);
- right after a statement (`right_after=True`): the run pauses as soon as that statement has
  returned, its transaction open, and is killed there. This reaches any point between two
  statements without timing, up to the last one: right after alembic_version is updated, the
  moment before the revision would commit;
- while it waits (`blocked_by=...`): the test holds a lock the statement needs, so the run waits
  in it when it is killed.

Then the test checks the kill landed inside the revision's transaction (right after the kill the
backend is still in it, or already gone), waits for PostgreSQL to notice the dead client and end
the backend, which rolls the revision back, and checks the migration lock is free again.
"""

import multiprocessing
import os
import signal
import time
from dataclasses import dataclass

import alembic.command
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from app.operations.history import alembic_config
from app.toolkit.migration_session import APPLICATION_NAME, MIGRATION_LOCK_KEY

RUN = f"""
SELECT pid, state, query, xact_start, wait_event_type
FROM pg_stat_activity
WHERE datname = current_database() AND application_name = '{APPLICATION_NAME}'
"""


def normalized(sql: str) -> str:
    return " ".join(sql.split())


@dataclass(frozen=True)
class KillPoint:
    statement: str  # the start of a SQL statement of the run
    after: float = 0.0  # inside it: seconds it has been seen running before the kill
    right_after: bool = False  # kill right after it returned instead
    blocked_by: str | None = None  # SQL the test runs first to hold a lock that statement needs

    def __str__(self) -> str:
        where = "after" if self.right_after else "in"
        how = f", blocked by {self.blocked_by}" if self.blocked_by else ""
        delay = f" +{self.after}s" if self.after else ""
        return f"{where} {self.statement[:50]}{delay}{how}"


@dataclass(frozen=True)
class Kill:
    """Where a kill landed, and how long PostgreSQL took to clean up after it."""

    statement: str  # what the run's backend was executing (or had just executed) when killed
    kind: str  # "in a statement", "between statements", "waiting"
    backend_gone: float  # seconds from SIGKILL to the backend's end (the revision rolled back)


def _migrate(url: str, direction: str, target: str, point: KillPoint, paused) -> None:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    if point.right_after:

        @event.listens_for(engine, "after_cursor_execute")
        def pause(connection, cursor, statement, parameters, context, executemany) -> None:
            if normalized(statement).startswith(point.statement):
                paused.set()
                time.sleep(3600)  # until killed

    config = alembic_config(engine)
    config.attributes["allow_data_loss"] = True  # what the downgrade loses is the test's business
    getattr(alembic.command, direction)(config, target)


def kill_migration(
    engine: Engine, direction: str, target: str, point: KillPoint, timeout: float = 120
) -> Kill:
    """Start `alembic <direction> <target>` on `engine`'s database, SIGKILL it at `point`."""
    url = engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("fork")
    paused = context.Event()
    with engine.connect() as watcher, engine.connect() as blocker:
        watcher.execution_options(isolation_level="AUTOCOMMIT")
        if point.blocked_by:
            blocker.execute(sa.text(point.blocked_by))
        run = context.Process(
            target=_migrate, args=(url, direction, target, point, paused), daemon=True
        )
        run.start()
        try:
            if point.right_after:
                backend = _wait_for_pause(watcher, run, paused, point, timeout)
            else:
                backend = _wait_for_statement(watcher, run, point, timeout)
                time.sleep(point.after)
            os.kill(run.pid, signal.SIGKILL)
            killed_at = time.monotonic()
            run.join()
            after_kill = run_backend(watcher, backend.pid)
        finally:
            if run.is_alive():
                os.kill(run.pid, signal.SIGKILL)
                run.join()
        # A paused run was seen idle in its transaction; a busy one is still in it now, or gone
        # already (a statement that ended right after the kill found its client dead). Either way
        # it did not commit, which the caller's alembic_version check proves.
        assert (
            point.right_after or after_kill is None or (after_kill.xact_start == backend.xact_start)
        ), f"the kill {point} landed after the revision's transaction: make it last longer"
        backend_gone = wait_until_gone(watcher, backend.pid, killed_at, timeout) - killed_at
        blocker.rollback()
        assert watcher.scalar(
            sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
        ), "the migration lock outlived the killed run"
        watcher.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
    kind = (
        "waiting"
        if point.blocked_by
        else "between statements"
        if point.right_after
        else "in a statement"
    )
    return Kill(normalized(backend.query)[:80], kind, backend_gone)


def run_backend(watcher: Connection, pid: int | None = None):
    """The backend of the migration run on the watcher's database (of backend `pid`), if any."""
    rows = watcher.execute(sa.text(RUN)).all()
    return next((row for row in rows if pid in (None, row.pid)), None)


def _wait_for_statement(watcher: Connection, run, point: KillPoint, timeout: float):
    deadline, seen = time.monotonic() + timeout, "nothing"
    while time.monotonic() < deadline:
        backend = run_backend(watcher)
        if backend is not None and backend.state == "active":
            seen = normalized(backend.query)
            if seen.startswith(point.statement) and (
                point.blocked_by is None or backend.wait_event_type == "Lock"
            ):
                return backend
        if not run.is_alive():
            raise AssertionError(
                f"the run ended (exit code {run.exitcode}) before it was seen {point}; "
                f"last seen running: {seen[:100]}"
            )
        time.sleep(0.001)
    raise AssertionError(f"the run was never seen {point} in {timeout}s; last: {seen[:100]}")


def _wait_for_pause(watcher: Connection, run, paused, point: KillPoint, timeout: float):
    deadline = time.monotonic() + timeout
    while not paused.wait(0.01):
        if not run.is_alive():
            raise AssertionError(f"the run ended (exit code {run.exitcode}) before {point}")
        if time.monotonic() > deadline:
            raise AssertionError(f"the run never came {point} in {timeout}s")
    backend = run_backend(watcher)
    assert backend is not None and backend.state == "idle in transaction", (
        f"the run paused {point} outside a transaction: {backend}"
    )
    return backend


def wait_until_gone(watcher: Connection, pid: int, since: float, timeout: float) -> float:
    """When backend `pid` ended (time.monotonic())."""
    while run_backend(watcher, pid) is not None:
        if time.monotonic() - since > timeout:
            raise AssertionError(f"the killed run's backend {pid} still runs after {timeout}s")
        time.sleep(0.005)
    return time.monotonic()
