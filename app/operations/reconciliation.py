"""What the data migrations did with every row, as operators check it (`therapy-db verify`).

Each backfill records its counts in `public.migration_reconciliation` when it runs (the database
refuses counts that do not add up); the rows it set aside are in its context's reject table, each
with the reason.
"""

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.contexts import REJECT_TABLES
from app.runtime.models.platform import MigrationReconciliation


@dataclass
class Account:
    revision: str
    target: str
    source_rows: int
    moved_rows: int
    rejected_rows: int
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def reasons_match(self) -> bool:
        """Every rejected row counted is in the reject table, with a reason."""
        return sum(self.reasons.values()) == self.rejected_rows


def accounts(connection: Connection) -> list[Account]:
    ledger = MigrationReconciliation.__table__
    if connection.scalar(sa.text("SELECT to_regclass('public.migration_reconciliation')")) is None:
        return []
    reasons: defaultdict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for rejects in REJECT_TABLES:
        if (
            connection.scalar(sa.text("SELECT to_regclass(:table)"), {"table": rejects.table})
            is None
        ):
            continue
        grouped = connection.execute(
            sa.text(
                f"SELECT {rejects.revision}, {rejects.target}, {rejects.reason}, count(*) "
                f"FROM {rejects.table} GROUP BY 1, 2, 3"
            )
        )
        for row_revision, row_target, row_reason, count in grouped:
            reasons[(row_revision, row_target)][row_reason] = count
    rows = connection.execute(
        sa.select(
            ledger.c.revision,
            ledger.c.target,
            ledger.c.source_rows,
            ledger.c.moved_rows,
            ledger.c.rejected_rows,
        ).order_by(ledger.c.recorded_at, ledger.c.revision, ledger.c.target)
    )
    return [Account(*row, reasons=reasons[(row.revision, row.target)]) for row in rows]
