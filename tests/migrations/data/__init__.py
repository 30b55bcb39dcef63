"""Each context's round-trip data; importing this package registers all of it."""

from tests.migrations.data import clinic, identity

__all__ = ["clinic", "identity"]
