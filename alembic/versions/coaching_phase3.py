"""coaching_phase3: the structured program (SMART goals, sessions, takeaways, check-ins).

Seed 002's Phase 3. The MVP kept the program in the app's JSON metadata; this revision gives it
tables, fills them from that metadata, and makes the program order a rule of the database.

Tables, as the document gives them, with these differences: every row's user_id is NOT NULL (a
goal or check-in belongs to a person); week and session numbers start at 1; statuses are checked
against the document's lists. Indexes use the document's names, except `idx_sessions_user`,
which would duplicate the first column of the unique `idx_sessions_user_week` and is left out.
`idx_takeaways_session` is unique: the document's diagram gives a session one takeaway.
`sessions.conversation_id` (new, unique) links a session to the MVP conversation it came from,
so Phase 4 copies each session's own messages (the document matched by user and week, which
copies every conversation of that week into every session of it).

Backfills (set-based; every source row is moved or set aside in coaching.migration_rejects with
its reason, so source = moved + rejected: each backfill's counts go to the ledger,
public.migration_reconciliation, which fails the revision if they do not add up). App-written
values may be missing, numbers, numeric strings ("2", "2.0"), huge or nonsense: whole numbers in
range migrate, anything else is a reject.
Ids derive from the source rows (the app's `conv_`/`msg_` strings), so a re-run gives the same ids.

The MVP's metadata is json as the app wrote it; the backfills read it as jsonb, converted once
per row into copies for this migration (temporary tables). Some json has no jsonb form: a
\\u0000 escape or an unpaired surrogate escape (text cannot hold either), a number beyond numeric's
range. Nothing in such metadata can be read, so its row is a source row of each backfill of its
table, set aside with the reason `metadata cannot be read as jsonb (...)`; the row itself is kept
as written, and so is its metadata in the reject.

- smart_goals, from conversations whose metadata has a goal_type: the document's goal_description
  is `specific`; the other SMART parts come from metadata keys of their names, '' when the MVP
  never recorded them (the columns are NOT NULL, and the app asks for them at the next revision).
  Conversations that name the same goal_id (per person) are one goal, with the latest values.
  Rejected: no person, no goal_type text of at most 50 characters, no goal_description.
- sessions, from conversations whose metadata has a week_number: one session per conversation,
  numbered by its place among the person's conversations of that week. The document's status
  rule (`updated_at < NOW() - 7 days` -> completed) is replaced: its result depends on the day
  the migration runs (a re-run gives other statuses) and it could mark a session completed after
  one left in progress, which the program rule forbids. Instead a session the person moved on
  from (they have a later session) is completed, as is their latest one when its metadata says
  the session or program is completed; otherwise their latest is in progress. completed_date is
  the conversation's last update. Rejected: no person, a week_number that is not a whole number
  from 1, a session_type over 50 characters.
- session_takeaways, from messages whose metadata has takeaways, action_items or revised_goal:
  one per session, the items of its messages in message order, one per line; the latest
  revised_goal. Rejected: the message's conversation is not a session, or the items are neither
  text nor a list.
- check_ins, from messages whose metadata has mood_rating or goal_progress: one per message, dated
  by the message's UTC day, linked to its conversation's goal. Rejected: no person, a mood that is
  not a whole number in 1..10, a progress that is not a whole number in 0..100.

The program rule (the document's decision matrix promises it "DB-enforced"): the trigger
`enforce_program_order` refuses a session becoming in_progress or completed while an earlier
session of the person's program is not completed, and a session leaving completed while a later
one is under way; completing a session unlocks the next one. Changes to one person's program are
serialised by an advisory lock.

`engagement_activity` learns the session completion rate; the next refresh of the analytics
(`SELECT coaching.refresh_engagement_analytics()`) fills it. This revision does not rewrite the
analytics rows, so its downgrade has nothing of theirs to give back.

Downgrade: drops the program tables, the trigger and this revision's rejects; the MVP metadata
the backfills read was never changed. Goals, sessions, takeaways and check-ins written after the
upgrade are lost with their tables.

Revision ID: coaching_phase3
Revises: coaching_phase2
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.toolkit import bulk, ddl

revision: str = "coaching_phase3"
down_revision: str | Sequence[str] | None = "coaching_phase2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the downgrade cannot give back (app/toolkit/data_loss.py): a downgrade that would
# destroy rows of these refuses unless told to. Table -> the condition of its rows that are lost.
LOST_ON_DOWNGRADE = dict.fromkeys(
    (
        "coaching.smart_goals",
        "coaching.sessions",
        "coaching.session_takeaways",
        "coaching.check_ins",
    ),
    "true",
)

NOW = sa.text("now()")
NEW_UUID = sa.text("gen_random_uuid()")
GOAL_STATUSES = "('active', 'completed', 'revised', 'abandoned')"
SESSION_STATUSES = "('locked', 'unlocked', 'in_progress', 'completed')"
INT_MAX = 2**31 - 1

# For this migration's session only (pg_temp): a whole number read from an app-written jsonb
# value, or why it is not one. An absent or null value is neither a number nor a problem.
# Plain SQL, so PostgreSQL inlines it into the backfill statements (a PL/pgSQL call per row cost
# four times as much); each OFFSET 0 keeps a step computed once per value, not once per use.
# Only the integral part is read as a number, and only up to 18 digits: no digit string, however
# long its fraction, is too long for numeric.
WHOLE_NUMBER = r"""
CREATE OR REPLACE FUNCTION pg_temp.whole_number(value jsonb, low bigint, high bigint)
RETURNS TABLE (number integer, problem text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN problem IS NULL THEN parsed::integer END, problem
    FROM (
        SELECT parsed,
               CASE WHEN kind IS NULL OR kind = 'null' THEN NULL
                    WHEN NOT is_number THEN 'is not a number'
                    WHEN parsed IS NULL THEN format('is outside %s..%s', low, high)
                    WHEN fractional THEN 'is not a whole number'
                    WHEN parsed < low OR parsed > high THEN format('is outside %s..%s', low, high)
               END AS problem
        FROM (
            SELECT kind, is_number, rtrim(split_part(digits, '.', 2), '0') <> '' AS fractional,
                   CASE WHEN is_number AND length(split_part(ltrim(digits, '+-0'), '.', 1)) <= 18
                        THEN coalesce(substring(split_part(digits, '.', 1) FROM '^[+-]?[0-9]+$'),
                                      '0')::numeric END AS parsed
            FROM (
                SELECT kind, digits,
                       kind = 'number' OR (kind = 'string'
                           AND digits ~ '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$') AS is_number
                FROM (SELECT jsonb_typeof(value) AS kind, btrim(value #>> '{}') AS digits
                      OFFSET 0) AS typed
                OFFSET 0
            ) AS classified
            OFFSET 0
        ) AS numbered
        OFFSET 0
    ) AS checked
$$
"""

# The app's json as jsonb, NULL where jsonb cannot hold it: the cast fails only on a \u0000 or
# unpaired surrogate escape, or a number beyond numeric. Every row takes the catching cast (about
# 2 µs): a test of the text that would spare most rows the catch costs as much as the catch.
READABLE = """
CREATE OR REPLACE FUNCTION pg_temp.readable(value json) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN value::jsonb;
EXCEPTION WHEN untranslatable_character OR invalid_text_representation
               OR numeric_value_out_of_range THEN
    RETURN NULL;
END
$$
"""

# The MVP rows the backfills read, each one's metadata converted once: conversations that name a
# program key (a check-in's goal comes from its conversation's), messages that name a key of
# theirs, and every row whose metadata cannot be read.
CONVERSATION_KEYS = ("week_number", "goal_type", "goal_id")
MESSAGE_KEYS = ("takeaways", "action_items", "revised_goal", "mood_rating", "goal_progress")
COPIES = f"""
CREATE TEMPORARY TABLE program_conversations ON COMMIT DROP AS
SELECT id, user_id, created_at, updated_at, metadata,
       written IS NOT NULL AND metadata IS NULL AS unreadable
FROM (SELECT id, user_id, created_at, updated_at, metadata AS written,
             pg_temp.readable(metadata) AS metadata
      FROM coaching.conversations WHERE metadata IS NOT NULL OFFSET 0) c
WHERE metadata ?| ARRAY{list(CONVERSATION_KEYS)} OR metadata IS NULL;
CREATE TEMPORARY TABLE program_messages ON COMMIT DROP AS
SELECT id, conversation_id, created_at, metadata, metadata IS NULL AS unreadable
FROM (SELECT id, conversation_id, created_at, pg_temp.readable(metadata) AS metadata
      FROM coaching.messages WHERE metadata IS NOT NULL OFFSET 0) m
WHERE metadata ?| ARRAY{list(MESSAGE_KEYS)} OR metadata IS NULL
"""
UNREADABLE = (
    "metadata cannot be read as jsonb (it holds \\u0000, an unpaired surrogate or a number "
    "beyond numeric)"
)

# The goal a conversation belongs to: the goal_id its metadata names, or the goal it defined
# itself; `c` is the conversation. Goals' ids derive from (person, goal key).
CONVERSATION_GOAL_ID = """
md5('coaching_goal:' || c.user_id || ':' || coalesce(
    nullif(btrim(c.metadata->>'goal_id'), ''),
    CASE WHEN c.metadata->>'goal_type' IS NOT NULL THEN c.id::text END))::uuid
"""

# Each backfill is one statement: its source rows, classified; the rejects (with the metadata as
# the app wrote it); the rows it moves. A source row's problems, or that its metadata is unreadable.
REJECT = """
rejected AS (
    INSERT INTO coaching.migration_rejects
        (source_table, source_id, target_table, revision, reason, source_value)
    SELECT '{source}', s.id, '{target}', 'coaching_phase3', s.problem, written.metadata
    FROM source s JOIN {source} written USING (id)
    WHERE s.problem IS NOT NULL
)
"""

GOALS = f"""
WITH source AS (
    SELECT c.id, c.user_id, c.created_at, c.metadata,
           {CONVERSATION_GOAL_ID} AS goal_id,
           CASE WHEN c.unreadable THEN '{UNREADABLE}' ELSE nullif(concat_ws('; ',
               CASE WHEN c.user_id IS NULL THEN 'conversation has no user' END,
               CASE WHEN jsonb_typeof(c.metadata->'goal_type') <> 'string'
                         OR btrim(c.metadata->>'goal_type') = ''
                    THEN 'goal_type is not a text'
                    WHEN length(btrim(c.metadata->>'goal_type')) > 50
                    THEN 'goal_type is longer than 50 characters' END,
               CASE WHEN jsonb_typeof(c.metadata->'goal_description') IS DISTINCT FROM 'string'
                         OR btrim(c.metadata->>'goal_description') = ''
                    THEN 'goal_description is missing' END
           ), '') END AS problem
    FROM program_conversations c
    WHERE c.metadata->>'goal_type' IS NOT NULL OR c.unreadable
),
{REJECT.format(source="coaching.conversations", target="coaching.smart_goals")}
INSERT INTO coaching.smart_goals
    (goal_id, user_id, goal_type, specific, measurable, achievable, relevant, time_bound,
     created_at)
SELECT DISTINCT ON (goal_id)
       goal_id, user_id, btrim(metadata->>'goal_type'), metadata->>'goal_description',
       coalesce(metadata->>'measurable', ''), coalesce(metadata->>'achievable', ''),
       coalesce(metadata->>'relevant', ''), coalesce(metadata->>'time_bound', ''),
       min(created_at) OVER (PARTITION BY goal_id)
FROM source
WHERE problem IS NULL
ORDER BY goal_id, created_at DESC, id DESC
"""

SESSIONS = f"""
WITH source AS (
    SELECT c.id, c.user_id, c.created_at, c.updated_at, c.metadata, week.number AS week_number,
           {CONVERSATION_GOAL_ID} AS goal_id,
           CASE WHEN c.unreadable THEN '{UNREADABLE}' ELSE nullif(concat_ws('; ',
               CASE WHEN c.user_id IS NULL THEN 'conversation has no user' END,
               'week_number ' || week.problem,
               CASE WHEN length(c.metadata->>'session_type') > 50
                    THEN 'session_type is longer than 50 characters' END
           ), '') END AS problem
    FROM program_conversations c
    CROSS JOIN LATERAL pg_temp.whole_number(c.metadata->'week_number', 1, {INT_MAX}) week
    WHERE c.metadata->>'week_number' IS NOT NULL OR c.unreadable
),
{REJECT.format(source="coaching.conversations", target="coaching.sessions")},
placed AS (
    SELECT source.*,
           row_number() OVER (PARTITION BY user_id, week_number ORDER BY created_at, id)
               AS session_number,
           lead(id) OVER (PARTITION BY user_id ORDER BY week_number, created_at, id) IS NOT NULL
               OR metadata->>'session_status' = 'completed'
               OR metadata->>'program_status' = 'completed' AS completed
    FROM source
    WHERE problem IS NULL
)
INSERT INTO coaching.sessions
    (session_id, user_id, goal_id, conversation_id, session_number, week_number, session_type,
     completed_date, status, created_at)
SELECT md5('coaching_session:' || p.id)::uuid, p.user_id, g.goal_id, p.id, p.session_number,
       p.week_number, p.metadata->>'session_type',
       CASE WHEN p.completed THEN p.updated_at END,
       CASE WHEN p.completed THEN 'completed' ELSE 'in_progress' END,
       p.created_at
FROM placed p
LEFT JOIN coaching.smart_goals g ON g.goal_id = p.goal_id
"""

TAKEAWAYS = f"""
WITH source AS (
    SELECT m.id, m.created_at, m.metadata, s.session_id,
           CASE WHEN m.unreadable THEN '{UNREADABLE}' ELSE nullif(concat_ws('; ',
               CASE WHEN s.session_id IS NULL
                    THEN 'its conversation is not a program session' END,
               CASE WHEN jsonb_typeof(m.metadata->'takeaways') NOT IN ('array', 'string', 'null')
                    THEN 'takeaways is neither a text nor a list' END,
               CASE WHEN jsonb_typeof(m.metadata->'action_items') NOT IN ('array', 'string', 'null')
                    THEN 'action_items is neither a text nor a list' END
           ), '') END AS problem
    FROM program_messages m
    LEFT JOIN coaching.sessions s ON s.conversation_id = m.conversation_id
    WHERE m.metadata->>'takeaways' IS NOT NULL
       OR m.metadata->>'action_items' IS NOT NULL
       OR m.metadata->>'revised_goal' IS NOT NULL
       OR m.unreadable
),
{REJECT.format(source="coaching.messages", target="coaching.session_takeaways")},
placed AS (
    SELECT * FROM source WHERE problem IS NULL
),
lists AS (
    SELECT p.session_id,
           string_agg(item.text, E'\\n' ORDER BY p.created_at, p.id, item.position)
               FILTER (WHERE kinds.kind = 'takeaways') AS key_learnings,
           string_agg(item.text, E'\\n' ORDER BY p.created_at, p.id, item.position)
               FILTER (WHERE kinds.kind = 'action_items') AS action_items
    FROM placed p
    CROSS JOIN (VALUES ('takeaways'), ('action_items')) AS kinds (kind)
    CROSS JOIN LATERAL jsonb_array_elements_text(
        CASE jsonb_typeof(p.metadata->kinds.kind)
            WHEN 'array' THEN p.metadata->kinds.kind
            WHEN 'string' THEN jsonb_build_array(p.metadata->kinds.kind)
            ELSE '[]'
        END) WITH ORDINALITY AS item (text, position)
    GROUP BY p.session_id
),
latest AS (
    SELECT session_id, max(created_at) AS created_at,
           (array_agg(metadata->>'revised_goal' ORDER BY created_at DESC, id DESC)
               FILTER (WHERE metadata->>'revised_goal' IS NOT NULL))[1] AS revised_goal
    FROM placed
    GROUP BY session_id
)
INSERT INTO coaching.session_takeaways
    (takeaway_id, session_id, key_learnings, action_items, revised_goal, created_at)
SELECT md5('coaching_takeaway:' || latest.session_id)::uuid, latest.session_id,
       lists.key_learnings, lists.action_items, latest.revised_goal, latest.created_at
FROM latest
LEFT JOIN lists USING (session_id)
"""

CHECK_INS = f"""
WITH source AS (
    SELECT m.id, m.created_at, m.metadata, person.user_id, mood.number AS mood_rating,
           progress.number AS goal_progress, {CONVERSATION_GOAL_ID} AS goal_id,
           CASE WHEN m.unreadable THEN '{UNREADABLE}' ELSE nullif(concat_ws('; ',
               CASE WHEN person.user_id IS NULL THEN 'conversation has no user' END,
               'mood_rating ' || mood.problem,
               'goal_progress ' || progress.problem
           ), '') END AS problem
    FROM program_messages m
    JOIN coaching.conversations person ON person.id = m.conversation_id
    LEFT JOIN program_conversations c ON c.id = m.conversation_id
    CROSS JOIN LATERAL pg_temp.whole_number(m.metadata->'mood_rating', 1, 10) mood
    CROSS JOIN LATERAL pg_temp.whole_number(m.metadata->'goal_progress', 0, 100) progress
    WHERE m.metadata->>'mood_rating' IS NOT NULL OR m.metadata->>'goal_progress' IS NOT NULL
       OR m.unreadable
),
{REJECT.format(source="coaching.messages", target="coaching.check_ins")}
INSERT INTO coaching.check_ins
    (checkin_id, user_id, goal_id, checkin_date, progress_notes, mood_rating, goal_progress,
     created_at)
SELECT md5('coaching_check_in:' || s.id)::uuid, s.user_id, g.goal_id,
       (s.created_at AT TIME ZONE 'UTC')::date, s.metadata->>'progress_notes', s.mood_rating,
       s.goal_progress, s.created_at
FROM source s
LEFT JOIN coaching.smart_goals g ON g.goal_id = s.goal_id
WHERE s.problem IS NULL
"""

PROGRAM_ORDER = """
CREATE FUNCTION coaching.enforce_program_order() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    other coaching.sessions;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('coaching.sessions:' || NEW.user_id, 0));

    IF NEW.status IN ('in_progress', 'completed') THEN
        SELECT * INTO other FROM coaching.sessions
        WHERE user_id = NEW.user_id AND status <> 'completed'
          AND (week_number, session_number) < (NEW.week_number, NEW.session_number)
        ORDER BY week_number, session_number LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION
                'session week %, session % cannot be %: week %, session % before it is %',
                NEW.week_number, NEW.session_number, NEW.status,
                other.week_number, other.session_number, other.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'enforce_program_order',
                  HINT = 'Sessions of a program are taken in order: complete the earlier one.';
        END IF;
    END IF;

    IF NEW.status <> 'completed' THEN
        SELECT * INTO other FROM coaching.sessions
        WHERE user_id = NEW.user_id AND status IN ('in_progress', 'completed')
          AND (week_number, session_number) > (NEW.week_number, NEW.session_number)
        ORDER BY week_number, session_number LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION
                'session week %, session % cannot be %: week %, session % after it is %',
                NEW.week_number, NEW.session_number, NEW.status,
                other.week_number, other.session_number, other.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'enforce_program_order',
                  HINT = 'A session stays completed while a later one is under way.';
        END IF;
    END IF;

    IF NEW.status = 'completed' AND (TG_OP = 'INSERT' OR OLD.status <> 'completed') THEN
        UPDATE coaching.sessions SET status = 'unlocked'
        WHERE session_id = (
            SELECT session_id FROM coaching.sessions
            WHERE user_id = NEW.user_id
              AND (week_number, session_number) > (NEW.week_number, NEW.session_number)
            ORDER BY week_number, session_number LIMIT 1)
          AND status = 'locked';
    END IF;
    RETURN NULL;
END
$$
"""

# After the statement's rows are all written: completing a whole week in one UPDATE is fine.
PROGRAM_ORDER_TRIGGER = """
CREATE TRIGGER enforce_program_order
AFTER INSERT OR UPDATE OF status, week_number, session_number, user_id ON coaching.sessions
FOR EACH ROW EXECUTE FUNCTION coaching.enforce_program_order()
"""

ENGAGEMENT_ACTIVITY = """
CREATE OR REPLACE VIEW coaching.engagement_activity AS
SELECT a.user_id, a.total_messages, a.avg_response_time,
       {session_completion_rate} AS session_completion_rate, a.last_activity
FROM coaching.message_activity a
"""

SESSION_COMPLETION_RATE = """(
    SELECT round(100.0 * count(*) FILTER (WHERE s.status = 'completed') / nullif(count(*), 0), 2)
    FROM coaching.sessions s WHERE s.user_id = a.user_id)::numeric(5, 2)"""


# The ledger (public.migration_reconciliation), each backfill counted on its own: its source rows
# (`c`: FROM and WHERE, the rows as the backfills read them), and which of them reached the target
# (through the ids they derive) and were not set aside. If the counts do not add up, a row was
# lost and the revision fails.
ACCOUNTS = {
    "coaching.smart_goals": (
        "program_conversations",
        "c.metadata->>'goal_type' IS NOT NULL OR c.unreadable",
        f"SELECT FROM coaching.smart_goals g WHERE g.goal_id = {CONVERSATION_GOAL_ID}",
    ),
    "coaching.sessions": (
        "program_conversations",
        "c.metadata->>'week_number' IS NOT NULL OR c.unreadable",
        "SELECT FROM coaching.sessions s WHERE s.conversation_id = c.id",
    ),
    "coaching.session_takeaways": (
        "program_messages",
        "c.metadata->>'takeaways' IS NOT NULL OR c.metadata->>'action_items' IS NOT NULL "
        "OR c.metadata->>'revised_goal' IS NOT NULL OR c.unreadable",
        "SELECT FROM coaching.sessions s JOIN coaching.session_takeaways t "
        "ON t.session_id = s.session_id WHERE s.conversation_id = c.conversation_id",
    ),
    "coaching.check_ins": (
        "program_messages",
        "c.metadata->>'mood_rating' IS NOT NULL OR c.metadata->>'goal_progress' IS NOT NULL "
        "OR c.unreadable",
        "SELECT FROM coaching.check_ins k "
        "WHERE k.checkin_id = md5('coaching_check_in:' || c.id)::uuid",
    ),
}


def record_reconciliation() -> None:
    for target, (source, condition, landed) in ACCOUNTS.items():
        rejects = (
            "FROM coaching.migration_rejects r "
            f"WHERE r.revision = 'coaching_phase3' AND r.target_table = '{target}'"
        )
        ddl.record_reconciliation(
            "coaching_phase3",
            target,
            source=f"SELECT count(*) FROM {source} c WHERE {condition}",
            moved=f"SELECT count(*) FROM {source} c WHERE ({condition}) AND EXISTS ({landed}) "
            f"AND NOT EXISTS (SELECT {rejects} AND r.source_id = c.id)",
            rejected=f"SELECT count(*) {rejects}",
        )


def owner_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["public.users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
    )


def upgrade() -> None:
    # The new tables' foreign keys lock writers out of users and conversations; messages are
    # locked likewise, so the backfills read one unchanging set of source rows.
    ddl.lock_tables(
        {
            "public.users": "SHARE ROW EXCLUSIVE",
            "coaching.conversations": "SHARE ROW EXCLUSIVE",
            "coaching.messages": "SHARE",
        }
    )

    bulk.use_backfill_memory()
    tables = bulk.NewTables()  # their keys come after the backfills
    tables.create_table(
        "smart_goals",
        sa.Column("goal_id", sa.UUID(), server_default=NEW_UUID, nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("goal_type", sa.String(length=50), nullable=False),
        sa.Column("specific", sa.Text(), nullable=False),
        sa.Column("measurable", sa.Text(), nullable=False),
        sa.Column("achievable", sa.Text(), nullable=False),
        sa.Column("relevant", sa.Text(), nullable=False),
        sa.Column("time_bound", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"status IN {GOAL_STATUSES}", name=op.f("ck_smart_goals_status")),
        owner_key("smart_goals"),
        sa.PrimaryKeyConstraint("goal_id", name=op.f("pk_smart_goals")),
        schema="coaching",
    )

    tables.create_table(
        "sessions",
        sa.Column("session_id", sa.UUID(), server_default=NEW_UUID, nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("goal_id", sa.UUID(), nullable=True),
        sa.Column("conversation_id", sa.String(), nullable=True),
        sa.Column("session_number", sa.Integer(), nullable=False),
        sa.Column("week_number", sa.Integer(), nullable=False),
        sa.Column("session_type", sa.String(length=50), nullable=True),
        sa.Column("scheduled_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="locked", nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(f"status IN {SESSION_STATUSES}", name=op.f("ck_sessions_status")),
        sa.CheckConstraint("week_number >= 1", name=op.f("ck_sessions_week_number")),
        sa.CheckConstraint("session_number >= 1", name=op.f("ck_sessions_session_number")),
        owner_key("sessions"),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["coaching.smart_goals.goal_id"],
            name=op.f("fk_sessions_goal_id_smart_goals"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["coaching.conversations.id"],
            name=op.f("fk_sessions_conversation_id_conversations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_sessions_conversation_id")),
        schema="coaching",
    )

    tables.create_table(
        "session_takeaways",
        sa.Column("takeaway_id", sa.UUID(), server_default=NEW_UUID, nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("key_learnings", sa.Text(), nullable=True),
        sa.Column("action_items", sa.Text(), nullable=True),
        sa.Column("revised_goal", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["coaching.sessions.session_id"],
            name=op.f("fk_session_takeaways_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("takeaway_id", name=op.f("pk_session_takeaways")),
        schema="coaching",
    )

    tables.create_table(
        "check_ins",
        sa.Column("checkin_id", sa.UUID(), server_default=NEW_UUID, nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("goal_id", sa.UUID(), nullable=True),
        sa.Column("checkin_date", sa.Date(), nullable=False),
        sa.Column("progress_notes", sa.Text(), nullable=True),
        sa.Column("mood_rating", sa.Integer(), nullable=True),
        sa.Column("goal_progress", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("mood_rating BETWEEN 1 AND 10", name=op.f("ck_check_ins_mood_rating")),
        sa.CheckConstraint(
            "goal_progress BETWEEN 0 AND 100", name=op.f("ck_check_ins_goal_progress")
        ),
        owner_key("check_ins"),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["coaching.smart_goals.goal_id"],
            name=op.f("fk_check_ins_goal_id_smart_goals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("checkin_id", name=op.f("pk_check_ins")),
        schema="coaching",
    )

    # -- backfills from the MVP's metadata -----------------------------------------------------
    op.execute(READABLE)
    op.execute(COPIES)
    op.execute(WHOLE_NUMBER)
    op.execute(GOALS)
    op.execute(SESSIONS)
    op.execute(TAKEAWAYS)
    op.execute(CHECK_INS)
    # The ledger's counts join what the backfills just wrote: planned on its real size (a reject
    # table thought empty made a nested loop of every source row and every reject).
    op.execute(f"ANALYZE coaching.migration_rejects, {', '.join(ACCOUNTS)}")
    record_reconciliation()
    ddl.lint_exemption(
        "ban-drop-function",
        "pg_temp's functions are this migration session's own helpers",
    )
    op.execute("DROP FUNCTION pg_temp.whole_number(jsonb, bigint, bigint)")
    op.execute("DROP FUNCTION pg_temp.readable(json)")

    # -- then the indexes and keys, each built once over the loaded rows -----------------------
    op.create_index("idx_goals_user", "smart_goals", ["user_id"], schema="coaching")
    op.create_index("idx_goals_status", "smart_goals", ["status"], schema="coaching")
    op.create_index(
        "idx_sessions_user_week",
        "sessions",
        ["user_id", "week_number", "session_number"],
        unique=True,
        schema="coaching",
    )
    op.create_index("idx_sessions_week", "sessions", ["week_number"], schema="coaching")
    op.create_index(op.f("ix_sessions_goal_id"), "sessions", ["goal_id"], schema="coaching")
    op.create_index(
        "idx_takeaways_session", "session_takeaways", ["session_id"], unique=True, schema="coaching"
    )
    op.create_index("idx_checkins_user", "check_ins", ["user_id"], schema="coaching")
    op.create_index("idx_checkins_goal", "check_ins", ["goal_id"], schema="coaching")
    op.create_index("idx_checkins_date", "check_ins", ["checkin_date"], schema="coaching")
    tables.add_keys()

    # -- the program rule, from here on (the backfilled statuses already follow it) -----------
    op.execute(PROGRAM_ORDER)
    op.execute(PROGRAM_ORDER_TRIGGER)

    op.execute(ENGAGEMENT_ACTIVITY.format(session_completion_rate=SESSION_COMPLETION_RATE))


def downgrade() -> None:
    # Dropping tables whose foreign keys point at users and conversations.
    ddl.lock_tables(
        {"public.users": "ACCESS EXCLUSIVE", "coaching.conversations": "ACCESS EXCLUSIVE"}
    )
    op.execute(ENGAGEMENT_ACTIVITY.format(session_completion_rate="NULL::numeric(5, 2)"))
    op.execute("DROP TRIGGER enforce_program_order ON coaching.sessions")
    op.execute("DROP FUNCTION coaching.enforce_program_order()")
    ddl.forget_reconciliation("coaching_phase3")
    op.execute("DELETE FROM coaching.migration_rejects WHERE revision = 'coaching_phase3'")
    op.drop_table("check_ins", schema="coaching")
    op.drop_table("session_takeaways", schema="coaching")
    op.drop_table("sessions", schema="coaching")
    op.drop_table("smart_goals", schema="coaching")
