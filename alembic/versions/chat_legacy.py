"""chat_legacy: the Discord chat system as it stood before its migration 001.

People who talk to the bot are rows of the shared `public.users`, with the two columns the chat
system gave them: `discord_id` (their Discord account, unique) and `display_label` (varchar(255),
as the bot created it). Both are nullable: people from the other four systems have none.

The bot's own code sees its people as `users` in its schema: the view `chat.users` (id,
discord_id, display_label, created_at) shows the people that have a display label (the bot's
users table requires one). It is automatically updatable, so the bot's INSERT, UPDATE and DELETE
land in `public.users`, its defaults, constraints and triggers included; WITH CHECK OPTION refuses
a row the view would not show, as the bot's NOT NULL display_label did.

`chat.sessions` is a conversation with the bot, on the website or in one Discord channel (a
channel belongs to one session: `discord_channel_id` is unique). Its `origin` is the first of the
context's enum types. Every enum type of this context lives in schema `chat`, next to the tables
that use it, so dropping the context leaves nothing in `public`, and is named as the bot's code
names it: SQLAlchemy names an unnamed Enum after its Python class in lower case and, on asyncpg,
casts every value it sends to that type (`$1::sessionorigin`, found through the bot login's
search_path).

The legacy system had no index on `sessions.owner_user_id`; migration 001 (`chat_discord`) adds
it as `idx_sessions_owner`.

Downgrade: drops the view, the sessions, their enum type (no enum type of this context is left)
and the two users columns, with their data. The people the chat system added stay in
`public.users`, the shared identity other contexts may point at; this revision created no user,
so it removes none.

Revision ID: chat_legacy
Revises: platform
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.toolkit import ddl

revision: str = "chat_legacy"
down_revision: str | Sequence[str] | None = "platform"
branch_labels: str | Sequence[str] | None = ("chat",)
depends_on: str | Sequence[str] | None = None

# What the downgrade cannot give back (app/toolkit/data_loss.py): a downgrade that would
# destroy rows of these refuses unless told to. Table -> the condition of its rows that are lost.
LOST_ON_DOWNGRADE = {
    "chat.*": "true",  # the chat system's data was not here before
    "public.users": "discord_id IS NOT NULL OR display_label IS NOT NULL",
    "public.import_rejects": "context = 'chat'",
}

# Created and dropped explicitly below (create_type=False: creating the table does not create it).
SESSION_ORIGIN = postgresql.ENUM(
    "website", "discord", name="sessionorigin", schema="chat", create_type=False
)

# The bot's users, as its code maps them; the columns chat_discord adds come after these.
USERS_VIEW = """
CREATE VIEW chat.users AS
SELECT id, discord_id, display_label, created_at
  FROM public.users
 WHERE display_label IS NOT NULL
  WITH CASCADED CHECK OPTION
"""


def upgrade() -> None:
    ddl.lock_tables({"public.users": "ACCESS EXCLUSIVE"})
    ddl.lint_exemption(
        "constraint-missing-not-valid",
        "uq_users_discord_id is on a column added in this transaction",
    )
    ddl.lint_exemption(
        "disallowed-unique-constraint",
        "built under the ACCESS EXCLUSIVE lock the new columns hold anyway",
    )
    op.add_column("users", sa.Column("discord_id", sa.BigInteger(), nullable=True), schema="public")
    op.add_column(
        "users", sa.Column("display_label", sa.String(length=255), nullable=True), schema="public"
    )
    op.create_unique_constraint(
        op.f("uq_users_discord_id"), "users", ["discord_id"], schema="public"
    )

    SESSION_ORIGIN.create(op.get_bind())
    op.create_table(
        "sessions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("owner_user_id", sa.UUID(), nullable=False),
        sa.Column("origin", SESSION_ORIGIN, nullable=False),
        sa.Column("discord_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("system_prompt", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"], ["public.users.id"], name=op.f("fk_sessions_owner_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("discord_channel_id", name=op.f("uq_sessions_discord_channel_id")),
        schema="chat",
    )

    op.execute(USERS_VIEW)


def downgrade() -> None:
    ddl.lock_tables({"public.users": "ACCESS EXCLUSIVE"})
    ddl.forget_import("chat")
    op.execute("DROP VIEW chat.users")
    op.drop_table("sessions", schema="chat")
    SESSION_ORIGIN.drop(op.get_bind())

    op.drop_constraint(op.f("uq_users_discord_id"), "users", schema="public")
    op.drop_column("users", "display_label", schema="public")
    op.drop_column("users", "discord_id", schema="public")
