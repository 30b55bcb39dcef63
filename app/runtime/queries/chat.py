"""What the chat service asks of its tables: channel sessions, messages, metrics, backups.

Messages are written through `record_message`, which is idempotent by `request_id` and stores the
content encrypted when given a cipher (`app.runtime.crypto.message_cipher()`); `message_text`
reads either form back.
"""

import uuid
from datetime import datetime
from typing import Any

from cryptography.fernet import MultiFernet
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.runtime import crypto
from app.runtime.models.chat import (
    BackupLog,
    BackupStatus,
    ChatMessage,
    ChatSession,
    MessageRole,
    Metric,
)


def active_session_for_channel(session: Session, discord_channel_id: int) -> ChatSession | None:
    """The Discord channel's session, if it is still active (idx_sessions_discord_channel)."""
    return session.scalars(
        select(ChatSession).where(
            ChatSession.discord_channel_id == discord_channel_id, ChatSession.is_active
        )
    ).one_or_none()


def session_messages(session: Session, chat_session_id: uuid.UUID) -> list[ChatMessage]:
    """A session's messages, oldest first (idx_messages_session)."""
    return list(
        session.scalars(
            select(ChatMessage)
            .where(ChatMessage.session_id == chat_session_id)
            .order_by(ChatMessage.timestamp, ChatMessage.id)
        )
    )


def record_message(
    session: Session,
    *,
    chat_session_id: uuid.UUID,
    request_id: uuid.UUID,
    role: MessageRole,
    text: str,
    metadata: dict[str, Any] | None = None,
    cipher: MultiFernet | None = None,
) -> ChatMessage:
    """Store a message once per request: a retried request gets the message it stored first.

    INSERT ... ON CONFLICT (request_id) DO NOTHING: a concurrent insert of the same request waits
    for the first one's transaction and then inserts nothing, and the stored message is read back
    (under READ COMMITTED, PostgreSQL's default, that read sees the first one's commit). With a
    cipher the text is stored encrypted and `content` stays NULL; `metadata` is never encrypted,
    so it must not carry what the encryption protects.
    """
    values: dict[str, Any] = {
        "session_id": chat_session_id,
        "request_id": request_id,
        "role": role,
        "metadata_": metadata or {},
    }
    if cipher is None:
        values["content"] = text
    else:
        values["encrypted_content"] = crypto.encrypt(text, cipher)
    inserted = session.scalars(
        insert(ChatMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[ChatMessage.request_id])
        .returning(ChatMessage)
    ).one_or_none()
    if inserted is not None:
        return inserted
    return session.scalars(select(ChatMessage).where(ChatMessage.request_id == request_id)).one()


def message_text(message: ChatMessage, cipher: MultiFernet | None = None) -> str:
    """A message's text, decrypted if stored encrypted (by default with the configured keys)."""
    if message.encrypted_content is None:
        return message.content
    return crypto.decrypt(message.encrypted_content, cipher or crypto.message_cipher())


def reencrypt_messages(session: Session, cipher: MultiFernet, *, batch_size: int = 500) -> int:
    """Re-encrypt every encrypted message with the cipher's first key; returns how many.

    The last step of a key rotation before an old key is removed from the settings. Commits after
    each batch, so a large table is never locked in one long transaction.
    """
    done, last_id = 0, None
    while True:
        query = select(ChatMessage).where(ChatMessage.encrypted_content.is_not(None))
        if last_id is not None:
            query = query.where(ChatMessage.id > last_id)
        batch = session.scalars(query.order_by(ChatMessage.id).limit(batch_size)).all()
        if not batch:
            return done
        for message in batch:
            message.encrypted_content = crypto.reencrypt(message.encrypted_content, cipher)
        session.commit()
        done, last_id = done + len(batch), batch[-1].id


def metrics_in_window(
    session: Session, *, client_bot_id: str, metric_type: str, since: datetime, until: datetime
) -> list[Metric]:
    """A bot's metrics of one type with since <= timestamp < until, oldest first.

    One range scan of idx_metrics_client_bot (client_bot_id, metric_type, timestamp).
    """
    return list(
        session.scalars(
            select(Metric)
            .where(
                Metric.client_bot_id == client_bot_id,
                Metric.metric_type == metric_type,
                Metric.timestamp >= since,
                Metric.timestamp < until,
            )
            .order_by(Metric.timestamp)
        )
    )


def latest_backups(session: Session, *, status: BackupStatus | None = None) -> dict[str, BackupLog]:
    """The most recently started backup of each type, optionally only those with `status`
    (e.g. the latest completed backup of each type)."""
    candidates = select(
        BackupLog.id,
        func.row_number()
        .over(
            partition_by=BackupLog.backup_type,
            order_by=(BackupLog.started_at.desc(), BackupLog.id),
        )
        .label("recency"),
    )
    if status is not None:
        candidates = candidates.where(BackupLog.status == status)
    ranked = candidates.subquery()
    latest = (
        select(BackupLog).join(ranked, BackupLog.id == ranked.c.id).where(ranked.c.recency == 1)
    )
    return {backup.backup_type: backup for backup in session.scalars(latest)}
