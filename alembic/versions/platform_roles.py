"""platform_roles: least privilege for the application, analysts and the migration owner.

The application reads and writes its tables; analysts read redacted data only; only the migration
owner changes the schema.

Three kinds of login, each granted a group role (the roles are created if missing, NOLOGIN, and
never dropped: roles belong to the whole server):

- the migration owner: whoever runs the migrations owns every object, so only it can change the
  schema. It needs CREATE on the database (or to own it) and CREATEROLE; pgvector, not a trusted
  extension, is installed by a superuser beforehand where the owner is not one.
- `therapy_db_app`, the application: USAGE on the schemas, and SELECT, INSERT, UPDATE, DELETE on
  every table and view of the context schemas and on `public.users` and `public.user_sessions`
  (nothing else in `public`, which may hold other software's tables), except
    * `therapy.conversation_logs`: read only, and `alembic_version` (read only) so the
      application can check the schema it runs against;
    * `auth.audit_log`: SELECT and INSERT only, so an audit row once written cannot be changed or
      removed by the application (its partitions get no privilege at all: everything goes
      through the parent);
    * the migrations' bookkeeping (`coaching.migration_rejects`, `coaching.backfilled_users`,
      memory's `*_rejected` tables, `user_profile_legacy_values` and `legacy_nulls`): nothing,
      it is for operators and downgrades.
  Tables a later revision creates in a context schema get the same (ALTER DEFAULT PRIVILEGES,
  for the owner's objects), except in `auth`, whose new tables (audit partitions among them) stay
  closed until granted, and in `public`. `auth.maintain_audit_log_partitions` runs with its
  owner's rights (SECURITY DEFINER), so the application's scheduled job can add partitions
  without CREATE on `auth`.
- `therapy_db_analyst`: what researchers read (`therapy_db_researcher`: the redacted therapy
  views) plus the engagement and bot metrics, which hold numbers, no words.
- one login per source system, for that system's own code: `therapy_db_ai_therapist`,
  `therapy_db_companion`, `therapy_db_health_coach`, `therapy_db_clinic`,
  `therapy_db_discord_bot`. Each is a member of `therapy_db_app` (the application's privileges,
  no more) and, in this database, has a search_path that puts its context's schema first, so
  the system's unqualified SQL finds its own tables and the bridges its schema holds (its view
  of `users`, ...). The bot's and the coach's logins also run in UTC, as their own databases
  did (they write naive datetimes). Where the migration owner may not create roles or set
  another role's defaults, a WARNING gives the statement a DBA runs once.

Downgrade: every grant above is revoked, the default privileges removed, the function back to
running with its caller's rights. The roles stay, and so does the analyst's membership of the
researcher role: both belong to the server, not to this database.

Revision ID: platform_roles
Revises: therapy_3nf, memory_normalized, coaching_phase4, clinic_integration, chat_discord
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

from app.toolkit import ddl

revision: str = "platform_roles"
# Every context's newest phase: the grants name tables of each (the history's single head).
down_revision: str | Sequence[str] | None = (
    "therapy_3nf",
    "memory_normalized",
    "coaching_phase4",
    "clinic_integration",
    "chat_discord",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP, ANALYST, RESEARCHER = "therapy_db_app", "therapy_db_analyst", "therapy_db_researcher"

SCHEMAS = ("public", "therapy", "memory", "coaching", "auth", "chat")
# Schemas whose every table is the application's; public and auth are granted table by table.
OPEN_SCHEMAS = ("therapy", "memory", "coaching", "chat")
TABLES = (
    "public.users",
    "public.user_sessions",
    "auth.clinicas",
    "auth.sys_usuarios",
    "auth.voice_transcripts",
    "auth.voice_transcript_consents",
)
READ_ONLY = ("therapy.conversation_logs",)
BOOKKEEPING = (
    "coaching.migration_rejects",
    "coaching.backfilled_users",
    "memory.memory_profiles_rejected",
    "memory.conversations_rejected",
    "memory.conversation_messages_rejected",
    "memory.crisis_flags_rejected",
    "memory.conversation_continuity_rejected",
    "memory.feedback_rejected",
    "memory.feedback_log_rejected",
    "memory.user_preferences_rejected",
    "memory.emotional_trends_rejected",
    "memory.value_compass_rejected",
    "memory.user_profile_legacy_values",
    "memory.legacy_nulls",
)
ANALYST_TABLES = ("coaching.engagement_analytics", "chat.metrics")
WRITE = "SELECT, INSERT, UPDATE, DELETE"
PARTITION_MAINTENANCE = "auth.maintain_audit_log_partitions(integer)"
# Each source system's login and the schema its unqualified SQL must find first.
SYSTEM_LOGINS = {
    "therapy_db_ai_therapist": "therapy",
    "therapy_db_companion": "memory",
    "therapy_db_health_coach": "coaching",
    "therapy_db_clinic": "auth",
    "therapy_db_discord_bot": "chat",
}


def upgrade() -> None:
    for role in (APP, ANALYST):
        ddl.create_role_if_missing(role)

    # The application.
    op.execute(f"GRANT USAGE ON SCHEMA {', '.join(SCHEMAS)} TO {APP}")
    for schema in OPEN_SCHEMAS:
        op.execute(f"GRANT {WRITE} ON ALL TABLES IN SCHEMA {schema} TO {APP}")
        op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {APP}")
        op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {WRITE} ON TABLES TO {APP}")
        op.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {APP}"
        )
    op.execute(f"REVOKE INSERT, UPDATE, DELETE ON {', '.join(READ_ONLY)} FROM {APP}")
    op.execute(f"REVOKE ALL ON {', '.join(BOOKKEEPING)} FROM {APP}")
    op.execute(f"GRANT {WRITE} ON {', '.join(TABLES)} TO {APP}")
    op.execute(f"GRANT SELECT ON public.alembic_version TO {APP}")
    op.execute(f"GRANT SELECT, INSERT ON auth.audit_log TO {APP}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA auth TO {APP}")
    op.execute(
        f"ALTER FUNCTION {PARTITION_MAINTENANCE} SECURITY DEFINER SET search_path = auth, pg_temp"
    )

    # Analysts. Membership between the group roles is set up once for the server, like the roles:
    # granting it again would need the ADMIN OPTION that only the roles' creator holds.
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT pg_has_role('{ANALYST}', '{RESEARCHER}', 'MEMBER') THEN
                GRANT {RESEARCHER} TO {ANALYST};
            END IF;
        END
        $$
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA coaching, chat TO {ANALYST}")
    op.execute(f"GRANT SELECT ON {', '.join(ANALYST_TABLES)} TO {ANALYST}")

    # Each source system's own code.
    for login, schema in SYSTEM_LOGINS.items():
        ddl.create_system_login(login, member_of=APP, search_path=f"{schema}, public")
    # The bot and the coach write naive datetimes their own databases took as UTC: here they
    # are timestamptz, read in the session's zone.
    for login in ("therapy_db_health_coach", "therapy_db_discord_bot"):
        ddl.set_login_default(login, "timezone", "UTC")


def downgrade() -> None:
    for login in ("therapy_db_discord_bot", "therapy_db_health_coach"):
        ddl.reset_login_default(login, "timezone")
    for login in reversed(SYSTEM_LOGINS):
        ddl.reset_system_login(login)
    op.execute(f"REVOKE SELECT ON {', '.join(ANALYST_TABLES)} FROM {ANALYST}")
    op.execute(f"REVOKE USAGE ON SCHEMA coaching, chat FROM {ANALYST}")

    op.execute(f"ALTER FUNCTION {PARTITION_MAINTENANCE} SECURITY INVOKER RESET search_path")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA auth FROM {APP}")
    op.execute(f"REVOKE ALL ON auth.audit_log, public.alembic_version FROM {APP}")
    op.execute(f"REVOKE ALL ON {', '.join(TABLES)} FROM {APP}")
    for schema in reversed(OPEN_SCHEMAS):
        op.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
            f"REVOKE USAGE, SELECT ON SEQUENCES FROM {APP}"
        )
        op.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE {WRITE} ON TABLES FROM {APP}"
        )
        op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {APP}")
        op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {APP}")
    op.execute(f"REVOKE USAGE ON SCHEMA {', '.join(SCHEMAS)} FROM {APP}")
