"""Functions service code calls, one module per context; each takes a SQLAlchemy Session first."""
