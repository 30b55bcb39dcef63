"""How revisions take locks on busy tables (app.toolkit.ddl): retried, and indexes built online."""

import re
import threading
import time

import alembic.command
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.operations.history import History, alembic_config
from app.runtime.models import SCHEMAS
from app.toolkit.ddl import LOCK_MODES
from tests.migrations.roundtrip import catalog
from tests.migrations.test_lint import offline_sql
from tests.migrations.test_live_traffic import STEPS
from tests.support import upgrade

BLOCKED_FOR = 3.0  # seconds an application transaction keeps chat.sessions busy


def probe_stalls(engine: Engine, stop: threading.Event, stalls: list[float]) -> None:
    """An application reading chat.sessions in a loop: how long each read took."""
    with engine.connect() as connection:
        while not stop.is_set():
            started = time.monotonic()
            connection.execute(sa.text("SELECT count(*) FROM chat.sessions"))
            connection.commit()
            stalls.append(time.monotonic() - started)
            time.sleep(0.01)


def test_a_revision_waits_out_a_long_transaction_in_short_attempts(databases):
    with databases.at("chat_legacy") as engine, engine.connect() as application:
        # A long application transaction holds chat.sessions (a report, a stuck request).
        application.execute(sa.text("SELECT count(*) FROM chat.sessions"))
        release = threading.Timer(BLOCKED_FOR, application.commit)
        stop, stalls = threading.Event(), []
        reader = threading.Thread(target=probe_stalls, args=(engine, stop, stalls))
        release.start()
        reader.start()
        try:
            started = time.monotonic()
            upgrade(engine, "chat_discord")
            took = time.monotonic() - started
        finally:
            release.join()
            stop.set()
            reader.join()

    assert took >= BLOCKED_FOR - 0.2, "the revision did not wait for the application"
    # A DDL statement queued for the whole time would have stalled every reader that long; the
    # attempts give up and let readers through in between.
    assert max(stalls) < BLOCKED_FOR - 1, f"readers stalled {max(stalls):.2f} s"


def test_an_interrupted_concurrent_index_build_is_finished_by_the_next_run(databases):
    with databases.at("chat_legacy") as engine, databases.at("chat_discord") as reference:
        with engine.begin() as connection:
            # What a run interrupted during chat_discord's concurrent builds leaves: one index
            # built (valid), one INVALID (its build was cancelled), the rest not started.
            connection.execute(sa.text("CREATE INDEX idx_sessions_owner ON chat.sessions (origin)"))
            connection.execute(
                sa.text("CREATE INDEX idx_sessions_origin ON chat.sessions (origin)")
            )
            connection.execute(
                sa.text(
                    "UPDATE pg_index SET indisvalid = false "
                    "WHERE indexrelid = 'chat.idx_sessions_owner'::regclass"
                )
            )
        upgrade(engine, "chat_discord")

        assert catalog(engine) == catalog(reference)
        with engine.connect() as connection:
            invalid = connection.scalars(
                sa.text("SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid")
            ).all()
        assert invalid == []


# -- every lock that keeps writers out is taken first, with retries -------------------------------

WRITER_BLOCKING = ("SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE")

HELD_LOCKS = """
SELECT c.oid,
       upper(regexp_replace(regexp_replace(l.mode, 'Lock$', ''), '([a-z])([A-Z])', '\\1 \\2', 'g'))
FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition AND c.oid = ANY(:existing)
"""


def locks_held_at_commit(engine: Engine, direction: str, target: str) -> dict[str, str]:
    """The strongest lock the revision's transaction holds, just before it commits, on each
    table that existed before it ran, by the name it had then (a revision may rename it)."""
    with engine.connect() as connection:
        names = dict(
            connection.execute(
                sa.text(
                    "SELECT oid, relnamespace::regnamespace::text || '.' || relname "
                    "FROM pg_class WHERE relnamespace::regnamespace::text = ANY(:s)"
                ),
                {"s": list(SCHEMAS)},
            ).all()
        )
    strongest: dict[str, str] = {}

    def spy(ctx, step, heads, run_args):
        held = ctx.connection.execute(sa.text(HELD_LOCKS), {"existing": list(names)})
        for oid, mode in held:
            relation = names[oid]
            if LOCK_MODES.index(mode) > LOCK_MODES.index(strongest.get(relation, "ACCESS SHARE")):
                strongest[relation] = mode

    config = alembic_config(engine)
    config.attributes["on_version_apply"] = [spy]
    getattr(alembic.command, direction)(config, target)
    return strongest


def declared_locks(direction: str, revision: str) -> dict[str, str]:
    sql = offline_sql(direction, revision)
    return dict(re.findall(r"LOCK TABLE (\S+) IN ([A-Z ]+) MODE;", sql))


@pytest.mark.parametrize(("previous", "revision"), STEPS, ids=[r for _, r in STEPS])
def test_every_lock_that_keeps_writers_out_is_taken_first_with_retries(
    previous, revision, databases
):
    with databases.at(previous) as engine:
        held = {
            "upgrade": locks_held_at_commit(engine, "upgrade", revision),
            "downgrade": locks_held_at_commit(
                engine, "downgrade", History(alembic_config()).undo_target(revision)
            ),
        }
    for direction, locks in held.items():
        declared = declared_locks(direction, revision)
        for table, mode in locks.items():
            if table == "public.alembic_version" or mode not in WRITER_BLOCKING:
                continue
            assert LOCK_MODES.index(declared.get(table, "ACCESS SHARE")) >= LOCK_MODES.index(
                mode
            ), f"{revision} {direction} takes {mode} on {table} without app.toolkit.ddl.lock_tables"
