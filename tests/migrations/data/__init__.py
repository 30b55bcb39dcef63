"""Each context's round-trip data; importing this package registers all of it."""

from tests.migrations.data import chat, identity, therapy

__all__ = ["chat", "identity", "therapy"]
