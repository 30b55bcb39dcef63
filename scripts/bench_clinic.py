"""The clinic context's rates: the transcript retention purge and audit log inserts.

Each figure is measured next to a baseline in the same run, on the same server (this machine is
shared and noisy, so the ratio is the figure to compare across runs):

- purge: `purge_voice_transcripts` (batches of --batch-size rows, a commit each) on a copy of
  --transcripts transcripts of which about half are older than 90 days; baseline: one plain
  `DELETE ... WHERE timestamp < now() - 90 days` on another copy of the same data.
- audit writer: `record_api_request` + commit, one request per transaction as the API middleware
  does; baseline: a plain INSERT + commit per row into an unpartitioned copy of audit_log without
  keys, indexes or checks.
- audit bulk: one INSERT ... SELECT of --audit-rows rows spread over two years (routing to monthly
  partitions, seven indexes, checks, the foreign key); baseline: the same into that bare copy.
- consent check: --consent-rows transcripts inserted with the consent trigger; baseline: the same
  with the trigger disabled.
- upgrade: `clinic_integration` on --legacy-rows legacy audit rows (the time writers wait);
  baseline: one full scan of the same table.

The server runs with its default durability, its data directory on disk (under /tmp: the
transcript copies take more than a gigabyte), and is removed afterwards.

    .venv/bin/python -m scripts.bench_clinic [--transcripts 1000000] [--requests 5000]
"""

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import alembic.command
import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy.orm import Session

from app import embedded
from app.queries.clinic import purge_voice_transcripts, record_api_request
from app.settings import PROJECT_ROOT

STAFF = (
    "INSERT INTO auth.sys_usuarios (nombre_usuario, password_hash, rol) "
    "VALUES ('dra.ibarra', '$2b$12$placeholder', 'Podologo') RETURNING id_usuario"
)
CONSENT = "INSERT INTO auth.voice_transcript_consents (id_usuario) VALUES (:user)"
# Sizes after the plan's estimate (~500 bytes a transcript); said evenly over the last 180 days.
TRANSCRIPTS = """
INSERT INTO auth.voice_transcripts (session_id, user_id, user_text, assistant_text, timestamp,
                                    langgraph_job_id)
SELECT 'voice-session-' || n / 20, :user, repeat('¿Quién es el siguiente paciente? ', 3),
       repeat('El siguiente paciente es Luis Pérez, a las 10:00, consultorio 2. ', 5),
       now() - (n * interval '180 days' / :rows), 'job-' || n / 20
FROM generate_series(1, :rows) AS n
"""
AUDIT_ROWS = """
INSERT INTO {table} (tabla_afectada, registro_id, accion, usuario_id, timestamp_accion,
                     username, session_id, method, endpoint, request_body, response_hash,
                     source_refs, ip_address)
SELECT 'pacientes', n, (ARRAY['READ', 'CREATE', 'UPDATE'])[1 + n % 3], :user,
       now() - (n * interval '730 days' / :rows), 'dra.ibarra', 'voice-session-' || n / 20,
       'GET', '/api/v1/pacientes/' || n, '{{"buscar": "' || repeat('p', 120) || '"}}',
       md5(n::text) || md5(n::text), jsonb_build_array(jsonb_build_object('job', n)),
       inet '10.0.0.0' + n % 250
FROM generate_series(1, :rows) AS n
"""
# The legacy shape's rows, spread over its thirteen months.
LEGACY_AUDIT_ROWS = """
INSERT INTO auth.audit_log (tabla_afectada, registro_id, accion, usuario_id, timestamp_accion,
                            datos_anteriores, datos_nuevos, ip_address)
SELECT 'pacientes', n, (ARRAY['INSERT', 'UPDATE', 'DELETE', 'LOGIN_EXITOSO'])[1 + n % 4], NULL,
       timestamptz '2024-12-01 00:00:00+00' + n * (interval '396 days' / :rows),
       jsonb_build_object('nombre', 'Ana', 'telefono', '555-0100'),
       jsonb_build_object('nombre', 'Ana María', 'telefono', '555-0100'), inet '10.0.0.7'
FROM generate_series(0, :rows - 1) AS n
"""
FULL_SCAN = "SELECT count(*) FROM auth.audit_log WHERE accion <> 'X' AND registro_id > 0"
AGE = "interval '90 days'"  # purge_voice_transcripts' default
REQUEST_BODY = '{"buscar": "' + "p" * 120 + '"}'
RESPONSE_BODY = b'{"id": 118, "nombre": "Luis P\xc3\xa9rez", "citas": []}' * 10


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


class Bench:
    def __init__(self, server: embedded.EmbeddedServer):
        self.server = server

    def engine(self, database: str) -> sa.Engine:
        return sa.create_engine(self.server.url(database), poolclass=sa.NullPool)

    def database(self, name: str, template: str | None = None) -> sa.Engine:
        with closing(self.server.connect()) as connection, connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(
                f'CREATE DATABASE "{name}"'
                + (f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else "")
            )
        return self.engine(name)

    def drop(self, engine: sa.Engine) -> None:
        engine.dispose()
        with closing(self.server.connect()) as connection, connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE "{engine.url.database}"')

    def record(self, what: str, rows: int, seconds: float, baseline: str, b_rows, b_seconds):
        """Print one line of the table: rows/s measured, the baseline's rows/s, their ratio."""
        rate, b_rate = rows / seconds, b_rows / b_seconds
        print(
            f"{what:<44}{rows:>9}{seconds:>8.2f}{rate:>10.0f}   "
            f"{b_rate:>15.0f}   {rate / b_rate:5.2f}  ({baseline})",
            flush=True,
        )


HEADER = f"{'measured':<44}{'rows':>9}{'s':>8}{'rows/s':>10}   baseline rows/s   ratio"


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes.update(connection=engine, configure_logger=False)
    alembic.command.upgrade(config, revision)


def migrate(engine: sa.Engine) -> int:
    upgrade(engine)
    with engine.begin() as connection:
        user = connection.scalar(sa.text(STAFF))
        connection.execute(sa.text(CONSENT), {"user": user})
    return user


def bench_consent_check(bench: Bench, engine: sa.Engine, user: int, rows: int) -> None:
    def insert() -> None:
        with engine.begin() as connection:
            connection.execute(sa.text(TRANSCRIPTS), {"user": user, "rows": rows})

    def empty() -> None:
        with engine.begin() as connection:
            connection.execute(sa.text("TRUNCATE auth.voice_transcripts"))

    checked, _ = timed(insert)
    empty()
    with engine.begin() as connection:
        connection.execute(
            sa.text("ALTER TABLE auth.voice_transcripts DISABLE TRIGGER require_consent")
        )
    unchecked, _ = timed(insert)
    empty()
    with engine.begin() as connection:
        connection.execute(
            sa.text("ALTER TABLE auth.voice_transcripts ENABLE TRIGGER require_consent")
        )
    bench.record(
        "transcript insert with consent check", rows, checked, "trigger disabled", rows, unchecked
    )


def bench_purge(bench: Bench, template: sa.Engine, user: int, rows: int, batch_size: int) -> None:
    with template.begin() as connection:
        connection.execute(sa.text(TRANSCRIPTS), {"user": user, "rows": rows})
    with template.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE auth.voice_transcripts"))
    template.dispose()

    baseline = bench.database("bench_purge_baseline", template=template.url.database)
    with baseline.begin() as connection:
        b_seconds, result = timed(
            lambda: connection.execute(
                sa.text(f"DELETE FROM auth.voice_transcripts WHERE timestamp < now() - {AGE}")
            )
        )
        b_rows = result.rowcount
    bench.drop(baseline)

    purged = bench.database("bench_purge", template=template.url.database)
    with Session(purged) as session:
        seconds, removed = timed(lambda: purge_voice_transcripts(session, batch_size=batch_size))
    bench.drop(purged)
    bench.record(
        f"purge of {rows:,} transcripts, batches of {batch_size:,}",
        removed,
        seconds,
        "one DELETE",
        b_rows,
        b_seconds,
    )


def bench_audit(bench: Bench, database: sa.Engine, user: int, requests: int, rows: int) -> None:
    engine = sa.create_engine(database.url)  # pooled, as a service's engine is
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE public.bench_flat_audit (LIKE auth.audit_log)"))
        # The months of the two years the bulk rows cover, as the scheduled maintenance makes them.
        connection.execute(
            sa.text(
                "SELECT auth.create_audit_log_partition(month::date) FROM generate_series("
                "now() - interval '731 days', now(), interval '1 month') AS month"
            )
        )
    flat = sa.table(
        "bench_flat_audit",
        *map(sa.column, ["id_log", "tabla_afectada", "accion", "usuario_id", "timestamp_accion",
                         "username", "session_id", "method", "endpoint", "request_body",
                         "response_hash"]),
        schema="public",
    )  # fmt: skip

    def write_through_the_writer() -> None:
        with Session(engine) as session:
            for n in range(requests):
                record_api_request(
                    session, method="GET", endpoint=f"/api/v1/pacientes/{n}",
                    tabla_afectada="pacientes", registro_id=n, usuario_id=user,
                    session_id=f"voice-session-{n // 20}", request_body=REQUEST_BODY,
                    response_body=RESPONSE_BODY, source_refs=[{"job": n}], ip_address="10.0.0.7",
                )  # fmt: skip
                session.commit()

    def write_plain_rows() -> None:
        with engine.connect() as connection:
            for n in range(requests):
                connection.execute(
                    flat.insert().values(
                        id_log=n, tabla_afectada="pacientes", accion="READ", usuario_id=user,
                        timestamp_accion=sa.func.now(), username="dra.ibarra",
                        session_id=f"voice-session-{n // 20}", method="GET",
                        endpoint=f"/api/v1/pacientes/{n}", request_body=REQUEST_BODY,
                        response_hash="0" * 64,
                    )
                )  # fmt: skip
                connection.commit()

    b_seconds, _ = timed(write_plain_rows)
    seconds, _ = timed(write_through_the_writer)
    bench.record("audit writer, a transaction per request", requests, seconds,
                 "plain INSERT into a bare table", requests, b_seconds)  # fmt: skip

    def bulk(table: str) -> Callable[[], None]:
        def insert() -> None:
            with engine.begin() as connection:
                connection.execute(
                    sa.text(AUDIT_ROWS.format(table=table)), {"user": user, "rows": rows}
                )

        return insert

    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "ALTER TABLE public.bench_flat_audit ALTER id_log ADD GENERATED ALWAYS AS IDENTITY"
            )
        )
    b_seconds, _ = timed(bulk("public.bench_flat_audit"))
    seconds, _ = timed(bulk("auth.audit_log"))
    bench.record("audit bulk INSERT ... SELECT over 2 years", rows, seconds,
                 "the same into a bare table", rows, b_seconds)  # fmt: skip
    partitions = sa.text(
        "SELECT count(*) FROM pg_inherits WHERE inhparent = 'auth.audit_log'::regclass"
    )
    with engine.connect() as connection:
        count = connection.scalar(partitions)
    print(f"  (audit_log had {count} partitions during the bulk insert)", flush=True)
    engine.dispose()


def bench_upgrade(bench: Bench, engine: sa.Engine, rows: int) -> None:
    upgrade(engine, "clinic_legacy")
    with engine.begin() as connection:
        connection.execute(sa.text(LEGACY_AUDIT_ROWS), {"rows": rows})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE auth.audit_log"))
        b_seconds, _ = timed(lambda: connection.execute(sa.text(FULL_SCAN)).scalar())
    seconds, _ = timed(lambda: upgrade(engine, "clinic_integration"))
    bench.record("clinic_integration upgrade (legacy rows)", rows, seconds,
                 "one full scan of audit_log", rows, b_seconds)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=5_000)
    parser.add_argument("--audit-rows", type=int, default=1_000_000)
    parser.add_argument("--consent-rows", type=int, default=200_000)
    parser.add_argument("--legacy-rows", type=int, default=2_000_000)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-clinic-", dir="/tmp"))
    server = embedded.start(workdir / "pgdata", delete_on_release=True)
    try:
        bench = Bench(server)
        print(f"data directory {workdir}, default durability\n\n{HEADER}", flush=True)
        engine = bench.database("bench_clinic")
        user = migrate(engine)
        bench_consent_check(bench, engine, user, args.consent_rows)
        bench_audit(bench, engine, user, args.requests, args.audit_rows)
        bench.drop(engine)

        legacy = bench.database("bench_upgrade")
        bench_upgrade(bench, legacy, args.legacy_rows)
        bench.drop(legacy)

        template = bench.database("bench_transcripts")
        user = migrate(template)
        bench_purge(bench, template, user, args.transcripts, args.batch_size)
        bench.drop(template)
    finally:
        server.release()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
