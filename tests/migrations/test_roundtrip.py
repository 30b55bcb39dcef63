"""The whole history walked up, down to base and up again, with every context's data loaded.

See roundtrip.py for what a revision registers and what each step asserts.
"""

import alembic.command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

import tests.migrations.data  # noqa: F401  (registers every context's data)
from app.operations.history import History, alembic_config
from tests.migrations.roundtrip import (
    REGISTRY,
    RevisionData,
    assert_same_catalog,
    assert_same_rows,
    catalog,
    rows,
    run_checks,
    run_seeds,
)


def test_registered_data_names_real_revisions():
    script = ScriptDirectory.from_config(alembic_config())
    known = {revision.revision for revision in script.walk_revisions()}
    assert set(REGISTRY) <= known, f"data registered for unknown revisions: {set(REGISTRY) - known}"


def test_history_round_trips_with_data(empty_engine: Engine):
    config = alembic_config(empty_engine)
    config.attributes["allow_data_loss"] = True  # every row is checked back by the walk itself
    walk = History(config)
    history = [(revision, walk.undo_target(revision)) for revision in walk.ids]

    def upgrade(revision: str) -> None:
        alembic.command.upgrade(config, revision)

    def downgrade(revision: str) -> None:
        alembic.command.downgrade(config, revision)

    catalog_before: dict[str, list[str]] = {}

    # 1. Up, each revision round-tripped on the spot with everything loaded so far.
    for revision, previous in history:
        data = REGISTRY.get(revision, RevisionData())
        run_seeds(empty_engine, data.before_upgrade)
        rows_before, catalog_before[revision] = rows(empty_engine), catalog(empty_engine)

        upgrade(revision)
        run_checks(empty_engine, data.after_upgrade)
        rows_upgraded = rows(empty_engine, ignore=data.volatile)

        downgrade(previous)
        run_checks(empty_engine, data.after_downgrade)
        kept = data.kept_by_downgrade
        assert_same_rows(
            rows_before, rows(empty_engine, leave_out=kept), f"{revision} downgrade changed data"
        )
        assert_same_catalog(
            catalog_before[revision],
            catalog(empty_engine, leave_out=kept),
            f"{revision} downgrade left traces",
        )

        upgrade(revision)
        run_checks(empty_engine, data.after_upgrade)
        assert_same_rows(
            rows_upgraded,
            rows(empty_engine, ignore=data.volatile),
            f"{revision} upgraded the same data differently the second time",
        )
        run_seeds(empty_engine, data.insert_after_upgrade)

    # 2. Down to base with everything loaded on the way up.
    for revision, previous in reversed(history):
        data = REGISTRY.get(revision, RevisionData())
        downgrade(previous)
        run_checks(empty_engine, data.after_downgrade)
        assert_same_catalog(
            catalog_before[revision],
            catalog(empty_engine, leave_out=data.kept_by_downgrade),
            f"{revision} downgrade left traces",
        )

    # 3. Up again.
    for revision, _ in history:
        data = REGISTRY.get(revision, RevisionData())
        run_seeds(empty_engine, data.before_upgrade)
        upgrade(revision)
        run_checks(empty_engine, data.after_upgrade)
        run_seeds(empty_engine, data.insert_after_upgrade)
