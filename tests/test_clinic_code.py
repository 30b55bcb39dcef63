"""The clinic back office's own code (seed 003) against the unified schema, as it runs.

Its SQLAlchemy ORM maps auth.clinicas, auth.sys_usuarios, auth.audit_log and
auth.voice_transcripts (schema-qualified); it logs in as `therapy_db_clinic`. The models below
are the clinic's, not this package's: the columns its code maps and writes, nothing more.
"""

import hashlib
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from tests.support import database_url

LOGIN = "therapy_db_clinic"


class ClinicBase(DeclarativeBase):
    pass


class Usuario(ClinicBase):
    __tablename__ = "sys_usuarios"
    __table_args__ = {"schema": "auth"}

    id_usuario: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    nombre_usuario: Mapped[str]
    password_hash: Mapped[str]
    rol: Mapped[str]
    activo: Mapped[bool] = mapped_column(default=True)
    last_login: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    failed_login_attempts: Mapped[int] = mapped_column(default=0)


class AuditEntry(ClinicBase):
    __tablename__ = "audit_log"
    __table_args__ = {"schema": "auth"}

    id_log: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=True)
    timestamp_accion: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), primary_key=True, server_default=sa.func.now()
    )
    tabla_afectada: Mapped[str]
    registro_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    accion: Mapped[str]
    usuario_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    username: Mapped[str | None]
    session_id: Mapped[str | None]
    method: Mapped[str | None]
    endpoint: Mapped[str | None]
    request_body: Mapped[str | None]
    response_hash: Mapped[str | None]
    note: Mapped[str | None]


class Transcript(ClinicBase):
    __tablename__ = "voice_transcripts"
    __table_args__ = {"schema": "auth"}

    id_transcript: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    session_id: Mapped[str]
    user_id: Mapped[int] = mapped_column(sa.BigInteger)
    user_text: Mapped[str]
    assistant_text: Mapped[str | None]
    timestamp: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


def response_hash(body: bytes | None) -> str:
    """The clinic's helper: an empty string when there is no body."""
    return hashlib.sha256(body).hexdigest() if body else ""


@pytest.fixture
def clinic(logins_database: Engine) -> Iterator[Session]:
    engine = sa.create_engine(database_url(logins_database.url.database, user=LOGIN))
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
def staff(logins_database: Engine) -> int:
    """A member of staff, as the clinic's admin screens create one (owner's setup)."""
    with logins_database.begin() as connection:
        return connection.scalar(
            sa.text(
                "INSERT INTO auth.sys_usuarios (nombre_usuario, password_hash, rol) "
                "VALUES (:name, '$2b$12$hash', 'Podologo') RETURNING id_usuario"
            ),
            {"name": f"dra.{uuid.uuid4().hex[:8]}"},
        )


def audit(session: Session, **values) -> AuditEntry:
    entry = AuditEntry(tabla_afectada="pacientes", **values)
    session.add(entry)
    session.commit()
    return entry


def test_the_audit_middleware_records_a_request_without_a_record_or_a_response_body(
    clinic: Session, staff: int
):
    entry = audit(
        clinic, accion="READ", registro_id=None, usuario_id=staff, username="dra.ibarra",
        session_id="voice-1", method="GET", endpoint="/api/v1/agenda", request_body=None,
        response_hash=response_hash(None), note="no body",
    )  # fmt: skip
    stored = clinic.get(AuditEntry, (entry.id_log, entry.timestamp_accion))
    assert (stored.response_hash, stored.registro_id, stored.accion) == ("", None, "READ")


@pytest.mark.parametrize("accion", ["CREATE", "READ", "UPDATE", "DELETE", "LOGIN_EXITOSO"])
def test_the_audit_middleware_records_every_accion_it_writes(clinic: Session, accion: str):
    body = b'{"ok": true}'
    entry = audit(
        clinic, accion=accion, method="POST", endpoint="/api/v1/pacientes",
        request_body='{"nombre": "Luis"}', response_hash=response_hash(body),
    )  # fmt: skip
    assert entry.id_log > 0 and len(entry.response_hash) == 64


def test_a_login_updates_the_staff_members_last_login_and_failed_attempts(
    clinic: Session, staff: int
):
    member = clinic.get(Usuario, staff)
    member.failed_login_attempts += 1
    member.last_login = clinic.scalar(sa.select(sa.func.now()))
    clinic.commit()
    clinic.expire_all()
    assert clinic.get(Usuario, staff).failed_login_attempts == 1


def test_saving_a_transcript_without_consent_is_refused_with_the_reason(
    clinic: Session, staff: int
):
    """Deliberate: the seed's security section requires consent; the clinic's endpoint does not
    record it first (docs/SEEDS.md, compatibility of the clinic's code)."""
    now = clinic.scalar(sa.select(sa.func.now()))
    clinic.add(Transcript(session_id="voice-1", user_id=staff, user_text="hola", timestamp=now))
    with pytest.raises(IntegrityError, match="has not consented to storing voice transcripts"):
        clinic.commit()
    clinic.rollback()

    clinic.execute(
        sa.text("INSERT INTO auth.voice_transcript_consents (id_usuario) VALUES (:id)"),
        {"id": staff},
    )
    clinic.add(Transcript(session_id="voice-1", user_id=staff, user_text="hola", timestamp=now))
    clinic.commit()


def test_the_clinics_login_can_only_append_to_the_audit_trail(clinic: Session):
    """Deliberate: an audit row once written cannot be changed or removed by the application."""
    entry = audit(clinic, accion="READ")
    with pytest.raises(ProgrammingError, match="permission denied for table audit_log"):
        clinic.execute(
            sa.update(AuditEntry).where(AuditEntry.id_log == entry.id_log).values(note="edited")
        )
