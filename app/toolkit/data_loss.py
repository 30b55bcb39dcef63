"""Downgrades that would destroy rows refuse, unless told to, before anything changes.

A revision whose downgrade cannot give rows back says which in `LOST_ON_DOWNGRADE`: a table (or
`schema.*`, every table of a context's schema, for the revisions below which the context does not
exist) mapped to the SQL condition of its rows that are lost (`true`: all of them). Before a
downgrade runs its first step, every step's declaration is counted on the database as it is;
if any row would be lost, the run stops with one line naming each table and its count, unless
`allow_data_loss` is given (`alembic -x allow_data_loss=true`, `therapy-db migrate
--allow-data-loss`).
"""

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.runtime.errors import TherapyDbError

DECLARATION = "LOST_ON_DOWNGRADE"
ALLOW = "allow_data_loss"


class DataLossRefusedError(TherapyDbError):
    """A downgrade would destroy rows and was not told it may."""


@dataclass(frozen=True)
class Loss:
    revision: str
    table: str
    rows: int


def declared(revisions: Iterable) -> list[tuple[str, str, str]]:
    """(revision id, table or `schema.*`, condition) for each revision Script about to go down."""
    return [
        (script.revision, table, condition)
        for script in revisions
        for table, condition in getattr(script.module, DECLARATION, {}).items()
    ]


def count(connection: Connection, declarations: Iterable[tuple[str, str, str]]) -> list[Loss]:
    """The rows each declaration would destroy in the database as it is now (tables that do not
    exist destroy nothing)."""
    losses = []
    for revision, table, condition in declarations:
        for name in _tables(connection, table):
            rows = connection.scalar(sa.text(f"SELECT count(*) FROM {name} WHERE {condition}"))
            if rows:
                losses.append(Loss(revision, name, rows))
    return losses


def _tables(connection: Connection, table: str) -> list[str]:
    schema, _, name = table.partition(".")
    if name != "*":
        exists = connection.scalar(sa.text("SELECT to_regclass(:table)"), {"table": table})
        return [table] if exists else []
    return connection.scalars(
        sa.text(
            """
            SELECT format('%I.%I', n.nspname, c.relname)
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') AND NOT c.relispartition
               AND c.relname NOT IN ('alembic_version', 'alembic_version_checksums')
             ORDER BY c.relname
            """
        ),
        {"schema": schema},
    ).all()


HOW_TO_ALLOW = "-x allow_data_loss=true (therapy-db migrate: --allow-data-loss)"


def refusal(losses: list[Loss], how_to_allow: str = HOW_TO_ALLOW) -> str:
    tables = ", ".join(
        f"{loss.table} ({loss.rows} row{'s' if loss.rows != 1 else ''}, {loss.revision})"
        for loss in losses
    )
    return (
        f"refusing to downgrade: it would destroy rows it cannot give back: {tables}; "
        f"to proceed deliberately (after a backup), run it again with {how_to_allow}"
    )


def guard(connection: Connection, revisions: Iterable, allowed: bool) -> None:
    """Raise DataLossRefusedError if going down through `revisions` would destroy rows."""
    if allowed:
        return
    losses = count(connection, declared(revisions))
    if losses:
        raise DataLossRefusedError(refusal(losses))


def is_allowed(value: object) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}
