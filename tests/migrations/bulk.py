"""Data in bulk for the revisions that move it, loaded with set-based SQL: enough rows that each
data statement of a revision runs long enough to be caught in the middle (tests/scale.py sizes).

The memory, coaching and clinic rows are the benchmarks' own (tests/support/data.py): memory
profiles whose 42 JSON fields hold 5-30 phrases each, MVP conversations with messy metadata,
legacy audit rows over the thirteen legacy months; then API requests of the last two years (most
of which the legacy audit log cannot hold).
"""

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.migrations.data.memory import legacy_memory, new_shape_memory
from tests.scale import size
from tests.support import downgrade, upgrade
from tests.support.data import CLINIC, COACHING, load
from tests.support.data import memory_profiles as bench_memory_profiles

CONVERSATIONS = size(ci=3_000, soak=100_000)  # four messages each
AUDIT = size(ci=15_000, soak=500_000)  # legacy rows; half as many API requests
THERAPY_SESSIONS = size(ci=1_500, soak=50_000)  # eight messages each
MEMORY_PROFILES = size(ci=100, soak=1_000)  # about 740 list items each

# API requests, written after clinic_integration by the first member of staff.
API_REQUESTS = """
INSERT INTO auth.audit_log (tabla_afectada, registro_id, accion, usuario_id, timestamp_accion,
                            username, session_id, method, endpoint, request_body, response_hash,
                            source_refs, ip_address)
SELECT 'pacientes', n, (ARRAY['READ', 'CREATE', 'UPDATE'])[1 + n % 3],
       (SELECT min(id_usuario) FROM auth.sys_usuarios),
       now() - (n * interval '730 days' / :rows), 'dra.ibarra', 'voice-session-' || n / 20,
       'GET', '/api/v1/pacientes/' || n, '{"buscar": "' || repeat('p', 120) || '"}',
       md5(n::text) || md5(n::text), jsonb_build_array(jsonb_build_object('job', n)),
       inet '10.0.0.0' + n % 250
FROM generate_series(1, :rows) AS n
"""

# Legacy log rows loaded with their ids, as a restore would; then 3NF sessions and messages.
THERAPY_LOGS = """
INSERT INTO therapy.conversation_logs (id, session_id, role, message_type, message, extras,
                                       created_at)
SELECT n * 3, 'web-chat-' || n / 10, (ARRAY['user', 'assistant'])[1 + n % 2], 'chat',
       'Logged message ' || n, jsonb_build_object('n', n),
       timestamptz '2024-06-01 00:00:00+00' + n * interval '1 minute'
FROM generate_series(1, :logs) n
"""
THERAPY_SESSIONS_SQL = """
INSERT INTO therapy.therapy_sessions (session_id, user_id, session_name, status, created_at,
                                      updated_at, ended_at)
SELECT md5('bulk-session:' || n)::uuid, NULL, 'Session ' || n, 'ended', started, started,
       started + interval '40 minutes'
FROM generate_series(1, :sessions) n
CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01Z' + n * interval '1 hour' AS started) s
"""
THERAPY_MESSAGES = """
INSERT INTO therapy.messages (session_id, role, message_type, content, content_redacted, metadata,
                              created_at)
SELECT s.session_id, (ARRAY['user', 'assistant'])[1 + p % 2], 'voice',
       'I told Dr. Lee about my sister, message ' || p,
       'I told [REDACTED] about [REDACTED], message ' || p,
       jsonb_build_object('duration_ms', p * 700, 'voice', 'alloy'),
       s.created_at + p * interval '30 seconds'
FROM therapy.therapy_sessions s CROSS JOIN generate_series(1, 8) p
"""


def run_sql(engine: Engine, sql: str, **params) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text(sql), params)


def analyze(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE"))


def therapy_logs(engine: Engine) -> None:
    """At therapy_legacy: the old app's log."""
    run_sql(engine, THERAPY_LOGS, logs=THERAPY_SESSIONS)


def therapy_3nf_rows(engine: Engine) -> None:
    """At therapy_3nf: sessions and their messages, which its downgrade folds into the log."""
    run_sql(engine, THERAPY_SESSIONS_SQL, sessions=THERAPY_SESSIONS)
    run_sql(engine, THERAPY_MESSAGES)
    analyze(engine)


def memory_profiles(engine: Engine) -> None:
    """At memory_legacy: the benchmark's profiles, and the round-trip harness's legacy memory
    (unusual JSON, a user with two profiles, a profile and conversations nobody can own)."""
    load(engine, bench_memory_profiles(), MEMORY_PROFILES)
    with engine.begin() as connection:
        legacy_memory(connection)


def memory_normalized_rows(engine: Engine) -> None:
    """At memory_normalized: a user whose memory exists only in the normalized tables."""
    with engine.begin() as connection:
        new_shape_memory(connection)


def coaching_mvp(engine: Engine) -> None:
    """At coaching_phase1: the MVP's conversations and messages."""
    load(engine, COACHING, CONVERSATIONS)


def clinic_with_overflow(engine: Engine) -> None:
    """At clinic_legacy: legacy audit rows, and the API requests a clinic_integration downgrade
    kept in auth.audit_log_overflow (its next upgrade moves them back)."""
    load(engine, CLINIC, AUDIT)
    upgrade(engine, "clinic_integration")
    run_sql(engine, API_REQUESTS, rows=AUDIT // 2)
    downgrade(engine, "clinic_legacy")
    analyze(engine)
