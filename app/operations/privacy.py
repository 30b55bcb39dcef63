"""A person's data in every context: found, exported (access requests) or erased.

A person is a `public.users` row. Their rows are found by following foreign keys from `users.id`
and onward (a therapy session's messages, a goal's check-ins), plus the few references that are
not foreign keys (`not_foreign_keys`). The walk reads the models, so a new context's tables are
covered as soon as their foreign keys say whom they belong to.

Clinic staff (`auth.sys_usuarios`) are not platform people: the clinic keeps its own identity.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONPATH
from sqlalchemy.orm import Session

from app.runtime.errors import TherapyDbError
from app.runtime.models import metadata

USERS = metadata.tables["public.users"]
INTEGER_MAX = 2**31 - 1  # the AI therapist's userid is an integer

# Foreign keys that record a person's action on something that is not theirs: erasing the person
# clears the reference (ON DELETE SET NULL) and keeps the row.
NOT_THEIRS = {("chat.system_configs", "updated_by")}


class PersonNotFoundError(TherapyDbError):
    """No platform person matches what the operator gave."""


@dataclass
class Holding:
    """A table and the condition selecting one person's rows in it."""

    table: sa.Table
    where: sa.ColumnElement[bool]


def not_foreign_keys(person: sa.Row) -> list[Holding]:
    """References to a person that no foreign key carries."""
    # connect-pg-simple's login sessions keep the user id inside the session JSON: the AI
    # therapist app, whose sessions they are, keeps its own key (`userid`) there.
    sessions = metadata.tables["public.user_sessions"]
    theirs = sa.cast(sessions.c.sess, sa.Text).contains(str(person.id))
    if person.userid is not None:
        theirs = sa.or_(
            theirs,
            sa.func.jsonb_path_exists(
                sessions.c.sess,
                sa.cast(THERAPIST_KEY_IN_SESSION, JSONPATH),
                sa.func.jsonb_build_object("number", person.userid, "text", str(person.userid)),
            ),
        )
    return [Holding(sessions, theirs)]


# The therapist app's key anywhere in a login session, as a number or a string.
THERAPIST_KEY_IN_SESSION = (
    "$.** ? (@.userid == $number || @.userid == $text || @.userId == $number || @.userId == $text)"
)


def holdings(person: sa.Row) -> list[Holding]:
    """Every table holding rows of `person`, parents before children (the models' order)."""
    where: dict[sa.Table, sa.ColumnElement[bool]] = {USERS: USERS.c.id == person.id}
    for table in metadata.sorted_tables:
        paths = [
            sa.tuple_(*fk.columns).in_(
                sa.select(*(element.column for element in fk.elements)).where(
                    where[fk.referred_table]
                )
            )
            for fk in sorted(table.foreign_key_constraints, key=lambda fk: fk.name or "")
            if fk.referred_table in where
            and (table.fullname, next(iter(fk.columns)).name) not in NOT_THEIRS
        ]
        if paths and table is not USERS:
            where[table] = sa.or_(*paths)
    found = [Holding(table, condition) for table, condition in where.items() if table is not USERS]
    return found + not_foreign_keys(person)


def find_person(session: Session, who: str) -> sa.Row:
    """The `users` row for an id, an email, a username, a Discord id, an external auth id or the
    AI therapist app's userid."""
    try:
        condition = USERS.c.id == uuid.UUID(who)
    except ValueError:
        condition = sa.or_(
            sa.func.lower(USERS.c.email) == who.lower(),
            USERS.c.username == who,
            USERS.c.external_auth_id == who,
            *([USERS.c.discord_id == int(who)] if who.isdigit() else []),
            *([USERS.c.userid == int(who)] if who.isdigit() and int(who) <= INTEGER_MAX else []),
        )
    people = session.execute(sa.select(USERS).where(condition)).all()
    if not people:
        raise PersonNotFoundError(
            f"no person matches {who!r} (looked for it as id, email, username, Discord id, "
            "external auth id and the AI therapist's userid)"
        )
    if len(people) > 1:
        raise PersonNotFoundError(f"{who!r} matches {len(people)} people; give their id instead")
    return people[0]


def export(session: Session, person: sa.Row) -> dict[str, Any]:
    """Every row of the person, as JSON values, by `schema.table`."""
    tables = {"public.users": _as_json(session, USERS, USERS.c.id == person.id)}
    for holding in holdings(person):
        rows = _as_json(session, holding.table, holding.where)
        if rows:
            tables[holding.table.fullname] = rows
    return {"person": str(person.id), "tables": tables}


def _as_json(session: Session, table: sa.Table, where: sa.ColumnElement[bool]) -> list:
    rows = sa.select(table).where(where).subquery("person_row")
    return session.scalar(
        sa.select(
            sa.func.coalesce(sa.func.jsonb_agg(sa.literal_column("person_row")), sa.text("'[]'"))
        ).select_from(rows)
    )


@dataclass
class Erasure:
    deleted: dict[str, int] = field(default_factory=dict)
    traces: dict[str, int] = field(default_factory=dict)


def erase(session: Session, person: sa.Row) -> Erasure:
    """Delete the person and every row of theirs, children first, in the caller's transaction;
    then look for anything still carrying their id or identifiers (`Erasure.traces`)."""
    erasure = Erasure()
    for holding in reversed(holdings(person)):
        count = session.execute(sa.delete(holding.table).where(holding.where)).rowcount
        if count:
            erasure.deleted[holding.table.fullname] = count
    session.execute(sa.delete(USERS).where(USERS.c.id == person.id))
    erasure.deleted["public.users"] = 1
    erasure.traces = traces(session, person)
    return erasure


def traces(session: Session, person: sa.Row) -> dict[str, int]:
    """Rows of any project table still holding the person's id or identifiers, by column.

    A scan of every uuid, text, bigint and JSON column: the proof an erasure left nothing
    behind. It looks for what identifies the person unambiguously: their id, email, external auth
    id and Discord id (a username is too short to tell apart from ordinary text).
    """
    identifiers = [
        str(value)
        for value in (person.id, person.email, person.external_auth_id, person.discord_id)
        if value
    ]
    columns = session.execute(
        sa.text(
            """
            SELECT format('%I.%I', c.table_schema, c.table_name), format('%I', c.column_name),
                   c.data_type
            FROM information_schema.columns c
            JOIN information_schema.tables t USING (table_schema, table_name)
            WHERE c.table_schema = ANY(:schemas) AND t.table_type = 'BASE TABLE'
              AND c.data_type IN ('uuid', 'text', 'character varying', 'jsonb', 'json', 'bigint')
              AND c.table_name NOT IN ('alembic_version', 'alembic_version_checksums')
            """
        ),
        {"schemas": list(metadata_schemas())},
    ).all()
    found = {}
    for table, column, data_type in columns:
        if data_type in ("jsonb", "json"):
            match = f"{column}::text LIKE ANY(:patterns)"
        else:
            match = f"{column}::text = ANY(:identifiers)"
        count = session.scalar(
            sa.text(f"SELECT count(*) FROM {table} WHERE {match}"),
            {"identifiers": identifiers, "patterns": [f'%"{value}"%' for value in identifiers]},
        )
        if count:
            found[f"{table}.{column}"] = count
    return found


def metadata_schemas() -> set[str]:
    return {table.schema for table in metadata.tables.values()}
