"""What every migration run holds from its first statement to its last: the lock and the timeouts.

One PostgreSQL session-level advisory lock serialises migration runs: a second `alembic upgrade
head` waits (in short attempts, holding no transaction in between), then finds the history
applied and does nothing. It is a session lock, not a
transaction lock, because each revision commits on its own (and `CREATE INDEX CONCURRENTLY` needs
autocommit); a crashed run releases it when its connection closes.

lock_timeout keeps DDL from queueing behind long application transactions (and so from stalling
all traffic queued behind the DDL); statement_timeout bounds a runaway statement.

A run is named in pg_stat_activity (application_name), so operators (and tests) can see it. A
run whose client dies (killed, its machine gone) must not keep its statement running until it
ends, holding that statement's locks and the migration lock: with client_connection_check_interval
the server looks every second whether the client is still there, even during a long statement,
and ends the session, rolling the revision back, when it is not.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from app.runtime.errors import TherapyDbError
from app.runtime.settings import Settings

# The bytes of "therapdb" as a bigint: one lock for this package's history in a database.
MIGRATION_LOCK_KEY = int.from_bytes(b"therapdb", "big")

APPLICATION_NAME = "therapy-db migration"

# The settings a migration session changes, given back to a caller's connection afterwards.
_SETTINGS = (
    "lock_timeout",
    "statement_timeout",
    "application_name",
    "client_connection_check_interval",
)

# PostgreSQL accepts a non-zero interval only where it can check a client's socket (Linux);
# elsewhere the setting stays 0 and a dead client is noticed when its statement ends.
CHECK_CLIENT = """
DO $$
BEGIN
    PERFORM set_config('client_connection_check_interval', '1s', false);
EXCEPTION WHEN invalid_parameter_value THEN
    NULL;
END
$$"""

# How long one attempt at the migration lock waits (below PostgreSQL's default deadlock_timeout).
LOCK_ATTEMPT = "500ms"


class MigrationLockTimeoutError(TherapyDbError):
    """Another migration run held the lock for longer than we were told to wait."""


def session_statements(settings: Settings) -> list[str]:
    """The statements that open a migration session, as SQL (offline scripts start with them)."""
    return [
        f"SET application_name = '{APPLICATION_NAME}'",
        CHECK_CLIENT,
        f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})",
        f"SET lock_timeout = '{settings.migration_lock_timeout}'",
        f"SET statement_timeout = '{settings.migration_statement_timeout}'",
    ]


def closing_statements() -> list[str]:
    return [
        f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})",
        "RESET lock_timeout",
        "RESET statement_timeout",
        "RESET client_connection_check_interval",
        "RESET application_name",
    ]


@contextmanager
def migration_session(connection: Connection, settings: Settings) -> Iterator[None]:
    """Hold the migration lock and timeouts on `connection` for the duration of the block.

    A connection handed in by a caller gets its own settings back afterwards.
    """
    owns_transaction = not connection.in_transaction()
    previous = {
        name: connection.scalar(sa.text("SELECT current_setting(:name)"), {"name": name})
        for name in _SETTINGS
    }
    # Named, and ended by the server if its client dies, also while it waits for the lock.
    _set(connection, application_name=APPLICATION_NAME)
    connection.execute(sa.text(CHECK_CLIENT))
    if owns_transaction:
        connection.commit()  # a failed attempt at the lock rolls back what is not committed
    _take_migration_lock(connection, settings, owns_transaction)
    _set(
        connection,
        lock_timeout=settings.migration_lock_timeout,
        statement_timeout=settings.migration_statement_timeout,
    )
    if owns_transaction:
        connection.commit()  # the lock and settings outlive it; the migrations begin their own
    succeeded = False
    try:
        yield
        succeeded = True
    finally:
        if succeeded or not connection.in_transaction():
            connection.execute(
                sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
            _set(connection, **previous)
            if owns_transaction:
                connection.commit()
        else:
            # The caller's transaction failed: the only safe way to let the lock go is to close
            # the session that holds it.
            connection.invalidate()


def _take_migration_lock(
    connection: Connection, settings: Settings, owns_transaction: bool
) -> None:
    """Wait for the migration lock in short attempts, each in a transaction of its own.

    Between attempts the waiting run holds no transaction, and so no snapshot: the run that holds
    the lock may be building an index CONCURRENTLY, which waits for every older transaction in
    the database, and would otherwise wait for us while we wait for it (a deadlock). An attempt
    gives up before PostgreSQL's deadlock check (deadlock_timeout, 1s by default) would fire.
    """
    patience = connection.scalar(
        sa.text("SELECT extract(epoch FROM CAST(:wait AS interval))"),
        {"wait": settings.migration_lock_wait},
    )
    deadline = time.monotonic() + float(patience)
    while True:
        attempt = None if owns_transaction else connection.begin_nested()
        try:
            _set(connection, lock_timeout=LOCK_ATTEMPT, statement_timeout="0")
            connection.execute(
                sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
            if attempt is not None:
                attempt.commit()
            return
        except OperationalError as error:
            if getattr(error.orig, "pgcode", None) != "55P03":  # lock_not_available
                raise
            if attempt is not None:
                attempt.rollback()
            else:
                connection.rollback()
        if time.monotonic() >= deadline:
            raise MigrationLockTimeoutError(
                f"another migration run has held the migration lock for over "
                f"{settings.migration_lock_wait}; retry when it has finished"
            )


def _set(connection: Connection, **settings: str) -> None:
    for name, value in settings.items():
        connection.execute(
            sa.text("SELECT set_config(:name, :value, false)"), {"name": name, "value": value}
        )
