"""Operators who migrate the same database at the same moment.

Each test holds the migration lock while it starts the runs, so every run is certainly waiting
for the lock before any of them migrates; then it lets them go.
"""

import subprocess
import sys
import time

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from app.migration_session import MIGRATION_LOCK_KEY
from tests.migrations.roundtrip import catalog
from tests.support import ROOT, command_env, database_url, migration_config


def alembic(*args: str) -> list[str]:
    return [sys.executable, "-m", "alembic", *args]


def therapy_db(*args: str) -> list[str]:
    return [sys.executable, "-c", "from app.cli import main; main()", *args]


def run_together(engine: Engine, *commands: list[str]) -> list[subprocess.CompletedProcess]:
    """Run `commands` against `engine`'s database (DATABASE_URL), all queued at once."""
    url = database_url(engine.url.database).render_as_string(hide_password=False)
    with engine.connect() as holder:
        holder.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        runs = [
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=command_env(DATABASE_URL=url),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for command in commands
        ]
        waiting_for_lock(holder, count=len(runs))
        holder.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
        holder.commit()
    return [
        subprocess.CompletedProcess(run.args, run.wait(timeout=300), *run.communicate())
        for run in runs
    ]


def waiting_for_lock(connection, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = connection.scalar(
            sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
        connection.commit()
        if waiting >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{count} migration runs never queued for the migration lock")


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(migration_config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return connection.scalar(sa.text("SELECT version_num FROM alembic_version"))


def test_three_operators_upgrading_at_once_apply_the_history_once(empty_engine: Engine):
    runs = run_together(
        empty_engine,
        alembic("upgrade", "head"),
        alembic("upgrade", "head"),
        therapy_db("migrate", "head", "--no-backup"),
    )
    assert [run.returncode for run in runs] == [0, 0, 0], [run.stderr for run in runs]
    applied = [
        line for run in runs for line in run.stderr.splitlines() if "Running upgrade" in line
    ]
    assert len(applied) == len(revisions()), applied
    assert current_revision(empty_engine) == revisions()[-1]


def test_a_downgrade_racing_an_upgrade_waits_and_leaves_one_consistent_state(
    engine: Engine, databases
):
    target = revisions()[1]
    runs = run_together(
        engine,
        alembic("downgrade", target),
        alembic("upgrade", "head"),
    )
    assert [run.returncode for run in runs] == [0, 0], [run.stderr for run in runs]
    final = current_revision(engine)
    assert final in (target, revisions()[-1])
    with databases.at(final) as reference:
        assert catalog(engine) == catalog(reference)
