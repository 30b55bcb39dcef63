"""Therapy (schema `therapy`, seed 000): the AI therapist's voice and chat sessions.

A session belongs to one of the app's users (by the app's own integer key, `users.userid`), or
to nobody (anonymous). Each message is stored twice:
`content` as spoken or typed, which only therapists may read, and `content_redacted`, the
HIPAA-redacted text researchers read through `therapy.messages_redacted`.
"""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.runtime.models.base import Base, CreatedAt, Timestamps, related
from app.runtime.models.identity import User

SESSION_STATUSES = ("active", "ended", "archived")
MESSAGE_ROLES = ("user", "assistant", "system")
MODALITIES = ("text", "audio")

NEWEST_FIRST = literal_column("created_at DESC")

# Group roles (NOLOGIN) that logins are granted: what each kind of reader may see.
THERAPIST_ROLE = "therapy_db_therapist"
RESEARCHER_ROLE = "therapy_db_researcher"


class ConversationLog(CreatedAt, Base):
    """The legacy app's event log: read-only history since therapy_3nf (a trigger refuses writes).

    `session_id` is free text the app wrote; `message` was redacted before it was stored.
    """

    __tablename__ = "conversation_logs"
    __table_args__ = {
        "schema": "therapy",
        "comment": "Read-only history of the therapist app before therapy_3nf; "
        "see therapy.messages.",
    }

    id: Mapped[int] = mapped_column(primary_key=True)  # SERIAL
    session_id: Mapped[str]
    role: Mapped[str] = mapped_column(String)
    message_type: Mapped[str] = mapped_column(String)
    message: Mapped[str | None]
    extras: Mapped[Any | None]


class TherapySession(Timestamps, Base):
    """One voice or chat session. Ending it sets `ended_at`; archiving keeps whatever it had."""

    __tablename__ = "therapy_sessions"
    __table_args__ = (
        CheckConstraint(f"status IN {SESSION_STATUSES}", name="status"),
        CheckConstraint(
            "(status <> 'active' OR ended_at IS NULL) "
            "AND (status <> 'ended' OR ended_at IS NOT NULL)",
            name="ended_at_agrees_with_status",
        ),
        Index("ix_therapy_sessions_user_id_created_at", "user_id", NEWEST_FIRST),
        Index("ix_therapy_sessions_created_at", NEWEST_FIRST),
        {"schema": "therapy"},
    )

    session_id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, server_default=func.gen_random_uuid()
    )
    # The app's `userid` (seed 000: INTEGER); deleting a user keeps their sessions, anonymised.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("public.users.userid", ondelete="SET NULL")
    )
    session_name: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), server_default="active", index=True)
    ended_at: Mapped[datetime | None]

    user: Mapped[User | None] = related(back_populates="therapy_sessions")
    configuration: Mapped["SessionConfiguration"] = related(
        back_populates="session", cascade="all, delete-orphan", passive_deletes=True
    )
    messages: Mapped[list["TherapyMessage"]] = related(
        back_populates="session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(TherapyMessage.created_at, TherapyMessage.message_id)",
    )


class SessionConfiguration(CreatedAt, Base):
    """The OpenAI realtime settings a session runs with; the defaults are the app's."""

    __tablename__ = "session_configurations"
    __table_args__ = (
        CheckConstraint(
            "cardinality(modalities) > 0 AND modalities <@ ARRAY['text', 'audio']",
            name="modalities",
        ),
        # The realtime API accepts 0.6 to 1.2.
        CheckConstraint("temperature BETWEEN 0.6 AND 1.2", name="temperature"),
        # NULL means no limit (the API's "inf").
        CheckConstraint(
            "max_response_output_tokens BETWEEN 1 AND 4096", name="max_response_output_tokens"
        ),
        {"schema": "therapy"},
    )

    config_id: Mapped[int] = mapped_column(Identity(always=False), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("therapy.therapy_sessions.session_id", ondelete="CASCADE"), unique=True
    )
    voice: Mapped[str] = mapped_column(String(50), server_default="alloy")
    modalities: Mapped[list[str]] = mapped_column(server_default=text("'{text,audio}'"))
    instructions: Mapped[str | None]
    turn_detection: Mapped[dict[str, Any] | None]
    tools: Mapped[Any | None]
    temperature: Mapped[Decimal] = mapped_column(Numeric(3, 2), server_default=text("0.8"))
    max_response_output_tokens: Mapped[int | None] = mapped_column(server_default=text("4096"))

    session: Mapped[TherapySession] = related(back_populates="configuration")


class TherapyMessage(CreatedAt, Base):
    """What was said in a session, original and redacted; a session's start has no text."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(f"role IN {MESSAGE_ROLES}", name="role"),
        Index(None, "session_id", "created_at", "message_id"),  # a session's messages in order
        {"schema": "therapy"},
    )

    message_id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("therapy.therapy_sessions.session_id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(20))
    message_type: Mapped[str] = mapped_column(String(50))
    content: Mapped[str | None]
    content_redacted: Mapped[str | None]
    metadata_: Mapped[Any | None] = mapped_column("metadata")

    session: Mapped[TherapySession] = related(back_populates="messages")


# What researchers read: views over the tables above (created by therapy_3nf, owned by the
# migration role). Kept off Base.metadata, which describes tables for autogenerate.
views = MetaData()

messages_redacted = Table(
    "messages_redacted",
    views,
    Column("message_id", BigInteger),
    Column("session_id", UUID(as_uuid=True)),
    Column("role", String(20)),
    Column("message_type", String(50)),
    Column("content_redacted", Text),
    Column("created_at", DateTime(timezone=True)),
    schema="therapy",
)

# No session_name: it is generated from what was said in the session.
sessions_redacted = Table(
    "sessions_redacted",
    views,
    Column("session_id", UUID(as_uuid=True)),
    Column("user_id", Integer),
    Column("status", String(20)),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    schema="therapy",
)

# The app's own users table, as its code reads and writes it: its people in public.users
# (created by therapy_legacy; `password` is public.users.password_hash).
users = Table(
    "users",
    views,
    Column("userid", Integer),
    Column("username", Text),
    Column("password", Text),
    Column("role", String(20)),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    schema="therapy",
)
