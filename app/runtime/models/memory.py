"""Memory (schema `memory`, seed 001): what the companion remembers about each person.

Reading guide. Almost every table belongs to one user (`user_id`, deleted with them) and has one
of these shapes, each a mixin below:

- `OnePerUser`: at most one row per user (the profile summary, AI preferences, sleep routine, ...).
- `MemoryList`: a list of things remembered (themes, people, goals, values, ...).
  `LegacyList`s are the lists the legacy profile kept as JSON arrays: one row per element,
  `position` its place in the array, its text in the item column (declared first). An element
  that was not a plain string (a number, an object, a nested array, null) is also kept as
  `legacy_value`, so the downgrade gives it back exactly.
- `OwnedByUser`: anything else of a user's (conversations, messages, crisis flags, feedback,
  session continuity).

Tables and columns are the companion's own (its post-migration schema): its Prisma client reads
and writes them as they are, its people through the `memory.users` view over `public.users`
(created by the revisions, not mapped here: `app.runtime.models.identity.User` is the person).

`user_profile_legacy_values` keeps the few legacy values those rows cannot say by themselves (a
bare value, `[]` or JSON null where a list was expected; anything but a plain string where a text
answer was expected), `legacy_nulls` the legacy NULLs filled in where the companion requires a
value. The `*_rejected` tables hold the legacy rows the normalization could not place (a profile
with no user, a second profile of one user, a message whose conversation is unknown, ...)
exactly as they were, with the reason. docs/SEEDS.md maps every legacy field.
"""

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Time,
    event,
    false,
    func,
    true,
)
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.orm import Mapped, MappedColumn, declared_attr, mapped_column

from app.runtime.models.base import Base, Timestamps, UUIDPrimaryKey, related
from app.runtime.models.identity import User

SCHEMA = "memory"


def between(low: int, high: int, *args, **kwargs) -> MappedColumn:
    """A column CHECKed to low..high; the constraint is named `ck_<table>_<column>`.

    The CHECK is added when the column joins its table, so use it on a mapped class itself: a
    mixin's columns are copied per table, and the copies would go unchecked.
    """
    column = mapped_column(*args, **kwargs)

    def add_check(column, table) -> None:
        table.append_constraint(
            CheckConstraint(f"{column.name} BETWEEN {low} AND {high}", name=column.name)
        )

    event.listen(column.column, "after_parent_attach", add_check)
    return column


def rating(**kwargs) -> MappedColumn:
    """A 1..10 rating or level: the scale the companion uses throughout."""
    return between(1, 10, **kwargs)


def deleted_with_user() -> ForeignKey:
    return ForeignKey("public.users.id", ondelete="CASCADE")


class InMemorySchema:
    __table_args__ = {"schema": SCHEMA}


def the_user(table: str):
    """The person a memory row belongs to; on the person, `memory_<table without user_>`."""
    return related(User, back_populates=f"memory_{table.removeprefix('user_')}")


class OwnedByUser(InMemorySchema, UUIDPrimaryKey, Timestamps):
    """A row of one user's, deleted with them."""

    user_id: Mapped[uuid.UUID] = mapped_column(deleted_with_user(), index=True)

    @declared_attr
    def user(cls) -> Mapped[User]:
        return the_user(cls.__tablename__)


class OnePerUser(InMemorySchema, UUIDPrimaryKey, Timestamps):
    """At most one row per user (the reference schema's "1:1"), deleted with them."""

    user_id: Mapped[uuid.UUID] = mapped_column(deleted_with_user(), unique=True)

    @declared_attr
    def user(cls) -> Mapped[User]:
        return the_user(cls.__tablename__)


class MemoryList(OwnedByUser):
    """A list of things remembered about a user, read by `app.runtime.queries.memory` in order."""


class LegacyList(MemoryList):
    """A list the legacy profile kept as a JSON array: one row per element."""

    position: Mapped[int | None] = mapped_column(
        comment="Place in the list: the legacy array's order; items without one come last."
    )
    legacy_value: Mapped[Any | None] = mapped_column(
        comment="The legacy JSON element when it was not a plain string (the item column then "
        "holds its JSON text)."
    )


class Deactivatable:
    """Items are retired rather than deleted: an inactive item is history, not current memory."""

    is_active: Mapped[bool] = mapped_column(server_default=true())


# -- one row per user -----------------------------------------------------------------------------


class UserProfileSummary(OnePerUser, Base):
    """What was `memory_profiles`, without its lists: levels and the intake's text answers.

    `id` is the legacy profile's; so are created_at and updated_at (where it had them).
    """

    __tablename__ = "user_profile_summary"

    spiritual_connection_level: Mapped[int | None] = rating()
    personal_agency_level: Mapped[int | None] = rating()
    boundaries_awareness: Mapped[int | None] = rating()
    self_development_capacity: Mapped[int | None] = rating()
    hard_truths_tolerance: Mapped[int | None] = rating()
    awareness_level: Mapped[int | None] = rating()
    suicidal_risk_level: Mapped[int | None] = between(0, 3, SmallInteger)
    sleep_quality: Mapped[str | None]
    mood_score_initial: Mapped[int | None]
    biggest_challenge: Mapped[str | None]
    biggest_obstacle: Mapped[str | None]
    motivation_for_joining: Mapped[str | None]
    hopes_to_achieve: Mapped[str | None]
    summary: Mapped[str | None]
    therapy_type: Mapped[str | None]
    therapy_duration: Mapped[str | None]


class UserAiPreference(OnePerUser, Base):
    """How the user wants the AI to talk to them (legacy therapeutic_approach)."""

    __tablename__ = "user_ai_preferences"

    ai_voice_style: Mapped[str | None]
    growth_vs_support: Mapped[str | None]
    pushback_level: Mapped[int | None] = rating()
    self_awareness_level: Mapped[int | None] = rating()
    goal_modeling_level: Mapped[int | None] = rating()
    therapeutic_approach: Mapped[str | None]
    validation_vs_challenge: Mapped[int | None] = rating()
    directness_level: Mapped[int | None] = rating()
    emotional_tone: Mapped[str | None]
    reflection_depth: Mapped[int | None] = rating()
    memory_recall_frequency: Mapped[int | None] = rating()
    goal_focus_level: Mapped[int | None] = rating()
    session_length_preference: Mapped[str | None]
    voice_output_style: Mapped[str | None]
    check_in_frequency: Mapped[str | None]
    crisis_sensitivity_level: Mapped[int | None] = rating()
    preferred_language: Mapped[str | None]
    notes: Mapped[str | None]


class UserTherapyPreference(OnePerUser, Base):
    """The therapy the user prefers (legacy preferred_therapy_styles and preferred_tone)."""

    __tablename__ = "user_therapy_preferences"

    preferred_therapy_styles: Mapped[list[str] | None]
    preferred_tone: Mapped[str | None]
    communication_style: Mapped[str | None]
    feedback_frequency: Mapped[str | None]
    session_length_preference: Mapped[int | None]


class UserSleepRoutine(OnePerUser, Base):
    """Sleep patterns; `notes` holds the legacy free-form sleep_routine."""

    __tablename__ = "user_sleep_routine"

    bedtime: Mapped[str | None]
    wake_time: Mapped[str | None]
    sleep_duration_hours: Mapped[Decimal | None] = between(0, 24)
    sleep_quality_rating: Mapped[int | None] = rating()
    sleep_hygiene_practices: Mapped[list[str] | None]
    sleep_issues: Mapped[list[str] | None]
    notes: Mapped[str | None]


class UserRelationshipStatus(OnePerUser, Base):
    """Current relationship status (legacy relationship_status is `current_status`)."""

    __tablename__ = "user_relationship_status"

    current_status: Mapped[str | None]
    partner_name: Mapped[str | None]
    relationship_duration: Mapped[str | None]
    satisfaction_level: Mapped[int | None] = rating()
    challenges: Mapped[list[str] | None]
    strengths: Mapped[list[str] | None]


class UserLivingSituation(OnePerUser, Base):
    """Living arrangements (legacy living_situation is `living_arrangement`)."""

    __tablename__ = "user_living_situation"

    living_arrangement: Mapped[str | None]
    location: Mapped[str | None]
    housemates: Mapped[list[str] | None]
    financial_stability: Mapped[str | None]
    housing_satisfaction: Mapped[int | None] = rating()


class UserSpiritualPath(OnePerUser, Base):
    """Spiritual beliefs and practices; `notes` holds the legacy spiritual_path_notes."""

    __tablename__ = "user_spiritual_path"

    spiritual_beliefs: Mapped[list[str] | None]
    practices: Mapped[list[str] | None]
    community_involvement: Mapped[str | None]
    connection_level: Mapped[int | None] = rating()
    spiritual_challenges: Mapped[list[str] | None]
    spiritual_growth_goals: Mapped[list[str] | None]
    notes: Mapped[str | None]


class UserValueCompass(OnePerUser, Base):
    """The values the user steers by, and those they refuse (legacy value_compass)."""

    __tablename__ = "user_value_compass"

    core_values: Mapped[list[str] | None]
    anti_values: Mapped[list[str] | None]
    narrative: Mapped[str | None]
    last_reflected_at: Mapped[datetime | None]


# -- the lists the legacy profile kept as JSON arrays ---------------------------------------------


class UserTheme(LegacyList, Deactivatable, Base):
    """Therapeutic themes (legacy themes)."""

    __tablename__ = "user_themes"

    theme_name: Mapped[str]
    theme_category: Mapped[str | None]
    importance_level: Mapped[int | None] = rating()


class UserPerson(LegacyList, Deactivatable, Base):
    """Important people in the user's life (legacy people)."""

    __tablename__ = "user_people"

    name: Mapped[str]
    relationship_type: Mapped[str | None]
    role: Mapped[str | None]
    importance_level: Mapped[int | None] = rating()
    notes: Mapped[str | None]


class UserCopingTool(LegacyList, Deactivatable, Base):
    """Coping strategies and tools (legacy coping_tools)."""

    __tablename__ = "user_coping_tools"

    tool_name: Mapped[str]
    tool_category: Mapped[str | None]
    effectiveness_rating: Mapped[int | None] = rating()
    description: Mapped[str | None]
    when_to_use: Mapped[str | None]


class UserGoal(LegacyList, Base):
    """Therapeutic and personal goals (legacy goals); `status` says whether one is current."""

    __tablename__ = "user_goals"

    goal_title: Mapped[str]
    goal_description: Mapped[str | None]
    goal_category: Mapped[str | None]
    priority_level: Mapped[int | None] = rating()
    target_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(server_default="active")
    progress_percentage: Mapped[int] = between(0, 100, server_default="0")


class UserTraumaPattern(LegacyList, Deactivatable, Base):
    """Trauma-related patterns (legacy trauma_patterns)."""

    __tablename__ = "user_trauma_patterns"

    pattern_name: Mapped[str]
    pattern_description: Mapped[str | None]
    trigger_events: Mapped[list[str] | None]
    emotional_response: Mapped[str | None]
    coping_strategies: Mapped[list[str] | None]
    severity_level: Mapped[int | None] = rating()


class UserPatternLoop(LegacyList, Deactivatable, Base):
    """Behavioral pattern loops (legacy pattern_loops)."""

    __tablename__ = "user_pattern_loops"

    loop_name: Mapped[str]
    trigger_situation: Mapped[str | None]
    automatic_response: Mapped[str | None]
    consequences: Mapped[str | None]
    alternative_responses: Mapped[list[str] | None]


class UserShadowTheme(LegacyList, Deactivatable, Base):
    """Shadow work themes (legacy shadow_themes)."""

    __tablename__ = "user_shadow_themes"

    theme_name: Mapped[str]
    theme_description: Mapped[str | None]
    triggers: Mapped[list[str] | None]
    avoidance_behaviors: Mapped[list[str] | None]
    integration_strategies: Mapped[list[str] | None]


class UserAncestralIssue(LegacyList, Deactivatable, Base):
    """Generational trauma patterns (legacy ancestral_issues)."""

    __tablename__ = "user_ancestral_issues"

    issue_name: Mapped[str]
    issue_description: Mapped[str | None]
    generational_impact: Mapped[str | None]
    current_manifestation: Mapped[str | None]
    healing_approaches: Mapped[list[str] | None]


class UserCurrentPractice(LegacyList, Deactivatable, Base):
    """Current therapeutic practices (legacy current_practices)."""

    __tablename__ = "user_current_practices"

    practice_name: Mapped[str]
    practice_type: Mapped[str | None]
    frequency: Mapped[str | None]
    effectiveness_rating: Mapped[int | None] = rating()
    notes: Mapped[str | None]


class UserRegulationStrategy(LegacyList, Deactivatable, Base):
    """Emotional regulation strategies (legacy regulation_strategies)."""

    __tablename__ = "user_regulation_strategies"

    strategy_name: Mapped[str]
    strategy_type: Mapped[str | None]
    when_to_use: Mapped[str | None]
    effectiveness_rating: Mapped[int | None] = rating()
    notes: Mapped[str | None]


class UserDysregulatingFactor(LegacyList, Deactivatable, Base):
    """Factors that cause dysregulation (legacy dysregulating_factors)."""

    __tablename__ = "user_dysregulating_factors"

    factor_name: Mapped[str]
    factor_type: Mapped[str | None]
    impact_level: Mapped[int | None] = rating()
    triggers: Mapped[list[str] | None]
    coping_strategies: Mapped[list[str] | None]


class UserRoleModelTrait(LegacyList, Deactivatable, Base):
    """Admired traits and role models (legacy role_model_traits)."""

    __tablename__ = "user_role_model_traits"

    trait_name: Mapped[str]
    person_name: Mapped[str | None]
    trait_description: Mapped[str | None]
    aspiration_level: Mapped[int | None] = rating()


class UserGrowthMilestone(LegacyList, Deactivatable, Base):
    """Personal growth achievements (legacy growth_milestones)."""

    __tablename__ = "user_growth_milestones"

    milestone_title: Mapped[str]
    milestone_description: Mapped[str | None]
    category: Mapped[str | None]
    date_achieved: Mapped[date | None]
    significance_level: Mapped[int | None] = rating()
    lessons_learned: Mapped[str | None]


class UserEmotionalPattern(LegacyList, Deactivatable, Base):
    """Emotional response patterns (legacy emotional_patterns)."""

    __tablename__ = "user_emotional_patterns"

    pattern_name: Mapped[str]
    emotional_state: Mapped[str | None]
    triggers: Mapped[list[str] | None]
    duration_pattern: Mapped[str | None]
    intensity_level: Mapped[int | None] = rating()
    coping_strategies: Mapped[list[str] | None]


class UserRelationshipDynamic(LegacyList, Deactivatable, Base):
    """Relationship patterns (legacy relationship_dynamics, in `dynamic_pattern`).

    A legacy item describes a dynamic and names no relationship type: its type is 'unspecified'.
    """

    __tablename__ = "user_relationship_dynamics"

    dynamic_pattern: Mapped[str | None]
    relationship_type: Mapped[str]
    communication_style: Mapped[str | None]
    conflict_resolution: Mapped[str | None]
    emotional_safety_level: Mapped[int | None] = rating()


class UserGrowthOpportunity(LegacyList, Deactivatable, Base):
    """Areas for growth (legacy growth_opportunities)."""

    __tablename__ = "user_growth_opportunities"

    opportunity_title: Mapped[str]
    opportunity_description: Mapped[str | None]
    area_of_growth: Mapped[str | None]
    readiness_level: Mapped[int | None] = rating()
    potential_impact: Mapped[str | None]
    action_steps: Mapped[list[str] | None]


class UserRiskFactor(LegacyList, Deactivatable, Base):
    """Risk factors and safety concerns (legacy risk_factors)."""

    __tablename__ = "user_risk_factors"

    risk_factor_name: Mapped[str]
    risk_category: Mapped[str | None]
    severity_level: Mapped[int | None] = rating()
    triggers: Mapped[list[str] | None]
    warning_signs: Mapped[list[str] | None]
    safety_plan: Mapped[str | None]


class UserStrength(LegacyList, Deactivatable, Base):
    """Personal strengths and resources (legacy strengths)."""

    __tablename__ = "user_strengths"

    strength_name: Mapped[str]
    strength_category: Mapped[str | None]
    confidence_level: Mapped[int | None] = rating()
    how_developed: Mapped[str | None]
    how_utilized: Mapped[str | None]


class UserMoodTrend(LegacyList, Base):
    """Mood over time (legacy mood_trends, in `mood_label`).

    A legacy trend carries no date: it is recorded on the day its profile was last updated.
    """

    __tablename__ = "user_mood_trends"

    mood_label: Mapped[str | None]
    recorded_date: Mapped[date]
    mood_score: Mapped[int | None] = rating()
    contributing_factors: Mapped[list[str] | None]
    notes: Mapped[str | None]


class UserEmotionalState(LegacyList, Deactivatable, Base):
    """Specific emotional states (legacy emotional_states_initial)."""

    __tablename__ = "user_emotional_states"

    state_name: Mapped[str]
    state_description: Mapped[str | None]
    physical_sensations: Mapped[list[str] | None]
    thoughts_patterns: Mapped[list[str] | None]
    behaviors: Mapped[list[str] | None]
    intensity_level: Mapped[int | None] = rating()


class UserSupportSystem(LegacyList, Deactivatable, Base):
    """The user's support network (legacy support_system)."""

    __tablename__ = "user_support_system"

    person_name: Mapped[str]
    relationship_type: Mapped[str | None]
    support_type: Mapped[list[str] | None]
    reliability_level: Mapped[int | None] = rating()
    contact_info: Mapped[str | None]


class UserCurrentStressor(LegacyList, Deactivatable, Base):
    """Current stressors (legacy current_stressors)."""

    __tablename__ = "user_current_stressors"

    stressor_name: Mapped[str]
    stressor_type: Mapped[str | None]
    impact_level: Mapped[int | None] = rating()
    duration: Mapped[str | None]
    coping_strategies: Mapped[list[str] | None]


class UserDailyHabit(LegacyList, Deactivatable, Base):
    """Daily routines and habits (legacy daily_habits)."""

    __tablename__ = "user_daily_habits"

    habit_name: Mapped[str]
    habit_category: Mapped[str | None]
    frequency: Mapped[str | None]
    consistency_level: Mapped[int | None] = rating()
    impact_on_wellbeing: Mapped[str | None]


class UserSubstanceUse(LegacyList, Deactivatable, Base):
    """Substance use patterns (legacy substance_use)."""

    __tablename__ = "user_substance_use"

    substance_name: Mapped[str]
    usage_pattern: Mapped[str | None]
    frequency: Mapped[str | None]
    impact_level: Mapped[int | None] = rating()
    triggers: Mapped[list[str] | None]
    harm_reduction_strategies: Mapped[list[str] | None]


class UserStuckPoint(LegacyList, Deactivatable, Base):
    """Where the user feels stuck (legacy stuck_points, which the upstream migration dropped)."""

    __tablename__ = "user_stuck_points"

    stuck_point: Mapped[str]


class UserPreviousTherapy(LegacyList, Deactivatable, Base):
    """Past therapy experiences (legacy previous_therapy, in `therapy_type`)."""

    __tablename__ = "user_previous_therapy"

    therapy_type: Mapped[str]
    therapist_name: Mapped[str | None]
    duration: Mapped[str | None]
    effectiveness_rating: Mapped[int | None] = rating()
    key_insights: Mapped[str | None]
    termination_reason: Mapped[str | None]


class UserSuicidalThought(LegacyList, Base):
    """Suicidal ideation tracking (legacy suicidal_thoughts_initial, in `thought_content`).

    The legacy intake answer carries no date: it is dated the day its profile was last updated.
    """

    __tablename__ = "user_suicidal_thoughts"

    thought_content: Mapped[str | None]
    thought_date: Mapped[date]
    intensity_level: Mapped[int | None] = rating()
    risk_level: Mapped[int | None] = between(0, 3)
    protective_factors: Mapped[list[str] | None]
    safety_plan_activated: Mapped[bool] = mapped_column(server_default=false())
    professional_help_sought: Mapped[bool] = mapped_column(server_default=false())


class UserInsightNote(LegacyList, Deactivatable, Base):
    """Therapeutic insights (legacy insight_notes, in `insight_content`).

    Legacy notes have no title: theirs is the note's first 100 characters.
    """

    __tablename__ = "user_insight_notes"

    insight_content: Mapped[str]
    insight_title: Mapped[str]
    insight_category: Mapped[str | None]
    importance_level: Mapped[int | None] = rating()
    related_themes: Mapped[list[str] | None]
    action_items: Mapped[list[str] | None]


# -- what the routers recorded before the seed: the legacy tables, reshaped --------------------


class UserEmotionalTrend(MemoryList, Base):
    """A mood the user recorded (legacy emotional_trends)."""

    __tablename__ = "user_emotional_trends"

    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now())
    mood_score: Mapped[int | None] = rating()
    mood_label: Mapped[str | None]
    notes: Mapped[str | None]


class UserConversationContinuity(OwnedByUser, Base):
    """Where a conversation left off, so the next session picks up the thread (legacy
    conversation_continuity)."""

    __tablename__ = "user_conversation_continuity"

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.user_conversations.id", ondelete="CASCADE"), index=True
    )
    last_message_count: Mapped[int] = mapped_column(server_default="0")
    last_session_phase: Mapped[str] = mapped_column(server_default="start")
    last_therapeutic_focus: Mapped[str | None]
    last_emotional_state: Mapped[str | None]
    last_timestamp: Mapped[datetime] = mapped_column(server_default=func.now())
    session_duration_minutes: Mapped[int] = mapped_column(server_default="0")
    is_resuming: Mapped[bool] = mapped_column(server_default=false())
    continuity_context: Mapped[str | None]


FEEDBACK_PRIORITIES = ("low", "medium", "high", "critical")
FEEDBACK_STATUSES = ("pending", "processed", "resolved", "ignored")


class Feedback(OwnedByUser, Base):
    """What a user told the companion's makers about it (legacy feedback, same name)."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint(f"priority IN {FEEDBACK_PRIORITIES}", name="priority"),
        CheckConstraint(f"status IN {FEEDBACK_STATUSES}", name="status"),
        {"schema": SCHEMA},
    )

    raw_feedback: Mapped[str]
    ai_summary: Mapped[str | None]
    priority: Mapped[str | None]
    feedback_type: Mapped[str] = mapped_column(server_default="general")
    device_info: Mapped[Any | None]
    app_version: Mapped[str | None]
    processed_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(server_default="pending")
    tags: Mapped[list[str] | None]
    metadata_: Mapped[Any | None] = mapped_column("metadata")


class UserFeedbackLog(OwnedByUser, Base):
    """A rating of a session (legacy feedback_log); `session_id` is the companion's own."""

    __tablename__ = "user_feedback_log"

    session_id: Mapped[uuid.UUID | None]
    rating: Mapped[int | None] = between(1, 5)
    comment: Mapped[str | None]


class UserPreference(InMemorySchema, Timestamps, Base):
    """How the app presents the companion to the user (legacy user_preferences, same name): one
    row per user, keyed by the user."""

    __tablename__ = "user_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(deleted_with_user(), primary_key=True)
    show_text_response: Mapped[bool] = mapped_column(server_default=true())
    play_audio_response: Mapped[bool] = mapped_column(server_default=true())
    preferred_therapist_name: Mapped[str | None]
    daily_reminder_time: Mapped[datetime | None]
    timezone: Mapped[str | None]

    user: Mapped[User] = the_user("user_preferences")


# -- a legacy profile field's value, where the rows above cannot say it --------------------------


class UserProfileLegacyValue(InMemorySchema, Base):
    """A legacy profile field's exact JSON, kept where the normalized rows alone would rebuild
    something else: a bare value, `[]` or JSON null in a list field; anything but a plain string
    in a text answer. The downgrade uses it while those rows still say what the upgrade made of
    it; once the user's data changes, the change wins."""

    __tablename__ = "user_profile_legacy_values"

    user_id: Mapped[uuid.UUID] = mapped_column(deleted_with_user(), primary_key=True)
    field: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[Any]


# -- conversations: the legacy tables renamed, now tied to their user and conversation -----------


class ConversationColumns:
    """The legacy conversation's columns (nullable, `context_json` as json)."""

    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    title: Mapped[str | None]
    context_summary: Mapped[str | None]
    mood_at_start: Mapped[int | None]
    mood_at_end: Mapped[int | None]
    context_json: Mapped[Any | None] = mapped_column(JSON)
    created_at: Mapped[datetime | None] = mapped_column(server_default=func.now())
    description: Mapped[str | None]


class MessageColumns:
    """The legacy message's columns."""

    created_at: Mapped[datetime | None] = mapped_column(server_default=func.now())
    input_type: Mapped[str | None]
    input_transcript: Mapped[str | None]
    gpt_response: Mapped[str | None]
    audio_response_url: Mapped[str | None]
    summary: Mapped[str | None]
    mood_at_time: Mapped[int | None]
    flagged: Mapped[bool | None] = mapped_column(server_default=false())
    tags: Mapped[list[str] | None]


class CrisisFlagColumns:
    """The legacy crisis flag's columns."""

    flag_type: Mapped[str | None]
    triggered_at: Mapped[datetime | None]
    reviewed: Mapped[bool | None]


class UserConversation(ConversationColumns, InMemorySchema, UUIDPrimaryKey, Base):
    """A conversation with the companion (was `conversations`); started when it is created."""

    __tablename__ = "user_conversations"

    user_id: Mapped[uuid.UUID] = mapped_column(deleted_with_user(), index=True)
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())

    user: Mapped[User] = the_user("user_conversations")
    messages: Mapped[list["UserConversationMessage"]] = related(
        back_populates="conversation",
        order_by="UserConversationMessage.created_at",
        passive_deletes=True,
    )


class UserConversationMessage(MessageColumns, UUIDPrimaryKey, Base):
    """One exchange with the companion (was `conversation_messages`), in a conversation or not."""

    __tablename__ = "user_conversation_messages"
    __table_args__ = (
        Index(None, "conversation_id", "created_at"),  # a conversation, read in order
        {"schema": SCHEMA},
    )

    user_id: Mapped[uuid.UUID] = mapped_column(deleted_with_user(), index=True)
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey(f"{SCHEMA}.user_conversations.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    flagged: Mapped[bool] = mapped_column(server_default=false())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())

    user: Mapped[User] = the_user("user_conversation_messages")
    conversation: Mapped[UserConversation | None] = related(back_populates="messages")
    crisis_flags: Mapped[list["UserCrisisFlag"]] = related(back_populates="message")


class UserCrisisFlag(CrisisFlagColumns, OwnedByUser, Base):
    """A crisis flag raised on a message (was `crisis_flags`).

    `session_id` names the message, as it did in the legacy table. A flag is a safety record: it
    outlives the message it points to (SET NULL) and goes only with the user.
    """

    __tablename__ = "user_crisis_flags"

    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey(f"{SCHEMA}.user_conversation_messages.id", ondelete="SET NULL"), index=True
    )
    flag_type: Mapped[str] = mapped_column()  # a column of its own, not the mixin's
    triggered_at: Mapped[datetime] = mapped_column(server_default=func.now())
    reviewed: Mapped[bool] = mapped_column(server_default=false())

    message: Mapped[UserConversationMessage | None] = related(back_populates="crisis_flags")


# -- a legacy NULL filled in where the companion requires a value --------------------------------


class LegacyNull(InMemorySchema, Base):
    """A legacy row's NULL in a column the companion requires, and the value it was given: the
    downgrade gives the NULL back while the row still holds that value."""

    __tablename__ = "legacy_nulls"

    table_name: Mapped[str] = mapped_column(primary_key=True)
    row_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    column_name: Mapped[str] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(deleted_with_user(), index=True)
    filled: Mapped[str]


# -- legacy rows the normalization could not place, exactly as they were ------------------------


class Rejected:
    """A legacy row kept aside, unchanged, with why; the downgrade puts it back."""

    reason: Mapped[str]


class RejectedProfile(Rejected, InMemorySchema, UUIDPrimaryKey, Base):
    """A legacy profile with no user, or a user's second profile (the most recently updated one
    is migrated)."""

    __tablename__ = "memory_profiles_rejected"

    user_id: Mapped[uuid.UUID | None] = mapped_column(deleted_with_user(), index=True)
    spiritual_connection_level: Mapped[int | None]
    personal_agency_level: Mapped[int | None]
    boundaries_awareness: Mapped[int | None]
    self_development_capacity: Mapped[int | None]
    hard_truths_tolerance: Mapped[int | None]
    awareness_level: Mapped[int | None]
    suicidal_risk_level: Mapped[int | None]
    sleep_quality: Mapped[str | None]
    mood_score_initial: Mapped[int | None]
    created_at: Mapped[datetime | None] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime | None] = mapped_column(server_default=func.now())
    themes: Mapped[Any | None]
    people: Mapped[Any | None]
    coping_tools: Mapped[Any | None]
    goals: Mapped[Any | None]
    preferred_therapy_styles: Mapped[Any | None]
    preferred_tone: Mapped[Any | None]
    pattern_loops: Mapped[Any | None]
    shadow_themes: Mapped[Any | None]
    current_practices: Mapped[Any | None]
    regulation_strategies: Mapped[Any | None]
    dysregulating_factors: Mapped[Any | None]
    role_model_traits: Mapped[Any | None]
    growth_milestones: Mapped[Any | None]
    emotional_patterns: Mapped[Any | None]
    relationship_dynamics: Mapped[Any | None]
    growth_opportunities: Mapped[Any | None]
    risk_factors: Mapped[Any | None]
    strengths: Mapped[Any | None]
    mood_trends: Mapped[Any | None]
    emotional_states_initial: Mapped[Any | None]
    support_system: Mapped[Any | None]
    current_stressors: Mapped[Any | None]
    daily_habits: Mapped[Any | None]
    substance_use: Mapped[Any | None]
    stuck_points: Mapped[Any | None]
    summary: Mapped[Any | None]
    trauma_patterns: Mapped[Any | None]
    ancestral_issues: Mapped[Any | None]
    spiritual_path_notes: Mapped[Any | None]
    insight_notes: Mapped[Any | None]
    therapeutic_approach: Mapped[Any | None]
    motivation_for_joining: Mapped[Any | None]
    hopes_to_achieve: Mapped[Any | None]
    previous_therapy: Mapped[Any | None]
    therapy_type: Mapped[Any | None]
    therapy_duration: Mapped[Any | None]
    sleep_routine: Mapped[Any | None]
    suicidal_thoughts_initial: Mapped[Any | None]
    relationship_status: Mapped[Any | None]
    living_situation: Mapped[Any | None]
    biggest_challenge: Mapped[Any | None]
    biggest_obstacle: Mapped[Any | None]


class RejectedConversation(Rejected, ConversationColumns, InMemorySchema, UUIDPrimaryKey, Base):
    """A legacy conversation with no user, or with one that does not exist."""

    __tablename__ = "conversations_rejected"

    user_id: Mapped[uuid.UUID | None]


class RejectedConversationMessage(Rejected, MessageColumns, InMemorySchema, UUIDPrimaryKey, Base):
    """A legacy message without a valid user or conversation, or whose conversation was rejected."""

    __tablename__ = "conversation_messages_rejected"

    user_id: Mapped[uuid.UUID | None]
    conversation_id: Mapped[uuid.UUID | None]


class RejectedCrisisFlag(Rejected, CrisisFlagColumns, InMemorySchema, UUIDPrimaryKey, Base):
    """A legacy crisis flag without a valid user, or raised on a rejected message."""

    __tablename__ = "crisis_flags_rejected"

    user_id: Mapped[uuid.UUID | None]
    session_id: Mapped[uuid.UUID | None]


# The companion's dump: `timestamp` without time zone, `varchar(n)`, `time`.
NAIVE = DateTime(timezone=False)


class RejectedContinuity(Rejected, InMemorySchema, UUIDPrimaryKey, Base):
    """A legacy continuity of a user or conversation that does not exist, or was set aside."""

    __tablename__ = "conversation_continuity_rejected"

    user_id: Mapped[uuid.UUID]
    conversation_id: Mapped[uuid.UUID]
    last_message_count: Mapped[int] = mapped_column(server_default="0")
    last_session_phase: Mapped[str] = mapped_column(String(50), server_default="start")
    last_therapeutic_focus: Mapped[str | None]
    last_emotional_state: Mapped[str | None] = mapped_column(String(50))
    last_timestamp: Mapped[datetime] = mapped_column(server_default=func.now())
    session_duration_minutes: Mapped[int | None] = mapped_column(server_default="0")
    is_resuming: Mapped[bool | None] = mapped_column(server_default=false())
    continuity_context: Mapped[str | None]
    created_at: Mapped[datetime | None] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime | None] = mapped_column(server_default=func.now())


class RejectedFeedback(Rejected, InMemorySchema, UUIDPrimaryKey, Base):
    """Legacy feedback of a user who does not exist."""

    __tablename__ = "feedback_rejected"

    user_id: Mapped[uuid.UUID]
    raw_feedback: Mapped[str]
    ai_summary: Mapped[str | None]
    priority: Mapped[str | None] = mapped_column(String(20))
    feedback_type: Mapped[str | None] = mapped_column(String(50), server_default="general")
    device_info: Mapped[Any | None]
    app_version: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime | None] = mapped_column(server_default=func.now())
    processed_at: Mapped[datetime | None]
    status: Mapped[str | None] = mapped_column(String(20), server_default="pending")
    tags: Mapped[list[str] | None]
    metadata_: Mapped[Any | None] = mapped_column("metadata")


class RejectedFeedbackLog(Rejected, InMemorySchema, Base):
    """A legacy session rating without a valid user."""

    __tablename__ = "feedback_log_rejected"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID | None]
    session_id: Mapped[uuid.UUID | None]
    rating: Mapped[int | None]
    comment: Mapped[str | None]
    created_at: Mapped[datetime | None] = mapped_column(NAIVE, server_default=func.now())


class RejectedUserPreference(Rejected, InMemorySchema, Base):
    """Legacy preferences of a user who does not exist."""

    __tablename__ = "user_preferences_rejected"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    show_text_response: Mapped[bool | None] = mapped_column(server_default=true())
    play_audio_response: Mapped[bool | None] = mapped_column(server_default=true())
    preferred_therapist_name: Mapped[str | None]
    daily_reminder_time: Mapped[time | None] = mapped_column(Time)
    timezone: Mapped[str | None]


class RejectedEmotionalTrend(Rejected, InMemorySchema, Base):
    """A legacy mood record without a valid user."""

    __tablename__ = "emotional_trends_rejected"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID | None]
    recorded_at: Mapped[datetime | None] = mapped_column(NAIVE, server_default=func.now())
    mood_score: Mapped[int | None]
    mood_label: Mapped[str | None]
    notes: Mapped[str | None]
    created_at: Mapped[datetime | None] = mapped_column(NAIVE, server_default=func.now())


class RejectedValueCompass(Rejected, InMemorySchema, Base):
    """A legacy value compass without a valid user, or a user's older one."""

    __tablename__ = "value_compass_rejected"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID | None]
    core_values: Mapped[list[str] | None]
    anti_values: Mapped[list[str] | None]
    narrative: Mapped[str | None]
    last_reflected_at: Mapped[datetime | None] = mapped_column(NAIVE)
