"""The async engine and sessions service code gets from app.runtime.db (asyncpg)."""

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.runtime import db
from app.runtime.errors import DatabaseUnavailableError, DatabaseUrlError
from app.runtime.models.identity import User
from tests.support import database_url


@pytest.fixture
def async_database(engine: Engine, monkeypatch, pg_server) -> Engine:
    """DATABASE_URL at a fresh database at head; the process-wide async engine starts anew."""
    url = database_url(engine.url.database).set(query={"host": str(pg_server.socket_dir)})
    monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
    db.get_settings.cache_clear()
    yield engine
    db.get_settings.cache_clear()


def run(coroutine):
    async def then_dispose():
        try:
            return await coroutine
        finally:
            await db.dispose_async_engine()

    return asyncio.run(then_dispose())


def test_async_session_scope_commits_what_its_block_adds(async_database: Engine):
    async def add() -> None:
        async with db.async_session_scope() as session:
            session.add(User(username="async-dana", email="dana@example.org"))

    run(add())
    with async_database.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM public.users")) == 1


def test_async_session_scope_rolls_back_when_its_block_raises(async_database: Engine):
    async def add_then_fail() -> None:
        async with db.async_session_scope() as session:
            session.add(User(username="never"))
            await session.flush()
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        run(add_then_fail())
    with async_database.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM public.users")) == 0


def test_async_reads_see_what_sync_code_wrote(async_database: Engine):
    with async_database.begin() as connection:
        connection.execute(sa.text("INSERT INTO public.users (username) VALUES ('shared')"))

    async def read() -> list[str]:
        async with db.async_session_scope() as session:
            return list(await session.scalars(sa.select(User.username)))

    assert run(read()) == ["shared"]


def test_an_unreachable_server_is_one_clear_line_without_the_password():
    with pytest.raises(DatabaseUnavailableError) as error:
        run(db.create_async_engine("postgresql://app:s3cret-pw@127.0.0.1:9/nowhere"))
    message = str(error.value)
    assert message.startswith("cannot connect to PostgreSQL at 127.0.0.1:9/nowhere")
    assert "s3cret-pw" not in message and "\n" not in message


def test_a_malformed_url_is_refused_before_any_connection():
    with pytest.raises(DatabaseUrlError, match="must point to PostgreSQL"):
        run(db.create_async_engine("mysql://app@localhost/x"))
