"""A migration run killed with SIGKILL at a chosen point of its work, and what PostgreSQL does then.

The run is a child process forked from the test (it starts in milliseconds and needs no new
interpreter) that migrates a database with alembic as an operator's run does. The test watches
the run's backend in pg_stat_activity, where the migration session names itself, and kills the
child once that backend is executing the kill point's statement. Then it proves the kill landed
inside the revision's transaction (right after the kill the backend is still in it, usually still
in that statement) and waits for PostgreSQL to notice the dead client and end the backend, which
rolls the revision back and releases the migration lock.

A kill point is either a statement the run is busy with (data big enough that it takes a while),
or a statement the test makes it wait for: the test holds a lock the statement needs
(`blocked_by`) until the run is gone, so everything before that statement has certainly run.
"""

import multiprocessing
import os
import signal
import time
from dataclasses import dataclass

import alembic.command
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from app.migration_session import APPLICATION_NAME, MIGRATION_LOCK_KEY
from tests.support import migration_config

NOTICED_WITHIN = 3.0  # seconds

RUN = f"""
SELECT pid, state, query, xact_start, wait_event_type
FROM pg_stat_activity
WHERE datname = current_database() AND application_name = '{APPLICATION_NAME}'
"""


@dataclass(frozen=True)
class KillPoint:
    statement: str  # the start of the SQL statement the run is executing when it is killed
    after: float = 0.0  # seconds it has been seen executing it before the kill
    blocked_by: str | None = None  # SQL the test runs first to hold a lock that statement needs

    def __str__(self) -> str:
        how = f"blocked by {self.blocked_by}" if self.blocked_by else f"after {self.after}s"
        return f"{self.statement[:48]}… ({how})"


@dataclass(frozen=True)
class Kill:
    """Where a kill landed, and how long PostgreSQL took to clean up after it."""

    statement: str  # what the run's backend was executing when it was killed
    waiting: bool  # it was waiting for the test's lock (else busy with the statement)
    in_statement: bool  # right after the kill it was still in it (else between two statements)
    backend_gone: float  # seconds from SIGKILL to the backend's end (the revision rolled back)


def _migrate(url: str, direction: str, target: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    getattr(alembic.command, direction)(migration_config(engine), target)


def kill_migration(
    engine: Engine, direction: str, target: str, point: KillPoint, timeout: float = 120
) -> Kill:
    """Start `alembic <direction> <target>` on `engine`'s database, SIGKILL it at `point`."""
    url = engine.url.render_as_string(hide_password=False)
    with engine.connect() as watcher, engine.connect() as blocker:
        watcher.execution_options(isolation_level="AUTOCOMMIT")
        if point.blocked_by:
            blocker.execute(sa.text(point.blocked_by))
        run = multiprocessing.get_context("fork").Process(
            target=_migrate, args=(url, direction, target), daemon=True
        )
        run.start()
        try:
            backend = _wait_for_statement(watcher, run, point, timeout)
            time.sleep(point.after)
            os.kill(run.pid, signal.SIGKILL)
            killed_at = time.monotonic()
            run.join()
            after_kill = _backend(watcher, backend.pid)
        finally:
            if run.is_alive():
                os.kill(run.pid, signal.SIGKILL)
                run.join()
        assert after_kill is not None and after_kill.xact_start == backend.xact_start, (
            f"the kill at {point} landed after the revision's transaction: make it last longer"
        )
        backend_gone = _wait_until_gone(watcher, backend.pid, killed_at, timeout) - killed_at
        blocker.rollback()
        # Its client is gone, so the backend stops waiting for the test's lock within about a
        # second (client_connection_check_interval), not when lock_timeout (5s) ends the wait.
        assert backend.wait_event_type != "Lock" or backend_gone < NOTICED_WITHIN, (
            f"the killed run's backend waited {backend_gone:.1f}s for a lock after the kill"
        )
        assert watcher.scalar(
            sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
        ), "the migration lock outlived the killed run"
        watcher.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
    return Kill(
        statement=" ".join(backend.query.split())[:80],
        waiting=backend.wait_event_type == "Lock",
        in_statement=after_kill.state == "active" and after_kill.query == backend.query,
        backend_gone=backend_gone,
    )


def _backend(watcher: Connection, pid: int | None = None):
    rows = watcher.execute(sa.text(RUN)).all()
    return next((row for row in rows if pid in (None, row.pid)), None)


def _wait_for_statement(watcher: Connection, run, point: KillPoint, timeout: float):
    deadline, seen = time.monotonic() + timeout, "nothing"
    while time.monotonic() < deadline:
        backend = _backend(watcher)
        if backend is not None and backend.state == "active":
            seen = " ".join(backend.query.split())
            if seen.startswith(point.statement) and (
                point.blocked_by is None or backend.wait_event_type == "Lock"
            ):
                return backend
        if not run.is_alive():
            raise AssertionError(
                f"the run ended (exit code {run.exitcode}) before it was seen at {point}; "
                f"last seen running: {seen[:100]}"
            )
        time.sleep(0.001)
    raise AssertionError(f"the run never reached {point} in {timeout}s; last seen: {seen[:100]}")


def _wait_until_gone(watcher: Connection, pid: int, since: float, timeout: float) -> float:
    while _backend(watcher, pid) is not None:
        if time.monotonic() - since > timeout:
            raise AssertionError(f"the killed run's backend {pid} still runs after {timeout}s")
        time.sleep(0.005)
    return time.monotonic()
