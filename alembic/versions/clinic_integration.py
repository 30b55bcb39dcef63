"""clinic_integration: seed 003's migration 001, audit log and transcripts of the voice frontend.

The audit log
- gains the plan's eight columns (username, session_id, method, endpoint, request_body,
  response_hash, source_refs, note), registro_id becomes nullable (a request need not concern
  one record), and the plan's three indexes arrive with the plan's names. They are created on the
  partitioned table, so PostgreSQL builds them on every partition and on every partition created
  later. response_hash also gets a CHECK that it is a lowercase hex SHA-256, or empty: the
  clinic's hashing helper writes an empty string for a response without a body.
- accepts every accion the clinic API writes: the legacy eight plus READ and CREATE.
- keeps its primary key (id_log, timestamp_accion). The plan drops it for PRIMARY KEY (id_log),
  believing the composite key a duplicate; on a partitioned table that cannot work, because every
  unique constraint must contain the partition key (ARCHITECTURE section 6). What the plan means,
  that id_log alone identifies an audit row, is made true instead: id_log becomes GENERATED
  ALWAYS, so only the identity sequence hands out ids, and that sequence is moved past every id
  legacy data brought, so no new row repeats one. No row is touched.
- accepts a row dated at any moment: a DEFAULT partition takes whatever no month covers, and
  `auth.create_audit_log_partition(month)` adds a month, moving into it the rows of that month the
  default partition holds. `auth.maintain_audit_log_partitions(months_ahead)` (run it from a
  scheduled job; the upgrade runs it once) creates the current month and the next ones, and
  every earlier month whose rows wait in the default partition. Missed runs lose nothing and
  refuse nothing: rows of months nobody created wait in the default partition, and the next run
  gives each of those months its partition, moving its rows in. An upgrade in the last second of
  a month has made the next months already, so no row written after midnight waits.

Voice transcripts (`auth.voice_transcripts`, as the plan has it) hold PHI:
- storing one requires the user's consent, recorded in `auth.voice_transcript_consents` (one row
  per staff user: granted_at, revoked_at). A trigger refuses a transcript of a user without a
  current consent, with an error saying so (SQLSTATE 23514, an IntegrityError for service code).
- revoking consent (setting revoked_at, or deleting the consent row) erases that user's stored
  transcripts in the same transaction: consent was the only reason to hold them.
- retention (purging transcripts older than 90 days, in batches) is
  `app.runtime.queries.clinic.purge_voice_transcripts`, served by idx_voice_transcripts_timestamp.

Downgrade, back to the legacy shape with every audit row kept:
- rows the legacy audit log can hold (a legacy accion, a registro_id, dated 2024-12 .. 2025-12)
  stay in it; what only the new columns said about them (session, endpoint, request body,
  response hash, ...) cannot be kept;
- rows it cannot hold (READ/CREATE, no registro_id, dated outside the legacy months) are moved
  whole, new columns included, into `auth.audit_log_overflow`, created only when there are any;
  the next upgrade moves them back and drops it. The legacy system never reads that table.
- voice transcripts and consents are dropped, as the plan's rollback drops them: the legacy
  shape has no place for them.
- the id_log sequence stays where the upgrade moved it (ids are never handed out twice).

Revision ID: clinic_integration
Revises: clinic_legacy
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.toolkit import ddl

revision: str = "clinic_integration"
down_revision: str | Sequence[str] | None = "clinic_legacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("now()")

LEGACY_AUDIT_ACTIONS = (
    "INSERT",
    "UPDATE",
    "DELETE",
    "LOGIN_EXITOSO",
    "LOGIN_FALLIDO",
    "LOGIN_USUARIO_INACTIVO",
    "LOGOUT",
    "PASSWORD_CHANGE",
)
# The clinic API's audit middleware also writes READ and CREATE (ARCHITECTURE section 5).
AUDIT_ACTIONS = (*LEGACY_AUDIT_ACTIONS, "CREATE", "READ")

# The legacy partitions cover [LEGACY_FROM, LEGACY_TO); clinic_legacy creates exactly these.
LEGACY_FROM, LEGACY_TO = "2024-12-01 00:00:00+00", "2026-01-01 00:00:00+00"
LEGACY_PARTITIONS = ("audit_log_2024_12", *(f"audit_log_2025_{m:02d}" for m in range(1, 13)))

# The plan's eight columns, all nullable.
NEW_AUDIT_COLUMNS = {
    "username": sa.String(length=50),
    "session_id": sa.String(length=255),
    "method": sa.String(length=10),
    "endpoint": sa.String(length=255),
    "request_body": sa.Text(),
    "response_hash": sa.String(length=64),
    "source_refs": postgresql.JSONB(),
    "note": sa.Text(),
}

# What the downgrade cannot give back (app/toolkit/data_loss.py): a downgrade that would
# destroy rows of these refuses unless told to. Table -> the condition of its rows that are lost.
LOST_ON_DOWNGRADE = {
    "auth.voice_transcripts": "true",
    "auth.voice_transcript_consents": "true",
    # Rows that stay in the legacy shape lose what only the plan's columns said of them.
    "auth.audit_log": f"accion IN {LEGACY_AUDIT_ACTIONS} AND registro_id IS NOT NULL "
    f"AND timestamp_accion >= '{LEGACY_FROM}' AND timestamp_accion < '{LEGACY_TO}' "
    f"AND num_nonnulls({', '.join(NEW_AUDIT_COLUMNS)}) > 0",
}
LEGACY_AUDIT_COLUMNS = (
    "id_log",
    "tabla_afectada",
    "registro_id",
    "accion",
    "usuario_id",
    "timestamp_accion",
    "datos_anteriores",
    "datos_nuevos",
    "ip_address",
)
AUDIT_COLUMNS = ", ".join([*LEGACY_AUDIT_COLUMNS, *NEW_AUDIT_COLUMNS])
PLAN_INDEXES = {  # the plan's names, kept
    "idx_audit_log_session": "session_id",
    "idx_audit_log_endpoint": "endpoint",
    "idx_audit_log_username": "username",
}

CREATE_PARTITION_FUNCTION = r"""
CREATE FUNCTION auth.create_audit_log_partition(month date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    starts timestamptz := date_trunc('month', month::timestamp) AT TIME ZONE 'UTC';
    ends timestamptz := (date_trunc('month', month::timestamp) + interval '1 month')
                        AT TIME ZONE 'UTC';
    partition text := 'audit_log_' || to_char(month, 'YYYY_MM');
    columns text;
BEGIN
    IF to_regclass('auth.' || partition) IS NOT NULL THEN
        RETURN false;
    END IF;
    -- Writers wait for the moment this takes; PostgreSQL needs this lock to add a partition.
    LOCK TABLE ONLY auth.audit_log IN ACCESS EXCLUSIVE MODE;
    IF to_regclass('auth.' || partition) IS NOT NULL THEN  -- created while we waited
        RETURN false;
    END IF;

    -- The default partition may hold rows of that month: set them aside, add the month, put
    -- them back (PostgreSQL refuses a partition whose rows the default partition holds).
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO columns
      FROM pg_attribute
     WHERE attrelid = 'auth.audit_log'::regclass AND attnum > 0 AND NOT attisdropped;
    CREATE TEMP TABLE IF NOT EXISTS audit_log_moving (LIKE auth.audit_log) ON COMMIT DROP;
    EXECUTE format(
        'WITH moved AS (DELETE FROM auth.audit_log_default '
        '               WHERE timestamp_accion >= $1 AND timestamp_accion < $2 RETURNING %1$s) '
        'INSERT INTO pg_temp.audit_log_moving (%1$s) SELECT %1$s FROM moved', columns)
        USING starts, ends;
    EXECUTE format(
        'CREATE TABLE auth.%I PARTITION OF auth.audit_log FOR VALUES FROM (%L) TO (%L)',
        partition, starts, ends);
    EXECUTE format(
        'INSERT INTO auth.audit_log (%1$s) OVERRIDING SYSTEM VALUE '
        'SELECT %1$s FROM pg_temp.audit_log_moving', columns);
    TRUNCATE pg_temp.audit_log_moving;
    RETURN true;
END
$$
"""

# The months due: this one, the next `months_ahead`, and every earlier one whose rows wait in the
# default partition because no run created their month in time (rows dated later wait until
# their month comes within the horizon). Sorted first, so every read of the default partition
# happens before the first partition is created.
MAINTAIN_PARTITIONS_FUNCTION = r"""
CREATE FUNCTION auth.maintain_audit_log_partitions(months_ahead integer DEFAULT 3)
RETURNS integer LANGUAGE sql AS $$
    WITH horizon AS (
        SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AS this_month,
               date_trunc('month', now() AT TIME ZONE 'UTC')
                 + make_interval(months => months_ahead) AS last_month
    ), due AS (
        SELECT generate_series(this_month, last_month, interval '1 month') AS month FROM horizon
        UNION
        SELECT date_trunc('month', waiting.timestamp_accion AT TIME ZONE 'UTC')
          FROM auth.audit_log_default AS waiting, horizon
         WHERE waiting.timestamp_accion
               < (last_month + interval '1 month') AT TIME ZONE 'UTC'
        ORDER BY month
    )
    SELECT count(*) FILTER (WHERE auth.create_audit_log_partition(month::date))::integer
      FROM due
$$
"""

REQUIRE_CONSENT_FUNCTION = r"""
CREATE FUNCTION auth.require_voice_transcript_consent() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    consent auth.voice_transcript_consents;
BEGIN
    -- FOR SHARE: a revocation running now waits for this transaction, then erases this row too.
    SELECT * INTO consent FROM auth.voice_transcript_consents
     WHERE id_usuario = NEW.user_id FOR SHARE;
    IF consent.revoked_at IS NOT NULL OR consent.id_usuario IS NULL THEN
        RAISE EXCEPTION 'voice transcript not stored: user % %', NEW.user_id,
            CASE WHEN consent.id_usuario IS NULL
                 THEN 'has not consented to storing voice transcripts'
                 ELSE 'revoked consent to storing voice transcripts at ' || consent.revoked_at
            END
            USING ERRCODE = 'check_violation',
                  SCHEMA = 'auth', TABLE = 'voice_transcripts',
                  CONSTRAINT = 'voice_transcript_consent',
                  HINT = 'Record the user''s consent in auth.voice_transcript_consents first.';
    END IF;
    RETURN NEW;
END
$$
"""

ERASE_ON_REVOCATION_FUNCTION = r"""
CREATE FUNCTION auth.erase_voice_transcripts_of_revoked_consent() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM auth.voice_transcripts WHERE user_id = OLD.id_usuario;
    RETURN NULL;
END
$$
"""

OVERFLOW_COMMENT = (
    "Audit rows the legacy audit_log cannot hold (accion, registro_id or date outside its "
    "shape), kept whole by the clinic_integration downgrade; its next upgrade moves them back."
)
TRANSCRIPTS_COMMENT = (  # the plan's words
    "Stores voice conversation transcripts for audit and history. "
    "Contains PII/PHI - implement retention policy."
)
CONSENTS_COMMENT = (
    "Consent of each staff user to storing their voice transcripts. A transcript is stored only "
    "while revoked_at is null; revoking (or deleting the row) erases the user's transcripts."
)


def upgrade() -> None:
    # The audit log (and its partitions) changes shape; the consent and transcript tables'
    # foreign keys lock writers out of sys_usuarios.
    ddl.lock_tables(
        {"auth.audit_log": "ACCESS EXCLUSIVE", "auth.sys_usuarios": "SHARE ROW EXCLUSIVE"}
    )
    # The plan's changes, under the audit log's ACCESS EXCLUSIVE lock until the commit anyway
    # (adding columns and partitions needs it; only a separate transaction would help):
    ddl.lint_exemption(
        "ban-drop-not-null",
        "the plan makes registro_id optional: a request need not concern one record",
    )
    ddl.lint_exemption(
        "ban-drop-constraint",
        "ck_audit_log_accion is replaced at once by a wider check",
    )
    ddl.lint_exemption(
        "constraint-missing-not-valid",
        "the checks are validated under the lock the revision holds anyway",
    )
    ddl.lint_exemption(
        "require-concurrent-index-creation",
        "the plan's indexes are on columns added in this transaction",
    )
    ddl.lint_exemption(
        "ban-alter-identity",
        "GENERATED ALWAYS is the point: only the sequence hands out ids",
    )

    # -- 1. The audit log: the plan's columns, a nullable registro_id, every accion the API writes
    for name, type_ in NEW_AUDIT_COLUMNS.items():
        op.add_column("audit_log", sa.Column(name, type_, nullable=True), schema="auth")
    op.alter_column("audit_log", "registro_id", nullable=True, schema="auth")
    op.drop_constraint(op.f("ck_audit_log_accion"), "audit_log", schema="auth", type_="check")
    op.create_check_constraint(
        op.f("ck_audit_log_accion"), "audit_log", f"accion IN {AUDIT_ACTIONS}", schema="auth"
    )
    op.create_check_constraint(
        op.f("ck_audit_log_response_hash"),
        "audit_log",
        "response_hash ~ '^([0-9a-f]{64})?$'",
        schema="auth",
    )
    for name, column in PLAN_INDEXES.items():
        op.create_index(name, "audit_log", [column], schema="auth")

    # -- 2. Any moment: a default partition, and monthly partitions made ahead by a function
    op.execute("CREATE TABLE auth.audit_log_default PARTITION OF auth.audit_log DEFAULT")
    op.execute(CREATE_PARTITION_FUNCTION)
    op.execute(
        "COMMENT ON FUNCTION auth.create_audit_log_partition(date) IS "
        "'Adds the audit_log partition of the (UTC) month containing the date, moving in the rows "
        "of that month the default partition holds. False if it existed.'"
    )
    op.execute(MAINTAIN_PARTITIONS_FUNCTION)
    op.execute(
        "COMMENT ON FUNCTION auth.maintain_audit_log_partitions(integer) IS "
        "'Creates the audit_log partitions of the current month, the next months_ahead months "
        "and every earlier month whose rows wait in the default partition (moving them in); "
        "returns how many it created. Run it from a scheduled job.'"
    )
    op.execute("SELECT auth.maintain_audit_log_partitions()")

    # Rows a previous downgrade could not give the legacy shape come back.
    op.execute(
        f"""
        DO $$
        BEGIN
            IF to_regclass('auth.audit_log_overflow') IS NOT NULL THEN
                INSERT INTO auth.audit_log ({AUDIT_COLUMNS})
                SELECT {AUDIT_COLUMNS} FROM auth.audit_log_overflow;
                DROP TABLE auth.audit_log_overflow;
            END IF;
        END
        $$
        """
    )

    # -- 3. What the plan's PRIMARY KEY (id_log) means: id_log alone identifies a row
    op.execute(
        """
        SELECT setval(pg_get_serial_sequence('auth.audit_log', 'id_log'), max(id_log))
          FROM auth.audit_log
        HAVING max(id_log) > coalesce(
            pg_sequence_last_value(pg_get_serial_sequence('auth.audit_log', 'id_log')::regclass),
            0)
        """
    )
    op.execute("ALTER TABLE auth.audit_log ALTER COLUMN id_log SET GENERATED ALWAYS")

    # -- 4. Voice transcripts, stored only with the user's consent
    op.create_table(
        "voice_transcript_consents",
        sa.Column("id_usuario", sa.BigInteger(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "revoked_at >= granted_at",
            name=op.f("ck_voice_transcript_consents_revoked_after_granted"),
        ),
        sa.ForeignKeyConstraint(
            ["id_usuario"],
            ["auth.sys_usuarios.id_usuario"],
            name=op.f("fk_voice_transcript_consents_id_usuario_sys_usuarios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id_usuario", name=op.f("pk_voice_transcript_consents")),
        schema="auth",
        comment=CONSENTS_COMMENT,
    )
    op.create_table(
        "voice_transcripts",
        sa.Column("id_transcript", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("session_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("user_text", sa.Text(), nullable=False),
        sa.Column("assistant_text", sa.Text(), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("langgraph_job_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth.sys_usuarios.id_usuario"],
            name=op.f("fk_voice_transcripts_user_id_sys_usuarios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id_transcript", name=op.f("pk_voice_transcripts")),
        schema="auth",
        comment=TRANSCRIPTS_COMMENT,
    )
    op.create_index(
        "idx_voice_transcripts_session", "voice_transcripts", ["session_id"], schema="auth"
    )
    op.create_index("idx_voice_transcripts_user", "voice_transcripts", ["user_id"], schema="auth")
    op.create_index(
        "idx_voice_transcripts_timestamp", "voice_transcripts", ["timestamp"], schema="auth"
    )

    op.execute(REQUIRE_CONSENT_FUNCTION)
    op.execute(
        "CREATE TRIGGER require_consent BEFORE INSERT OR UPDATE OF user_id "
        "ON auth.voice_transcripts FOR EACH ROW "
        "EXECUTE FUNCTION auth.require_voice_transcript_consent()"
    )
    op.execute(ERASE_ON_REVOCATION_FUNCTION)
    op.execute(
        "CREATE TRIGGER erase_transcripts_on_revocation AFTER UPDATE OF revoked_at "
        "ON auth.voice_transcript_consents FOR EACH ROW "
        "WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL) "
        "EXECUTE FUNCTION auth.erase_voice_transcripts_of_revoked_consent()"
    )
    op.execute(
        "CREATE TRIGGER erase_transcripts_on_delete AFTER DELETE "
        "ON auth.voice_transcript_consents FOR EACH ROW WHEN (OLD.revoked_at IS NULL) "
        "EXECUTE FUNCTION auth.erase_voice_transcripts_of_revoked_consent()"
    )


def downgrade() -> None:
    ddl.lock_tables({"auth.audit_log": "ACCESS EXCLUSIVE", "auth.sys_usuarios": "ACCESS EXCLUSIVE"})
    # Back to the legacy shape under the audit log's ACCESS EXCLUSIVE lock (dropping partitions
    # and columns needs it), in one transaction so a failure leaves the plan's shape whole:
    ddl.lint_exemption(
        "require-concurrent-index-deletion",
        "the plan's indexes go with the lock held anyway",
    )
    ddl.lint_exemption(
        "constraint-missing-not-valid",
        "the legacy accion check, validated under that lock",
    )
    ddl.lint_exemption(
        "adding-not-nullable-field",
        "registro_id NOT NULL again: rows without one moved to the overflow table first",
    )

    # -- 4. Transcripts and consents have no place in the legacy shape
    op.drop_table("voice_transcripts", schema="auth")
    op.drop_table("voice_transcript_consents", schema="auth")
    op.execute("DROP FUNCTION auth.require_voice_transcript_consent()")
    op.execute("DROP FUNCTION auth.erase_voice_transcripts_of_revoked_consent()")

    # -- 3.
    op.execute("ALTER TABLE auth.audit_log ALTER COLUMN id_log SET GENERATED BY DEFAULT")

    # -- 2. Rows the legacy shape cannot hold go, whole, to auth.audit_log_overflow; then the
    # partitions legacy did not have (now empty) go.
    cannot_hold = (
        f"accion NOT IN {LEGACY_AUDIT_ACTIONS} OR registro_id IS NULL "
        f"OR timestamp_accion < '{LEGACY_FROM}' OR timestamp_accion >= '{LEGACY_TO}'"
    )
    op.execute(
        f"""
        DO $$
        BEGIN
            IF EXISTS (SELECT FROM auth.audit_log WHERE {cannot_hold}) THEN
                CREATE TABLE auth.audit_log_overflow (
                    LIKE auth.audit_log,
                    CONSTRAINT pk_audit_log_overflow PRIMARY KEY (id_log, timestamp_accion));
                COMMENT ON TABLE auth.audit_log_overflow IS '{OVERFLOW_COMMENT}';
                WITH moved AS (
                    DELETE FROM auth.audit_log WHERE {cannot_hold} RETURNING {AUDIT_COLUMNS})
                INSERT INTO auth.audit_log_overflow ({AUDIT_COLUMNS})
                SELECT {AUDIT_COLUMNS} FROM moved;
            END IF;
        END
        $$
        """
    )
    legacy_partitions = ", ".join(f"'{name}'" for name in LEGACY_PARTITIONS)
    op.execute(
        f"""
        DO $$
        DECLARE
            partition regclass;
        BEGIN
            FOR partition IN
                SELECT c.oid::regclass FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = 'auth.audit_log'::regclass
                   AND c.relname NOT IN ({legacy_partitions})
            LOOP
                EXECUTE format('DROP TABLE %s', partition);
            END LOOP;
        END
        $$
        """
    )
    op.execute("DROP FUNCTION auth.maintain_audit_log_partitions(integer)")
    op.execute("DROP FUNCTION auth.create_audit_log_partition(date)")

    # -- 1.
    for name in PLAN_INDEXES:
        op.drop_index(name, table_name="audit_log", schema="auth")
    op.drop_constraint(
        op.f("ck_audit_log_response_hash"), "audit_log", schema="auth", type_="check"
    )
    op.drop_constraint(op.f("ck_audit_log_accion"), "audit_log", schema="auth", type_="check")
    op.create_check_constraint(
        op.f("ck_audit_log_accion"),
        "audit_log",
        f"accion IN {LEGACY_AUDIT_ACTIONS}",
        schema="auth",
    )
    op.alter_column("audit_log", "registro_id", nullable=False, schema="auth")
    for name in reversed(NEW_AUDIT_COLUMNS):
        op.drop_column("audit_log", name, schema="auth")
