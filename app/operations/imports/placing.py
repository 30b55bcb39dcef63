"""Staged rows into their legacy table, or aside with the reason: never lost, never half-moved.

A source table is copied into a temporary staging table of the target's column types, with no
rule of the legacy shape. The rules are then read from the target's own catalog (NOT NULL,
CHECK, foreign keys, unique keys, partition bounds; for a bridge view, the person's keys its
system gives) and every staged row is classified by the first rule it breaks, in one statement.
The rows that break none go into the target in one INSERT, the others into
`public.import_rejects`, whole, with the reason.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

REASON = "import_reason"
ORDINAL = "import_ordinal"

RULES = """
SELECT con.contype, con.conname, pg_get_expr(con.conbin, con.conrelid),
       ARRAY(SELECT a.attname FROM unnest(con.conkey) k
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k),
       (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = con.confrelid),
       ARRAY(SELECT a.attname FROM unnest(con.confkey) k
               JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k)
  FROM pg_constraint con
 WHERE con.conrelid = CAST(:relation AS regclass) AND con.contype IN ('c', 'f', 'u', 'p')
 ORDER BY con.contype, con.conname
"""
NOT_NULL = """
SELECT attname FROM pg_attribute
 WHERE attrelid = CAST(:relation AS regclass) AND attnum > 0 AND attnotnull AND NOT attisdropped
"""
PARTITIONS = """
SELECT pg_get_expr(c.relpartbound, c.oid)
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = CAST(:relation AS regclass)
"""
PARTITION_KEY = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod)
  FROM pg_partitioned_table p
  JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
 WHERE p.partrelid = CAST(:relation AS regclass)
"""
RANGE = re.compile(r"FOR VALUES FROM \((.+)\) TO \((.+)\)")


@dataclass
class Rules:
    """What the legacy shape requires of a row of one relation."""

    reasons: list[tuple[str, str]] = field(default_factory=list)  # (SQL condition, reason)


def q(name: str) -> str:
    return f'"{name}"'


@dataclass(frozen=True)
class Guarantees:
    """What the source database already enforced on a table: no row can break these rules, so
    they are not checked again (a table none of whose rules are left is copied straight in)."""

    not_null: frozenset[str] = frozenset()
    checks: frozenset[str] = frozenset()  # deparsed CHECK expressions
    uniques: frozenset[tuple[str, ...]] = frozenset()  # column sets, sorted
    references: frozenset[tuple[str, ...]] = frozenset()  # FK column sets whose parent came whole
    fresh: bool = False  # the target held no row before: nothing there to collide with
    partitions_fit: bool = False  # every source partition has its twin in the target


def rules_of(
    connection: Connection,
    relation: str,
    columns: list[str],
    keys: dict[str, str],
    kept: Guarantees = Guarantees(),
) -> Rules:
    """The rules of `relation` a staged row of `columns` can break, most basic first.

    `keys` (a bridge view's columns -> public.users columns) stands for the unique keys a view
    does not have itself: a person whose key another person already holds is set aside.
    """
    rules = Rules()
    present = set(columns)
    is_view = _is_view(connection, relation)
    for (column,) in connection.execute(sa.text(NOT_NULL), {"relation": relation}):
        if column in present and column not in kept.not_null:
            rules.reasons.append((f"s.{q(column)} IS NULL", f"{column} is empty (required)"))
    constraints = connection.execute(sa.text(RULES), {"relation": relation}).all()
    for kind, name, expression, cols, _, _ in constraints:
        if kind == "c" and set(cols) <= present and expression not in kept.checks:
            rules.reasons.append((f"({expression}) IS FALSE", f"breaks {name}: {expression}"))
    for kind, _, _, cols, parent, parent_cols in constraints:
        if kind == "f" and set(cols) <= present and tuple(sorted(cols)) not in kept.references:
            given = " AND ".join(f"s.{q(c)} IS NOT NULL" for c in cols)
            pairs = zip(cols, parent_cols, strict=True)
            match = " AND ".join(f"p.{q(pc)} = s.{q(c)}" for c, pc in pairs)
            rules.reasons.append(
                (
                    f"{given} AND NOT EXISTS (SELECT FROM {parent} p WHERE {match})",
                    f"{', '.join(cols)} refers to a {parent} row that is not there",
                )
            )
    if is_view:
        users = [[users_column] for users_column in keys.values()]
        rules.reasons += _unique(relation, [[c] for c in keys if c in present], users=users)
    else:
        uniques = [cols for kind, _, _, cols, _, _ in constraints if kind in ("u", "p")]
        for key in (cols for cols in uniques if set(cols) <= present):
            rules.reasons += _unique(
                relation,
                [key],
                in_target=not kept.fresh,
                in_source=tuple(sorted(key)) not in kept.uniques,
            )
    if not kept.partitions_fit:
        rules.reasons += _partitions(connection, relation, present)
    return rules


def _is_view(connection: Connection, relation: str) -> bool:
    return connection.scalar(
        sa.text("SELECT relkind = 'v' FROM pg_class WHERE oid = CAST(:r AS regclass)"),
        {"r": relation},
    )


def _unique(
    relation: str,
    keys: list[list[str]],
    *,
    users: list[list[str]] | None = None,
    in_target: bool = True,
    in_source: bool = True,
) -> list[tuple[str, str]]:
    """A key already held in the target (for a view: by a person in public.users), or repeated
    by an earlier row of the source."""
    reasons = []
    for index, key in enumerate(keys):
        given = " AND ".join(f"s.{q(c)} IS NOT NULL" for c in key)
        target, target_key = (relation, key) if users is None else ("public.users", users[index])
        pairs = zip(key, target_key, strict=True)
        match = " AND ".join(f"t.{q(tc)} = s.{q(c)}" for c, tc in pairs)
        if in_target:
            reasons.append(
                (
                    f"{given} AND EXISTS (SELECT FROM {target} t WHERE {match})",
                    f"{', '.join(key)} already belongs to a row of {target}",
                )
            )
        if in_source:
            partition = ", ".join(f"s.{q(c)}" for c in key)
            earlier = f"row_number() OVER (PARTITION BY {partition} ORDER BY s.{ORDINAL})"
            reasons.append(
                (
                    f"{given} AND {earlier} > 1",
                    f"{', '.join(key)} repeats an earlier row of the source",
                )
            )
    return reasons


def _partitions(connection: Connection, relation: str, present: set[str]) -> list:
    """A row of a partitioned table (without a default partition) no partition takes."""
    key = connection.execute(sa.text(PARTITION_KEY), {"relation": relation}).first()
    if key is None or key[0] not in present:
        return []
    bounds = connection.scalars(sa.text(PARTITIONS), {"relation": relation}).all()
    if "DEFAULT" in bounds:
        return []
    column, type_ = key
    ranges = [RANGE.match(bound) for bound in bounds]
    held = " OR ".join(
        f"(s.{q(column)} >= CAST({low} AS {type_}) AND s.{q(column)} < CAST({high} AS {type_}))"
        for low, high in (r.groups() for r in ranges if r)
    )
    return [(f"NOT ({held or 'false'})", f"no partition of {relation} holds its {column}")]


@dataclass(frozen=True)
class Placed:
    moved: int
    set_aside: int


def stage(connection: Connection, relation: str, columns: list[str], number: int) -> str:
    """A temporary table of `relation`'s column types, without its rules; dropped at commit."""
    name = f"import_stage_{number}"
    connection.execute(
        sa.text(
            f"CREATE TEMP TABLE {name} ON COMMIT DROP AS "
            f"SELECT {', '.join(map(q, columns))} FROM {relation} WITH NO DATA"
        )
    )
    return name


def place(
    connection: Connection,
    staged: str,
    relation: str,
    columns: list[str],
    rules: Rules,
    *,
    context: str,
    source_table: str,
) -> Placed:
    """Every staged row into `relation`, or into public.import_rejects with its reason."""
    reason = (
        "CASE "
        + " ".join(
            f"WHEN {condition} THEN '{text.replace(chr(39), chr(39) * 2)}'"
            for condition, text in rules.reasons
        )
        + " END"
        if rules.reasons
        else "NULL::text"
    )
    classified = f"{staged}_classified"
    connection.execute(
        sa.text(
            f"CREATE TEMP TABLE {classified} ON COMMIT DROP AS "
            f"SELECT s.*, {reason} AS {REASON} "
            f"FROM (SELECT *, row_number() OVER (ORDER BY ctid) AS {ORDINAL} FROM {staged}) s"
        )
    )
    listed = ", ".join(map(q, columns))
    # Ids come from the source: an identity column takes them too (GENERATED ALWAYS included).
    overriding = "" if _is_view(connection, relation) else "OVERRIDING SYSTEM VALUE "
    moved = connection.execute(
        sa.text(
            f"INSERT INTO {relation} ({listed}) {overriding}SELECT {listed} FROM {classified} "
            f"WHERE {REASON} IS NULL ORDER BY {ORDINAL}"
        )
    ).rowcount
    set_aside = connection.execute(
        sa.text(
            "INSERT INTO public.import_rejects "
            "(context, source_table, target_table, reason, source_row) "
            f"SELECT :context, :source, :target, {REASON}, "
            f"to_jsonb(c) - '{REASON}' - '{ORDINAL}' FROM {classified} c "
            f"WHERE {REASON} IS NOT NULL ORDER BY {ORDINAL}"
        ),
        {"context": context, "source": source_table, "target": relation},
    ).rowcount
    return Placed(moved, set_aside)


SEQUENCES = """
SELECT a.attname,
       coalesce(pg_get_serial_sequence(:relation, a.attname),
                substring(pg_get_expr(d.adbin, d.adrelid) from 'nextval\\(''([^'']+)'''))
  FROM pg_attribute a
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = CAST(:relation AS regclass) AND a.attnum > 0 AND NOT a.attisdropped
"""


def move_sequences_past(connection: Connection, relation: str, staged: str) -> None:
    """Ids the target hands out next come after every id the source brought, the ones set aside
    included (so a set-aside row can be placed later with its own id)."""
    staged_columns = set(
        connection.scalars(
            sa.text(
                "SELECT attname FROM pg_attribute "
                "WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped"
            ),
            {"t": staged},
        )
    )
    for column, sequence in connection.execute(sa.text(SEQUENCES), {"relation": relation}):
        if sequence and column in staged_columns:
            connection.execute(
                sa.text(
                    f"SELECT setval(CAST(:sequence AS regclass), top) FROM ("
                    f"SELECT greatest((SELECT max({q(column)}) FROM {relation}), "
                    f"(SELECT max({q(column)}) FROM {staged})) AS top) t "
                    "WHERE top > coalesce(pg_sequence_last_value(CAST(:sequence AS regclass)), 0)"
                ),
                {"sequence": sequence},
            )


PLAIN_INDEXES = """
SELECT format('%I.%I', n.nspname, c.relname), pg_get_indexdef(i.indexrelid)
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE i.indrelid = CAST(:relation AS regclass)
   AND NOT EXISTS (SELECT FROM pg_constraint con WHERE con.conindid = i.indexrelid)
"""


@contextmanager
def indexes_after_the_load(connection: Connection, relation: str) -> Iterator[None]:
    """An empty table filled whole: its plain indexes (not a key's) are built once, after the
    rows are in, instead of row by row (a fraction of the time, with sort memory to match)."""
    indexes = connection.execute(sa.text(PLAIN_INDEXES), {"relation": relation}).all()
    for name, _ in indexes:
        connection.execute(sa.text(f"DROP INDEX {name}"))
    yield
    connection.execute(sa.text("SELECT set_config('maintenance_work_mem', '256MB', true)"))
    for _, definition in indexes:  # a partitioned table's, on every partition again
        connection.execute(sa.text(definition.replace(" ON ONLY ", " ON ", 1)))
