"""Each context's round-trip data; importing this package registers all of it."""

from tests.migrations.data import identity, memory

__all__ = ["identity", "memory"]
