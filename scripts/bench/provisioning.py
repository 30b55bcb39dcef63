"""Part 4: what the test suite waits for: a fresh database per test, and the whole suite.

Per test database: the fixture's own path (tests.support.CloneJanitor: a FILE_COPY clone of the
head template, dropped afterwards) on a server set up as the suite sets it up (tmpfs when
writable, durability off), against pytest-postgresql's stock janitor (PostgreSQL's default
WAL_LOG clone) in the same run.

The whole suite: `pytest` as `make test` runs it, once, with the plugin
scripts.bench.suite_clock counting the test databases it creates and the time they take.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from pytest_postgresql.janitor import DatabaseJanitor

from app.runtime import embedded
from tests.support import ROOT, CloneJanitor, command_env, upgrade


def measure_clones(rounds: int) -> dict[str, list[float]]:
    """Milliseconds per database (create + drop), for the fixture's janitor and the stock one."""
    shm = Path("/dev/shm")
    workdir = Path(tempfile.mkdtemp(dir=shm if os.access(shm, os.W_OK) else None))
    server = embedded.start(workdir / "pgdata", delete_on_release=True)
    try:
        server.make_non_durable()
        common = {"user": "postgres", "host": str(server.socket_dir), "port": 5432}
        template = DatabaseJanitor(dbname="bench_template", as_template=True, **common)
        template.init()
        engine = sa.create_engine(server.url("bench_template"), poolclass=sa.NullPool)
        upgrade(engine, "head")
        engine.dispose()
        samples: dict[str, list[float]] = {"fixture": [], "stock": []}
        for _ in range(rounds):  # interleaved, so both see the same machine
            for name, janitor in (("fixture", CloneJanitor), ("stock", DatabaseJanitor)):
                start = time.perf_counter()
                with janitor(dbname="bench_clone", template_dbname="bench_template", **common):
                    pass
                samples[name].append((time.perf_counter() - start) * 1000)
        template.drop()
        return samples
    finally:
        server.release()
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class SuiteRun:
    seconds: float
    passed: bool
    tests: int
    databases: int
    database_seconds: float


def run_suite() -> SuiteRun:
    """The whole suite, as `make test` runs it."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "scripts.bench.suite_clock"],
            cwd=ROOT,
            env=command_env(THERAPY_DB_BENCH_SUITE_CLOCK=report.name),
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        counts = json.loads(Path(report.name).read_text() or "{}")
    if done.returncode != 0:
        print(done.stdout[-3000:], file=sys.stderr)
    return SuiteRun(
        seconds, done.returncode == 0, counts.get("tests", 0), counts.get("databases", 0),
        counts.get("database_seconds", 0.0),
    )  # fmt: skip
