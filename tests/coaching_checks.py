"""What the coaching backfills promise whatever the MVP's data: every source row moved or
rejected (and so counted in the migration ledger), the program order kept, every completed
session's messages in its transcript (or set aside with the reason)."""

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tests.support import ledger

# The app's json read as jsonb by the checks themselves: every cast tried, NULL where jsonb cannot
# hold it. The migrations try only what their cheap test cannot vouch for; this oracle tries all.
AS_JSONB = """
CREATE OR REPLACE FUNCTION pg_temp.as_jsonb(value json) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    RETURN value::jsonb;
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END
$$
"""
# The MVP's rows as the checks read them: metadata as jsonb, and whether jsonb cannot hold it.
CONVERSATIONS = """(
    SELECT id, user_id, metadata, written IS NOT NULL AND metadata IS NULL AS unreadable
    FROM (SELECT id, user_id, metadata AS written, pg_temp.as_jsonb(metadata) AS metadata
          FROM coaching.conversations) c)"""
MESSAGES = """(
    SELECT id, conversation_id, metadata, written IS NOT NULL AND metadata IS NULL AS unreadable
    FROM (SELECT id, conversation_id, metadata AS written, pg_temp.as_jsonb(metadata) AS metadata
          FROM coaching.messages) m)"""

# For each backfill: its source rows, and the source rows a target row stands for. Goals and
# takeaways gather several source rows into one row, which also stands for a rejected one of
# them (a goal defined in two conversations, one of them without a description): for those two,
# moved means "in a target row and not rejected"; the others are one row per source row. Metadata
# jsonb cannot hold makes its row a source row of every backfill of its table.
GATHERED = {"coaching.smart_goals", "coaching.session_takeaways"}
ACCOUNTING = {
    "coaching.smart_goals": (
        f"SELECT id FROM {CONVERSATIONS} c WHERE metadata->>'goal_type' IS NOT NULL OR unreadable",
        f"""SELECT c.id FROM {CONVERSATIONS} c JOIN coaching.smart_goals g
            ON g.goal_id = md5('coaching_goal:' || c.user_id || ':' || coalesce(
                 nullif(btrim(c.metadata->>'goal_id'), ''), c.id))::uuid
            WHERE c.metadata->>'goal_type' IS NOT NULL""",
    ),
    "coaching.sessions": (
        f"""SELECT id FROM {CONVERSATIONS} c
            WHERE metadata->>'week_number' IS NOT NULL OR unreadable""",
        "SELECT conversation_id FROM coaching.sessions",
    ),
    "coaching.session_takeaways": (
        f"""SELECT id FROM {MESSAGES} m WHERE metadata->>'takeaways' IS NOT NULL
            OR metadata->>'action_items' IS NOT NULL OR metadata->>'revised_goal' IS NOT NULL
            OR unreadable""",
        f"""SELECT m.id FROM {MESSAGES} m
            JOIN coaching.sessions s ON s.conversation_id = m.conversation_id
            JOIN coaching.session_takeaways t ON t.session_id = s.session_id
            WHERE m.metadata->>'takeaways' IS NOT NULL OR m.metadata->>'action_items' IS NOT NULL
               OR m.metadata->>'revised_goal' IS NOT NULL""",
    ),
    "coaching.check_ins": (
        f"""SELECT id FROM {MESSAGES} m WHERE metadata->>'mood_rating' IS NOT NULL
            OR metadata->>'goal_progress' IS NOT NULL OR unreadable""",
        """SELECT m.id FROM coaching.messages m JOIN coaching.check_ins c
           ON c.checkin_id = md5('coaching_check_in:' || m.id)::uuid""",
    ),
}


def ids(connection: Connection, sql: str, **params) -> set[str]:
    return set(connection.scalars(sa.text(sql), params))


def assert_every_source_row_is_moved_or_rejected(connection: Connection) -> None:
    connection.execute(sa.text(AS_JSONB))
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
    """Each message of a completed session is a line at its place in the session, with the
    message's metadata as jsonb; or, metadata jsonb cannot hold, set aside."""
    connection.execute(sa.text(AS_JSONB))
    lines = connection.execute(
        sa.text(
            f"""
            SELECT m.id, m.unreadable, t.message_order, m.position,
                   t.metadata IS NOT DISTINCT FROM m.metadata AS same_metadata,
                   r.source_id IS NOT NULL AS rejected
            FROM (SELECT m.id, m.unreadable, m.metadata, row_number() OVER (
                         PARTITION BY s.session_id ORDER BY written.created_at, m.id) AS position
                  FROM {MESSAGES} m
                  JOIN coaching.messages written USING (id)
                  JOIN coaching.sessions s ON s.conversation_id = m.conversation_id
                  WHERE s.status = 'completed') m
            LEFT JOIN coaching.transcripts t
                   ON t.transcript_id = md5('coaching_transcript:' || m.id)::uuid
            LEFT JOIN coaching.migration_rejects r
                   ON r.source_id = m.id AND r.target_table = 'coaching.transcripts'
            """
        )
    ).all()
    for line in lines:
        if line.unreadable:
            assert line.rejected and line.message_order is None, line.id
        else:
            assert not line.rejected and line.message_order == line.position, line.id
            assert line.same_metadata, line.id
    copied = connection.scalar(sa.text("SELECT count(*) FROM coaching.transcripts"))
    assert copied == sum(1 for line in lines if not line.unreadable)
