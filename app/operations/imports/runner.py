"""`therapy-db import CONTEXT --from URL`: one source system's database into its context.

All of it is one transaction on the target, under the migration lock: the context's legacy
revision (applied first if the context is not there yet), the system's people into its bridge,
every table copied and placed, the counts in the ledger. A run that is killed, refused or fails
leaves the target exactly as it was; a second run starts from the beginning. The source is read
in one snapshot, read-only.
"""

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from graphlib import TopologicalSorter

import alembic.command
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from app.contexts import BY_NAME, CONTEXTS
from app.operations.history import History, current_heads
from app.operations.imports import copying, placing, shapes
from app.operations.imports.systems import SourceSystem, system
from app.runtime import db
from app.runtime.errors import TherapyDbError
from app.runtime.settings import get_settings
from app.toolkit.migration_session import migration_session

SCHEMAS_OF_POSTGRES = ("pg_catalog", "information_schema", "pg_toast")

# What ALTER ... SET SCHEMA moves of a schema, one statement each: relations (a sequence a
# table owns moves with it, an index with its table) and the types that are not a table's.
MOVABLE = """
SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                      WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
       c.relname
  FROM pg_class c
 WHERE c.relnamespace = to_regnamespace(:schema) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND NOT (c.relkind = 'S' AND EXISTS (  -- a sequence a column owns moves with its table
       SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
          AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
UNION ALL
SELECT 'TYPE', t.typname
  FROM pg_type t
 WHERE t.typnamespace = to_regnamespace(:schema) AND t.typtype IN ('e', 'd')
"""

FOREIGN_KEYS = """
SELECT conrelid::regclass::text, confrelid::regclass::text
  FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(CAST(:relations AS regclass[]))
"""
SOURCE_RULES = """
SELECT con.contype, pg_get_expr(con.conbin, con.conrelid),
       ARRAY(SELECT a.attname FROM unnest(con.conkey) k
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k),
       (SELECT format('%%I.%%I', n.nspname, c.relname) FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = con.confrelid)
  FROM pg_constraint con
 WHERE con.conrelid = CAST(%(table)s AS regclass) AND con.contype IN ('c', 'f', 'u', 'p')
"""
SOURCE_NOT_NULL = """
SELECT attname FROM pg_attribute
 WHERE attrelid = CAST(%(table)s AS regclass) AND attnum > 0 AND attnotnull AND NOT attisdropped
"""
SOURCE_PARTITIONS = """
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = CAST(%(table)s AS regclass)
 ORDER BY c.relname
"""
OTHER_SCHEMAS = """
SELECT n.nspname, count(c.oid)
  FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p')
 WHERE n.nspname <> ALL(%(skip)s) AND n.nspname NOT LIKE 'pg\\_%%'
 GROUP BY n.nspname ORDER BY n.nspname
"""


class ImportRefusedError(TherapyDbError):
    """The source cannot come in as it is; nothing was written."""


class Progress:
    """What the import tells its caller as it goes (the command draws bars or prints lines)."""

    def start(self, table: str, rows: int) -> None: ...

    def advance(self, table: str, rows: int) -> None: ...

    def finish(self, table: str, moved: int, set_aside: int, seconds: float) -> None: ...


@dataclass
class TableImport:
    source: str
    target: str
    rows: int
    moved: int = 0
    set_aside: int = 0
    seconds: float = 0.0


@dataclass
class Report:
    context: str
    revision: str
    zone: str
    comparison: shapes.Comparison
    tables: list[TableImport] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)
    partitions: list[str] = field(default_factory=list)  # created as in the source
    applied_legacy: bool = False
    written: bool = False

    def lines(self) -> list[str]:
        """The comparison and the plan, one line each."""
        lines = [f"refused: {d}" for d in self.comparison.refusals]
        lines += [f"tolerated: {d}" for d in self.comparison.tolerated]
        lines += [f"left alone: {name}" for name in self.left_alone]
        lines += [f"partition created as in the source: {name}" for name in self.partitions]
        lines += [f"table {t.source} -> {t.target}: {t.rows} rows" for t in self.tables]
        return lines


def run(
    context: str,
    source_url: str,
    engine: Engine,
    *,
    append: bool = False,
    dry_run: bool = False,
    zone: str | None = None,
    progress: Progress | None = None,
) -> Report:
    spec = system(context)
    progress = progress or Progress()
    source = _connect(source_url)
    try:
        zone = zone or spec.timezone or _server_zone(source)
        with _one_transaction(engine) as (connection, transaction):
            report = _import(spec, source, connection, zone, append, dry_run, progress)
            if not dry_run:
                transaction.commit()
                report.written = True
            return report
    finally:
        source.close()


def adopt(
    context: str,
    engine: Engine,
    *,
    dry_run: bool = False,
    zone: str | None = None,
    progress: Progress | None = None,
) -> Report:
    """In place: the database `engine` points at is the source system's own, and becomes the
    unified database. Its tables are set aside (a schema rename, or each moved to a schema of
    their own: catalog operations), the platform and the context's legacy revision are built,
    and the rows go in with INSERT ... SELECT inside the database, placed or set aside exactly
    as an import from elsewhere does; then the system's tables set aside are dropped, and what
    was not the system's goes back where it was. One transaction, like `run`."""
    spec = system(context)
    progress = progress or Progress()
    with _one_transaction(engine) as (connection, transaction):
        holding = _set_aside(connection, spec)
        source = copying.LocalSource(connection.connection.cursor)
        local = dataclasses.replace(spec, schema=holding)
        zone = zone or spec.timezone or _server_zone(source)
        report = _import(local, source, connection, zone, False, dry_run, progress)
        if not dry_run:
            _put_back(connection, holding, spec.schema, report)
            transaction.commit()
            report.written = True
        return report


@contextmanager
def _one_transaction(engine: Engine) -> Iterator[tuple[Connection, sa.RootTransaction]]:
    """The whole import in one transaction holding the migration lock: rolled back unless the
    caller commits (a dry run, an error, a kill), so the target is never half-imported."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            with migration_session(connection, get_settings()):
                yield connection, transaction
        finally:
            if transaction.is_active:
                transaction.rollback()


def _set_aside(connection: Connection, spec: SourceSystem) -> str:
    """Move the system's own schema out of the platform's way; returns where it now is."""
    if connection.scalar(sa.text("SELECT to_regclass('public.alembic_version')")):
        raise ImportRefusedError(
            "this database has a therapy-db history already: import the system's own database "
            "into it with --from instead of --in-place"
        )
    holding = f"import_{spec.context}"
    taken = connection.scalars(
        sa.text("SELECT nspname FROM pg_namespace WHERE nspname = ANY(:names)"),
        {"names": [*(c.schema for c in CONTEXTS if c.schema != spec.schema), holding]},
    ).all()
    if taken:
        raise ImportRefusedError(
            f"this database has schemas of its own named {', '.join(taken)}, which the platform "
            "needs: import it with --from into a new database instead of --in-place"
        )
    if spec.schema != "public":
        connection.execute(sa.text(f'ALTER SCHEMA "{spec.schema}" RENAME TO "{holding}"'))
        return holding
    connection.execute(sa.text(f'CREATE SCHEMA "{holding}"'))
    for kind, name in connection.execute(sa.text(MOVABLE), {"schema": "public"}).all():
        connection.execute(sa.text(f'ALTER {kind} public."{name}" SET SCHEMA "{holding}"'))
    return holding


def _put_back(connection: Connection, holding: str, schema: str, report: Report) -> None:
    """The system's tables, now copied, go; what was not the system's goes back where it was
    (or, where the platform took the name, stays in `holding`, named in the report)."""
    imported = ", ".join(_quoted(table.source) for table in report.tables)
    if imported:
        connection.execute(sa.text(f"DROP TABLE {imported}"))
    for kind, name in connection.execute(sa.text(MOVABLE), {"schema": holding}).all():
        free = connection.scalar(
            sa.text("SELECT to_regclass(:name) IS NULL AND to_regtype(:name) IS NULL"),
            {"name": f'{schema}."{name}"'},
        )
        if free and schema == "public":
            connection.execute(sa.text(f'ALTER {kind} "{holding}"."{name}" SET SCHEMA public'))
        else:
            report.left_alone.append(f"{kind.lower()} {holding}.{name} (kept aside)")
    if not connection.scalar(
        sa.text("SELECT EXISTS (SELECT FROM pg_class WHERE relnamespace = to_regnamespace(:s))"),
        {"s": holding},
    ):
        connection.execute(sa.text(f'DROP SCHEMA "{holding}"'))


def _connect(source_url: str) -> psycopg.Connection:
    url = db.parse_database_url(source_url, source="--from").set(drivername="postgresql")
    try:
        return copying.connect(url.render_as_string(hide_password=False))
    except psycopg.OperationalError as error:
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else "no detail"
        raise TherapyDbError(f"cannot read the source at {db.describe(url)}: {reason}") from None


def _server_zone(source: psycopg.Connection) -> str:
    return source.execute("SELECT reset_val FROM pg_settings WHERE name = 'TimeZone'").fetchone()[0]


def _import(
    spec: SourceSystem,
    source: psycopg.Connection,
    connection: Connection,
    zone: str,
    append: bool,
    dry_run: bool,
    progress: Progress,
) -> Report:
    applied_legacy = _bring_context_to_legacy(spec, connection)
    schema = BY_NAME[spec.context].schema
    raw = connection.connection.cursor()
    target = shapes.read(raw, schema)
    if spec.bridge and not spec.bridge.startswith(f"{schema}."):
        target |= shapes.read(raw, spec.bridge.split(".")[0])
    with source.cursor() as cursor:
        found = shapes.read(cursor, spec.schema)
    names = {
        f"{spec.schema}.{name.split('.')[1]}": name
        for name, table in target.items()
        if name.startswith(f"{schema}.") and table.kind in ("r", "p")
    }
    if spec.people:
        names = {f"{spec.schema}.{spec.people}": spec.bridge} | names
    comparison = shapes.compare(found, target, names, zone)
    comparison.differences = [_weigh(source, d, spec.schema) for d in comparison.differences]
    report = Report(spec.context, spec.legacy, zone, comparison, applied_legacy=applied_legacy)
    report.left_alone = _left_alone(source, spec, found, names)
    partitions = _missing_partitions(source, connection, comparison, target)
    report.partitions = [name for name, _ in partitions]
    for source_table, (target_table, _) in comparison.pairs.items():
        rows = source.execute(f"SELECT count(*) FROM {_quoted(source_table)}").fetchone()[0]
        report.tables.append(TableImport(source_table, target_table, rows))
    if comparison.refusals:
        raise ImportRefusedError(
            f"the {spec.context} database does not fit {spec.legacy}; nothing was written:\n  "
            + "\n  ".join(str(d) for d in comparison.refusals)
        )
    if not append:
        _refuse_to_mix(connection, report, spec)
    if dry_run:
        return report
    for _, ddl in partitions:
        connection.execute(sa.text(ddl))
    connection.execute(sa.text("SELECT set_config('TimeZone', :zone, true)"), {"zone": zone})
    connection.execute(sa.text("SELECT set_config('statement_timeout', '0', true)"))
    whole: set[str] = set()  # tables whose every source row came in, into an empty table
    for number, table in enumerate(_in_dependency_order(connection, report.tables)):
        _import_table(spec, source, connection, comparison, table, number, progress, whole)
    return report


def _bring_context_to_legacy(spec: SourceSystem, connection: Connection) -> bool:
    """The context at its legacy revision: applied here (in this transaction) if absent."""
    history = History()
    heads = current_heads(connection)
    standing = history.standing(heads)[spec.context]
    if standing == spec.legacy:
        return False
    if standing is not None:
        raise ImportRefusedError(
            f"the {spec.context} context is at {standing}; data comes in at {spec.legacy}: "
            f"take it back first (therapy-db migrate --rollback --context {spec.context}), "
            "or import into a database that does not have it yet"
        )
    config = history.config
    config.attributes.update(connection=connection)
    alembic.command.upgrade(config, spec.legacy)
    return True


def _weigh(source: psycopg.Connection, difference: shapes.Difference, schema: str):
    """A difference that loses data only where a row meets a condition, counted on the data."""
    if difference.unless_no_row is None:
        return difference
    table = _quoted(difference.table)
    rows = source.execute(
        f"SELECT count(*) FROM {table} WHERE {difference.unless_no_row}"
    ).fetchone()[0]
    if rows:
        return shapes.Difference(difference.table, f"{difference.what} ({rows} rows)", True)
    return shapes.Difference(difference.table, f"{difference.what}: no row is affected", False)


def _left_alone(source, spec: SourceSystem, found: dict, names: dict) -> list[str]:
    """What the source holds that is not the system's own: named, never read."""
    alone = [f"table {name} (not part of {spec.legacy})" for name in found if name not in names]
    skip = [*SCHEMAS_OF_POSTGRES, spec.schema]
    if isinstance(source, copying.LocalSource):  # the platform's own schemas are here too
        skip += ["public", *(context.schema for context in CONTEXTS)]
    with source.cursor() as cursor:
        cursor.execute(OTHER_SCHEMAS, {"skip": skip})
        alone += [
            f"schema {schema} ({tables} tables; not {spec.context}'s)"
            for schema, tables in cursor.fetchall()
            if tables
        ]
    return alone


def _missing_partitions(source, connection, comparison, target) -> list[tuple[str, str]]:
    """Partitions the source's partitioned tables have and the legacy shape lacks (months the
    system added after the shape was written down): created alike, so their rows fit."""
    missing = []
    for source_table, (target_table, _) in comparison.pairs.items():
        if target[target_table].kind != "p":
            continue
        have = set(
            connection.scalars(
                sa.text(
                    "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                    "JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = CAST(:t AS regclass)"
                ),
                {"t": target_table},
            )
        )
        with source.cursor() as cursor:
            cursor.execute(SOURCE_PARTITIONS, {"table": source_table})
            for name, bound in cursor.fetchall():
                if bound not in have:
                    schema = target_table.split(".")[0]
                    missing.append(
                        (
                            f"{schema}.{name}",
                            f"CREATE TABLE {schema}.{placing.q(name)} "
                            f"PARTITION OF {target_table} {bound}",
                        )
                    )
    return missing


def _refuse_to_mix(connection: Connection, report: Report, spec: SourceSystem) -> None:
    """A context that holds rows already is not imported into, unless asked to append."""
    full = [
        table.target
        for table in report.tables
        if table.target != spec.bridge
        and connection.scalar(sa.text(f"SELECT EXISTS (SELECT FROM {table.target})"))
    ]
    if full:
        raise ImportRefusedError(
            f"{', '.join(full)} already hold rows; run again with --append to add the source's "
            "rows to them (rows whose keys are taken are set aside)"
        )


def _in_dependency_order(connection: Connection, tables: list[TableImport]) -> list[TableImport]:
    """Parents before the tables that refer to them (people first)."""
    by_target = {table.target: table for table in tables}
    graph: dict[str, set[str]] = {target: set() for target in by_target}
    for child, parent in connection.execute(sa.text(FOREIGN_KEYS), {"relations": list(by_target)}):
        if child in graph and parent in graph and parent != child:
            graph[child].add(parent)
    bridge_first = sorted(graph, key=lambda name: by_target[name].source.endswith(".users"))
    order = TopologicalSorter({name: graph[name] for name in reversed(bridge_first)})
    return [by_target[name] for name in order.static_order()]


def _import_table(
    spec: SourceSystem,
    source: psycopg.Connection,
    connection: Connection,
    comparison: shapes.Comparison,
    table: TableImport,
    number: int,
    progress: Progress,
    whole: set[str],
) -> None:
    """One table: straight in when the source guaranteed every rule of the legacy shape,
    otherwise through staging, each row placed or set aside."""
    started = time.perf_counter()
    columns = comparison.pairs[table.source][1]
    kept = _guarantees(source, connection, comparison, table, whole)
    rules = placing.rules_of(connection, table.target, columns, spec.keys, kept)
    progress.start(table.source, table.rows)
    on_rows = lambda rows: progress.advance(table.source, rows)  # noqa: E731
    cursor = connection.connection.cursor()
    if not rules.reasons and table.target != spec.bridge:
        with placing.indexes_after_the_load(connection, table.target):
            copied = copying.copy_table(
                source, cursor, table.source, table.target, columns, on_rows
            )
        placed = placing.Placed(moved=copied, set_aside=0)
        placing.move_sequences_past(connection, table.target, table.target)
    else:
        staged = placing.stage(connection, table.target, columns, number)
        copied = copying.copy_table(source, cursor, table.source, staged, columns, on_rows)
        placed = placing.place(
            connection, staged, table.target, columns, rules,
            context=spec.context, source_table=table.source,
        )  # fmt: skip
        placing.move_sequences_past(connection, table.target, staged)
    record(connection, spec.context, table.target, copied, placed)
    if placed.set_aside == 0 and kept.fresh:
        whole.add(table.target)
    table.moved, table.set_aside = placed.moved, placed.set_aside
    table.seconds = time.perf_counter() - started
    progress.finish(table.source, placed.moved, placed.set_aside, table.seconds)


def _guarantees(
    source: psycopg.Connection,
    connection: Connection,
    comparison: shapes.Comparison,
    table: TableImport,
    whole: set[str],
) -> placing.Guarantees:
    """What the source enforced on this table, and so needs no check on its rows here."""
    with source.cursor() as cursor:
        cursor.execute(SOURCE_NOT_NULL, {"table": _quoted(table.source)})
        not_null = frozenset(name for (name,) in cursor.fetchall())
        cursor.execute(SOURCE_RULES, {"table": _quoted(table.source)})
        constraints = cursor.fetchall()
        cursor.execute(SOURCE_PARTITIONS, {"table": _quoted(table.source)})
        partitions = [bound for _, bound in cursor.fetchall()]
    target_of = {name: target for name, (target, _) in comparison.pairs.items()}
    return placing.Guarantees(
        not_null=not_null,
        checks=frozenset(expression for kind, expression, _, _ in constraints if kind == "c"),
        uniques=frozenset(
            tuple(sorted(cols)) for kind, _, cols, _ in constraints if kind in ("u", "p")
        ),
        references=frozenset(
            tuple(sorted(cols))
            for kind, _, cols, parent in constraints
            if kind == "f" and target_of.get(parent) in whole
        ),
        fresh=not connection.scalar(sa.text(f"SELECT EXISTS (SELECT FROM {table.target})")),
        partitions_fit=bool(partitions) and "DEFAULT" not in partitions,
    )


def record(connection: Connection, context: str, target: str, source_rows: int, placed) -> None:
    """The ledger's account of one table (added to, when a later import appends)."""
    connection.execute(
        sa.text(
            """
            INSERT INTO public.migration_reconciliation
                   (revision, target, source_rows, moved_rows, rejected_rows)
            VALUES (:revision, :target, :source, :moved, :rejected)
            ON CONFLICT (revision, target) DO UPDATE
               SET source_rows = migration_reconciliation.source_rows + EXCLUDED.source_rows,
                   moved_rows = migration_reconciliation.moved_rows + EXCLUDED.moved_rows,
                   rejected_rows = migration_reconciliation.rejected_rows
                                   + EXCLUDED.rejected_rows,
                   recorded_at = now()
            """
        ),
        {
            "revision": f"import:{context}",
            "target": target,
            "source": source_rows,
            "moved": placed.moved,
            "rejected": placed.set_aside,
        },
    )


def _quoted(qualified: str) -> str:
    schema, name = qualified.split(".")
    return f'"{schema}"."{name}"'
