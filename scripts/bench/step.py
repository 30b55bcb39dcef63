"""One migration step in its own process, as an operator runs it: its time and its peak memory.

    python -m scripts.bench.step upgrade|downgrade REVISION    (database: DATABASE_URL)

prints the seconds `alembic upgrade/downgrade` took inside the process (interpreter start and
imports excluded). The parent reads the process's peak resident memory from the kernel
(`os.wait4`), so the migrating process's memory is measured whatever it does.
"""

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass

from sqlalchemy.engine import URL

from tests.support import ROOT, command_env


@dataclass(frozen=True)
class StepResult:
    seconds: float
    peak_rss_mb: float


def run_step(url: URL, direction: str, revision: str) -> StepResult:
    """Run `alembic <direction> <revision>` on `url` in a child process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.bench.step", direction, revision],
        cwd=ROOT,
        env=command_env(DATABASE_URL=url.render_as_string(hide_password=False)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = process.stdout.read(), process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{direction} {revision} failed:\n{stderr[-3000:]}")
    return StepResult(json.loads(stdout)["seconds"], usage.ru_maxrss / 1024)  # KiB on Linux


def main(direction: str, revision: str) -> None:
    import alembic.command
    import alembic_postgresql_enum  # noqa: F401  (env.py's imports: not the migration's time)

    import app.comparison
    import app.db  # noqa: F401
    from tests.support import migration_config

    command = {"upgrade": alembic.command.upgrade, "downgrade": alembic.command.downgrade}
    config = migration_config()
    start = time.perf_counter()
    command[direction](config, revision)
    print(json.dumps({"seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main(*sys.argv[1:])
