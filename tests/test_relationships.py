"""Relationships on every context's models: walked both ways, loaded only when a read asks
(`app.runtime.models.base.related`), in the number of statements a read's options say: one a level,
whatever the rows, never one a row."""

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import Session, selectinload

from app.runtime.db import async_url
from app.runtime.models.clinic import AuditLog, Clinica, SysUsuario
from app.runtime.models.coaching import (
    CheckIn,
    ProgramSession,
    SessionTakeaway,
    SmartGoal,
    Transcript,
)
from app.runtime.models.identity import User
from app.runtime.models.memory import (
    UserConversation,
    UserConversationMessage,
    UserProfileSummary,
    UserTheme,
)
from tests.clinic_staff import add_staff_member

PEOPLE, GOALS, CHECK_INS = 10, 3, 4


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The statements `engine` sends while the block runs."""
    sent: list[str] = []

    def record(conn, cursor, statement, *_):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def people_with_goals(session: Session) -> list[uuid.UUID]:
    people = [User(email=f"p{n}@example.org") for n in range(PEOPLE)]
    session.add_all(people)
    session.flush()
    for person in people:
        for g in range(GOALS):
            goal = SmartGoal(
                user=person, goal_type="sleep", specific="s", measurable="m", achievable="a",
                relevant="r", time_bound="t",
            )  # fmt: skip
            session.add(goal)
            session.add_all(
                CheckIn(user=person, goal=goal, checkin_date=date(2025, 1, 1 + g * 7 + c))
                for c in range(CHECK_INS)
            )
    session.commit()
    return [person.id for person in people]


GOALS_AND_CHECK_INS = sa.select(User).options(
    selectinload(User.smart_goals).selectinload(SmartGoal.check_ins)
)


def test_people_their_goals_and_check_ins_take_three_statements_whatever_their_number(
    engine: Engine, people_with_goals
):
    with Session(engine) as session, statements(engine) as sent:
        people = session.scalars(GOALS_AND_CHECK_INS).all()
        walked = [
            (check_in.goal.user.id, check_in.checkin_date)
            for person in people
            for goal in person.smart_goals
            for check_in in goal.check_ins
        ]
    assert len(people) == PEOPLE and len(walked) == PEOPLE * GOALS * CHECK_INS
    assert len(sent) == 3  # people, their goals, the goals' check-ins


def test_a_relationship_a_read_did_not_ask_for_refuses_instead_of_querying(
    engine: Engine, people_with_goals
):
    with Session(engine) as session, statements(engine) as sent:
        person = session.scalars(sa.select(User).limit(1)).one()
        with pytest.raises(InvalidRequestError, match="lazy='raise_on_sql'"):
            person.smart_goals  # noqa: B018
    assert len(sent) == 1


def test_the_async_session_reads_the_same_graph_in_the_same_statements(
    engine: Engine, people_with_goals
):
    async def read() -> tuple[int, int]:
        async_engine = create_async_engine(async_url(engine.url), poolclass=sa.NullPool)
        try:
            with statements(async_engine.sync_engine) as sent:
                async with AsyncSession(async_engine) as session:
                    people = (await session.scalars(GOALS_AND_CHECK_INS)).all()
                    check_ins = sum(len(g.check_ins) for p in people for g in p.smart_goals)
            return check_ins, len(sent)
        finally:
            await async_engine.dispose()

    assert asyncio.run(read()) == (PEOPLE * GOALS * CHECK_INS, 3)


def test_a_program_session_walks_to_its_takeaway_and_transcript_and_back(
    engine: Engine, session: Session
):
    person = User(email="walker@example.org")
    program = ProgramSession(user=person, week_number=1, session_number=1)
    program.takeaway = SessionTakeaway(key_learnings="sleep matters")
    program.transcript = [
        Transcript(message_order=n, sender="user", message_content=f"line {n}") for n in range(3)
    ]
    session.add(program)
    session.commit()
    read = (
        sa.select(ProgramSession)
        .options(selectinload(ProgramSession.takeaway), selectinload(ProgramSession.transcript))
        .where(ProgramSession.session_id == program.session_id)
    )
    with Session(engine) as fresh, statements(engine) as sent:
        found = fresh.scalars(read).one()
        lines = [line.message_content for line in found.transcript]
        assert found.takeaway.session is found and found.transcript[0].session is found
    assert lines == ["line 0", "line 1", "line 2"]
    assert len(sent) == 3


def test_a_clinic_user_walks_to_their_audit_rows_newest_first(engine: Engine, session: Session):
    member = add_staff_member(session, "dra.walker")
    session.add_all(
        AuditLog(tabla_afectada="pacientes", accion="READ", usuario_id=member.id_usuario)
        for _ in range(3)
    )
    session.commit()
    member_id = member.id_usuario
    read = sa.select(SysUsuario).options(
        selectinload(SysUsuario.audit_rows),
        selectinload(SysUsuario.clinica).selectinload(Clinica.staff),
    )
    with Session(engine) as fresh, statements(engine) as sent:
        found = fresh.scalars(read.where(SysUsuario.id_usuario == member_id)).one()
        times = [row.timestamp_accion for row in found.audit_rows]
        assert all(row.usuario is found for row in found.audit_rows)
        assert found.clinica.staff == [found]
    assert times == sorted(times, reverse=True) and len(times) == 3
    assert len(sent) == 4  # the member, their audit rows, their clinic, its staff


def test_a_persons_memory_lists_come_in_one_statement_each(engine: Engine, session: Session):
    person = User(email="remembered@example.org")
    session.add(person)
    session.flush()
    session.add_all(
        [
            UserTheme(user=person, theme_name="work", position=0),
            UserTheme(user=person, theme_name="sleep", position=1),
            UserProfileSummary(user=person),
            UserConversation(user=person, messages=[UserConversationMessage(user=person)]),
        ]
    )
    session.commit()
    person_id = person.id
    read = sa.select(User).options(
        selectinload(User.memory_themes),
        selectinload(User.memory_profile_summary),
        selectinload(User.memory_conversations).selectinload(UserConversation.messages),
    )
    with Session(engine) as fresh, statements(engine) as sent:
        found = fresh.scalars(read.where(User.id == person_id)).one()
        themes = [theme.theme_name for theme in found.memory_themes]
        assert found.memory_profile_summary.user is found
        assert found.memory_conversations[0].messages[0].conversation.user is found
    assert themes == ["work", "sleep"]
    assert len(sent) == 5  # the person, themes, summary, conversations, their messages
