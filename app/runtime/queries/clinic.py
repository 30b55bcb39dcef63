"""What clinic service code calls: the audit writer and trail, audit partition upkeep, and the
consent and retention of voice transcripts."""

import hashlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.runtime.models.clinic import AuditLog, SysUsuario, VoiceTranscript, VoiceTranscriptConsent

# The accion an API request is audited as, by HTTP method, when the caller does not say.
ACTION_OF_METHOD = {
    "GET": "READ",
    "HEAD": "READ",
    "POST": "CREATE",
    "PUT": "UPDATE",
    "PATCH": "UPDATE",
    "DELETE": "DELETE",
}

TRANSCRIPT_RETENTION = timedelta(days=90)


# -- the audit log --------------------------------------------------------------------------------


def record_api_request(
    session: Session,
    *,
    method: str,
    endpoint: str,
    tabla_afectada: str,
    usuario_id: int | None = None,
    username: str | None = None,
    session_id: str | None = None,
    request_body: str | bytes | None = None,
    response_body: str | bytes | None = None,
    source_refs: Any = None,
    registro_id: int | None = None,
    ip_address: str | None = None,
    note: str | None = None,
    accion: str | None = None,
) -> AuditLog:
    """Record one request to the clinic API in the audit log (flushed, not committed).

    Only the response's SHA-256 is kept: proof of what was answered without a second copy of the
    data. accion defaults from the method (GET -> READ, POST -> CREATE, PUT/PATCH -> UPDATE,
    DELETE -> DELETE); username defaults to the user's nombre_usuario at the time of the request,
    so the row keeps saying who it was if the account is renamed.
    """
    method = method.upper()
    if accion is None:
        if method not in ACTION_OF_METHOD:
            raise ValueError(f"no audit accion for HTTP method {method!r}; pass accion=")
        accion = ACTION_OF_METHOD[method]
    if isinstance(request_body, bytes):
        request_body = request_body.decode("utf-8", errors="replace")
    if isinstance(response_body, str):
        response_body = response_body.encode()
    if username is None and usuario_id is not None:
        username = (
            select(SysUsuario.nombre_usuario)
            .where(SysUsuario.id_usuario == usuario_id)
            .scalar_subquery()
        )
    entry = AuditLog(
        tabla_afectada=tabla_afectada,
        registro_id=registro_id,
        accion=accion,
        usuario_id=usuario_id,
        ip_address=ip_address,
        username=username,
        session_id=session_id,
        method=method,
        endpoint=endpoint,
        request_body=request_body,
        response_hash=None if response_body is None else hashlib.sha256(response_body).hexdigest(),
        source_refs=source_refs,
        note=note,
    )
    session.add(entry)
    session.flush()
    return entry


def audit_trail(
    session: Session,
    *,
    session_id: str | None = None,
    endpoint: str | None = None,
    usuario_id: int | None = None,
    username: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[AuditLog]:
    """The audit rows matching every filter given, newest first.

    Each filter has its index; since/until also let PostgreSQL skip the partitions of other months.
    """
    filters = [
        column == value
        for column, value in (
            (AuditLog.session_id, session_id),
            (AuditLog.endpoint, endpoint),
            (AuditLog.usuario_id, usuario_id),
            (AuditLog.username, username),
        )
        if value is not None
    ]
    if since is not None:
        filters.append(AuditLog.timestamp_accion >= since)
    if until is not None:
        filters.append(AuditLog.timestamp_accion < until)
    query = select(AuditLog).where(*filters).order_by(AuditLog.timestamp_accion.desc())
    return list(session.scalars(query.limit(limit)))


def maintain_audit_log_partitions(session: Session, months_ahead: int = 3) -> int:
    """Create the audit log's partitions of this month and the next `months_ahead`, and of every
    earlier month whose rows a missed run left in the default partition (they move in); returns
    how many were missing. Run it from a scheduled job (monthly is enough; more often is
    harmless; a forgotten one refuses and loses nothing)."""
    return session.scalar(select(func.auth.maintain_audit_log_partitions(months_ahead)))


def create_audit_log_partition(session: Session, month: date) -> bool:
    """Give one (UTC) month its own partition, e.g. before loading old audit rows; the rows of
    that month already in the default partition move in. False if it existed."""
    return session.scalar(select(func.auth.create_audit_log_partition(month)))


# -- voice transcripts ----------------------------------------------------------------------------


def grant_voice_transcript_consent(session: Session, usuario_id: int) -> None:
    """Record the user's consent to storing their voice transcripts (again, if revoked)."""
    statement = insert(VoiceTranscriptConsent).values(id_usuario=usuario_id)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[VoiceTranscriptConsent.id_usuario],
            set_={"granted_at": func.now(), "revoked_at": None},
            where=VoiceTranscriptConsent.revoked_at.is_not(None),
        )
    )


def revoke_voice_transcript_consent(session: Session, usuario_id: int) -> bool:
    """Revoke the user's consent; the database erases their stored transcripts with it.

    False if the user had no consent in force.
    """
    revoked = session.execute(
        update(VoiceTranscriptConsent)
        .where(
            VoiceTranscriptConsent.id_usuario == usuario_id,
            VoiceTranscriptConsent.revoked_at.is_(None),
        )
        .values(revoked_at=func.now()),
        execution_options={"synchronize_session": False},
    )
    return revoked.rowcount == 1


def purge_voice_transcripts(
    session: Session,
    older_than: timedelta = TRANSCRIPT_RETENTION,
    batch_size: int = 5_000,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Delete the transcripts said more than `older_than` ago; returns how many were removed.

    Oldest first, `batch_size` rows per transaction (it commits after each batch), so a large
    purge never holds many row locks or one long transaction. The horizon is fixed when it
    starts, by the database's clock. `on_batch` hears how many each committed batch removed.
    """
    horizon = session.scalar(select(func.now() - older_than))
    oldest = (
        select(VoiceTranscript.id_transcript)
        .where(VoiceTranscript.timestamp < horizon)
        .order_by(VoiceTranscript.timestamp)
        .limit(batch_size)
    )
    removed = 0
    while True:
        batch = session.execute(
            delete(VoiceTranscript).where(
                VoiceTranscript.id_transcript.in_(oldest.scalar_subquery())
            ),
            execution_options={"synchronize_session": False},
        ).rowcount
        session.commit()
        removed += batch
        if on_batch:
            on_batch(batch)
        if batch < batch_size:
            return removed
