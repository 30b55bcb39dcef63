"""`therapy-db db serve`: the embedded server in the foreground, for services in other terminals.

It listens on its unix socket (the URL printed) and, with `--port`, on a localhost TCP port too:
a forwarder in this process carries each TCP connection to the socket, because the embedded
server is started without TCP. Ctrl-C or SIGTERM stops it. Trust authentication: a developer's
local database, never a production one.
"""

import asyncio
import contextlib
import signal
from collections.abc import Callable

from sqlalchemy.engine import URL

from app.runtime.settings import Settings

POSTGRES_PORT = 5432  # the embedded server's, behind its socket


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


def _forwarder(socket_dir: str):
    async def forward(client_reader, client_writer) -> None:
        try:
            server_reader, server_writer = await asyncio.open_unix_connection(
                f"{socket_dir}/.s.PGSQL.{POSTGRES_PORT}"
            )
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            _pipe(client_reader, server_writer), _pipe(server_reader, client_writer)
        )

    return forward


def serve(settings: Settings, port: int | None, announce: Callable[[str], None]) -> None:
    """Run until interrupted; the server stops when this returns."""
    from app.runtime import embedded  # the `embedded` extra

    server = embedded.start(settings.pgdata)
    try:
        server.create_database(settings.embedded_database)
        socket_url = server.url(settings.embedded_database).set(drivername="postgresql")
        announce(socket_url.render_as_string(hide_password=False))
        if port is not None:
            tcp = URL.create(
                "postgresql",
                username=embedded.SUPERUSER,
                host="127.0.0.1",
                port=port,
                database=settings.embedded_database,
            )
            announce(tcp.render_as_string(hide_password=False))
        asyncio.run(_wait(str(server.socket_dir), port))
    finally:
        server.release()


async def _wait(socket_dir: str, port: int | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    listener = None
    if port is not None:
        listener = await asyncio.start_server(_forwarder(socket_dir), "127.0.0.1", port)
    try:
        await stop.wait()
    finally:
        if listener is not None:
            listener.close()
            with contextlib.suppress(Exception):
                await listener.wait_closed()
