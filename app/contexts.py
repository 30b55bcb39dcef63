"""The platform's parts, one registry every other module reads (docs/ARCHITECTURE.md section 2).

A context is one source system brought in: an Alembic branch (its name is the branch label and
the first word of its revision ids), a PostgreSQL schema, the seed document whose phases it
implements, the login role that system's own code uses (a search_path that finds its schema
first), the tables where its data migrations set rows aside, and the title of its diagram. The
platform is the root the contexts share: identity, the ledger, the roles.

A context keeps one name wherever a reader meets it (modules, branch, revisions, commands,
diagrams); only the clinic's schema is called otherwise, `auth`, because the clinic's own SQL
names its tables `auth.*`.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class RejectTable:
    """Where rows a data migration could not place wait, each with its reason. `revision` and
    `target` are SQL over the table: a column, or a constant where the table holds one
    revision's rejects for one target."""

    table: str
    revision: str
    target: str
    reason: str = "reason"


@dataclass(frozen=True)
class Context:
    name: str
    schema: str
    system: str
    seed: str
    login: str
    # The phases its seed documents, oldest first (a branch may hold more revisions).
    revisions: tuple[str, ...]
    reject_tables: tuple[RejectTable, ...] = ()

    @property
    def title(self) -> str:
        """How its diagram and documents name it."""
        return f"{self.name}: {self.system}, seed {self.seed}"


def _memory_rejects(*moves: tuple[str, str]) -> tuple[RejectTable, ...]:
    return tuple(
        RejectTable(f"memory.{legacy}_rejected", "'memory_normalized'", f"'memory.{target}'")
        for legacy, target in moves
    )


CONTEXTS = (
    Context(
        "therapy",
        "therapy",
        "the AI therapist",
        "000",
        "therapy_db_ai_therapist",
        revisions=("therapy_legacy", "therapy_3nf"),
    ),
    Context(
        "memory",
        "memory",
        "the companion with long-term memory",
        "001",
        "therapy_db_companion",
        revisions=("memory_legacy", "memory_normalized"),
        reject_tables=_memory_rejects(
            ("memory_profiles", "user_profile_summary"),
            ("conversations", "user_conversations"),
            ("conversation_messages", "user_conversation_messages"),
            ("crisis_flags", "user_crisis_flags"),
            ("conversation_continuity", "user_conversation_continuity"),
            ("feedback", "feedback"),
            ("feedback_log", "user_feedback_log"),
            ("user_preferences", "user_preferences"),
            ("emotional_trends", "user_emotional_trends"),
            ("value_compass", "user_value_compass"),
        ),
    ),
    Context(
        "coaching",
        "coaching",
        "the health coach",
        "002",
        "therapy_db_health_coach",
        revisions=("coaching_phase1", "coaching_phase2", "coaching_phase3", "coaching_phase4"),
        reject_tables=(RejectTable("coaching.migration_rejects", "revision", "target_table"),),
    ),
    Context(
        "clinic",
        "auth",
        "the clinic back office",
        "003",
        "therapy_db_clinic",
        revisions=("clinic_legacy", "clinic_integration"),
    ),
    Context(
        "chat",
        "chat",
        "the Discord chat bot",
        "004",
        "therapy_db_discord_bot",
        revisions=("chat_legacy", "chat_discord"),
    ),
)
NAMES = tuple(context.name for context in CONTEXTS)
BY_NAME = {context.name: context for context in CONTEXTS}


@dataclass(frozen=True)
class Platform:
    name: str
    schema: str
    title: str
    revisions: tuple[str, ...]
    reject_tables: tuple[RejectTable, ...]


PLATFORM = Platform(
    "platform",
    "public",
    "platform: identity, the ledger, imports",
    revisions=("platform",),
    reject_tables=(RejectTable("public.import_rejects", "'import:' || context", "target_table"),),
)

# Derived, for the modules that need one view of the registry.
SCHEMAS = (PLATFORM.schema, *(context.schema for context in CONTEXTS))
DOCUMENTED_PHASES = (*PLATFORM.revisions, *(r for context in CONTEXTS for r in context.revisions))
REJECT_TABLES = (
    *PLATFORM.reject_tables,
    *(table for context in CONTEXTS for table in context.reject_tables),
)
PARTS = (PLATFORM, *CONTEXTS)
