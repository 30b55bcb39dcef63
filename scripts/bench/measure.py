"""Timing helpers: medians of runs, percentiles, and the floor every data migration is held to."""

import statistics
import time
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median(samples: Iterable[float]) -> float:
    return statistics.median(samples)


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the value at or below which `fraction` of samples lie."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def count_rows(engine: Engine, tables: Iterable[str]) -> int:
    with engine.connect() as connection:
        return sum(connection.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in tables)


def read_floor(engine: Engine, tables: Iterable[str]) -> float:
    """Seconds to read every row of `tables` once (a sequential scan each)."""

    def read() -> None:
        with engine.begin() as connection:
            for table in tables:
                connection.execute(sa.text(f"SELECT count(*) FROM {table}"))

    return timed(read)


def write_floor(engine: Engine, tables: Iterable[str]) -> float:
    """Seconds to write the rows of `tables` again, one INSERT ... SELECT each into a plain table
    of the same columns without keys, indexes, constraints or triggers, in one transaction: the
    same rows of the same width, written the cheapest way PostgreSQL knows."""
    tables = list(tables)
    copies = [f"public.bench_floor_{n}" for n in range(len(tables))]
    with engine.begin() as connection:
        for table, copy in zip(tables, copies, strict=True):
            connection.execute(sa.text(f"CREATE TABLE {copy} (LIKE {table})"))

    def write() -> None:
        with engine.begin() as connection:
            for table, copy in zip(tables, copies, strict=True):
                connection.execute(sa.text(f"INSERT INTO {copy} SELECT * FROM {table}"))

    seconds = timed(write)
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP TABLE {', '.join(copies)}"))
    return seconds
