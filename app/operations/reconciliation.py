"""What the data migrations did with every row, as operators check it (`therapy-db verify`).

Each backfill records its counts in `public.migration_reconciliation` when it runs (the database
refuses counts that do not add up); the rows it set aside are in its context's reject table, each
with the reason.
"""

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.runtime.models.platform import MigrationReconciliation

# Each context's reject tables: (table, its revision, its target, its reason), each a column of
# the table or, where the table holds one revision's rejects for one target, a constant.
REJECT_TABLES = [
    ("public.import_rejects", "'import:' || context", "target_table", "reason"),
    ("coaching.migration_rejects", "revision", "target_table", "reason"),
    *(
        (f"memory.{legacy}_rejected", "'memory_normalized'", f"'memory.{target}'", "reason")
        for legacy, target in (
            ("memory_profiles", "user_profile_summary"),
            ("conversations", "user_conversations"),
            ("conversation_messages", "user_conversation_messages"),
            ("crisis_flags", "user_crisis_flags"),
            ("conversation_continuity", "user_conversation_continuity"),
            ("feedback", "feedback"),
            ("feedback_log", "user_feedback_log"),
            ("user_preferences", "user_preferences"),
            ("emotional_trends", "user_emotional_trends"),
            ("value_compass", "user_value_compass"),
        )
    ),
]


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
    for table, revision, target, reason in REJECT_TABLES:
        if connection.scalar(sa.text("SELECT to_regclass(:table)"), {"table": table}) is None:
            continue
        grouped = connection.execute(
            sa.text(
                f"SELECT {revision}, {target}, {reason}, count(*) FROM {table} GROUP BY 1, 2, 3"
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
