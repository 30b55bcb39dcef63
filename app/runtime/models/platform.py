"""Platform bookkeeping (schema `public`): what the data migrations did with every row."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, func
from sqlalchemy.orm import Mapped, mapped_column

from app.runtime.models.base import Base


class MigrationReconciliation(Base):
    """One backfill of one revision: its source rows, moved or rejected, never lost.

    Written by the migration when it runs (and removed by its downgrade). The rejected rows and
    the reasons are in the context's reject table.
    """

    __tablename__ = "migration_reconciliation"
    __table_args__ = (
        CheckConstraint("source_rows = moved_rows + rejected_rows", name="every_row_accounted_for"),
        {"schema": "public"},
    )

    revision: Mapped[str] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(primary_key=True)
    source_rows: Mapped[int] = mapped_column(BigInteger)
    moved_rows: Mapped[int] = mapped_column(BigInteger)
    rejected_rows: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ImportReject(Base):
    """A row of a source system's database that `therapy-db import` could not place, whole, with
    the reason (a NULL where the legacy shape requires a value, a broken reference, ...)."""

    __tablename__ = "import_rejects"
    __table_args__ = {
        "schema": "public",
        "comment": "Rows of a source system's database that `therapy-db import` could not "
        "place, each whole with the reason; the ledger counts them (revision import:<context>).",
    }

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    context: Mapped[str] = mapped_column(index=True)
    source_table: Mapped[str]
    target_table: Mapped[str]
    reason: Mapped[str]
    source_row: Mapped[dict[str, Any]]
    imported_at: Mapped[datetime] = mapped_column(server_default=func.now())


class IdentityLink(Base):
    """One person known to two source systems, linked on purpose by an operator (`therapy-db
    link`): never on a guess, because a wrong link shows one person's therapy to another."""

    __tablename__ = "identity_links"
    __table_args__ = {
        "schema": "public",
        "comment": "One person known to two source systems, linked on purpose (`therapy-db "
        "link`): the merged person's row as it was; their rows in every context now belong to "
        "the kept person.",
    }

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    kept_user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("public.users.id", ondelete="CASCADE"), index=True
    )
    merged_user_id: Mapped[uuid.UUID]
    merged_row: Mapped[dict[str, Any]]
    note: Mapped[str | None]
    linked_at: Mapped[datetime] = mapped_column(server_default=func.now())
