"""pytest-alembic's checks of the history, each against a fresh empty database.

Its experimental `test_downgrade_leaves_no_trace` is not among them: it walks the history one
`+1`/`-1` step at a time, which on a history with a branch per context steps across branches
(it compared clinic_legacy with chat_discord). tests/migrations/test_roundtrip.py makes the same
check, and a stronger one (every catalog object and row), one revision at a time.
"""

from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from pytest_alembic.tests.experimental import test_all_models_register_on_metadata

__all__ = [
    "test_all_models_register_on_metadata",
    "test_model_definitions_match_ddl",
    "test_single_head_revision",
    "test_up_down_consistency",
    "test_upgrade",
]
