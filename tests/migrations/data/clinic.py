"""Round-trip data of the clinic context (schema `auth`): a clinic, its staff and audit rows in
every legacy month; then API requests (some the legacy shape cannot hold), consent, transcripts."""

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from tests.migrations.roundtrip import (
    after_downgrade,
    after_upgrade,
    insert_after_upgrade,
    kept_by_downgrade,
)

CLINIC = {
    "id_clinica": 7001,
    "nombre": "Clínica Podológica del Centro",
    "rfc": "CPC010101AB1",
    "activa": True,
    "created_at": "2024-11-02T15:00:00+00:00",
}
ADMIN, PODOLOGA, RECEPCION = 7001, 7002, 7003
STAFF = [
    {
        "id_usuario": ADMIN,
        "nombre_usuario": "admin.centro",
        "password_hash": "$2b$12$adminHashPlaceholder",
        "rol": "Admin",
        "activo": True,
        "clinica_id": 7001,
        "email": "admin@centro.example",
        "last_login": "2025-12-30T08:00:00+00:00",
        "failed_login_attempts": 0,
        "locked_until": None,
        "created_at": "2024-11-02T15:05:00+00:00",
    },
    {
        "id_usuario": PODOLOGA,
        "nombre_usuario": "dra.ibarra",
        "password_hash": "$2b$12$podologaHashPlaceholder",
        "rol": "Podologo",
        "activo": True,
        "clinica_id": 7001,
        "email": None,
        "last_login": None,
        "failed_login_attempts": 2,
        "locked_until": None,
        "created_at": "2024-11-03T10:00:00+00:00",
    },
    {
        "id_usuario": RECEPCION,
        "nombre_usuario": "recepcion1",
        "password_hash": "$2b$12$recepcionHashPlaceholder",
        "rol": "Recepcion",
        "activo": False,
        "clinica_id": None,
        "email": "recepcion@centro.example",
        "last_login": "2025-02-01T12:00:00+00:00",
        "failed_login_attempts": 5,
        "locked_until": "2025-02-01T12:30:00+00:00",
        "created_at": "2024-11-03T10:05:00+00:00",
    },
]

LEGACY_ACTIONS = [
    "INSERT",
    "UPDATE",
    "DELETE",
    "LOGIN_EXITOSO",
    "LOGIN_FALLIDO",
    "LOGIN_USUARIO_INACTIVO",
    "LOGOUT",
    "PASSWORD_CHANGE",
]
LEGACY_MONTHS = ["2024-12", *(f"2025-{month:02d}" for month in range(1, 13))]
# Two rows in every legacy month, the first at its very first instant; every legacy accion.
LEGACY_AUDIT = [
    {
        "id_log": 7001 + 2 * index + late,
        "tabla_afectada": "sys_usuarios" if late else "pacientes",
        "registro_id": 100 + index,
        "accion": LEGACY_ACTIONS[(2 * index + late) % len(LEGACY_ACTIONS)],
        "usuario_id": [ADMIN, PODOLOGA, None][index % 3],
        "timestamp_accion": f"{month}-28T23:59:59.999999+00:00"
        if late
        else f"{month}-01T00:00:00+00:00",
        "datos_anteriores": {"nombre": "Ana", "telefono": None} if late else None,
        "datos_nuevos": {"nombre": "Ana María", "alergias": ["látex"]},
        "ip_address": "10.0.0.7" if index % 2 else "2001:db8::7",
    }
    for index, month in enumerate(LEGACY_MONTHS)
    for late in (0, 1)
]
LEGACY_COLUMNS = list(LEGACY_AUDIT[0])

# One request to the clinic API, as the voice frontend audits it.
API_REQUEST = {
    **LEGACY_AUDIT[0],
    "tabla_afectada": "pacientes",
    "usuario_id": PODOLOGA,
    "datos_anteriores": None,
    "datos_nuevos": None,
    "username": "dra.ibarra",
    "session_id": "voice-session-42",
    "method": "GET",
    "endpoint": "/api/v1/pacientes/118",
    "request_body": None,
    "response_hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "source_refs": [{"tool": "langgraph", "job": "job-9"}],
    "note": None,
}
NEW_COLUMNS = [name for name in API_REQUEST if name not in LEGACY_COLUMNS]
AUDIT_COLUMNS = LEGACY_COLUMNS + NEW_COLUMNS


def api_request(**values) -> dict:
    return {**API_REQUEST, **values}


# A legacy accion, a record, a legacy month: after a downgrade it stays, without its new columns.
FITS_LEGACY = api_request(
    id_log=7101, accion="UPDATE", method="PATCH", registro_id=118,
    timestamp_accion="2025-06-10T10:00:00+00:00",
)  # fmt: skip
# These cannot fit the legacy shape; after a downgrade they are kept whole, aside.
CANNOT_FIT = [
    api_request(id_log=7102, accion="READ", registro_id=118,
                timestamp_accion="2026-11-20T09:30:00+00:00"),
    api_request(id_log=7103, accion="CREATE", method="POST", registro_id=119,
                timestamp_accion="2031-02-01T00:00:00+00:00", request_body='{"nombre": "Luis"}',
                note="dated ahead by a skewed clock"),
    api_request(id_log=7104, accion="LOGIN_EXITOSO", method="POST", registro_id=None,
                endpoint="/api/v1/auth/login", timestamp_accion="2025-07-01T08:00:00+00:00"),
    api_request(id_log=7105, accion="INSERT", method="POST", registro_id=120,
                timestamp_accion="2019-03-03T03:03:03+00:00", note="imported from paper"),
]  # fmt: skip

TRANSCRIPTS = [
    {
        "id_transcript": 7001 + n,
        "session_id": "voice-session-42",
        "user_id": PODOLOGA,
        "user_text": said,
        "assistant_text": answered,
        "timestamp": f"2026-11-20T09:3{n}:00+00:00",
        "langgraph_job_id": "job-9",
        "created_at": f"2026-11-20T09:3{n}:01+00:00",
    }
    for n, (said, answered) in enumerate(
        [("¿Quién es el siguiente paciente?", "Luis Pérez, a las 10:00."), ("Gracias", None)]
    )
]

JSON = JSONB(none_as_null=True)
clinicas = sa.table("clinicas", *map(sa.column, CLINIC), schema="auth")
sys_usuarios = sa.table("sys_usuarios", *map(sa.column, STAFF[0]), schema="auth")
legacy_audit_log = sa.table(
    "audit_log",
    *(sa.column(name, JSON if name.startswith("datos") else None) for name in LEGACY_COLUMNS),
    schema="auth",
)
voice_transcripts = sa.table("voice_transcripts", *map(sa.column, TRANSCRIPTS[0]), schema="auth")
# id_log is GENERATED ALWAYS at head: keeping these ids (to find the rows again) needs OVERRIDING.
insert_audit_rows = sa.text(
    f"INSERT INTO auth.audit_log ({', '.join(AUDIT_COLUMNS)}) OVERRIDING SYSTEM VALUE "
    f"VALUES ({', '.join(':' + name for name in AUDIT_COLUMNS)})"
).bindparams(
    *(
        sa.bindparam(name, type_=JSON)
        for name in ("datos_anteriores", "datos_nuevos", "source_refs")
    )
)


def assert_audit_rows(connection: Connection, table: str, expected: list[dict], columns: list):
    """The rows of `table` with the expected rows' id_log hold exactly their `columns`' values."""
    connection.execute(sa.text("SET LOCAL TIME ZONE 'UTC'"))  # timestamps render as registered
    fields = ", ".join(f"'{name}', {name}" for name in columns)
    found = connection.execute(
        sa.text(
            f"SELECT id_log, jsonb_build_object({fields}) FROM {table} WHERE id_log = ANY(:ids)"
        ),
        {"ids": [row["id_log"] for row in expected]},
    )
    assert dict(found.all()) == {row["id_log"]: {c: row[c] for c in columns} for row in expected}


def refusal(connection: Connection, statement: str, **params) -> str:
    """The error PostgreSQL gives for `statement` (in a savepoint, so the check goes on)."""
    with pytest.raises(DBAPIError) as error, connection.begin_nested():
        connection.execute(sa.text(statement), params)
    return str(error.value.orig)


AUDIT_PROBE = (
    "INSERT INTO auth.audit_log (tabla_afectada, registro_id, accion, timestamp_accion) "
    "VALUES ('probe', :registro_id, :accion, CAST(:at AS timestamptz))"
)


# -- clinic_legacy --------------------------------------------------------------------------------


@insert_after_upgrade("clinic_legacy")
def clinic_staff_and_a_year_of_audit(connection: Connection) -> None:
    connection.execute(clinicas.insert(), [CLINIC])
    connection.execute(sys_usuarios.insert(), STAFF)
    connection.execute(legacy_audit_log.insert(), LEGACY_AUDIT)


@after_upgrade("clinic_legacy")
def legacy_audit_log_refuses_what_its_shape_cannot_hold(connection: Connection) -> None:
    fits = {"registro_id": 1, "accion": "LOGOUT", "at": "2025-05-05T05:05:05+00"}
    connection.execute(sa.text(AUDIT_PROBE), fits)
    assert "no partition" in refusal(connection, AUDIT_PROBE, **{**fits, "at": "2026-01-01Z"})
    assert "ck_audit_log_accion" in refusal(connection, AUDIT_PROBE, **{**fits, "accion": "READ"})
    assert "registro_id" in refusal(connection, AUDIT_PROBE, **{**fits, "registro_id": None})


@after_downgrade("clinic_legacy")
def auth_schema_is_empty(connection: Connection) -> None:
    left = connection.scalars(
        sa.text("SELECT relname FROM pg_class WHERE relnamespace = 'auth'::regnamespace")
    ).all()
    assert left == []


# -- clinic_integration ---------------------------------------------------------------------------

kept_by_downgrade("clinic_integration", "auth.audit_log_overflow")


@after_upgrade("clinic_integration")
def legacy_audit_rows_are_untouched(connection: Connection) -> None:
    nothing_new = dict.fromkeys(NEW_COLUMNS)
    expected = [{**row, **nothing_new} for row in LEGACY_AUDIT]
    assert_audit_rows(connection, "auth.audit_log", expected, AUDIT_COLUMNS)


@after_upgrade("clinic_integration")
def audit_log_accepts_any_moment_and_every_api_accion(connection: Connection) -> None:
    for at in ("1970-01-01T00:00:00Z", "now", "2099-12-31T23:59:59.999999Z"):
        for accion in ("READ", "CREATE", "LOGIN_FALLIDO"):
            connection.execute(
                sa.text(AUDIT_PROBE), {"registro_id": None, "accion": accion, "at": at}
            )


@after_upgrade("clinic_integration")
def new_ids_never_repeat_a_legacy_one(connection: Connection) -> None:
    new_id = connection.scalar(
        sa.text(
            "INSERT INTO auth.audit_log (tabla_afectada, accion) VALUES ('probe', 'READ') "
            "RETURNING id_log"
        )
    )
    assert new_id > max(row["id_log"] for row in LEGACY_AUDIT)


@after_upgrade("clinic_integration")
def transcripts_need_consent(connection: Connection) -> None:
    probe = (
        "INSERT INTO auth.voice_transcripts (session_id, user_id, user_text, timestamp) "
        "VALUES ('s', :user, 'hola', now())"
    )
    assert "has not consented" in refusal(connection, probe, user=ADMIN)


@insert_after_upgrade("clinic_integration")
def api_requests_consent_and_transcripts(connection: Connection) -> None:
    connection.execute(insert_audit_rows, [FITS_LEGACY, *CANNOT_FIT])
    connection.execute(
        sa.text("INSERT INTO auth.voice_transcript_consents (id_usuario) VALUES (:user)"),
        {"user": PODOLOGA},
    )
    connection.execute(voice_transcripts.insert(), TRANSCRIPTS)


@after_downgrade("clinic_integration")
def every_audit_row_is_kept(connection: Connection) -> None:
    assert_audit_rows(connection, "auth.audit_log", LEGACY_AUDIT, LEGACY_COLUMNS)
    api_rows_written = connection.scalar(
        sa.text("SELECT count(*) FROM auth.audit_log WHERE id_log = :id"),
        {"id": FITS_LEGACY["id_log"]},
    )
    if not api_rows_written:  # the first downgrade of a walk comes before they are
        assert connection.scalar(sa.text("SELECT to_regclass('auth.audit_log_overflow')")) is None
        return
    # It fits the legacy shape: it stays, without what only the new columns said.
    assert_audit_rows(connection, "auth.audit_log", [FITS_LEGACY], LEGACY_COLUMNS)
    # The others cannot: kept whole, new columns included, and nothing else is there.
    assert_audit_rows(connection, "auth.audit_log_overflow", CANNOT_FIT, AUDIT_COLUMNS)
    overflow = connection.scalar(sa.text("SELECT count(*) FROM auth.audit_log_overflow"))
    assert overflow == len(CANNOT_FIT)
