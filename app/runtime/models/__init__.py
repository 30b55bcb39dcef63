"""All models: importing this package registers every context's tables on `metadata`."""

from app.runtime.models import chat, clinic, coaching, identity, memory, platform, therapy
from app.runtime.models.base import SCHEMAS, Base

metadata = Base.metadata

__all__ = [
    "SCHEMAS",
    "Base",
    "chat",
    "clinic",
    "coaching",
    "identity",
    "memory",
    "metadata",
    "platform",
    "therapy",
]
