"""Alembic environment of therapy-db.

Which database: a connection handed in through `config.attributes["connection"]` (a Connection,
an Engine, or anything with `connect()`) always wins and settings are then never read; otherwise
`-x url=...`; otherwise DATABASE_URL; otherwise the embedded server. Only the project's schemas
are compared or touched. Every run holds the migration lock and timeouts of
`app.toolkit.migration_session`, and each revision commits on its own.
"""

import logging
import re
from logging.config import fileConfig

import alembic_postgresql_enum  # noqa: F401  (autogenerate compares enum values too)
import sqlalchemy as sa
from alembic import context
from alembic.runtime.migration import RevisionStep
from alembic.util import CommandError
from sqlalchemy import event, pool
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from app.operations import checksums
from app.operations.history import History
from app.runtime import db
from app.runtime.errors import TherapyDbError
from app.runtime.settings import get_settings
from app.toolkit import data_loss
from app.toolkit.comparison import ComparisonScope
from app.toolkit.migration_session import closing_statements, migration_session, session_statements

config = context.config
log = logging.getLogger("alembic.env")

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

READABLE_REVISION_ID = re.compile(r"[a-z][a-z0-9_]*")

scope = ComparisonScope()
HISTORY = History(config)  # the history being run: its revisions' golden files and checksums


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
        **scope.options(),
        transaction_per_migration=True,
        process_revision_directives=process_revision_directives,
        # The checksum of each revision applied, in its transaction; callers (the operator
        # command) follow progress through the others.
        on_version_apply=[record_checksum, *config.attributes.get("on_version_apply", ())],
        **kwargs,
    )


def record_checksum(ctx, step, heads, run_args) -> None:
    """What a revision emitted, kept by the database as it applies it (app.operations.checksums)."""
    if ctx.as_sql:
        return
    revision = step.up_revision_id
    if not step.is_upgrade:
        checksums.forget(ctx.connection, revision)
    elif not checksums.golden_path(HISTORY, revision, "upgrade").exists():
        log.warning("%s has no golden SQL yet (make golden): no checksum recorded", revision)
    else:
        ctx.connection.execute(sa.text(checksums.CREATE))
        checksums.record(ctx.connection, revision, checksums.golden_checksum(HISTORY, revision))


def run_migrations_offline() -> None:
    """Render the SQL script; no server is needed, so none is started."""
    settings = get_settings()
    url = config.get_main_option("sqlalchemy.url") or "postgresql://"
    configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    # A revision's own SQL (golden files, checksums) leaves out the session's, which settings
    # decide.
    revision_only = config.attributes.get("revision_only", False)
    for statement in () if revision_only else session_statements(settings):
        context.execute(statement)
    with context.begin_transaction():
        context.run_migrations()
    for statement in () if revision_only else closing_statements():
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
        scope.read_partitions(connection)
        refuse_data_loss(connection)
        refuse_changed_history(connection)
        event.listen(connection, "after_cursor_execute", pass_on_warnings)
        try:
            with context.begin_transaction():
                context.run_migrations()
        finally:
            event.remove(connection, "after_cursor_execute", pass_on_warnings)


def pass_on_warnings(connection, cursor, *_) -> None:
    """What a revision tells the operator with RAISE WARNING (a step a DBA must take, ...)
    reaches the operator's terminal; the driver only collects it (and SQLAlchemy logs it at
    INFO, which alembic.ini does not show)."""
    for notice in getattr(cursor.connection, "notices", None) or []:
        if "therapy-db:" in notice:
            log.warning(notice.strip().removeprefix("WARNING:").strip())


def refuse_changed_history(connection: Connection) -> None:
    """A database that applied revisions whose SQL the installed history no longer emits (its
    recorded checksums against the golden files) is not migrated further, unless told to repair
    the records after a deliberate change (`-x repair_checksums=true`)."""
    x_repair = context.get_x_argument(as_dictionary=True).get(checksums.REPAIR)
    repair = data_loss.is_allowed(x_repair or config.attributes.get(checksums.REPAIR, False))
    heads = context.get_context().get_current_heads()
    applied = HISTORY.applied(heads)
    if repair:
        connection.execute(sa.text(checksums.CREATE))
        for revision in (r for r in HISTORY.ids if r in applied):
            if checksums.golden_path(HISTORY, revision, "upgrade").exists():
                golden = checksums.golden_checksum(HISTORY, revision)
                checksums.record(connection, revision, golden)
        return
    found = checksums.recorded(connection)
    changed = [
        revision
        for revision in applied
        if revision in found
        and checksums.golden_path(HISTORY, revision, "upgrade").exists()
        and found[revision] != checksums.golden_checksum(HISTORY, revision)
    ]
    if changed:
        raise checksums.ChangedHistoryError(
            "this database applied revisions whose SQL the installed history no longer emits: "
            f"{', '.join(sorted(changed))}; `therapy-db verify` says how, and after a deliberate "
            "change -x repair_checksums=true (therapy-db migrate: --repair-checksums) records "
            "the installed ones"
        )


def refuse_data_loss(connection: Connection) -> None:
    """A downgrade that would destroy rows stops before its first step (app/toolkit/data_loss.py).

    Alembic computes the steps of a command once, when the run starts (its `_migrations_fn`):
    the check sees exactly the revisions that are about to go down, before any of them does.
    """
    x_allow = context.get_x_argument(as_dictionary=True).get(data_loss.ALLOW)
    allowed = data_loss.is_allowed(x_allow or config.attributes.get(data_loss.ALLOW, False))
    migration_context = context.get_context()
    plan = migration_context._migrations_fn
    if plan is None:  # a command that applies nothing
        return

    def guarded(heads, migration_context):
        steps = list(plan(heads, migration_context))
        going_down = [
            step.revision for step in steps if isinstance(step, RevisionStep) and step.is_downgrade
        ]
        data_loss.guard(connection, going_down, allowed)
        return steps

    migration_context._migrations_fn = guarded


def database_refusal(error: DBAPIError) -> str:
    """PostgreSQL's own words for why a statement failed, with its hint: one line."""
    diagnostics = getattr(error.orig, "diag", None)
    message = getattr(diagnostics, "message_primary", None) or str(error.orig).splitlines()[0]
    hint = getattr(diagnostics, "message_hint", None)
    return message + (f" (hint: {hint})" if hint else "")


try:
    if context.is_offline_mode():
        run_migrations_offline()
    else:
        run_migrations_online()
except TherapyDbError as error:
    raise CommandError(str(error)) from None
except DBAPIError as error:
    # The revision that was running (alembic logged it) rolled back; those before it stay applied.
    raise CommandError(
        f"the migration stopped and rolled back: {database_refusal(error)}"
    ) from None
