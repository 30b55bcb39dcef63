"""Part 3: the queries services run most, at a million rows in their tables.

One database at head holds, for each query, a million rows in the tables it reads (the personas
excepted: see PERSONAS). Each query is the service function from app/runtime/queries, called end
to end (ORM, binding, round trip) many times with keys drawn at random; its baseline, measured
in the same run on the same connection, is the cheapest round trip there is (`SELECT 1`). Every
statement a function sends is captured once and explained (EXPLAIN ANALYZE), so the table can
say which index serves it and whether any big table is read by a sequential scan.
"""

import random
import re
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.runtime.models.coaching import EMBEDDING_DIMENSIONS
from app.runtime.queries import chat, clinic, coaching, memory, therapy
from scripts.bench.measure import median, percentile
from tests.support import data, upgrade

ROWS = 1_000_000
# The HNSW index over personas is built at this size, not at a million: its build took 128 s per
# 100k personas of 1536 dimensions on this machine (a million would take far more than the
# whole benchmark's 15 minutes). Latency of an HNSW search grows with the log of the size.
PERSONAS = 20_000
CALLS = 300
# Users' memories come from legacy profiles through memory_normalized, as production's will:
# a profile of tests.support.data.memory_profiles becomes about this many list items.
ITEMS_PER_PROFILE = 500

# Who owns what: users 1..50k own therapy sessions (they are the therapist app's userids 1..50k),
# 50k..100k coaching programs, the rest chat sessions (five each).
LOAD = [
    """
    INSERT INTO public.users
        (id, userid, username, password_hash, role, discord_id, created_at, updated_at)
    SELECT md5('hot-user:' || u)::uuid, therapist.userid, 'hot' || u,
           CASE WHEN therapist.userid IS NOT NULL THEN '$2b$12$hot' END,
           CASE WHEN therapist.userid IS NOT NULL THEN 'participant' END,
           CASE WHEN u > 100000 THEN 700000000000000000 + u END,
           timestamptz '2024-01-01', timestamptz '2024-01-01'
    FROM generate_series(1, 100000 + :rows / 5) u
    CROSS JOIN LATERAL (SELECT CASE WHEN u <= 50000 THEN u END AS userid) therapist
    """,
    # Therapy: twenty sessions a user, each with its configuration; ten messages in each of the
    # first :rows / 10 sessions.
    """
    INSERT INTO therapy.therapy_sessions
        (session_id, user_id, session_name, status, created_at, updated_at, ended_at)
    SELECT md5('hot-therapy-session:' || s)::uuid, s % 50000 + 1,
           'Session ' || s, CASE WHEN s % 20 = 0 THEN 'active' ELSE 'ended' END,
           started, started, CASE WHEN s % 20 <> 0 THEN started + interval '40 minutes' END
    FROM generate_series(1, :rows) s
    CROSS JOIN LATERAL (SELECT timestamptz '2024-01-01' + s * interval '30 s' AS started) t
    """,
    """
    INSERT INTO therapy.session_configurations (session_id, instructions)
    SELECT session_id, 'You are a warm, careful listener.' FROM therapy.therapy_sessions
    """,
    """
    INSERT INTO therapy.messages
        (session_id, role, message_type, content, content_redacted, metadata, created_at)
    SELECT md5('hot-therapy-session:' || m / 10 + 1)::uuid,
           CASE WHEN m % 2 = 0 THEN 'user' ELSE 'assistant' END, 'chat',
           'I keep waking up at 3am worrying about my sister Ana, message ' || m,
           'I keep waking up at 3am worrying about my sister [NAME], message ' || m,
           jsonb_build_object('duration_ms', m % 9000),
           timestamptz '2024-01-01' + (m / 10 + 1) * interval '30 s' + m % 10 * interval '1 s'
    FROM generate_series(0, :rows - 1) m
    """,
    # Coaching: twenty program sessions (five weeks of four) for each of 50k people, taken in
    # order: the first few completed, then one in progress, the rest locked.
    """
    INSERT INTO coaching.sessions
        (session_id, user_id, session_number, week_number, session_type, status, completed_date,
         created_at)
    SELECT md5('hot-program:' || u || ':' || n)::uuid, md5('hot-user:' || 50000 + u)::uuid,
           (n - 1) % 4 + 1, (n - 1) / 4 + 1, 'check_in',
           CASE WHEN n < taken THEN 'completed' WHEN n = taken THEN 'in_progress' ELSE 'locked' END,
           CASE WHEN n < taken THEN timestamptz '2025-01-01' + n * interval '1 week' END,
           timestamptz '2025-01-01'
    FROM generate_series(1, :rows / 20) u
    CROSS JOIN generate_series(1, 20) n
    CROSS JOIN LATERAL (SELECT 1 + u % 21 AS taken) p
    """,
    # Chat: five sessions a user, 70% in a Discord channel, the newest of each user active; ten
    # messages in each of the first :rows / 10 sessions.
    """
    INSERT INTO chat.sessions
        (id, owner_user_id, origin, discord_channel_id, is_active, ended_at, created_at)
    SELECT md5('hot-chat-session:' || s)::uuid, md5('hot-user:' || 100001 + s / 5)::uuid,
           (CASE WHEN s % 10 < 7 THEN 'discord' ELSE 'website' END)::chat.sessionorigin,
           CASE WHEN s % 10 < 7 THEN 900000000000000000 + s END,
           s % 5 = 4, CASE WHEN s % 5 <> 4 THEN started + interval '1 hour' END, started
    FROM generate_series(0, :rows - 1) s
    CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01' + s * interval '10 s' AS started) t
    """,
    """
    INSERT INTO chat.messages (session_id, request_id, role, content, "timestamp")
    SELECT md5('hot-chat-session:' || m / 10)::uuid, md5('hot-chat-request:' || m)::uuid,
           (CASE WHEN m % 2 = 0 THEN 'user' ELSE 'assistant' END)::chat.messagerole,
           'Can you summarise what we said about sleep? (' || m || ')',
           timestamptz '2025-01-01' + m * interval '1 s'
    FROM generate_series(0, :rows - 1) m
    """,
    # The clinic's audit log: API requests over 2025, twenty to a voice session.
    "INSERT INTO auth.sys_usuarios (nombre_usuario, password_hash, rol) "
    "VALUES ('dra.ibarra', '$2b$12$placeholder', 'Podologo')",
    """
    INSERT INTO auth.audit_log (tabla_afectada, registro_id, accion, usuario_id, timestamp_accion,
                                username, session_id, method, endpoint, ip_address)
    SELECT 'pacientes', n, 'READ', 1,
           timestamptz '2025-01-01' + n * (interval '364 days' / :rows), 'dra.ibarra',
           'voice-session-' || n / 20, 'GET', '/api/v1/pacientes/' || n % 5000,
           inet '10.0.0.0' + n % 250
    FROM generate_series(0, :rows - 1) n
    """,
]

# Personas around 200 overlapping centres (noise as large as the centres' spread), each the sum
# of a centre and one of 1,000 noise vectors, a distinct pair for each of up to 200,000 personas:
# embeddings cluster, and summing two stored vectors is much faster than drawing 1536 random
# numbers per persona.
LOAD_PERSONAS = [
    """
    CREATE TEMP TABLE centres AS
    SELECT k, array_agg(random() - 0.5)::vector AS v
    FROM generate_series(0, 199) k CROSS JOIN generate_series(1, :dimensions) GROUP BY k
    """,
    """
    CREATE TEMP TABLE noise AS
    SELECT k, array_agg(random() - 0.5)::vector AS v
    FROM generate_series(0, 999) k CROSS JOIN generate_series(1, :dimensions) GROUP BY k
    """,
    """
    INSERT INTO coaching.user_persona (persona_id, user_id, vector_data)
    SELECT md5('hot-persona:' || n)::uuid, md5('hot-user:' || 50000 + n)::uuid, c.v + z.v
    FROM generate_series(1, :personas) n
    JOIN centres c ON c.k = n % 200
    JOIN noise z ON z.k = n / 200 % 1000
    """,
]


@contextmanager
def secondary_indexes_dropped(engine: Engine, tables: list[str]):
    """Drop the tables' indexes that back no constraint, then create them again, as they were,
    after the block (a bulk load builds an index once, by a sort, instead of row by row)."""
    with engine.begin() as connection:
        indexes = connection.execute(
            sa.text(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                WHERE i.indrelid = ANY(CAST(:tables AS regclass[]))
                  AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                """
            ),
            {"tables": tables},
        ).all()
        for name, _ in indexes:
            connection.execute(sa.text(f"DROP INDEX {name}"))
    yield
    with engine.begin() as connection:
        connection.execute(sa.text("SET LOCAL maintenance_work_mem = '1GB'"))
        for _, definition in indexes:
            # A partitioned table's index is defined ON ONLY the parent; on the parent, the same
            # statement without ONLY builds it on every partition too.
            connection.execute(sa.text(definition.replace(" ON ONLY ", " ON ")))


def load(engine: Engine, rows: int, personas: int) -> dict[str, float]:
    """Migrate an empty database to head and fill it; returns seconds per stage (setup, not
    measurements)."""
    seconds = {}
    start = time.perf_counter()
    upgrade(engine, "memory_legacy")
    data.load(engine, data.memory_profiles(), rows // ITEMS_PER_PROFILE)
    upgrade(engine, "head")
    seconds["memory, migrated"] = time.perf_counter() - start

    big = [
        "therapy.therapy_sessions",
        "therapy.session_configurations",
        "therapy.messages",
        "coaching.sessions",
        "chat.sessions",
        "chat.messages",
        "auth.audit_log",
    ]
    start = time.perf_counter()
    with secondary_indexes_dropped(engine, big), engine.begin() as connection:
        # Bulk load: no per-row trigger (program rule, updated_at) or foreign key check fires.
        connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for statement in LOAD:
            connection.execute(sa.text(statement), {"rows": rows})
    seconds["rows"] = time.perf_counter() - start

    start = time.perf_counter()
    with engine.begin() as connection:
        index = connection.scalar(
            sa.text("SELECT pg_get_indexdef('coaching.ix_user_persona_vector_data'::regclass)")
        )
        connection.execute(sa.text("DROP INDEX coaching.ix_user_persona_vector_data"))
        connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for statement in LOAD_PERSONAS:
            connection.execute(
                sa.text(statement), {"personas": personas, "dimensions": EMBEDDING_DIMENSIONS}
            )
    seconds["personas"] = time.perf_counter() - start
    start = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(sa.text("SET LOCAL maintenance_work_mem = '2GB'"))
        connection.execute(sa.text("SET LOCAL max_parallel_maintenance_workers = 1"))
        connection.execute(sa.text(index))
    seconds["hnsw"] = time.perf_counter() - start
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    return seconds


@dataclass
class HotQuery:
    name: str
    tables: tuple[str, ...]  # the big tables it reads: never by a sequential scan
    keys: str  # SQL drawing candidate keys
    call: Callable[[Session, object], object]
    rows_in_tables: str = f"{ROWS:,} rows"
    why: str = ""  # why it cannot meet its target, where it cannot
    # Something more to say about its answers, e.g. an approximate search's recall.
    quality: Callable[[Session, list], str] | None = None


@dataclass
class QueryResult:
    query: HotQuery
    samples: list[float]
    baseline: list[float]
    quality: str = ""
    plans: list[str] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)
    seq_scans: list[str] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return median(self.samples)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 0.95)


INDEX_USE = re.compile(r"Index (?:Only )?Scan (?:Backward )?using (\w+)|Bitmap Index Scan on (\w+)")


def indexes_used(session: Session, plans: list[str]) -> list[str]:
    """The indexes the plans use; a partition's index is named by its partitioned parent."""
    names = list(dict.fromkeys(a or b for a, b in INDEX_USE.findall("\n".join(plans))))
    parents = dict(
        session.execute(
            sa.text(
                "SELECT c.relname, coalesce(p.relname, c.relname) FROM pg_class c "
                "LEFT JOIN pg_inherits i ON i.inhrelid = c.oid "
                "LEFT JOIN pg_class p ON p.oid = i.inhparent WHERE c.relname = ANY(:names)"
            ),
            {"names": names},
        ).all()
    )
    return list(dict.fromkeys(parents.get(name, name) for name in names))


def vector_of(text: str) -> list[float]:
    return [float(x) for x in text.strip("[]").split(",")]


def persona_recall(session: Session, keys: list, probes: int = 20) -> str:
    """recall@10 of the HNSW search: how many of the exact ten nearest (a scan, index scans off)
    it finds, averaged over `probes` searches."""
    found = []
    for key in keys[:probes]:
        approximate = {
            match.user_id for match in coaching.nearest_personas(session, vector_of(key))
        }
        session.execute(sa.text("SET LOCAL enable_indexscan = off"))
        exact = {match.user_id for match in coaching.nearest_personas(session, vector_of(key))}
        session.rollback()
        found.append(len(approximate & exact) / len(exact))
    return f"recall@10 {sum(found) / len(found):.3f} ({probes} searches against an exact scan)"


QUERIES = [
    HotQuery(
        "a user's whole memory (memory.read_user_memory)",
        tuple(f"memory.{table.name}" for table in memory.memory_list_tables()),
        "SELECT user_id FROM memory.user_profile_summary ORDER BY random() LIMIT 1000",
        lambda session, key: memory.read_user_memory(session, key),
        rows_in_tables=f"{ROWS:,} list items in 28 tables (about {ITEMS_PER_PROFILE} a user)",
        why="its answer is a user's every remembered item, about 160 kB of JSON here: the "
        "server takes about 7 ms to build it (29 index scans, a JSON object per item, each "
        "list sorted) and 2 ms to plan 36 subqueries; the client about 3 ms to read and parse "
        "it. Not a lookup but a document: a service that needs it in 5 ms reads fewer lists",
    ),
    HotQuery(
        "a user's sessions, newest first (therapy.list_user_sessions)",
        ("therapy.therapy_sessions",),
        "SELECT user_id FROM therapy.therapy_sessions ORDER BY random() LIMIT 1000",
        lambda session, key: therapy.list_user_sessions(session, key),
    ),
    HotQuery(
        "a session with its messages in order (therapy.get_session_details)",
        ("therapy.therapy_sessions", "therapy.session_configurations", "therapy.messages"),
        "SELECT session_id FROM therapy.messages ORDER BY random() LIMIT 1000",
        lambda session, key: therapy.get_session_details(session, key),
    ),
    HotQuery(
        "a chat session's messages in order (chat.session_messages)",
        ("chat.messages",),
        "SELECT session_id FROM chat.messages ORDER BY random() LIMIT 1000",
        lambda session, key: chat.session_messages(session, key),
    ),
    HotQuery(
        "persona top-10 similarity (coaching.nearest_personas)",
        ("coaching.user_persona",),
        "SELECT vector_data::text FROM coaching.user_persona ORDER BY random() LIMIT 1000",
        lambda session, key: coaching.nearest_personas(session, vector_of(key)),
        rows_in_tables=f"{PERSONAS:,} personas",
        quality=persona_recall,
        why="the 1536-number embedding travels as text: formatting it in Python takes about "
        "2 ms (pgvector's bind), parsing it and the index search about 1 ms more",
    ),
    HotQuery(
        "a person's top-10 similar people (coaching.similar_users)",
        ("coaching.user_persona",),
        "SELECT user_id FROM coaching.user_persona ORDER BY random() LIMIT 1000",
        lambda session, key: coaching.similar_users(session, key),
        rows_in_tables=f"{PERSONAS:,} personas",
        why="an HNSW search over 1536 dimensions: about 1-2 ms in the server at this size, "
        "more as the index outgrows memory",
    ),
    HotQuery(
        "audit rows of a voice session (clinic.audit_trail)",
        ("auth.audit_log",),
        "SELECT session_id FROM auth.audit_log ORDER BY random() LIMIT 1000",
        lambda session, key: clinic.audit_trail(session, session_id=key),
    ),
    HotQuery(
        "a Discord channel's active session (chat.active_session_for_channel)",
        ("chat.sessions",),
        "SELECT discord_channel_id FROM chat.sessions WHERE discord_channel_id IS NOT NULL "
        "ORDER BY random() LIMIT 1000",
        lambda session, key: chat.active_session_for_channel(session, key),
    ),
    HotQuery(
        "a person's next unlockable program session (coaching.next_unlockable_session)",
        ("coaching.sessions",),
        "SELECT user_id FROM coaching.sessions ORDER BY random() LIMIT 1000",
        lambda session, key: coaching.next_unlockable_session(session, key),
    ),
]


class StatementLog:
    """The statements (and parameters) an engine sends while it is recording."""

    def __init__(self, engine: Engine):
        self.engine, self.recording, self.statements = engine, False, []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, connection, cursor, statement, parameters, context, executemany) -> None:
        if self.recording:
            self.statements.append((statement, parameters))

    @contextmanager
    def record(self):
        self.statements, self.recording = [], True
        try:
            yield self.statements
        finally:
            self.recording = False


SMALL = 1000  # a sequential scan over fewer rows (an empty partition, say) costs nothing


def scanned_rows(plans: list[str], table: str) -> int:
    """How many rows the plans read from `table` (or its partitions) by sequential scans."""
    name = table.split(".")[1]
    node = re.compile(rf"Seq Scan on {name}(_\w+)? .*rows=([0-9.]+)")
    removed = re.compile(r"^\s*Rows Removed by Filter: (\d+)")
    total, in_scan = 0, False
    for line in "\n".join(plans).splitlines():
        if match := node.search(line):
            total, in_scan = total + float(match.group(2)), True
        elif in_scan and (match := removed.match(line)):
            total += int(match.group(1))
        elif "->" in line:
            in_scan = False
    return int(total)


VECTOR_LITERAL = re.compile(r"\[[-0-9.e, ]{40,}\]")


def explain(session: Session, statement: str, parameters) -> str:
    cursor = session.connection().connection.cursor()
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters)
    plan = "\n".join(row[0] for row in cursor.fetchall())
    cursor.close()
    return VECTOR_LITERAL.sub("[...]", plan)


def run_query(engine: Engine, log: StatementLog, query: HotQuery, calls: int) -> QueryResult:
    rng = random.Random(query.name)
    with Session(engine) as session:
        keys = list(session.scalars(sa.text(query.keys)))
        rng.shuffle(keys)
        keys = [keys[n % len(keys)] for n in range(calls)]

        def timed_call(key) -> float:
            start = time.perf_counter()
            query.call(session, key)
            session.rollback()  # a service's transaction ends with its request
            session.expunge_all()
            return (time.perf_counter() - start) * 1000

        def round_trip(_) -> float:
            start = time.perf_counter()
            session.execute(sa.text("SELECT 1"))
            session.rollback()
            return (time.perf_counter() - start) * 1000

        for key in keys[:10]:  # warm the caches, as a running service has them
            timed_call(key)
        samples, baseline = [], []
        for key in keys:  # interleaved, so both see the same machine
            samples.append(timed_call(key))
            baseline.append(round_trip(key))

        quality = query.quality(session, keys) if query.quality else ""
        with log.record() as statements:
            query.call(session, keys[0])
        plans = [explain(session, statement, parameters) for statement, parameters in statements]
        indexes = indexes_used(session, plans)
        session.rollback()
    seq_scans = [table for table in query.tables if scanned_rows(plans, table) > SMALL]
    return QueryResult(query, samples, baseline, quality, plans, indexes, seq_scans)


def measure_hot_queries(url, calls: int = CALLS) -> list[QueryResult]:
    """Every hot query through a pooled engine, as a service holds its connections."""
    engine = sa.create_engine(url, pool_size=1)
    try:
        log = StatementLog(engine)
        return [run_query(engine, log, query, calls) for query in QUERIES]
    finally:
        engine.dispose()
