"""Round-trip data of the identity context: people in public.users."""

import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tests.migrations.roundtrip import after_downgrade, after_upgrade, insert, insert_after_upgrade

THERAPIST = uuid.UUID("00000000-0000-4000-8000-000000000001")
PARTICIPANT = uuid.UUID("00000000-0000-4000-8000-000000000002")

PEOPLE = [
    {
        "id": THERAPIST,
        "username": "dr.rivera",
        "password_hash": "$2b$12$therapistHashPlaceholder",
        "role": "therapist",
        "created_at": "2024-03-01T09:00:00+00:00",
        "updated_at": "2024-03-01T09:00:00+00:00",
    },
    {
        "id": PARTICIPANT,
        "username": "participant-17",
        "password_hash": "$2b$12$participantHashPlaceholder",
        "role": "participant",
        "created_at": "2024-05-12T18:30:00+00:00",
        "updated_at": "2024-06-02T07:45:00+00:00",
    },
]


@after_upgrade("platform")
def users_get_defaults_and_keep_updated_at_current(connection: Connection) -> None:
    row = connection.execute(
        sa.text(
            "INSERT INTO public.users (username, created_at, updated_at) "
            "VALUES ('probe', '2020-01-01', '2020-01-01') RETURNING id, role"
        )
    ).one()
    assert row.id is not None and row.role is None
    touched = connection.scalar(
        sa.text("UPDATE public.users SET role = 'researcher' WHERE id = :id RETURNING updated_at"),
        {"id": row.id},
    )
    assert touched == connection.scalar(sa.text("SELECT now()"))


@insert_after_upgrade("platform")
def people(connection: Connection) -> None:
    insert(connection, "public.users", PEOPLE)


@after_downgrade("platform")
def users_table_and_schemas_are_gone(connection: Connection) -> None:
    leftovers = connection.scalars(
        sa.text(
            "SELECT nspname FROM pg_namespace WHERE nspname IN "
            "('therapy', 'memory', 'coaching', 'auth', 'chat') "
            "UNION ALL SELECT 'public.users' WHERE to_regclass('public.users') IS NOT NULL"
        )
    ).all()
    assert leftovers == []
