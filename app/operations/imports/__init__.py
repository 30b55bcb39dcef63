"""Bringing a source system's own database into the unified one (`therapy-db import`)."""

from app.operations.imports.runner import ImportRefusedError, Progress, Report, adopt, run

__all__ = ["ImportRefusedError", "Progress", "Report", "adopt", "run"]
