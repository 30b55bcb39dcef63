"""platform: one schema per context, the updated_at trigger function, and the shared users table.

`public.users` is the one identity every context's rows point to. It starts in the therapist
app's shape (username, password_hash, role); those columns are nullable because people who come
from the other four systems have none of them. `email` is every system's but the therapist's
(the companion requires it, the coach documents it): unique where present, through the coach's
`idx_users_email`. It is here, not in one context's branch, so that contexts migrate on their
own.

`public.migration_reconciliation` is where every later data migration accounts for its rows:
one row per backfill, written by the migration itself when it runs, and refused by the database
unless every source row was moved or rejected (with its reason, in the context's reject table).
`public.import_rejects` is the reject table of `therapy-db import`, which brings a source
system's own database in at its context's legacy revision, each system's people as people of
their own. `public.identity_links` records each deliberate link of one person across two systems
(`therapy-db link`): never a guess, so never automatic.

Revision ID: platform
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.toolkit import ddl

revision: str = "platform"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the downgrade cannot give back (app/toolkit/data_loss.py): a downgrade that would
# destroy rows of these refuses unless told to. Table -> the condition of its rows that are lost.
LOST_ON_DOWNGRADE = {"public.users": "true"}

CONTEXT_SCHEMAS = ("therapy", "memory", "coaching", "auth", "chat")
IDENTITY_LINKS_COMMENT = (
    "One person known to two source systems, linked on purpose (`therapy-db link`): the merged "
    "person's row as it was; their rows in every context now belong to the kept person."
)
IMPORT_REJECTS_COMMENT = (
    "Rows of a source system's database that `therapy-db import` could not place, each whole "
    "with the reason; the ledger counts them (revision import:<context>)."
)
NOW = sa.text("now()")


def upgrade() -> None:
    # Plain CREATE SCHEMA: a database that already has a schema of one of these names belongs
    # to someone else, and this history must not adopt it (or drop it on downgrade).
    for schema in CONTEXT_SCHEMAS:
        op.execute(f"CREATE SCHEMA {schema}")

    ddl.create_updated_at_function()

    op.create_table(
        "users",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "role IN ('therapist', 'researcher', 'participant')", name=op.f("ck_users_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
        schema="public",
    )
    op.create_index("idx_users_email", "users", ["email"], unique=True, schema="public")
    ddl.add_updated_at_trigger("users", schema="public")

    op.create_table(
        "migration_reconciliation",
        sa.Column("revision", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("source_rows", sa.BigInteger(), nullable=False),
        sa.Column("moved_rows", sa.BigInteger(), nullable=False),
        sa.Column("rejected_rows", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "source_rows = moved_rows + rejected_rows",
            name=op.f("ck_migration_reconciliation_every_row_accounted_for"),
        ),
        sa.PrimaryKeyConstraint("revision", "target", name=op.f("pk_migration_reconciliation")),
        schema="public",
    )
    op.create_table(
        "import_rejects",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("source_table", sa.Text(), nullable=False),
        sa.Column("target_table", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source_row", postgresql.JSONB(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_rejects")),
        schema="public",
        comment=IMPORT_REJECTS_COMMENT,
    )
    op.create_index(
        op.f("ix_import_rejects_context"), "import_rejects", ["context"], schema="public"
    )
    op.create_table(
        "identity_links",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kept_user_id", sa.UUID(), nullable=False),
        sa.Column("merged_user_id", sa.UUID(), nullable=False),
        sa.Column("merged_row", postgresql.JSONB(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["kept_user_id"],
            ["public.users.id"],
            name=op.f("fk_identity_links_kept_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_links")),
        schema="public",
        comment=IDENTITY_LINKS_COMMENT,
    )
    op.create_index(
        op.f("ix_identity_links_kept_user_id"), "identity_links", ["kept_user_id"], schema="public"
    )


def downgrade() -> None:
    op.drop_table("identity_links", schema="public")
    op.drop_table("import_rejects", schema="public")
    op.drop_table("migration_reconciliation", schema="public")
    op.drop_table("users", schema="public")
    ddl.drop_updated_at_function()
    for schema in reversed(CONTEXT_SCHEMAS):
        op.execute(f"DROP SCHEMA {schema}")
