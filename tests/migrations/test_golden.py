"""Golden SQL: what each revision emits, frozen in alembic/golden/ (`make golden`).

A change to a revision, or to a toolkit function (app.toolkit.ddl, app.toolkit.bulk) an old
revision calls, changes the SQL that revision emits: these tests fail naming it and showing the
difference, so a deliberate change is committed with its new golden files and an accidental one
is caught.
"""

import difflib

import pytest

from app.operations import checksums
from app.operations.history import History, alembic_config
from app.toolkit import ddl

HISTORY = History(alembic_config())
CASES = [(revision, direction) for revision in HISTORY.ids for direction in checksums.DIRECTIONS]


def differences(revision: str, direction: str) -> str:
    golden = checksums.golden_path(HISTORY, revision, direction)
    expected = golden.read_text() if golden.exists() else ""
    emitted = checksums.render(HISTORY, revision, direction)
    return "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            emitted.splitlines(keepends=True),
            fromfile=f"alembic/golden/{golden.name}",
            tofile=f"{revision} {direction}, as it emits now",
        )
    )


@pytest.mark.parametrize(("revision", "direction"), CASES, ids=[f"{r}-{d}" for r, d in CASES])
def test_a_revision_emits_the_sql_of_its_golden_file(revision: str, direction: str):
    diff = differences(revision, direction)
    assert not diff, (
        f"{revision} {direction} emits SQL other than its golden file (after a deliberate "
        f"change: make golden, and commit the files):\n{diff}"
    )


def test_every_golden_file_belongs_to_a_revision():
    names = {checksums.golden_path(HISTORY, r, d).name for r, d in CASES}
    assert {path.name for path in checksums.golden_directory(HISTORY).glob("*.sql")} == names


def test_one_changed_line_of_a_toolkit_function_names_every_revision_it_changes(monkeypatch):
    """The check can fail: one line of app.toolkit.ddl's lock loop changed, every revision that
    takes its locks with it (and only those) is named."""
    monkeypatch.setattr(ddl, "LOCK_TABLES", ddl.LOCK_TABLES.replace("100 ms", "200 ms"))
    changed = {revision for revision, direction in CASES if differences(revision, direction)}
    takes_locks = {
        revision
        for revision, direction in CASES
        if "LOCK TABLE" in checksums.golden_path(HISTORY, revision, direction).read_text()
    }
    assert changed == takes_locks and len(changed) > 5
