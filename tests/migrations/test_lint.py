"""squawk, the PostgreSQL migration linter, on the offline SQL of every revision, both ways.

Rules ignored everywhere are in .squawk.toml, each with its reason; a revision that breaks a rule
on purpose says so itself (app.toolkit.ddl.lint_exemption, a comment in its offline SQL).
Downgrades are also exempt from the rules below, each with its reason.
"""

import json
import subprocess
import sys
from pathlib import Path

from alembic.config import Config

from app.operations.history import History
from tests.migrations.traffic import history
from tests.support import ROOT

SQUAWK = Path(sys.executable).parent / "squawk"

# A downgrade returns the database to the shape the previous release of the application expects:
# removing what the upgrade added is its job, so squawk's "clients may depend on this" rules do not
# apply to it. Its locks are linted like an upgrade's.
DOWNGRADE_EXEMPTIONS = {
    "ban-drop-column": "the upgrade added the column",
    "ban-drop-constraint": "the upgrade added the constraint",
    "ban-drop-table": "the upgrade created the table",
    "ban-drop-type": "the upgrade created the type",
    "ban-drop-function": "the upgrade created the function",
    "ban-drop-view": "the upgrade created the view",
    "ban-drop-schema": "the platform revision created the schemas",
}


def offline_sql(direction: str, revision: str) -> str:
    history = History(Config(str(ROOT / "alembic.ini")))
    history.config.attributes["configure_logger"] = False
    return history.revision_sql(revision, direction)


def rendered_history(workdir: Path) -> list[Path]:
    """Each revision's upgrade and downgrade as a SQL file of its own, as an operator gets it."""
    files = []
    for revision in history():
        for direction in ("upgrade", "downgrade"):
            sql = offline_sql(direction, revision)
            if direction == "downgrade":
                for rule, reason in DOWNGRADE_EXEMPTIONS.items():
                    sql = f"-- squawk-ignore-file {rule} -- {reason}\n{sql}"
            path = workdir / f"{revision}.{direction}.sql"
            path.write_text(sql)
            files.append(path)
    return files


def test_every_revision_passes_squawk_both_ways(tmp_path: Path):
    files = rendered_history(tmp_path)
    result = subprocess.run(
        [
            str(SQUAWK),
            "--config",
            str(ROOT / ".squawk.toml"),
            "--reporter",
            "json",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr  # 1: violations found
    violations = [
        f"{Path(v['file']).name}:{v['line']} {v['rule_name']}: {v['message']}"
        for v in json.loads(result.stdout or "[]")
    ]
    assert not violations, "squawk:\n" + "\n".join(violations)
    assert result.returncode == 0, result.stdout + result.stderr


def test_squawk_finds_a_blocking_index_build(tmp_path: Path):
    """The lint is live: a plain CREATE INDEX on an existing table is reported."""
    sql = tmp_path / "blocking.sql"
    sql.write_text(
        "SET lock_timeout = '5s';\nSET statement_timeout = '30min';\n"
        "BEGIN;\nCREATE INDEX idx_users_role ON public.users (role);\nCOMMIT;\n"
    )
    result = subprocess.run(
        [str(SQUAWK), "--config", str(ROOT / ".squawk.toml"), "--reporter", "json", str(sql)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    rules = {violation["rule_name"] for violation in json.loads(result.stdout)}
    assert "require-concurrent-index-creation" in rules
