"""The floor of a schema build: the models' tables created in one go, then stamped at head.

    python -m scripts.bench.create_all    (database: DATABASE_URL)

What `alembic upgrade head` is compared to: `Base.metadata.create_all` plus `alembic stamp head`,
after the schemas and the extension the models need. It builds the tables, keys, indexes and
enum types, but none of what only the history has (triggers, functions, views, partitions,
grants), so it is cheaper than anything that builds the real schema.
"""

import alembic.command
import sqlalchemy as sa

from app.operations.history import alembic_config
from app.runtime import db
from app.runtime.models import SCHEMAS, Base


def main() -> None:
    engine = db.create_engine(poolclass=sa.NullPool)
    with engine.begin() as connection:
        for schema in SCHEMAS:
            connection.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
        for column in (c for table in Base.metadata.sorted_tables for c in table.columns):
            if isinstance(column.type, sa.Enum):  # types a revision creates explicitly
                column.type.create(connection, checkfirst=True)
        Base.metadata.create_all(connection)
    alembic.command.stamp(alembic_config(engine), "head")
    engine.dispose()


if __name__ == "__main__":
    main()
