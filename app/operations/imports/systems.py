"""What `therapy-db import` knows of each source system's own database.

Where the system keeps its tables there (schema `public`, the clinic's `auth`), the revision its
context's data enters at (the legacy shape its tables are compared with), and how its people
reach the shared identity: its `users` table goes into its context's bridge (the view that
presents `public.users` in that system's shape), each person keeping that system's own key.
Everything else the shapes themselves say: the tables are the ones the legacy revision creates.
"""

from dataclasses import dataclass, field

from app.contexts import BY_NAME
from app.runtime.errors import TherapyDbError


@dataclass(frozen=True)
class SourceSystem:
    context: str
    schema: str  # where the system's tables are in its own database
    people: str | None = None  # its users table there
    bridge: str | None = None  # where those rows go here
    # Columns of the bridge that identify a person in `public.users` (bridge column -> users
    # column): a person whose key another person already holds is set aside, never merged.
    keys: dict[str, str] = field(default_factory=dict)
    # The zone its TIMESTAMP (without time zone) values are local times of, where its code sets
    # one on its connections; otherwise the source server's TimeZone.
    timezone: str | None = None

    @property
    def legacy(self) -> str:
        """The revision the import stops at: its context's first documented phase."""
        return BY_NAME[self.context].revisions[0]


SYSTEMS = {
    "therapy": SourceSystem(
        "therapy",
        "public",
        people="users",
        bridge="therapy.users",
        keys={"userid": "userid", "username": "username"},
        timezone="America/Denver",
    ),
    "memory": SourceSystem(
        "memory",
        "public",
        people="users",
        bridge="memory.users",
        keys={"id": "id", "email": "email"},
    ),
    "coaching": SourceSystem("coaching", "public", timezone="UTC"),
    "clinic": SourceSystem("clinic", "auth"),
    "chat": SourceSystem(
        "chat",
        "public",
        people="users",
        bridge="chat.users",
        keys={"id": "id", "discord_id": "discord_id"},
        timezone="UTC",  # the bot writes naive datetimes in UTC
    ),
}


def system(context: str) -> SourceSystem:
    if context not in SYSTEMS:
        raise TherapyDbError(f"unknown context {context!r}; contexts: {', '.join(SYSTEMS)}")
    return SYSTEMS[context]
