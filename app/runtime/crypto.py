"""Encryption of chat message content, with Fernet from the `cryptography` library.

Fernet is authenticated encryption (AES-128-CBC with an HMAC-SHA256 over the whole token): a
wrong key or altered ciphertext fails the HMAC check and raises, it never decrypts to garbage.
MultiFernet gives key rotation: every configured key decrypts, the first one encrypts. To retire
a key, put a new key first, re-encrypt the stored messages
(`app.runtime.queries.chat.reencrypt_messages`), then drop the old key.

Keys come from THERAPY_DB_MESSAGE_ENCRYPTION_KEYS (settings), comma separated. Errors name the
setting and the key's position, never a key.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.runtime.errors import TherapyDbError
from app.runtime.settings import Settings, get_settings

KEYS_SETTING = "THERAPY_DB_MESSAGE_ENCRYPTION_KEYS"
HOW_TO_MAKE_A_KEY = (
    "make one with `python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'`"
)


class MessageEncryptionKeyError(TherapyDbError):
    """No usable message encryption key is configured."""


class MessageDecryptionError(TherapyDbError):
    """None of the configured keys opens this content: the wrong keys, or altered content."""


def cipher_from_keys(keys: Sequence[str]) -> MultiFernet:
    """A cipher that encrypts with `keys[0]` and decrypts with any of `keys`."""
    if not keys:
        raise MessageEncryptionKeyError(f"{KEYS_SETTING} is not set; {HOW_TO_MAKE_A_KEY}")
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except ValueError:
            raise MessageEncryptionKeyError(
                f"key {position} of {KEYS_SETTING} is not a Fernet key "
                f"(32 url-safe base64-encoded bytes); {HOW_TO_MAKE_A_KEY}"
            ) from None
    return MultiFernet(fernets)


def message_cipher(settings: Settings | None = None) -> MultiFernet:
    """The cipher of the configured keys."""
    secret = (settings or get_settings()).message_encryption_keys
    raw = secret.get_secret_value() if secret is not None else ""
    return cipher_from_keys([key.strip() for key in raw.split(",") if key.strip()])


def encrypt(text: str, cipher: MultiFernet) -> bytes:
    return cipher.encrypt(text.encode())


def decrypt(token: bytes, cipher: MultiFernet) -> str:
    with _opening():
        return cipher.decrypt(token).decode()


def reencrypt(token: bytes, cipher: MultiFernet) -> bytes:
    """The same content, encrypted with the cipher's first key (MultiFernet.rotate)."""
    with _opening():
        return cipher.rotate(token)


@contextmanager
def _opening() -> Iterator[None]:
    try:
        yield
    except InvalidToken:
        raise MessageDecryptionError(
            f"message content cannot be decrypted with any key of {KEYS_SETTING}: the key that "
            "encrypted it is not configured, or the stored content was altered"
        ) from None
