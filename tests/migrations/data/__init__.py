"""Each context's round-trip data; importing this package registers all of it."""

from tests.migrations.data import coaching, identity

__all__ = ["coaching", "identity"]
