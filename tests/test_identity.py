"""public.users through the model, against a database at head."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.runtime.models.identity import User


def test_new_user_gets_key_and_timestamps_from_the_database(session: Session):
    user = User(username="dr.okafor", role="therapist")
    session.add(user)
    session.commit()
    assert user.id is not None
    assert user.created_at == user.updated_at
    assert user.created_at.tzinfo is not None


def test_a_person_from_another_system_needs_no_login(session: Session):
    session.add(User())
    session.commit()


def test_unknown_role_is_refused(session: Session):
    session.add(User(username="someone", role="admin"))
    with pytest.raises(IntegrityError, match="ck_users_role"):
        session.commit()


def test_usernames_are_unique(session: Session):
    session.add_all([User(username="sam"), User(username="sam")])
    with pytest.raises(IntegrityError, match="uq_users_username"):
        session.commit()


def test_updated_at_is_kept_current_by_the_database(session: Session):
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    user = User(username="lee", created_at=long_ago, updated_at=long_ago)
    session.add(user)
    session.commit()

    user.role = "participant"  # the application does not touch updated_at
    session.commit()
    session.refresh(user)
    assert user.updated_at > long_ago
    assert user.created_at == long_ago


def test_data_migrations_can_move_rows_without_touching_updated_at(session: Session):
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    session.add(User(username="kai", updated_at=long_ago))
    session.commit()

    session.execute(sa.text("SELECT set_config('therapy_db.keep_updated_at', 'on', true)"))
    session.execute(sa.update(User).where(User.username == "kai").values(role="researcher"))
    assert session.scalar(sa.select(User.updated_at).where(User.username == "kai")) == long_ago
