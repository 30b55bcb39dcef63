"""Message encryption: round trip, clear errors for wrong or missing keys, key rotation."""

import uuid

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, selectinload

from app.runtime import crypto
from app.runtime.crypto import MessageDecryptionError, MessageEncryptionKeyError
from app.runtime.models.chat import ChatSession, MessageRole, SessionOrigin
from app.runtime.models.identity import User
from app.runtime.queries.chat import message_text, record_message, reencrypt_messages
from app.runtime.settings import Settings

TEXT = "I haven't slept properly since the move."
OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def cipher(*keys: str):
    return crypto.cipher_from_keys(keys)


def test_encrypted_text_round_trips_and_is_not_stored_readable():
    token = crypto.encrypt(TEXT, cipher(NEW_KEY))
    assert TEXT.encode() not in token
    assert crypto.decrypt(token, cipher(NEW_KEY)) == TEXT


def test_a_wrong_key_is_a_clear_error_never_garbage():
    token = crypto.encrypt(TEXT, cipher(OLD_KEY))
    with pytest.raises(MessageDecryptionError, match="cannot be decrypted with any key of"):
        crypto.decrypt(token, cipher(NEW_KEY))


def test_altered_ciphertext_is_refused():
    token = bytearray(crypto.encrypt(TEXT, cipher(NEW_KEY)))
    token[-10] = ord("A") if token[-10] != ord("A") else ord("B")
    with pytest.raises(MessageDecryptionError, match="or the stored content was altered"):
        crypto.decrypt(bytes(token), cipher(NEW_KEY))


@pytest.mark.parametrize("configured", [None, "", " , "])
def test_no_configured_key_is_a_clear_error(configured):
    settings = Settings(_env_file=None, message_encryption_keys=configured)
    with pytest.raises(MessageEncryptionKeyError, match="MESSAGE_ENCRYPTION_KEYS is not set"):
        crypto.message_cipher(settings)


def test_a_malformed_key_is_named_by_its_position_never_by_its_value():
    settings = Settings(_env_file=None, message_encryption_keys=f"{NEW_KEY},not-a-real-key")
    with pytest.raises(
        MessageEncryptionKeyError, match=r"key 2 of \w+ is not a Fernet key"
    ) as error:
        crypto.message_cipher(settings)
    assert "not-a-real-key" not in str(error.value)


def test_keys_come_from_the_environment_and_are_never_printed(monkeypatch):
    monkeypatch.setenv("THERAPY_DB_MESSAGE_ENCRYPTION_KEYS", f" {NEW_KEY} , {OLD_KEY} ")
    settings = Settings(_env_file=None)
    assert NEW_KEY not in repr(settings) and NEW_KEY not in str(settings.model_dump())
    old_token = crypto.encrypt(TEXT, cipher(OLD_KEY))
    assert crypto.decrypt(old_token, crypto.message_cipher(settings)) == TEXT


def test_rotation_reads_with_every_key_and_writes_with_the_first():
    old_token = crypto.encrypt(TEXT, cipher(OLD_KEY))
    rotated = cipher(NEW_KEY, OLD_KEY)
    assert crypto.decrypt(old_token, rotated) == TEXT

    new_token = crypto.encrypt(TEXT, rotated)
    assert crypto.decrypt(new_token, cipher(NEW_KEY)) == TEXT
    with pytest.raises(MessageDecryptionError):
        crypto.decrypt(new_token, cipher(OLD_KEY))


def test_reencrypting_stored_messages_lets_the_old_key_go(session: Session):
    owner = User(discord_id=1)
    conversation = ChatSession(owner=owner, origin=SessionOrigin.WEBSITE)
    session.add(conversation)
    session.flush()
    texts = [f"message {n}" for n in range(5)]
    for n, text in enumerate(texts):
        record_message(
            session,
            chat_session_id=conversation.id,
            request_id=uuid.uuid4(),
            role=MessageRole.USER,
            text=text,
            cipher=cipher(OLD_KEY) if n % 2 else None,
        )
    session.commit()

    assert reencrypt_messages(session, cipher(NEW_KEY, OLD_KEY), batch_size=1) == 2
    session.expire_all()
    stored = session.scalars(
        sa.select(ChatSession).options(selectinload(ChatSession.messages))
    ).one()
    assert sorted(message_text(m, cipher(NEW_KEY)) for m in stored.messages) == texts
