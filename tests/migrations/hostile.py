"""Hostile legacy data: what legacy column types admit, at its edges, as hypothesis strategies,
and a loader that gives every value to PostgreSQL as text cast to its column's type.

The edges: empty strings, whitespace, quotes and SQL fragments, characters of every Unicode plane
(PostgreSQL text cannot hold NUL, so no type here admits it), the longest string a column takes
(1 MB for unbounded text); NULL where a column is nullable, JSON null, any JSON (and for a json
column, text jsonb would normalize: duplicate keys, spacing); the smallest and largest numbers
of each integer type; timestamps from 4714 BC to 294276 AD and +-infinity, which Python's
datetime cannot hold (hence the text loader). Values repeat freely where no constraint forbids
duplicates.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa
from hypothesis import strategies as st
from sqlalchemy.engine import Connection

ONE_MB = 1 << 20

# One character of each of the 17 planes (3 to 13 hold no assigned character, but UTF-8 and
# PostgreSQL take them), plus the last code point and a byte-order mark.
EVERY_PLANE = "".join(chr(plane << 16 | 0x4E2D) for plane in range(17)) + "\U0010ffff\ufeff"
SQL_FRAGMENTS = [
    "'",
    "''",
    '"',
    "\\",
    "\\'",
    "'; DROP TABLE public.users; --",
    "$$; DROP SCHEMA therapy CASCADE; $$",
    "%s %(x)s :name ?",
    "E'\\x00'",
    "NULL",
    "null",
    "{}",
    "[]",
    '{"a": 1}',
    "/* */ -- ",
    "\u202e\u0301",  # right-to-left override, a lone combining accent
]
WHITESPACE = [" ", "   ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u200b"]

characters = st.characters(codec="utf-8", exclude_characters="\x00")  # no lone surrogates either
pieces = st.one_of(st.sampled_from([*SQL_FRAGMENTS, *WHITESPACE, EVERY_PLANE]), st.text(characters))


def _fill(piece: str, length: int) -> str:
    piece = piece or "x"
    return (piece * (length // len(piece) + 1))[:length]


def texts(max_length: int | None = None) -> st.SearchStrategy[str]:
    """Strings a text (or varchar(max_length)) column admits, the longest among them."""
    longest = max_length or ONE_MB
    return st.one_of(
        st.just(""),
        st.sampled_from([*SQL_FRAGMENTS, *WHITESPACE, EVERY_PLANE]).map(lambda s: s[:longest]),
        st.text(characters, max_size=min(longest, 40)),
        st.builds(_fill, pieces, st.just(longest)),
    )


def integers(bits: int) -> st.SearchStrategy[int]:
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return st.one_of(st.sampled_from([low, high, 0, -1, 1]), st.integers(low, high))


# timestamptz: the type's own limits, infinities, and ordinary moments in any time zone.
TIMESTAMP_EDGES = [
    "-infinity",
    "infinity",
    "4714-11-24 00:00:00+00 BC",
    "294276-12-31 23:59:59.999999+00",
    "0001-01-01 00:00:00+00",
    "1970-01-01 00:00:00+00",
    "2000-02-29 12:00:00+14",
]


def timestamps(low: datetime | None = None, high: datetime | None = None) -> st.SearchStrategy[str]:
    """timestamptz literals; within [low, high) when given (a partitioned table's bounds)."""
    if low is not None and high is not None:
        last = high - timedelta(microseconds=1)
        inside = st.datetimes(low.replace(tzinfo=None), last.replace(tzinfo=None))
        return st.one_of(
            st.sampled_from([low, last]), inside.map(lambda moment: moment.replace(tzinfo=UTC))
        ).map(datetime.isoformat)
    zones = st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))])
    return st.one_of(
        st.sampled_from(TIMESTAMP_EDGES), st.datetimes(timezones=zones).map(datetime.isoformat)
    )


@dataclass(frozen=True)
class JsonNull:
    """JSON's null in a jsonb column (None is SQL NULL)."""


JSON_NULL = JsonNull()


@dataclass(frozen=True)
class JsonText:
    """JSON text as written, for a json column, which keeps it so: spacing, key order, and
    duplicate keys included."""

    text: str


# What a json column holds that jsonb would have normalized away.
RAW_JSON = ['{"a": 1, "a": 2}', " [ 1 ,\n 2 ] ", '{"b": 1, "a": 0}', "1.000", '"\\ud83d\\ude00"']

json_scalars = st.one_of(
    st.booleans(),
    st.just(None),
    integers(64),
    st.integers(-(10**400), 10**400),  # jsonb numbers are numerics: no size limit to speak of
    st.floats(allow_nan=False, allow_infinity=False),
    texts(),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(characters, max_size=8), inner)
    ),
    max_leaves=8,
)
jsonb = st.one_of(st.none(), st.just(JSON_NULL), json_values)
json_texts = st.one_of(jsonb, st.sampled_from(RAW_JSON).map(JsonText))  # a json column


def ip_addresses() -> st.SearchStrategy[str]:
    """inet values: IPv4 and IPv6 hosts, with or without a netmask."""
    return st.one_of(
        st.ip_addresses().map(str),
        st.ip_addresses().flatmap(
            lambda address: st.integers(0, address.max_prefixlen).map(
                lambda bits: f"{address}/{bits}"
            )
        ),
    )


def _encode(value, column_type: str):
    if isinstance(value, JsonText):
        return value.text
    if column_type in ("jsonb", "json"):
        return None if value is None else "null" if value is JSON_NULL else json.dumps(value)
    return value


def insert_rows(connection: Connection, table: str, rows: list[dict]) -> None:
    """INSERT `rows` into `table`, each value cast from text (or an int, a list) to its column's
    type by PostgreSQL, as a restore of the legacy system's dump would. The cast leaves out the
    type's length, so a value too long for a varchar(n) is refused, not cut."""
    if not rows:
        return
    types = dict(
        connection.execute(
            sa.text(
                "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
                "WHERE attrelid = CAST(:table AS regclass) AND attnum > 0 AND NOT attisdropped"
            ),
            {"table": table},
        ).all()
    )
    columns = list(rows[0])
    values = ", ".join(f"CAST(:{name} AS {types[name]})" for name in columns)
    names = ", ".join(f'"{name}"' for name in columns)
    connection.execute(
        sa.text(f"INSERT INTO {table} ({names}) VALUES ({values})"),
        [{name: _encode(row[name], types[name]) for name in columns} for row in rows],
    )


def as_json(connection: Connection, sql: str, **params) -> list[dict]:
    """Rows of `sql` as JSON objects, in a stable order: timestamps beyond Python's years too."""
    return [
        json.loads(row)
        for row in connection.scalars(
            sa.text(f"SELECT to_jsonb(x)::text FROM ({sql}) x ORDER BY 1"), params
        )
    ]
