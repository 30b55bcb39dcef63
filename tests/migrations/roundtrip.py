"""The data round-trip harness: the whole history, walked with data in the tables.

A revision registers its data and checks in a module of `tests/migrations/data/`:

    @before_upgrade("therapy_3nf")        rows in the shape the database has just before the
                                          revision (legacy data); committed
    @after_upgrade("therapy_3nf")         what the upgrade must have made of them
    @insert_after_upgrade("therapy_3nf")  rows in the new shape, inserted once per upward pass,
                                          so that later revisions and this revision's downgrade
                                          meet them; committed
    @after_downgrade("therapy_3nf")       what the downgrade must have given back
    volatile("coaching_phase3", "coaching.sessions", "status")
                                          a column a re-upgrade may legitimately compute anew
    kept_by_downgrade("clinic_integration", "auth.audit_log_overflow")
                                          a table the downgrade may leave behind on purpose, to
                                          keep rows the older shape cannot hold (its docstring
                                          says so); the downgrade comparisons leave it out and
                                          the revision's own checks look into it

Each hook takes a Connection. Checks (`after_*`) run in a transaction that is always rolled back,
so a check may insert or update to probe a constraint or trigger without leaving a trace. A
check runs after every upgrade (or downgrade) of its revision, whatever else is in the database,
so it looks at its own rows (by key), not at table totals.

The walk (tests/migrations/test_roundtrip.py):
1. Up from base. At each revision: seed, upgrade, check, downgrade, check, upgrade, check, then
   insert the new-shape rows. Generic checks at each such round trip: after the downgrade every
   row of every table and the catalog (tables, columns, constraints, indexes, triggers,
   functions, types, grants, comments) are exactly what they were before the upgrade; after the
   re-upgrade every row is exactly what the first upgrade produced.
2. Down to base, with everything loaded on the way up: each revision's downgrade checks and the
   catalog as it was before that revision.
3. Up to head again, seeding and checking as in 1.

Column order is not compared: a downgrade that re-adds a dropped column puts it last. Privileges
are compared as effective privileges (a revoked grant leaves an explicit default ACL behind).
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from app.runtime.models import SCHEMAS

Hook = Callable[[Connection], None]


@dataclass
class RevisionData:
    before_upgrade: list[Hook] = field(default_factory=list)
    after_upgrade: list[Hook] = field(default_factory=list)
    insert_after_upgrade: list[Hook] = field(default_factory=list)
    after_downgrade: list[Hook] = field(default_factory=list)
    volatile: dict[str, set[str]] = field(default_factory=dict)
    kept_by_downgrade: set[str] = field(default_factory=set)


REGISTRY: defaultdict[str, RevisionData] = defaultdict(RevisionData)


def _registrar(kind: str) -> Callable[[str], Callable[[Hook], Hook]]:
    def for_revision(revision: str) -> Callable[[Hook], Hook]:
        def register(hook: Hook) -> Hook:
            getattr(REGISTRY[revision], kind).append(hook)
            return hook

        return register

    return for_revision


before_upgrade = _registrar("before_upgrade")
after_upgrade = _registrar("after_upgrade")
insert_after_upgrade = _registrar("insert_after_upgrade")
after_downgrade = _registrar("after_downgrade")


def kept_by_downgrade(revision: str, table: str) -> None:
    REGISTRY[revision].kept_by_downgrade.add(table)


def volatile(revision: str, table: str, *columns: str) -> None:
    REGISTRY[revision].volatile.setdefault(table, set()).update(columns)


def insert(connection: Connection, table: str, rows: list[dict]) -> None:
    """Insert `rows` into `schema.table` as the table is right now.

    The table is reflected, so JSON, arrays, enums and vectors are bound as their column types.
    """
    schema, name = table.split(".")
    reflected = sa.Table(name, sa.MetaData(), schema=schema, autoload_with=connection)
    connection.execute(reflected.insert(), rows)


def run_seeds(engine: Engine, hooks: list[Hook]) -> None:
    for hook in hooks:
        with engine.begin() as connection:
            hook(connection)


def run_checks(engine: Engine, hooks: list[Hook]) -> None:
    for hook in hooks:
        with engine.connect() as connection:
            transaction = connection.begin()
            try:
                hook(connection)
            finally:
                transaction.rollback()


# -- what "exactly as before" means ---------------------------------------------------------------

Snapshot = dict[str, list]


# Columns that differ on every run by nature: the time a migration recorded its counts.
RUN_TIMES = {"public.migration_reconciliation": {"recorded_at"}}


def rows(
    engine: Engine,
    ignore: dict[str, set[str]] | None = None,
    leave_out: Iterable[str] = (),
    digest: bool = False,
) -> Snapshot:
    """Every row of every table in the project's schemas (but `leave_out`, "schema.table"), as
    sorted JSON, minus ignored columns.

    With `digest`, each table is [its row count, an md5 of those sorted rows] instead: as exact,
    and much quicker to compare on bulk data, but a difference is not shown row by row.
    """
    ignore = ignore or {}
    aggregate = (
        "jsonb_build_array(count(*), md5(coalesce(string_agg(r::text, E'\\n' ORDER BY r), '')))"
        if digest
        else "coalesce(jsonb_agg(r ORDER BY r), '[]')"
    )
    with engine.connect() as connection:
        tables = connection.scalars(
            sa.text(
                """
                SELECT format('%I.%I', n.nspname, c.relname)
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ANY(:schemas) AND c.relkind IN ('r', 'p')
                  AND NOT c.relispartition
                  AND c.relname NOT IN ('alembic_version', 'alembic_version_checksums')
                """
            ),
            {"schemas": list(SCHEMAS)},
        ).all()
        return {
            table: connection.scalar(
                sa.text(
                    f"SELECT {aggregate} "
                    f"FROM (SELECT to_jsonb(t) - CAST(:ignored AS text[]) AS r FROM {table} t) x"
                ),
                {"ignored": sorted(ignored(table.replace('"', ""), ignore))},
            )
            for table in tables
            if table.replace('"', "") not in leave_out
        }


def ignored(table: str, ignore: dict[str, set[str]]) -> set[str]:
    return ignore.get(table, set()) | RUN_TIMES.get(table, set())


CATALOG_QUERY = """
WITH ns AS (SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY(:schemas)),
     extension_members AS (SELECT objid FROM pg_depend WHERE deptype = 'e')
SELECT format('schema %s acl=%s', nspname, coalesce(nspacl, acldefault('n'::"char", nspowner)))
  FROM pg_namespace WHERE nspname = ANY(:schemas)
UNION ALL
SELECT format('relation %s.%s kind=%s acl=%s rls=%s/%s comment=%s partition_key=%s bound=%s',
              ns.nspname, c.relname, c.relkind,
              coalesce(c.relacl, acldefault(
                  CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", c.relowner)),
              c.relrowsecurity, c.relforcerowsecurity,
              obj_description(c.oid, 'pg_class'),
              CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
              pg_get_expr(c.relpartbound, c.oid))
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
 WHERE c.relkind NOT IN ('i', 'I', 't') AND c.oid NOT IN (SELECT objid FROM extension_members)
UNION ALL
SELECT format('column %s.%s.%s type=%s not_null=%s default=%s identity=%s generated=%s '
              'comment=%s acl=%s', ns.nspname, c.relname, a.attname,
              format_type(a.atttypid, a.atttypmod), a.attnotnull,
              pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
              col_description(c.oid, a.attnum), nullif(a.attacl, '{}'))
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid JOIN ns ON ns.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
   AND c.oid NOT IN (SELECT objid FROM extension_members)
UNION ALL
SELECT format('constraint %s %s %s', con.conrelid::regclass, con.conname,
              pg_get_constraintdef(con.oid))
  FROM pg_constraint con JOIN ns ON ns.oid = con.connamespace
UNION ALL
SELECT 'index ' || pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN ns ON ns.oid = c.relnamespace
UNION ALL
SELECT format('trigger %s enabled=%s', pg_get_triggerdef(t.oid), t.tgenabled)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN ns ON ns.oid = c.relnamespace
 WHERE NOT t.tgisinternal
UNION ALL
SELECT format('function %s acl=%s comment=%s', pg_get_functiondef(p.oid),
              coalesce(p.proacl, acldefault('f'::"char", p.proowner)),
              obj_description(p.oid, 'pg_proc'))
  FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
 WHERE p.prokind IN ('f', 'p') AND p.oid NOT IN (SELECT objid FROM extension_members)
UNION ALL
SELECT format('view %s.%s %s', ns.nspname, c.relname, pg_get_viewdef(c.oid))
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace WHERE c.relkind IN ('v', 'm')
UNION ALL
SELECT format('type %s.%s kind=%s labels=%s base=%s', ns.nspname, t.typname, t.typtype,
              (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                 FROM pg_enum e WHERE e.enumtypid = t.oid),
              format_type(t.typbasetype, t.typtypmod))
  FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
 WHERE t.typtype IN ('e', 'd') AND t.oid NOT IN (SELECT objid FROM extension_members)
UNION ALL
SELECT format('policy %s %s cmd=%s roles=%s using=%s check=%s', pol.polrelid::regclass,
              pol.polname, pol.polcmd, pol.polroles::regrole[],
              pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid))
  FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid JOIN ns ON ns.oid = c.relnamespace
UNION ALL
SELECT format('default privileges %s %s %s', da.defaclrole::regrole, ns.nspname, da.defaclacl)
  FROM pg_default_acl da JOIN ns ON ns.oid = da.defaclnamespace
UNION ALL
SELECT format('extension %s %s', extname, extversion) FROM pg_extension
"""


def catalog(engine: Engine, leave_out: Iterable[str] = ()) -> list[str]:
    """Every object of the project's schemas, one line each: what the history has built so far.

    Alembic's own bookkeeping table, and the tables in `leave_out` ("schema.table"), are left out.
    """
    bookkeeping = ["alembic_version", "alembic_version_checksums"]
    left_out = re.compile(
        "|".join(rf"\b{re.escape(name)}\b" for name in [*bookkeeping, *leave_out])
    )
    with engine.connect() as connection:
        lines = connection.scalars(sa.text(CATALOG_QUERY), {"schemas": list(SCHEMAS)})
        return sorted(line for line in lines if not left_out.search(line))


def assert_same_rows(expected: Snapshot, actual: Snapshot, what: str) -> None:
    problems = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        if want == got:
            continue
        if want is None or got is None:
            problems.append(f"{table}: table {'appeared' if want is None else 'disappeared'}")
            continue
        missing = [row for row in want if row not in got]
        extra = [row for row in got if row not in want]
        problems.append(
            f"{table}: {len(want)} rows -> {len(got)}; "
            f"missing {missing[:3]}; unexpected {extra[:3]}"
        )
    assert not problems, f"{what}:\n  " + "\n  ".join(problems)


def assert_same_catalog(expected: list[str], actual: list[str], what: str) -> None:
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    assert not (missing or extra), "\n    ".join(
        [f"{what}:", "missing:", *missing, "left behind:", *extra]
    )
