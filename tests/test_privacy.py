"""Data-subject requests: a person's rows in every context, exported and erased."""

import json
import uuid
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.operations import privacy
from app.runtime.models import chat, coaching, identity, memory
from app.runtime.queries import therapy as therapy_queries
from tests.test_cli import therapy_db


def person_everywhere(session: Session, name: str) -> identity.User:
    """A person with rows in every context that holds people's data."""
    user = identity.User(
        username=name,
        password_hash="$2b$12$placeholder",  # one of the AI therapist's users, with its key
        role="participant",
        userid=sa.func.nextval("therapy.users_userid_seq"),
        email=f"{name}@example.org",
        external_auth_id=f"firebase-{name}",
        discord_id=abs(hash(name)) % 10**18,
    )
    session.add(user)
    session.flush()

    talk = therapy_queries.create_session(
        session, user_id=user.userid, session_name=f"{name} talks"
    )
    therapy_queries.add_message(
        session, talk.session_id, role="user", content=f"{name} speaks", content_redacted="x"
    )
    session.add(
        identity.UserSession(
            sid=f"sid-{name}",
            sess={"cookie": {}, "userId": str(user.id)},
            expire=datetime(2030, 1, 1),
        )
    )

    conversation = coaching.Conversation(user_id=user.id, title=f"{name} coaching")
    session.add(conversation)
    session.flush()
    session.add(
        coaching.CoachingMessage(conversation_id=conversation.id, role="user", content="hi")
    )
    goal = coaching.SmartGoal(
        user_id=user.id,
        goal_type="sleep",
        specific="s",
        measurable="m",
        achievable="a",
        relevant="r",
        time_bound="t",
    )
    session.add_all([goal, coaching.UserPersona(user_id=user.id, has_dog=True)])
    session.add(coaching.EngagementAnalytics(user_id=user.id, total_messages=1))
    session.flush()
    session.add(
        coaching.CheckIn(user_id=user.id, goal_id=goal.goal_id, checkin_date=date(2025, 1, 2))
    )
    program = coaching.ProgramSession(
        user_id=user.id,
        goal_id=goal.goal_id,
        conversation_id=conversation.id,
        session_number=1,
        week_number=1,
    )
    session.add(program)
    session.flush()
    session.add(coaching.SessionTakeaway(session_id=program.session_id, key_learnings="k"))

    bot = chat.ChatSession(owner_user_id=user.id, origin=chat.SessionOrigin.DISCORD)
    session.add(bot)
    session.flush()
    session.add(chat.ChatMessage(session_id=bot.id, role=chat.MessageRole.USER, content="yo"))
    session.add(
        chat.ChatTranscript(
            session_id=bot.id,
            s3_key=f"{name}.json",
            format=chat.TranscriptFormat.JSON,
            message_count=1,
        )
    )
    session.add(chat.SystemConfig(key=f"set-by-{name}", value={"on": True}, updated_by=user.id))

    talk_memory = memory.UserConversation(user_id=user.id, title=f"{name} remembers")
    session.add_all(
        [
            talk_memory,
            memory.UserProfileSummary(user_id=user.id, biggest_challenge="sleep"),
            memory.UserTheme(user_id=user.id, theme_name="work", position=1),
        ]
    )
    session.flush()
    session.add(
        memory.UserConversationMessage(
            user_id=user.id, conversation_id=talk_memory.id, input_transcript=f"{name} recalls"
        )
    )
    session.flush()
    return user


@pytest.fixture
def people(session: Session):
    mine, theirs = person_everywhere(session, "ana"), person_everywhere(session, "ben")
    session.commit()
    return mine, theirs


def row_of(session: Session, user_id: uuid.UUID) -> sa.Row:
    return session.execute(sa.select(privacy.USERS).where(privacy.USERS.c.id == user_id)).one()


def test_export_has_every_row_of_the_person_and_nobody_elses(session, people):
    mine, theirs = people
    exported = privacy.export(session, row_of(session, mine.id))
    tables = exported["tables"]
    assert {
        "public.users",
        "public.user_sessions",
        "therapy.therapy_sessions",
        "therapy.messages",
        "therapy.session_configurations",
        "coaching.conversations",
        "coaching.messages",
        "coaching.smart_goals",
        "coaching.check_ins",
        "coaching.sessions",
        "coaching.session_takeaways",
        "coaching.user_persona",
        "coaching.engagement_analytics",
        "chat.sessions",
        "chat.messages",
        "chat.transcripts",
        "memory.user_conversations",
        "memory.user_conversation_messages",
        "memory.user_profile_summary",
        "memory.user_themes",
    } <= set(tables)
    assert "chat.system_configs" not in tables  # settings they changed are not theirs
    assert str(theirs.id) not in json.dumps(exported)
    assert tables["therapy.messages"][0]["content"] == "ana speaks"


def test_erasure_removes_the_person_everywhere_and_keeps_everyone_else(session, people):
    mine, theirs = people
    before = privacy.export(session, row_of(session, theirs.id))

    erasure = privacy.erase(session, row_of(session, mine.id))
    session.commit()

    assert erasure.traces == {}
    assert erasure.deleted["therapy.messages"] == 1 and erasure.deleted["chat.sessions"] == 1
    assert privacy.export(session, row_of(session, theirs.id)) == before
    assert (
        session.scalar(
            sa.select(chat.SystemConfig.updated_by).where(chat.SystemConfig.key == "set-by-ana")
        )
        is None
    )


def test_erasure_reports_a_trace_it_cannot_follow(session, people):
    mine, _ = people
    session.add(chat.Metric(client_bot_id="bot", metric_type="t", metric_data={"who": mine.email}))
    session.commit()
    erasure = privacy.erase(session, row_of(session, mine.id))
    assert erasure.traces == {"chat.metrics.metric_data": 1}


def test_export_user_command_writes_json_found_by_email(engine, people, tmp_path):
    mine, _ = people
    output = tmp_path / "ana.json"
    result = therapy_db(engine, "export-user", "ANA@example.org", "--output", str(output))
    assert result.exit_code == 0, result.output
    assert json.loads(output.read_text())["person"] == str(mine.id)


def test_erase_user_command_erases_and_says_so(engine, people, session):
    mine, _ = people
    person_id, auth_id = mine.id, mine.external_auth_id
    result = therapy_db(engine, "erase-user", auth_id, "--yes")
    assert result.exit_code == 0, result.output
    assert "no row of any table carries them any more" in result.output
    session.expire_all()
    assert session.get(identity.User, person_id) is None


def test_erase_user_erases_nothing_when_a_trace_would_remain(engine, people, session):
    mine, _ = people
    session.add(chat.Metric(client_bot_id="bot", metric_type="t", metric_data={"who": mine.email}))
    session.commit()
    result = therapy_db(engine, "erase-user", str(mine.id), "--yes")
    assert result.exit_code == 1
    assert "nothing was erased" in result.output and "chat.metrics.metric_data (1)" in result.output
    session.expire_all()
    assert session.get(identity.User, mine.id) is not None


@pytest.mark.parametrize("who", ["nobody@example.org", str(uuid.UUID(int=7))])
def test_a_person_who_does_not_exist_is_a_clear_error(engine, who):
    result = therapy_db(engine, "export-user", who)
    assert result.exit_code == 1
    assert f"no person matches {who!r}" in result.output
