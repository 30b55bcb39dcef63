"""The therapist app's session endpoints (seed 000's API) as functions over a Session.

They flush but never commit: the caller owns the transaction.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from app.runtime.models.identity import User
from app.runtime.models.therapy import (
    RESEARCHER_ROLE,
    THERAPIST_ROLE,
    SessionConfiguration,
    TherapyMessage,
    TherapySession,
    messages_redacted,
    users,
)

Reader = Literal["therapist", "researcher"]

# Who exports what, and under which group role the database checks it.
EXPORTS = {
    "therapist": (THERAPIST_ROLE, TherapyMessage.__table__),
    "researcher": (RESEARCHER_ROLE, messages_redacted),
}


def create_user(session: Session, *, username: str, password_hash: str, role: str) -> User:
    """A new user of the app, as its admin creates them: a person with the app's login, numbered
    by the app's own key (`userid`) through its view `therapy.users`."""
    userid = session.scalar(
        sa.insert(users)
        .values(username=username, password=password_hash, role=role)
        .returning(users.c.userid)
    )
    return session.scalars(sa.select(User).where(User.userid == userid)).one()


def create_session(
    session: Session,
    *,
    user_id: int | None = None,
    session_name: str | None = None,
    **configuration: Any,
) -> TherapySession:
    """POST /api/sessions/create: a session and its configuration (defaults unless given).

    `user_id` is the app's key for the person (`User.userid`); None for an anonymous session.
    """
    therapy_session = TherapySession(
        user_id=user_id,
        session_name=session_name,
        configuration=SessionConfiguration(**configuration),
    )
    session.add(therapy_session)
    session.flush()
    return therapy_session


def list_user_sessions(session: Session, user_id: int, *, limit: int = 50) -> list[TherapySession]:
    """GET /api/sessions: a user's sessions, newest first."""
    return list(
        session.scalars(
            sa.select(TherapySession)
            .where(TherapySession.user_id == user_id)
            .order_by(TherapySession.created_at.desc())
            .limit(limit)
        )
    )


def get_session_details(session: Session, session_id: uuid.UUID) -> TherapySession | None:
    """GET /api/sessions/:id: the session with its configuration and messages in order, in one
    round trip."""
    return (
        session.scalars(
            sa.select(TherapySession)
            .where(TherapySession.session_id == session_id)
            .options(joinedload(TherapySession.configuration), joinedload(TherapySession.messages))
            .execution_options(populate_existing=True)
        )
        .unique()
        .one_or_none()
    )


def end_session(session: Session, session_id: uuid.UUID) -> TherapySession | None:
    """POST /api/sessions/:id/end. Ending an ended (or archived) session changes nothing."""
    session.execute(
        sa.update(TherapySession)
        .where(TherapySession.session_id == session_id, TherapySession.status == "active")
        .values(status="ended", ended_at=sa.func.now())
    )
    return session.get(TherapySession, session_id, populate_existing=True)


def name_session(session: Session, session_id: uuid.UUID, name: str) -> None:
    """Store the name the background summariser generated for an ended session."""
    session.execute(
        sa.update(TherapySession)
        .where(TherapySession.session_id == session_id)
        .values(session_name=name)
    )


def add_message(
    session: Session,
    session_id: uuid.UUID,
    *,
    role: str,
    content: str | None,
    content_redacted: str | None,
    message_type: str = "chat",
    metadata: Any = None,
) -> TherapyMessage:
    """POST /logs/batch, one message: what was said, and its HIPAA-redacted version."""
    message = TherapyMessage(
        session_id=session_id,
        role=role,
        message_type=message_type,
        content=content,
        content_redacted=content_redacted,
        metadata_=metadata,
    )
    session.add(message)
    session.flush()
    return message


@dataclass(frozen=True)
class AdminSessionRow:
    session_id: uuid.UUID
    session_name: str | None
    username: str | None
    status: str
    created_at: datetime
    ended_at: datetime | None
    message_count: int


def admin_sessions(session: Session, *, limit: int = 100, offset: int = 0) -> list[AdminSessionRow]:
    """GET /admin/api/sessions: newest first, with the owner's username and message count."""
    message_count = (
        sa.select(sa.func.count())
        .where(TherapyMessage.session_id == TherapySession.session_id)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(
            TherapySession.session_id,
            TherapySession.session_name,
            User.username,
            TherapySession.status,
            TherapySession.created_at,
            TherapySession.ended_at,
            message_count.label("message_count"),
        )
        .outerjoin(User, User.userid == TherapySession.user_id)
        .order_by(TherapySession.created_at.desc())
        .limit(limit)
        .offset(offset)
    )
    return [AdminSessionRow(*row) for row in rows]


@dataclass(frozen=True)
class DailyActivity:
    day: date
    sessions: int
    messages: int


@dataclass(frozen=True)
class Analytics:
    sessions_by_status: dict[str, int]
    messages_by_role: dict[str, int]
    daily: list[DailyActivity]


def analytics(session: Session, *, since: datetime | None = None) -> Analytics:
    """GET /admin/api/analytics: sessions per status, messages per role, activity per UTC day."""
    session_filter = TherapySession.created_at >= since if since else sa.true()
    message_filter = TherapyMessage.created_at >= since if since else sa.true()
    by_status = session.execute(
        sa.select(TherapySession.status, sa.func.count())
        .where(session_filter)
        .group_by(TherapySession.status)
    )
    by_role = session.execute(
        sa.select(TherapyMessage.role, sa.func.count())
        .where(message_filter)
        .group_by(TherapyMessage.role)
    )

    def per_day(created_at, where):
        day = sa.cast(sa.func.timezone("UTC", created_at), sa.Date).label("day")
        return sa.select(day, sa.func.count().label("n")).where(where).group_by(day).subquery()

    sessions = per_day(TherapySession.created_at, session_filter)
    messages = per_day(TherapyMessage.created_at, message_filter)
    daily = session.execute(
        sa.select(
            sa.func.coalesce(sessions.c.day, messages.c.day).label("day"),
            sa.func.coalesce(sessions.c.n, 0),
            sa.func.coalesce(messages.c.n, 0),
        )
        .select_from(sessions.join(messages, sessions.c.day == messages.c.day, full=True))
        .order_by("day")
    )
    return Analytics(
        sessions_by_status=dict(by_status.all()),
        messages_by_role=dict(by_role.all()),
        daily=[DailyActivity(*row) for row in daily],
    )


def export_messages(
    session: Session, *, reader: Reader, session_id: uuid.UUID | None = None
) -> list[dict[str, Any]]:
    """GET /admin/api/export, read with the database privileges of `reader`.

    The query runs under the reader's group role, so the database itself refuses a researcher
    anything but the redacted view: a researcher's export can never contain original text. The
    application's login must be a member of both group roles.
    """
    if reader not in EXPORTS:
        raise ValueError(f"only therapists and researchers export messages, not {reader!r}")
    role, source = EXPORTS[reader]
    query = sa.select(source).order_by(
        source.c.session_id, source.c.created_at, source.c.message_id
    )
    if session_id is not None:
        query = query.where(source.c.session_id == session_id)
    with session.begin_nested():  # a failure also undoes the SET ROLE
        session.execute(sa.text(f"SET LOCAL ROLE {role}"))
        rows = session.execute(query).mappings().all()
        session.execute(sa.text("RESET ROLE"))
    return [dict(row) for row in rows]
