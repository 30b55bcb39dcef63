"""One branch per context: rolling one context back, to any of its earlier phases or off the
database, leaves every other context exactly as it was; and no downgrade destroys rows unless
it is told to (app/toolkit/data_loss.py).

The data is the round-trip harness's (tests/migrations/data/), loaded at every revision on the
way up to head, so each context holds realistic rows of every phase.
"""

import re
from collections.abc import Iterator

import alembic.command
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import tests.migrations.data  # noqa: F401  (registers every context's data)
from app import contexts
from app.operations.history import (
    CONTEXTS,
    DOCUMENTED_PHASES,
    History,
    alembic_config,
    current_heads,
)
from app.toolkit import data_loss
from tests.migrations.roundtrip import REGISTRY, RevisionData, catalog, rows, run_seeds
from tests.support import Databases, run_alembic
from tests.test_cli import therapy_db

HISTORY = History(alembic_config())
SCHEMA_OF = {context.name: context.schema for context in contexts.CONTEXTS}

# Each context taken back to each of its earlier documented phases, and off the database.
ROLLBACKS = [
    (context, target)
    for context in CONTEXTS
    for target in [
        *(p for p in HISTORY.branch(context)[:-1] if p in DOCUMENTED_PHASES),
        f"{HISTORY.branch(context)[0]}@-1",
    ]
]


@pytest.fixture(scope="module")
def loaded_head(databases: Databases) -> Iterator[str]:
    """A database at head holding every context's round-trip data of every phase."""
    with databases.at("base") as engine:
        config = alembic_config(engine)
        for revision in HISTORY.ids:
            data = REGISTRY.get(revision, RevisionData())
            run_seeds(engine, data.before_upgrade)
            alembic.command.upgrade(config, revision)
            run_seeds(engine, data.insert_after_upgrade)
        yield engine.url.database


@pytest.fixture(scope="module")
def loaded_without_roles(databases: Databases, loaded_head: str) -> Iterator[str]:
    """The same, with platform_roles (the grants, which depend on every context) undone: what
    every other context must look like while one context is rolled back."""
    with databases.copy(loaded_head) as engine:
        alembic.command.downgrade(alembic_config(engine), HISTORY.undo_target(HISTORY.head))
        yield engine.url.database


def of_schemas(schemas: set[str], engine: Engine) -> tuple[dict, list[str]]:
    """Rows and catalog of `schemas` only (a catalog line belongs to its first qualified name)."""
    qualified = re.compile(r"\b(" + "|".join(map(re.escape, schemas)) + r")\.\w")
    own_schema = re.compile(r"^(schema|default privileges \S+) (" + "|".join(schemas) + ") ")
    lines = []
    for line in catalog(engine):
        first = re.search(r"\b(\w+)\.\w", line)
        if own_schema.match(line) or (first and qualified.match(line, first.start())):
            lines.append(line)
    tables = {
        name: content
        for name, content in rows(engine, digest=True).items()
        if name.split(".")[0] in schemas
    }
    return tables, lines


@pytest.mark.parametrize(("context", "target"), ROLLBACKS, ids=[t for _, t in ROLLBACKS])
def test_rolling_one_context_back_and_up_leaves_every_other_context_unchanged(
    databases: Databases, loaded_head: str, loaded_without_roles: str, context: str, target: str
):
    others = {SCHEMA_OF[c] for c in CONTEXTS if c != context}
    with databases.copy(loaded_without_roles) as reference:
        while_rolled_back = of_schemas(others, reference)
    with databases.copy(loaded_head) as engine:
        before = of_schemas(others, engine)
        full_catalog = catalog(engine)
        config = alembic_config(engine)
        config.attributes[data_loss.ALLOW] = True

        if "@" in target:  # off the database: to its first phase, then that one too
            alembic.command.downgrade(config, target.removesuffix("@-1"))
        alembic.command.downgrade(config, target)
        standing = HISTORY.standing(current_heads(engine))
        assert standing[context] == (None if "@" in target else target)
        assert all(standing[c] == HISTORY.branch(c)[-1] for c in CONTEXTS if c != context)
        # Only platform_roles went with it (it depends on every context); the rest stays.
        assert of_schemas(others, engine) == while_rolled_back

        alembic.command.upgrade(config, "head")
        assert current_heads(engine) == (HISTORY.head,)
        assert of_schemas(others, engine) == before
        assert catalog(engine) == full_catalog


def test_every_loss_declaration_counts_on_a_database_at_head(engine: Engine):
    """Each revision's LOST_ON_DOWNGRADE is valid SQL; an empty database loses nothing."""
    declarations = data_loss.declared(HISTORY.revisions)
    assert {revision for revision, _, _ in declarations} >= set(DOCUMENTED_PHASES)
    with engine.connect() as connection:
        assert data_loss.count(connection, declarations) == []


def test_an_empty_database_goes_down_to_base_without_being_told(engine: Engine):
    result = run_alembic("-x", f"url={url(engine)}", "downgrade", "base")
    assert result.returncode == 0, result.stdout + result.stderr
    assert current_heads(engine) == ()


LOG_ROW = (
    "INSERT INTO therapy.conversation_logs (session_id, role, message_type, message) "
    "VALUES ('s-1', 'user', 'chat', 'the only row')"
)


def test_a_legacy_table_with_one_row_blocks_the_downgrade_and_nothing_changes(
    databases: Databases,
):
    with databases.at("therapy_legacy") as engine:
        with engine.begin() as connection:
            connection.execute(sa.text(LOG_ROW))
        before = rows(engine), catalog(engine), current_heads(engine)

        refused = run_alembic("-x", f"url={url(engine)}", "downgrade", "base")
        assert refused.returncode != 0
        failures = [line for line in refused.stdout.splitlines() if line.startswith("FAILED:")]
        assert failures == [
            "FAILED: refusing to downgrade: it would destroy rows it cannot give back: "
            "therapy.conversation_logs (1 row, therapy_legacy); to proceed deliberately "
            "(after a backup), run it again with -x allow_data_loss=true "
            "(therapy-db migrate: --allow-data-loss)"
        ]
        assert (rows(engine), catalog(engine), current_heads(engine)) == before

        allowed = run_alembic(
            "-x", f"url={url(engine)}", "-x", "allow_data_loss=true", "downgrade", "base"
        )
        assert allowed.returncode == 0, allowed.stdout + allowed.stderr
        assert current_heads(engine) == ()


def test_the_operator_command_refuses_before_its_backup_and_proceeds_when_told(
    databases: Databases, tmp_path
):
    with databases.at("therapy_legacy") as engine:
        with engine.begin() as connection:
            connection.execute(sa.text(LOG_ROW))
        refused = therapy_db(engine, "migrate", "base", "--backup-dir", str(tmp_path))
        assert refused.exit_code == 1
        assert "therapy.conversation_logs (1 row, therapy_legacy)" in refused.output
        assert "--allow-data-loss" in refused.output
        assert list(tmp_path.iterdir()) == []  # refused before the backup, nothing written
        assert current_heads(engine) == ("therapy_legacy",)

        allowed = therapy_db(
            engine, "migrate", "base", "--allow-data-loss", "--backup-dir", str(tmp_path)
        )
        assert allowed.exit_code == 0, allowed.output
        assert len(list(tmp_path.glob("*.dump"))) == 1  # the backup still ran first
        assert current_heads(engine) == ()


def test_a_downgrade_that_gives_every_row_back_needs_no_permission(databases: Databases):
    """clinic_integration keeps audit rows the legacy shape cannot hold: nothing is lost."""
    with databases.at("clinic_integration") as engine:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO auth.audit_log (tabla_afectada, accion, registro_id) "
                    "VALUES ('pacientes', 'READ', NULL), ('pacientes', 'UPDATE', 7)"
                )
            )
        result = run_alembic("-x", f"url={url(engine)}", "downgrade", "clinic_legacy")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "clinic_legacy" in current_heads(engine)


def url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)
