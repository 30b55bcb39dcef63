"""How revisions fill the tables they create: the rows first, then the keys that check them.

A foreign key checks every inserted row with a lookup of its own (a trigger per row), and a key's
index is updated row by row, in random order for the derived uuid keys. Added after the load, a
foreign key checks all rows with one join and an index is built once, by a sort. So a revision
creates a new table without its keys, loads it, then adds them (and creates the table's other
indexes); ARCHITECTURE section 11 and scripts/bench measure the difference.

Revisions import this module (never `app.runtime.models`), so what it emits is part of the
history: once a revision has shipped using a function here, that function's SQL does not change.
"""

import sqlalchemy as sa
from alembic import op

# Memory for the sorts and hashes of one revision's backfill statements, and for the index builds
# and key validations after them; SET LOCAL, so for that revision's transaction only.
BACKFILL_SETTINGS = {"work_mem": "256MB", "maintenance_work_mem": "1GB"}

# Created after the load: keys and uniqueness (their indexes), then foreign keys (which need the
# keys they reference).
HELD_BACK = (sa.PrimaryKeyConstraint, sa.UniqueConstraint, sa.ForeignKeyConstraint)


def use_backfill_memory() -> None:
    """Give the rest of this revision's transaction the memory a backfill's sorts need."""
    for name, value in BACKFILL_SETTINGS.items():
        op.execute(f"SET LOCAL {name} = '{value}'")


class NewTables:
    """Tables a revision creates and then fills. Each is declared whole, as for op.create_table,
    but created without its primary key, unique constraints and foreign keys, which `add_keys()`
    adds once the backfills have run:

        tables = NewTables()
        tables.create_table("smart_goals", *columns, *constraints, schema="coaching")
        op.execute(BACKFILL)
        tables.add_keys()
    """

    def __init__(self) -> None:
        self._held: list[sa.Constraint] = []

    def create_table(self, name: str, *elements, schema: str | None = None, **kwargs) -> None:
        held = [element for element in elements if isinstance(element, HELD_BACK)]
        columns = [element for element in elements if isinstance(element, sa.Column)]
        if any(column.primary_key or column.unique or column.foreign_keys for column in columns):
            raise ValueError(f"{name}: declare keys as constraint elements, not on columns")
        rest = [element for element in elements if not isinstance(element, HELD_BACK)]
        table = op.create_table(name, *rest, schema=schema, **kwargs)
        for constraint in held:  # on the Table object only, to name its columns later
            table.append_constraint(constraint)
        self._held += held

    def add_keys(self) -> None:
        """Add every held constraint: keys and unique constraints first, then foreign keys."""
        for constraint in self._held:
            columns = [column.name for column in constraint.columns]
            table, schema = constraint.table.name, constraint.table.schema
            if isinstance(constraint, sa.PrimaryKeyConstraint):
                op.create_primary_key(constraint.name, table, columns, schema=schema)
            elif isinstance(constraint, sa.UniqueConstraint):
                op.create_unique_constraint(constraint.name, table, columns, schema=schema)
        for constraint in self._held:
            if isinstance(constraint, sa.ForeignKeyConstraint):
                add_foreign_key(constraint)
        self._held.clear()


def add_foreign_key(key: sa.ForeignKeyConstraint) -> None:
    """op.create_foreign_key for a ForeignKeyConstraint naming its target as schema.table.column."""
    targets = [element.target_fullname.split(".") for element in key.elements]
    referent_schema, referent, _ = targets[0]
    op.create_foreign_key(
        key.name,
        key.table.name,
        referent,
        [column.name for column in key.columns],
        [column for *_, column in targets],
        source_schema=key.table.schema,
        referent_schema=referent_schema,
        onupdate=key.onupdate,
        ondelete=key.ondelete,
        deferrable=key.deferrable,
        initially=key.initially,
        match=key.match,
    )
