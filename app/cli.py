"""`therapy-db`: the operator's command for this database.

Every command reads DATABASE_URL (environment or .env) or, without it, uses the embedded server.
Bad input ends with one line saying what was wrong and a non-zero exit; passwords are never shown.
"""

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import alembic.command
import sqlalchemy as sa
import typer
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy.engine import Engine
from typer.core import TyperGroup

from app import backup, db
from app import erd as diagrams
from app.comparison import schema_differences
from app.errors import TherapyDbError
from app.history import History
from app.settings import PROJECT_ROOT, Settings

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


class Commands(TyperGroup):
    """Ends a command that met bad input or an unusable database with one line and status 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (TherapyDbError, CommandError) as error:
            errors.print(f"error: {error}", markup=False, soft_wrap=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=Commands,
    help="Operate the therapy-db database: status, migrations, verification, privacy requests.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@contextmanager
def connected() -> Iterator[Engine]:
    """An engine on the configured database (starting the embedded one if no URL is set)."""
    engine = db.create_engine(db.resolve_url(Settings()), poolclass=sa.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migration_config(history: History, engine: Engine | None = None, **attributes):
    config = history.config
    config.attributes.update(configure_logger=False, **attributes)
    if engine is not None:
        config.attributes["connection"] = engine
    return config


@app.command()
def status() -> None:
    """Where the database is: revision, phases applied and pending, drift from the models."""
    history = History()
    with connected() as engine:
        current = current_revision(engine)
        with engine.connect() as connection:
            differences = schema_differences(connection) if current else []
        console.print(f"Database  {db.describe(engine.url)}")
    applied = history.position(current)
    console.print(
        f"Revision  {current or 'base (empty)'}: {applied} of {len(history.ids)} applied, "
        f"head is {history.head}"
    )
    table = Table("context", "phase", "state", "what it does")
    for phase in history.phases(current):
        state = "[green]applied[/]" if phase.applied else "[yellow]pending[/]"
        table.add_row(phase.context, phase.revision, state, phase.title)
    console.print(table)
    if current == history.head:
        verdict = "in sync" if not differences else f"{len(differences)} differences"
        console.print(f"Models    {verdict} with the database")
    else:
        console.print("Models    describe head; the database is not at head")


@app.command()
def migrate(
    target: Annotated[
        str | None, typer.Argument(help="A phase name, a revision, `head` or `base`.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the SQL that would run; change nothing.")
    ] = False,
    rollback: Annotated[
        bool, typer.Option("--rollback", help="Go back to the previous documented phase.")
    ] = False,
    no_backup: Annotated[
        bool, typer.Option("--no-backup", help="Skip the pg_dump taken before any change.")
    ] = False,
    backup_dir: Annotated[Path, typer.Option(help="Where backups are written.")] = PROJECT_ROOT
    / "backups",
) -> None:
    """Move the database to TARGET (or, with --rollback, to the previous documented phase)."""
    if (target is None) == (not rollback):
        raise typer.BadParameter("give a TARGET or --rollback (one of them)")
    history = History()
    with connected() as engine:
        current = current_revision(engine)
        destination = history.previous_phase(current) if rollback else history.resolve(target)
        steps = history.position(destination) - history.position(current)
        if steps == 0:
            console.print(f"Already at {destination}; nothing to do.")
            return
        direction = "upgrade" if steps > 0 else "downgrade"
        span = f"{current or 'base'}:{destination}"
        if dry_run:
            sql = io.StringIO()
            config = migration_config(history)
            config.output_buffer = sql
            getattr(alembic.command, direction)(config, span, sql=True)
            console.print(sql.getvalue(), markup=False, soft_wrap=True)
            console.print(f"-- dry run: {direction} {span}; nothing was changed", style="dim")
            return
        if not no_backup:
            path = backup.dump(engine.url, backup_dir, destination)
            console.print(f"Backup    {path}")
            console.print("To restore it:")
            for command in backup.restore_commands(engine.url, path):
                console.print(f"  {command}", markup=False, soft_wrap=True)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
        ) as progress:
            task = progress.add_task(f"{direction} to {destination}", total=abs(steps))

            def advance(*, step, **_):
                progress.update(task, advance=1, description=f"{direction}: {step.up_revision_id}")

            config = migration_config(history, engine, on_version_apply=advance)
            getattr(alembic.command, direction)(config, destination)
    console.print(f"Now at {destination}.")


@app.command()
def erd(
    check: Annotated[
        bool, typer.Option("--check", help="Fail if the diagrams are stale; write nothing.")
    ] = False,
) -> None:
    """Write Mermaid entity-relationship diagrams, one per context, under docs/erd/."""
    if check:
        stale = diagrams.stale()
        if stale:
            names = ", ".join(path.name for path in stale)
            raise TherapyDbError(f"stale diagrams (run `therapy-db erd`): {names}")
        console.print("Diagrams are up to date.")
        return
    for path in diagrams.write():
        console.print(f"wrote {path.relative_to(PROJECT_ROOT)}")


def main() -> None:
    app()
