"""One person known to two source systems, linked on purpose: `therapy-db link KEPT MERGED`.

Imports bring each system's people in as people of their own, never merged on a guess (a wrong
link shows one person's therapy to someone else). Linking is an operator's decision, one pair at
a time or from a mapping file, in one transaction:

- every row of the merged person's, in every context (each foreign key to `public.users`, the
  therapist's integer key included), becomes the kept person's;
- the kept person takes the merged person's keys of the systems they lack (a Discord id, an
  auth-provider uid, ...) and fills their empty columns from it; two different values for one
  unique column (two Discord accounts, two emails) refuse the link: that is two accounts, or a
  value to settle first;
- the merged person's row is kept whole in `public.identity_links`, and the ledger counts the
  link (revision `link`, target `public.users`).
"""

import json
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from app.runtime.errors import TherapyDbError

# Every foreign key to public.users: the referring table, its column, the users column.
REFERENCES = """
SELECT format('%I.%I', n.nspname, c.relname), a.attname, ua.attname
  FROM pg_constraint con
  JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
  JOIN pg_attribute ua ON ua.attrelid = con.confrelid AND ua.attnum = con.confkey[1]
 WHERE con.contype = 'f' AND con.confrelid = 'public.users'::regclass
   AND cardinality(con.conkey) = 1
 ORDER BY 1, 2
"""
# Columns of public.users that identify a person (unique), but the id.
UNIQUE_COLUMNS = """
SELECT DISTINCT a.attname
  FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
 WHERE i.indrelid = 'public.users'::regclass AND i.indisunique AND i.indnatts = 1
   AND a.attname <> 'id'
"""
COLUMNS = """
SELECT attname FROM pg_attribute
 WHERE attrelid = 'public.users'::regclass AND attnum > 0 AND NOT attisdropped
   AND attname NOT IN ('id', 'created_at', 'updated_at')
 ORDER BY attnum
"""


class LinkRefusedError(TherapyDbError):
    """The two people cannot be one without losing or confusing something."""


@dataclass(frozen=True)
class Link:
    kept: uuid.UUID
    merged: uuid.UUID
    rows_moved: int


def link(connection: Connection, kept: uuid.UUID, merged: uuid.UUID, note: str | None = None):
    """Make `merged` the same person as `kept` (see the module's docstring); flushed, not
    committed: the caller commits the whole set of links at once."""
    if kept == merged:
        raise LinkRefusedError(f"{kept} and {merged} are already one person")
    people = connection.execute(
        sa.text("SELECT id, to_jsonb(u) FROM public.users u WHERE id IN (:a, :b) FOR UPDATE"),
        {"a": kept, "b": merged},
    ).all()
    rows = dict(people)
    for person in (kept, merged):
        if person not in rows:
            raise LinkRefusedError(f"no person {person}")
    keep, other = rows[kept], rows[merged]
    unique = connection.scalars(sa.text(UNIQUE_COLUMNS)).all()
    clashes = [
        f"{column} ({keep[column]} and {other[column]})"
        for column in unique
        if keep.get(column) is not None
        and other.get(column) is not None
        and keep[column] != other[column]
    ]
    if clashes:
        raise LinkRefusedError(
            f"{kept} and {merged} both have {', '.join(clashes)}: two accounts of one system "
            "are not one person of two; settle the values first"
        )
    references = connection.execute(sa.text(REFERENCES)).all()
    moved = 0
    try:
        # Rows referring to the merged person by a key of theirs other than the id (the
        # therapist's integer userid) let go of it while it moves to the kept person.
        waiting = []
        for table, column, users_column in references:
            if users_column != "id" and other.get(users_column) is not None:
                key = _primary_key(connection, table)
                held = connection.scalars(
                    sa.text(
                        f'UPDATE {table} SET "{column}" = NULL WHERE "{column}" = :value '
                        f'RETURNING "{key}"'
                    ),
                    {"value": other[users_column]},
                ).all()
                waiting.append((table, column, users_column, key, held))
        for table, column, users_column in references:
            if users_column == "id":
                moved += connection.execute(
                    sa.text(f'UPDATE {table} SET "{column}" = :kept WHERE "{column}" = :merged'),
                    {"kept": kept, "merged": merged},
                ).rowcount
        columns = connection.scalars(sa.text(COLUMNS)).all()
        connection.execute(
            sa.text(
                "UPDATE public.users SET "
                + ", ".join(f'"{c}" = NULL' for c in unique)
                + " WHERE id = :merged"
            ),
            {"merged": merged},
        )
        connection.execute(
            sa.text(
                "UPDATE public.users k SET "
                + ", ".join(f'"{c}" = coalesce(k."{c}", o."{c}")' for c in columns)
                + " FROM jsonb_populate_record(NULL::public.users, CAST(:row AS jsonb)) o "
                "WHERE k.id = :kept"
            ),
            {"row": _json(other), "kept": kept},
        )
        for table, column, users_column, key, held in waiting:
            moved += connection.execute(
                sa.text(f'UPDATE {table} SET "{column}" = :value WHERE "{key}" = ANY(:rows)'),
                {"value": other[users_column], "rows": held},
            ).rowcount
        connection.execute(
            sa.text("DELETE FROM public.users WHERE id = :merged"), {"merged": merged}
        )
    except IntegrityError as error:
        detail = str(error.orig).strip().splitlines()[0]
        raise LinkRefusedError(
            f"{kept} and {merged} cannot be one person: {detail} (a table that holds one row "
            "per person has one for each: settle which stays first)"
        ) from None
    connection.execute(
        sa.text(
            "INSERT INTO public.identity_links (kept_user_id, merged_user_id, merged_row, note) "
            "VALUES (:kept, :merged, CAST(:row AS jsonb), :note)"
        ),
        {"kept": kept, "merged": merged, "row": _json(other), "note": note},
    )
    connection.execute(
        sa.text(
            """
            INSERT INTO public.migration_reconciliation
                   (revision, target, source_rows, moved_rows, rejected_rows)
            VALUES ('link', 'public.users', 1, 1, 0)
            ON CONFLICT (revision, target) DO UPDATE
               SET source_rows = migration_reconciliation.source_rows + 1,
                   moved_rows = migration_reconciliation.moved_rows + 1, recorded_at = now()
            """
        )
    )
    return Link(kept, merged, moved)


def _json(row: dict) -> str:
    return json.dumps(row)


def _primary_key(connection: Connection, table: str) -> str:
    columns = connection.scalars(
        sa.text(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = CAST(:t AS regclass) AND i.indisprimary"
        ),
        {"t": table},
    ).all()
    if len(columns) != 1:
        raise LinkRefusedError(f"{table} has no one-column primary key to move its rows by")
    return columns[0]
