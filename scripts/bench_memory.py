"""How memory_normalized scales: its upgrade and downgrade against an INSERT ... SELECT floor.

For each size, a fresh database at memory_legacy gets N realistic legacy profiles (each of the 42
JSON fields an array of 5-30 short strings), then, in this order and in the same run:

- floor: one INSERT ... SELECT writing the rows the upgrade writes into the 29 list tables (same
  columns, same md5 ids and expressions) into one plain table without keys or indexes;
- upgrade to memory_normalized, then downgrade to memory_legacy (checked to give the profiles back
  exactly);
- the floor again. Ratios are to the mean of the two floors, which bracket the migration: on a
  shared machine the load drifts, and one floor taken before a long run may not be its baseline.
  The load average at the end of each size is printed for the same reason.

Targets: upgrade and downgrade within 2x the floor; time linear in N (5x the profiles, at most
6x the time). The data directory is on disk (tens of millions of rows do not belong in RAM), with
durability and autovacuum off for every step alike.

    .venv/bin/python -m scripts.bench_memory [--sizes 2000 10000 50000]
"""

import argparse
import contextlib
import itertools
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import alembic.command
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from app import embedded
from app.settings import PROJECT_ROOT

PHRASES = (
    "fear of failure", "conflict with my sister", "morning walks", "trouble sleeping",
    "people pleasing", "grief after my father died", "journaling before bed",
    "feeling unseen at work", "box breathing", "calling a friend", "perfectionism",
    "anger when criticised", "social media scrolling", "weekend hikes", "loneliness",
    "setting boundaries with my mother", "gratitude list", "overthinking at night",
    "imposter syndrome", "learning to rest",
)  # fmt: skip


@dataclass
class Result:
    profiles: int
    items: int
    floors: tuple[float, float]
    upgrade: float
    downgrade: float
    load: float

    @property
    def floor(self) -> float:
        return sum(self.floors) / len(self.floors)


def alembic_config(engine: Engine) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes.update(connection=engine, configure_logger=False)
    return config


def the_revision():
    """memory_normalized's module: the floor reuses its list spec and SQL expressions."""
    script = ScriptDirectory.from_config(Config(str(PROJECT_ROOT / "alembic.ini")))
    return script.get_revision("memory_normalized").module


def generate_profiles(engine: Engine, count: int, fields: list[str]) -> None:
    """N users with one profile each; field k of profile i holds 5-30 phrases."""
    phrases = "(ARRAY[" + ", ".join(f"'{phrase}'" for phrase in PHRASES) + "])"
    arrays = ",\n".join(
        f"""(SELECT jsonb_agg({phrases}[1 + (i * 7 + n * 13 + {k}) % {len(PHRASES)}] || ' ' || n)
             FROM generate_series(1, 5 + (i * 31 + {k} * 17) % 26) AS n)"""
        for k in range(len(fields))
    )
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO public.users (id) "
                "SELECT md5('bench-user:' || i)::uuid FROM generate_series(1, :n) AS i"
            ),
            {"n": count},
        )
        connection.execute(
            sa.text(
                f"""
                INSERT INTO memory.memory_profiles (id, user_id, awareness_level,
                    sleep_quality, created_at, updated_at, {", ".join(fields)})
                SELECT md5('bench-profile:' || i)::uuid, md5('bench-user:' || i)::uuid,
                       1 + i % 10, 'restless', now() - interval '90 days', now(),
                       {arrays}
                FROM generate_series(1, :n) AS i
                """
            ),
            {"n": count},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE memory.memory_profiles"))


def floor(engine: Engine, revision) -> tuple[float, int]:
    """One INSERT ... SELECT of the upgrade's list rows into one plain table."""
    fields = ", ".join(f"('{t.name}', p.{t.legacy_field})" for t in revision.LIST_TABLES)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "CREATE TABLE bench_floor (id uuid, user_id uuid, item text, position int, "
                "legacy_value jsonb, is_active boolean DEFAULT true, created_at timestamptz, "
                "updated_at timestamptz)"
            )
        )
    start = time.perf_counter()
    with engine.begin() as connection:
        rows = connection.execute(
            sa.text(
                f"""
                INSERT INTO bench_floor
                    (id, user_id, item, position, legacy_value, created_at, updated_at)
                SELECT md5(f.list || ':' || p.id || ':' || e.position)::uuid, p.user_id,
                       {revision.item_text("e.value")}, e.position,
                       CASE WHEN jsonb_typeof(e.value) <> 'string' THEN e.value END,
                       {revision.CREATED}, {revision.UPDATED}
                FROM memory.memory_profiles p
                CROSS JOIN LATERAL (VALUES {fields}) AS f(list, value)
                CROSS JOIN LATERAL jsonb_array_elements(
                    CASE jsonb_typeof(f.value) WHEN 'array' THEN f.value
                    ELSE jsonb_build_array(f.value) END
                ) WITH ORDINALITY AS e(value, position)
                WHERE jsonb_typeof(f.value) <> 'null'
                """
            )
        ).rowcount
    elapsed = time.perf_counter() - start
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE bench_floor"))
    return elapsed, rows


def without_autovacuum(server: embedded.EmbeddedServer) -> None:
    """A vacuum of freshly loaded tables would land in one measurement and not in another."""
    with contextlib.closing(server.connect()) as connection, connection.cursor() as cursor:
        cursor.execute("ALTER SYSTEM SET autovacuum = off")
        cursor.execute("SELECT pg_reload_conf()")


def checkpoint(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("CHECKPOINT"))


def profiles_digest(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(
            sa.text("SELECT sum(hashtextextended(p::text, 0)) FROM memory.memory_profiles p")
        )


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(server: embedded.EmbeddedServer, count: int, revision) -> Result:
    database = f"bench_memory_{count}"
    server.create_database(database)
    engine = sa.create_engine(server.url(database), poolclass=sa.NullPool)
    try:
        config = alembic_config(engine)
        alembic.command.upgrade(config, "memory_legacy")
        generate_profiles(engine, count, list(revision.LEGACY_FIELDS))
        digest = profiles_digest(engine)

        checkpoint(engine)
        floor_before, items = floor(engine, revision)
        checkpoint(engine)
        upgrade = timed(lambda: alembic.command.upgrade(config, "memory_normalized"))
        checkpoint(engine)
        downgrade = timed(lambda: alembic.command.downgrade(config, "memory_legacy"))
        assert profiles_digest(engine) == digest, "the downgrade changed the profiles"
        checkpoint(engine)
        floor_after, _ = floor(engine, revision)
        return Result(
            count, items, (floor_before, floor_after), upgrade, downgrade, os.getloadavg()[1]
        )
    finally:
        engine.dispose()
        with contextlib.closing(server.connect()) as connection, connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE "{database}"')


def report(results: list[Result]) -> None:
    print(
        f"{'profiles':>9} {'list rows':>11} {'floors s':>11} {'upgrade s':>10} {'x floor':>8} "
        f"{'rows/s':>10} {'downgrade s':>12} {'x floor':>8} {'rows/s':>10} {'load 5m':>8}"
    )
    for r in results:
        floors = "/".join(f"{f:.1f}" for f in r.floors)
        print(
            f"{r.profiles:>9} {r.items:>11} {floors:>11} {r.upgrade:>10.1f} "
            f"{r.upgrade / r.floor:>8.2f} {r.items / r.upgrade:>10,.0f} {r.downgrade:>12.1f} "
            f"{r.downgrade / r.floor:>8.2f} {r.items / r.downgrade:>10,.0f} {r.load:>8.2f}"
        )
    for small, large in itertools.pairwise(results):
        scale = large.profiles / small.profiles
        print(
            f"{small.profiles} -> {large.profiles} profiles (x{scale:g}): "
            f"floor x{large.floor / small.floor:.2f}, "
            f"upgrade x{large.upgrade / small.upgrade:.2f}, "
            f"downgrade x{large.downgrade / small.downgrade:.2f} (linear: x{scale:g}, "
            f"target at most x{1.2 * scale:g})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000, 50000])
    sizes = parser.parse_args().sizes

    workdir = Path(tempfile.mkdtemp(prefix="bench-memory-"))  # on disk, not /dev/shm
    server = embedded.start(workdir / "pgdata", delete_on_release=True)
    try:
        server.make_non_durable()
        without_autovacuum(server)
        revision = the_revision()
        print(f"data directory {workdir}, durability and autovacuum off")
        results = []
        for count in sizes:
            results.append(measure(server, count, revision))
            report(results[-1:])
        print()
        report(results)
    finally:
        server.release()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
