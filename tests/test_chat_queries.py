"""The chat service's queries: channel sessions, messages, metrics, backups."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.runtime import crypto
from app.runtime.models.chat import (
    BackupLog,
    BackupStatus,
    ChatMessage,
    ChatSession,
    MessageRole,
    Metric,
    SessionOrigin,
)
from app.runtime.models.identity import User
from app.runtime.queries.chat import (
    active_session_for_channel,
    latest_backups,
    message_text,
    metrics_in_window,
    record_message,
    session_messages,
)
from app.runtime.settings import get_settings

CHANNEL = 1133557799113355779
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def chat_session(session: Session) -> ChatSession:
    conversation = ChatSession(
        owner=User(discord_id=998877665544332211),
        origin=SessionOrigin.DISCORD,
        discord_channel_id=CHANNEL,
    )
    session.add(conversation)
    session.commit()
    return conversation


def record(session: Session, chat_session: ChatSession, text: str, **options) -> ChatMessage:
    options.setdefault("request_id", uuid.uuid4())
    options.setdefault("role", MessageRole.USER)
    return record_message(session, chat_session_id=chat_session.id, text=text, **options)


def test_a_channels_active_session_is_found_and_an_ended_one_is_not(
    session: Session, chat_session: ChatSession
):
    assert active_session_for_channel(session, CHANNEL) is chat_session
    assert active_session_for_channel(session, CHANNEL + 1) is None

    chat_session.is_active, chat_session.ended_at = False, T0
    session.commit()
    assert active_session_for_channel(session, CHANNEL) is None


def test_messages_come_back_in_the_order_they_were_stored(
    session: Session, chat_session: ChatSession
):
    texts = ["hi", "hello, how are you?", "tired", "what kept you up?", "work"]
    for n, text in enumerate(texts):  # one transaction: now() would give them all one time
        record(session, chat_session, text, role=[MessageRole.USER, MessageRole.ASSISTANT][n % 2])
    session.commit()
    assert [m.content for m in session_messages(session, chat_session.id)] == texts


def test_a_retried_request_gets_the_message_it_stored_first(
    session: Session, chat_session: ChatSession
):
    request_id = uuid.uuid4()
    first = record(session, chat_session, "first try", request_id=request_id)
    session.commit()
    retried = record(session, chat_session, "second try", request_id=request_id)
    assert retried.id == first.id and message_text(retried) == "first try"
    assert len(session_messages(session, chat_session.id)) == 1


def test_two_concurrent_inserts_of_one_request_store_one_message(
    engine: Engine, chat_session: ChatSession
):
    request = {
        "chat_session_id": chat_session.id,
        "request_id": uuid.uuid4(),
        "role": MessageRole.USER,
        "text": "hello",
    }
    with Session(engine) as first, Session(engine) as second, ThreadPoolExecutor(1) as pool:
        mine = record_message(first, **request).id  # inserted, not committed
        theirs = pool.submit(lambda: record_message(second, **request).id)
        wait_for_a_lock_wait(engine)  # the retry's insert waits for the first transaction
        assert not theirs.done()
        first.commit()
        assert theirs.result(timeout=60) == mine
        second.commit()
    with engine.connect() as connection:
        stored = connection.scalar(
            sa.select(sa.func.count()).where(ChatMessage.request_id == request["request_id"])
        )
    assert stored == 1


def wait_for_a_lock_wait(engine: Engine, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            connection.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the second insert never waited for the first")


def test_an_encrypted_message_keeps_no_plaintext_and_reads_back(
    session: Session, chat_session: ChatSession, monkeypatch
):
    key = Fernet.generate_key().decode()
    cipher = crypto.cipher_from_keys([key])
    message = record(session, chat_session, "I feel better today", cipher=cipher)
    session.commit()
    session.refresh(message)
    assert message.content is None
    assert b"better" not in message.encrypted_content
    assert message_text(message, cipher) == "I feel better today"

    monkeypatch.setenv("THERAPY_DB_MESSAGE_ENCRYPTION_KEYS", key)  # by default: the settings' keys
    get_settings.cache_clear()
    try:
        assert message_text(message) == "I feel better today"
    finally:
        get_settings.cache_clear()


def test_metrics_of_one_bot_and_type_in_a_time_window(session: Session):
    def metric(bot: str, kind: str, minutes: int) -> Metric:
        return Metric(
            client_bot_id=bot,
            metric_type=kind,
            timestamp=T0 + timedelta(minutes=minutes),
            metric_data={"minutes": minutes},
        )

    session.add_all(
        [
            metric("bot-eu", "latency_ms", -1),  # before the window
            metric("bot-eu", "latency_ms", 0),
            metric("bot-eu", "latency_ms", 30),
            metric("bot-eu", "latency_ms", 60),  # the window's end is excluded
            metric("bot-eu", "tokens", 10),  # another type
            metric("bot-us", "latency_ms", 10),  # another bot
        ]
    )
    session.commit()
    found = metrics_in_window(
        session,
        client_bot_id="bot-eu",
        metric_type="latency_ms",
        since=T0,
        until=T0 + timedelta(hours=1),
    )
    assert [m.metric_data["minutes"] for m in found] == [0, 30]


def test_the_latest_backup_of_each_type(session: Session):
    def backup(kind: str, hours: int, status: BackupStatus) -> BackupLog:
        return BackupLog(backup_type=kind, started_at=T0 + timedelta(hours=hours), status=status)

    session.add_all(
        [
            backup("full", 0, BackupStatus.COMPLETED),
            backup("full", 24, BackupStatus.FAILED),
            backup("incremental", 1, BackupStatus.COMPLETED),
            backup("incremental", 2, BackupStatus.COMPLETED),
            backup("incremental", 3, BackupStatus.IN_PROGRESS),
        ]
    )
    session.commit()

    def started(backups: dict[str, BackupLog]) -> dict[str, int]:
        return {
            kind: int((b.started_at - T0).total_seconds() // 3600) for kind, b in backups.items()
        }

    assert started(latest_backups(session)) == {"full": 24, "incremental": 3}
    completed = latest_backups(session, status=BackupStatus.COMPLETED)
    assert started(completed) == {"full": 0, "incremental": 2}
