"""auth.audit_log at head: the audit writer, the trail queries, and a partitioned table that
accepts a row dated at any moment.

"Now" and "this month" are the database's: its clock decides which partitions the upgrade made.
Dates in legacy months (2024-12 .. 2025-12) are fixed.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.orm import Session

from app.runtime.models.clinic import AUDIT_ACTIONS, AuditLog
from app.runtime.queries.clinic import (
    audit_trail,
    create_audit_log_partition,
    maintain_audit_log_partitions,
    record_api_request,
)
from tests.clinic_staff import add_staff_member

pytestmark = pytest.mark.calendar


def this_month(session: Session) -> datetime:
    """The first instant of the current UTC month, by the database's clock."""
    return session.scalar(sa.select(sa.func.date_trunc("month", sa.func.now(), "UTC")))


def months_from(month: datetime, count: int) -> datetime:
    year, index = divmod(month.month - 1 + count, 12)
    return month.replace(year=month.year + year, month=index + 1)


def partition_of(session: Session, entry: AuditLog) -> str:
    return session.scalar(
        sa.select(sa.text("tableoid::regclass::text"))
        .select_from(AuditLog)
        .where(AuditLog.id_log == entry.id_log)
    )


def explain(session: Session, query: sa.Select) -> str:
    compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    return "\n".join(session.scalars(sa.text(f"EXPLAIN {compiled}")))


def audit_row(**values) -> AuditLog:
    return AuditLog(**{"tabla_afectada": "pacientes", "accion": "READ", **values})


# -- the writer -----------------------------------------------------------------------------------


def test_api_request_is_recorded_with_who_what_and_a_sha256_of_the_response(session: Session):
    podologa = add_staff_member(session, "dra.ibarra")
    response = b'{"id": 118, "nombre": "Luis P\xc3\xa9rez"}'

    entry = record_api_request(
        session,
        method="get",
        endpoint="/api/v1/pacientes/118",
        tabla_afectada="pacientes",
        registro_id=118,
        usuario_id=podologa.id_usuario,
        session_id="voice-session-42",
        request_body=None,
        response_body=response,
        source_refs=[{"tool": "langgraph", "job": "job-9"}],
        ip_address="10.0.0.7",
    )
    session.commit()
    session.expire_all()

    stored = session.get(AuditLog, (entry.id_log, entry.timestamp_accion))
    assert (stored.method, stored.endpoint, stored.accion) == (
        "GET",
        "/api/v1/pacientes/118",
        "READ",
    )
    assert stored.response_hash == hashlib.sha256(response).hexdigest()
    assert stored.username == "dra.ibarra"  # who it was, even if the account is renamed later
    assert stored.session_id == "voice-session-42"
    assert stored.source_refs == [{"tool": "langgraph", "job": "job-9"}]
    assert stored.request_body is None
    assert (
        session.scalar(sa.text("SELECT count(*) FROM auth.audit_log WHERE request_body IS NULL"))
        == 1
    )
    assert stored.timestamp_accion.tzinfo is not None


def test_unset_json_columns_are_sql_null_not_json_null(session: Session):
    record_api_request(session, method="GET", endpoint="/api/v1/agenda", tabla_afectada="citas")
    nulls = session.execute(
        sa.text(
            "SELECT source_refs IS NULL, datos_anteriores IS NULL, datos_nuevos IS NULL "
            "FROM auth.audit_log"
        )
    ).one()
    assert nulls == (True, True, True)


@pytest.mark.parametrize(
    ("method", "accion"),
    [
        ("GET", "READ"),
        ("POST", "CREATE"),
        ("PUT", "UPDATE"),
        ("PATCH", "UPDATE"),
        ("DELETE", "DELETE"),
    ],
)
def test_accion_follows_the_http_method(session: Session, method: str, accion: str):
    entry = record_api_request(
        session, method=method, endpoint="/api/v1/citas", tabla_afectada="citas"
    )
    assert entry.accion == accion


def test_a_method_without_an_accion_of_its_own_must_be_given_one(session: Session):
    with pytest.raises(ValueError, match="OPTIONS"):
        record_api_request(
            session, method="OPTIONS", endpoint="/api/v1/citas", tabla_afectada="citas"
        )
    entry = record_api_request(
        session, method="POST", endpoint="/api/v1/auth/login", tabla_afectada="sys_usuarios",
        accion="LOGIN_EXITOSO",
    )  # fmt: skip
    assert entry.accion == "LOGIN_EXITOSO" and entry.registro_id is None


@pytest.mark.parametrize("accion", AUDIT_ACTIONS)
def test_every_accion_the_clinic_writes_is_accepted(session: Session, accion: str):
    session.add(audit_row(accion=accion))
    session.commit()


def test_an_unknown_accion_is_refused(session: Session):
    session.add(audit_row(accion="BROWSE"))
    with pytest.raises(IntegrityError, match="ck_audit_log_accion"):
        session.commit()


def test_response_hash_must_be_a_lowercase_hex_sha256(session: Session):
    session.add(audit_row(response_hash=hashlib.md5(b"x").hexdigest()))
    with pytest.raises(IntegrityError, match="ck_audit_log_response_hash"):
        session.commit()


def test_only_the_database_hands_out_id_log(session: Session):
    """What the plan's PRIMARY KEY (id_log) meant: id_log alone identifies an audit row."""
    session.add(audit_row(id_log=1))
    with pytest.raises(ProgrammingError, match="id_log"):
        session.commit()


# -- any moment -----------------------------------------------------------------------------------


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    moment=st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2300, 1, 1), timezones=st.just(UTC)
    )
)
def test_a_row_dated_at_any_moment_is_accepted_and_found_again(session: Session, moment):
    entry = audit_row(timestamp_accion=moment, session_id="any-moment")
    session.add(entry)
    session.flush()
    month = f"audit_log_{moment:%Y_%m}"
    has_month = session.scalar(sa.select(sa.func.to_regclass(f"auth.{month}"))) is not None
    assert partition_of(session, entry) == f"auth.{month if has_month else 'audit_log_default'}"
    assert [row.timestamp_accion for row in audit_trail(session, session_id="any-moment")] == [
        moment
    ]
    session.rollback()


def test_rows_dated_today_go_to_this_months_partition(session: Session):
    today = audit_row()
    session.add(today)
    session.commit()
    assert partition_of(session, today) == f"auth.audit_log_{today.timestamp_accion:%Y_%m}"


def test_a_new_month_takes_its_rows_from_the_default_partition(session: Session):
    year = this_month(session).year + 5  # beyond every partition maintenance makes
    may = [audit_row(timestamp_accion=datetime(year, 5, day, tzinfo=UTC)) for day in (1, 17, 31)]
    june = audit_row(timestamp_accion=datetime(year, 6, 1, tzinfo=UTC))
    session.add_all([*may, june])
    session.commit()
    assert {partition_of(session, entry) for entry in [*may, june]} == {"auth.audit_log_default"}
    every_row = sa.text("SELECT to_jsonb(a) FROM auth.audit_log a ORDER BY id_log")
    before = session.scalars(every_row).all()

    assert create_audit_log_partition(session, date(year, 5, 17)) is True
    session.commit()

    assert {partition_of(session, entry) for entry in may} == {f"auth.audit_log_{year}_05"}
    assert partition_of(session, june) == "auth.audit_log_default"
    assert session.scalars(every_row).all() == before
    assert create_audit_log_partition(session, date(year, 5, 1)) is False


def test_maintenance_creates_this_month_and_the_next_ones(session: Session):
    months = session.scalars(
        sa.text(
            "SELECT to_char(month, 'YYYY_MM') FROM generate_series("
            "date_trunc('month', now() AT TIME ZONE 'UTC'), "
            "date_trunc('month', now() AT TIME ZONE 'UTC') + interval '6 months', "
            "interval '1 month') AS month"
        )
    ).all()

    def existing() -> set[str]:
        return {
            month
            for month in months
            if session.scalar(sa.select(sa.func.to_regclass(f"auth.audit_log_{month}")))
        }

    missing = len(months) - len(existing())
    assert missing > 0  # the upgrade made three months ahead, not six
    assert maintain_audit_log_partitions(session, months_ahead=6) == missing
    assert existing() == set(months)
    assert maintain_audit_log_partitions(session, months_ahead=6) == 0


def test_months_nobody_maintained_refuse_nothing_and_the_next_run_gives_them_their_rows(
    session: Session,
):
    """As if the last maintenance ran half a year ago: no partition from three months back to
    three ahead. Rows of those months wait in the default partition; the next run moves them."""
    start = this_month(session)
    months = [months_from(start, n) for n in range(-3, 4)]
    for month in months:
        session.execute(sa.text(f"DROP TABLE IF EXISTS auth.audit_log_{month:%Y_%m}"))
    beyond = months_from(start, 120)  # a skewed clock: waits until its month is within reach
    waiting = [
        *(audit_row(timestamp_accion=month + timedelta(days=9)) for month in months[:3]),
        audit_row(),  # now
        audit_row(timestamp_accion=beyond),
    ]
    session.add_all(waiting)
    session.commit()
    assert {partition_of(session, entry) for entry in waiting} == {"auth.audit_log_default"}
    every_row = sa.text("SELECT to_jsonb(a) FROM auth.audit_log a ORDER BY id_log")
    before = session.scalars(every_row).all()

    assert maintain_audit_log_partitions(session, months_ahead=3) == len(months)
    session.commit()

    assert [partition_of(session, entry) for entry in waiting] == [
        *(f"auth.audit_log_{month:%Y_%m}" for month in months[:3]),
        f"auth.audit_log_{start:%Y_%m}",
        "auth.audit_log_default",
    ]
    assert session.scalars(every_row).all() == before
    assert maintain_audit_log_partitions(session, months_ahead=3) == 0
    assert maintain_audit_log_partitions(session, months_ahead=120) == 120 - 3
    assert partition_of(session, waiting[-1]) == f"auth.audit_log_{beyond:%Y_%m}"


INDEXES_MISSING_ON_PARTITIONS = """
SELECT parent_index.relname || ' on ' || partition.relname
FROM pg_index pi
JOIN pg_class parent_index ON parent_index.oid = pi.indexrelid
JOIN pg_inherits pt ON pt.inhparent = pi.indrelid
JOIN pg_class partition ON partition.oid = pt.inhrelid
WHERE pi.indrelid = 'auth.audit_log'::regclass
  AND NOT EXISTS (
      SELECT FROM pg_inherits ii JOIN pg_index ci ON ci.indexrelid = ii.inhrelid
      WHERE ii.inhparent = pi.indexrelid AND ci.indrelid = partition.oid AND ci.indisvalid)
"""


def test_every_index_covers_every_partition_present_and_future(session: Session):
    assert session.scalars(sa.text(INDEXES_MISSING_ON_PARTITIONS)).all() == []
    create_audit_log_partition(session, date(2040, 2, 1))
    assert session.scalars(sa.text(INDEXES_MISSING_ON_PARTITIONS)).all() == []
    indexes = session.scalar(
        sa.text("SELECT count(*) FROM pg_index WHERE indrelid = 'auth.audit_log_2040_02'::regclass")
    )
    assert indexes == 7  # the key, three legacy indexes, the plan's three


# -- the trail ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requests:
    """Two staff members' requests, in a legacy month, this month and years ahead (YYYY-MM)."""

    ana: int
    ibarra: int
    this_month: str
    ahead: str
    legacy: str = "2025-03"


@pytest.fixture
def requests_of_two_sessions(session: Session) -> Requests:
    ana = add_staff_member(session, "ana.lopez", rol="Recepcion")
    ibarra = add_staff_member(session, "dra.ibarra")
    start = this_month(session)
    ahead = start.replace(year=start.year + 7)  # dated ahead by a skewed clock
    calls = [  # (when, user, session, endpoint)
        (datetime(2025, 3, 1, 9, tzinfo=UTC), ana, "s-1", "/api/v1/agenda"),
        (start + timedelta(hours=9), ana, "s-1", "/api/v1/pacientes/7"),
        (start + timedelta(hours=10), ibarra, "s-2", "/api/v1/pacientes/7"),
        (ahead, ibarra, "s-2", "/api/v1/agenda"),
    ]
    for when, user, session_id, endpoint in calls:
        entry = record_api_request(
            session, method="GET", endpoint=endpoint, tabla_afectada="pacientes",
            usuario_id=user.id_usuario, session_id=session_id,
        )  # fmt: skip
        entry.timestamp_accion = when
    session.commit()
    return Requests(ana.id_usuario, ibarra.id_usuario, f"{start:%Y-%m}", f"{ahead:%Y-%m}")


def trail_of(entries: list[AuditLog]) -> list[tuple[str, str]]:
    return [(entry.session_id, entry.timestamp_accion.strftime("%Y-%m")) for entry in entries]


def test_trail_by_session_is_newest_first(session: Session, requests_of_two_sessions):
    requests = requests_of_two_sessions
    assert trail_of(audit_trail(session, session_id="s-2")) == [
        ("s-2", requests.ahead),
        ("s-2", requests.this_month),
    ]


def test_trail_by_endpoint(session: Session, requests_of_two_sessions):
    found = audit_trail(session, endpoint="/api/v1/pacientes/7")
    this_month = requests_of_two_sessions.this_month
    assert trail_of(found) == [("s-2", this_month), ("s-1", this_month)]


def test_trail_by_user_id_or_username(session: Session, requests_of_two_sessions):
    requests = requests_of_two_sessions
    by_id = audit_trail(session, usuario_id=requests.ana)
    assert trail_of(by_id) == [("s-1", requests.this_month), ("s-1", requests.legacy)]
    assert audit_trail(session, username="ana.lopez") == by_id


def month_bounds(month: str) -> tuple[datetime, datetime]:
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    return start, months_from(start, 1)


def test_trail_within_dates(session: Session, requests_of_two_sessions):
    this_month = requests_of_two_sessions.this_month
    since, until = month_bounds(this_month)
    found = audit_trail(session, since=since, until=until)
    assert trail_of(found) == [("s-2", this_month), ("s-1", this_month)]


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({"session_id": "s-1"}, "session_id"),
        ({"endpoint": "/api/v1/agenda"}, "endpoint"),
        ({"username": "ana.lopez"}, "username"),
        ({"usuario_id": 1}, "usuario_id"),
    ],
)
def test_trail_queries_are_served_by_an_index_on_every_partition(
    session: Session, requests_of_two_sessions, filters, index
):
    session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    query = sa.select(AuditLog).where(*(getattr(AuditLog, k) == v for k, v in filters.items()))
    plan = explain(session, query)
    assert "Seq Scan" not in plan
    assert index in plan


def test_a_date_range_reads_only_the_partitions_of_its_months(
    session: Session, requests_of_two_sessions
):
    this_month = requests_of_two_sessions.this_month
    since, until = month_bounds(this_month)
    query = sa.select(AuditLog).where(
        AuditLog.timestamp_accion >= since, AuditLog.timestamp_accion < until
    )
    plan = explain(session, query)
    assert f"audit_log_{this_month.replace('-', '_')}" in plan
    assert "audit_log_default" not in plan and "audit_log_2025" not in plan
