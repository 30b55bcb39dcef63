"""Clinic back office (schema `auth`, seed 003): clinics, their staff, the audit log, transcripts.

The clinic keeps its own identity: staff are `SysUsuario` rows with bigint keys; nothing here
references `public.users`. Column names are the clinic system's own (Spanish), as its data and
its document have them.

`AuditLog` describes the partitioned parent table `auth.audit_log`: service code inserts into and
queries it like any table, and PostgreSQL routes each row to the partition of its month (or to
the default partition, so a row dated at any moment is accepted). The partitions themselves are
storage, made by `auth.maintain_audit_log_partitions()`, not models.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    String,
    func,
    true,
)
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.runtime.models.base import Base, CreatedAt, related

# None is SQL NULL, not the JSON value null (SQLAlchemy's default for JSON types).
JSON = JSONB(none_as_null=True)

STAFF_ROLES = ("Admin", "Podologo", "Recepcion")

# The legacy system's actions, plus READ and CREATE, which the clinic API's audit middleware writes.
AUDIT_ACTIONS = (
    "INSERT",
    "UPDATE",
    "DELETE",
    "LOGIN_EXITOSO",
    "LOGIN_FALLIDO",
    "LOGIN_USUARIO_INACTIVO",
    "LOGOUT",
    "PASSWORD_CHANGE",
    "CREATE",
    "READ",
)


class Clinica(CreatedAt, Base):
    """A clinic of the back office."""

    __tablename__ = "clinicas"
    __table_args__ = {"schema": "auth"}

    id_clinica: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    nombre: Mapped[str]
    rfc: Mapped[str | None] = mapped_column(String(13))  # Mexican tax id: 12 or 13 characters
    activa: Mapped[bool] = mapped_column(server_default=true())

    staff: Mapped[list["SysUsuario"]] = related(back_populates="clinica")


class SysUsuario(CreatedAt, Base):
    """A member of a clinic's staff, and their back-office login."""

    __tablename__ = "sys_usuarios"
    __table_args__ = (
        CheckConstraint("length(nombre_usuario) BETWEEN 3 AND 50", name="nombre_usuario_length"),
        CheckConstraint(f"rol IN {STAFF_ROLES}", name="rol"),
        {"schema": "auth"},
    )

    id_usuario: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    nombre_usuario: Mapped[str] = mapped_column(unique=True)
    password_hash: Mapped[str]
    rol: Mapped[str]
    activo: Mapped[bool] = mapped_column(server_default=true())
    clinica_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey(Clinica.id_clinica), index=True
    )
    email: Mapped[str | None] = mapped_column(unique=True)
    last_login: Mapped[datetime | None]
    failed_login_attempts: Mapped[int] = mapped_column(server_default="0")
    locked_until: Mapped[datetime | None]

    clinica: Mapped[Clinica | None] = related(back_populates="staff")
    # Newest first: what a staff member did, most recent on top (audit rows are never theirs to
    # delete: no cascade).
    audit_rows: Mapped[list["AuditLog"]] = related(
        back_populates="usuario", order_by="AuditLog.timestamp_accion.desc()"
    )
    transcript_consent: Mapped["VoiceTranscriptConsent | None"] = related(
        back_populates="usuario", passive_deletes=True
    )
    voice_transcripts: Mapped[list["VoiceTranscript"]] = related(
        back_populates="usuario", order_by="VoiceTranscript.timestamp", passive_deletes=True
    )


class AuditLog(Base):
    """One audited event: a change to a record, a login, or a request to the clinic API.

    The key is (id_log, timestamp_accion) because a partitioned table's key must contain its
    partition key; id_log alone identifies a row (only the identity sequence hands it out).
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint(f"accion IN {AUDIT_ACTIONS}", name="accion"),
        # Empty: what the clinic's own hashing helper writes for a response without a body.
        CheckConstraint("response_hash ~ '^([0-9a-f]{64})?$'", name="response_hash"),
        Index("ix_audit_log_tabla_afectada_registro_id", "tabla_afectada", "registro_id"),
        # The plan's names.
        Index("idx_audit_log_session", "session_id"),
        Index("idx_audit_log_endpoint", "endpoint"),
        Index("idx_audit_log_username", "username"),
        {"schema": "auth", "postgresql_partition_by": "RANGE (timestamp_accion)"},
    )

    id_log: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    timestamp_accion: Mapped[datetime] = mapped_column(primary_key=True, server_default=func.now())
    tabla_afectada: Mapped[str]
    registro_id: Mapped[int | None] = mapped_column(BigInteger)
    accion: Mapped[str]
    usuario_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey(SysUsuario.id_usuario), index=True
    )
    datos_anteriores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    datos_nuevos: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip_address: Mapped[str | None] = mapped_column(INET)

    # Requests to the clinic API (seed 003's migration 001).
    username: Mapped[str | None] = mapped_column(String(50))
    session_id: Mapped[str | None] = mapped_column(String(255))
    method: Mapped[str | None] = mapped_column(String(10))
    endpoint: Mapped[str | None] = mapped_column(String(255))
    request_body: Mapped[str | None]
    response_hash: Mapped[str | None] = mapped_column(String(64))  # SHA-256, lowercase hex
    source_refs: Mapped[Any | None] = mapped_column(JSON)
    note: Mapped[str | None]

    usuario: Mapped[SysUsuario | None] = related(back_populates="audit_rows")


# Newest first: what an audit screen reads.
Index("ix_audit_log_timestamp_accion", AuditLog.timestamp_accion.desc())


class VoiceTranscriptConsent(Base):
    """A staff user's consent to storing their voice transcripts.

    Transcripts of a user are stored only while their consent has no revoked_at (a trigger refuses
    others); revoking it, or deleting the row, erases the transcripts already stored.
    """

    __tablename__ = "voice_transcript_consents"
    __table_args__ = (
        CheckConstraint("revoked_at >= granted_at", name="revoked_after_granted"),
        {
            "schema": "auth",
            "comment": (
                "Consent of each staff user to storing their voice transcripts. A transcript is "
                "stored only while revoked_at is null; revoking (or deleting the row) erases the "
                "user's transcripts."
            ),
        },
    )

    id_usuario: Mapped[int] = mapped_column(
        BigInteger, ForeignKey(SysUsuario.id_usuario, ondelete="CASCADE"), primary_key=True
    )
    granted_at: Mapped[datetime] = mapped_column(server_default=func.now())
    revoked_at: Mapped[datetime | None]

    usuario: Mapped[SysUsuario] = related(back_populates="transcript_consent")


class VoiceTranscript(CreatedAt, Base):
    """One exchange of a voice conversation with the assistant: PHI, kept at most 90 days.

    `app.runtime.queries.clinic.purge_voice_transcripts` enforces the retention; storing one needs
    the user's consent (`VoiceTranscriptConsent`).
    """

    __tablename__ = "voice_transcripts"
    __table_args__ = (
        Index("idx_voice_transcripts_session", "session_id"),
        Index("idx_voice_transcripts_user", "user_id"),
        Index("idx_voice_transcripts_timestamp", "timestamp"),
        {
            "schema": "auth",
            "comment": (  # the plan's words
                "Stores voice conversation transcripts for audit and history. "
                "Contains PII/PHI - implement retention policy."
            ),
        },
    )

    id_transcript: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey(SysUsuario.id_usuario, ondelete="CASCADE")
    )
    user_text: Mapped[str]
    assistant_text: Mapped[str | None]
    timestamp: Mapped[datetime]  # when it was said
    langgraph_job_id: Mapped[str | None] = mapped_column(String(255))

    usuario: Mapped[SysUsuario] = related(back_populates="voice_transcripts")
