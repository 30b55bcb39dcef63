"""The declarative base every context's models share, and the column patterns they repeat.

Constraint and index names come from one naming convention, so a model and the revision that
created its table agree on every name (explicit names documented by a seed override it).
"""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ARRAY, Date, DateTime, MetaData, Numeric, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app import contexts

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The schemas this package owns; nothing else in the database is ever touched.
SCHEMAS = contexts.SCHEMAS


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    type_annotation_map = {
        datetime: DateTime(timezone=True),
        date: Date(),
        str: Text(),
        Decimal: Numeric(),
        uuid.UUID: UUID(as_uuid=True),
        dict: JSONB(),
        dict[str, Any]: JSONB(),
        list[str]: ARRAY(Text()),
        Any: JSONB(),
    }


class UUIDPrimaryKey:
    """A UUID key the database generates (`gen_random_uuid()` is core PostgreSQL)."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Timestamps(CreatedAt):
    """created_at and updated_at; the database keeps updated_at current on every UPDATE.

    The trigger comes from `app.toolkit.ddl.add_updated_at_trigger`, which the table's revision
    calls.
    """

    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


def related(*args, **kwargs):
    """A relationship that never loads by itself (`lazy="raise_on_sql"`): a read says what it
    loads (`selectinload`, one query a level whatever the rows; `joinedload`), so service code
    cannot issue a query per row without asking for it, and sync code behaves as async code
    must anyway. What the session already holds is still there to read.

        select(User).options(selectinload(User.smart_goals).selectinload(SmartGoal.check_ins))
    """
    return relationship(*args, lazy="raise_on_sql", **kwargs)
