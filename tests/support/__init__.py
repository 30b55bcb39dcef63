"""What tests share besides fixtures: alembic pointed at a test database, fresh databases."""

import os
import subprocess
import sys
from pathlib import Path

import alembic.command
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from app.operations import reconciliation
from app.operations.history import CONTEXTS, History, alembic_config, current_heads
from app.runtime.testing import CloneJanitor, Databases  # noqa: F401  (tests and benchmarks import them here)

ROOT = Path(__file__).resolve().parents[2]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Up to `revision` of the history walked in order (History.ids): every context before its
    own whole, its own up to it, as the suite's states have always been."""
    config = alembic_config(engine)
    for head in History(config).linear_heads(revision):
        alembic.command.upgrade(config, head)


def downgrade(engine: Engine, revision: str, allow_data_loss: bool = True) -> None:
    """Down to `revision` of the history walked in order: whatever was applied after it goes,
    a context at a time. Tests move their data back and forth on purpose, so a downgrade may
    destroy rows unless they say otherwise (app/toolkit/data_loss.py)."""
    config = alembic_config(engine)
    config.attributes["allow_data_loss"] = allow_data_loss
    history = History(config)
    keep = set(history.ids[: history.ids.index(revision) + 1]) if revision != "base" else set()
    applied = history.applied(current_heads(engine))
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


def ledger(connectable: Engine | sa.Connection, revision: str) -> dict[str, tuple[int, int, int]]:
    """What `revision` (or an import, `import:<context>`) wrote to the migration ledger:
    target -> (source, moved, rejected)."""
    if isinstance(connectable, Engine):
        with connectable.connect() as connection:
            return ledger(connection, revision)
    connection = connectable
    return {
        account.target: (account.source_rows, account.moved_rows, account.rejected_rows)
        for account in reconciliation.accounts(connection)
        if account.revision == revision
    }


def columns(connection: sa.Connection, table: str) -> list[tuple]:
    """A table's (or view's) columns as the catalog has them: name, type, NOT NULL."""
    return connection.execute(
        sa.text(
            "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute "
            "WHERE attrelid = CAST(:table AS regclass) AND attnum > 0 AND NOT attisdropped "
            "ORDER BY attnum"
        ),
        {"table": table},
    ).all()


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
