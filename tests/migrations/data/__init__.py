"""Each context's round-trip data; importing this package registers all of it."""

from tests.migrations.data import chat, identity

__all__ = ["chat", "identity"]
