"""Errors that reach a person: each one says, in one line, what was wrong and what to do.

Commands turn these into a message and a non-zero exit instead of a traceback, so a message must
stand on its own and must never contain a password.
"""


class TherapyDbError(Exception):
    """Base class: bad configuration or an unusable database, never a bug in this package."""


class DatabaseUrlError(TherapyDbError):
    """DATABASE_URL (or `-x url=`) cannot be used as a PostgreSQL URL."""


class DatabaseUnavailableError(TherapyDbError):
    """The configured PostgreSQL server cannot be reached or refuses the connection."""


class MissingExtensionError(TherapyDbError):
    """The server lacks an extension the schema needs."""


class EmbeddedServerError(TherapyDbError):
    """The embedded PostgreSQL could not be started or stopped."""
