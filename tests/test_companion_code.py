"""The companion's own code (its Prisma client, seed 001's routers) against a database at head.

Connected as its login (`therapy_db_companion`) on a database that ran platform_roles itself, each
test writes and reads as that client does: every table qualified with its schema
(`"memory"."table"`), the id it generated (it always sends one), `updated_at` written by the
client, `RETURNING` the row it created. The tables and their columns are those of the companion's
post-migration schema (../shared/reference/memory-tables.md); the few columns this project adds
(kept lossless legacy values, answers upstream lost) are listed here, each nullable or defaulted,
so the client never needs to name them.
"""

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from psycopg2.extras import Json
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from app.runtime.models.base import Base
from app.runtime.models.memory import SCHEMA
from tests.support import database_url, upgrade

LOGIN = "therapy_db_companion"
BOTH = ("id", "user_id", "created_at", "updated_at")
ACTIVE = "is_active"

# The companion's columns (memory-tables.md): the memory and user-profile routers' tables ...
MEMORY_TABLES = {
    "user_profile_summary": (
        "spiritual_connection_level personal_agency_level boundaries_awareness "
        "self_development_capacity hard_truths_tolerance awareness_level suicidal_risk_level "
        "sleep_quality mood_score_initial biggest_challenge biggest_obstacle "
        "motivation_for_joining hopes_to_achieve"
    ),
    "user_ai_preferences": (
        "ai_voice_style growth_vs_support pushback_level self_awareness_level goal_modeling_level "
        "therapeutic_approach validation_vs_challenge directness_level emotional_tone "
        "reflection_depth memory_recall_frequency goal_focus_level session_length_preference "
        "voice_output_style check_in_frequency crisis_sensitivity_level preferred_language notes"
    ),
    "user_themes": f"theme_name theme_category importance_level {ACTIVE}",
    "user_people": f"name relationship_type role importance_level notes {ACTIVE}",
    "user_coping_tools": (
        f"tool_name tool_category effectiveness_rating description when_to_use {ACTIVE}"
    ),
    "user_goals": (
        "goal_title goal_description goal_category priority_level target_date status "
        "progress_percentage"
    ),
    "user_trauma_patterns": (
        "pattern_name pattern_description trigger_events emotional_response coping_strategies "
        f"severity_level {ACTIVE}"
    ),
    "user_pattern_loops": (
        "loop_name trigger_situation automatic_response consequences alternative_responses "
        f"{ACTIVE}"
    ),
    "user_shadow_themes": (
        f"theme_name theme_description triggers avoidance_behaviors integration_strategies {ACTIVE}"
    ),
    "user_ancestral_issues": (
        "issue_name issue_description generational_impact current_manifestation "
        f"healing_approaches {ACTIVE}"
    ),
    "user_current_practices": (
        f"practice_name practice_type frequency effectiveness_rating notes {ACTIVE}"
    ),
    "user_regulation_strategies": (
        f"strategy_name strategy_type when_to_use effectiveness_rating notes {ACTIVE}"
    ),
    "user_dysregulating_factors": (
        f"factor_name factor_type impact_level triggers coping_strategies {ACTIVE}"
    ),
    "user_role_model_traits": (
        f"trait_name person_name trait_description aspiration_level {ACTIVE}"
    ),
    "user_growth_milestones": (
        "milestone_title milestone_description category date_achieved significance_level "
        f"lessons_learned {ACTIVE}"
    ),
    "user_emotional_patterns": (
        "pattern_name emotional_state triggers duration_pattern intensity_level "
        f"coping_strategies {ACTIVE}"
    ),
    "user_relationship_dynamics": (
        "relationship_type dynamic_pattern communication_style conflict_resolution "
        f"emotional_safety_level {ACTIVE}"
    ),
    "user_growth_opportunities": (
        "opportunity_title opportunity_description area_of_growth readiness_level "
        f"potential_impact action_steps {ACTIVE}"
    ),
    "user_risk_factors": (
        f"risk_factor_name risk_category severity_level triggers warning_signs safety_plan {ACTIVE}"
    ),
    "user_strengths": (
        f"strength_name strength_category confidence_level how_developed how_utilized {ACTIVE}"
    ),
    "user_mood_trends": "recorded_date mood_score mood_label contributing_factors notes",
    "user_emotional_states": (
        "state_name state_description physical_sensations thoughts_patterns behaviors "
        f"intensity_level {ACTIVE}"
    ),
    "user_support_system": (
        f"person_name relationship_type support_type reliability_level contact_info {ACTIVE}"
    ),
    "user_current_stressors": (
        f"stressor_name stressor_type impact_level duration coping_strategies {ACTIVE}"
    ),
    "user_daily_habits": (
        f"habit_name habit_category frequency consistency_level impact_on_wellbeing {ACTIVE}"
    ),
    "user_substance_use": (
        "substance_name usage_pattern frequency impact_level triggers "
        f"harm_reduction_strategies {ACTIVE}"
    ),
    "user_previous_therapy": (
        "therapy_type therapist_name duration effectiveness_rating key_insights "
        f"termination_reason {ACTIVE}"
    ),
    "user_suicidal_thoughts": (
        "thought_date thought_content intensity_level risk_level protective_factors "
        "safety_plan_activated professional_help_sought"
    ),
    "user_insight_notes": (
        "insight_title insight_content insight_category importance_level related_themes "
        f"action_items {ACTIVE}"
    ),
    "user_sleep_routine": (
        "bedtime wake_time sleep_duration_hours sleep_quality_rating sleep_hygiene_practices "
        "sleep_issues"
    ),
    "user_relationship_status": (
        "current_status partner_name relationship_duration satisfaction_level challenges strengths"
    ),
    "user_living_situation": (
        "living_arrangement location housemates financial_stability housing_satisfaction"
    ),
    "user_spiritual_path": (
        "spiritual_beliefs practices community_involvement connection_level "
        "spiritual_challenges spiritual_growth_goals"
    ),
}
# ... and the conversation, user and feedback routers' (their second table).
ROUTER_TABLES = {
    "user_conversations": (
        "started_at ended_at title context_summary mood_at_start mood_at_end context_json "
        "description"
    ),
    "user_conversation_messages": (
        "conversation_id input_type input_transcript gpt_response audio_response_url summary "
        "mood_at_time flagged tags"
    ),
    "user_crisis_flags": "session_id flag_type triggered_at reviewed",
    "user_conversation_continuity": (
        "conversation_id last_message_count last_session_phase last_therapeutic_focus "
        "last_emotional_state last_timestamp session_duration_minutes is_resuming "
        "continuity_context"
    ),
    "user_value_compass": "core_values anti_values narrative last_reflected_at",
    "user_feedback_log": "session_id rating comment",
    "feedback": (
        "raw_feedback ai_summary priority feedback_type device_info app_version processed_at "
        "status tags metadata"
    ),
    "user_therapy_preferences": (
        "preferred_therapy_styles preferred_tone communication_style feedback_frequency "
        "session_length_preference"
    ),
    "user_emotional_trends": "recorded_at mood_score mood_label notes",
}
COMPANION_COLUMNS = {
    **{table: {*BOTH, *columns.split()} for table, columns in MEMORY_TABLES.items()},
    **{table: {*BOTH, *columns.split()} for table, columns in ROUTER_TABLES.items()},
    # keyed by user_id, no id column
    "user_preferences": {
        "user_id", "show_text_response", "play_audio_response", "preferred_therapist_name",
        "daily_reminder_time", "timezone", "created_at", "updated_at",
    },
    "users": {
        "id", "name", "email", "password", "onboarding_skipped", "onboarding_completed_at",
        "created_at", "updated_at",
    },
}  # fmt: skip

# What this project adds (docs/SEEDS.md), every one nullable or defaulted: a list item's place
# and exact legacy value, and the legacy answers the upstream migration left without a home.
LIST_EXTRAS = {"position", "legacy_value"}
ADDED = {
    **{table: LIST_EXTRAS for table in MEMORY_TABLES if table not in (
        "user_profile_summary", "user_ai_preferences", "user_sleep_routine",
        "user_relationship_status", "user_living_situation", "user_spiritual_path",
    )},
    "user_stuck_points": {*BOTH, "stuck_point", ACTIVE, *LIST_EXTRAS},  # upstream lost them
    "user_profile_summary": {"summary", "therapy_type", "therapy_duration"},
    "user_sleep_routine": {"notes"},
    "user_spiritual_path": {"notes"},
}  # fmt: skip

# The router each table serves (source-systems.md, seed 001): the tests' names.
ROUTERS = {
    "user_conversations": "conversation",
    "user_conversation_messages": "conversation",
    "user_crisis_flags": "feedback",
    "user_conversation_continuity": "conversation",
    "user_value_compass": "user",
    "user_feedback_log": "feedback",
    "feedback": "feedback",
    "user_therapy_preferences": "user-profile",
    "user_emotional_trends": "user",
    "user_preferences": "user",
    "user_ai_preferences": "user",
    "user_mood_trends": "user",
    "user_emotional_states": "user",
    "user_suicidal_thoughts": "user",
}


@pytest.fixture(scope="module")
def migrated_here(databases) -> Iterator[Engine]:
    """A database that ran platform_roles itself: the login's search_path is set per database."""
    with databases.at("chat_discord") as engine:
        upgrade(engine, "head")
        yield engine


@pytest.fixture(scope="module")
def companion(migrated_here: Engine) -> Iterator[Engine]:
    engine = sa.create_engine(database_url(migrated_here.url.database, user=LOGIN))
    yield engine
    engine.dispose()


@pytest.fixture
def client(companion: Engine) -> Iterator[Connection]:
    """The companion's connection; what a test writes is rolled back after it."""
    with companion.connect() as connection, connection.begin() as transaction:
        yield connection
        transaction.rollback()


def create(client: Connection, table: str, row: dict) -> sa.RowMapping:
    """`prisma.<model>.create(...)`: the columns it writes, RETURNING the row."""
    names = ", ".join(f'"{column}"' for column in row)
    values = ", ".join(f":{column}" for column in row)
    return (
        client.execute(
            sa.text(f'INSERT INTO "memory"."{table}" ({names}) VALUES ({values}) RETURNING *'),
            {column: Json(v) if isinstance(v, dict) else v for column, v in row.items()},
        )
        .mappings()
        .one()
    )


def read(client: Connection, table: str, **key) -> sa.RowMapping:
    ((column, value),) = key.items()
    return (
        client.execute(
            sa.text(f'SELECT * FROM "memory"."{table}" WHERE "{column}" = :value'),
            {"value": value},
        )
        .mappings()
        .one()
    )


def sign_up(client: Connection, **values) -> sa.RowMapping:
    person = {"id": uuid.uuid4(), "email": f"{uuid.uuid4().hex}@example.org", **values}
    return create(client, "users", {"updated_at": datetime.now(UTC), **person})


def columns_of(client: Connection, table: str) -> dict[str, str]:
    return dict(
        client.execute(
            sa.text(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'memory' AND table_name = :table"
            ),
            {"table": table},
        ).all()
    )


# A value of each type the client sends; 3 is on every scale the tables check.
SAMPLES = {
    "uuid": uuid.UUID(int=7),
    "text": "as the client wrote it",
    "integer": 3,
    "smallint": 3,
    "numeric": Decimal("7.5"),
    "boolean": True,
    "date": date(2025, 3, 1),
    "timestamp with time zone": datetime(2025, 3, 1, 8, 30, tzinfo=UTC),
    "ARRAY": ["first", "second"],
    "jsonb": {"written": "by the client"},
    "json": {"written": "by the client"},
}
CHECKED = {("feedback", "priority"): "high", ("feedback", "status"): "resolved"}


def full_row(client: Connection, table: str, person: uuid.UUID) -> dict:
    """Every column of the companion's table, as its client sends them (`updated_at` too)."""
    types = columns_of(client, table)
    row = {
        column: CHECKED.get((table, column), SAMPLES[types[column]])
        for column in sorted(COMPANION_COLUMNS[table] - {"user_id"})
    }
    row["user_id"] = person
    if table != "user_preferences":
        row["id"] = uuid.uuid4()
    if "conversation_id" in row:
        row["conversation_id"] = conversation(client, person)
    if table == "user_crisis_flags":  # the message it was raised on (a feedback log's is free)
        row["session_id"] = message(client, person)
    return row


def conversation(client: Connection, person: uuid.UUID) -> uuid.UUID:
    return create(client, "user_conversations", {"id": uuid.uuid4(), "user_id": person})["id"]


def message(client: Connection, person: uuid.UUID) -> uuid.UUID:
    talk = conversation(client, person)
    row = {"id": uuid.uuid4(), "user_id": person, "conversation_id": talk}
    return create(client, "user_conversation_messages", row)["id"]


def refusal(client: Connection, statement: str, **params) -> DBAPIError:
    with pytest.raises(DBAPIError) as refused, client.begin_nested():
        client.execute(sa.text(statement), params)
    return refused.value


# -- the tables ------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", sorted(COMPANION_COLUMNS))
def test_every_table_the_routers_use_has_the_companions_columns(client: Connection, table):
    """In the one schema its client qualifies them with; nothing but documented additions."""
    assert set(columns_of(client, table)) == COMPANION_COLUMNS[table] | ADDED.get(table, set())


@pytest.mark.parametrize(
    "table",
    sorted(set(COMPANION_COLUMNS) - {"users"}),
    ids=lambda table: f"{ROUTERS.get(table, 'memory')} router: {table}",
)
def test_each_router_creates_a_row_with_the_id_it_generated_and_reads_it_back(
    client: Connection, table
):
    person = sign_up(client)["id"]
    row = full_row(client, table, person)

    created = create(client, table, row)

    key = "user_id" if table == "user_preferences" else "id"
    stored = read(client, table, **{key: row[key]})
    assert {column: created[column] for column in row} == row
    assert {column: stored[column] for column in row} == row


def test_every_router_table_of_the_companions_schema_is_tested():
    """Every user_* table of the memory schema is the companion's (or one of this project's,
    documented), so none escapes the tests above."""
    mapped = {
        mapper.class_.__table__.name
        for mapper in Base.registry.mappers
        if mapper.class_.__table__.schema == SCHEMA
    }
    companions = {
        name
        for name in mapped
        if (name.startswith("user_") or name == "feedback") and not name.endswith("_rejected")
    }
    ours = {"user_stuck_points", "user_profile_legacy_values"}
    assert companions - ours == set(COMPANION_COLUMNS) - {"users"}


def test_memory_router_writes_an_item_without_naming_this_projects_columns(client: Connection):
    """Only the columns the companion knows: place and legacy value stay empty, it is active."""
    person = sign_up(client)["id"]
    theme = create(
        client, "user_themes", {"id": uuid.uuid4(), "user_id": person, "theme_name": "sleep"}
    )
    assert (theme["position"], theme["legacy_value"], theme["is_active"]) == (None, None, True)


# -- users: the companion's people, the platform's identity ------------------------------------


def test_user_router_signs_up_a_person_who_is_one_of_the_platforms(client: Connection):
    signed_up = sign_up(client, name="Noa", password="$2b$10$hash")

    assert signed_up["onboarding_skipped"] is False  # its default
    person = client.execute(
        sa.text(
            "SELECT name, email, password_hash, username, role FROM public.users WHERE id = :id"
        ),
        {"id": signed_up["id"]},
    ).one()
    assert tuple(person) == ("Noa", signed_up["email"], "$2b$10$hash", None, None)


def test_user_router_completes_onboarding_and_the_database_keeps_updated_at(client: Connection):
    person = sign_up(client, updated_at=datetime(2025, 1, 1, tzinfo=UTC))
    done = datetime(2025, 2, 1, 9, 0, tzinfo=UTC)

    updated = (
        client.execute(
            sa.text(
                'UPDATE "memory"."users" SET "onboarding_completed_at" = :done, '
                '"updated_at" = :written WHERE "id" = :id RETURNING *'
            ),
            {"done": done, "written": datetime(2025, 2, 1, tzinfo=UTC), "id": person["id"]},
        )
        .mappings()
        .one()
    )
    assert updated["onboarding_completed_at"] == done
    assert updated["updated_at"] == client.scalar(sa.text("SELECT now()"))


def test_user_router_upserts_a_person_by_id(client: Connection):
    person = sign_up(client, name="before")
    upsert = (
        'INSERT INTO "memory"."users" ("id", "email", "name", "updated_at") '
        "VALUES (:id, :email, 'after', now()) "
        'ON CONFLICT ("id") DO UPDATE SET "name" = excluded."name" RETURNING "name"'
    )
    assert client.scalar(sa.text(upsert), {"id": person["id"], "email": person["email"]}) == (
        "after"
    )


def test_user_router_sees_and_touches_only_the_companions_people(client: Connection):
    therapist = client.scalar(
        sa.text(
            "INSERT INTO public.users (username, role, email) "
            "VALUES ('dr.lee', 'therapist', 'lee@example.org') RETURNING id"
        )
    )
    for statement in (
        'SELECT "id" FROM "memory"."users" WHERE "id" = :id',
        'UPDATE "memory"."users" SET "name" = \'x\' WHERE "id" = :id RETURNING "id"',
        'DELETE FROM "memory"."users" WHERE "id" = :id RETURNING "id"',
    ):
        assert client.execute(sa.text(statement), {"id": therapist}).all() == []
    assert client.scalar(sa.text("SELECT username FROM public.users WHERE id = :id"), {
        "id": therapist
    }) == "dr.lee"  # fmt: skip


def test_user_router_deleting_a_person_deletes_their_memory(client: Connection):
    person = sign_up(client)["id"]
    tables = sorted(set(COMPANION_COLUMNS) - {"users"})
    for table in tables:
        create(client, table, full_row(client, table, person))

    client.execute(sa.text('DELETE FROM "memory"."users" WHERE "id" = :id'), {"id": person})

    left = {
        table: client.scalar(
            sa.text(f'SELECT count(*) FROM "memory"."{table}" WHERE "user_id" = :id'),
            {"id": person},
        )
        for table in tables
    }
    assert set(left.values()) == {0}, left
    assert client.scalar(sa.text("SELECT count(*) FROM public.users WHERE id = :id"), {
        "id": person
    }) == 0  # fmt: skip


def test_user_router_is_refused_a_person_without_an_email(client: Connection):
    refused = refusal(
        client, 'INSERT INTO "memory"."users" ("id", "name") VALUES (:id, \'x\')', id=uuid.uuid4()
    )
    assert refused.orig.pgcode == "23502"  # not_null_violation
    assert 'column "email"' in str(refused.orig)


def test_user_router_is_told_why_an_email_of_another_systems_person_is_refused(
    client: Connection,
):
    """The platform has one identity: the coach's person with this email is not merged into the
    companion on a guess (stricter than the companion, whose emails are unique among its own)."""
    coach = "INSERT INTO public.users (email, external_auth_id) VALUES ('sam@example.org', 'x')"
    client.execute(sa.text(coach))
    refused = refusal(
        client,
        'INSERT INTO "memory"."users" ("id", "email") VALUES (:id, \'sam@example.org\')',
        id=uuid.uuid4(),
    )
    assert refused.orig.pgcode == "23505"  # unique_violation, as the companion's own would be
    assert refused.orig.diag.constraint_name == "idx_users_email"
    assert "another system" in refused.orig.diag.message_primary
    assert "link that person to the companion explicitly" in refused.orig.diag.message_hint

    person = sign_up(client)
    refused = refusal(
        client,
        'UPDATE "memory"."users" SET "email" = \'sam@example.org\' WHERE "id" = :id',
        id=person["id"],
    )
    assert "another system" in refused.orig.diag.message_primary


def test_user_router_is_refused_an_email_its_own_person_has(client: Connection):
    person = sign_up(client)
    refused = refusal(
        client,
        'INSERT INTO "memory"."users" ("id", "email") VALUES (:id, :email)',
        id=uuid.uuid4(),
        email=person["email"],
    )
    assert refused.orig.pgcode == "23505"
    assert refused.orig.diag.constraint_name == "idx_users_email"


# -- what each router does -------------------------------------------------------------------------


def test_conversation_router_starts_a_conversation_and_picks_up_its_thread(client: Connection):
    person = sign_up(client)["id"]
    talk = create(client, "user_conversations", {"id": uuid.uuid4(), "user_id": person})
    assert talk["started_at"] == client.scalar(sa.text("SELECT now()"))  # the database's default
    loose = create(
        client,
        "user_conversation_messages",
        {"id": uuid.uuid4(), "user_id": person, "input_transcript": "no conversation"},
    )
    assert (loose["conversation_id"], loose["flagged"]) == (None, False)
    thread = create(
        client,
        "user_conversation_continuity",
        {"id": uuid.uuid4(), "user_id": person, "conversation_id": talk["id"]},
    )
    assert (thread["last_session_phase"], thread["last_message_count"]) == ("start", 0)

    client.execute(sa.text('DELETE FROM "memory"."user_conversations" WHERE "id" = :id'), talk)
    assert client.execute(
        sa.text('SELECT 1 FROM "memory"."user_conversation_continuity" WHERE "id" = :id'), thread
    ).all() == []  # fmt: skip


def test_feedback_router_raises_a_crisis_flag_the_database_dates_and_leaves_unreviewed(
    client: Connection,
):
    person = sign_up(client)["id"]
    flag = create(
        client,
        "user_crisis_flags",
        {"id": uuid.uuid4(), "user_id": person, "session_id": message(client, person),
         "flag_type": "self_harm", "updated_at": datetime.now(UTC)},
    )  # fmt: skip
    assert flag["reviewed"] is False
    assert flag["triggered_at"] == client.scalar(sa.text("SELECT now()"))


def test_feedback_router_records_feedback_pending_and_general_by_default(client: Connection):
    person = sign_up(client)["id"]
    feedback = create(
        client, "feedback", {"id": uuid.uuid4(), "user_id": person, "raw_feedback": "slow"}
    )
    assert (feedback["status"], feedback["feedback_type"]) == ("pending", "general")


@pytest.mark.parametrize("table", ["user_preferences", "user_therapy_preferences"])
def test_user_router_upserts_preferences_keyed_by_user(client: Connection, table):
    person = sign_up(client)["id"]
    column = "timezone" if table == "user_preferences" else "preferred_tone"
    id_ = "" if table == "user_preferences" else '"id", '
    upsert = (
        f'INSERT INTO "memory"."{table}" ({id_}"user_id", "{column}", "updated_at") '
        f"VALUES ({'gen_random_uuid(), ' if id_ else ''}:user, :value, now()) "
        f'ON CONFLICT ("user_id") DO UPDATE SET "{column}" = excluded."{column}" '
        f'RETURNING "{column}"'
    )
    for value in ("first", "second"):
        assert client.scalar(sa.text(upsert), {"user": person, "value": value}) == value


def test_user_router_is_refused_a_second_value_compass_with_the_constraint_named(
    client: Connection,
):
    person = sign_up(client)["id"]
    create(client, "user_value_compass", {"id": uuid.uuid4(), "user_id": person})
    refused = refusal(
        client,
        'INSERT INTO "memory"."user_value_compass" ("id", "user_id") VALUES (:id, :user)',
        id=uuid.uuid4(),
        user=person,
    )
    assert refused.orig.diag.constraint_name == "uq_user_value_compass_user_id"


def test_memory_router_is_refused_a_rating_off_its_scale_with_the_rule_named(client: Connection):
    """Stricter than upstream, which checked no rating: the constraint says which scale."""
    person = sign_up(client)["id"]
    refused = refusal(
        client,
        'INSERT INTO "memory"."user_themes" ("id", "user_id", "theme_name", "importance_level") '
        "VALUES (:id, :user, 'work', 11)",
        id=uuid.uuid4(),
        user=person,
    )
    assert refused.orig.pgcode == "23514"
    assert refused.orig.diag.constraint_name == "ck_user_themes_importance_level"


@pytest.mark.parametrize(
    "table", ["legacy_nulls", "user_profile_legacy_values", "feedback_rejected"]
)
def test_the_companions_login_cannot_reach_the_migrations_bookkeeping(client: Connection, table):
    refused = refusal(client, f'SELECT * FROM "memory"."{table}"')
    assert f"permission denied for table {table}" in str(refused.orig)
