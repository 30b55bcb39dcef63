"""The throwaway PostgreSQL every part of the suite measures on.

Its data directory is on disk (the largest data sets take gigabytes, too much for tmpfs), with
durability off (fsync, synchronous_commit, full_page_writes: what the test server does too) and
autovacuum off, so that a vacuum of freshly loaded tables lands in no measurement. Each step that
needs a database at some state clones a template with `STRATEGY FILE_COPY`, so every run of a
measurement starts from the same bytes.
"""

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from app.runtime import embedded

SETTINGS = {"autovacuum": "off"}


class BenchServer:
    def __init__(self, server: embedded.EmbeddedServer, workdir: Path):
        self.server, self.workdir = server, workdir

    def url(self, database: str) -> URL:
        return self.server.url(database)

    def engine(self, database: str) -> Engine:
        return sa.create_engine(self.url(database), poolclass=sa.NullPool)

    def admin(self, *statements: str) -> None:
        with contextlib.closing(self.server.connect()) as connection, connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def create(self, name: str, template: str | None = None) -> Engine:
        """A new database `name`: empty, or a file copy of `template`."""
        clone = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        self.admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"{clone}')
        return self.engine(name)

    def drop(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}"')

    @contextlib.contextmanager
    def clone(self, template: str, name: str = "bench_run") -> Iterator[Engine]:
        engine = self.create(name, template)
        try:
            yield engine
        finally:
            engine.dispose()
            self.drop(name)

    def checkpoint(self) -> None:
        """Flush dirty buffers now, so a measurement does not pay for the previous one's writes."""
        self.admin("CHECKPOINT")


@contextlib.contextmanager
def bench_server(parent: Path | None = None) -> Iterator[BenchServer]:
    """A fresh server for the length of the block; its data directory is removed afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="therapy-db-bench-", dir=parent))
    server = embedded.start(workdir / "pgdata", delete_on_release=True)
    try:
        server.make_non_durable()
        bench = BenchServer(server, workdir)
        for name, value in SETTINGS.items():
            bench.admin(f"ALTER SYSTEM SET {name} = {value}")
        bench.admin("SELECT pg_reload_conf()")
        yield bench
    finally:
        server.release()
        shutil.rmtree(workdir, ignore_errors=True)
