"""`therapy-db import clinic`: the clinic back office's own database into the unified one.

The source is built from the clinic's own DDL (tests/support/system_ddl/clinic.sql): identities
GENERATED ALWAYS, audit months past the ones this project's legacy shape knows, and the looser
rules of its first version, so some rows cannot enter the legacy shape and are set aside.
"""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import alembic.command
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.operations.history import alembic_config, current_heads
from tests.migrations.roundtrip import catalog, rows
from tests.support import ROOT, command_env, database_url, downgrade, ledger, upgrade
from tests.support.sources import Source, source_database
from tests.test_cli import therapy_db

CLINICS = """
INSERT INTO auth.clinicas (nombre, rfc, activa) VALUES
    ('Clínica del Centro', 'CPC010101AB1', true),
    ('Podología Norte', NULL, false),
    ('Sucursal sin estado', 'SSE0202029Z8', NULL)
"""
STAFF = """
INSERT INTO auth.sys_usuarios (nombre_usuario, password_hash, rol, clinica_id, email,
                               last_login, failed_login_attempts)
VALUES ('dra.ibarra', '$2b$12$a', 'Podologo', 1, 'ibarra@centro.example',
        '2025-12-30 08:00+00', 0),
       ('ana.lopez', '$2b$12$b', 'Recepcion', 2, NULL, NULL, 3),
       (NULL, '$2b$12$c', 'Admin', 1, 'sin.nombre@centro.example', NULL, 0),
       ('turno.noche', '$2b$12$d', 'Podologo', 3, NULL, NULL, 0)
"""
# Every month the clinic had, 2024-12 .. 2026-02, some by each member of staff; odd JSON.
AUDIT = """
INSERT INTO auth.audit_log (tabla_afectada, registro_id, accion, usuario_id, timestamp_accion,
                            datos_anteriores, datos_nuevos, ip_address)
SELECT 'pacientes', n,
       (ARRAY['INSERT', 'UPDATE', 'DELETE', 'LOGIN_EXITOSO', 'LOGIN_FALLIDO',
              'LOGIN_USUARIO_INACTIVO', 'LOGOUT', 'PASSWORD_CHANGE'])[1 + n % 8],
       CASE WHEN n % 5 = 0 THEN NULL ELSE 1 + n % 4 END,
       timestamptz '2024-12-01 00:00:00+00' + (n - 1) * (interval '450 days' / :rows),
       CASE WHEN n % 3 = 0 THEN jsonb_build_object('nombre', 'Ana', 'n', n) END,
       jsonb_build_object('quote', 'it''s "x"', 'unicode', 'ñ🦶', 'n', n, 'null', NULL),
       CASE WHEN n % 2 = 0 THEN inet '2001:db8::7' ELSE inet '10.0.0.7' END
FROM generate_series(1, :rows) AS n
"""


@pytest.fixture
def clinic_source(pg_server) -> Iterator[Source]:
    with source_database("clinic", pg_server.socket_dir) as source:
        with source.engine.begin() as connection:
            connection.execute(sa.text(CLINICS))
            connection.execute(sa.text(STAFF))
            connection.execute(sa.text(AUDIT), {"rows": 1500})
        yield source


def source_rows(source: Source, table: str, key: str) -> dict:
    with source.engine.connect() as connection:
        return dict(connection.execute(sa.text(f"SELECT {key}, to_jsonb(t) FROM {table} t")).all())


def reasons(engine: Engine) -> dict[tuple[str, str], int]:
    with engine.connect() as connection:
        return {
            (table, reason): count
            for table, reason, count in connection.execute(
                sa.text(
                    "SELECT source_table, reason, count(*) FROM public.import_rejects "
                    "WHERE context = 'clinic' GROUP BY 1, 2"
                )
            )
        }


def test_the_clinics_database_imports_and_migrates_with_every_row_accounted_for(
    clinic_source: Source, empty_engine: Engine, databases
):
    result = therapy_db(empty_engine, "import", "clinic", "--from", clinic_source.url)
    assert result.exit_code == 0, result.output
    assert current_heads(empty_engine) == ("clinic_legacy",)
    assert "partition created as in the source: auth.audit_log_2026_01" in result.output
    with databases.at("base") as migrated:  # the same catalog, and the source's months
        alembic.command.upgrade(alembic_config(migrated), "clinic_legacy")
        added = re.compile(r"audit_log_2026_0[12]")
        expected = catalog(migrated, leave_out=["migration_reconciliation", "import_rejects"])
        imported = catalog(empty_engine, leave_out=["migration_reconciliation", "import_rejects"])
        assert [line for line in imported if not added.search(line)] == expected
    assert "tolerated: auth.clinicas: column id_clinica" not in result.output

    # The clinic without a state is set aside, and with it the staff of that clinic and their
    # audit rows; the nameless admin too. Everything else came in, ids and all.
    audit = source_rows(clinic_source, "auth.audit_log", "id_log")
    by_night_shift = sum(1 for row in audit.values() if row["usuario_id"] == 4)
    by_nameless = sum(1 for row in audit.values() if row["usuario_id"] == 3)
    assert ledger(empty_engine, "import:clinic") == {
        "auth.clinicas": (3, 2, 1),
        "auth.sys_usuarios": (4, 2, 2),
        "auth.audit_log": (1500, 1500 - by_night_shift - by_nameless, by_night_shift + by_nameless),
    }
    assert reasons(empty_engine) == {
        ("auth.clinicas", "activa is empty (required)"): 1,
        ("auth.sys_usuarios", "nombre_usuario is empty (required)"): 1,
        ("auth.sys_usuarios", "clinica_id refers to a auth.clinicas row that is not there"): 1,
        (
            "auth.audit_log",
            "usuario_id refers to a auth.sys_usuarios row that is not there",
        ): by_night_shift + by_nameless,
    }
    imported = {
        key: row
        for key, row in source_rows(clinic_source, "auth.audit_log", "id_log").items()
        if row["usuario_id"] not in (3, 4)
    }
    with empty_engine.connect() as connection:
        target = dict(
            connection.execute(sa.text("SELECT id_log, to_jsonb(t) FROM auth.audit_log t")).all()
        )
    assert target == imported

    # The clinic's documented phase runs on what came in, and back.
    upgrade(empty_engine, "head")
    with empty_engine.begin() as connection:
        new_id = connection.scalar(
            sa.text(
                "INSERT INTO auth.sys_usuarios (nombre_usuario, password_hash, rol) "
                "VALUES ('nueva', 'x', 'Admin') RETURNING id_usuario"
            )
        )
    assert new_id == 5  # after every id the source brought
    before = rows(empty_engine)
    downgrade(empty_engine, "clinic_legacy")
    upgrade(empty_engine, "head")
    assert rows(empty_engine, ignore={"auth.audit_log": set()}) == before

    verified = therapy_db(empty_engine, "verify")
    assert (
        "import:clinic -> auth.sys_usuarios: 4 source rows, 2 moved, 2 set aside" in verified.output
    )


def test_a_source_whose_shape_would_lose_data_is_refused_and_nothing_is_written(
    clinic_source: Source, empty_engine: Engine
):
    with clinic_source.engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE auth.sys_usuarios ADD COLUMN turno text"))
        connection.execute(sa.text("ALTER TABLE auth.clinicas ADD COLUMN notas text"))  # empty
        connection.execute(
            sa.text("UPDATE auth.sys_usuarios SET turno = 'noche' WHERE rol = 'Admin'")
        )
    empty = catalog(empty_engine)
    result = therapy_db(empty_engine, "import", "clinic", "--from", clinic_source.url)
    assert result.exit_code == 1
    assert (
        "auth.sys_usuarios: column turno (text) has no place in the legacy shape (1 rows)"
        in result.output
    )
    assert "notas" not in result.output.split("nothing was written")[1]
    assert current_heads(empty_engine) == ()
    assert catalog(empty_engine) == empty


def test_a_dry_run_compares_and_counts_and_writes_nothing(
    clinic_source: Source, empty_engine: Engine
):
    result = therapy_db(empty_engine, "import", "clinic", "--from", clinic_source.url, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "table auth.audit_log -> auth.audit_log: 1500 rows" in result.output
    assert "dry run: nothing was written" in result.output
    assert current_heads(empty_engine) == ()


def test_a_context_that_holds_rows_is_only_added_to_when_asked(
    clinic_source: Source, empty_engine: Engine
):
    assert therapy_db(empty_engine, "import", "clinic", "--from", clinic_source.url).exit_code == 0
    again = therapy_db(empty_engine, "import", "clinic", "--from", clinic_source.url)
    assert again.exit_code == 1
    assert "already hold rows; run again with --append" in again.output

    appended = therapy_db(empty_engine, "import", "clinic", "--from", clinic_source.url, "--append")
    assert appended.exit_code == 0, appended.output
    # Every row of the second pass repeats a key: set aside, counted, nothing doubled.
    assert ledger(empty_engine, "import:clinic")["auth.clinicas"] == (6, 2, 4)
    with empty_engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM auth.clinicas")) == 2


def test_an_import_killed_while_copying_leaves_the_target_as_before_and_runs_again(
    clinic_source: Source, empty_engine: Engine
):
    with clinic_source.engine.begin() as connection:
        connection.execute(sa.text(AUDIT), {"rows": 300_000})
    empty = catalog(empty_engine)
    url = database_url(empty_engine.url.database).render_as_string(hide_password=False)
    command = [sys.executable, "-c", "from app.operations.cli import main; main()"]
    run = subprocess.Popen(
        [*command, "import", "clinic", "--from", clinic_source.url],
        cwd=ROOT,
        env=command_env(DATABASE_URL=url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with empty_engine.connect() as watcher:
            watcher.execution_options(isolation_level="AUTOCOMMIT")
            deadline = time.monotonic() + 120
            while not watcher.scalar(
                sa.text(
                    "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE datname = "
                    "current_database() AND query LIKE 'COPY import_stage_%')"
                )
            ):
                assert run.poll() is None and time.monotonic() < deadline, "never copied"
                time.sleep(0.02)
            os.kill(run.pid, signal.SIGKILL)
            run.wait()
            deadline = time.monotonic() + 30
            while watcher.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                )
            ):
                assert time.monotonic() < deadline
                time.sleep(0.05)
    finally:
        if run.poll() is None:
            run.send_signal(signal.SIGKILL)
    assert current_heads(empty_engine) == ()
    assert catalog(empty_engine) == empty

    again = therapy_db(empty_engine, "import", "clinic", "--from", clinic_source.url)
    assert again.exit_code == 0, again.output
    assert ledger(empty_engine, "import:clinic")["auth.clinicas"] == (3, 2, 1)


def test_the_clinics_own_database_becomes_the_unified_one_in_place(clinic_source: Source):
    engine = clinic_source.engine
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE auth.reportes_mensuales (mes date, total int)"))
    result = therapy_db(engine, "import", "clinic", "--in-place")
    assert result.exit_code == 0, result.output
    assert current_heads(engine) == ("clinic_legacy",)
    assert ledger(engine, "import:clinic")["auth.sys_usuarios"] == (4, 2, 2)
    # What was not the clinic's stays, aside, named; the clinic's own copies are gone.
    assert "table import_clinic.reportes_mensuales (kept aside)" in result.output
    with engine.connect() as connection:
        assert connection.scalars(
            sa.text(
                "SELECT relname FROM pg_class "
                "WHERE relnamespace = to_regnamespace('import_clinic') AND relkind = 'r'"
            )
        ).all() == ["reportes_mensuales"]
    upgrade(engine, "head")
    assert current_heads(engine) == ("platform_roles",)
