"""What revisions and alembic/env.py import. Frozen: a function's SQL never changes under a
revision that calls it; new behaviour is a new function (docs/ARCHITECTURE.md section 7), and
alembic/golden/ proves old revisions unchanged."""
