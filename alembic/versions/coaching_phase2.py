"""coaching_phase2: people, personas and engagement analytics; conversations get a real owner.

Seed 002's Phase 2, doing what the document means (ARCHITECTURE section 6):

- The document's users are people of `public.users`, shared by every context. Its columns arrive
  here, nullable: first_name, last_name, phone_number, last_login. The document's email
  (unique where present, through the document's `idx_users_email`, one index rather than its
  UNIQUE plus a second index on the same column) and `password_hash` already exist (platform:
  other systems' people have an email too); its `created_at` is `coaching_since` (below).
- `users.external_auth_id` is the durable link to the MVP's ids: the id the app's auth provider
  (Firebase) gave the person, varchar like the MVP column it comes from, unique where present.
- The coach's people are the persons with `users.coaching_since` (when they became one of the
  coach's people); everyone else in `public.users` belongs to other systems. The coach's code sees
  them as the document's `users` table: the view `coaching.users` (user_id = public.users.id,
  email, password_hash, first_name, last_name, phone_number, created_at = coaching_since,
  last_login), which its login finds first on its search_path. The view is automatically
  updatable: an INSERT through it creates a person (user_id and created_at default to a new uuid
  and now()), an UPDATE or DELETE changes or deletes the person, every constraint and trigger of
  public.users still applying; WITH CHECK OPTION keeps a row written through it among the coach's
  people. One identity: a person of another system becomes one of the coach's people when their
  coaching_since is set (an explicit link, never a guess).
- The backfill creates one person per distinct MVP user id. The document inserts them without
  the NOT NULL email (the MVP never knew it: email is nullable, and people from other systems
  have none either) and uses the strings as user keys: here each person gets a uuid derived from
  the string (deterministic, so a re-run gives the same ids), keeps the string in
  `external_auth_id`, and is one of the coach's people since their first conversation (the
  document's `users.created_at`). `coaching.backfilled_users` remembers exactly whom this
  backfill created, because `public.users` also holds other contexts' people: the downgrade
  deletes those and no one else.
- `conversations.user_id` becomes a uuid referencing its person. A conversation without a user
  stays anonymous; one whose user id is blank (the string holds only spaces: no auth provider
  gives that id) stays anonymous too, and `coaching.migration_rejects` keeps the string and why.
  The counts go to the ledger (public.migration_reconciliation), which refuses a lost link.
  With a foreign key no conversation can point at nobody: the document's integrity query
  (conversations whose user_id is not among `users`) finds the conversations of persons who are
  not, or no longer, the coach's people.
- `user_persona` (one per person) holds the profile embedding, `vector(1536)` with an HNSW cosine
  index for similarity search. The `vector` extension is created here unless it is already
  installed: pgvector is not a trusted extension, so where migrations run as a non-superuser a DBA
  installs it beforehand. The extension is commented when this revision creates it, and its
  downgrade drops it only then. The MVP has nothing to build personas from, so none are
  backfilled.
- `engagement_analytics` (one per person) is computed by the database: the views
  `coaching.message_activity` and `coaching.engagement_activity` define each metric once,
  `coaching.refresh_engagement_analytics(user)` writes them (for one person, or everyone when
  called without an argument), and the backfill is that refresh. Its `updated_at` is the time of
  the refresh, so a re-run of this migration differs there and only there (the round-trip
  harness registers it as volatile). The document's query counted messages with an inner join
  (a person whose conversations have no message got no row), took an ambiguous MAX(updated_at)
  and a random id per row; here every person with a conversation gets a row, with an id derived
  from theirs. `engagement_score` has no formula in the document and is left to the product.

Downgrade: conversations get their user id strings back (the external id of their person, or
the blank string kept in the rejects), then the people this backfill created are deleted and the
view, new tables, columns and the extension dropped: the Phase 1 rows come back exactly. What it
cannot give back: personas, analytics and the users columns' values (names, phone, last login,
external id, who is one of the coach's people since when) are dropped with their tables and
columns; a backfilled person's email and password are deleted with them; a conversation created
after this upgrade whose person has no external id gets that person's uuid as its user id
string; a person the app created after the upgrade is kept (without the dropped columns),
because this revision did not create them; the people it did create are deleted, which fails if
another context has since given them rows that forbid it. The extension's drop is refused if
something else in the database uses pgvector.

Revision ID: coaching_phase2
Revises: coaching_phase1
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import pgvector.sqlalchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.toolkit import bulk, ddl

revision: str = "coaching_phase2"
down_revision: str | Sequence[str] | None = "coaching_phase1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the downgrade cannot give back (app/toolkit/data_loss.py): a downgrade that would
# destroy rows of these refuses unless told to. Table -> the condition of its rows that are lost.
LOST_ON_DOWNGRADE = {
    "coaching.user_persona": "true",
    "public.users": "num_nonnulls(first_name, last_name, phone_number, last_login) > 0 "
    "OR CASE WHEN id IN (SELECT user_id FROM coaching.backfilled_users) "
    "THEN num_nonnulls(email, password_hash) > 0 "
    "ELSE num_nonnulls(external_auth_id, coaching_since) > 0 END",
}

NOW = sa.text("now()")
NEW_UUID = sa.text("gen_random_uuid()")

# The columns public.users gains, all nullable: other contexts' people have none of them.
USER_COLUMNS = {
    "first_name": sa.String(length=100),
    "last_name": sa.String(length=100),
    "phone_number": sa.String(length=20),
    "last_login": sa.DateTime(timezone=True),
    "external_auth_id": sa.String(),
    "coaching_since": sa.DateTime(timezone=True),
}

# The document's Phase 2 `users`, over the shared identity: the coach's people. Its created_at is
# when the person became one of them, so a row inserted through the view (created_at defaults to
# now()) is one of them, and the check option refuses a write that would take a row out of it.
COACHING_USERS = """
CREATE VIEW coaching.users AS
SELECT id AS user_id, email, password_hash, first_name, last_name, phone_number,
       coaching_since AS created_at, last_login
FROM public.users
WHERE coaching_since IS NOT NULL
WITH CASCADED CHECK OPTION
"""
COACHING_USERS_DEFAULTS = """
ALTER VIEW coaching.users ALTER COLUMN user_id SET DEFAULT gen_random_uuid();
ALTER VIEW coaching.users ALTER COLUMN created_at SET DEFAULT now();
COMMENT ON VIEW coaching.users IS
    'The health coach''s people (public.users with coaching_since), in seed 002''s Phase 2 shape'
"""

# Each metric is defined once, in these views; the refresh function writes what they say. Reply
# time is how long the person takes to answer the coach: from an assistant message to the next
# user message of the same conversation. It is averaged in seconds (numeric), which no pair of
# timestamps overflows (an interval holds less than timestamptz's range), and a message dated at
# +-infinity has no reply time. The session completion rate arrives with Phase 3's
# sessions, which redefines `engagement_activity` (its downgrade restores this one).
MESSAGE_ACTIVITY = """
CREATE VIEW coaching.message_activity AS
WITH timeline AS (
    SELECT c.user_id, c.updated_at AS conversation_updated_at,
           m.id AS message_id, m.role, m.created_at,
           lag(m.role) OVER turns AS previous_role,
           lag(m.created_at) OVER turns AS previous_at
    FROM coaching.conversations c
    LEFT JOIN coaching.messages m ON m.conversation_id = c.id
    WHERE c.user_id IS NOT NULL
    WINDOW turns AS (PARTITION BY c.user_id, c.id ORDER BY m.created_at, m.id)
),
activity AS (
    SELECT user_id,
           count(message_id)::integer AS total_messages,
           avg(extract(epoch FROM created_at) - extract(epoch FROM previous_at))
               FILTER (WHERE role = 'user' AND previous_role = 'assistant'
                       AND isfinite(created_at) AND isfinite(previous_at)) AS reply_seconds,
           greatest(max(created_at), max(conversation_updated_at)) AS last_activity
    FROM timeline
    GROUP BY user_id
)
SELECT user_id, total_messages,
       make_interval(days => floor(reply_seconds / 86400)::integer,
                     secs => (reply_seconds % 86400)::double precision) AS avg_response_time,
       last_activity
FROM activity
"""

ENGAGEMENT_ACTIVITY = """
CREATE VIEW coaching.engagement_activity AS
SELECT a.user_id, a.total_messages, a.avg_response_time,
       NULL::numeric(5, 2) AS session_completion_rate, a.last_activity
FROM coaching.message_activity a
"""

REFRESH_ENGAGEMENT_ANALYTICS = """
CREATE FUNCTION coaching.refresh_engagement_analytics(for_user uuid DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    changed integer;
BEGIN
    INSERT INTO coaching.engagement_analytics AS e
        (analytics_id, user_id, total_messages, avg_response_time, session_completion_rate,
         last_activity)
    SELECT md5('coaching_analytics:' || a.user_id)::uuid, a.user_id, a.total_messages,
           a.avg_response_time, a.session_completion_rate, a.last_activity
    FROM coaching.engagement_activity a
    WHERE for_user IS NULL OR a.user_id = for_user
    ON CONFLICT (user_id) DO UPDATE
    SET total_messages = EXCLUDED.total_messages,
        avg_response_time = EXCLUDED.avg_response_time,
        session_completion_rate = EXCLUDED.session_completion_rate,
        last_activity = EXCLUDED.last_activity
    WHERE (e.total_messages, e.avg_response_time, e.session_completion_rate, e.last_activity)
          IS DISTINCT FROM (EXCLUDED.total_messages, EXCLUDED.avg_response_time,
                            EXCLUDED.session_completion_rate, EXCLUDED.last_activity);
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END
$$
"""


# The person the backfill creates for an MVP user id string: a uuid derived from the string.
PERSON_ID = "md5('coaching_user:' || {})::uuid"

VECTOR_MARK = "installed by therapy-db revision coaching_phase2, which removes it on downgrade"


def upgrade() -> None:
    # Both tables change shape. Conversations are locked before the people are backfilled from
    # them, so no conversation written meanwhile misses its person.
    ddl.lock_tables(
        {"public.users": "ACCESS EXCLUSIVE", "coaching.conversations": "ACCESS EXCLUSIVE"}
    )
    # Both are rewritten or extended under those locks until the commit (only a separate
    # transaction would help), and conversations.user_id changes type:
    ddl.lint_exemption(
        "constraint-missing-not-valid",
        "unique and foreign keys on columns this transaction adds or rewrites",
    )
    ddl.lint_exemption(
        "disallowed-unique-constraint",
        "users.external_auth_id is added in this transaction",
    )
    ddl.lint_exemption(
        "adding-foreign-key-constraint",
        "conversations.user_id is filled in this transaction",
    )
    ddl.lint_exemption(
        "require-concurrent-index-creation",
        "indexes on columns this transaction adds or rewrites",
    )
    ddl.lint_exemption(
        "changing-column-type",
        "conversations.user_id becomes the person's uuid: one rewrite, under the lock above",
    )
    bulk.use_backfill_memory()

    # Installed by a DBA already (the way for a non-superuser owner)? Then it is not ours to drop.
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'vector') THEN
                CREATE EXTENSION vector;
                COMMENT ON EXTENSION vector IS '{VECTOR_MARK}';
            END IF;
        END
        $$
        """
    )

    # -- people ------------------------------------------------------------------------------
    for name, type_ in USER_COLUMNS.items():
        op.add_column("users", sa.Column(name, type_, nullable=True), schema="public")
    op.create_unique_constraint(
        op.f("uq_users_external_auth_id"), "users", ["external_auth_id"], schema="public"
    )

    tables = bulk.NewTables()  # their keys come after the backfills
    tables.create_table(
        "backfilled_users",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["public.users.id"],
            name=op.f("fk_backfilled_users_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_backfilled_users")),
        schema="coaching",
    )
    op.create_table(
        "migration_rejects",
        sa.Column("source_table", sa.Text(), nullable=False),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("target_table", sa.Text(), nullable=False),
        sa.Column("revision", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source_value", postgresql.JSON(), nullable=True),
        sa.PrimaryKeyConstraint(
            "source_table", "source_id", "target_table", name=op.f("pk_migration_rejects")
        ),
        schema="coaching",
    )

    op.execute(
        f"""
        WITH created AS (
            INSERT INTO public.users (id, external_auth_id, created_at, updated_at, coaching_since)
            SELECT {PERSON_ID.format("user_id")}, user_id, min(created_at), min(created_at),
                   min(created_at)
            FROM coaching.conversations
            WHERE btrim(user_id) <> ''
            GROUP BY user_id
            RETURNING id
        )
        INSERT INTO coaching.backfilled_users (user_id) SELECT id FROM created
        """
    )
    op.execute(
        """
        INSERT INTO coaching.migration_rejects
            (source_table, source_id, target_table, revision, reason, source_value)
        SELECT 'coaching.conversations', id, 'public.users', 'coaching_phase2',
               'user_id is blank: the conversation stays anonymous',
               json_build_object('user_id', user_id)
        FROM coaching.conversations
        WHERE btrim(user_id) = ''
        """
    )

    # -- conversations.user_id: the external id string becomes a reference to the person ------
    # Accounted for while the strings are still there: each one finds the person the backfill
    # derived from it (the same id the rewrite below computes) or was set aside as blank.
    ddl.record_reconciliation(
        "coaching_phase2",
        "public.users",
        source="SELECT count(*) FROM coaching.conversations WHERE user_id IS NOT NULL",
        moved="SELECT count(*) FROM coaching.conversations c JOIN public.users u "
        f"ON u.id = {PERSON_ID.format('c.user_id')} AND u.external_auth_id = c.user_id "
        "WHERE btrim(c.user_id) <> ''",
        rejected="SELECT count(*) FROM coaching.migration_rejects WHERE revision = "
        "'coaching_phase2' AND target_table = 'public.users'",
    )
    # The person's id derives from the string as the backfill above derived it, so one rewrite of
    # the table (its index rebuilt once, no trigger fired, no dead rows) converts every row.
    op.alter_column(
        "conversations",
        "user_id",
        type_=sa.UUID(),
        postgresql_using=f"CASE WHEN btrim(user_id) <> '' THEN {PERSON_ID.format('user_id')} END",
        schema="coaching",
    )
    op.create_foreign_key(
        op.f("fk_conversations_user_id_users"),
        "conversations",
        "users",
        ["user_id"],
        ["id"],
        source_schema="coaching",
        referent_schema="public",
        ondelete="CASCADE",
    )
    op.execute(COACHING_USERS)
    op.execute(COACHING_USERS_DEFAULTS)

    # -- persona -------------------------------------------------------------------------------
    op.create_table(
        "user_persona",
        sa.Column("persona_id", sa.UUID(), server_default=NEW_UUID, nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("personal_details", postgresql.JSONB(), nullable=True),
        sa.Column("has_dog", sa.Boolean(), nullable=True),
        sa.Column("preferences", postgresql.JSONB(), nullable=True),
        sa.Column("vector_data", pgvector.sqlalchemy.Vector(dim=1536), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["public.users.id"],
            name=op.f("fk_user_persona_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("persona_id", name=op.f("pk_user_persona")),
        schema="coaching",
    )
    op.create_index("idx_persona_user", "user_persona", ["user_id"], unique=True, schema="coaching")
    op.create_index(
        op.f("ix_user_persona_vector_data"),
        "user_persona",
        ["vector_data"],
        schema="coaching",
        postgresql_using="hnsw",
        postgresql_ops={"vector_data": "vector_cosine_ops"},
    )
    ddl.add_updated_at_trigger("user_persona", schema="coaching")

    # -- engagement analytics -------------------------------------------------------------------
    tables.create_table(
        "engagement_analytics",
        sa.Column("analytics_id", sa.UUID(), server_default=NEW_UUID, nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("total_messages", sa.Integer(), server_default="0", nullable=False),
        sa.Column("avg_response_time", sa.Interval(), nullable=True),
        sa.Column("session_completion_rate", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("last_activity", sa.DateTime(timezone=True), nullable=True),
        sa.Column("engagement_score", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["public.users.id"],
            name=op.f("fk_engagement_analytics_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("analytics_id", name=op.f("pk_engagement_analytics")),
        schema="coaching",
    )
    op.create_index(
        "idx_analytics_user", "engagement_analytics", ["user_id"], unique=True, schema="coaching"
    )
    ddl.add_updated_at_trigger("engagement_analytics", schema="coaching")

    op.execute(MESSAGE_ACTIVITY)
    op.execute(ENGAGEMENT_ACTIVITY)
    op.execute(REFRESH_ENGAGEMENT_ANALYTICS)
    op.execute("SELECT coaching.refresh_engagement_analytics()")
    tables.add_keys()


def downgrade() -> None:
    ddl.lock_tables(
        {"public.users": "ACCESS EXCLUSIVE", "coaching.conversations": "ACCESS EXCLUSIVE"}
    )
    # conversations.user_id goes back to the MVP's strings through a new column, under those
    # locks until the commit:
    ddl.lint_exemption(
        "require-concurrent-index-deletion",
        "indexes on columns this transaction drops or rewrites",
    )
    ddl.lint_exemption(
        "require-concurrent-index-creation",
        "the MVP's user_id index, on the column this transaction fills",
    )
    ddl.lint_exemption(
        "renaming-column",
        "the restored string column takes the MVP's name back",
    )
    op.execute("DROP VIEW coaching.users")
    op.execute("DROP FUNCTION coaching.refresh_engagement_analytics(uuid)")
    op.execute("DROP VIEW coaching.engagement_activity")
    op.execute("DROP VIEW coaching.message_activity")
    op.drop_table("engagement_analytics", schema="coaching")
    op.drop_table("user_persona", schema="coaching")

    # -- conversations get their user id strings back --------------------------------------------
    op.drop_index(op.f("ix_conversations_user_id"), "conversations", schema="coaching")
    op.add_column(
        "conversations",
        sa.Column("external_user_id", sa.String(), nullable=True),
        schema="coaching",
    )
    ddl.keep_updated_at()
    op.execute(
        """
        UPDATE coaching.conversations c
        SET external_user_id = coalesce(u.external_auth_id, u.id::text)
        FROM public.users u
        WHERE u.id = c.user_id
        """
    )
    op.execute(
        """
        UPDATE coaching.conversations c SET external_user_id = r.source_value->>'user_id'
        FROM coaching.migration_rejects r
        WHERE r.source_table = 'coaching.conversations' AND r.source_id = c.id
          AND r.target_table = 'public.users'
        """
    )
    op.drop_column("conversations", "user_id", schema="coaching")  # and its foreign key
    op.alter_column(
        "conversations", "external_user_id", new_column_name="user_id", schema="coaching"
    )
    op.create_index(
        op.f("ix_conversations_user_id"), "conversations", ["user_id"], schema="coaching"
    )

    # -- the people this backfill created, and no one else ---------------------------------------
    op.execute(
        "DELETE FROM public.users WHERE id IN (SELECT user_id FROM coaching.backfilled_users)"
    )
    ddl.forget_reconciliation("coaching_phase2")
    op.drop_table("migration_rejects", schema="coaching")
    op.drop_table("backfilled_users", schema="coaching")
    op.drop_constraint(op.f("uq_users_external_auth_id"), "users", schema="public")
    for name in reversed(USER_COLUMNS):
        op.drop_column("users", name, schema="public")

    op.execute(
        f"""
        DO $$
        BEGIN
            IF obj_description((SELECT oid FROM pg_extension WHERE extname = 'vector'),
                               'pg_extension') = '{VECTOR_MARK}' THEN
                DROP EXTENSION vector;
            END IF;
        END
        $$
        """
    )
