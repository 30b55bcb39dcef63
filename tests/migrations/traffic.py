"""Application traffic for live-migration tests: the requests a writer makes, the rows it meets.

An operation is one application request (one transaction) in a shape that holds on both sides
of the revisions it is used across: a writer keeps making it while a revision runs, before and
after the commit, as a service deployed for either shape would. `since` is the first revision
whose tables it fits, `until` the first it no longer fits (therapy_3nf makes the legacy log
read-only, so the legacy app's writes end there).

A fill loads `rows` rows of data into the tables a revision finds, so its locks and scans last
as long as they would on a database of that size.
"""

from dataclasses import dataclass

from app.operations.history import History, alembic_config


@dataclass(frozen=True)
class Operation:
    name: str
    since: str
    sql: str
    until: str | None = None
    needs: str | None = None  # takes %(id)s: a row of this kind the writer created
    makes: str | None = None  # its RETURNING gives a row of this kind


@dataclass(frozen=True)
class Fill:
    since: str
    sql: str  # takes %(rows)s
    until: str | None = None


OPERATIONS = [
    Operation(
        "users insert",
        "platform",
        "INSERT INTO public.users (username, role) "
        "VALUES ('writer-' || gen_random_uuid(), 'participant') RETURNING id",
        makes="user",
    ),
    Operation(
        "users update",
        "platform",
        "UPDATE public.users SET role = CASE role WHEN 'participant' THEN 'researcher' "
        "ELSE 'participant' END WHERE id = %(id)s",
        needs="user",
    ),
    Operation(
        "conversation_logs insert",
        "therapy_legacy",
        "INSERT INTO therapy.conversation_logs (session_id, role, message_type, message) "
        "VALUES ('writer', 'user', 'chat', 'hello')",
        until="therapy_3nf",
    ),
    Operation(
        "conversation_logs read",
        "therapy_legacy",
        "SELECT id FROM therapy.conversation_logs ORDER BY id DESC LIMIT 5",
    ),
    Operation(
        "therapist app user insert",
        "therapy_legacy",
        "INSERT INTO therapy.users (username, password, role) "
        "VALUES ('writer-' || gen_random_uuid(), '$2b$12$writer', 'participant') RETURNING userid",
        makes="therapist_user",
    ),
    Operation(
        "therapy message insert",
        "therapy_3nf",
        "WITH s AS (INSERT INTO therapy.therapy_sessions DEFAULT VALUES RETURNING session_id) "
        "INSERT INTO therapy.messages (session_id, role, message_type, content) "
        "SELECT session_id, 'user', 'chat', 'hello' FROM s",
    ),
    Operation(
        "therapy session of a user insert",
        "therapy_3nf",
        "INSERT INTO therapy.therapy_sessions (user_id, session_name) VALUES (%(id)s, 'writer')",
        needs="therapist_user",
    ),
    Operation(
        "companion user insert",
        "memory_legacy",
        "INSERT INTO memory.users (id, name, email) "
        "VALUES (gen_random_uuid(), 'writer', 'writer-' || gen_random_uuid() || '@example.org') "
        "RETURNING id",
        makes="companion_user",
    ),
    Operation(
        "companion user update",
        "memory_legacy",
        "UPDATE memory.users SET name = 'writer ' || now() WHERE id = %(id)s",
        needs="companion_user",
    ),
    Operation(
        "memory theme insert",
        "memory_normalized",
        "INSERT INTO memory.user_themes (user_id, theme_name) VALUES (%(id)s, 'writer')",
        needs="user",
    ),
    Operation(
        "coaching conversation insert",
        "coaching_phase1",
        "INSERT INTO coaching.conversations (title, metadata) "
        """VALUES ('writer', '{"source": "writer"}') RETURNING id""",
        makes="conversation",
    ),
    Operation(
        "coaching conversation update",
        "coaching_phase1",
        "UPDATE coaching.conversations SET title = 'writer ' || now() WHERE id = %(id)s",
        needs="conversation",
    ),
    Operation(
        "coaching message insert",
        "coaching_phase1",
        "INSERT INTO coaching.messages (conversation_id, role, content) "
        "VALUES (%(id)s, 'user', 'hello')",
        needs="conversation",
    ),
    Operation(
        "coaching session update",
        "coaching_phase3",
        "UPDATE coaching.sessions SET summary = 'writer ' || now() "
        "WHERE session_id = (SELECT session_id FROM coaching.sessions ORDER BY 1 LIMIT 1)",
    ),
    Operation(
        "audit_log insert",
        "clinic_legacy",
        "INSERT INTO auth.audit_log (tabla_afectada, registro_id, accion, timestamp_accion) "
        "VALUES ('clinicas', 1, 'UPDATE', "
        "timestamptz '2025-06-01 00:00+00' + random() * interval '30 days')",
    ),
    Operation(
        "staff insert",
        "clinic_legacy",
        "INSERT INTO auth.sys_usuarios (nombre_usuario, password_hash, rol) "
        "VALUES ('w' || md5(random()::text), 'x', 'Recepcion') RETURNING id_usuario",
        makes="staff",
    ),
    Operation(
        "staff update",
        "clinic_legacy",
        "UPDATE auth.sys_usuarios SET last_login = now() WHERE id_usuario = %(id)s",
        needs="staff",
    ),
    Operation(
        "chat session insert",
        "chat_legacy",
        "INSERT INTO chat.sessions (owner_user_id, origin) VALUES (%(id)s, 'website') RETURNING id",
        needs="user",
        makes="chat_session",
    ),
    Operation(
        "chat session update",
        "chat_legacy",
        "UPDATE chat.sessions SET system_prompt = 'writer ' || now() WHERE id = %(id)s",
        needs="chat_session",
    ),
    Operation(
        "users display_label update",
        "chat_legacy",
        "UPDATE public.users SET display_label = 'writer' WHERE id = %(id)s",
        needs="user",
    ),
]

FILLS = [
    Fill(
        "platform",
        "INSERT INTO public.users (username, role) "
        "SELECT 'fill-' || g, 'participant' FROM generate_series(1, %(rows)s) g",
    ),
    Fill(
        "therapy_legacy",
        "INSERT INTO therapy.conversation_logs (session_id, role, message_type, message) "
        "SELECT 'fill-' || g / 10, 'user', 'chat', 'message ' || g "
        "FROM generate_series(1, %(rows)s) g",
        until="therapy_3nf",
    ),
    # The companion app: a profile and a conversation of two messages per person.
    Fill(
        "memory_legacy",
        "INSERT INTO memory.memory_profiles (user_id, themes, goals) "
        """SELECT id, '["sleep", "work"]', '["walk daily"]' FROM public.users""",
        until="memory_normalized",
    ),
    Fill(
        "memory_legacy",
        "WITH c AS (INSERT INTO memory.conversations (user_id, title) "
        "SELECT id, 'fill' FROM public.users RETURNING id, user_id) "
        "INSERT INTO memory.conversation_messages (conversation_id, user_id, input_transcript) "
        "SELECT id, user_id, 'hello' FROM c, generate_series(1, 2)",
        until="memory_normalized",
    ),
    Fill(
        "memory_legacy",
        "INSERT INTO memory.value_compass (id, user_id, core_values) "
        "SELECT gen_random_uuid(), id, '{rest}' FROM public.users",
        until="memory_normalized",
    ),
    # The MVP: the auth provider's user id strings, a program week, a goal, moods.
    Fill(
        "coaching_phase1",
        "WITH c AS (INSERT INTO coaching.conversations (user_id, title, metadata) "
        "SELECT 'ext-' || g %% greatest(%(rows)s / 5, 1), 'fill', json_build_object("
        "'week_number', g %% 12 + 1, 'goal_type', 'fitness', 'goal_description', 'walk') "
        "FROM generate_series(1, %(rows)s) g RETURNING id) "
        "INSERT INTO coaching.messages (conversation_id, role, content, metadata) "
        """SELECT id, 'user', 'hello', '{"mood_rating": 6}' FROM c, generate_series(1, 2)""",
        until="coaching_phase2",
    ),
    # After Phase 2: one conversation per person, its program week completed.
    Fill(
        "coaching_phase2",
        "WITH c AS (INSERT INTO coaching.conversations (user_id, title, metadata) "
        "SELECT id, 'fill', json_build_object('week_number', 1, 'goal_type', 'fitness', "
        "'goal_description', 'walk', 'session_status', 'completed') "
        "FROM public.users RETURNING id) "
        "INSERT INTO coaching.messages (conversation_id, role, content, metadata) "
        """SELECT id, 'user', 'hello', '{"mood_rating": 6}' FROM c, generate_series(1, 2)""",
    ),
    Fill(
        "clinic_legacy",
        "INSERT INTO auth.audit_log (tabla_afectada, registro_id, accion, timestamp_accion) "
        "SELECT 'clinicas', g, 'UPDATE', timestamptz '2025-01-01 00:00+00' "
        "+ g * (interval '360 days' / %(rows)s) FROM generate_series(1, %(rows)s) g",
    ),
    Fill(
        "clinic_legacy",
        "INSERT INTO auth.sys_usuarios (nombre_usuario, password_hash, rol) "
        "SELECT 'fill-' || g, 'x', 'Podologo' FROM generate_series(1, %(rows)s / 10 + 1) g",
    ),
    Fill(
        "chat_legacy",
        "INSERT INTO chat.sessions (owner_user_id, origin) SELECT id, 'website' FROM public.users",
    ),
]


def history() -> list[str]:
    return History(alembic_config()).ids


def _holds(since: str, until: str | None, revision: str, order: list[str]) -> bool:
    if revision == "base":
        return False
    position = order.index(revision)
    return order.index(since) <= position and (until is None or position < order.index(until))


def operations_across(previous: str, revision: str) -> list[Operation]:
    """The requests that fit the database on both sides of `previous` -> `revision`."""
    order = history()
    return [
        op
        for op in OPERATIONS
        if _holds(op.since, op.until, previous, order)
        and _holds(op.since, op.until, revision, order)
    ]


def fills_at(revision: str) -> list[Fill]:
    order = history()
    return [fill for fill in FILLS if _holds(fill.since, fill.until, revision, order)]
