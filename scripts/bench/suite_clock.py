"""A pytest plugin for the benchmark: how many test databases the suite creates, and how long
creating and dropping them takes (`pytest -p scripts.bench.suite_clock`).

It times tests.support.CloneJanitor, the one way the suite's fixtures make databases, and writes
the totals as JSON to the file named by THERAPY_DB_BENCH_SUITE_CLOCK.
"""

import json
import os
import time
from pathlib import Path

from tests.support import CloneJanitor

totals = {"tests": 0, "databases": 0, "database_seconds": 0.0}


def _timed(method):
    def timed(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            totals["database_seconds"] += time.perf_counter() - start

    return timed


def pytest_configure(config) -> None:
    original_init = CloneJanitor.init

    def init(self, *args, **kwargs):
        totals["databases"] += 1
        return original_init(self, *args, **kwargs)

    CloneJanitor.init = _timed(init)
    CloneJanitor.drop = _timed(CloneJanitor.drop)


def pytest_runtest_logreport(report) -> None:
    if report.when == "call":
        totals["tests"] += 1


def pytest_sessionfinish(session, exitstatus) -> None:
    if path := os.environ.get("THERAPY_DB_BENCH_SUITE_CLOCK"):
        Path(path).write_text(json.dumps(totals))
