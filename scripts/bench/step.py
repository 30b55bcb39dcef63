"""The migrating process: one operator's process walking a history, step by step, on command.

    python -m scripts.bench.step    (database: DATABASE_URL)

reads `upgrade REVISION` or `downgrade REVISION` lines on stdin and answers each with a JSON line:
the seconds the alembic command took inside the process (interpreter start and imports are paid
once, before the first step, as by `alembic upgrade head`) and the process's peak resident memory
so far, as the kernel counts it. The parent measures its floors between steps.
"""

import json
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import URL

from tests.support import ROOT, command_env


@dataclass(frozen=True)
class StepResult:
    seconds: float
    peak_rss_mb: float


class Migrator:
    def __init__(self, process: subprocess.Popen):
        self.process = process

    def run(self, direction: str, revision: str) -> StepResult:
        self.process.stdin.write(f"{direction} {revision}\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(
                f"{direction} {revision} failed:\n{self.process.stderr.read()[-3000:]}"
            )
        return StepResult(**json.loads(answer))


@contextmanager
def migrator(url: URL):
    """A migrating process on `url`'s database, for the length of the block."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.bench.step"],
        cwd=ROOT,
        env=command_env(DATABASE_URL=url.render_as_string(hide_password=False)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield Migrator(process)
    finally:
        process.stdin.close()
        process.wait(timeout=60)


def main() -> None:
    import alembic.command
    import alembic_postgresql_enum  # noqa: F401  (env.py's imports, paid before the first step)

    from app.operations.history import alembic_config

    command = {"upgrade": alembic.command.upgrade, "downgrade": alembic.command.downgrade}
    config = alembic_config()
    config.attributes["allow_data_loss"] = True  # the walks go down on purpose, data and all
    for line in sys.stdin:
        direction, revision = line.split()
        start = time.perf_counter()
        command[direction](config, revision)
        seconds = time.perf_counter() - start
        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_rss_mb}), flush=True)


if __name__ == "__main__":
    main()
