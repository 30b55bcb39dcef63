"""The platform's contexts, one per source system: the registry every other module reads.

A context is an Alembic branch (its name is the branch label and the first word of its revision
ids), a PostgreSQL schema, the source system whose seed document it implements, and the login
role that system's own code uses (a search_path that finds its schema first).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Context:
    name: str
    schema: str
    system: str
    seed: str
    login: str


CONTEXTS = (
    Context("therapy", "therapy", "the AI therapist", "000", "therapy_db_ai_therapist"),
    Context(
        "memory", "memory", "the companion with long-term memory", "001", "therapy_db_companion"
    ),
    Context("coaching", "coaching", "the health coach", "002", "therapy_db_health_coach"),
    Context("clinic", "auth", "the clinic back office", "003", "therapy_db_clinic"),
    Context("chat", "chat", "the Discord chat bot", "004", "therapy_db_discord_bot"),
)
NAMES = tuple(context.name for context in CONTEXTS)
BY_NAME = {context.name: context for context in CONTEXTS}
