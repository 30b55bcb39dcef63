"""The program rule, enforced by the database: sessions are taken in order, per person."""

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.runtime.models.coaching import ProgramSession
from app.runtime.models.identity import User
from app.runtime.queries.coaching import next_unlockable_session

# A four-week program, two sessions a week.
PROGRAM = [(week, number) for week in (1, 2, 3, 4) for number in (1, 2)]


def enrol(session: Session, statuses: list[str] | None = None) -> dict[tuple[int, int], uuid.UUID]:
    """A new person with the whole program: the first session unlocked, the rest locked."""
    person = User()
    session.add(person)
    session.flush()
    statuses = statuses or ["unlocked"] + ["locked"] * (len(PROGRAM) - 1)
    rows = [
        ProgramSession(user_id=person.id, week_number=week, session_number=number, status=status)
        for (week, number), status in zip(PROGRAM, statuses, strict=False)
    ]
    session.add_all(rows)
    session.commit()
    return {(row.week_number, row.session_number): row.session_id for row in rows}


def set_status(session: Session, session_id: uuid.UUID, status: str) -> None:
    session.execute(
        sa.update(ProgramSession)
        .where(ProgramSession.session_id == session_id)
        .values(status=status)
    )
    session.flush()


def status_of(session: Session, session_id: uuid.UUID) -> str:
    return session.scalar(
        sa.select(ProgramSession.status).where(ProgramSession.session_id == session_id)
    )


def refused(message: str):
    return pytest.raises(IntegrityError, match=message)


def test_sessions_taken_in_order_are_allowed(session: Session):
    program = enrol(session)
    for position in PROGRAM:
        set_status(session, program[position], "in_progress")
        set_status(session, program[position], "completed")
    session.commit()
    assert {status_of(session, sid) for sid in program.values()} == {"completed"}


def test_completing_a_session_unlocks_the_next_one(session: Session):
    program = enrol(session)
    set_status(session, program[1, 1], "completed")
    assert status_of(session, program[1, 2]) == "unlocked"
    assert status_of(session, program[2, 1]) == "locked"

    set_status(session, program[1, 2], "completed")  # the last of week 1 unlocks week 2
    assert status_of(session, program[2, 1]) == "unlocked"


def test_completing_a_whole_week_in_one_statement_is_allowed(session: Session):
    program = enrol(session)
    session.execute(
        sa.update(ProgramSession)
        .where(ProgramSession.session_id.in_([program[1, 1], program[1, 2]]))
        .values(status="completed")
    )
    assert status_of(session, program[2, 1]) == "unlocked"


def test_a_session_cannot_start_before_the_earlier_one_is_completed(session: Session):
    program = enrol(session)
    with refused(
        "session week 2, session 1 cannot be in_progress: week 1, session 1 before it is unlocked"
    ):
        set_status(session, program[2, 1], "in_progress")


def test_a_session_cannot_be_completed_out_of_order(session: Session):
    program = enrol(session)
    set_status(session, program[1, 1], "in_progress")
    with refused(
        "session week 1, session 2 cannot be completed: week 1, session 1 before it is in_progress"
    ):
        set_status(session, program[1, 2], "completed")


def test_a_completed_session_cannot_be_reopened_while_a_later_one_is_under_way(session: Session):
    program = enrol(session)
    set_status(session, program[1, 1], "completed")
    set_status(session, program[1, 2], "in_progress")
    session.commit()
    with refused(
        "session week 1, session 1 cannot be unlocked: week 1, session 2 after it is in_progress"
    ):
        set_status(session, program[1, 1], "unlocked")


def test_a_session_cannot_be_inserted_in_progress_ahead_of_the_program(session: Session):
    program = enrol(session)
    user_id = session.scalar(
        sa.select(ProgramSession.user_id).where(ProgramSession.session_id == program[1, 1])
    )
    session.add(
        ProgramSession(user_id=user_id, week_number=5, session_number=1, status="completed")
    )
    with refused("session week 5, session 1 cannot be completed"):
        session.flush()


def test_moving_a_session_out_of_order_is_refused(session: Session):
    program = enrol(session)
    set_status(session, program[1, 1], "in_progress")
    session.commit()
    with refused("cannot be in_progress: week 1, session 2 before it is locked"):
        session.execute(
            sa.update(ProgramSession)
            .where(ProgramSession.session_id == program[1, 1])
            .values(week_number=2, session_number=3)
        )


def test_the_refusal_names_the_rule_for_service_code(session: Session):
    program = enrol(session)
    with pytest.raises(IntegrityError) as refusal:
        set_status(session, program[3, 1], "in_progress")
    diagnostics = refusal.value.orig.diag
    assert diagnostics.constraint_name == "enforce_program_order"
    assert diagnostics.sqlstate == "23514"  # check_violation
    assert "complete the earlier one" in diagnostics.message_hint


def test_another_persons_program_never_blocks_or_unlocks(session: Session):
    mine, theirs = enrol(session), enrol(session)
    set_status(session, theirs[1, 1], "in_progress")  # theirs is under way, not completed
    set_status(session, mine[1, 1], "completed")
    set_status(session, mine[1, 2], "in_progress")
    assert status_of(session, theirs[1, 2]) == "locked"


def test_next_unlockable_session_is_per_person(session: Session):
    mine, theirs = enrol(session), enrol(session)
    for position in [(1, 1), (1, 2), (2, 1)]:
        set_status(session, mine[position], "completed")
    session.commit()
    me = session.get(ProgramSession, mine[1, 1]).user_id
    them = session.get(ProgramSession, theirs[1, 1]).user_id

    assert next_unlockable_session(session, me).session_id == mine[2, 2]
    assert next_unlockable_session(session, them).session_id == theirs[1, 1]


def test_a_finished_program_has_no_next_session(session: Session):
    program = enrol(session)
    session.execute(
        sa.update(ProgramSession)
        .where(ProgramSession.session_id.in_(program.values()))
        .values(status="completed")
    )
    user_id = session.get(ProgramSession, program[1, 1]).user_id
    assert next_unlockable_session(session, user_id) is None


def test_a_person_has_one_session_per_week_and_number(session: Session):
    program = enrol(session)
    user_id = session.get(ProgramSession, program[1, 1]).user_id
    session.add(ProgramSession(user_id=user_id, week_number=1, session_number=1))
    with refused("idx_sessions_user_week"):
        session.flush()
