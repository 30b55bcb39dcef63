"""Rules every table at head follows, whichever context it belongs to."""

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.runtime.models import SCHEMAS, metadata
from app.toolkit import ddl


def query(engine: Engine, sql: str) -> list:
    with engine.connect() as connection:
        return connection.execute(sa.text(sql), {"schemas": list(SCHEMAS)}).all()


def test_every_updated_at_column_is_kept_current_by_the_trigger(engine: Engine):
    missing = query(
        engine,
        f"""
        SELECT c.table_schema || '.' || c.table_name
        FROM information_schema.columns c
        JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE c.column_name = 'updated_at' AND c.table_schema = ANY(:schemas)
          AND t.table_type = 'BASE TABLE'
          AND NOT EXISTS (
              SELECT 1 FROM pg_trigger tg
              WHERE tg.tgrelid = format('%I.%I', c.table_schema, c.table_name)::regclass
                AND tg.tgname = '{ddl.UPDATED_AT_TRIGGER}' AND NOT tg.tgisinternal)
        """,
    )
    assert missing == []


def test_every_foreign_key_is_served_by_an_index(engine: Engine):
    """Deleting a user (or a session) must not scan every referencing table."""
    unindexed = query(
        engine,
        """
        SELECT con.conrelid::regclass::text || ' ' || con.conname
        FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
        WHERE con.contype = 'f' AND n.nspname = ANY(:schemas)
          AND NOT EXISTS (
              SELECT 1 FROM pg_index i
              WHERE i.indrelid = con.conrelid
                AND (i.indkey::int2[])[0:cardinality(con.conkey) - 1] = con.conkey)
        """,
    )
    assert unindexed == []


def test_every_table_has_a_primary_key(engine: Engine):
    keyless = query(
        engine,
        """
        SELECT format('%I.%I', n.nspname, c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY(:schemas)
          AND NOT EXISTS (
              SELECT 1 FROM pg_constraint p WHERE p.conrelid = c.oid AND p.contype = 'p')
        """,
    )
    assert keyless == []


def test_every_model_names_its_schema():
    unnamed = [table.name for table in metadata.tables.values() if table.schema not in SCHEMAS]
    assert unnamed == []
