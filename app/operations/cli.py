"""`therapy-db`: the operator's command for this database.

Every command reads DATABASE_URL (environment or .env) or, without it, uses the embedded server.
Bad input ends with one line saying what was wrong and a non-zero exit; passwords are never shown.
"""

import csv
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import alembic.command
import sqlalchemy as sa
import typer
from alembic.util import CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.core import TyperGroup

from app import contexts
from app.operations import backup, checksums, imports, linking, privacy, reconciliation
from app.operations import erd as diagrams
from app.operations import serve as serving
from app.operations.history import CONTEXTS, History, current_heads
from app.runtime import db
from app.runtime.errors import TherapyDbError
from app.runtime.queries import clinic
from app.runtime.settings import Settings
from app.toolkit import data_loss
from app.toolkit.comparison import schema_differences

console = Console(highlight=False, soft_wrap=True)  # long lines stay whole, for copying
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


@app.command()
def status() -> None:
    """Where the database is: each context's phase, phases applied and pending, drift."""
    history = History()
    with connected() as engine:
        heads = current_heads(engine)
        with engine.connect() as connection:
            differences = schema_differences(connection) if heads else []
            changed = checksums.problems(connection, history, history.applied(heads))
        console.print(f"Database  {db.describe(engine.url)}")
    phases = history.phases(heads)
    applied = sum(phase.applied for phase in phases)
    console.print(
        f"Revision  {', '.join(heads) or 'base (empty)'}: {applied} of {len(phases)} applied, "
        f"head is {history.head}"
    )
    contexts = Table("context", "at", "next", "phases to go")
    for context, current in history.standing(heads).items():
        pending = [p.revision for p in phases if p.context == context and not p.applied]
        contexts.add_row(context, current or "-", pending[0] if pending else "-", str(len(pending)))
    console.print(contexts)
    table = Table("context", "phase", "state", "what it does")
    for phase in phases:
        state = "[green]applied[/]" if phase.applied else "[yellow]pending[/]"
        table.add_row(phase.context, phase.revision, state, phase.title)
    console.print(table)
    if heads == (history.head,):
        verdict = "in sync" if not differences else f"{len(differences)} differences"
        console.print(f"Models    {verdict} with the database")
    else:
        console.print("Models    describe head; the database is not at head")
    if changed:
        for line in changed:
            errors.print(f"changed history: {line}", markup=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print("History   every applied revision is the installed one (checksums)")


@app.command()
def migrate(
    target: Annotated[
        str | None, typer.Argument(help="A phase name, a revision, `head` or `base`.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the SQL that would run; change nothing.")
    ] = False,
    rollback: Annotated[
        bool,
        typer.Option("--rollback", help="Take a context back to its previous documented phase."),
    ] = False,
    context: Annotated[
        str | None,
        typer.Option(help="The context --rollback takes back: " + ", ".join(CONTEXTS) + "."),
    ] = None,
    allow_data_loss: Annotated[
        bool,
        typer.Option("--allow-data-loss", help="Let a downgrade destroy rows it cannot give back."),
    ] = False,
    repair_checksums: Annotated[
        bool,
        typer.Option(
            "--repair-checksums",
            help="Record the installed history's checksums for revisions applied before a "
            "deliberate change to them.",
        ),
    ] = False,
    no_backup: Annotated[
        bool, typer.Option("--no-backup", help="Skip the pg_dump taken before any change.")
    ] = False,
    backup_dir: Annotated[
        Path, typer.Option(help="Where backups are written (default: backups/ here).")
    ] = Path("backups"),
) -> None:
    """Move the database to TARGET, or with --rollback --context C, take context C back to its
    previous documented phase (other contexts are not touched)."""
    if (target is None) == (not rollback):
        raise typer.BadParameter("give a TARGET or --rollback (one of them)")
    if context is not None and not rollback:
        raise typer.BadParameter("--context goes with --rollback")
    history = History()
    with connected() as engine:
        heads = current_heads(engine)
        if rollback:
            if context is None:
                raise TherapyDbError(
                    "say which context to roll back: --context " + "|".join(CONTEXTS)
                )
            destination = history.rollback_target(context, heads)
        else:
            destination = history.resolve(target)
        plan = history.plan(heads, destination)
        if not plan.revisions:
            console.print(f"Already at {destination}; nothing to do.")
            return
        with engine.connect() as connection:
            changed = checksums.problems(connection, history, history.applied(heads))
        if changed and not repair_checksums:
            raise checksums.ChangedHistoryError(
                "this database applied revisions whose SQL the installed history no longer "
                f"emits: {'; '.join(changed)}; after a deliberate change, --repair-checksums "
                "records the installed ones"
            )
        if plan.direction == "downgrade" and not allow_data_loss:
            with engine.connect() as connection:
                losses = data_loss.count(connection, data_loss.declared(plan.revisions))
            if losses:
                raise data_loss.DataLossRefusedError(data_loss.refusal(losses, "--allow-data-loss"))
        console.print(f"Plan      {plan.direction}: {', '.join(plan.ids)}")
        if dry_run:
            console.print(history.sql(heads, plan), markup=False, soft_wrap=True)
            console.print(
                f"-- dry run: {plan.direction} to {destination}; nothing was changed", style="dim"
            )
            return
        if not no_backup:
            path = backup.dump(engine.url, backup_dir, destination.replace("@", "_"))
            console.print(f"Backup    {path}")
            console.print("To restore it:")
            for command in backup.restore_commands(engine.url, path):
                console.print(f"  {command}", markup=False, soft_wrap=True)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
        ) as progress:
            task = progress.add_task(
                f"{plan.direction} to {destination}", total=len(plan.revisions)
            )

            def advance(*, step, **_):
                progress.update(
                    task, advance=1, description=f"{plan.direction}: {step.up_revision_id}"
                )

            if changed:  # --repair-checksums: the installed history's, recorded first
                with engine.begin() as connection:
                    repaired = checksums.repair(connection, history, history.applied(heads))
                console.print(f"Repaired  checksums of {', '.join(repaired)}", markup=False)
            config = history.config
            config.attributes.update(
                connection=engine,
                on_version_apply=[advance],
                allow_data_loss=allow_data_loss,
                repair_checksums=bool(changed),
            )
            getattr(alembic.command, plan.direction)(config, destination)
    now = current_heads(engine)
    console.print(f"Now at {', '.join(now) or 'base'}.")


@app.command()
def erd(
    check: Annotated[
        bool, typer.Option("--check", help="Fail if the diagrams are stale; write nothing.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(help="Where to write them (default: docs/erd/ of the repository)."),
    ] = None,
) -> None:
    """Write Mermaid entity-relationship diagrams, one per context."""
    if check:
        stale = diagrams.stale(output)
        if stale:
            names = ", ".join(path.name for path in stale)
            raise TherapyDbError(f"stale diagrams (run `therapy-db erd`): {names}")
        console.print("Diagrams are up to date.")
        return
    for path in diagrams.write(output):
        console.print(f"wrote {path}", markup=False)


@app.command()
def verify() -> None:
    """Check the live database: it matches the models, has the extensions it needs, and its
    data migrations accounted for every row."""
    history = History()
    problems = []
    with connected() as engine, engine.connect() as connection:
        heads = current_heads(engine)
        at_head = heads == (history.head,)
        if not at_head:
            where = ", ".join(heads) or "base"
            problems.append(f"the database is at {where}, not at head ({history.head})")
        else:
            differences = schema_differences(connection)
            problems += [f"differs from the models: {describe(diff)}" for diff in differences]
        if at_head:
            problems += system_login_problems(connection)
        problems += [
            f"changed history: {line}"
            for line in checksums.problems(connection, history, history.applied(heads))
        ]
        installed = set(connection.scalars(sa.text("SELECT extname FROM pg_extension")))
        available = set(connection.scalars(sa.text("SELECT name FROM pg_available_extensions")))
        migrated = reconciliation.accounts(connection)
    table = Table("check", "result")
    table.add_row(
        "models match the database", "ok" if not problems else f"{len(problems)} problems"
    )
    for name, remedy in db.REQUIRED_EXTENSIONS.items():
        if name not in available:
            problems.append(f"extension {name!r} is not available: {remedy}")
        elif at_head and name not in installed:
            problems.append(f"extension {name!r} is available but not installed")
        table.add_row(f"extension {name}", "installed" if name in installed else "missing")
    console.print(table)
    if migrated:
        console.print("What the data migrations did with every row:")
    for account in migrated:  # one line each, whole however narrow the terminal
        why = "; ".join(f"{reason} ({count})" for reason, count in account.reasons.items())
        console.print(
            f"  {account.revision} -> {account.target}: {account.source_rows} source rows, "
            f"{account.moved_rows} moved, {account.rejected_rows} set aside"
            + (f": {why}" if why else ""),
            markup=False,
        )
        if not account.reasons_match:
            problems.append(
                f"{account.revision} counted {account.rejected_rows} rejected rows for "
                f"{account.target}, but its reject table holds {sum(account.reasons.values())}"
            )
    for problem in problems:
        errors.print(f"problem: {problem}", markup=False, soft_wrap=True)
    if problems:
        raise typer.Exit(1)
    console.print("Verified.")


SYSTEM_LOGIN = """
SELECT r.rolname IS NOT NULL,
       coalesce(pg_has_role(r.rolname, 'therapy_db_app', 'MEMBER'), false),
       (SELECT s.setconfig FROM pg_db_role_setting s
         WHERE s.setrole = r.oid
           AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()))
FROM (SELECT :login AS login) l LEFT JOIN pg_roles r ON r.rolname = l.login
"""


def system_login_problems(connection) -> list[str]:
    """Each source system's login (platform_roles) exists, has the application's privileges and
    finds its schema first; where the migration owner could not set one up, a DBA must."""
    problems = []
    for context in contexts.CONTEXTS:
        exists, member, settings = connection.execute(
            sa.text(SYSTEM_LOGIN), {"login": context.login}
        ).one()
        wanted = f"search_path={context.schema}, public"
        if not (exists and member and wanted in (settings or [])):
            problems.append(
                f"{context.system}'s login {context.login} is not set up: a DBA runs "
                f"CREATE ROLE {context.login} LOGIN; GRANT therapy_db_app TO {context.login}; "
                f"ALTER ROLE {context.login} IN DATABASE {connection.engine.url.database} "
                f"SET search_path = {context.schema}, public"
            )
    return problems


def describe(diff) -> str:
    """One line for an autogenerate difference, e.g. `add_column therapy.messages.metadata`."""
    diff = diff[0] if isinstance(diff, list) else diff  # column modifications come in lists
    operation, *details = diff
    names = [
        getattr(item, "fullname", None) or getattr(item, "name", None) or str(item)
        for item in details
        if item is not None and not isinstance(item, dict)
    ]
    return " ".join([operation, *map(str, names)])


@app.command("import")
def import_(
    context: Annotated[str, typer.Argument(help="therapy, memory, coaching, clinic or chat.")],
    source: Annotated[
        str | None,
        typer.Option(
            "--from", help="The source system's own database: postgresql://user@host/dbname."
        ),
    ] = None,
    in_place: Annotated[
        bool,
        typer.Option(
            "--in-place",
            help="The database DATABASE_URL names IS the system's own: make it the unified one.",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Compare and count; write nothing."),
    ] = False,
    append: Annotated[
        bool,
        typer.Option("--append", help="Add to a context whose tables already hold rows."),
    ] = False,
    source_timezone: Annotated[
        str | None,
        typer.Option(help="The zone the source's TIMESTAMP (without time zone) values are in."),
    ] = None,
) -> None:
    """Bring one source system's own database into its context, at its legacy revision
    (--from: copied in; --in-place: the system's database becomes the unified one).

    The source's tables are compared with the legacy shape first: a difference that would lose
    or change data refuses the import before anything is written. Rows that break a rule of the
    legacy shape are set aside with the reason; the ledger counts every table. One transaction:
    an interrupted import leaves nothing. Then run `therapy-db migrate`.
    """
    if (source is None) == (not in_place):
        raise TherapyDbError("give the system's database with --from URL, or --in-place")
    with connected() as engine, import_progress() as progress:
        if in_place:
            report = imports.adopt(
                context, engine, dry_run=dry_run, zone=source_timezone, progress=progress
            )
        else:
            report = imports.run(
                context, source, engine, append=append, dry_run=dry_run,
                zone=source_timezone, progress=progress,
            )  # fmt: skip
    for line in report.lines():
        console.print(f"  {line}", markup=False)
    if dry_run:
        console.print(f"-- dry run: nothing was written (timestamps read as {report.zone})")
        return
    for table in report.tables:
        console.print(
            f"Imported  {table.source} -> {table.target}: {table.rows} rows, {table.moved} "
            f"imported, {table.set_aside} set aside ({rate(table.rows, table.seconds)})",
            markup=False,
        )
    console.print(
        f"The {context} context is at {report.revision}. Next: `therapy-db verify`, then "
        "`therapy-db migrate head`."
    )


@contextmanager
def import_progress():
    """A bar per table (rows, rows/s) on a terminal, a line per table otherwise."""
    if not console.is_terminal:
        yield PlainProgress()
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        console=console,
    ) as bars:
        yield BarProgress(bars)


class PlainProgress(imports.Progress):
    def start(self, table: str, rows: int) -> None:
        console.print(f"copying   {table}: {rows} rows", markup=False)


class BarProgress(imports.Progress):
    def __init__(self, bars: Progress):
        self.bars, self.tasks, self.started = bars, {}, {}

    def start(self, table: str, rows: int) -> None:
        self.tasks[table] = self.bars.add_task(table, total=rows, rate="")
        self.started[table] = time.perf_counter()

    def advance(self, table: str, rows: int) -> None:
        task = self.tasks[table]
        self.bars.advance(task, rows)
        done = self.bars.tasks[task].completed
        self.bars.update(task, rate=rate(done, time.perf_counter() - self.started[table]))


def rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f} rows/s" if seconds > 0 else ""


@app.command()
def link(
    kept: Annotated[
        str | None, typer.Argument(help="The person who stays: id, email, Discord id, ...")
    ] = None,
    merged: Annotated[
        str | None, typer.Argument(help="The same person as another system knows them.")
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(help="A CSV file of pairs: kept,merged[,note] per line ('#' comments)."),
    ] = None,
    note: Annotated[str | None, typer.Option(help="Why they are one person.")] = None,
) -> None:
    """Link one person known to two source systems: MERGED's rows in every context become
    KEPT's. Never automatic: a wrong link shows one person's data to another. All pairs in
    one transaction; any refusal leaves everything as it was."""
    pairs = _link_pairs(kept, merged, mapping, note)
    with connected() as engine, Session(engine) as session:
        for number, (first, second, why) in enumerate(pairs, start=1):
            where = f"pair {number}: " if len(pairs) > 1 else ""
            try:
                keep = privacy.find_person(session, first)
                other = privacy.find_person(session, second)
                done = linking.link(session.connection(), keep.id, other.id, why)
            except TherapyDbError as error:
                session.rollback()
                raise TherapyDbError(f"{where}{error}; nothing was linked") from None
            console.print(f"Linked    {done.merged} into {done.kept}: {done.rows_moved} rows moved")
        session.commit()


def _link_pairs(kept, merged, mapping, note) -> list[tuple[str, str, str | None]]:
    if mapping is not None:
        if kept or merged:
            raise TherapyDbError("give two people or --mapping, not both")
        try:
            lines = mapping.read_text().splitlines()
        except OSError as error:
            raise TherapyDbError(f"cannot read {mapping}: {error.strerror}") from None
        pairs = []
        for number, row in enumerate(csv.reader(lines), start=1):
            if not row or row[0].lstrip().startswith("#"):
                continue
            if len(row) not in (2, 3):
                raise TherapyDbError(f"{mapping}:{number}: expected kept,merged[,note]")
            pairs.append(
                (row[0].strip(), row[1].strip(), row[2].strip() if len(row) == 3 else None)
            )
        return pairs
    if not (kept and merged):
        raise TherapyDbError("give the person who stays and the one merged into them, or --mapping")
    return [(kept, merged, note)]


database = typer.Typer(cls=Commands, help="The embedded development server.", no_args_is_help=True)
app.add_typer(database, name="db")


@database.command()
def serve(
    port: Annotated[
        int | None, typer.Option(help="Also listen on this localhost TCP port.", min=1)
    ] = None,
) -> None:
    """Run the embedded server in the foreground until Ctrl-C or SIGTERM, printing URLs a
    service in another terminal can use (a development database: trust authentication)."""
    settings = Settings()
    if settings.database_url is not None:
        raise TherapyDbError(
            "DATABASE_URL is set, so the embedded server is not in use; unset it to serve it"
        )
    serving.serve(settings, port, lambda url: console.print(f"Serving  {url}", markup=False))
    console.print("Stopped.")


@app.command("purge-transcripts")
def purge_transcripts(
    older_than: Annotated[
        str, typer.Option(help="Age of the transcripts to remove: 90d, 12h, 2w.")
    ] = "90d",
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per transaction.")] = 5_000,
) -> None:
    """Delete clinic voice transcripts older than an age (retention policy), in batches."""
    age = parse_age(older_than)
    history = History()
    with connected() as engine:
        require(history, current_heads(engine), "clinic_integration")
        with Session(engine) as session:
            due = session.scalar(
                sa.text(
                    "SELECT count(*) FROM auth.voice_transcripts WHERE timestamp < now() - :age"
                ),
                {"age": age},
            )
            session.commit()
            with Progress(
                TextColumn("purging"), BarColumn(), MofNCompleteColumn(), console=console
            ) as progress:
                task = progress.add_task("purge", total=due)
                removed = clinic.purge_voice_transcripts(
                    session,
                    older_than=age,
                    batch_size=batch_size,
                    on_batch=lambda count: progress.advance(task, count),
                )
    console.print(f"Removed {removed} transcripts older than {older_than}.")


@app.command("export-user")
def export_user(
    person: Annotated[str, typer.Argument(help="Id, email, username, Discord id or auth id.")],
    output: Annotated[
        Path | None, typer.Option(help="Write the JSON here instead of standard output.")
    ] = None,
) -> None:
    """Every row of one person, in every context, as JSON (a data-subject access request)."""
    with connected() as engine, Session(engine) as session:
        found = privacy.find_person(session, person)
        document = json.dumps(privacy.export(session, found), indent=2, sort_keys=True)
    if output is None:
        print(document)
    else:
        output.write_text(document + "\n")
        errors.print(f"wrote {output}")


@app.command("erase-user")
def erase_user(
    person: Annotated[str, typer.Argument(help="Id, email, username, Discord id or auth id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove one person and all their rows everywhere, then prove nothing of theirs is left."""
    with connected() as engine, Session(engine) as session:
        found = privacy.find_person(session, person)
        if not yes:
            typer.confirm(f"Erase person {found.id} and every row of theirs?", abort=True)
        erasure = privacy.erase(session, found)
        if erasure.traces:
            session.rollback()
            listed = ", ".join(f"{column} ({count})" for column, count in erasure.traces.items())
            raise TherapyDbError(
                f"nothing was erased: person {found.id} would still be found in {listed}"
            )
        session.commit()
    table = Table("table", "rows deleted")
    for name, count in erasure.deleted.items():
        table.add_row(name, str(count))
    console.print(table)
    console.print(f"Erased person {found.id}: no row of any table carries them any more.")


AGE = re.compile(r"(\d+)([hdw])")
UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    match = AGE.fullmatch(text.strip())
    if not match:
        raise TherapyDbError(f"--older-than {text!r} is not an age like 90d, 12h or 2w")
    return timedelta(**{UNITS[match[2]]: int(match[1])})


def require(history: History, heads: tuple[str, ...], revision: str) -> None:
    if revision not in history.applied(heads):
        raise TherapyDbError(
            f"the database is at {', '.join(heads) or 'base'}; this needs {revision} "
            f"(run `therapy-db migrate {revision}` or later first)"
        )


def main() -> None:
    app()
