"""What the health coach's services ask of the coaching schema.

Each function takes the caller's Session and leaves the transaction to the caller.
"""

import uuid
from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session, aliased

from app.runtime.models.coaching import CheckIn, ProgramSession, SmartGoal, UserPersona


class SimilarPerson(NamedTuple):
    user_id: uuid.UUID
    distance: float  # cosine distance: 0 is the same direction, 2 the opposite


def nearest_personas(
    session: Session,
    embedding: Sequence[float],
    k: int = 10,
    *,
    exclude_user_id: uuid.UUID | None = None,
) -> list[SimilarPerson]:
    """The k people whose persona embedding is closest to `embedding` (cosine distance).

    Served by the HNSW index on user_persona.vector_data, so the result is approximate (the
    index's recall, not an exact scan), as similarity search at scale needs.
    """
    query, parameters = NEAREST, {"embedding": embedding, "k": k}
    if exclude_user_id is not None:
        query, parameters["user_id"] = NEAREST_BUT_ONE, exclude_user_id
    return [SimilarPerson(*row) for row in session.execute(query, parameters)]


def similar_users(session: Session, user_id: uuid.UUID, k: int = 10) -> list[SimilarPerson]:
    """The k people most like `user_id` by persona embedding; none if they have no embedding.

    One statement: the person's embedding is looked up by the database, never sent to the
    client and back (1536 numbers as text each way cost more than the index search).
    """
    rows = session.execute(SIMILAR, {"user_id": user_id, "k": k})
    return [SimilarPerson(*row) for row in rows]


def _nearest(embedding) -> sa.Select:
    """People with an embedding, nearest to `embedding` first. Ordered by the `distance` label,
    so the embedding appears once in the statement (the index scan yields that order)."""
    distance = UserPersona.vector_data.cosine_distance(embedding).label("distance")
    return (
        sa.select(UserPersona.user_id, distance)
        .where(UserPersona.vector_data.is_not(None))
        .order_by(distance)
        .limit(sa.bindparam("k"))
    )


# The similarity statements are built once: building one costs more than running it.
NEAREST = _nearest(sa.bindparam("embedding", type_=UserPersona.vector_data.type))
NEAREST_BUT_ONE = NEAREST.where(UserPersona.user_id != sa.bindparam("user_id"))
_theirs = aliased(UserPersona, name="theirs")
_their_embedding = (
    sa.select(_theirs.vector_data)
    .where(_theirs.user_id == sa.bindparam("user_id"))
    .scalar_subquery()
)
SIMILAR = _nearest(_their_embedding).where(
    UserPersona.user_id != sa.bindparam("user_id"), _their_embedding.is_not(None)
)


def goal_progress(session: Session, user_id: uuid.UUID) -> Sequence[Row]:
    """Each of a person's goals with what their check-ins say, oldest goal first.

    Rows of: goal_id, goal_type, specific, status, progress (the latest check-in's goal_progress,
    percent), last_check_in (date), check_ins (how many), average_mood.
    """
    latest_progress = (
        sa.select(CheckIn.goal_progress)
        .where(CheckIn.goal_id == SmartGoal.goal_id, CheckIn.goal_progress.is_not(None))
        .order_by(CheckIn.checkin_date.desc(), CheckIn.created_at.desc())
        .limit(1)
        .correlate(SmartGoal)
        .scalar_subquery()
    )
    query = (
        sa.select(
            SmartGoal.goal_id,
            SmartGoal.goal_type,
            SmartGoal.specific,
            SmartGoal.status,
            latest_progress.label("progress"),
            sa.func.max(CheckIn.checkin_date).label("last_check_in"),
            sa.func.count(CheckIn.checkin_id).label("check_ins"),
            sa.func.round(sa.func.avg(CheckIn.mood_rating), 1).label("average_mood"),
        )
        .outerjoin(CheckIn, CheckIn.goal_id == SmartGoal.goal_id)
        .where(SmartGoal.user_id == user_id)
        .group_by(SmartGoal.goal_id)
        .order_by(SmartGoal.created_at, SmartGoal.goal_id)
    )
    return session.execute(query).all()


def refresh_engagement_analytics(session: Session, user_id: uuid.UUID | None = None) -> int:
    """Recompute engagement analytics for one person, or for everyone (None), in the database.

    Calls `coaching.refresh_engagement_analytics`, which writes what the view
    `coaching.engagement_activity` computes. Returns how many people's analytics changed; an
    unchanged row is not rewritten, so its updated_at says when its numbers last changed.
    """
    for_user = sa.bindparam("for_user", user_id, type_=UUID(as_uuid=True))
    return session.scalar(sa.select(sa.func.coaching.refresh_engagement_analytics(for_user)))


def next_unlockable_session(session: Session, user_id: uuid.UUID) -> ProgramSession | None:
    """The person's next session to take: their first session, in program order, that is not
    completed (every session before it is). None when their program is done or has no sessions.
    """
    return session.scalars(
        sa.select(ProgramSession)
        .where(ProgramSession.user_id == user_id, ProgramSession.status != "completed")
        .order_by(ProgramSession.week_number, ProgramSession.session_number)
        .limit(1)
    ).first()
