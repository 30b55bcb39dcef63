"""The clinic's audit log as the calendar turns, with the clock of this process and of the server
moved (the `clock` fixture: these run under `python -m tests.clock`, which `make test` runs).

No row is ever refused, and none stays where a later maintenance run cannot move it from.
"""

import time
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tests.clock import Clock, add_months
from tests.support import upgrade

pytestmark = pytest.mark.calendar

WRITE_NOW = (
    "INSERT INTO auth.audit_log (tabla_afectada, accion) VALUES ('pacientes', 'READ') "
    "RETURNING tableoid::regclass::text, timestamp_accion"
)


def next_midnight(connection: Connection) -> datetime:
    """The first instant of the next UTC month, by the database's clock."""
    return connection.scalar(
        sa.text("SELECT date_trunc('month', now(), 'UTC') + interval '1 month'")
    )


def maintain(connection: Connection, months_ahead: int = 3) -> int:
    return connection.scalar(
        sa.text("SELECT auth.maintain_audit_log_partitions(:ahead)"), {"ahead": months_ahead}
    )


def test_an_upgrade_in_the_last_seconds_of_a_month_has_made_the_next_month(databases, clock):
    with databases.at("clinic_legacy") as engine:
        with engine.connect() as connection:
            midnight = next_midnight(connection)
        # Seconds enough for the run to begin its transaction before midnight on a busy machine.
        clock.move_to(midnight - timedelta(seconds=8))
        upgrade(engine, "clinic_integration")
        last_month = midnight - timedelta(days=1)
        with engine.connect() as connection:  # it ran in the old month: it made that month's
            assert connection.scalar(
                sa.text("SELECT to_regclass(:name)"), {"name": f"auth.audit_log_{last_month:%Y_%m}"}
            )
        with engine.begin() as connection:
            while connection.scalar(sa.text("SELECT clock_timestamp()")) < midnight:
                time.sleep(0.05)
        with engine.begin() as connection:
            partition, written_at = connection.execute(sa.text(WRITE_NOW)).one()
            assert written_at >= midnight
            assert partition == f"auth.audit_log_{midnight:%Y_%m}"
            assert maintain(connection) == 1  # only the month that just came within three


def test_months_without_maintenance_refuse_nothing_and_the_next_run_moves_their_rows(
    engine, clock: Clock
):
    with engine.connect() as connection:
        month = next_midnight(connection) - timedelta(days=1)  # within this month
    written: list[tuple[str, datetime]] = []
    for months_later in (1, 4, 5, 6):  # the upgrade made this month and three ahead
        clock.move_to(add_months(month, months_later))
        with engine.begin() as connection:
            written.append(tuple(connection.execute(sa.text(WRITE_NOW)).one()))
    assert [partition for partition, _ in written] == [
        f"auth.audit_log_{add_months(month, 1):%Y_%m}",
        *["auth.audit_log_default"] * 3,
    ]

    with engine.begin() as connection:
        assert maintain(connection) == 2 + 4  # the two months missed, this one, three ahead
        found = connection.execute(
            sa.text(
                "SELECT tableoid::regclass::text, timestamp_accion FROM auth.audit_log "
                "ORDER BY timestamp_accion"
            )
        ).all()
    assert [tuple(row) for row in found] == [
        (f"auth.audit_log_{at:%Y_%m}", at) for _, at in written
    ]
