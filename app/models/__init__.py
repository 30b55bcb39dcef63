"""All models: importing this package registers every context's tables on `metadata`."""

from app.models import chat, clinic, coaching, identity, memory, platform, therapy
from app.models.base import SCHEMAS, Base

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
