"""What tests share besides fixtures: the alembic config pointed at a test database."""

import os
import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from psycopg import sql
from pytest_postgresql.janitor import DatabaseJanitor
from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parent.parent


def migration_config(connectable=None) -> Config:
    """The project's alembic config, bound to `connectable` so settings are never consulted."""
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    if connectable is not None:
        config.attributes["connection"] = connectable
    return config


def database_url(dbname: str, user: str = "postgres", password: str | None = None) -> URL:
    """A psycopg2 URL for a database on the test server.

    It names no host: the server is reached through PGHOST (its socket directory), which the
    session sets, so the URL survives being written into an ini file or a command line.
    """
    return URL.create("postgresql+psycopg2", username=user, password=password, database=dbname)


def command_env(**overrides: str) -> dict[str, str]:
    """The environment for a command a test starts: no DATABASE_URL (a developer's `.env` may set
    one; empty means unset) unless the test gives one, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THERAPY_DB_")}
    env["DATABASE_URL"] = ""
    env.update(overrides)
    return env


def run_alembic(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`alembic ARGS` in the project root, as an operator would run it."""
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=ROOT,
        env=command_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )


class CloneJanitor(DatabaseJanitor):
    """pytest-postgresql's janitor, cloning templates with STRATEGY FILE_COPY.

    On tmpfs with durability off, a file copy of a template takes about half the time of the
    default WAL_LOG strategy (scripts/bench_test_database.py measures both).
    """

    def _build_create_database_sql(self) -> sql.Composed:
        query = super()._build_create_database_sql()
        return query + sql.SQL(" STRATEGY FILE_COPY") if self.template_dbname else query
