"""The Discord bot's own code, unchanged, against a database at head.

`BotBase` and its classes replicate the bot's SQLAlchemy 2 async models as its migration 001
created their tables: enums left unnamed (SQLAlchemy names each after its class in lower case,
and on asyncpg casts every value it sends to that type: `$1::sessionorigin`), naive `DateTime`
written with UTC wall times, its string lengths, `messages.content` NOT NULL, ids made by the
client. Like the bot's, the models name no schema: the bot logs in as `therapy_db_discord_bot`,
whose search_path finds schema `chat` first (its tables, its enum types, its `users`), on the
bot's driver, asyncpg. Each test is one thing the bot does.
"""

import asyncio
import enum
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import asyncpg
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy import BigInteger, DateTime, ForeignKey, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.contexts import BY_NAME
from tests.support import upgrade

BOT_LOGIN = BY_NAME["chat"].login
Result = TypeVar("Result")


def utcnow() -> datetime:
    """What the bot stamps rows with: the UTC wall time, naive."""
    return datetime.now(UTC).replace(tzinfo=None)


# -- the bot's models -----------------------------------------------------------------------------


class SessionOrigin(enum.Enum):
    website = "website"
    discord = "discord"


class MessageRole(enum.Enum):
    user = "user"
    assistant = "assistant"
    system = "system"


class TranscriptFormat(enum.Enum):
    json = "json"
    csv = "csv"


class BackupStatus(enum.Enum):
    started = "started"
    in_progress = "in_progress"
    completed = "completed"
    failed = "failed"


class BotBase(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONB}


class User(BotBase):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    discord_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    display_label: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    is_active: Mapped[bool] = mapped_column(default=True)
    preferences: Mapped[dict[str, Any]] = mapped_column(default=dict)


class BotSession(BotBase):
    __tablename__ = "sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    origin: Mapped[SessionOrigin] = mapped_column(sa.Enum(SessionOrigin))
    discord_channel_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    system_prompt: Mapped[str | None] = mapped_column(Text)
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    is_active: Mapped[bool] = mapped_column(default=True)


class Message(BotBase):
    __tablename__ = "messages"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id"))
    request_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    role: Mapped[MessageRole] = mapped_column(sa.Enum(MessageRole))
    content: Mapped[str] = mapped_column(Text)
    encrypted_content: Mapped[bytes | None] = mapped_column(LargeBinary)
    timestamp: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)


class Transcript(BotBase):
    __tablename__ = "transcripts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id"))
    s3_key: Mapped[str | None] = mapped_column(String(500))
    format: Mapped[TranscriptFormat] = mapped_column(sa.Enum(TranscriptFormat))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    file_size_bytes: Mapped[int | None]
    message_count: Mapped[int]


class Metrics(BotBase):
    __tablename__ = "metrics"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_bot_id: Mapped[str] = mapped_column(String(50))
    timestamp: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    metric_type: Mapped[str] = mapped_column(String(50))
    metric_data: Mapped[dict[str, Any]]


class SystemConfig(BotBase):
    __tablename__ = "system_configs"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class BackupLog(BotBase):
    __tablename__ = "backup_logs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    backup_type: Mapped[str] = mapped_column(String(50))
    status: Mapped[BackupStatus] = mapped_column(sa.Enum(BackupStatus))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    file_path: Mapped[str | None] = mapped_column(String(500))
    file_size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    error_message: Mapped[str | None] = mapped_column(Text)


# -- the bot, connected ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def migrated_here(databases) -> Iterator[Engine]:
    """A database that ran platform_roles itself: the bot login's search_path is set per
    database, and a clone of a template does not inherit it."""
    with databases.at("chat_discord") as engine:
        upgrade(engine, "head")
        yield engine


class Bot:
    """Runs the bot's coroutines on its own engine: asyncpg, logged in as the bot's login."""

    def __init__(self, database: str, socket_dir: str):
        self.url = URL.create(
            "postgresql+asyncpg", username=BOT_LOGIN, host=socket_dir, database=database
        )

    def run(self, work: Callable[[AsyncSession], Awaitable[Result]]) -> Result:
        async def connected() -> Result:
            engine = create_async_engine(self.url, poolclass=sa.NullPool)
            try:
                async with AsyncSession(engine, expire_on_commit=False) as session:
                    return await work(session)
            finally:
                await engine.dispose()

        return asyncio.run(connected())

    def add(self, *rows: BotBase) -> None:
        """Stores `rows` in this order in one transaction (the models have no relationships to
        order them by)."""

        async def work(session: AsyncSession) -> None:
            for row in rows:
                session.add(row)
                await session.flush()
            await session.commit()

        self.run(work)

    def get(self, model: type[BotBase], key: Any) -> Any:
        """A row as a fresh session of the bot reads it back."""

        async def work(session: AsyncSession) -> Any:
            return await session.get(model, key)

        return self.run(work)


@pytest.fixture
def bot(migrated_here: Engine, pg_server) -> Bot:
    return Bot(migrated_here.url.database, str(pg_server.socket_dir))


def new_snowflake() -> int:
    return uuid.uuid4().int >> 66  # a positive bigint, as Discord's ids are


def a_user(**overrides: Any) -> User:
    """A new Discord user, with the id the bot gives it before it flushes."""
    columns = {"id": uuid.uuid4(), "discord_id": new_snowflake(), "display_label": "alex#0420"}
    return User(**columns | overrides)


@pytest.fixture
def conversation(bot: Bot) -> BotSession:
    """A Discord channel's session of a new user, as the bot opens one."""
    owner = a_user()
    session = BotSession(
        id=uuid.uuid4(),
        owner_user_id=owner.id,
        origin=SessionOrigin.discord,
        discord_channel_id=new_snowflake(),
        created_at=utcnow(),
    )
    bot.add(owner, session)
    return session


def shared_row(engine: Engine, sql: str, **params: Any) -> sa.Row:
    """What landed in the platform's own tables, read by the migration owner."""
    with engine.connect() as connection:
        return connection.execute(sa.text(sql), params).one()


# -- users ----------------------------------------------------------------------------------------


def test_the_bot_registers_a_discord_user_and_finds_them_by_discord_id(
    bot: Bot, migrated_here: Engine
):
    user = a_user(preferences={"language": "en"})
    bot.add(user)

    async def find(session: AsyncSession) -> User:
        found = await session.scalars(sa.select(User).where(User.discord_id == user.discord_id))
        return found.one()

    found = bot.run(find)
    assert (found.id, found.display_label, found.is_active, found.preferences) == (
        user.id,
        "alex#0420",
        True,
        {"language": "en"},
    )
    shared = shared_row(
        migrated_here,
        "SELECT discord_id, username, updated_at IS NOT NULL AS kept FROM public.users "
        "WHERE id = :id",
        id=user.id,
    )
    assert tuple(shared) == (user.discord_id, None, True)  # the one identity, its defaults


def test_the_bot_lists_its_users_and_only_its_users(bot: Bot, migrated_here: Engine):
    therapist = uuid.uuid4()
    with migrated_here.begin() as connection:  # a person of another system: no display label
        connection.execute(
            sa.text("INSERT INTO public.users (id, username, role) VALUES (:id, :id, 'therapist')"),
            {"id": therapist},
        )
    user = a_user()
    bot.add(user)

    async def everyone(session: AsyncSession) -> set[uuid.UUID]:
        return set(await session.scalars(sa.select(User.id)))

    listed = bot.run(everyone)
    assert user.id in listed and therapist not in listed


def test_the_bot_updates_a_users_preferences_and_deactivates_them(bot: Bot):
    user = a_user()
    bot.add(user)

    async def deactivate(session: AsyncSession) -> None:
        stored = await session.get(User, user.id)
        stored.preferences = {"dm": False}
        stored.is_active = False
        await session.commit()

    bot.run(deactivate)
    stored = bot.get(User, user.id)
    assert (stored.preferences, stored.is_active) == ({"dm": False}, False)


def test_the_bot_deletes_a_user(bot: Bot, migrated_here: Engine):
    user = a_user()
    bot.add(user)

    async def delete(session: AsyncSession) -> None:
        await session.delete(await session.get(User, user.id))
        await session.commit()

    bot.run(delete)
    left = shared_row(migrated_here, "SELECT count(*) FROM public.users WHERE id = :id", id=user.id)
    assert left == (0,)


# -- sessions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", list(SessionOrigin), ids=[o.value for o in SessionOrigin])
def test_the_bot_opens_a_session(bot: Bot, origin: SessionOrigin):
    owner = a_user()
    channel = new_snowflake() if origin is SessionOrigin.discord else None
    session = BotSession(
        owner_user_id=owner.id,
        origin=origin,
        discord_channel_id=channel,
        system_prompt="You are a calm, supportive listener.",
        parameters={"model": "gpt-4o-mini", "temperature": 0.7},
    )
    bot.add(owner, session)

    stored = bot.get(BotSession, session.id)
    assert (stored.origin, stored.discord_channel_id, stored.parameters, stored.is_active) == (
        origin,
        channel,
        {"model": "gpt-4o-mini", "temperature": 0.7},
        True,
    )


def test_the_bot_finds_a_channels_active_session(bot: Bot, conversation: BotSession):
    async def find(session: AsyncSession) -> uuid.UUID:
        found = await session.scalars(
            sa.select(BotSession.id).where(
                BotSession.discord_channel_id == conversation.discord_channel_id,
                BotSession.origin == SessionOrigin.discord,
                BotSession.is_active.is_(True),
            )
        )
        return found.one()

    assert bot.run(find) == conversation.id


def test_the_bot_ends_a_session(bot: Bot, conversation: BotSession):
    ended = utcnow()

    async def end(session: AsyncSession) -> None:
        stored = await session.get(BotSession, conversation.id)
        stored.is_active, stored.ended_at = False, ended
        await session.commit()

    bot.run(end)
    stored = bot.get(BotSession, conversation.id)
    assert (stored.is_active, stored.ended_at) == (False, ended.replace(tzinfo=UTC))


def test_times_the_bot_writes_come_back_as_the_same_utc_instants(
    bot: Bot, conversation: BotSession
):
    """The bot's columns were `timestamp` holding UTC wall times; here they are timestamptz, so
    a time comes back aware, in UTC (docs/SEEDS.md). The instant is the one the bot wrote as long
    as its session's TimeZone is UTC, the server default here."""

    async def time_zone(session: AsyncSession) -> str:
        return await session.scalar(sa.text("SHOW timezone"))

    assert bot.run(time_zone) in {"UTC", "Etc/UTC"}, "the bot's login must run in UTC"
    stored = bot.get(BotSession, conversation.id)
    assert stored.created_at == conversation.created_at.replace(tzinfo=UTC)


def test_the_bot_deletes_a_session_with_its_messages_and_transcripts(
    bot: Bot, conversation: BotSession
):
    bot.add(
        Message(session_id=conversation.id, role=MessageRole.user, content="hello"),
        Transcript(session_id=conversation.id, format=TranscriptFormat.csv, message_count=1),
    )

    async def delete(session: AsyncSession) -> tuple[int, int]:
        await session.delete(await session.get(BotSession, conversation.id))
        await session.commit()
        return tuple(
            [
                await session.scalar(
                    sa.select(sa.func.count())
                    .select_from(model)
                    .where(model.session_id == conversation.id)
                )
                for model in (Message, Transcript)
            ]
        )

    assert bot.run(delete) == (0, 0)


# -- messages -------------------------------------------------------------------------------------


def test_the_bot_stores_messages_and_reads_a_sessions_messages_in_order(
    bot: Bot, conversation: BotSession
):
    start = utcnow()
    said = [
        (MessageRole.system, "You are a calm, supportive listener."),
        (MessageRole.user, "Rough day at work."),
        (MessageRole.assistant, "I hear you. What felt hardest today?"),
    ]
    bot.add(
        *(
            Message(
                session_id=conversation.id,
                request_id=uuid.uuid4(),
                role=role,
                content=text,
                timestamp=start + timedelta(seconds=n),
                metadata_={"tokens": len(text)},
            )
            for n, (role, text) in enumerate(said)
        )
    )

    async def history(session: AsyncSession) -> list[tuple[MessageRole, str]]:
        messages = await session.scalars(
            sa.select(Message)
            .where(Message.session_id == conversation.id)
            .order_by(Message.timestamp)
        )
        return [(m.role, m.content) for m in messages]

    assert bot.run(history) == said


def test_the_bot_storing_an_encrypted_message_with_its_plaintext_is_refused_with_the_reason(
    bot: Bot, conversation: BotSession
):
    text = "I feel better today"
    token = Fernet(Fernet.generate_key()).encrypt(text.encode())

    async def store(session: AsyncSession) -> int:
        session.add(
            Message(
                session_id=conversation.id,
                role=MessageRole.user,
                content=text,
                encrypted_content=token,
            )
        )
        with pytest.raises(IntegrityError) as refused:
            await session.commit()
        await session.rollback()
        cause = refused.value.orig.__cause__
        assert isinstance(cause, asyncpg.CheckViolationError)
        assert "keeps no plaintext beside its ciphertext" in cause.message
        assert "content NULL" in cause.hint
        assert cause.constraint_name == "message_content_in_clear_or_encrypted"
        return await session.scalar(
            sa.select(sa.func.count()).where(Message.session_id == conversation.id)
        )

    assert bot.run(store) == 0


def test_the_bot_stores_an_encrypted_message_as_ciphertext_only(bot: Bot, conversation: BotSession):
    cipher = Fernet(Fernet.generate_key())
    message = Message(
        session_id=conversation.id,
        role=MessageRole.assistant,
        content=None,
        encrypted_content=cipher.encrypt(b"What kept you up?"),
    )
    bot.add(message)

    stored = bot.get(Message, message.id)
    assert stored.content is None
    assert cipher.decrypt(stored.encrypted_content) == b"What kept you up?"


# -- transcripts, metrics, configuration, backups --------------------------------------------------


def test_the_bot_creates_a_transcript_before_its_upload_and_sets_its_s3_key_after(
    bot: Bot, conversation: BotSession
):
    transcript = Transcript(
        session_id=conversation.id, s3_key=None, format=TranscriptFormat.json, message_count=3
    )
    bot.add(transcript)
    assert bot.get(Transcript, transcript.id).s3_key is None

    key = f"transcripts/{conversation.id}.json"

    async def uploaded(session: AsyncSession) -> None:
        stored = await session.get(Transcript, transcript.id)
        stored.s3_key, stored.file_size_bytes = key, 2048
        await session.commit()

    bot.run(uploaded)
    stored = bot.get(Transcript, transcript.id)
    assert (stored.s3_key, stored.format, stored.file_size_bytes, stored.message_count) == (
        key,
        TranscriptFormat.json,
        2048,
        3,
    )


def test_the_bot_records_metrics_and_reads_a_bots_metrics_of_one_type(bot: Bot):
    client = f"discord-bot-{uuid.uuid4().hex[:8]}"
    now = utcnow()
    bot.add(
        Metrics(client_bot_id=client, metric_type="response_latency_ms", metric_data={"p50": 820}),
        Metrics(client_bot_id=client, metric_type="tokens", metric_data={"total": 42}),
    )

    async def latency(session: AsyncSession) -> list[dict[str, Any]]:
        found = await session.scalars(
            sa.select(Metrics.metric_data).where(
                Metrics.client_bot_id == client,
                Metrics.metric_type == "response_latency_ms",
                Metrics.timestamp >= now - timedelta(minutes=5),
            )
        )
        return list(found)

    assert bot.run(latency) == [{"p50": 820}]


def test_the_bot_sets_a_system_config_and_changes_it(bot: Bot):
    admin = a_user(display_label="operator", discord_id=None)
    key = f"max_context_messages_{uuid.uuid4().hex[:8]}"
    bot.add(admin, SystemConfig(key=key, value={"limit": 40}, updated_by=admin.id))
    first = bot.get(SystemConfig, key).updated_at

    async def change(session: AsyncSession) -> None:
        stored = await session.get(SystemConfig, key)
        stored.value = {"limit": 60}
        await session.commit()

    bot.run(change)
    stored = bot.get(SystemConfig, key)
    assert (stored.value, stored.updated_by) == ({"limit": 60}, admin.id)
    assert stored.updated_at >= first


def test_the_bot_logs_a_backup_from_start_to_completion_and_a_failed_one(bot: Bot):
    backup = BackupLog(backup_type="full", status=BackupStatus.started)
    failed = BackupLog(
        backup_type="incremental", status=BackupStatus.failed, error_message="disk full"
    )
    bot.add(backup, failed)

    async def progress(session: AsyncSession) -> None:
        stored = await session.get(BackupLog, backup.id)
        stored.status = BackupStatus.in_progress
        await session.commit()
        stored.status, stored.completed_at = BackupStatus.completed, utcnow()
        stored.file_path, stored.file_size_bytes = "backups/full.dump", 7_340_032_000
        await session.commit()

    bot.run(progress)
    stored = bot.get(BackupLog, backup.id)
    assert (stored.status, stored.file_size_bytes) == (BackupStatus.completed, 7_340_032_000)

    async def failures(session: AsyncSession) -> list[str | None]:
        found = await session.scalars(
            sa.select(BackupLog.error_message).where(
                BackupLog.id == failed.id, BackupLog.status == BackupStatus.failed
            )
        )
        return list(found)

    assert bot.run(failures) == ["disk full"]
