"""Functions service code calls with its SQLAlchemy Session, one module per context."""
