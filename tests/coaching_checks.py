"""What the coaching backfills promise whatever the MVP's data: every source row moved or
rejected (and so counted in the migration ledger), the program order kept, every completed
session's messages in its transcript."""

import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tests.support import ledger

# For each backfill: its source rows, and the source rows a target row stands for. Goals and
# takeaways gather several source rows into one row, which also stands for a rejected one of
# them (a goal defined in two conversations, one of them without a description): for those two,
# moved means "in a target row and not rejected"; the others are one row per source row.
GATHERED = {"coaching.smart_goals", "coaching.session_takeaways"}
ACCOUNTING = {
    "coaching.smart_goals": (
        "SELECT id FROM coaching.conversations WHERE metadata->>'goal_type' IS NOT NULL",
        """SELECT c.id FROM coaching.conversations c JOIN coaching.smart_goals g
           ON g.goal_id = md5('coaching_goal:' || c.user_id || ':' || coalesce(
                nullif(btrim(c.metadata->>'goal_id'), ''), c.id::text))::uuid
           WHERE c.metadata->>'goal_type' IS NOT NULL""",
    ),
    "coaching.sessions": (
        "SELECT id FROM coaching.conversations WHERE metadata->>'week_number' IS NOT NULL",
        "SELECT conversation_id FROM coaching.sessions",
    ),
    "coaching.session_takeaways": (
        """SELECT id FROM coaching.messages WHERE metadata->>'takeaways' IS NOT NULL
           OR metadata->>'action_items' IS NOT NULL OR metadata->>'revised_goal' IS NOT NULL""",
        """SELECT m.id FROM coaching.messages m
           JOIN coaching.sessions s ON s.conversation_id = m.conversation_id
           JOIN coaching.session_takeaways t ON t.session_id = s.session_id
           WHERE m.metadata->>'takeaways' IS NOT NULL OR m.metadata->>'action_items' IS NOT NULL
              OR m.metadata->>'revised_goal' IS NOT NULL""",
    ),
    "coaching.check_ins": (
        """SELECT id FROM coaching.messages WHERE metadata->>'mood_rating' IS NOT NULL
           OR metadata->>'goal_progress' IS NOT NULL""",
        """SELECT m.id FROM coaching.messages m JOIN coaching.check_ins c
           ON c.checkin_id = md5('coaching_check_in:' || m.id)::uuid""",
    ),
}


def ids(connection: Connection, sql: str, **params) -> set[uuid.UUID]:
    return set(connection.scalars(sa.text(sql), params))


def assert_every_source_row_is_moved_or_rejected(connection: Connection) -> None:
    for target, (source_sql, moved_sql) in ACCOUNTING.items():
        source, moved = ids(connection, source_sql), ids(connection, moved_sql)
        rejected = ids(
            connection,
            "SELECT source_id FROM coaching.migration_rejects WHERE target_table = :target",
            target=target,
        )
        if target in GATHERED:
            moved -= rejected
        assert not moved & rejected, f"{target}: moved and rejected"
        assert source == moved | rejected, f"{target}: {len(source - moved - rejected)} lost"
        counted = ledger(connection, "coaching_phase3")[target]
        assert counted == (len(source), len(moved), len(rejected)), target


def assert_program_order_holds(connection: Connection) -> None:
    violations = connection.scalar(
        sa.text(
            """
            SELECT count(*) FROM coaching.sessions later
            JOIN coaching.sessions earlier ON earlier.user_id = later.user_id
             AND (earlier.week_number, earlier.session_number)
               < (later.week_number, later.session_number)
            WHERE later.status IN ('in_progress', 'completed') AND earlier.status <> 'completed'
            """
        )
    )
    assert violations == 0


def assert_completed_sessions_have_their_transcripts(connection: Connection) -> None:
    expected, copied = connection.execute(
        sa.text(
            """
            SELECT (SELECT count(*) FROM coaching.messages m
                    JOIN coaching.sessions s ON s.conversation_id = m.conversation_id
                    WHERE s.status = 'completed'),
                   (SELECT count(*) FROM coaching.transcripts)
            """
        )
    ).one()
    assert copied == expected
