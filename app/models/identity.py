"""Identity (schema `public`): one row per person, whatever system they came from.

`users` starts in the therapist app's shape; each context's revisions add the columns their
documents give it, nullable where another system's people legitimately lack them.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamps, UUIDPrimaryKey

USER_ROLES = ("therapist", "researcher", "participant")


class User(UUIDPrimaryKey, Timestamps, Base):
    """A person. Username, password and role are the therapist app's login; other systems' people
    have none of them."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {USER_ROLES}", name="role"),
        Index("idx_users_email", "email", unique=True),  # coaching_phase2
        {"schema": "public"},
    )

    username: Mapped[str | None] = mapped_column(unique=True)
    password_hash: Mapped[str | None]
    role: Mapped[str | None] = mapped_column(String(20))

    # coaching_phase2 (seed 002): the health coach's profile, and the id its auth provider
    # (Firebase) gave the person, which links them to the MVP's conversations.
    email: Mapped[str | None] = mapped_column(String(255))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    phone_number: Mapped[str | None] = mapped_column(String(20))
    last_login: Mapped[datetime | None]
    external_auth_id: Mapped[str | None] = mapped_column(String(36), unique=True)
