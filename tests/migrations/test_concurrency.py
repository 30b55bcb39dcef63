"""Operators who migrate the same database at the same moment.

Each test holds the migration lock while it starts the runs, so every run is certainly waiting
for the lock before any of them migrates; then it lets them go.
"""

import subprocess
import sys
import time

import sqlalchemy as sa
from alembic import command as alembic_command
from sqlalchemy.engine import Engine

from app.operations.history import History, alembic_config, current_heads
from app.toolkit.migration_session import MIGRATION_LOCK_KEY
from tests.migrations.roundtrip import catalog
from tests.support import ROOT, command_env, database_url, downgrade, upgrade


def alembic(*args: str) -> list[str]:
    return [sys.executable, "-m", "alembic", *args]


def therapy_db(*args: str) -> list[str]:
    return [sys.executable, "-c", "from app.operations.cli import main; main()", *args]


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
    return History(alembic_config()).ids


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
    assert current_heads(empty_engine) == (revisions()[-1],)


def test_a_downgrade_racing_an_upgrade_waits_and_leaves_one_consistent_state(
    engine: Engine, databases
):
    runs = run_together(
        engine,
        alembic("-x", "allow_data_loss=true", "downgrade", "platform"),
        alembic("upgrade", "head"),
    )
    assert [run.returncode for run in runs] == [0, 0], [run.stderr for run in runs]
    final = current_heads(engine)
    assert final in (("platform",), (revisions()[-1],))
    with databases.at(final[0]) as reference:
        assert catalog(engine) == catalog(reference)


def test_one_context_rolling_back_while_another_migrates_both_land(databases):
    """Two teams at once: the coach's Phase 4 rolled back while the clinic's plan is applied."""
    with databases.at("chat_discord") as engine:
        downgrade(engine, "clinic_legacy")  # every context at its newest phase but the clinic
        upgrade(engine, "chat_discord")
        with databases.copy(engine.url.database) as reference:
            alembic_in(reference, "downgrade", "coaching_phase3")
            alembic_in(reference, "upgrade", "clinic_integration")
            runs = run_together(
                engine,
                alembic("downgrade", "coaching_phase3"),
                alembic("upgrade", "clinic_integration"),
            )
            assert [run.returncode for run in runs] == [0, 0], [run.stderr for run in runs]
            assert current_heads(engine) == current_heads(reference)
            assert "coaching_phase3" in current_heads(
                engine
            ) and "clinic_integration" in current_heads(engine)
            assert catalog(engine) == catalog(reference)


def alembic_in(engine: Engine, *args: str) -> None:
    config = alembic_config(engine)
    getattr(alembic_command, args[0])(config, *args[1:])
