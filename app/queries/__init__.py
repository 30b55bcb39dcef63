"""Functions service code calls, one module per context, each taking a SQLAlchemy Session first."""
