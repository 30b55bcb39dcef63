"""Reading what the companion remembers about a user, to build an assistant's context."""

import functools
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.orm import Session

from app.runtime.models.base import Base
from app.runtime.models.memory import MemoryList, OnePerUser, UserProfileSummary

# Columns that are bookkeeping, not memory.
HIDDEN_COLUMNS = ("user_id", "legacy_value", "is_active")

Json = dict[str, Any]


@dataclass(frozen=True)
class UserMemory:
    """A user's whole memory as JSON-ready dicts (uuids and timestamps as strings).

    `details` holds the one-per-user tables and `lists` every list, each by its table's name
    without the `user_` prefix (`details["ai_preferences"]`, `lists["themes"]`). A list holds
    its active items in their order; a detail the user has no row for is None.
    """

    summary: Json | None
    details: dict[str, Json | None]
    lists: dict[str, list[Json]]


def read_user_memory(session: Session, user_id: uuid.UUID) -> UserMemory:
    """Everything remembered about `user_id`, in one round trip: one SELECT whose columns are a
    JSON row (or a JSON array of rows) per table."""
    details = one_per_user_tables()[1:]
    lists = memory_list_tables()
    row = session.execute(user_memory_statement(), {"user_id": user_id}).one()
    return UserMemory(
        summary=row.summary,
        details={key(table): row._mapping[key(table)] for table in details},
        lists={key(table): row._mapping[key(table)] for table in lists},
    )


@functools.cache
def user_memory_statement() -> sa.Select:
    """Built once: building its 36 subqueries costs several times what running it does."""
    summary, *details = one_per_user_tables()
    user_id = sa.bindparam("user_id", type_=summary.c.user_id.type)
    return sa.select(
        as_row(summary, user_id).label("summary"),
        *(as_row(table, user_id).label(key(table)) for table in details),
        *(as_list(table, user_id).label(key(table)) for table in memory_list_tables()),
    )


def one_per_user_tables() -> list[sa.Table]:
    """The summary first, then the other one-per-user tables by name."""
    tables = tables_of(OnePerUser)
    tables.remove(UserProfileSummary.__table__)
    return [UserProfileSummary.__table__, *tables]


def memory_list_tables() -> list[sa.Table]:
    return tables_of(MemoryList)


def tables_of(shape: type) -> list[sa.Table]:
    mapped = (mapper.class_ for mapper in Base.registry.mappers)
    return sorted((cls.__table__ for cls in mapped if issubclass(cls, shape)), key=lambda t: t.name)


def key(table: sa.Table) -> str:
    return table.name.removeprefix("user_")


def as_json(table: sa.Table) -> sa.ColumnElement:
    hidden = sa.literal(list(HIDDEN_COLUMNS), ARRAY(sa.Text))
    return sa.func.to_jsonb(table.table_valued()).op("-")(hidden)


def as_row(table: sa.Table, user_id: sa.BindParameter) -> sa.ScalarSelect:
    return sa.select(as_json(table)).where(table.c.user_id == user_id).scalar_subquery()


def as_list(table: sa.Table, user_id: sa.BindParameter) -> sa.ScalarSelect:
    """The user's active items, in their list's order (then oldest first)."""
    order = [table.c.position.asc().nulls_last()] if "position" in table.c else []
    items = sa.func.jsonb_agg(
        aggregate_order_by(as_json(table), *order, table.c.created_at, table.c.id)
    )
    query = sa.select(sa.func.coalesce(items, sa.text("'[]'::jsonb"))).where(
        table.c.user_id == user_id
    )
    if "is_active" in table.c:
        query = query.where(table.c.is_active)
    return query.scalar_subquery()
