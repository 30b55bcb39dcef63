"""Part 2: every data migration at three sizes, against an INSERT ... SELECT floor.

A case is one context: a template database at the revision before its migrations, loaded with
legacy data of one size; each run clones it and walks the context's steps (upgrades, then the
downgrades back) in one migrating process (scripts.bench.step). After each revision's
upgrade, in the same run, the floor: one INSERT ... SELECT writing again the rows that revision
wrote or checked (its tables' rows, same columns) into bare tables. Both directions of a revision
are compared to that floor.
"""

from dataclasses import dataclass, field

from scripts.bench.measure import count_rows, median, read_floor, write_floor
from scripts.bench.server import BenchServer
from scripts.bench.step import migrator
from tests.support import data, upgrade


@dataclass(frozen=True)
class Step:
    direction: str  # "upgrade" or "downgrade"
    to: str  # the revision it ends at
    revision: str  # the revision it applies or reverts
    rows: tuple[str, ...] = ()  # tables holding the rows the step writes (counted after it)
    why: str = ""  # why it cannot come within 2x of its floor, where it cannot
    why_growth: str = ""  # why its time grows faster than its data, where it does

    @property
    def label(self) -> str:
        return f"{self.revision} {self.direction}"


@dataclass(frozen=True)
class Floor:
    """What a revision does at the least: read `reads` (the tables it reads rows from; read
    before its step) and write `writes` (the tables whose rows it writes, rewrites or indexes;
    written again after its step)."""

    writes: tuple[str, ...]
    reads: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    context: str
    unit: str  # what `size` counts
    start: str  # the revision the data is loaded at
    loader: list[str]
    sizes: tuple[int, ...]
    steps: tuple[Step, ...]
    floors: dict[str, Floor] = field(default_factory=dict)  # by revision


def up(revision: str, *rows: str, why: str = "") -> Step:
    return Step("upgrade", revision, revision, rows, why)


def down(revision: str, to: str, *rows: str, why: str = "") -> Step:
    return Step("downgrade", to, revision, rows, why)


MEMORY = tuple(f"memory.{table}" for table in data.memory_normalized().LOADED_TABLES)

COACHING_P2 = (
    "public.users",
    "coaching.backfilled_users",
    "coaching.migration_rejects",
    "coaching.conversations",
    "coaching.engagement_analytics",
)
COACHING_SOURCE = ("coaching.conversations", "coaching.messages")
COACHING_P3 = (
    "coaching.smart_goals",
    "coaching.sessions",
    "coaching.session_takeaways",
    "coaching.check_ins",
)

CASES = [
    Case(
        context="therapy",
        unit="messages",
        start="therapy_3nf",
        loader=data.THERAPY,
        sizes=(20_000, 60_000, 200_000),
        steps=(
            down(
                "therapy_3nf",
                "therapy_legacy",
                "therapy.conversation_logs",
                why="each message's extras is a JSON document built from its metadata and its "
                "session's details, and the messages are numbered in time order (a sort of "
                "them all): the floor copies finished rows",
            ),
            up("therapy_3nf"),
        ),
        floors={
            "therapy_3nf": Floor(
                ("therapy.conversation_logs",), ("therapy.messages", "therapy.therapy_sessions")
            )
        },
    ),
    Case(
        context="memory",
        unit="profiles",
        start="memory_legacy",
        loader=data.memory_profiles(),
        sizes=(100, 300, 1_000),
        steps=(
            up(
                "memory_normalized",
                *MEMORY,
                why="expands every profile's 28 JSON arrays into rows (an md5 id and the item's "
                "text per element, the unusual values kept aside in the same read) and renders the "
                "13 text answers and one text[] answer, then builds 36 primary keys, 7 unique "
                "keys, 28 user_id indexes and 36 foreign keys after the load; the floor copies "
                "finished rows. Against a "
                "floor expanding the same arrays with the same expressions it is about 1.7x "
                "(docs/PERFORMANCE.md)",
            ),
            down(
                "memory_normalized",
                "memory_legacy",
                why="gathers every list row back into its profile's JSON arrays (28 aggregates, "
                "each reading its table in (user, position) order), compares the values kept "
                "aside, and writes the wide profiles back compressed (TOAST); the floor copies "
                "the list rows once",
            ),
        ),
        floors={"memory_normalized": Floor(MEMORY, ("memory.memory_profiles",))},
    ),
    Case(
        context="coaching",
        unit="conversations",
        start="coaching_phase1",
        loader=data.COACHING,
        sizes=(8_000, 25_000, 80_000),
        steps=(
            up(
                "coaching_phase2",
                *COACHING_P2,
                why="computes every person's engagement analytics from all their messages (a "
                "window over every message, sorted: about half the time) and rewrites every "
                "conversation with its person's id; the floor copies finished rows",
            ),
            up(
                "coaching_phase3",
                *COACHING_P3,
                why="reads the app's json as jsonb, every row through a cast that catches what "
                "jsonb cannot hold (about a third of the time), into copies of the rows that "
                "name a program key; then classifies them (whole numbers from app-written JSON, "
                "reasons for each reject), in one statement per target table, so each copy is "
                "read twice; it writes one row for every six it reads, and the floor reads each "
                "source once and writes only the finished rows",
            ),
            up(
                "coaching_phase4",
                "coaching.transcripts",
                why="numbers every completed session's messages (a sort of them all), converts "
                "their json metadata to jsonb through a cast that catches what jsonb cannot "
                "hold, and builds the unique (session, position) index and the keys; the floor "
                "copies finished rows",
            ),
            down("coaching_phase4", "coaching_phase3"),
            down("coaching_phase3", "coaching_phase2"),
            down(
                "coaching_phase2",
                "coaching_phase1",
                "coaching.conversations",
                why="deletes the people it created, and every deleted row of public.users fires "
                "the 48 foreign keys into it (every context's tables, empty or not; one index "
                "probe each): at 30,000 conversations, 5,670 people x 48 triggers, 2.9 s under "
                "EXPLAIN ANALYZE, are nearly all of its time. Row-level by design in PostgreSQL; "
                "skipping them (session_replication_role) would leave other contexts' rows "
                "pointing at no one",
            ),
        ),
        floors={
            "coaching_phase2": Floor(COACHING_P2, ("coaching.messages",)),
            "coaching_phase3": Floor(COACHING_P3, COACHING_SOURCE),
            "coaching_phase4": Floor(("coaching.transcripts",), COACHING_SOURCE),
        },
    ),
    Case(
        context="clinic",
        unit="audit rows",
        start="clinic_legacy",
        loader=data.CLINIC,
        sizes=(30_000, 100_000, 300_000),
        steps=(
            up("clinic_integration"),
            down("clinic_integration", "clinic_legacy"),
        ),
        floors={"clinic_integration": Floor(("auth.audit_log",))},
    ),
    Case(
        context="chat",
        unit="sessions",
        start="chat_legacy",
        loader=data.CHAT,
        sizes=(30_000, 100_000, 300_000),
        steps=(
            up("chat_discord"),
            down("chat_discord", "chat_legacy"),
        ),
        floors={"chat_discord": Floor(("public.users", "chat.sessions"))},
    ),
]


@dataclass
class Measured:
    """One step at one size: every run's seconds, rows and peak memory; the floor's seconds."""

    case: Case
    step: Step
    size: int
    seconds: list[float] = field(default_factory=list)
    peak_rss_mb: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    rows: int = 0
    floor_rows: int = 0

    @property
    def ratio(self) -> float:
        return median(self.seconds) / median(self.floor)


def measure_case(server: BenchServer, case: Case, size: int, runs: int) -> list[Measured]:
    template = f"bench_{case.context}_{size}"
    engine = server.create(template)
    upgrade(engine, case.start)
    data.load(engine, case.loader, size)
    engine.dispose()

    results = {step: Measured(case, step, size) for step in case.steps}
    for _ in range(runs):
        floors: dict[str, tuple[float, int]] = {}
        with server.clone(template) as clone, migrator(clone.url) as migrating:
            for step in case.steps:
                floor = case.floors.get(step.revision) if step.revision not in floors else None
                if floor:  # its sources are read before the step, its rows written after it
                    reading = read_floor(clone, floor.reads)
                server.checkpoint()
                result = migrating.run(step.direction, step.to)
                measured = results[step]
                measured.seconds.append(result.seconds)
                measured.peak_rss_mb.append(result.peak_rss_mb)
                measured.rows = count_rows(clone, step.rows)
                if floor:
                    server.checkpoint()
                    floors[step.revision] = (
                        reading + write_floor(clone, floor.writes),
                        count_rows(clone, floor.writes),
                    )
            for step in case.steps:
                seconds, rows = floors[step.revision]
                results[step].floor.append(seconds)
                results[step].floor_rows = rows
    server.drop(template)
    return list(results.values())
