"""Source systems' own databases for the import tests, built on the test server from each
system's DDL (tests/support/system_ddl/<context>.sql, as the reference files describe it)."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.support import database_url

DDL = Path(__file__).parent / "system_ddl"


@dataclass(frozen=True)
class Source:
    engine: Engine  # to fill it
    url: str  # what `therapy-db import --from` is given


def system_ddl(context: str, schema: str = "public") -> str:
    """The system's own DDL, its tables created in `schema` (one of their own, for a test that
    keeps a copy beside the unified tables); the search_path is back to its default after."""
    ddl = (DDL / f"{context}.sql").read_text()
    if schema == "public":
        return ddl
    return f"CREATE SCHEMA {schema};\nSET search_path = {schema};\n{ddl}RESET search_path;\n"


def host_ddl(context: str) -> str:
    """What the system's host keeps beside it in the same database (the companion's hosted
    project: its auth, storage and realtime schemas), if anything."""
    host = DDL / f"{context}_host.sql"
    return host.read_text() if host.exists() else ""


@contextmanager
def source_database(context: str, socket_dir: Path) -> Iterator[Source]:
    """A new database holding `context`'s system as its own DDL creates it; dropped after."""
    name = f"source_{context}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(database_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = sa.create_engine(database_url(name), poolclass=sa.NullPool)
    try:
        with engine.begin() as connection:  # the script as psql runs it: no parameters
            connection.connection.cursor().execute(system_ddl(context) + host_ddl(context))
        yield Source(engine, f"postgresql://postgres@/{name}?host={socket_dir}")
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
