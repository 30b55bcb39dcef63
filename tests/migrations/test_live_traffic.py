"""Every revision, upgraded and downgraded while a writer process keeps making requests.

For each revision: a database at the revision before it, filled with LIVE_TRAFFIC_ROWS rows per
table (small in `make test`, large in `make soak`); a writer process (tests/migrations/writer.py)
making the application requests that fit both shapes; then the upgrade and the downgrade, each
timed. No request may fail, except by the writer's own lock_timeout, which it retries. The longest
request during each migration is its writer stall; the longest outside them is the baseline. The
figures are printed at the end of the run ("live traffic").
"""

import csv
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from app.operations.history import History, current_heads
from tests.migrations import traffic
from tests.support import ROOT, downgrade, upgrade

ROWS = int(os.environ.get("LIVE_TRAFFIC_ROWS", "1000"))
WARM_UP_REQUESTS = 30  # requests made before the migration starts
SETTLE = 0.3  # seconds of traffic after each migration

STEPS = [
    (previous, revision)
    for previous, revision in zip(["base", *traffic.history()], traffic.history(), strict=False)
    if traffic.operations_across(previous, revision)
]


@dataclass
class Request:
    started: float
    ended: float
    operation: str
    lock_timeouts: int
    failure: str

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class Window:
    """One migration, and the requests that were under way while it ran."""

    name: str
    started: float
    ended: float
    requests: list[Request]

    @property
    def stall(self) -> float:
        return max((request.seconds for request in self.requests), default=0.0)


class Writer:
    """The writer process; stopped (and waited for) on leaving the block, whatever happened."""

    def __init__(self, workdir: Path, database: str, previous: str, revision: str):
        self.log, self.stop = workdir / "requests.csv", workdir / "stop"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.migrations.writer",
                database,
                previous,
                revision,
                "--log",
                str(self.log),
                "--stop",
                str(self.stop),
            ],
            cwd=ROOT,
        )

    def requests(self) -> list[Request]:
        if not self.log.exists():
            return []
        with self.log.open(newline="") as log:
            return [
                Request(float(started), float(ended), operation, int(timeouts), failure)
                for started, ended, operation, timeouts, failure in csv.reader(log)
            ]

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests()) < count:
            assert self.process.poll() is None, "the writer exited"
            assert time.monotonic() < deadline, f"the writer made no {count} requests"
            time.sleep(0.05)

    def finish(self) -> None:
        self.stop.touch()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def writing(workdir: Path, engine: Engine, previous: str, revision: str):
    writer = Writer(workdir, engine.url.database, previous, revision)
    try:
        yield writer
    finally:
        writer.finish()


def fill(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        for step in traffic.fills_at(revision):
            connection.exec_driver_sql(step.sql, {"rows": ROWS})
        connection.exec_driver_sql("ANALYZE")


def timed(migrate) -> tuple[float, float]:
    started = time.monotonic()
    migrate()
    return started, time.monotonic()


@pytest.mark.parametrize(("previous", "revision"), STEPS, ids=[r for _, r in STEPS])
def test_writers_keep_working_while_the_revision_migrates_both_ways(
    previous, revision, databases, tmp_path, live_traffic_report
):
    with databases.at(previous) as engine:
        fill(engine, previous)
        with writing(tmp_path, engine, previous, revision) as writer:
            writer.wait_for(WARM_UP_REQUESTS)
            up = timed(lambda: upgrade(engine, revision))
            time.sleep(SETTLE)
            down = timed(lambda: downgrade(engine, previous))
            time.sleep(SETTLE)
        requests = writer.requests()
        assert current_heads(engine) == tuple(sorted(History().linear_heads(previous)))

    def during(started: float, ended: float) -> list[Request]:
        return [r for r in requests if r.started < ended and r.ended > started]

    windows = [
        Window(f"{revision} upgrade", *up, during(*up)),
        Window(f"{revision} downgrade", *down, during(*down)),
    ]
    outside = [r for r in requests if not any(r in window.requests for window in windows)]
    live_traffic_report.append((windows, requests, outside))

    failed = [r for r in requests if r.failure]
    assert not failed, f"{len(failed)} requests failed: {failed[:5]}"
    for window in windows:
        assert window.requests, f"no request was under way during the {window.name}"
