"""Part 6: `therapy-db import` against a plain COPY of the same tables between the same databases.

The source is a source system's own database (its DDL from tests/support/system_ddl/) filled to a
size; the import and the floor each run in a process of their own, which reports its seconds and
its peak memory. The floor copies every source table, COPY TO STDOUT into COPY FROM STDIN, into
bare tables of the same columns (no keys, no rules, no staging): what moving the bytes costs at the
least. The import also stages, classifies and places every row, and builds the legacy shape.
"""

import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass

import psycopg
import sqlalchemy as sa

from scripts.bench.server import BenchServer
from tests.support.sources import DDL

# The clinic's audit rows (the clinic is the largest of the five by rows): staff and clinics
# are few, the audit log many, over the months its own DDL partitions.
CLINIC_ROWS = """
INSERT INTO auth.clinicas (nombre, rfc)
SELECT 'Clínica ' || n, 'RFC' || n FROM generate_series(1, 10) n;
INSERT INTO auth.sys_usuarios (nombre_usuario, password_hash, rol, clinica_id)
SELECT 'staff.' || n, '$2b$12$hash', 'Podologo', 1 + n % 10 FROM generate_series(1, 200) n;
INSERT INTO auth.audit_log (tabla_afectada, registro_id, accion, usuario_id, timestamp_accion,
                            datos_anteriores, datos_nuevos, ip_address)
SELECT 'pacientes', n, (ARRAY['INSERT', 'UPDATE', 'DELETE', 'LOGIN_EXITOSO'])[1 + n % 4],
       1 + n % 200, timestamptz '2024-12-01 00:00:00+00' + n * (interval '450 days' / {rows}),
       CASE WHEN n % 2 = 0 THEN jsonb_build_object('nombre', 'Ana', 'n', n) END,
       jsonb_build_object('nombre', 'Ana María', 'alergias', jsonb_build_array('látex'), 'n', n),
       inet '10.0.0.0' + n % 250
FROM generate_series(1, {rows}) n;
"""
SIZES = (100_000, 1_000_000)
TABLES = ("auth.clinicas", "auth.sys_usuarios", "auth.audit_log")


@dataclass(frozen=True)
class Measured:
    rows: int
    seconds: float
    peak_rss_mb: float
    floor_seconds: float
    floor_peak_rss_mb: float

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor_seconds


def measure(server: BenchServer, sizes: tuple[int, ...] = SIZES, runs: int = 3) -> list[Measured]:
    results = []
    for rows in sizes:
        source = server.create("bench_import_source")
        with source.begin() as connection:
            connection.connection.cursor().execute((DDL / "clinic.sql").read_text())
            connection.connection.cursor().execute(CLINIC_ROWS.format(rows=rows))
        source.dispose()
        total = rows + 210
        samples, floors = [], []
        for _ in range(runs):
            server.create("bench_import_target").dispose()
            server.checkpoint()
            samples.append(_child(server, "import"))
            server.create("bench_import_target").dispose()
            server.checkpoint()
            floors.append(_child(server, "floor"))
        server.drop("bench_import_target")
        server.drop("bench_import_source")
        median = sorted(samples, key=lambda s: s["seconds"])[len(samples) // 2]
        floor = sorted(floors, key=lambda s: s["seconds"])[len(floors) // 2]
        results.append(
            Measured(total, median["seconds"], median["peak_rss_mb"], floor["seconds"],
                     floor["peak_rss_mb"])
        )  # fmt: skip
    return results


def _child(server: BenchServer, mode: str) -> dict:
    source = server.url("bench_import_source").render_as_string(hide_password=False)
    target = server.url("bench_import_target").render_as_string(hide_password=False)
    result = subprocess.run(
        [sys.executable, "-m", "scripts.bench.imports", mode, source, target],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _import(source: str, target: str) -> None:
    from app.operations import imports
    from app.runtime import db

    engine = db.create_engine(target, poolclass=sa.NullPool)
    report = imports.run("clinic", source, engine)
    assert all(table.set_aside == 0 for table in report.tables)
    engine.dispose()


def _floor(source: str, target: str) -> None:
    """COPY of the same tables into bare tables of the same columns, one transaction."""
    plain = [url.replace("postgresql+psycopg2", "postgresql") for url in (source, target)]
    with psycopg.connect(plain[0]) as reader, psycopg.connect(plain[1]) as writer:
        writer.execute("CREATE SCHEMA auth")
        for table in TABLES:
            columns = reader.execute(
                "SELECT string_agg(format('%%I %%s', attname, format_type(atttypid, atttypmod)), "
                "', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = %s::regclass "
                "AND attnum > 0 AND NOT attisdropped",
                (table,),
            ).fetchone()[0]
            writer.execute(f"CREATE TABLE {table} ({columns})")
            with (
                reader.cursor().copy(f"COPY (SELECT * FROM {table}) TO STDOUT") as out,
                writer.cursor().copy(f"COPY {table} FROM STDIN") as into,
            ):
                for block in out:
                    into.write(block)


if __name__ == "__main__":
    mode, source_url, target_url = sys.argv[1:4]
    started = time.perf_counter()
    {"import": _import, "floor": _floor}[mode](source_url, target_url)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak}))
