"""Coaching at scale: the Phase 2-4 backfills on 100k MVP conversations, and persona similarity
search (top 10) on 100k personas.

Everything runs on a throwaway embedded server whose data directory is on disk (the personas and
their HNSW index take about 2 GB), durability off. Each figure comes with a baseline measured in
the same run, because the machine is shared and noisy:

- backfills: rows/s of each upgrade, against a plain `INSERT ... SELECT` of the same source rows
  (conversations and messages) into keyless tables, the floor of any data movement;
- similarity: latency of `app.queries.coaching.nearest_personas` (HNSW index), against the same
  query answered exactly by a scan (index scans off), with the index's recall@10 against it.

    .venv/bin/python -m scripts.bench_coaching [--conversations 100000] [--personas 100000]
"""

import argparse
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import alembic.command
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app import embedded
from app.models.coaching import EMBEDDING_DIMENSIONS
from app.queries.coaching import nearest_personas
from tests.support import migration_config

# MVP data as the app wrote it: 5 conversations per person over four weeks, 1 in 20 anonymous,
# 1 in 200 with a blank user id; 60% carry a week_number (3% of those nonsense or fractions),
# 1 in 5 of those a goal; 4 messages each, with moods, progress and takeaways here and there.
MVP_CONVERSATIONS = """
INSERT INTO coaching.conversations (id, user_id, title, message_count, metadata, created_at,
                                    updated_at)
SELECT md5('bench-conversation:' || n)::uuid,
       CASE WHEN n % 20 = 0 THEN NULL WHEN n % 200 = 1 THEN '  '
            ELSE 'fb_' || (n % :people) END,
       'Chat ' || n, 4,
       CASE WHEN n % 10 < 6 THEN
           jsonb_build_object(
               'week_number', CASE n % 33 WHEN 0 THEN to_jsonb('two'::text)
                                          WHEN 1 THEN to_jsonb(2.5)
                                          WHEN 2 THEN to_jsonb(week::text)
                                          WHEN 3 THEN to_jsonb(week::numeric + 0.0)
                                          ELSE to_jsonb(week) END,
               'session_type', 'check_in', 'goal_id', 'goal_' || (n % :people),
               'program_status', 'active')
           || CASE WHEN n % 5 = 0 THEN jsonb_build_object(
                  'goal_type', 'fitness', 'goal_description', 'Walk 30 minutes a day',
                  'measurable', '4000 steps') ELSE '{}' END
       ELSE '{}' END,
       started, started + interval '30 minutes'
FROM generate_series(1, :conversations) n
CROSS JOIN LATERAL (SELECT (n / :people) % 4 + 1 AS week,
                           timestamptz '2024-01-01' + n * interval '1 minute' AS started) c
"""

MVP_MESSAGES = """
INSERT INTO coaching.messages (id, conversation_id, role, content, metadata, created_at,
                               updated_at)
SELECT md5('bench-message:' || c.id || ':' || p)::uuid, c.id,
       (CASE WHEN p % 2 = 1 THEN 'assistant' ELSE 'user' END)::coaching.message_role,
       'message ' || p,
       CASE WHEN p = 2 AND hashtext(c.id::text) % 4 = 0
                THEN jsonb_build_object('mood_rating', abs(hashtext(c.id::text)) % 11,
                                        'goal_progress', (abs(hashtext(c.id::text)) % 10) * 10)
            WHEN p = 3 AND hashtext(c.id::text) % 10 = 0
                THEN jsonb_build_object('model', 'Claude Sonnet 4',
                                        'takeaways', jsonb_build_array('Start small', 'Rest'),
                                        'action_items', jsonb_build_array('Walk 3x'))
            ELSE jsonb_build_object('model', 'Claude Sonnet 4') END,
       c.created_at + p * interval '2 minutes', c.created_at + p * interval '2 minutes'
FROM coaching.conversations c CROSS JOIN generate_series(1, 4) p
"""

BASELINE = """
CREATE TABLE bench_flat_conversations AS SELECT * FROM coaching.conversations WITH NO DATA;
CREATE TABLE bench_flat_messages AS SELECT * FROM coaching.messages WITH NO DATA;
INSERT INTO bench_flat_conversations SELECT * FROM coaching.conversations;
INSERT INTO bench_flat_messages SELECT * FROM coaching.messages;
DROP TABLE bench_flat_conversations, bench_flat_messages;
"""

# Personas around 200 overlapping centres of interest (noise as large as the centres' spread),
# as embeddings cluster; the index is built after the load, as an operator loading personas in
# bulk would do.
PERSONAS = """
CREATE TEMP TABLE centres AS
SELECT k, array_agg(random() - 0.5) AS centre
FROM generate_series(0, 199) k CROSS JOIN generate_series(1, :dimensions)
GROUP BY k;
INSERT INTO public.users (id, created_at, updated_at)
SELECT md5('bench-person:' || n)::uuid, now(), now() FROM generate_series(1, :personas) n;
INSERT INTO coaching.user_persona (user_id, vector_data)
SELECT md5('bench-person:' || n)::uuid,
       (SELECT array_agg(value + random() - 0.5) FROM unnest(centre) value)::vector
FROM generate_series(1, :personas) n JOIN centres ON k = n % 200;
"""


# hnsw.ef_search: candidates the index search keeps; more is slower and finds more true neighbours.
EF_SEARCH = (40, 100, 200)
VECTOR_LITERAL = re.compile(r"\[[^\]]{20,}\]")


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run_sql(engine: Engine, sql: str, **params) -> None:
    with engine.begin() as connection:
        for statement in filter(str.strip, sql.split(";\n")):
            connection.execute(sa.text(statement), params)


def count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.text(f"SELECT count(*) FROM {table}"))


def bench_backfills(server: embedded.EmbeddedServer, conversations: int) -> None:
    server.create_database("bench_backfills")
    engine = sa.create_engine(server.url("bench_backfills"), poolclass=sa.NullPool)
    config = migration_config(engine)
    alembic.command.upgrade(config, "coaching_phase1")
    people = max(conversations // 5, 1)
    run_sql(engine, MVP_CONVERSATIONS, conversations=conversations, people=people)
    run_sql(engine, MVP_MESSAGES)
    with engine.begin() as connection:
        connection.execute(sa.text("ANALYZE"))
    messages = count(engine, "coaching.messages")
    source = conversations + messages

    baseline = timed(lambda: run_sql(engine, BASELINE))
    print(f"\nBackfills: {conversations} MVP conversations, {messages} messages, {people} people")
    print(f"{'step':<58}{'seconds':>9}{'conv/s':>10}{'rows/s':>11}{'x baseline':>12}")
    print(
        f"{'baseline: INSERT..SELECT both tables':<58}{baseline:>9.2f}"
        f"{conversations / baseline:>10.0f}{source / baseline:>11.0f}{1:>12.2f}"
    )
    for revision, what in [
        ("coaching_phase2", "people, links, analytics"),
        ("coaching_phase3", "goals, sessions, takeaways, check-ins"),
        ("coaching_phase4", "transcripts"),
    ]:
        seconds = timed(lambda revision=revision: alembic.command.upgrade(config, revision))
        label = f"{revision} ({what})"
        print(
            f"{label:<58}{seconds:>9.2f}{conversations / seconds:>10.0f}"
            f"{source / seconds:>11.0f}{seconds / baseline:>12.2f}"
        )
    moved = {
        table: count(engine, f"coaching.{table}")
        for table in ("smart_goals", "sessions", "session_takeaways", "check_ins", "transcripts")
    }
    print(
        "moved:",
        ", ".join(f"{table} {rows}" for table, rows in moved.items()),
        f"| rejected {count(engine, 'coaching.migration_rejects')}",
    )
    engine.dispose()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def bench_similarity(server: embedded.EmbeddedServer, personas: int, queries: int) -> None:
    server.create_database("bench_personas")
    engine = sa.create_engine(server.url("bench_personas"), poolclass=sa.NullPool)
    alembic.command.upgrade(migration_config(engine), "head")
    with engine.begin() as connection:
        index = connection.scalar(
            sa.text("SELECT pg_get_indexdef('coaching.ix_user_persona_vector_data'::regclass)")
        )
        connection.execute(sa.text("DROP INDEX coaching.ix_user_persona_vector_data"))
    load = timed(
        lambda: run_sql(engine, PERSONAS, personas=personas, dimensions=EMBEDDING_DIMENSIONS)
    )
    with engine.begin() as connection:
        connection.execute(sa.text("SET maintenance_work_mem = '3GB'"))
        connection.execute(sa.text("SET max_parallel_maintenance_workers = 1"))
        build = timed(lambda: connection.execute(sa.text(index)))
    with engine.begin() as connection:
        connection.execute(sa.text("ANALYZE coaching.user_persona"))
        size = connection.scalar(
            sa.text("SELECT pg_size_pretty(pg_database_size(current_database()))")
        )

    with Session(engine) as session:
        probes = session.scalars(
            sa.text("SELECT vector_data FROM coaching.user_persona ORDER BY random() LIMIT :n"),
            {"n": queries},
        ).all()
        probes = [[float(x) for x in str(probe).strip("[]").split(",")] for probe in probes]

        def latencies(vectors) -> tuple[list[float], list[list]]:
            samples, results = [], []
            for vector in vectors:
                start = time.perf_counter()
                results.append([match.user_id for match in nearest_personas(session, vector)])
                samples.append((time.perf_counter() - start) * 1000)
            return samples, results

        latencies(probes[:5])  # warm the index into memory
        exact_probes = probes[: max(queries // 4, 5)]
        session.execute(sa.text("SET enable_indexscan = off"))
        scanned, exact = latencies(exact_probes)
        session.execute(sa.text("RESET enable_indexscan"))

        def recall(found: list[list]) -> float:
            pairs = zip(found, exact, strict=False)  # the exact probes come first
            return statistics.mean(len(set(f) & set(t)) / len(t) for f, t in pairs)

        measured = []
        for ef_search in EF_SEARCH:
            session.execute(sa.text(f"SET hnsw.ef_search = {ef_search}"))
            samples, found = latencies(probes)
            label = f"HNSW, hnsw.ef_search = {ef_search}" + (
                " (default)" if ef_search == 40 else ""
            )
            measured.append((label, samples, recall(found)))
        session.execute(sa.text("RESET hnsw.ef_search"))
        measured.append(("baseline: exact scan, index off", scanned, 1.0))
        plan = session.scalars(
            sa.text(
                "EXPLAIN ANALYZE SELECT user_id, vector_data <=> CAST(:v AS vector) AS distance "
                "FROM coaching.user_persona WHERE vector_data IS NOT NULL "
                "ORDER BY vector_data <=> CAST(:v AS vector) LIMIT 10"
            ),
            {"v": str(probes[0])},
        ).all()

    print(
        f"\nSimilarity: {personas} personas of {EMBEDDING_DIMENSIONS} dimensions "
        f"(database {size}); load {load:.1f} s, HNSW build {build:.1f} s"
    )
    print(
        f"{'top-10 query (nearest_personas)':<42}{'queries':>8}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'recall@10':>11}{'x baseline p50':>16}"
    )
    baseline = statistics.median(scanned)
    for label, samples, found in measured:
        p50 = statistics.median(samples)
        print(
            f"{label:<42}{len(samples):>8}{p50:>9.1f}{percentile(samples, 0.95):>9.1f}"
            f"{found:>11.3f}{p50 / baseline:>16.4f}"
        )
    print("EXPLAIN ANALYZE (default planner settings):")
    for line in plan:  # a vector literal is 1536 numbers long
        print("  " + VECTOR_LITERAL.sub("[...]", line))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--personas", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    arguments = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-coaching-", dir="/tmp"))  # on disk
    server = embedded.start(workdir / "pgdata", delete_on_release=True)
    try:
        server.make_non_durable()
        print(f"data directory {workdir} (disk), durability off")
        if arguments.conversations:
            bench_backfills(server, arguments.conversations)
        if arguments.personas:
            bench_similarity(server, arguments.personas, arguments.queries)
    finally:
        server.release()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
