"""Rows streamed from the source database into the target, COPY to COPY, in bounded memory.

The source sends `COPY (SELECT ...) TO STDOUT` (psycopg 3) and the target reads the same bytes
as `COPY ... FROM STDIN` (psycopg2, the connection the migrations run on): one block in memory at
a time, whatever the table's size. Text format, so a value moves between types that differ but
hold it the same (varchar into text, timestamp into timestamptz read in the source's zone).
"""

from collections.abc import Callable, Iterable, Iterator

import psycopg
from psycopg import sql

# Session settings that make the text both servers write and read unambiguous.
SOURCE_SETTINGS = {
    "DateStyle": "ISO, MDY",
    "IntervalStyle": "postgres",
    "extra_float_digits": "3",
    "TimeZone": "UTC",  # timestamptz values carry their offset
    "client_encoding": "UTF8",
}


def connect(conninfo: str) -> psycopg.Connection:
    """A read-only connection to the source, in one snapshot for every count and copy."""
    connection = psycopg.connect(conninfo, autocommit=False)
    connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    connection.read_only = True
    with connection.cursor() as cursor:
        for name, value in SOURCE_SETTINGS.items():
            cursor.execute("SELECT set_config(%s, %s, false)", (name, value))
    return connection


class _Stream:
    """What psycopg2's copy_expert reads from: the source's COPY blocks, counted in rows."""

    def __init__(self, blocks: Iterable[bytes], on_rows: Callable[[int], None]):
        self._blocks: Iterator[bytes] = iter(blocks)
        self._on_rows = on_rows
        self.rows = 0

    def read(self, size: int = -1) -> bytes:
        block = next(self._blocks, b"")
        data = bytes(block)
        rows = data.count(b"\n")  # text COPY escapes newlines inside values
        self.rows += rows
        if rows:
            self._on_rows(rows)
        return data

    readline = read


def copy_table(
    source: "psycopg.Connection | LocalSource",
    target_cursor,
    source_table: str,
    target_table: str,
    columns: list[str],
    on_rows: Callable[[int], None] = lambda rows: None,
) -> int:
    """Copy `columns` of every row of `source_table` into `target_table`; returns the rows."""
    if isinstance(source, LocalSource):
        return source.copy_into(target_cursor, source_table, target_table, columns, on_rows)
    schema, name = source_table.split(".")
    selected = sql.SQL("COPY (SELECT {columns} FROM {table}) TO STDOUT").format(
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        table=sql.Identifier(schema, name),
    )
    quoted = ", ".join(f'"{column}"' for column in columns)
    with source.cursor() as cursor, cursor.copy(selected) as blocks:
        stream = _Stream(blocks, on_rows)
        target_cursor.copy_expert(f"COPY {target_table} ({quoted}) FROM STDIN", stream)
    return stream.rows


class LocalSource:
    """The source system's tables in the target database itself (in-place adoption): the same
    calls as a psycopg connection, and rows moved with INSERT ... SELECT, not over a wire."""

    def __init__(self, cursor_factory):
        self._cursor = cursor_factory

    def cursor(self):
        return self._cursor()

    def execute(self, statement: str, params=None):
        cursor = self._cursor()
        cursor.execute(statement, params)
        return cursor

    def copy_into(self, target_cursor, source_table, target_table, columns, on_rows) -> int:
        quoted = ", ".join(f'"{column}"' for column in columns)
        schema, name = source_table.split(".")
        target_cursor.execute(
            f'INSERT INTO {target_table} ({quoted}) SELECT {quoted} FROM "{schema}"."{name}"'
        )
        on_rows(target_cursor.rowcount)
        return target_cursor.rowcount
