"""How long the suite waits for one test database: clone the head template, then drop the clone.

Runs the fixture's own path (tests.support.CloneJanitor: FILE_COPY) against a throwaway embedded
server set up as the suite sets it up and, in the same run, pytest-postgresql's stock janitor
(PostgreSQL's default WAL_LOG strategy) as the baseline.

    .venv/bin/python -m scripts.bench_test_database [--rounds 60]
"""

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import alembic.command
import sqlalchemy as sa
from alembic.config import Config
from pytest_postgresql.janitor import DatabaseJanitor

from app import embedded
from app.settings import PROJECT_ROOT
from tests.support import CloneJanitor


def timed(rounds: int, provide) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        provide()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def report(name: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"{name:<36} median {statistics.median(samples):6.1f} ms   p95 {p95:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    rounds = parser.parse_args().rounds

    shm = Path("/dev/shm")
    workdir = Path(tempfile.mkdtemp(dir=shm if os.access(shm, os.W_OK) else None))
    server = embedded.start(workdir / "pgdata", delete_on_release=True)
    os.environ["PGHOST"] = str(server.socket_dir)
    try:
        server.make_non_durable()
        common = {"user": "postgres", "host": str(server.socket_dir), "port": 5432}
        template = DatabaseJanitor(dbname="bench_tmpl", as_template=True, **common)
        template.init()
        engine = sa.create_engine(server.url("bench_tmpl"), poolclass=sa.NullPool)
        config = Config(str(PROJECT_ROOT / "alembic.ini"))
        config.attributes.update(connection=engine, configure_logger=False)
        alembic.command.upgrade(config, "head")
        engine.dispose()

        def clone_with(janitor: type[DatabaseJanitor]):
            def provide() -> None:
                with janitor(dbname="bench", template_dbname="bench_tmpl", **common):
                    pass

            return provide

        print(f"{rounds} rounds, data directory on {workdir}, durability off")
        fixture = timed(rounds, clone_with(CloneJanitor))
        baseline = timed(rounds, clone_with(DatabaseJanitor))
        report("fixture (FILE_COPY clone + drop)", fixture)
        report("baseline (stock janitor, WAL_LOG)", baseline)
        ratio = statistics.median(fixture) / statistics.median(baseline)
        print(f"ratio fixture/baseline: {ratio:.2f}")
        template.drop()
    finally:
        server.release()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
