"""What autogenerate compares, shared by alembic/env.py and the operator commands.

Only the project's schemas, tables rather than their partitions, and foreign keys by what they
do rather than by how they spell `public`.
"""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

# The module, not its `metadata`: pytest-alembic finds the models' package through the modules
# that hold the MetaData, and expects a package there.
from app.runtime import models


class ComparisonScope:
    """The include hooks autogenerate calls, plus the partitions they must skip.

    Partitions are read from the database after the migration context is configured: reading
    earlier would open the transaction alembic expects to own.
    """

    def __init__(self) -> None:
        self.partitions: set[tuple[str, str]] = set()

    def read_partitions(self, connection: Connection) -> None:
        rows = connection.execute(
            sa.text(
                "SELECT n.nspname, c.relname FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relispartition"
            )
        )
        self.partitions.update((schema, table) for schema, table in rows)

    def include_name(self, name: str | None, type_: str, parent_names: dict) -> bool:
        """Anything outside the project's schemas is someone else's; a partition is storage of
        its parent table, which is what the models describe."""
        if type_ == "schema":
            return name is None or name in models.SCHEMAS
        if type_ == "table":
            if name == "alembic_version_checksums":  # the history's bookkeeping, like its version
                return False
            return (parent_names.get("schema_name") or "public", name) not in self.partitions
        return True

    def include_object(self, object_, name, type_: str, reflected: bool, compare_to) -> bool:
        """Skip a foreign key that differs from its namesake only in how it names `public`.

        Reflection reports a table in the default schema without a schema, while the models name
        it (`public.users`); without this, autogenerate would drop and re-create every foreign
        key to public.users on every run (sqlalchemy/alembic#1128).
        """
        if type_ == "foreign_key_constraint" and compare_to is not None:
            return foreign_key_spec(object_) != foreign_key_spec(compare_to)
        return True

    def options(self) -> dict:
        return {
            "target_metadata": models.metadata,
            "include_schemas": True,
            "include_name": self.include_name,
            "include_object": self.include_object,
            "compare_type": True,
            "compare_server_default": True,
        }


def foreign_key_spec(constraint: sa.ForeignKeyConstraint) -> tuple:
    source, target = constraint.parent, constraint.elements[0].column.table
    return (
        source.schema or "public",
        source.name,
        tuple(column.name for column in constraint.columns),
        target.schema or "public",
        target.name,
        tuple(element.column.name for element in constraint.elements),
        constraint.ondelete,
        constraint.onupdate,
        constraint.deferrable,
        constraint.initially,
    )


def schema_differences(connection: Connection) -> list:
    """What `alembic check` would report: the operations that would bring the database to the
    models (empty when they agree)."""
    scope = ComparisonScope()
    scope.read_partitions(connection)
    context = MigrationContext.configure(connection, opts=scope.options())
    return compare_metadata(context, models.metadata)
