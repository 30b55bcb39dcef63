"""Identity (schema `public`): one row per person, whatever system they came from.

`users` starts in the therapist app's shape; each context's revisions add the columns their
documents give it, nullable where another system's people legitimately lack them.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, CheckConstraint, Index, String, UniqueConstraint, text, true
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamps, UUIDPrimaryKey, related

if TYPE_CHECKING:  # the contexts' models refer to User; User refers back by name
    from app.models.chat import ChatSession
    from app.models.coaching import (
        CheckIn,
        Conversation,
        EngagementAnalytics,
        ProgramSession,
        SmartGoal,
        UserPersona,
    )
    from app.models.therapy import TherapySession

USER_ROLES = ("therapist", "researcher", "participant")


class User(UUIDPrimaryKey, Timestamps, Base):
    """A person. Username, password and role are the therapist app's login; other systems' people
    have none of them."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {USER_ROLES}", name="role"),
        Index("idx_users_email", "email", unique=True),  # the coach's name for it
        # chat (seed 004): its unique Discord id's constraint carries the document's index name.
        UniqueConstraint("discord_id", name="idx_users_discord_id"),
        Index("idx_users_active", "is_active"),
        {"schema": "public"},
    )

    username: Mapped[str | None] = mapped_column(unique=True)
    password_hash: Mapped[str | None]
    role: Mapped[str | None] = mapped_column(String(20))
    # therapy_legacy (seed 000): the AI therapist app's own key for its people (its view
    # `therapy.users` numbers them); they have its login, as its NOT NULL columns required.
    userid: Mapped[int | None] = mapped_column(
        CheckConstraint(
            "userid IS NULL OR "
            "(username IS NOT NULL AND password_hash IS NOT NULL AND role IS NOT NULL)",
            name="therapist_login",
        ),
        unique=True,
    )
    email: Mapped[str | None] = mapped_column(String(255))

    # coaching_phase2 (seed 002): the health coach's profile, and the id its auth provider
    # (Firebase) gave the person, which links them to the MVP's conversations. The coach's people
    # are those with coaching_since (since when; the coach's code reads it as users.created_at).
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    phone_number: Mapped[str | None] = mapped_column(String(20))
    last_login: Mapped[datetime | None]
    external_auth_id: Mapped[str | None] = mapped_column(String, unique=True)
    coaching_since: Mapped[datetime | None]

    # chat (seed 004): the Discord account of people who talk to the bot; account status and
    # preferences every person has.
    discord_id: Mapped[int | None] = mapped_column(BigInteger)
    display_label: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(server_default=true())
    preferences: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))

    # memory (seed 001): the companion's profile of its people, who are the people with an
    # onboarding flag (memory.users shows them; their `password` is password_hash).
    name: Mapped[str | None]
    onboarding_skipped: Mapped[bool | None]
    onboarding_completed_at: Mapped[datetime | None]

    # What each context holds of the person (loaded only when a read asks: `related`).
    therapy_sessions: Mapped[list["TherapySession"]] = related(
        back_populates="user", order_by="TherapySession.created_at.desc()"
    )
    coaching_conversations: Mapped[list["Conversation"]] = related(
        back_populates="user", order_by="Conversation.created_at", passive_deletes=True
    )
    coaching_persona: Mapped["UserPersona | None"] = related(
        back_populates="user", passive_deletes=True
    )
    coaching_engagement: Mapped["EngagementAnalytics | None"] = related(
        back_populates="user", passive_deletes=True
    )
    smart_goals: Mapped[list["SmartGoal"]] = related(
        back_populates="user", order_by="SmartGoal.created_at", passive_deletes=True
    )
    program_sessions: Mapped[list["ProgramSession"]] = related(
        back_populates="user",
        order_by="(ProgramSession.week_number, ProgramSession.session_number)",
        passive_deletes=True,
    )
    check_ins: Mapped[list["CheckIn"]] = related(
        back_populates="user", order_by="CheckIn.checkin_date", passive_deletes=True
    )
    chat_sessions: Mapped[list["ChatSession"]] = related(
        back_populates="owner", order_by="ChatSession.created_at"
    )


class UserSession(Base):
    """An Express login session, in the layout the Node library connect-pg-simple reads and
    writes unchanged (`sess` is the session object as JSON; expired rows are pruned by it)."""

    __tablename__ = "user_sessions"
    __table_args__ = {"schema": "public"}

    sid: Mapped[str] = mapped_column(String, primary_key=True)
    sess: Mapped[dict[str, Any]]
    expire: Mapped[datetime] = mapped_column(index=True)
