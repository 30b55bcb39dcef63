"""Runtime configuration, read from the environment or a `.env` file.

Only `DATABASE_URL` matters in production. Everything else has a default that suits a developer's
checkout: with no URL the package runs its own embedded PostgreSQL under `.pgdata/` (installed
from a wheel, under the user's data directory; THERAPY_DB_PGDATA chooses).
"""

from functools import cache
from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Running from the repository (make, an editable install), not from an installed wheel.
CHECKOUT = (PROJECT_ROOT / "alembic.ini").is_file() and (PROJECT_ROOT / "pyproject.toml").is_file()


def default_pgdata() -> Path:
    """The embedded server's data: in the checkout (git-ignored), else the user's data dir."""
    if CHECKOUT:
        return PROJECT_ROOT / ".pgdata"
    return Path(platformdirs.user_data_dir("therapy-db")) / "pgdata"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="THERAPY_DB_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # A secret because it usually carries a password: it must never be printed or logged.
    database_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "THERAPY_DB_DATABASE_URL")
    )

    # The embedded server (used only when database_url is unset).
    pgdata: Path = Field(default_factory=default_pgdata)
    embedded_database: str = "therapy"

    # Migration sessions: wait this long for the migration lock another operator holds, then
    # never queue behind application traffic for longer than lock_timeout.
    migration_lock_wait: str = "10min"
    migration_lock_timeout: str = "5s"
    migration_statement_timeout: str = "30min"

    # Message encryption (app/runtime/crypto.py): Fernet keys, comma separated; the first
    # encrypts, every one of them decrypts (key rotation). A secret: never printed or logged.
    message_encryption_keys: SecretStr | None = None

    @field_validator("database_url", mode="before")
    @classmethod
    def _empty_means_unset(cls, value):
        return None if isinstance(value, str) and not value.strip() else value


@cache
def get_settings() -> Settings:
    return Settings()
