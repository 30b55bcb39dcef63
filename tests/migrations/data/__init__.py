"""Each context's round-trip data; importing this package registers all of it."""

from tests.migrations.data import chat, clinic, coaching, identity, memory, therapy

__all__ = ["chat", "clinic", "coaching", "identity", "memory", "therapy"]
