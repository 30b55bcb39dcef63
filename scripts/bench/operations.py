"""Part 5: the clinic's recurring operations, each against the plain statement it improves on.

- retention: `purge_voice_transcripts` (batches of 5,000 rows, a commit each) on transcripts of
  which half are older than 90 days, against one `DELETE ... WHERE timestamp < now() - 90 days`
  on a copy of the same data;
- the audit writer: `record_api_request` + commit, one request per transaction as the API
  middleware does, against a plain INSERT + commit per row into a bare copy of audit_log (no
  keys, indexes or checks);
- the consent check: transcripts inserted with the consent trigger, against the same insert with
  the trigger disabled.
"""

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.runtime.queries.clinic import purge_voice_transcripts, record_api_request
from scripts.bench.server import BenchServer
from tests.support import upgrade

TRANSCRIPTS = 100_000
REQUESTS = 1_000
BATCH = 5_000

STAFF = (
    "INSERT INTO auth.sys_usuarios (nombre_usuario, password_hash, rol) "
    "VALUES ('dra.ibarra', '$2b$12$placeholder', 'Podologo') RETURNING id_usuario"
)
CONSENT = "INSERT INTO auth.voice_transcript_consents (id_usuario) VALUES (:user)"
# About 500 bytes a transcript (the plan's estimate), said evenly over the last 180 days.
INSERT_TRANSCRIPTS = """
INSERT INTO auth.voice_transcripts (session_id, user_id, user_text, assistant_text, timestamp,
                                    langgraph_job_id)
SELECT 'voice-session-' || n / 20, :user, repeat('¿Quién es el siguiente paciente? ', 3),
       repeat('El siguiente paciente es Luis Pérez, a las 10:00, consultorio 2. ', 5),
       now() - (n * interval '180 days' / :rows), 'job-' || n / 20
FROM generate_series(1, :rows) AS n
"""
REQUEST_BODY = '{"buscar": "' + "p" * 120 + '"}'
RESPONSE_BODY = b'{"id": 118, "nombre": "Luis P\xc3\xa9rez", "citas": []}' * 10


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def measure_operations(server: BenchServer, runs: int) -> dict[str, list[tuple]]:
    """Per operation, each run's (seconds, rows, baseline seconds, baseline rows)."""
    template = server.create("bench_clinic")
    upgrade(template, "head")
    with template.begin() as connection:
        user = connection.scalar(sa.text(STAFF))
        connection.execute(sa.text(CONSENT), {"user": user})
        connection.execute(sa.text("CREATE TABLE public.bench_plain_audit (LIKE auth.audit_log)"))
    template.dispose()

    results: dict[str, list[tuple]] = {"purge": [], "writer": [], "consent": []}
    for _ in range(runs):
        with server.clone("bench_clinic", "bench_clinic_run") as engine:
            results["consent"].append(consent_check(engine, user))
            results["purge"].append(purge(server, engine, user))
            results["writer"].append(audit_writer(engine, user))
    server.drop("bench_clinic")
    return results


def consent_check(engine: sa.Engine, user: int) -> tuple:
    def insert() -> int:
        with engine.begin() as connection:
            return connection.execute(
                sa.text(INSERT_TRANSCRIPTS), {"user": user, "rows": TRANSCRIPTS}
            ).rowcount

    checked, rows = timed(insert)
    with engine.begin() as connection:
        connection.execute(sa.text("TRUNCATE auth.voice_transcripts"))
        connection.execute(
            sa.text("ALTER TABLE auth.voice_transcripts DISABLE TRIGGER require_consent")
        )
    unchecked, _ = timed(insert)
    with engine.begin() as connection:
        connection.execute(
            sa.text("ALTER TABLE auth.voice_transcripts ENABLE TRIGGER require_consent")
        )
    return checked, rows, unchecked, rows


def purge(server: BenchServer, engine: sa.Engine, user: int) -> tuple:
    """On the transcripts consent_check left, and on a copy of them for the baseline."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE auth.voice_transcripts"))
    engine.dispose()
    with server.clone(engine.url.database, "bench_clinic_copy") as copy, copy.begin() as connection:
        b_seconds, result = timed(
            lambda: connection.execute(
                sa.text("DELETE FROM auth.voice_transcripts WHERE timestamp < now() - interval "
                        "'90 days'")
            )
        )  # fmt: skip
        b_rows = result.rowcount
    with Session(engine) as session:
        seconds, removed = timed(lambda: purge_voice_transcripts(session, batch_size=BATCH))
    return seconds, removed, b_seconds, b_rows


def audit_writer(engine: sa.Engine, user: int) -> tuple:
    pooled = sa.create_engine(engine.url)  # as a service holds its connections
    plain = sa.table(
        "bench_plain_audit",
        *map(sa.column, ["id_log", "tabla_afectada", "accion", "usuario_id", "timestamp_accion",
                         "username", "session_id", "method", "endpoint", "request_body",
                         "response_hash"]),
        schema="public",
    )  # fmt: skip

    def through_the_writer() -> None:
        with Session(pooled) as session:
            for n in range(REQUESTS):
                record_api_request(
                    session, method="GET", endpoint=f"/api/v1/pacientes/{n}",
                    tabla_afectada="pacientes", registro_id=n, usuario_id=user,
                    session_id=f"voice-session-{n // 20}", request_body=REQUEST_BODY,
                    response_body=RESPONSE_BODY, source_refs=[{"job": n}], ip_address="10.0.0.7",
                )  # fmt: skip
                session.commit()

    def plain_rows() -> None:
        with pooled.connect() as connection:
            for n in range(REQUESTS):
                connection.execute(
                    plain.insert().values(
                        id_log=n, tabla_afectada="pacientes", accion="READ", usuario_id=user,
                        timestamp_accion=sa.func.now(), username="dra.ibarra",
                        session_id=f"voice-session-{n // 20}", method="GET",
                        endpoint=f"/api/v1/pacientes/{n}", request_body=REQUEST_BODY,
                        response_hash="0" * 64,
                    )
                )  # fmt: skip
                connection.commit()

    b_seconds, _ = timed(plain_rows)
    seconds, _ = timed(through_the_writer)
    pooled.dispose()
    return seconds, REQUESTS, b_seconds, REQUESTS
