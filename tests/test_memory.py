"""The memory schema at head, through its models: ownership, rules, names, and reading it back."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.operations.history import alembic_config
from app.runtime.models import identity, memory
from app.runtime.models.base import Base
from app.runtime.queries.memory import read_user_memory

# Legacy rows kept aside keep the legacy tables' user_id: no foreign key, so no cascade.
UNLINKED = {
    f"{legacy}_rejected"
    for legacy in (
        "conversations", "conversation_messages", "crisis_flags", "conversation_continuity",
        "feedback", "feedback_log", "user_preferences", "emotional_trends", "value_compass",
    )
}  # fmt: skip


def memory_models() -> list[type]:
    return [
        mapper.class_
        for mapper in Base.registry.mappers
        if mapper.class_.__table__.schema == memory.SCHEMA
    ]


def sample_row(model: type, user_id: uuid.UUID, conversation_id: uuid.UUID) -> object:
    """A row of `model` for `user_id` with every required column filled."""
    samples = {
        sa.Text: "x",
        sa.Date: date(2025, 1, 1),
        JSONB: {"kept": True},
        sa.UUID: uuid.uuid4(),
    }
    values = {"user_id": user_id}
    for column in model.__table__.columns:
        if column.nullable or column.server_default is not None or column.name in values:
            continue
        if column.name == "conversation_id":
            values[column.name] = conversation_id
        else:
            values[column.name] = next(v for t, v in samples.items() if isinstance(column.type, t))
    return model(**values)


def give_memory(session: Session, user: identity.User) -> None:
    conversation = memory.UserConversation(id=uuid.uuid4(), user_id=user.id)
    session.add(conversation)
    session.flush()
    for model in memory_models():
        if model is not memory.UserConversation:
            session.add(sample_row(model, user.id, conversation.id))
    session.flush()


def rows_by_table(session: Session) -> dict[str, set[uuid.UUID | None]]:
    return {
        model.__tablename__: set(session.scalars(sa.select(model.user_id)))
        for model in memory_models()
    }


def test_deleting_a_user_removes_all_their_memory_and_nothing_else(session: Session):
    leaving, staying = identity.User(), identity.User()
    session.add_all([leaving, staying])
    session.flush()
    give_memory(session, leaving)
    give_memory(session, staying)

    session.delete(leaving)
    session.flush()

    remaining = rows_by_table(session)
    assert len(remaining) == 56
    for table, users in remaining.items():
        expected = {leaving.id, staying.id} if table in UNLINKED else {staying.id}
        assert users == expected, table


def test_ratings_outside_their_scale_are_refused(session: Session):
    user = identity.User()
    session.add(user)
    session.flush()
    session.add(memory.UserTheme(user_id=user.id, theme_name="work", importance_level=11))
    with pytest.raises(IntegrityError, match="ck_user_themes_importance_level"):
        session.flush()


@pytest.mark.parametrize(
    ("row", "constraint"),
    [
        (lambda u: memory.UserProfileSummary(user_id=u, suicidal_risk_level=4),
         "ck_user_profile_summary_suicidal_risk_level"),
        (lambda u: memory.UserGoal(user_id=u, goal_title="run", progress_percentage=101),
         "ck_user_goals_progress_percentage"),
        (lambda u: memory.UserSleepRoutine(user_id=u, sleep_duration_hours=Decimal(25)),
         "ck_user_sleep_routine_sleep_duration_hours"),
        (lambda u: memory.UserFeedbackLog(user_id=u, rating=6), "ck_user_feedback_log_rating"),
        (lambda u: memory.UserEmotionalTrend(user_id=u, mood_score=0),
         "ck_user_emotional_trends_mood_score"),
        (lambda u: memory.Feedback(user_id=u, raw_feedback="x", status="lost"),
         "ck_feedback_status"),
    ],
)  # fmt: skip
def test_levels_and_statuses_are_checked(session: Session, row, constraint):
    user = identity.User()
    session.add(user)
    session.flush()
    session.add(row(user.id))
    with pytest.raises(IntegrityError, match=constraint):
        session.flush()


def test_a_user_has_one_profile_summary(session: Session):
    user = identity.User()
    session.add(user)
    session.flush()
    session.add_all([memory.UserProfileSummary(user_id=user.id) for _ in range(2)])
    with pytest.raises(IntegrityError, match="uq_user_profile_summary_user_id"):
        session.flush()


def test_a_crisis_flag_outlives_the_message_it_was_raised_on(session: Session):
    user = identity.User()
    session.add(user)
    session.flush()
    conversation = memory.UserConversation(id=uuid.uuid4(), user_id=user.id)
    message = memory.UserConversationMessage(
        id=uuid.uuid4(), user_id=user.id, conversation_id=conversation.id
    )
    flag = memory.UserCrisisFlag(user_id=user.id, session_id=message.id, flag_type="self_harm")
    session.add(conversation)
    session.flush()
    session.add(message)
    session.flush()
    session.add(flag)
    session.flush()

    session.delete(conversation)  # its messages go with it
    session.flush()
    session.refresh(flag)
    assert flag.session_id is None


def test_constraint_and_index_names_in_the_database_are_the_models(engine: Engine):
    with engine.connect() as connection:
        in_database = set(
            connection.scalars(
                sa.text(
                    "SELECT conname FROM pg_constraint c JOIN pg_namespace n "
                    "ON n.oid = c.connamespace WHERE n.nspname = 'memory' AND c.contype <> 'n' "
                    "UNION SELECT indexname FROM pg_indexes WHERE schemaname = 'memory'"
                )
            )
        )
    dialect = engine.dialect
    in_models = set()
    for model in memory_models():
        table = model.__table__
        for item in (*table.constraints, *table.indexes):
            in_models.add(dialect.identifier_preparer.format_constraint(item))
    # Primary keys and unique constraints also appear as indexes of the same name.
    assert in_models <= in_database
    assert in_database - in_models == set()


def test_every_legacy_field_has_exactly_one_home(databases):
    """The normalizing revision's own spec covers the legacy table memory_legacy built."""
    script = ScriptDirectory.from_config(alembic_config())
    spec = script.get_revision("memory_normalized").module
    with databases.at("memory_legacy") as engine, engine.connect() as connection:
        legacy = connection.scalars(
            sa.text(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                "'memory' AND table_name = 'memory_profiles' AND data_type = 'jsonb'"
            )
        ).all()
    homes = [*spec.LIST_HOMES, *spec.ANSWER_HOMES, *spec.ARRAY_HOMES]
    assert sorted(homes) == sorted(legacy)
    assert len(set(homes)) == len(homes) == 42


def test_a_users_memory_is_read_in_one_round_trip(engine: Engine, session: Session):
    user, someone_else = identity.User(), identity.User()
    session.add_all([user, someone_else])
    session.flush()
    session.add_all(
        [
            memory.UserProfileSummary(user_id=user.id, awareness_level=6, summary="burnt out"),
            memory.UserAiPreference(user_id=user.id, emotional_tone="warm"),
            # Legacy items keep their array order; items added since come after, oldest first.
            memory.UserTheme(user_id=user.id, theme_name="third", position=None,
                             created_at=datetime(2025, 1, 1, tzinfo=UTC)),
            memory.UserTheme(user_id=user.id, theme_name="second", position=2),
            memory.UserTheme(user_id=user.id, theme_name="first", position=1),
            memory.UserTheme(user_id=user.id, theme_name="fourth",
                             created_at=datetime(2025, 2, 1, tzinfo=UTC)),
            memory.UserTheme(user_id=user.id, theme_name="retired", position=3, is_active=False),
            memory.UserTheme(user_id=someone_else.id, theme_name="not theirs"),
            memory.UserGoal(user_id=user.id, goal_title="sleep more", status="completed"),
        ]
    )  # fmt: skip
    session.commit()
    user_id = user.id

    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    remembered = read_user_memory(session, user_id)

    assert len(statements) == 1
    assert remembered.summary["summary"] == "burnt out"
    assert "user_id" not in remembered.summary
    assert remembered.details["ai_preferences"]["emotional_tone"] == "warm"
    assert remembered.details["sleep_routine"] is None
    themes = [theme["theme_name"] for theme in remembered.lists["themes"]]
    assert themes == ["first", "second", "third", "fourth"]
    assert remembered.lists["goals"][0]["status"] == "completed"
    assert remembered.lists["people"] == []
    assert set(remembered.lists) >= {"stuck_points", "emotional_trends"}
    assert set(remembered.details) >= {"value_compass", "therapy_preferences"}
    assert "conversations" not in remembered.lists
