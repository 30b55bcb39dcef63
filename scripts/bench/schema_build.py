"""Part 1: building the schema on an empty database, whole processes as an operator runs them.

`alembic upgrade head` against the floor, `python -m scripts.bench.create_all` (the models'
create_all plus a stamp): each in a fresh process on a fresh empty database, interleaved, so
interpreter start and imports are in both.
"""

import subprocess
import sys
import time

from scripts.bench.server import BenchServer
from tests.support import ROOT, command_env

WHY = ""

COMMANDS = {
    "alembic upgrade head": [sys.executable, "-m", "alembic", "upgrade", "head"],
    "create_all + stamp head": [sys.executable, "-m", "scripts.bench.create_all"],
}


def measure_schema_build(server: BenchServer, runs: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, command in COMMANDS.items():
            engine = server.create("bench_schema")
            engine.dispose()
            url = server.url("bench_schema").render_as_string(hide_password=False)
            start = time.perf_counter()
            done = subprocess.run(
                command, cwd=ROOT, env=command_env(DATABASE_URL=url), capture_output=True,
                text=True,
            )  # fmt: skip
            samples[name].append(time.perf_counter() - start)
            if done.returncode != 0:
                raise RuntimeError(f"{name} failed:\n{done.stderr[-3000:]}")
            server.drop("bench_schema")
    return samples
