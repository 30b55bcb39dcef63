"""app.runtime.queries.coaching against a database at head: similarity, goal progress, analytics."""

import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.runtime.models.coaching import (
    EMBEDDING_DIMENSIONS,
    CheckIn,
    CoachingMessage,
    Conversation,
    EngagementAnalytics,
    ProgramSession,
    SmartGoal,
    UserPersona,
)
from app.runtime.models.identity import User
from app.runtime.queries.coaching import (
    goal_progress,
    nearest_personas,
    refresh_engagement_analytics,
    similar_users,
)


def person(session: Session, **values) -> uuid.UUID:
    user = User(**values)
    session.add(user)
    session.flush()
    return user.id


def direction(seed: int) -> list[float]:
    generator = random.Random(seed)
    return [generator.gauss(0, 1) for _ in range(EMBEDDING_DIMENSIONS)]


def nudged(vector: list[float], amount: float, seed: int) -> list[float]:
    generator = random.Random(seed)
    return [value + generator.gauss(0, amount) for value in vector]


@pytest.fixture
def personas(session: Session) -> dict[str, uuid.UUID]:
    """A reference person, three people increasingly unlike them, and 40 unrelated ones."""
    reference = direction(0)
    people = {
        "reference": reference,
        "twin": nudged(reference, 0.1, 1),
        "cousin": nudged(reference, 0.6, 2),
        "acquaintance": nudged(reference, 1.2, 3),
    }
    people |= {f"stranger-{n}": direction(100 + n) for n in range(40)}
    ids = {}
    for name, vector in people.items():
        ids[name] = person(session)
        session.add(UserPersona(user_id=ids[name], vector_data=vector, has_dog=False))
    session.add(UserPersona(user_id=person(session)))  # no embedding yet
    session.commit()
    return ids


def test_similar_users_are_the_nearest_personas_without_the_person(session, personas):
    similar = similar_users(session, personas["reference"], k=3)
    assert [match.user_id for match in similar] == [
        personas["twin"],
        personas["cousin"],
        personas["acquaintance"],
    ]
    distances = [match.distance for match in similar]
    assert distances == sorted(distances) and 0 < distances[0] < 0.05


def test_nearest_personas_skips_people_without_an_embedding(session, personas):
    found = nearest_personas(session, direction(0), k=100)
    assert len(found) == len(personas)


def test_similar_users_of_someone_without_a_persona_is_empty(session, personas):
    assert similar_users(session, person(session)) == []


@pytest.mark.parametrize(
    "search",
    [
        lambda session, people: nearest_personas(session, direction(0)),
        lambda session, people: similar_users(session, people["reference"]),
    ],
    ids=["nearest_personas", "similar_users"],
)
def test_similarity_search_is_served_by_the_hnsw_index(session, personas, search):
    sent = []

    def record(connection, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(session.bind, "before_cursor_execute", record)
    try:
        assert search(session, personas)
    finally:
        event.remove(session.bind, "before_cursor_execute", record)
    # On 45 rows a sequential scan is cheaper; at scale the planner picks the index by itself
    # (scripts/bench shows it). Here: the statement the function sends can use the index.
    session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    ((statement, parameters),) = sent
    with session.connection().connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + statement, parameters)
        plan = "\n".join(row for (row,) in cursor.fetchall())
    assert "Index Scan using ix_user_persona_vector_data" in plan, plan


def test_a_person_has_one_persona(session, personas):
    session.add(UserPersona(user_id=personas["twin"]))
    with pytest.raises(IntegrityError, match="idx_persona_user"):
        session.flush()


def test_goal_progress_reads_the_latest_check_in(session: Session):
    me = person(session)
    walking = SmartGoal(
        user_id=me,
        goal_type="fitness",
        specific="Walk daily",
        measurable="30 min",
        achievable="yes",
        relevant="health",
        time_bound="4 weeks",
        created_at=datetime(2024, 9, 30, tzinfo=UTC),
    )
    sleeping = SmartGoal(
        user_id=me,
        goal_type="sleep",
        specific="Bed by 23:00",
        measurable="5 nights",
        achievable="yes",
        relevant="energy",
        time_bound="2 weeks",
    )
    session.add_all([walking, sleeping])
    session.flush()
    session.add_all(
        [
            CheckIn(
                user_id=me,
                goal_id=walking.goal_id,
                checkin_date=date(2024, 10, 1),
                mood_rating=5,
                goal_progress=20,
            ),
            CheckIn(
                user_id=me,
                goal_id=walking.goal_id,
                checkin_date=date(2024, 10, 8),
                mood_rating=8,
                goal_progress=60,
            ),
            CheckIn(
                user_id=me,
                goal_id=walking.goal_id,
                checkin_date=date(2024, 10, 9),
                mood_rating=7,
                goal_progress=None,
            ),
        ]
    )
    session.commit()

    rows = goal_progress(session, me)
    assert [(row.goal_type, row.progress, row.check_ins) for row in rows] == [
        ("fitness", 60, 3),
        ("sleep", None, 0),
    ]
    assert rows[0].last_check_in == date(2024, 10, 9)
    assert float(rows[0].average_mood) == pytest.approx(6.7)


@pytest.mark.parametrize(
    ("column", "value", "constraint"),
    [
        ("mood_rating", 0, "ck_check_ins_mood_rating"),
        ("goal_progress", 101, "ck_check_ins_goal_progress"),
    ],
)
def test_check_ins_keep_their_scales(session: Session, column, value, constraint):
    session.add(CheckIn(user_id=person(session), checkin_date=date(2024, 1, 1), **{column: value}))
    with pytest.raises(IntegrityError, match=constraint):
        session.flush()


def chat(session: Session, user_id: uuid.UUID, start: datetime, replies: list[int]) -> None:
    """A conversation: the coach asks, the person answers after each delay (minutes)."""
    conversation = Conversation(user_id=user_id, created_at=start, updated_at=start)
    session.add(conversation)
    session.flush()
    moment = start
    for delay in replies:
        session.add(
            CoachingMessage(
                conversation_id=conversation.id, role="assistant", content="?", created_at=moment
            )
        )
        moment += timedelta(minutes=delay)
        session.add(
            CoachingMessage(
                conversation_id=conversation.id, role="user", content="!", created_at=moment
            )
        )
        moment += timedelta(minutes=1)
    session.flush()


def analytics_of(session: Session, user_id: uuid.UUID) -> EngagementAnalytics | None:
    session.expire_all()
    return session.scalar(
        sa.select(EngagementAnalytics).where(EngagementAnalytics.user_id == user_id)
    )


def test_refreshing_one_person_computes_their_engagement_only(session: Session):
    start = datetime(2024, 10, 1, 9, tzinfo=UTC)
    me, other = person(session), person(session)
    chat(session, me, start, [2, 4])
    chat(session, other, start, [10])

    assert refresh_engagement_analytics(session, me) == 1
    mine = analytics_of(session, me)
    assert mine.total_messages == 4
    assert mine.avg_response_time == timedelta(minutes=3)
    assert mine.last_activity == start + timedelta(minutes=7)  # the last answer
    assert analytics_of(session, other) is None


def test_refreshing_everyone_writes_only_what_changed(session: Session):
    start = datetime(2024, 10, 1, 9, tzinfo=UTC)
    me, other = person(session), person(session)
    chat(session, me, start, [2])
    chat(session, other, start, [10])
    assert refresh_engagement_analytics(session) == 2
    session.commit()
    assert refresh_engagement_analytics(session) == 0

    chat(session, me, start + timedelta(days=1), [6])
    assert refresh_engagement_analytics(session) == 1
    assert analytics_of(session, me).avg_response_time == timedelta(minutes=4)


def test_session_completion_rate_comes_from_the_program(session: Session):
    me = person(session)
    chat(session, me, datetime(2024, 10, 1, tzinfo=UTC), [1])
    session.add_all(
        [
            ProgramSession(user_id=me, week_number=1, session_number=1, status="completed"),
            ProgramSession(user_id=me, week_number=1, session_number=2, status="in_progress"),
            ProgramSession(user_id=me, week_number=2, session_number=1, status="locked"),
        ]
    )
    session.flush()
    refresh_engagement_analytics(session, me)
    assert float(analytics_of(session, me).session_completion_rate) == pytest.approx(33.33)


def test_a_persons_coaching_data_goes_with_them(session: Session):
    me = person(session)
    chat(session, me, datetime(2024, 10, 1, tzinfo=UTC), [1])
    session.add(UserPersona(user_id=me))
    session.add(ProgramSession(user_id=me, week_number=1, session_number=1))
    refresh_engagement_analytics(session, me)
    session.commit()

    session.execute(sa.delete(User).where(User.id == me))
    for model in (Conversation, UserPersona, ProgramSession, EngagementAnalytics):
        assert session.scalar(sa.select(sa.func.count()).select_from(model)) == 0, model
