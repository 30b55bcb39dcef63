"""A migration killed with SIGKILL in the middle of its work leaves the database exactly at the
previous revision, releases the migration lock, and a re-run gives what an uninterrupted run gives.

For each revision that moves or transforms data, in both directions, the run is killed at several
points (tests/migrations/kill.py): inside its data statements, right after chosen statements (the
last one right after alembic_version is updated, before the commit), and while it waits for the
locks it takes first. After each kill:
- every row of every table (`roundtrip.rows`), the catalog (`roundtrip.catalog`) and
  alembic_version are exactly as before the run: no partial rows, no half-built objects;
- sequences are never behind where they were (PostgreSQL does not roll a sequence back: a
  `setval` or `nextval` of the killed transaction may stay, which only skips ids);
- the migration lock is free (checked in kill.py), so the next run does not wait;
- the re-run succeeds, and its rows and catalog are those of an uninterrupted run of the same
  revision on the same data (minus the columns the round-trip harness registers as volatile).

chat_discord and platform_roles are not here: they move no row (columns with constant defaults,
renames, grants); nor is memory_legacy, which only creates tables.
"""

import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import tests.migrations.data  # noqa: F401  (registers the volatile columns of each revision)
from app.operations.history import current_heads
from app.runtime.settings import get_settings
from app.toolkit.migration_session import MIGRATION_LOCK_KEY, migration_session
from tests import figures
from tests.migrations import bulk
from tests.migrations.kill import Kill, KillPoint, kill_migration, run_backend, wait_until_gone
from tests.migrations.roundtrip import (
    REGISTRY,
    assert_same_catalog,
    catalog,
    rows,
)
from tests.scale import SOAK
from tests.support import Databases, downgrade, upgrade

SEQUENCES = """
SELECT format('%I.%I', schemaname, sequencename), coalesce(last_value, 0)
FROM pg_sequences WHERE schemaname <> 'pg_catalog'
"""

# A statement is killed as soon as it is seen running, and (soak) again further into it.
DELAYS = (0.0, 0.2, 0.5) if SOAK else (0.0,)


def inside(*statements: str) -> list[KillPoint]:
    return [KillPoint(statement, after=delay) for statement in statements for delay in DELAYS]


def right_after(statement: str) -> KillPoint:
    return KillPoint(statement, right_after=True)


def soak_only(points: list[KillPoint]) -> list[KillPoint]:
    return points if SOAK else []


# Every run is also killed at the last moment: its revision done, alembic_version updated, the
# commit not yet sent.
BEFORE_COMMIT = right_after("UPDATE alembic_version")
# A revision's first statement takes its locks (app.toolkit.ddl.lock_tables), retrying while the
# tables are busy: killed while it waits there.
TAKING_LOCKS = "DO $$ DECLARE configured"


@dataclass(frozen=True)
class Case:
    """A revision, the data it meets, and where its runs are killed."""

    revision: str
    previous: str
    load_at: str  # the revision `load_before` expects; the database is then upgraded to previous
    load_before: Callable[[Engine], None]
    upgrade_points: list[KillPoint]
    downgrade_points: list[KillPoint]
    load_after: Callable[[Engine], None] | None = None  # new-shape rows, after the upgrade

    def __str__(self) -> str:
        return self.revision


CASES = [
    Case(
        "therapy_3nf",
        "therapy_legacy",
        "therapy_legacy",
        bulk.therapy_logs,
        upgrade_points=[
            KillPoint(TAKING_LOCKS, blocked_by="LOCK TABLE public.users IN ROW EXCLUSIVE MODE"),
            right_after("CREATE TABLE therapy.messages"),
        ],
        downgrade_points=[
            *inside("WITH top AS ("),  # the messages folded into the log
            right_after("SELECT setval('therapy.conversation_logs_id_seq'"),
        ],
        load_after=bulk.therapy_3nf_rows,
    ),
    Case(
        "memory_normalized",
        "memory_legacy",
        "memory_legacy",
        bulk.memory_profiles,
        upgrade_points=[
            KillPoint(
                TAKING_LOCKS, blocked_by="LOCK TABLE memory.crisis_flags IN ACCESS SHARE MODE"
            ),
            right_after("INSERT INTO memory.memory_profiles_rejected"),  # profiles set aside
            *inside("WITH profile AS MATERIALIZED"),  # the first list table's load
            right_after("DROP TABLE memory.memory_profiles"),  # every profile moved
            right_after("UPDATE memory.user_crisis_flags SET created_at"),  # conversations tied
            right_after("ALTER TABLE memory.user_preferences ALTER COLUMN"),  # router tables
            right_after("CREATE VIEW memory.users"),  # the companion's users bridged anew
        ],
        downgrade_points=[
            KillPoint(
                TAKING_LOCKS, blocked_by="LOCK TABLE memory.user_themes IN ACCESS SHARE MODE"
            ),
            right_after("CREATE VIEW memory.users"),  # the legacy users bridged again
            right_after("INSERT INTO memory.conversation_continuity"),  # router rows put back
            right_after("INSERT INTO memory.crisis_flags"),  # rejected conversations put back
            *inside("INSERT INTO memory.memory_profiles (id, user_id"),  # the profiles rebuilt
            right_after("INSERT INTO memory.memory_profiles (id, user_id"),
        ],
        load_after=bulk.memory_normalized_rows,
    ),
    Case(
        "coaching_phase2",
        "coaching_phase1",
        "coaching_phase1",
        bulk.coaching_mvp,
        upgrade_points=[
            *inside("WITH created AS ( INSERT INTO public.users"),
            right_after("ALTER TABLE coaching.conversations ALTER COLUMN user_id TYPE"),
            *soak_only(inside("ALTER TABLE coaching.conversations ALTER COLUMN user_id TYPE")),
            *soak_only(inside("SELECT coaching.refresh_engagement_analytics()")),
        ],
        downgrade_points=[
            *soak_only(inside("UPDATE coaching.conversations c SET external_user_id")),
            right_after("DELETE FROM public.users WHERE id IN"),
        ],
    ),
    Case(
        "coaching_phase3",
        "coaching_phase2",
        "coaching_phase1",
        bulk.coaching_mvp,
        upgrade_points=[
            right_after("CREATE TEMPORARY TABLE program_conversations"),  # the json read once
            *soak_only(inside("WITH source AS ( SELECT c.id, c.user_id, c.created_at, c.metadata")),
            *inside("WITH source AS ( SELECT c.id, c.user_id, c.created_at, c.updated_at"),
            *soak_only(inside("WITH source AS ( SELECT m.id, m.created_at, m.metadata, person")),
            right_after("WITH source AS ( SELECT m.id, m.created_at, m.metadata, person"),
        ],
        downgrade_points=[right_after("DELETE FROM coaching.migration_rejects")],
    ),
    Case(
        "coaching_phase4",
        "coaching_phase3",
        "coaching_phase1",
        bulk.coaching_mvp,
        upgrade_points=[
            right_after("WITH line AS ( SELECT line.*, pg_temp.readable"),
            *soak_only(inside("WITH line AS ( SELECT line.*, pg_temp.readable")),  # its only one
        ],
        downgrade_points=[
            KillPoint(TAKING_LOCKS, blocked_by="LOCK TABLE coaching.sessions IN ACCESS SHARE MODE"),
            right_after("DELETE FROM coaching.migration_rejects"),
            right_after("DROP TABLE coaching.transcripts"),
        ],
    ),
    Case(
        "clinic_integration",
        "clinic_legacy",
        "clinic_legacy",
        bulk.clinic_with_overflow,
        upgrade_points=[
            *soak_only(inside("ALTER TABLE auth.audit_log ADD CONSTRAINT ck_audit_log_accion")),
            *inside("DO $$ BEGIN IF to_regclass('auth.audit_log_overflow')"),  # rows come back
            right_after("SELECT setval(pg_get_serial_sequence('auth.audit_log'"),
        ],
        downgrade_points=[
            *inside("DO $$ BEGIN IF EXISTS (SELECT FROM auth.audit_log WHERE"),  # rows set aside
            *soak_only(inside("ALTER TABLE auth.audit_log ALTER COLUMN registro_id SET NOT NULL")),
        ],
    ),
]


@dataclass
class State:
    """A database as a killed run must leave it, or as a finished run must make it."""

    database: str
    rows: dict
    catalog: list[str]
    version: tuple[str, ...]
    sequences: dict[str, int]

    @classmethod
    def of(cls, engine: Engine, ignore: dict[str, set[str]] | None = None) -> "State":
        version = current_heads(engine)
        with engine.connect() as connection:
            sequences = dict(connection.execute(sa.text(SEQUENCES)).all())
        return cls(
            engine.url.database,
            rows(engine, ignore, digest=True),
            catalog(engine),
            version,
            sequences,
        )


@dataclass
class Prepared:
    before: State  # at the previous revision, with the data
    upgraded: State  # after an uninterrupted upgrade (volatile columns left out)
    at_revision: State  # the upgraded database with new-shape rows: what downgrades start from
    downgraded: State  # after an uninterrupted downgrade of that (volatile columns left out)


@pytest.fixture(scope="module")
def prepared(databases: Databases) -> Iterator[Callable[[Case], Prepared]]:
    """Each case's databases, built once: the kills run on copies of them."""
    loaded: dict[tuple, str] = {}  # the same data loaded at the same revision serves many cases
    cache: dict[str, Prepared] = {}
    with ExitStack() as keep:

        def load(case: Case) -> str:
            key = (case.load_at, case.load_before)
            if key not in loaded:
                engine = keep.enter_context(databases.at(case.load_at))
                case.load_before(engine)
                loaded[key] = engine.url.database
            return loaded[key]

        def prepare(case: Case) -> Prepared:
            if case.revision not in cache:
                volatile = REGISTRY[case.revision].volatile
                before = keep.enter_context(databases.copy(load(case)))
                upgrade(before, case.previous)
                at_revision = keep.enter_context(databases.copy(before.url.database))
                upgrade(at_revision, case.revision)
                upgraded = State.of(at_revision, volatile)
                if case.load_after:
                    case.load_after(at_revision)
                with databases.copy(at_revision.url.database) as down:
                    downgrade(down, case.previous)
                    downgraded = State.of(down, volatile)
                cache[case.revision] = Prepared(
                    State.of(before), upgraded, State.of(at_revision), downgraded
                )
            return cache[case.revision]

        yield prepare


def assert_same_digests(expected: dict, actual: dict, what: str) -> None:
    changed = {
        table: f"{expected.get(table, ['none'])[0]} rows -> {actual.get(table, ['none'])[0]}"
        for table in expected.keys() | actual.keys()
        if expected.get(table) != actual.get(table)
    }
    assert not changed, f"{what}: {changed}"


def record(kill: Kill, state: State) -> None:
    figures.count("kills")
    figures.count(f"kills {kill.kind}")
    figures.count("rows checked unchanged after a kill", sum(n for n, _ in state.rows.values()))
    figures.maximum("seconds from a kill to the end of its backend", kill.backend_gone)


def assert_untouched(engine: Engine, expected: State, kill: Kill) -> None:
    record(kill, expected)
    actual = State.of(engine)
    what = f"after a kill in {kill.statement!r}"
    assert actual.version == expected.version, what
    assert_same_digests(expected.rows, actual.rows, f"rows changed {what}")
    assert_same_catalog(expected.catalog, actual.catalog, f"catalog changed {what}")
    behind = {
        name: (value, actual.sequences.get(name))
        for name, value in expected.sequences.items()
        if actual.sequences.get(name, value) < value
    }
    assert not behind, f"sequences went back {what}: {behind}"
    if actual.sequences != expected.sequences:
        figures.count("kills after which a sequence stayed moved on (ids skipped)")


def assert_finished_like(engine: Engine, expected: State, volatile) -> None:
    actual = State.of(engine, volatile)
    assert actual.version == expected.version
    assert_same_digests(expected.rows, actual.rows, "the re-run differs from an uninterrupted run")
    assert_same_catalog(expected.catalog, actual.catalog, "the re-run built another catalog")


def cases(direction: str):
    return [
        pytest.param(case, point, id=f"{case}-{point}")
        for case in CASES
        for point in [*getattr(case, f"{direction}_points"), BEFORE_COMMIT]
    ]


@pytest.mark.parametrize(("case", "point"), cases("upgrade"))
def test_killed_upgrade_leaves_the_previous_revision_and_reruns_to_the_same_result(
    databases: Databases, prepared, case: Case, point: KillPoint
):
    state = prepared(case)
    with databases.copy(state.before.database) as engine:
        kill = kill_migration(engine, "upgrade", case.revision, point)
        assert_untouched(engine, state.before, kill)
        upgrade(engine, case.revision)
        assert_finished_like(engine, state.upgraded, REGISTRY[case.revision].volatile)


@pytest.mark.parametrize(("case", "point"), cases("downgrade"))
def test_killed_downgrade_leaves_the_revision_and_reruns_to_the_same_result(
    databases: Databases, prepared, case: Case, point: KillPoint
):
    state = prepared(case)
    with databases.copy(state.at_revision.database) as engine:
        kill = kill_migration(engine, "downgrade", case.previous, point)
        assert_untouched(engine, state.at_revision, kill)
        downgrade(engine, case.previous)
        assert_finished_like(engine, state.downgraded, REGISTRY[case.revision].volatile)


def _sleep_in_a_migration_session(url: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as connection, migration_session(connection, get_settings()):
        connection.execute(sa.text("SELECT pg_sleep(600)"))


def test_a_killed_runs_statement_ends_within_seconds_not_when_it_would_have_finished(
    empty_engine: Engine,
):
    """client_connection_check_interval: a statement of a dead run (say a long UPDATE holding
    its table's lock) is ended about a second after its client dies, lock and all."""
    url = empty_engine.url.render_as_string(hide_password=False)
    run = multiprocessing.get_context("fork").Process(
        target=_sleep_in_a_migration_session, args=(url,), daemon=True
    )
    with empty_engine.connect() as watcher:
        watcher.execution_options(isolation_level="AUTOCOMMIT")
        run.start()
        try:
            deadline = time.monotonic() + 60
            while (backend := run_backend(watcher)) is None or "pg_sleep" not in backend.query:
                assert time.monotonic() < deadline and run.is_alive()
                time.sleep(0.01)
        finally:
            os.kill(run.pid, signal.SIGKILL)
            run.join()
        killed_at = time.monotonic()
        gone = wait_until_gone(watcher, backend.pid, killed_at, timeout=60) - killed_at
        figures.maximum("seconds from a kill to the end of a 600 s statement", gone)
        assert gone < 3
        assert watcher.scalar(
            sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
        )
