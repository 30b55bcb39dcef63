"""Alembic environment of therapy-db.

Which database: a connection handed in through `config.attributes["connection"]` (a Connection,
an Engine, or anything with `connect()`) always wins and settings are then never read; otherwise
`-x url=...`; otherwise DATABASE_URL; otherwise the embedded server. Only the project's schemas
are compared or touched. Every run holds the migration lock and timeouts of
`app.migration_session`, and each revision commits on its own.
"""

import logging
import re
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from alembic.util import CommandError
from sqlalchemy import pool
from sqlalchemy.engine import Connection

from app import db
from app.errors import TherapyDbError
from app.migration_session import closing_statements, migration_session, session_statements
from app.models import SCHEMAS, Base
from app.settings import get_settings

config = context.config
log = logging.getLogger("alembic.env")

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata

READABLE_REVISION_ID = re.compile(r"[a-z][a-z0-9_]*")

# (schema, table) of every partition in the database, read once the connection is configured.
partitions: set[tuple[str, str]] = set()


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Compare only this package's schemas, and tables rather than their partitions.

    Anything else in the database is someone else's; a partition is storage of its parent table,
    which is what the models describe.
    """
    if type_ == "schema":
        return name is None or name in SCHEMAS
    if type_ == "table":
        return (parent_names.get("schema_name") or "public", name) not in partitions
    return True


def include_object(object_, name, type_, reflected, compare_to) -> bool:
    """Skip a foreign key "change" that is the same key written two ways (alembic issue #1128).

    Reflection names no schema for a key into `public` (the default schema, on the search_path),
    while the models name it; alembic then reports the key removed and added again.
    """
    if type_ == "foreign_key_constraint" and compare_to is not None:
        return foreign_key_signature(object_) != foreign_key_signature(compare_to)
    return True


def foreign_key_signature(key: sa.ForeignKeyConstraint) -> tuple:
    targets = tuple(
        element.target_fullname if element.target_fullname.count(".") == 2
        else f"public.{element.target_fullname}"
        for element in key.elements
    )  # fmt: skip
    options = (key.ondelete, key.onupdate, key.deferrable, key.initially)
    return tuple(key.column_keys), targets, tuple(str(option or "").upper() for option in options)


def read_partitions(connection: Connection) -> None:
    rows = connection.execute(
        sa.text(
            "SELECT n.nspname, c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relispartition"
        )
    )
    partitions.update((schema, table) for schema, table in rows)


def process_revision_directives(migration_context, revision, directives) -> None:
    """On the command line: no empty autogenerate revisions, and readable revision ids."""
    cmd_opts = config.cmd_opts
    if cmd_opts is None or not directives:  # called from code (tests, `alembic check`)
        return
    script = directives[0]
    if getattr(cmd_opts, "autogenerate", False) and script.upgrade_ops.is_empty():
        directives[:] = []
        log.info("No schema changes detected; no revision written.")
        return
    if hasattr(cmd_opts, "rev_id") and not (
        cmd_opts.rev_id and READABLE_REVISION_ID.fullmatch(cmd_opts.rev_id)
    ):
        raise CommandError(
            "give the revision a readable id, e.g. "
            "`alembic revision --rev-id coaching_phase5 -m '...'` (lowercase, digits, underscores)"
        )


def configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        include_schemas=True,
        include_name=include_name,
        include_object=include_object,
        compare_type=True,
        compare_server_default=True,
        transaction_per_migration=True,
        process_revision_directives=process_revision_directives,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Render the SQL script; no server is needed, so none is started."""
    settings = get_settings()
    url = config.get_main_option("sqlalchemy.url") or "postgresql://"
    configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    for statement in session_statements(settings):
        context.execute(statement)
    with context.begin_transaction():
        context.run_migrations()
    for statement in closing_statements():
        context.execute(statement)


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        connectable = db.create_engine(_configured_url(), poolclass=pool.NullPool)
    if isinstance(connectable, Connection):
        _run(connectable)
    else:
        with connectable.connect() as connection:
            _run(connection)


def _configured_url():
    x_url = context.get_x_argument(as_dictionary=True).get("url")
    if x_url:
        return db.parse_database_url(x_url, source="-x url")
    ini_url = config.get_main_option("sqlalchemy.url")
    if ini_url:
        return db.parse_database_url(ini_url, source="sqlalchemy.url")
    return db.resolve_url()


def _run(connection: Connection) -> None:
    with migration_session(connection, get_settings()):
        configure(connection=connection)  # decides who owns the transaction: before any query
        db.require_extensions(connection)
        read_partitions(connection)
        with context.begin_transaction():
            context.run_migrations()


try:
    if context.is_offline_mode():
        run_migrations_offline()
    else:
        run_migrations_online()
except TherapyDbError as error:
    raise CommandError(str(error)) from None
