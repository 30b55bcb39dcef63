"""Platform bookkeeping (schema `public`): what the data migrations did with every row."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


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
