"""All models: importing this package registers every context's tables on `metadata`."""

from app.models import identity, memory
from app.models.base import SCHEMAS, Base

metadata = Base.metadata

__all__ = ["SCHEMAS", "Base", "identity", "memory", "metadata"]
