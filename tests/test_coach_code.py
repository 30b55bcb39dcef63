"""The health coach's own code, run as it runs: its login, its unqualified SQL, its own ids.

Seed 002's Phases 2 to 4 were never built upstream, so the document's SQL is the coach's code: its
integrity check, its unlock logic, and the writes its routes make to the tables it defines. Phase
1 is the MVP as built: `conv_`/`msg_` string ids, the auth provider's 28-character uids, json
metadata, roles as plain strings. Every statement here is sent as the coach's Python code sends it
(psycopg2 puts the values into the statement as untyped literals), connected as
`therapy_db_health_coach`, whose search_path (coaching, public) finds `users` as the view
`coaching.users`: the coach's people, in the document's Phase 2 shape.
"""

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError, IntegrityError, ProgrammingError

from tests.support import Databases, database_url, upgrade

COACH = "therapy_db_health_coach"

# The document's own SQL, as written (its placeholder 'user_id' is the person's key).
VERIFY_INTEGRITY = """
SELECT
  (SELECT COUNT(*) FROM users) as users_count,
  (SELECT COUNT(*) FROM conversations WHERE user_id NOT IN (SELECT user_id FROM users)) as orphaned_conversations;
"""  # noqa: E501
UNLOCK_LOGIC = """
SELECT
  CASE
    WHEN status = 'completed' THEN TRUE
    ELSE FALSE
  END as can_unlock_next
FROM sessions
WHERE user_id = :user_id
  AND week_number = (SELECT MAX(week_number) FROM sessions WHERE status = 'completed');
"""
# What the document means (ARCHITECTURE section 6): the person's own latest completed week.
UNLOCK_LOGIC_AS_MEANT = UNLOCK_LOGIC.replace(
    "WHERE status = 'completed')", "WHERE status = 'completed' AND user_id = :user_id)"
)

SYNC_USER = """
INSERT INTO users (user_id, email, first_name, last_name, phone_number)
VALUES (:user_id, :email, :first_name, :last_name, :phone_number)
RETURNING user_id, created_at
"""
START_CONVERSATION = """
INSERT INTO conversations (id, user_id, title, message_count, metadata, created_at, updated_at)
VALUES (:id, :user_id, :title, 0, :metadata, now(), now())
"""
ADD_MESSAGE = """
INSERT INTO messages (id, conversation_id, role, content, metadata, created_at, updated_at)
VALUES (:id, :conversation_id, :role, :content, :metadata, :created_at, :created_at)
"""
SCHEDULE_SESSION = """
INSERT INTO sessions (session_id, user_id, goal_id, session_number, week_number, session_type,
                      status)
VALUES (:session_id, :user_id, :goal_id, :session_number, :week_number, :session_type, :status)
"""


@pytest.fixture(scope="module")
def migrated_here(databases: Databases) -> Iterator[Engine]:
    """A database that ran platform_roles itself: the login's search_path is set per database."""
    with databases.at("chat_discord") as engine:
        upgrade(engine, "head")
        yield engine


def connect_as_the_coach(engine: Engine) -> Engine:
    return sa.create_engine(
        database_url(engine.url.database, user=COACH), poolclass=sa.pool.NullPool
    )


@pytest.fixture
def coach(migrated_here: Engine) -> Iterator[Connection]:
    """The coach's connection, in a transaction rolled back after the test."""
    login = connect_as_the_coach(migrated_here)
    try:
        with login.connect() as connection:
            transaction = connection.begin()
            try:
                yield connection
            finally:
                transaction.rollback()
    finally:
        login.dispose()


def run(connection: Connection, sql: str, **params) -> sa.CursorResult:
    return connection.execute(sa.text(sql), params)


def sync_user(coach: Connection, email: str | None = None, **profile) -> uuid.UUID:
    """The coach's user sync (Phase 2: "Sync Firebase users to database"): its key is a uuid4."""
    values = {"first_name": None, "last_name": None, "phone_number": None} | profile
    return run(coach, SYNC_USER, user_id=str(uuid.uuid4()), email=email, **values).one().user_id


def start_conversation(coach: Connection, user_id: uuid.UUID | None, metadata="{}") -> str:
    conversation_id = f"conv_{uuid.uuid4().hex[:12]}"
    run(
        coach,
        START_CONVERSATION,
        id=conversation_id,
        user_id=None if user_id is None else str(user_id),
        title="Chat",
        metadata=metadata,
    )
    return conversation_id


def someone_elses(coach: Connection) -> uuid.UUID:
    """A person of another system (the therapist's), as the platform's own tools add them."""
    return run(
        coach,
        "INSERT INTO public.users (username, role) VALUES (:name, 'participant') RETURNING id",
        name=f"participant-{uuid.uuid4().hex[:8]}",
    ).scalar_one()


def verify_integrity(coach: Connection) -> tuple[int, int]:
    return tuple(run(coach, VERIFY_INTEGRITY).one())


# -- users: the document's Phase 2 table, over the shared identity ------------------------------


def test_users_has_the_documents_phase2_columns(coach: Connection):
    columns = run(
        coach,
        "SELECT column_name, data_type, character_maximum_length "
        "FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = 'users' "
        "ORDER BY ordinal_position",
    ).all()
    assert [tuple(column) for column in columns] == [
        ("user_id", "uuid", None),
        ("email", "character varying", 255),
        ("password_hash", "text", None),  # the shared identity's (the document: VARCHAR(255))
        ("first_name", "character varying", 100),
        ("last_name", "character varying", 100),
        ("phone_number", "character varying", 20),
        ("created_at", "timestamp with time zone", None),
        ("last_login", "timestamp with time zone", None),
    ]


def test_sync_user_inserts_a_user_and_reads_back_their_key(coach: Connection):
    user_id = uuid.uuid4()
    created = run(
        coach,
        SYNC_USER,
        user_id=str(user_id),
        email="maya@example.com",
        first_name="Maya",
        last_name="Ortiz",
        phone_number="+1 555 0100",
    ).one()
    assert created.user_id == user_id and created.created_at is not None
    person = run(
        coach,
        "SELECT email, first_name, coaching_since FROM public.users WHERE id = :id",
        id=str(user_id),
    ).one()
    assert tuple(person) == ("maya@example.com", "Maya", created.created_at)


def test_sync_user_without_a_key_gets_one_from_the_database(coach: Connection):
    created = run(
        coach, "INSERT INTO users (email) VALUES ('noor@example.com') RETURNING user_id"
    ).scalar_one()
    email = run(coach, "SELECT email FROM users WHERE user_id = :id", id=str(created))
    assert email.scalar_one() == "noor@example.com"


def test_users_lists_the_coachs_people_and_no_one_else(coach: Connection):
    mine = sync_user(coach, "kai@example.com")
    theirs = someone_elses(coach)
    listed = set(run(coach, "SELECT user_id FROM users").scalars())
    assert mine in listed and theirs not in listed


def test_sync_user_with_a_taken_email_is_refused(coach: Connection):
    sync_user(coach, "lee@example.com")
    with pytest.raises(IntegrityError, match="idx_users_email"):
        sync_user(coach, "lee@example.com")


def test_update_a_users_profile_and_last_login(coach: Connection):
    user_id = sync_user(coach, "ana@example.com")
    run(
        coach,
        "UPDATE users SET first_name = :name, last_login = now() WHERE user_id = :id",
        name="Ana",
        id=str(user_id),
    )
    person = run(
        coach, "SELECT first_name, last_login FROM public.users WHERE id = :id", id=str(user_id)
    ).one()
    assert person.first_name == "Ana" and person.last_login is not None


def test_a_user_cannot_be_written_out_of_the_coachs_people(coach: Connection):
    """created_at is when the person became one of the coach's people: clearing it through
    `users` would take the row out of the view, which its check option refuses."""
    user_id = sync_user(coach, "sam@example.com")
    with pytest.raises(ProgrammingError, match='violates check option for view "users"'):
        run(coach, "UPDATE users SET created_at = NULL WHERE user_id = :id", id=str(user_id))


def test_delete_a_user_deletes_their_conversations_and_program(coach: Connection):
    user_id = sync_user(coach, "jo@example.com")
    conversation = start_conversation(coach, user_id)
    run(coach, SCHEDULE_SESSION, **session(user_id, 1, 1, "unlocked"))
    run(coach, "DELETE FROM users WHERE user_id = :id", id=str(user_id))
    assert run(
        coach, "SELECT count(*) FROM conversations WHERE id = :id", id=conversation
    ).one() == (0,)
    left = run(coach, "SELECT count(*) FROM sessions WHERE user_id = :id", id=str(user_id))
    assert left.scalar_one() == 0
    assert run(
        coach, "SELECT count(*) FROM public.users WHERE id = :id", id=str(user_id)
    ).one() == (0,)


# -- the document's integrity check ---------------------------------------------------------------


def test_verify_integrity_counts_the_coachs_users_and_no_orphan_when_all_are_theirs(coach):
    for email in ("a@example.com", "b@example.com"):
        start_conversation(coach, sync_user(coach, email))
    start_conversation(coach, None)  # before sign-in: anonymous, not an orphan
    assert verify_integrity(coach) == (2, 0)


def test_verify_integrity_finds_conversations_whose_person_is_not_one_of_the_coachs(coach):
    """With a foreign key no conversation points at nobody; an orphan is a conversation of a
    person who is not (another system's) or no longer (who left the coach) one of its people."""
    start_conversation(coach, sync_user(coach, "stays@example.com"))
    start_conversation(coach, someone_elses(coach))
    leaving = sync_user(coach, "leaves@example.com")
    start_conversation(coach, leaving)
    run(coach, "UPDATE public.users SET coaching_since = NULL WHERE id = :id", id=str(leaving))
    assert verify_integrity(coach) == (1, 2)


# -- the document's unlock logic ------------------------------------------------------------------


def session(user_id, week: int, number: int, status: str, goal_id=None) -> dict:
    return dict(session_id=str(uuid.uuid4()), user_id=str(user_id), goal_id=goal_id,
                session_number=number, week_number=week, session_type="check_in",
                status=status)  # fmt: skip


def can_unlock_next(coach: Connection, user_id, sql: str = UNLOCK_LOGIC) -> list[bool]:
    return list(run(coach, sql, user_id=str(user_id)).scalars())


FOUR_WEEKS = [(week, number) for week in (1, 2, 3, 4) for number in (1, 2)]


def enrol(coach: Connection, completed: int) -> uuid.UUID:
    """A person with a four-week program whose first `completed` sessions are done and the next
    one under way, scheduled session by session as the coach's code does."""
    user_id = sync_user(coach)
    for position, (week, number) in enumerate(FOUR_WEEKS):
        status = "completed" if position < completed else "in_progress"
        status = status if position <= completed else "locked"
        run(coach, SCHEDULE_SESSION, **session(user_id, week, number, status))
    return user_id


def test_unlock_logic_can_unlock_the_next_week_once_a_week_is_completed(coach: Connection):
    user_id = enrol(coach, completed=4)  # weeks 1 and 2 done, week 3 under way
    assert can_unlock_next(coach, user_id) == [True, True]


def test_unlock_logic_cannot_unlock_while_the_latest_week_is_incomplete(coach: Connection):
    user_id = enrol(coach, completed=3)  # week 2: its first session done, its second under way
    assert sorted(can_unlock_next(coach, user_id)) == [False, True]


def test_unlock_logic_as_meant_reads_the_persons_own_latest_week(coach: Connection):
    """The document's subquery forgets the person (ARCHITECTURE section 6): someone further ahead
    moves its week for everyone. Asked for the person's own latest completed week, it is right."""
    user_id = enrol(coach, completed=2)  # week 1 done
    enrol(coach, completed=6)  # someone else: weeks 1 to 3 done
    # The document's query, verbatim, reads the person's week 3 (someone else's latest): wrong.
    assert can_unlock_next(coach, user_id) == [False, False]
    assert can_unlock_next(coach, user_id, UNLOCK_LOGIC_AS_MEANT) == [True, True]


# -- the MVP: its own ids, the auth provider's uids, json as written ------------------------------

UID = "Xq7rT2vL9mKp4sWn8bYc3dFh6jZa"  # 28 characters, as the auth provider makes them
SPACED = '{"model" : "Claude Sonnet 4",  "sources": [ ], "model": "Claude Haiku"}'


def test_mvp_writes_a_conversation_and_its_messages_with_its_own_ids(coach: Connection):
    user_id = sync_user(coach, "ria@example.com")
    conversation = "conv_9f1c2e7a4b3d"
    run(
        coach,
        START_CONVERSATION,
        id=conversation,
        user_id=str(user_id),
        title="Walking more",
        metadata='{"week_number": 1, "session_type": "goal_setting"}',
    )
    for n, (role, content, metadata) in enumerate(
        [("user", "I want to walk more.", None), ("assistant", "Let's start small.", SPACED)]
    ):
        run(
            coach,
            ADD_MESSAGE,
            id=f"msg_00000000000{n}",
            conversation_id=conversation,
            role=role,
            content=content,
            metadata=metadata,
            created_at=f"2025-03-0{n + 1} 09:00:00+00",
        )
    run(coach, "UPDATE conversations SET message_count = 2 WHERE id = :id", id=conversation)

    chat = run(
        coach,
        "SELECT id, role, content, metadata::text AS metadata FROM messages "
        "WHERE conversation_id = :id ORDER BY created_at",
        id=conversation,
    ).all()
    assert [tuple(message) for message in chat] == [
        ("msg_000000000000", "user", "I want to walk more.", None),
        ("msg_000000000001", "assistant", "Let's start small.", SPACED),  # exactly as written
    ]
    listed = run(
        coach,
        "SELECT id, message_count FROM conversations WHERE user_id = :u ORDER BY updated_at DESC",
        u=str(user_id),
    ).all()
    assert [tuple(row) for row in listed] == [(conversation, 2)]


def test_mvp_writes_get_ids_of_its_shape_when_they_send_none(coach: Connection):
    conversation = run(
        coach, "INSERT INTO conversations (title) VALUES ('x') RETURNING id"
    ).scalar_one()
    message = run(
        coach,
        "INSERT INTO messages (conversation_id, role, content) VALUES (:c, 'user', 'hi') "
        "RETURNING id",
        c=conversation,
    ).scalar_one()
    assert conversation.startswith("conv_") and len(conversation) == 17
    assert message.startswith("msg_") and len(message) == 16


def test_mvp_writing_a_uid_as_a_conversations_user_is_refused_from_phase2_on(coach: Connection):
    """From Phase 2 a conversation's user_id is its person's users.user_id (the document's
    integrity check compares them); the uid the MVP wrote there is the person's external_auth_id.
    The document's Phase 2 asks the app to change ("Update routes to include user context")."""
    with pytest.raises(DataError, match="invalid input syntax for type uuid"):
        run(
            coach,
            START_CONVERSATION,
            id="conv_0a1b2c3d4e5f",
            user_id=UID,
            title="x",
            metadata="{}",
        )


def test_an_mvp_database_as_the_app_wrote_it_migrates_to_the_coachs_people(databases):
    """A Phase 1 database filled by the MVP's own code (its connection found its tables first)
    migrates to head; the coach's code then finds the person of the uid among its users."""
    with databases.at("coaching_phase1") as engine:
        with engine.begin() as mvp:
            mvp.execute(sa.text("SET LOCAL search_path = coaching, public"))
            run(
                mvp,
                START_CONVERSATION,
                id="conv_5e6f7a8b9c0d",
                user_id=UID,
                title="Sleep",
                metadata='{"week_number": 1, "program_status": "completed"}',
            )
            for n, role in enumerate(("user", "assistant")):
                run(
                    mvp,
                    ADD_MESSAGE,
                    id=f"msg_5e6f7a8b9c0{n}",
                    conversation_id="conv_5e6f7a8b9c0d",
                    role=role,
                    content="...",
                    metadata=SPACED if role == "assistant" else '{"mood_rating": 7}',
                    created_at=f"2025-01-0{n + 1} 09:00:00+00",
                )
        upgrade(engine, "head")

        login = connect_as_the_coach(engine)
        try:
            with login.connect() as coach:
                assert verify_integrity(coach) == (1, 0)
                person = run(
                    coach,
                    "SELECT u.user_id, u.created_at, p.external_auth_id FROM users u "
                    "JOIN public.users p ON p.id = u.user_id",
                ).one()
                assert person.external_auth_id == UID
                conversation = run(
                    coach,
                    "SELECT user_id, created_at FROM conversations WHERE id = 'conv_5e6f7a8b9c0d'",
                ).one()
                # One of the coach's people since their first conversation, which is theirs.
                assert tuple(conversation) == (person.user_id, person.created_at)
                assert can_unlock_next(coach, person.user_id) == [True]
                kept = run(
                    coach,
                    "SELECT metadata::text FROM messages WHERE id = 'msg_5e6f7a8b9c01'",
                ).scalar_one()
                assert kept == SPACED
        finally:
            login.dispose()


# -- the program: Phase 2-4 writes of the coach's routes -------------------------------------------

VECTOR = "[" + ",".join(["0.01"] * 1536) + "]"


def test_create_a_persona_with_its_embedding(coach: Connection):
    user_id = sync_user(coach)
    run(
        coach,
        "INSERT INTO user_persona (persona_id, user_id, personal_details, has_dog, preferences, "
        "vector_data) VALUES (gen_random_uuid(), :u, :details, true, :prefs, :vector)",
        u=str(user_id),
        details='{"city": "Lyon"}',
        prefs='{"tone": "warm"}',
        vector=VECTOR,
    )
    assert run(
        coach, "SELECT has_dog FROM user_persona WHERE user_id = :u", u=str(user_id)
    ).scalar_one()


def test_a_second_persona_for_a_user_is_refused_one_per_person(coach: Connection):
    user_id = sync_user(coach)
    insert = "INSERT INTO user_persona (persona_id, user_id) VALUES (gen_random_uuid(), :u)"
    run(coach, insert, u=str(user_id))
    with pytest.raises(IntegrityError, match="idx_persona_user"):
        run(coach, insert, u=str(user_id))


def test_record_engagement_analytics(coach: Connection):
    user_id = sync_user(coach)
    run(
        coach,
        "INSERT INTO engagement_analytics (analytics_id, user_id, total_messages, "
        "avg_response_time, session_completion_rate, last_activity, engagement_score) "
        "VALUES (gen_random_uuid(), :u, 12, '00:03:30', 37.5, now(), 71.25)",
        u=str(user_id),
    )
    row = run(
        coach,
        "SELECT total_messages, engagement_score FROM engagement_analytics WHERE user_id = :u",
        u=str(user_id),
    ).one()
    assert (row.total_messages, float(row.engagement_score)) == (12, 71.25)


def create_goal(coach: Connection, user_id) -> str:
    goal_id = str(uuid.uuid4())
    run(
        coach,
        "INSERT INTO smart_goals (goal_id, user_id, goal_type, specific, measurable, achievable, "
        "relevant, time_bound) VALUES (:g, :u, 'fitness', 'Walk 30 minutes a day', "
        "'4000 steps', 'After lunch', 'Energy', '4 weeks')",
        g=goal_id,
        u=str(user_id),
    )
    return goal_id


def test_create_a_smart_goal_active_by_default(coach: Connection):
    goal_id = create_goal(coach, sync_user(coach))
    status = run(coach, "SELECT status FROM smart_goals WHERE goal_id = :g", g=goal_id)
    assert status.scalar_one() == "active"


def test_schedule_sessions_locked_by_default_and_complete_them_in_order(coach: Connection):
    user_id = sync_user(coach)
    goal_id = create_goal(coach, user_id)
    first = session(user_id, 1, 1, "unlocked", goal_id)
    second = session(user_id, 2, 1, "locked", goal_id)
    run(coach, SCHEDULE_SESSION, **first)
    run(
        coach,
        "INSERT INTO sessions (session_id, user_id, goal_id, session_number, week_number) "
        "VALUES (:session_id, :user_id, :goal_id, 1, 2)",
        **{k: second[k] for k in ("session_id", "user_id", "goal_id")},
    )
    run(
        coach,
        "UPDATE sessions SET status = 'completed', completed_date = now() WHERE session_id = :s",
        s=first["session_id"],
    )
    statuses = run(
        coach,
        "SELECT week_number, status FROM sessions WHERE user_id = :u ORDER BY week_number",
        u=str(user_id),
    ).all()
    assert [tuple(row) for row in statuses] == [(1, "completed"), (2, "unlocked")]


def test_starting_a_session_before_the_previous_one_is_refused_with_the_reason(coach):
    user_id = sync_user(coach)
    run(coach, SCHEDULE_SESSION, **session(user_id, 1, 1, "unlocked"))
    later = session(user_id, 2, 1, "locked")
    run(coach, SCHEDULE_SESSION, **later)
    with pytest.raises(IntegrityError) as refused:
        run(
            coach,
            "UPDATE sessions SET status = 'in_progress' WHERE session_id = :s",
            s=later["session_id"],
        )
    assert "week 1, session 1 before it is unlocked" in str(refused.value)
    assert refused.value.orig.diag.message_hint == (
        "Sessions of a program are taken in order: complete the earlier one."
    )


def test_save_a_sessions_takeaways_once(coach: Connection):
    user_id = sync_user(coach)
    taken = session(user_id, 1, 1, "completed")
    run(coach, SCHEDULE_SESSION, **taken)
    save = (
        "INSERT INTO session_takeaways (takeaway_id, session_id, key_learnings, action_items, "
        "revised_goal) VALUES (gen_random_uuid(), :s, 'Start small', 'Walk 3x', NULL)"
    )
    run(coach, save, s=taken["session_id"])
    with pytest.raises(IntegrityError, match="idx_takeaways_session"):
        run(coach, save, s=taken["session_id"])


def test_record_a_check_in_and_read_the_goals_progress(coach: Connection):
    user_id = sync_user(coach)
    goal_id = create_goal(coach, user_id)
    for day, progress in (("2025-02-01", 20), ("2025-02-08", 45)):
        run(
            coach,
            "INSERT INTO check_ins (checkin_id, user_id, goal_id, checkin_date, progress_notes, "
            "mood_rating, goal_progress) VALUES (gen_random_uuid(), :u, :g, :d, 'ok', 7, :p)",
            u=str(user_id),
            g=goal_id,
            d=day,
            p=progress,
        )
    latest = run(
        coach,
        "SELECT goal_progress FROM check_ins WHERE goal_id = :g ORDER BY checkin_date DESC LIMIT 1",
        g=goal_id,
    ).scalar_one()
    assert latest == 45


@pytest.mark.parametrize(("mood", "progress"), [(0, 50), (11, 50), (5, -1), (5, 101)])
def test_a_check_in_outside_the_documents_scales_is_refused(coach: Connection, mood, progress):
    user_id = sync_user(coach)
    with pytest.raises(IntegrityError, match="ck_check_ins_"):
        run(
            coach,
            "INSERT INTO check_ins (checkin_id, user_id, checkin_date, mood_rating, "
            "goal_progress) VALUES (gen_random_uuid(), :u, '2025-02-01', :m, :p)",
            u=str(user_id),
            m=mood,
            p=progress,
        )


def test_save_a_completed_sessions_transcript(coach: Connection):
    user_id = sync_user(coach)
    taken = session(user_id, 1, 1, "completed")
    run(coach, SCHEDULE_SESSION, **taken)
    for order, (sender, text) in enumerate([("assistant", "How was it?"), ("user", "Good!")], 1):
        run(
            coach,
            "INSERT INTO transcripts (transcript_id, session_id, message_order, sender, "
            'message_content, "timestamp", metadata) '
            "VALUES (gen_random_uuid(), :s, :o, :sender, :text, now(), :m)",
            s=taken["session_id"],
            o=order,
            sender=sender,
            text=text,
            m='{"model": "Claude Sonnet 4"}',
        )
    lines = run(
        coach,
        "SELECT sender FROM transcripts WHERE session_id = :s ORDER BY message_order",
        s=taken["session_id"],
    ).scalars()
    assert list(lines) == ["assistant", "user"]
