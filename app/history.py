"""The migration history as operators think of it: documented phases, grouped by context.

A revision's id is `<context>_<phase>` (or `platform`), so the context is its id's first word.
"""

from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.script import Script, ScriptDirectory

from app.errors import TherapyDbError
from app.settings import PROJECT_ROOT

# The phases the source systems documented (DESIGN section 4), oldest first.
DOCUMENTED_PHASES = (
    "platform",
    "therapy_legacy",
    "therapy_3nf",
    "memory_legacy",
    "memory_normalized",
    "coaching_phase1",
    "coaching_phase2",
    "coaching_phase3",
    "coaching_phase4",
    "clinic_legacy",
    "clinic_integration",
    "chat_legacy",
    "chat_discord",
)


class UnknownTargetError(TherapyDbError):
    """A phase or revision name that is not in the history."""


@dataclass(frozen=True)
class Phase:
    revision: str
    context: str
    title: str
    documented: bool
    applied: bool


def alembic_config(path: Path = PROJECT_ROOT / "alembic.ini") -> Config:
    return Config(str(path))


class History:
    def __init__(self, config: Config | None = None):
        self.config = config or alembic_config()
        self.script = ScriptDirectory.from_config(self.config)
        self.revisions: list[Script] = list(reversed(list(self.script.walk_revisions())))
        self.ids = [revision.revision for revision in self.revisions]

    @property
    def head(self) -> str:
        return self.ids[-1]

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

    def position(self, revision: str | None) -> int:
        """0 for base, n for the n-th revision."""
        return 0 if revision in (None, "base") else self.ids.index(revision) + 1

    def documented(self) -> list[str]:
        return [revision for revision in self.ids if revision in DOCUMENTED_PHASES]

    def previous_phase(self, current: str | None) -> str:
        """The documented phase just before `current`, or base."""
        earlier = [
            phase for phase in self.documented() if self.position(phase) < self.position(current)
        ]
        return earlier[-1] if earlier else "base"

    def phases(self, current: str | None) -> list[Phase]:
        return [
            Phase(
                revision=script.revision,
                context=script.revision.split("_")[0],
                title=title(script),
                documented=script.revision in DOCUMENTED_PHASES,
                applied=self.position(script.revision) <= self.position(current),
            )
            for script in self.revisions
        ]


def title(script: Script) -> str:
    """The revision docstring's first line, without the repeated id."""
    first_line = (script.doc or "").strip().splitlines()[0] if script.doc else ""
    return first_line.removeprefix(f"{script.revision}:").strip()
