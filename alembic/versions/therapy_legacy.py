"""therapy_legacy: the AI therapist app before its 3NF migration: its users and its log.

1. The app's users, bridged. Its own database had a `users` table (its migration 001: `userid`
   SERIAL, `username`, `password` as a bcrypt hash, `role`, timestamps). Here its people are rows
   of the shared `public.users`, which keeps the app's own key for them: `userid`, unique,
   numbered by `therapy.users_userid_seq`, NULL for people of the other systems. The view
   `therapy.users` is the app's table as its code knows it (`userid, username, password, role,
   created_at, updated_at`), over the rows that have a `userid`: the app reads, inserts, updates
   and deletes through it (an automatically updatable view: its `userid` defaults to the
   sequence, WITH CHECK OPTION keeps every row written through it one of the app's people), and
   every constraint and trigger of `public.users` applies. A person with a `userid` has the
   app's login (username, password hash and role), as the app's NOT NULL columns required.
2. `conversation_logs` (hand-made table): every event of a voice or chat session was appended to
   it: `session_id` is free text written by the app (not always a UUID), `message` was
   PHI-redacted by the app before insert, `extras` holds whatever else the app had at hand.

A real database of the app comes in by copying its `users` into `therapy.users` (its userids
kept; its TIMESTAMP values are Denver wall-clock times: copy them with `timezone` set to
America/Denver) and its `conversation_logs` into this one.

Downgrade: the log, the view, the sequence and the `userid` column go. The people stay in
`public.users` (the shared identity other contexts may point at) without their therapist key.

Revision ID: therapy_legacy
Revises: platform
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.toolkit import ddl

revision: str = "therapy_legacy"
down_revision: str | Sequence[str] | None = "platform"
branch_labels: str | Sequence[str] | None = ("therapy",)
depends_on: str | Sequence[str] | None = None

# What the downgrade cannot give back (app/toolkit/data_loss.py): a downgrade that would
# destroy rows of these refuses unless told to. Table -> the condition of its rows that are lost.
LOST_ON_DOWNGRADE = {
    "therapy.*": "true",  # the therapist's data was not here before
    "public.users": "userid IS NOT NULL",  # the app's key for its people
    "public.import_rejects": "context = 'therapy'",
}


def upgrade() -> None:
    # 1. The app's users: its key on the shared row, and its view of them.
    ddl.lock_tables({"public.users": "ACCESS EXCLUSIVE"})
    ddl.lint_exemption(
        "constraint-missing-not-valid",
        "uq_users_userid and ck_users_therapist_login are on a column added in this transaction",
    )
    ddl.lint_exemption(
        "disallowed-unique-constraint",
        "built under the ACCESS EXCLUSIVE lock the new column holds anyway",
    )
    op.execute("CREATE SEQUENCE therapy.users_userid_seq AS integer")
    op.add_column("users", sa.Column("userid", sa.Integer(), nullable=True), schema="public")
    op.create_unique_constraint(op.f("uq_users_userid"), "users", ["userid"], schema="public")
    op.create_check_constraint(
        op.f("ck_users_therapist_login"),
        "users",
        "userid IS NULL OR "
        "(username IS NOT NULL AND password_hash IS NOT NULL AND role IS NOT NULL)",
        schema="public",
    )
    op.execute(
        """
        CREATE VIEW therapy.users AS
        SELECT userid, username, password_hash AS password, role, created_at, updated_at
        FROM public.users
        WHERE userid IS NOT NULL
        WITH CASCADED CHECK OPTION
        """
    )
    op.execute(
        "ALTER VIEW therapy.users ALTER COLUMN userid "
        "SET DEFAULT nextval('therapy.users_userid_seq')"
    )
    op.execute(
        "COMMENT ON VIEW therapy.users IS "
        "'The AI therapist app''s users table, as its code reads and writes it: its people in "
        "public.users.'"
    )

    # 2. The log.
    ddl.lint_exemption("prefer-identity", "serial is the legacy table's own shape (DESIGN 5)")
    op.create_table(
        "conversation_logs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),  # SERIAL
        sa.Column("session_id", sa.Text(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("message_type", sa.String(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("extras", postgresql.JSONB(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_logs")),
        schema="therapy",
    )


def downgrade() -> None:
    ddl.lock_tables({"public.users": "ACCESS EXCLUSIVE"})
    ddl.forget_import("therapy")
    op.drop_table("conversation_logs", schema="therapy")

    op.execute("DROP VIEW therapy.users")
    op.drop_constraint(op.f("ck_users_therapist_login"), "users", schema="public")
    op.drop_constraint(op.f("uq_users_userid"), "users", schema="public")
    op.drop_column("users", "userid", schema="public")
    ddl.lint_exemption("ban-drop-sequence", "the app's key generator goes with the key it numbered")
    op.execute("DROP SEQUENCE therapy.users_userid_seq")
