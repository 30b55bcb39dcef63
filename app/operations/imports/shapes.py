"""The source system's tables against the legacy shape they are to enter.

A difference that would lose or change data (a column the legacy shape lacks that holds values,
a type that cannot hold the values without changing them, a required column the source does not
have) refuses the import before anything is written. A harmless one (an extra index, a missing
default, a wider type, an empty extra column) is reported and tolerated. Rows that break a rule
of the legacy shape (a NULL where a value is required, a broken reference, ...) are not a shape
difference: they are set aside, one by one, with the reason (app/operations/imports/placing.py).
"""

from dataclasses import dataclass, field

SHAPE = """
SELECT c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod), t.typtype,
       a.attnotnull, pg_get_expr(d.adbin, d.adrelid) IS NOT NULL OR a.attidentity <> '',
       CASE WHEN t.typtype = 'e' THEN (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder)
                                          FROM pg_enum e WHERE e.enumtypid = t.oid) END
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
 ORDER BY c.relname, a.attnum
"""

# Types a value moves between unchanged (source type's base -> target type's bases).
WIDENINGS = {
    "smallint": {"integer", "bigint", "numeric"},
    "integer": {"bigint", "numeric"},
    "bigint": {"numeric"},
    "character varying": {"text"},
    "character": {"text", "character varying"},
    "text": set(),
    "real": {"double precision"},
}
# Moves that keep every value but not its form: reported.
NORMALISED = {
    ("timestamp without time zone", "timestamp with time zone"): (
        "timestamp without time zone read as local time in {zone}"
    ),
    ("json", "jsonb"): "json stored as jsonb (same values; key order and spacing not kept)",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    kind: str  # pg_type.typtype: b(ase), e(num), d(omain), ...
    not_null: bool
    has_default: bool
    labels: tuple[str, ...] = ()

    @property
    def base(self) -> str:
        return self.type.split("(")[0].removesuffix("[]").strip()

    @property
    def length(self) -> int | None:
        if "(" in self.type and self.base in ("character varying", "character"):
            return int(self.type.split("(")[1].split(")")[0])
        return None


@dataclass
class Table:
    name: str
    kind: str
    columns: dict[str, Column] = field(default_factory=dict)


def read(cursor, schema: str) -> dict[str, Table]:
    """Every table and view of `schema`, by `schema.name`, with its columns (a DB-API cursor)."""
    cursor.execute(SHAPE, {"schema": schema})
    tables: dict[str, Table] = {}
    for relname, relkind, name, type_, kind, not_null, has_default, labels in cursor.fetchall():
        qualified = f"{schema}.{relname}"
        table = tables.setdefault(qualified, Table(qualified, relkind))
        table.columns[name] = Column(name, type_, kind, not_null, has_default, tuple(labels or ()))
    return tables


@dataclass(frozen=True)
class Difference:
    table: str
    what: str
    refuses: bool  # would lose or change data
    # A condition on the source table's rows: the difference loses data only if a row meets it
    # (an extra column that holds a value, a text longer than the legacy column takes).
    unless_no_row: str | None = None

    def __str__(self) -> str:
        return f"{self.table}: {self.what}"


@dataclass
class Comparison:
    """What the source has against what the legacy shape expects, table by table."""

    differences: list[Difference] = field(default_factory=list)
    # source table -> (target relation, the columns both have, in the target's order)
    pairs: dict[str, tuple[str, list[str]]] = field(default_factory=dict)

    @property
    def refusals(self) -> list[Difference]:
        return [d for d in self.differences if d.refuses]

    @property
    def tolerated(self) -> list[Difference]:
        return [d for d in self.differences if not d.refuses]


def compare(
    source: dict[str, Table], target: dict[str, Table], names: dict[str, str], zone: str
) -> Comparison:
    """Compare each source table with the target relation (`schema.name`) `names` maps it to."""
    result = Comparison()
    for source_name, target_name in names.items():
        expected, found = target[target_name], source.get(source_name)
        if found is None:
            result.differences.append(
                Difference(source_name, "absent from the source: nothing to import", False)
            )
            continue
        common = []
        for column in expected.columns.values():
            have = found.columns.get(column.name)
            if have is None:
                required = column.not_null and not column.has_default
                what = "is missing and required" if required else "is missing: it gets its default"
                result.differences.append(
                    Difference(source_name, f"column {column.name} {what}", required)
                )
                continue
            common.append(column.name)
            result.differences += _compare_types(source_name, have, column, zone)
        for column in found.columns.values():
            if column.name not in expected.columns:
                result.differences.append(
                    Difference(
                        source_name,
                        f"column {column.name} ({column.type}) has no place in the legacy shape",
                        True,
                        unless_no_row=f'"{column.name}" IS NOT NULL',
                    )
                )
        result.pairs[source_name] = (target_name, common)
    return result


def _compare_types(table: str, have: Column, want: Column, zone: str) -> list[Difference]:
    if have.type == want.type and have.kind != "e":
        return []
    if want.kind == "e" and have.kind != "e" and have.base in ("text", "character varying"):
        labels = ", ".join("'" + label.replace("'", "''") + "'" for label in want.labels)
        return [
            Difference(
                table,
                f"column {have.name}: {have.type} read as {want.type} ({', '.join(want.labels)})",
                True,
                unless_no_row=f'"{have.name}"::text NOT IN ({labels})',
            )
        ]
    if have.kind == "e" or want.kind == "e":
        if have.kind == want.kind == "e" and set(have.labels) <= set(want.labels):
            return []
        return [
            Difference(
                table,
                f"column {have.name}: {have.type} {list(have.labels)} does not fit "
                f"{want.type} {list(want.labels)}",
                True,
            )
        ]
    if have.type.endswith("[]") != want.type.endswith("[]"):
        return [Difference(table, f"column {have.name}: {have.type} is not {want.type}", True)]
    normalised = NORMALISED.get((have.base, want.base))
    if normalised:
        return [Difference(table, f"column {have.name}: {normalised.format(zone=zone)}", False)]
    widens = have.base == want.base or want.base in WIDENINGS.get(have.base, set())
    texts = {"text", "character varying", "character"}
    if not widens and not (have.base in texts and want.base in texts):
        return [
            Difference(table, f"column {have.name}: {have.type} cannot become {want.type}", True)
        ]
    if want.length is not None and (have.length is None or have.length > want.length):
        return [
            Difference(
                table,
                f"column {have.name}: {have.type} into {want.type} would cut longer values",
                True,
                unless_no_row=f'length("{have.name}") > {want.length}',
            )
        ]
    return []
