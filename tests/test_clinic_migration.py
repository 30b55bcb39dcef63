"""clinic_integration as seed 003's plan verifies it, and its round trip with audit rows spread
over fifty years: no audit row is lost by any upgrade or downgrade."""

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tests.support import downgrade, upgrade

pytestmark = pytest.mark.calendar  # the upgrade makes partitions from the month it runs in

NEW_COLUMNS = [
    "username",
    "session_id",
    "method",
    "endpoint",
    "request_body",
    "response_hash",
    "source_refs",
    "note",
]


def query(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql))]


# -- the plan's verification queries --------------------------------------------------------------


def test_plan_check_audit_log_columns(engine: Engine):
    columns = query(
        engine,
        """
        SELECT 'audit_log columns' as check_type,
               column_name, data_type
        FROM information_schema.columns
        WHERE table_schema = 'auth'
          AND table_name = 'audit_log'
        ORDER BY ordinal_position
        """,
    )
    assert [(name, type_) for _, name, type_ in columns] == [
        ("id_log", "bigint"),
        ("tabla_afectada", "text"),
        ("registro_id", "bigint"),
        ("accion", "text"),
        ("usuario_id", "bigint"),
        ("timestamp_accion", "timestamp with time zone"),
        ("datos_anteriores", "jsonb"),
        ("datos_nuevos", "jsonb"),
        ("ip_address", "inet"),
        ("username", "character varying"),
        ("session_id", "character varying"),
        ("method", "character varying"),
        ("endpoint", "character varying"),
        ("request_body", "text"),
        ("response_hash", "character varying"),
        ("source_refs", "jsonb"),
        ("note", "text"),
    ]


def test_plan_check_voice_transcripts_table(engine: Engine):
    assert query(
        engine,
        """
        SELECT 'voice_transcripts table' as check_type,
               count(*) as row_count
        FROM auth.voice_transcripts
        """,
    ) == [("voice_transcripts table", 0)]


def test_plan_validation_audit_log_enhancements(engine: Engine):
    assert query(
        engine,
        """
        SELECT
            column_name,
            data_type,
            is_nullable
        FROM information_schema.columns
        WHERE table_schema = 'auth'
            AND table_name = 'audit_log'
            AND column_name IN ('username', 'session_id', 'method', 'endpoint',
                                'request_body', 'response_hash', 'source_refs', 'note')
        ORDER BY column_name
        """,
    ) == [
        ("endpoint", "character varying", "YES"),
        ("method", "character varying", "YES"),
        ("note", "text", "YES"),
        ("request_body", "text", "YES"),
        ("response_hash", "character varying", "YES"),
        ("session_id", "character varying", "YES"),
        ("source_refs", "jsonb", "YES"),
        ("username", "character varying", "YES"),
    ]


def test_plan_validation_voice_transcripts_exists(engine: Engine):
    assert query(
        engine,
        """
        SELECT
            table_name,
            table_type
        FROM information_schema.tables
        WHERE table_schema = 'auth'
            AND table_name = 'voice_transcripts'
        """,
    ) == [("voice_transcripts", "BASE TABLE")]


def test_plan_validation_indexes(engine: Engine):
    assert query(
        engine,
        """
        SELECT
            indexname,
            tablename
        FROM pg_indexes
        WHERE schemaname = 'auth'
            AND (tablename = 'audit_log' OR tablename = 'voice_transcripts')
        ORDER BY tablename, indexname
        """,
    ) == [
        ("idx_audit_log_endpoint", "audit_log"),
        ("idx_audit_log_session", "audit_log"),
        ("idx_audit_log_username", "audit_log"),
        ("ix_audit_log_tabla_afectada_registro_id", "audit_log"),
        ("ix_audit_log_timestamp_accion", "audit_log"),
        ("ix_audit_log_usuario_id", "audit_log"),
        ("pk_audit_log", "audit_log"),
        ("idx_voice_transcripts_session", "voice_transcripts"),
        ("idx_voice_transcripts_timestamp", "voice_transcripts"),
        ("idx_voice_transcripts_user", "voice_transcripts"),
        ("pk_voice_transcripts", "voice_transcripts"),
    ]


# -- up, down, up ---------------------------------------------------------------------------------

LEGACY_ACTIONS = (
    "ARRAY['INSERT', 'UPDATE', 'DELETE', 'LOGIN_EXITOSO', 'LOGIN_FALLIDO', "
    "'LOGIN_USUARIO_INACTIVO', 'LOGOUT', 'PASSWORD_CHANGE']"
)
# 2,000 rows over the thirteen legacy months, every legacy accion.
LEGACY_ROWS = f"""
INSERT INTO auth.audit_log (tabla_afectada, registro_id, accion, usuario_id, timestamp_accion,
                            datos_anteriores, datos_nuevos, ip_address)
SELECT 'pacientes', n, ({LEGACY_ACTIONS})[1 + n % 8], CASE WHEN n % 3 > 0 THEN 1 END,
       timestamptz '2024-12-01 00:00:00+00' + (n - 1) * (interval '396 days' / 2000),
       CASE WHEN n % 2 = 0 THEN jsonb_build_object('n', n) END,
       jsonb_build_object('n', n, 'tags', jsonb_build_array('a', n)),
       CASE WHEN n % 5 > 0 THEN inet '10.0.0.0' + n END
FROM generate_series(1, 2000) AS n
"""
# 600 API requests from 1995 to 2045 after the upgrade: every accion, some without a record.
API_ROWS = """
INSERT INTO auth.audit_log (tabla_afectada, registro_id, accion, usuario_id, timestamp_accion,
                            username, session_id, method, endpoint, request_body,
                            response_hash, source_refs, note)
SELECT 'pacientes', CASE WHEN n % 7 > 0 THEN n END,
       (ARRAY['INSERT', 'UPDATE', 'DELETE', 'LOGIN_EXITOSO', 'LOGIN_FALLIDO',
              'LOGIN_USUARIO_INACTIVO', 'LOGOUT', 'PASSWORD_CHANGE', 'CREATE', 'READ'])[1 + n % 10],
       1, timestamptz '1995-01-01 00:00:00+00' + n * interval '30 days 10 hours',
       'ana.lopez', 'session-' || n % 13, 'GET', '/api/v1/pacientes/' || n, '{"q": ' || n || '}',
       md5(n::text) || md5(n::text), jsonb_build_array(n), CASE WHEN n % 4 = 0 THEN 'note' END
FROM generate_series(1, 600) AS n
"""
STAFF = (
    "INSERT INTO auth.sys_usuarios (nombre_usuario, password_hash, rol) "
    "VALUES ('ana.lopez', 'x', 'Recepcion')"
)
FITS_LEGACY = (
    "accion = ANY(" + LEGACY_ACTIONS + ") AND registro_id IS NOT NULL "
    "AND timestamp_accion >= '2024-12-01 00:00:00+00' "
    "AND timestamp_accion < '2026-01-01 00:00:00+00'"
)


def audit_rows(connection: Connection, table: str = "auth.audit_log", where: str = "true"):
    """Every row of `table` as JSON, by key."""
    return (
        connection.execute(
            sa.text(f"SELECT to_jsonb(a) FROM {table} a WHERE {where} ORDER BY id_log")
        )
        .scalars()
        .all()
    )


def without_new_columns(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in NEW_COLUMNS} for row in rows]


def test_audit_rows_over_fifty_years_survive_up_down_up(databases):
    with databases.at("clinic_legacy") as engine:
        with engine.begin() as connection:
            connection.execute(sa.text(STAFF))
            connection.execute(sa.text(LEGACY_ROWS))
            legacy = audit_rows(connection)
        months = query(engine, "SELECT count(DISTINCT tableoid) FROM auth.audit_log")
        assert months == [(13,)]

        upgrade(engine, "clinic_integration")
        with engine.begin() as connection:
            assert without_new_columns(audit_rows(connection)) == legacy
            connection.execute(sa.text(API_ROWS))
            at_head = audit_rows(connection)
            cannot_fit = audit_rows(connection, where=f"NOT ({FITS_LEGACY})")
            fits = audit_rows(connection, where=FITS_LEGACY)
        assert len(at_head) == 2600 and len(legacy) < len(fits) < 2600

        downgrade(engine, "clinic_legacy")
        with engine.connect() as connection:
            assert audit_rows(connection) == without_new_columns(fits)
            assert audit_rows(connection, "auth.audit_log_overflow") == cannot_fit

        upgrade(engine, "clinic_integration")
        with engine.connect() as connection:
            back = audit_rows(connection)
            overflow = connection.scalar(sa.text("SELECT to_regclass('auth.audit_log_overflow')"))
        assert overflow is None
        # Every row is back; what only the new columns said of rows that stayed is what was lost.
        assert without_new_columns(back) == without_new_columns(at_head)
        lost = {row["id_log"] for row in fits} - {row["id_log"] for row in legacy}
        assert [row for row in back if row["id_log"] not in lost] == [
            row for row in at_head if row["id_log"] not in lost
        ]
        assert all(
            row[column] is None for row in back if row["id_log"] in lost for column in NEW_COLUMNS
        )


def test_new_ids_continue_after_legacy_ids_loaded_with_their_own_values(databases):
    with databases.at("clinic_legacy") as engine:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO auth.audit_log (id_log, tabla_afectada, registro_id, accion, "
                    "timestamp_accion) VALUES (500000, 'pacientes', 1, 'INSERT', '2025-01-01Z')"
                )
            )
        upgrade(engine, "clinic_integration")
        with engine.begin() as connection:
            new_id = connection.scalar(
                sa.text(
                    "INSERT INTO auth.audit_log (tabla_afectada, accion) "
                    "VALUES ('pacientes', 'READ') RETURNING id_log"
                )
            )
        assert new_id == 500001
