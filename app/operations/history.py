"""The migration history as operators think of it: one branch per context, documented phases.

`platform` is the root. Each context's revisions form an Alembic branch labelled with the context's
name (therapy, memory, coaching, clinic, chat), so one context migrates and rolls back without
touching another; `platform_roles`, which grants on every context's tables, depends on every
branch and is the single head. A database is where its heads say (`alembic_version` holds one
row per branch it has not merged): at head, one row.

A revision's id is `<context>_<phase>` (or `platform*`), so the context is its id's first word.
"""

import io
from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection, Engine

from app.contexts import DOCUMENTED_PHASES, NAMES
from app.runtime.errors import TherapyDbError
from app.runtime.settings import CHECKOUT, PROJECT_ROOT

# The contexts' names (their branch labels), in the order of their seed documents.
CONTEXTS = NAMES


class UnknownTargetError(TherapyDbError):
    """A phase, revision or context name that is not in the history."""


@dataclass(frozen=True)
class Phase:
    revision: str
    context: str
    title: str
    documented: bool
    applied: bool


@dataclass(frozen=True)
class Plan:
    """What moving the database to `destination` runs: revisions in the order they run."""

    direction: str  # "upgrade", "downgrade", or "" when there is nothing to do
    destination: str
    revisions: tuple[Script, ...]

    @property
    def ids(self) -> list[str]:
        return [script.revision for script in self.revisions]


def alembic_config(connection: Engine | Connection | None = None, **attributes) -> Config:
    """The history's configuration: the repository's alembic.ini in a checkout, else the copy
    the wheel carries (app/_migrations/, next to the revisions). Bound to `connection`, env.py
    uses it and never consults the settings; `attributes` are what env.py reads besides
    (on_version_apply, allow_data_loss, repair_checksums). Logging is left to the caller."""
    packaged = Path(__file__).resolve().parents[1] / "_migrations" / "alembic.ini"
    config = Config(str(PROJECT_ROOT / "alembic.ini" if CHECKOUT else packaged))
    config.attributes.update(configure_logger=False, **attributes)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def current_heads(connectable: Engine | Connection) -> tuple[str, ...]:
    """Where a database is: its alembic_version rows, one per context branch it has not merged
    (at head, one), sorted; () for a database the history never touched."""
    if isinstance(connectable, Engine):
        with connectable.connect() as connection:
            return current_heads(connection)
    return tuple(sorted(MigrationContext.configure(connectable).get_current_heads()))


def context_of(revision: str) -> str:
    return revision.split("_")[0]


def _group(revision: str) -> int:
    """0 for the root, 1.. for the contexts' branches in order, after them what merges them."""
    if revision == "platform":
        return 0
    context = context_of(revision)
    return 1 + CONTEXTS.index(context) if context in CONTEXTS else 1 + len(CONTEXTS)


class History:
    def __init__(self, config: Config | None = None):
        self.config = config or alembic_config()
        self.script = ScriptDirectory.from_config(self.config)
        # Oldest first: the root, each context's branch in the order of CONTEXTS, then what
        # depends on every branch (every revision after the ones it depends on).
        walked = list(reversed(list(self.script.walk_revisions())))
        self.revisions: list[Script] = sorted(walked, key=lambda script: _group(script.revision))
        self.ids = [revision.revision for revision in self.revisions]

    @property
    def head(self) -> str:
        return self.script.get_current_head()

    def branch(self, context: str) -> list[str]:
        """The revisions of one context, oldest first."""
        if context not in CONTEXTS:
            raise UnknownTargetError(
                f"unknown context {context!r}; contexts: {', '.join(CONTEXTS)}"
            )
        return [revision for revision in self.ids if context_of(revision) == context]

    def applied(self, heads: tuple[str, ...]) -> set[str]:
        """Every revision a database whose `alembic_version` holds `heads` has applied."""
        if not heads:
            return set()
        return {script.revision for script in self.script.iterate_revisions(heads, "base")}

    def standing(self, heads: tuple[str, ...]) -> dict[str, str | None]:
        """Each context's newest applied revision (None: nothing of it applied)."""
        applied = self.applied(heads)
        return {
            context: next((rev for rev in reversed(self.branch(context)) if rev in applied), None)
            for context in CONTEXTS
        }

    def resolve(self, target: str) -> str:
        """A revision id for `target` (a phase, a revision, `head` or `base`), or a clear error."""
        if target in ("head", "heads"):
            return self.head
        if target == "base" or target in self.ids:
            return target
        raise UnknownTargetError(
            f"unknown phase or revision {target!r}; phases: {', '.join(self.documented())}, "
            "or head, base"
        )

    def linear_heads(self, revision: str) -> tuple[str, ...]:
        """The heads of a database walked up `ids`, in order, to `revision` (every context
        before its own whole, its own up to it): the states tests and benchmarks step through."""
        if revision == "base":
            return ()
        if revision in ("head", "heads", self.head):
            return (self.head,)
        walked = set(self.ids[: self.ids.index(self.resolve(revision)) + 1])
        heads = [[rev for rev in self.branch(context) if rev in walked] for context in CONTEXTS]
        return tuple(branch[-1] for branch in heads if branch) or ("platform",)

    def undo_target(self, revision: str) -> str:
        """The alembic target that undoes `revision`, and only it, where it is its branch's head
        (`<revision>@-1` counts from the head of the branch `revision` is on)."""
        parents = self.script.get_revision(revision)._all_down_revisions
        if not parents:
            return "base"
        # A branch's first revision: its parent, `platform`, would take every branch down.
        return parents[0] if len(parents) > 1 else f"{revision}@-1"

    def documented(self) -> list[str]:
        return [revision for revision in self.ids if revision in DOCUMENTED_PHASES]

    def rollback_target(self, context: str, heads: tuple[str, ...]) -> str:
        """Where `--rollback --context` goes: the documented phase of `context` before its
        current one, or (from its first phase) the context's branch removed."""
        current = self.standing(heads)[context]
        if current is None:
            raise TherapyDbError(f"nothing of context {context!r} is applied; nothing to roll back")
        branch = self.branch(context)
        earlier = [rev for rev in branch[: branch.index(current)] if rev in DOCUMENTED_PHASES]
        # `<context>@base` would take every other branch down too; `<first>@-1` takes only this one.
        return earlier[-1] if earlier else f"{branch[0]}@-1"

    def plan(self, heads: tuple[str, ...], destination: str) -> Plan:
        """The revisions an upgrade or downgrade to `destination` runs, as alembic computes them
        (a downgrade undoes only what depends on `destination`: other contexts stay)."""
        applied = self.applied(heads)
        down = destination == "base" or "@" in destination or destination in applied
        try:
            if down:
                steps = self.script._downgrade_revs(destination, heads)
            else:
                steps = self.script._upgrade_revs(destination, heads)
        except CommandError as error:
            raise TherapyDbError(f"cannot move to {destination}: {error}") from None
        revisions = tuple(step.revision for step in steps)
        direction = ("downgrade" if down else "upgrade") if revisions else ""
        return Plan(direction, destination, revisions)

    def sql(self, heads: tuple[str, ...], plan: Plan) -> str:
        """The SQL `plan` would run, rendered offline from where the database is (no server)."""
        return self._render(heads, plan.direction, plan.destination)

    def revision_sql(self, revision: str, direction: str) -> str:
        """One revision's upgrade or downgrade on its own, rendered offline."""
        if direction == "upgrade":
            parents = self.script.get_revision(revision)._all_down_revisions
            return self._render(parents, "upgrade", revision)
        return self._render((revision,), "downgrade", self.undo_target(revision))

    def _render(self, heads: tuple[str, ...], direction: str, destination: str) -> str:
        output = io.StringIO()
        self.config.output_buffer = output
        move = getattr(self.script, f"_{direction}_revs")
        with EnvironmentContext(
            self.config,
            self.script,
            fn=lambda rev, context: move(destination, rev),
            as_sql=True,
            starting_rev=list(heads) or None,
            destination_rev=destination,
        ):
            self.script.run_env()
        self.config.output_buffer = None
        return output.getvalue()

    def phases(self, heads: tuple[str, ...]) -> list[Phase]:
        applied = self.applied(heads)
        return [
            Phase(
                revision=script.revision,
                context=context_of(script.revision),
                title=title(script),
                documented=script.revision in DOCUMENTED_PHASES,
                applied=script.revision in applied,
            )
            for script in self.revisions
        ]


def title(script: Script) -> str:
    """The revision docstring's first line, without the repeated id."""
    first_line = (script.doc or "").strip().splitlines()[0] if script.doc else ""
    return first_line.removeprefix(f"{script.revision}:").strip()
