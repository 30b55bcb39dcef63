"""therapy-db: the PostgreSQL schema, models and migration history of the therapy platform."""
