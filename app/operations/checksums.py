"""A revision's SQL, frozen: golden files, and the checksums a database keeps of what it applied.

Each revision's offline SQL, upgrade and downgrade, rendered on its own (no session prologue: it
depends on settings), is committed under `alembic/golden/` (`make golden` writes them); a test
fails, naming the revision and showing the diff, when the SQL a revision emits differs from its
file: a change to a revision, or to a toolkit function an old revision calls, cannot go unseen.

A revision's checksum is the SHA-256 of its two files. A migration run records it in
`public.alembic_version_checksums` as it applies the revision (and forgets it going down), in
the revision's own transaction. `therapy-db verify` and `status` compare what a database
recorded with what the installed history renders now, revision by revision; `therapy-db migrate`
(and alembic/env.py, against the golden files) refuses a database whose records differ, unless
told to repair them after a deliberate change.
"""

import hashlib
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.runtime.errors import TherapyDbError

TABLE = "public.alembic_version_checksums"
REPAIR = "repair_checksums"
DIRECTIONS = ("upgrade", "downgrade")

CREATE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    revision text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class ChangedHistoryError(TherapyDbError):
    """A database applied revisions whose SQL the installed history no longer emits."""


def golden_directory(history) -> Path:
    return Path(history.script.dir) / "golden"


def golden_path(history, revision: str, direction: str) -> Path:
    return golden_directory(history) / f"{revision}.{direction}.sql"


def render(history, revision: str, direction: str) -> str:
    """The revision's own SQL, as the installed history emits it now (offline, no server).

    Alembic's bookkeeping of `alembic_version` is left out: it is alembic's, not the revision's,
    and at a merge it writes the parents in an order that changes from one process to the next.
    """
    history.config.attributes.update(revision_only=True)
    try:
        sql = history.revision_sql(revision, direction)
    finally:
        history.config.attributes.pop("revision_only")
    statements = sql.split("\n\n")
    return "\n\n".join(s for s in statements if "alembic_version" not in s)


def write_golden(history) -> list[Path]:
    """`make golden`: every revision's files, as the history emits them now."""
    directory = golden_directory(history)
    directory.mkdir(exist_ok=True)
    written = []
    for revision in history.ids:
        for direction in DIRECTIONS:
            path = golden_path(history, revision, direction)
            path.write_text(render(history, revision, direction))
            written.append(path)
    return written


def checksum(upgrade: str, downgrade: str) -> str:
    return hashlib.sha256(f"{upgrade}\n-- downgrade\n{downgrade}".encode()).hexdigest()


def golden_checksum(history, revision: str) -> str:
    """What a run records for `revision`: the checksum of its golden files."""
    return checksum(*(golden_path(history, revision, d).read_text() for d in DIRECTIONS))


def live_checksum(history, revision: str) -> str:
    return checksum(*(render(history, revision, d) for d in DIRECTIONS))


def recorded(connection: Connection) -> dict[str, str]:
    if connection.scalar(sa.text("SELECT to_regclass(:t)"), {"t": TABLE}) is None:
        return {}
    return dict(connection.execute(sa.text(f"SELECT revision, checksum FROM {TABLE}")).all())


def record(connection: Connection, revision: str, value: str) -> None:
    connection.execute(
        sa.text(
            f"INSERT INTO {TABLE} (revision, checksum) VALUES (:revision, :checksum) "
            "ON CONFLICT (revision) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()"
        ),
        {"revision": revision, "checksum": value},
    )


def forget(connection: Connection, revision: str) -> None:
    connection.execute(sa.text(f"DELETE FROM {TABLE} WHERE revision = :r"), {"r": revision})


def problems(connection: Connection, history, applied: set[str], *, live: bool = True) -> list:
    """One line per applied revision whose recorded checksum is missing or differs from the
    installed history's (`live`: as its code renders now; else its golden files)."""
    found = recorded(connection)
    lines = []
    for revision in (r for r in history.ids if r in applied):
        now = live_checksum(history, revision) if live else golden_checksum(history, revision)
        if revision not in found:
            lines.append(f"{revision}: applied without a recorded checksum")
        elif found[revision] != now:
            lines.append(
                f"{revision}: applied as {found[revision][:12]}, the installed history "
                f"emits {now[:12]}: the revision (or a toolkit function it calls) changed"
            )
    return lines


def repair(connection: Connection, history, applied: set[str]) -> list[str]:
    """Record the installed history's checksums for every applied revision (after a deliberate
    change); returns the revisions whose records changed."""
    connection.execute(sa.text(CREATE))
    found = recorded(connection)
    changed = []
    for revision in (r for r in history.ids if r in applied):
        now = live_checksum(history, revision)
        if found.get(revision) != now:
            record(connection, revision, now)
            changed.append(revision)
    return changed


def main() -> None:
    """`make golden`: write every revision's golden files from the history as it is now."""
    from app.operations.history import History

    for path in write_golden(History()):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
