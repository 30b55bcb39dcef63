"""What tests share besides fixtures: alembic pointed at a test database, fresh databases."""

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import alembic.command
import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from psycopg import sql
from pytest_postgresql.janitor import DatabaseJanitor
from sqlalchemy.engine import URL, Engine

from app import reconciliation
from app.history import CONTEXTS, History

ROOT = Path(__file__).resolve().parent.parent


def migration_config(connectable=None) -> Config:
    """The project's alembic config, bound to `connectable` so settings are never consulted."""
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    if connectable is not None:
        config.attributes["connection"] = connectable
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Up to `revision` of the history walked in order (History.ids): every context before its
    own whole, its own up to it, as the suite's states have always been."""
    config = migration_config(engine)
    for head in History(config).linear_heads(revision):
        alembic.command.upgrade(config, head)


def heads(engine: Engine) -> tuple[str, ...]:
    """Where a database is: its alembic_version rows, one per unmerged branch (at head, one)."""
    with engine.connect() as connection:
        return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


def downgrade(engine: Engine, revision: str, allow_data_loss: bool = True) -> None:
    """Down to `revision` of the history walked in order: whatever was applied after it goes,
    a context at a time. Tests move their data back and forth on purpose, so a downgrade may
    destroy rows unless they say otherwise (app/data_loss.py)."""
    config = migration_config(engine)
    config.attributes["allow_data_loss"] = allow_data_loss
    history = History(config)
    keep = set(history.ids[: history.ids.index(revision) + 1]) if revision != "base" else set()
    applied = history.applied(heads(engine))
    if history.head in applied - keep:
        alembic.command.downgrade(config, history.undo_target(history.head))
    for context in reversed(CONTEXTS):
        branch = history.branch(context)
        if not set(branch) & applied - keep:
            continue
        kept = [rev for rev in branch if rev in keep]
        if kept:
            alembic.command.downgrade(config, kept[-1])
            continue
        # Off the database: `<first>@-1` counts from the branch's current head, so first down to
        # the branch's first revision, then that one.
        if set(branch[1:]) & applied:
            alembic.command.downgrade(config, branch[0])
        alembic.command.downgrade(config, history.undo_target(branch[0]))
    if "platform" in applied - keep:
        alembic.command.downgrade(config, "base")


def ledger(connection: sa.Connection, revision: str) -> dict[str, tuple[int, int, int]]:
    """What `revision` wrote to the migration ledger: target -> (source, moved, rejected)."""
    return {
        account.target: (account.source_rows, account.moved_rows, account.rejected_rows)
        for account in reconciliation.accounts(connection)
        if account.revision == revision
    }


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
    default WAL_LOG strategy (`make bench` measures both).
    """

    def _build_create_database_sql(self) -> sql.Composed:
        query = super()._build_create_database_sql()
        return query + sql.SQL(" STRATEGY FILE_COPY") if self.template_dbname else query


class Databases:
    """Fresh databases at any revision of the history, for one test server.

    Each revision's template is migrated once, on first use; every `at()` clones it (about
    25 ms) and drops the clone afterwards. Safe to use inside hypothesis examples:

        with databases.at("memory_legacy") as engine:
            ...
    """

    def __init__(self, host: str, user: str = "postgres"):
        self.host, self.user = host, user
        self._templates: dict[str, CloneJanitor] = {}
        self._names = itertools.count()

    def _janitor(self, **kwargs) -> CloneJanitor:
        return CloneJanitor(user=self.user, host=self.host, port=5432, **kwargs)

    def template(self, revision: str) -> str:
        """The name of a template database migrated to `revision` ("base": empty)."""
        if revision not in self._templates:
            janitor = self._janitor(dbname=f"template_{revision}", as_template=True)
            janitor.init()
            self._templates[revision] = janitor
            if revision != "base":
                engine = sa.create_engine(database_url(janitor.dbname), poolclass=sa.NullPool)
                try:
                    upgrade(engine, revision)
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
        name = f"test_{next(self._names)}"
        with self._janitor(dbname=name, template_dbname=database):
            engine = sa.create_engine(database_url(name), poolclass=sa.NullPool)
            try:
                yield engine
            finally:
                engine.dispose()

    def close(self) -> None:
        for janitor in self._templates.values():
            janitor.drop()
