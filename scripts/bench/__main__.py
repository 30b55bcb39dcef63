"""The benchmark suite: `make bench` (or `.venv/bin/python -m scripts.bench`).

Runs on throwaway servers and prints one table (Markdown), each figure a median of several runs
next to a baseline measured in the same run, then the EXPLAIN plan of every hot query:
1 schema build, 2 data migrations, 3 hot queries, 4 test databases and the whole suite, 5 the
clinic's recurring operations, 6 `therapy-db import` of a source system's own database, 7 the hot
queries through the async engine against the sync one.
Progress goes to stderr. docs/PERFORMANCE.md holds the latest output.
"""

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from scripts.bench import (
    async_queries,
    hot_queries,
    imports,
    migrations,
    operations,
    provisioning,
    schema_build,
)
from scripts.bench.measure import median
from scripts.bench.server import BenchServer, bench_server
from scripts.bench.table import Row, count, markdown, seconds


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def schema_rows(server: BenchServer, runs: int) -> list[Row]:
    progress("schema build")
    samples = schema_build.measure_schema_build(server, runs)
    upgrade_s, floor_s = (median(s) for s in samples.values())
    ratio = upgrade_s / floor_s
    return [
        Row("1 schema build", "`alembic upgrade head`, empty database, whole process", "",
            seconds(upgrade_s), f"create_all + stamp head: {seconds(floor_s)}", ratio,
            "≤ 1.5x", ratio <= 1.5, schema_build.WHY),
    ]  # fmt: skip


def migration_rows(server: BenchServer, runs: int, quick: bool, contexts: set[str]) -> list[Row]:
    rows = []
    for case in (case for case in migrations.CASES if not contexts or case.context in contexts):
        sizes = [size // 10 for size in case.sizes] if quick else list(case.sizes)
        by_step: dict[migrations.Step, list[migrations.Measured]] = {}
        for size in sizes:
            progress(f"migrations: {case.context}, {size:,} {case.unit}")
            for measured in migrations.measure_case(server, case, size, runs):
                by_step.setdefault(measured.step, []).append(measured)
        for step, results in by_step.items():
            rows += step_rows(case, step, results)
    return rows


def step_rows(case: migrations.Case, step: migrations.Step, results) -> list[Row]:
    rows = []
    largest = results[-1]
    for measured in results:
        took = median(measured.seconds)
        rate = f" · {count(measured.rows / took)} rows/s" if measured.rows else ""
        is_largest = measured is largest
        rows.append(Row(
            "2 data migrations", step.label, f"{measured.size:,} {case.unit}",
            f"{seconds(took)}{rate} · peak {max(measured.peak_rss_mb):.0f} MB",
            f"floor {seconds(median(measured.floor))} ({count(measured.floor_rows)} rows)",
            measured.ratio, "≤ 2x floor" if is_largest else "",
            measured.ratio <= 2 if is_largest else None, step.why,
        ))  # fmt: skip
    smallest = results[0]
    scale = largest.size / smallest.size
    growth = (median(largest.seconds) / median(smallest.seconds)) / scale
    memory = max(largest.peak_rss_mb) / max(smallest.peak_rss_mb)
    rows.append(Row(
        "2 data migrations", f"{step.label}: growth", f"{scale:g}x the data",
        f"time x{median(largest.seconds) / median(smallest.seconds):.1f}, "
        f"peak memory x{memory:.2f}",
        f"data x{scale:g}", growth, f"time ≤ {1.2 * scale:g}x, memory ≤ 1.1x",
        growth <= 1.2 and memory <= 1.1, step.why_growth,
    ))  # fmt: skip
    return rows


def hot_query_rows(
    server: BenchServer, quick: bool, async_too: bool = False
) -> tuple[list[Row], list]:
    rows_per_table = hot_queries.ROWS // 100 if quick else hot_queries.ROWS
    personas = hot_queries.PERSONAS // 10 if quick else hot_queries.PERSONAS
    progress(f"hot queries: loading {rows_per_table:,} rows a table, {personas:,} personas")
    engine = server.create("bench_hot")
    loaded = hot_queries.load(engine, rows_per_table, personas)
    engine.dispose()
    progress("hot queries: loaded in " + ", ".join(f"{k} {seconds(v)}" for k, v in loaded.items()))
    results = hot_queries.measure_hot_queries(server.url("bench_hot"))
    rows = []
    if async_too:
        progress("async: the hot queries through asyncpg")
        for compared in async_queries.measure(server.url("bench_hot")):
            rows.append(Row(
                "7 async", compared.query.name, "",
                f"async (asyncpg) p50 {median(compared.async_ms):.2f} ms",
                f"sync (psycopg2) p50 {median(compared.sync_ms):.2f} ms", compared.ratio,
                "", None,
            ))  # fmt: skip
    for result in results:
        query = result.query
        served = ", ".join(result.indexes) or "no index"
        ok = result.p95 <= 5 and not result.seq_scans and bool(result.indexes)
        rows.append(Row(
            "3 hot queries", query.name,
            query.rows_in_tables if not quick else "quick",
            f"p50 {result.p50:.2f} ms · p95 {result.p95:.2f} ms ({len(result.samples)} calls)"
            f" · {served}" + (f" · SEQ SCAN {', '.join(result.seq_scans)}" if result.seq_scans
                              else "") + (f" · {result.quality}" if result.quality else ""),
            f"`SELECT 1`: p50 {median(result.baseline):.2f} ms",
            result.p50 / median(result.baseline), "p95 ≤ 5 ms, by an index", ok, query.why,
        ))  # fmt: skip
    server.drop("bench_hot")
    return rows, results


OPERATIONS = {  # what, the baseline, the target (operations of their own kind: no target)
    "purge": (
        f"retention purge (`purge_voice_transcripts`, batches of {operations.BATCH:,}, a commit "
        "each)", "one DELETE",
    ),
    "writer": ("audit writer (`record_api_request` + commit per request)",
               "plain INSERT + commit per row, bare table"),
    "consent": ("transcript insert with the consent trigger", "trigger disabled"),
}  # fmt: skip


def operation_rows(server: BenchServer, runs: int) -> list[Row]:
    progress("clinic operations")
    rows = []
    for name, samples in operations.measure_operations(server, runs).items():
        what, baseline = OPERATIONS[name]
        seconds_, rows_ = median(s[0] for s in samples), samples[0][1]
        b_seconds, b_rows = median(s[2] for s in samples), samples[0][3]
        rate, b_rate = rows_ / seconds_, b_rows / b_seconds
        rows.append(Row(
            "5 clinic operations", what, f"{rows_:,} rows", f"{count(rate)} rows/s",
            f"{baseline}: {count(b_rate)} rows/s", rate / b_rate, "", None,
        ))  # fmt: skip
    return rows


def import_rows(server: BenchServer, runs: int, quick: bool) -> list[Row]:
    sizes = tuple(size // 10 for size in imports.SIZES) if quick else imports.SIZES
    progress(f"import: the clinic's database at {', '.join(f'{s:,}' for s in sizes)} rows")
    results = imports.measure(server, sizes, runs)
    rows = [
        Row("6 import", "`therapy-db import clinic` (its own DDL: 3 tables, partitioned log)",
            f"{m.rows:,} rows",
            f"{seconds(m.seconds)} · {count(m.rows / m.seconds)} rows/s · "
            f"peak {m.peak_rss_mb:.0f} MB",
            f"plain COPY between the same databases: {seconds(m.floor_seconds)} · "
            f"{count(m.rows / m.floor_seconds)} rows/s · peak {m.floor_peak_rss_mb:.0f} MB",
            m.ratio, "", None)
        for m in results
    ]  # fmt: skip
    small, large = results[0], results[-1]
    scale = large.rows / small.rows
    memory = large.peak_rss_mb / small.peak_rss_mb
    rows.append(Row(
        "6 import", "`therapy-db import clinic`: growth", f"{scale:.3g}x the rows",
        f"time x{large.seconds / small.seconds:.1f}, peak memory x{memory:.2f}",
        f"rows x{scale:.3g}", (large.seconds / small.seconds) / scale,
        "memory ≤ 1.1x (flat)", memory <= 1.1,
    ))  # fmt: skip
    return rows


def provisioning_rows(run_suite: bool) -> list[Row]:
    progress("test databases")
    clones = provisioning.measure_clones(rounds=40)
    fixture, stock = median(clones["fixture"]), median(clones["stock"])
    rows = [
        Row("4 test databases", "a fresh database at head per test (CloneJanitor, FILE_COPY)",
            "", f"{fixture:.1f} ms", f"stock janitor (WAL_LOG): {stock:.1f} ms",
            fixture / stock, "", None),
    ]  # fmt: skip
    if run_suite:
        progress("the whole suite (pytest)")
        suite = provisioning.run_suite()
        share = suite.database_seconds / suite.seconds
        rows.append(Row(
            "4 test databases", "the whole suite, `make test`" + ("" if suite.passed
                                                                   else " (FAILED)"),
            f"{suite.tests} tests", seconds(suite.seconds),
            f"{suite.databases} databases made and dropped: {seconds(suite.database_seconds)}",
            share, "", None,
        ))  # fmt: skip
    return rows


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "")
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_gb:.0f} GB RAM, Python "
        f"{platform.python_version()}, load average at the start {load}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the data: a smoke test")
    parser.add_argument("--no-suite", action="store_true", help="skip running the whole suite")
    parser.add_argument(
        "--parts", default="1234567", help="which parts to run, e.g. 23 (default: all)"
    )
    parser.add_argument(
        "--contexts", default="", help="part 2 for these contexts only, e.g. memory,chat"
    )
    arguments = parser.parse_args()

    started = time.perf_counter()
    header = machine()
    rows: list[Row] = []
    results = []
    with bench_server() as server:
        with server.engine("postgres").connect() as connection:
            version = connection.scalar(sa.text("SHOW server_version"))
        header += f"; PostgreSQL {version} (embedded), data on disk, durability off"
        if "1" in arguments.parts:
            rows += schema_rows(server, arguments.runs)
        if "2" in arguments.parts:
            rows += migration_rows(
                server, arguments.runs, arguments.quick, set(arguments.contexts.split(",")) - {""}
            )
        if "3" in arguments.parts or "7" in arguments.parts:  # 7 reuses part 3's database
            query_rows, results = hot_query_rows(server, arguments.quick, "7" in arguments.parts)
            rows += query_rows
        if "5" in arguments.parts:
            rows += operation_rows(server, arguments.runs)
        if "6" in arguments.parts:
            rows += import_rows(server, arguments.runs, arguments.quick)
    if "4" in arguments.parts:
        rows += provisioning_rows(not arguments.no_suite)

    took = seconds(time.perf_counter() - started)
    print(f"Machine: {header}.")
    print(f"Runs per figure: {arguments.runs} (medians); the whole benchmark took {took}.\n")
    print(markdown(rows))
    for result in results:
        print(f"\n#### {result.query.name}\n")
        print("```\n" + "\n---\n".join(result.plans) + "\n```")


if __name__ == "__main__":
    main()
