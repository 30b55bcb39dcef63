"""memory_normalized up then down gives back every legacy profile exactly, whatever JSON it held.

Hypothesis writes legacy profiles with any JSON value the jsonb columns admit (the normal arrays
of short strings, nested arrays, objects, numbers, booleans, null elements, empty arrays, bare
strings, JSON null, SQL NULL), on users that may have several profiles or none, and checks each
profile's row text after upgrade-then-downgrade: stricter than `=` on every column, it also tells
JSON null from SQL NULL and keeps element order and nesting.
"""

import json
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection, Engine

from tests.support import downgrade, upgrade

SQL_NULL = None  # a Python None is SQL NULL; JSON null is the string "null"

USERS = [uuid.UUID(int=n) for n in range(1, 4)]

# jsonb refuses \u0000 and lone surrogates
text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=3),
    max_leaves=6,
)  # fmt: skip
field_values = st.one_of(
    st.just(SQL_NULL),
    st.lists(text, max_size=5).map(json.dumps),  # what real profiles hold
    json_values.map(json.dumps),
)
timestamps = st.none() | st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2026, 1, 1), timezones=st.just(UTC)
)


def jsonb_fields(connection: Connection) -> list[str]:
    return connection.scalars(
        sa.text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'memory' "
            "AND table_name = 'memory_profiles' AND data_type = 'jsonb' ORDER BY ordinal_position"
        )
    ).all()


@st.composite
def legacy_profiles(draw, fields: list[str]) -> list[dict]:
    return [
        {
            "id": draw(st.uuids()),
            "user_id": draw(st.sampled_from([None, *USERS])),
            "awareness_level": draw(st.none() | st.integers(1, 10)),
            "suicidal_risk_level": draw(st.none() | st.integers(0, 3)),
            "sleep_quality": draw(st.none() | text),
            "created_at": draw(timestamps),
            "updated_at": draw(timestamps),
            **{name: draw(field_values) for name in fields},
        }
        for _ in range(draw(st.integers(1, 4)))
    ]


def insert(connection: Connection, profiles: list[dict], fields: list[str]) -> None:
    connection.execute(
        sa.text("INSERT INTO public.users (id) VALUES (:id)"), [{"id": u} for u in USERS]
    )
    columns = list(profiles[0])
    values = [f"CAST(:{c} AS jsonb)" if c in fields else f":{c}" for c in columns]
    connection.execute(
        sa.text(
            f"INSERT INTO memory.memory_profiles ({', '.join(columns)}) "
            f"VALUES ({', '.join(values)})"
        ),
        profiles,
    )


def profile_rows(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return connection.scalars(
            sa.text("SELECT p::text FROM memory.memory_profiles p ORDER BY p.id")
        ).all()


def test_any_legacy_json_survives_upgrade_then_downgrade(databases):
    with databases.at("memory_legacy") as engine, engine.connect() as connection:
        fields = jsonb_fields(connection)
    assert len(fields) == 42

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(profiles=legacy_profiles(fields))
    def round_trip(profiles):
        profiles = list({profile["id"]: profile for profile in profiles}.values())
        with databases.at("memory_legacy") as engine:
            with engine.begin() as connection:
                insert(connection, profiles, fields)
            before = profile_rows(engine)

            upgrade(engine, "memory_normalized")
            with engine.connect() as connection:
                placed = connection.scalar(
                    sa.text(
                        "SELECT (SELECT count(*) FROM memory.user_profile_summary) "
                        "+ (SELECT count(*) FROM memory.memory_profiles_rejected)"
                    )
                )
            assert placed == len(profiles)

            downgrade(engine, "memory_legacy")
            assert profile_rows(engine) == before

    round_trip()
