"""clinic_integration on hostile audit rows, up, down and up again: no row is lost either way.

tests/test_clinic_migration.py moves thousands of well-formed rows over fifty years; here each
column is at the edges of what the legacy table admits: ids over all of bigint, repeated where the
key (id_log, timestamp_accion) allows, names of quotes, SQL and every plane, any JSON, any inet,
the first and last microsecond of the legacy months. After the upgrade, rows the API writes are
as hostile, dated anywhere from 4714 BC to 294276 AD or at +-infinity, with any accion: the
downgrade keeps each of them, in the legacy table where it fits and whole in
auth.audit_log_overflow where it does not, and the next upgrade brings every one back.

A legacy log holding ids at the very top of bigint upgrades without loss too, but then no new row
can be written: after the upgrade only the identity hands out id_log, moved past every legacy id,
and none is left above them. (The legacy identity could never have handed out such ids.)
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import figures
from tests.migrations.hostile import (
    as_json,
    insert_rows,
    integers,
    ip_addresses,
    jsonb,
    texts,
    timestamps,
)
from tests.scale import size
from tests.support import Databases, downgrade, upgrade

LEGACY_ACTIONS = ["INSERT", "UPDATE", "DELETE", "LOGIN_EXITOSO", "LOGIN_FALLIDO",
                  "LOGIN_USUARIO_INACTIVO", "LOGOUT", "PASSWORD_CHANGE"]  # fmt: skip
NEW_COLUMNS = ["username", "session_id", "method", "endpoint", "request_body", "response_hash",
               "source_refs", "note"]  # fmt: skip
LEGACY_FROM, LEGACY_TO = datetime(2024, 12, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)

# Indexed text holds at most about 2.7 kB per index entry: the legacy table refuses longer values
# in tabla_afectada (indexed with registro_id) and email (unique), so they never existed.
INDEXED_TEXT = 500

BIGINT_MAX = 2**63 - 1

staff = st.lists(
    st.fixed_dictionaries(
        {
            "id_usuario": integers(64),
            "nombre_usuario": texts(50).filter(lambda name: len(name) >= 3),
            "password_hash": texts(),
            "rol": st.sampled_from(["Admin", "Podologo", "Recepcion"]),
            "activo": st.booleans(),
            "email": st.none() | texts(INDEXED_TEXT),
            "last_login": st.none() | timestamps(),
            "failed_login_attempts": integers(32),
            "locked_until": st.none() | timestamps(),
            "created_at": timestamps(),
        }
    ),
    min_size=1,
    max_size=2,
    unique_by=(
        lambda person: person["id_usuario"],
        lambda person: person["nombre_usuario"],
        lambda person: person["id_usuario"] if person["email"] is None else person["email"],
    ),
)


def audit_rows(staff_ids: list[int], *, legacy: bool) -> st.SearchStrategy[list[dict]]:
    columns = {
        "tabla_afectada": texts(INDEXED_TEXT),
        "usuario_id": st.sampled_from([None, *staff_ids]),
        "datos_anteriores": jsonb,
        "datos_nuevos": jsonb,
        "ip_address": st.none() | ip_addresses(),
    }
    if legacy:
        columns |= {
            "id_log": integers(64),
            "registro_id": integers(64),
            "accion": st.sampled_from(LEGACY_ACTIONS),
            "timestamp_accion": timestamps(LEGACY_FROM, LEGACY_TO),
        }
    else:  # what the API writes after the upgrade; id_log comes from the identity
        columns |= {
            "registro_id": st.none() | integers(64),
            "accion": st.sampled_from([*LEGACY_ACTIONS, "READ", "CREATE"]),
            "timestamp_accion": timestamps(),
            "username": st.none() | texts(50),
            "session_id": st.none() | texts(255),
            "method": st.none() | texts(10),
            "endpoint": st.none() | texts(255),
            "request_body": st.none() | texts(),
            "response_hash": st.none() | st.text("0123456789abcdef", min_size=64, max_size=64),
            "source_refs": jsonb,
            "note": st.none() | texts(),
        }
    return st.lists(
        st.fixed_dictionaries(columns),
        max_size=4,
        unique_by=lambda row: (row.get("id_log"), row["timestamp_accion"]),
    )


@st.composite
def clinic(draw) -> tuple[list[dict], list[dict], list[dict]]:
    people = draw(staff)
    ids = [person["id_usuario"] for person in people]
    return people, draw(audit_rows(ids, legacy=True)), draw(audit_rows(ids, legacy=False))


STAFF = "SELECT * FROM auth.sys_usuarios"
FITS_LEGACY = (
    "accion = ANY(:actions) AND registro_id IS NOT NULL "
    "AND timestamp_accion >= :starts AND timestamp_accion < :ends"
)
BOUNDS = {"actions": LEGACY_ACTIONS, "starts": LEGACY_FROM, "ends": LEGACY_TO}


def audit(connection, table: str = "auth.audit_log", where: str = "true") -> list[dict]:
    return as_json(connection, f"SELECT * FROM {table} WHERE {where}", **BOUNDS)


def without_new_columns(rows: list[dict]) -> list[dict]:
    return sorted(
        ({k: v for k, v in row.items() if k not in NEW_COLUMNS} for row in rows),
        key=lambda row: (row["id_log"], row["timestamp_accion"]),
    )


@settings(
    max_examples=size(ci=10, soak=300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=clinic())
def test_hostile_audit_rows_survive_up_down_up(databases: Databases, data):
    people, legacy_rows, api_rows = data
    if max((row["id_log"] for row in legacy_rows), default=0) > BIGINT_MAX - len(api_rows):
        api_rows = []  # the identity has no id left for them (see the module's docstring)
    figures.count("clinic_integration", len(people) + len(legacy_rows) + len(api_rows))
    with databases.at("clinic_legacy") as engine:
        with engine.begin() as connection:
            insert_rows(connection, "auth.sys_usuarios", people)
            insert_rows(connection, "auth.audit_log", legacy_rows)
            legacy, staff_rows = audit(connection), as_json(connection, STAFF)

        upgrade(engine, "clinic_integration")
        with engine.begin() as connection:
            assert without_new_columns(audit(connection)) == without_new_columns(legacy)
            insert_rows(connection, "auth.audit_log", api_rows)
            at_head = audit(connection)
            fits = audit(connection, where=FITS_LEGACY)
            cannot_fit = audit(connection, where=f"NOT ({FITS_LEGACY})")

        downgrade(engine, "clinic_legacy")
        with engine.connect() as connection:
            assert without_new_columns(audit(connection)) == without_new_columns(fits)
            overflow = connection.scalar(sa.text("SELECT to_regclass('auth.audit_log_overflow')"))
            assert (audit(connection, overflow) if overflow else []) == cannot_fit
            assert as_json(connection, STAFF) == staff_rows

        upgrade(engine, "clinic_integration")
        with engine.connect() as connection:
            back = audit(connection)
            assert without_new_columns(back) == without_new_columns(at_head)
            assert [row for row in back if row in cannot_fit] == cannot_fit
            assert as_json(connection, STAFF) == staff_rows
