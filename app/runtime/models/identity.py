"""Identity (schema `public`): one row per person, whatever system they came from.

`users` starts in the therapist app's shape; each context's revisions add the columns their
documents give it, nullable where another system's people legitimately lack them.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, CheckConstraint, Index, String, UniqueConstraint, text, true
from sqlalchemy.orm import Mapped, mapped_column

from app.runtime.models.base import Base, Timestamps, UUIDPrimaryKey, related

if TYPE_CHECKING:  # the contexts' models refer to User; User refers back by name
    from app.runtime.models.chat import ChatSession
    from app.runtime.models.coaching import (
        CheckIn,
        Conversation,
        EngagementAnalytics,
        ProgramSession,
        SmartGoal,
        UserPersona,
    )
    from app.runtime.models.memory import (
        Feedback,
        UserAiPreference,
        UserAncestralIssue,
        UserConversation,
        UserConversationContinuity,
        UserConversationMessage,
        UserCopingTool,
        UserCrisisFlag,
        UserCurrentPractice,
        UserCurrentStressor,
        UserDailyHabit,
        UserDysregulatingFactor,
        UserEmotionalPattern,
        UserEmotionalState,
        UserEmotionalTrend,
        UserFeedbackLog,
        UserGoal,
        UserGrowthMilestone,
        UserGrowthOpportunity,
        UserInsightNote,
        UserLivingSituation,
        UserMoodTrend,
        UserPatternLoop,
        UserPerson,
        UserPreference,
        UserPreviousTherapy,
        UserProfileSummary,
        UserRegulationStrategy,
        UserRelationshipDynamic,
        UserRelationshipStatus,
        UserRiskFactor,
        UserRoleModelTrait,
        UserShadowTheme,
        UserSleepRoutine,
        UserSpiritualPath,
        UserStrength,
        UserStuckPoint,
        UserSubstanceUse,
        UserSuicidalThought,
        UserSupportSystem,
        UserTheme,
        UserTherapyPreference,
        UserTraumaPattern,
        UserValueCompass,
    )
    from app.runtime.models.therapy import TherapySession

USER_ROLES = ("therapist", "researcher", "participant")


class User(UUIDPrimaryKey, Timestamps, Base):
    """A person. Username, password and role are the therapist app's login; other systems' people
    have none of them."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {USER_ROLES}", name="role"),
        Index("idx_users_email", "email", unique=True),  # the coach's name for it
        # chat (seed 004): its unique Discord id's constraint carries the document's index name.
        UniqueConstraint("discord_id", name="idx_users_discord_id"),
        Index("idx_users_active", "is_active"),
        {"schema": "public"},
    )

    username: Mapped[str | None] = mapped_column(unique=True)
    password_hash: Mapped[str | None]
    role: Mapped[str | None] = mapped_column(String(20))
    # therapy_legacy (seed 000): the AI therapist app's own key for its people (its view
    # `therapy.users` numbers them); they have its login, as its NOT NULL columns required.
    userid: Mapped[int | None] = mapped_column(
        CheckConstraint(
            "userid IS NULL OR "
            "(username IS NOT NULL AND password_hash IS NOT NULL AND role IS NOT NULL)",
            name="therapist_login",
        ),
        unique=True,
    )
    email: Mapped[str | None] = mapped_column(String(255))

    # coaching_phase2 (seed 002): the health coach's profile, and the id its auth provider
    # (Firebase) gave the person, which links them to the MVP's conversations. The coach's people
    # are those with coaching_since (since when; the coach's code reads it as users.created_at).
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    phone_number: Mapped[str | None] = mapped_column(String(20))
    last_login: Mapped[datetime | None]
    external_auth_id: Mapped[str | None] = mapped_column(String, unique=True)
    coaching_since: Mapped[datetime | None]

    # chat (seed 004): the Discord account of people who talk to the bot; account status and
    # preferences every person has.
    discord_id: Mapped[int | None] = mapped_column(BigInteger)
    display_label: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(server_default=true())
    preferences: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))

    # memory (seed 001): the companion's profile of its people, who are the people with an
    # onboarding flag (memory.users shows them; their `password` is password_hash).
    name: Mapped[str | None]
    onboarding_skipped: Mapped[bool | None]
    onboarding_completed_at: Mapped[datetime | None]

    # What each context holds of the person (loaded only when a read asks: `related`).
    therapy_sessions: Mapped[list["TherapySession"]] = related(
        back_populates="user", order_by="TherapySession.created_at.desc()"
    )
    coaching_conversations: Mapped[list["Conversation"]] = related(
        back_populates="user", order_by="Conversation.created_at", passive_deletes=True
    )
    coaching_persona: Mapped["UserPersona | None"] = related(
        back_populates="user", passive_deletes=True
    )
    coaching_engagement: Mapped["EngagementAnalytics | None"] = related(
        back_populates="user", passive_deletes=True
    )
    smart_goals: Mapped[list["SmartGoal"]] = related(
        back_populates="user", order_by="SmartGoal.created_at", passive_deletes=True
    )
    program_sessions: Mapped[list["ProgramSession"]] = related(
        back_populates="user",
        order_by="(ProgramSession.week_number, ProgramSession.session_number)",
        passive_deletes=True,
    )
    check_ins: Mapped[list["CheckIn"]] = related(
        back_populates="user", order_by="CheckIn.checkin_date", passive_deletes=True
    )
    chat_sessions: Mapped[list["ChatSession"]] = related(
        back_populates="owner", order_by="ChatSession.created_at"
    )

    # memory (seed 001): what the companion remembers of the person, table by table.
    memory_feedback: Mapped[list["Feedback"]] = related(
        back_populates="user", order_by="Feedback.created_at", passive_deletes=True
    )
    memory_ai_preferences: Mapped["UserAiPreference | None"] = related(
        back_populates="user", passive_deletes=True
    )
    memory_ancestral_issues: Mapped[list["UserAncestralIssue"]] = related(
        back_populates="user", order_by="UserAncestralIssue.position", passive_deletes=True
    )
    memory_conversation_continuity: Mapped[list["UserConversationContinuity"]] = related(
        back_populates="user",
        order_by="UserConversationContinuity.created_at",
        passive_deletes=True,
    )
    memory_conversation_messages: Mapped[list["UserConversationMessage"]] = related(
        back_populates="user", order_by="UserConversationMessage.created_at", passive_deletes=True
    )
    memory_conversations: Mapped[list["UserConversation"]] = related(
        back_populates="user", order_by="UserConversation.created_at", passive_deletes=True
    )
    memory_coping_tools: Mapped[list["UserCopingTool"]] = related(
        back_populates="user", order_by="UserCopingTool.position", passive_deletes=True
    )
    memory_crisis_flags: Mapped[list["UserCrisisFlag"]] = related(
        back_populates="user", order_by="UserCrisisFlag.created_at", passive_deletes=True
    )
    memory_current_practices: Mapped[list["UserCurrentPractice"]] = related(
        back_populates="user", order_by="UserCurrentPractice.position", passive_deletes=True
    )
    memory_current_stressors: Mapped[list["UserCurrentStressor"]] = related(
        back_populates="user", order_by="UserCurrentStressor.position", passive_deletes=True
    )
    memory_daily_habits: Mapped[list["UserDailyHabit"]] = related(
        back_populates="user", order_by="UserDailyHabit.position", passive_deletes=True
    )
    memory_dysregulating_factors: Mapped[list["UserDysregulatingFactor"]] = related(
        back_populates="user", order_by="UserDysregulatingFactor.position", passive_deletes=True
    )
    memory_emotional_patterns: Mapped[list["UserEmotionalPattern"]] = related(
        back_populates="user", order_by="UserEmotionalPattern.position", passive_deletes=True
    )
    memory_emotional_states: Mapped[list["UserEmotionalState"]] = related(
        back_populates="user", order_by="UserEmotionalState.position", passive_deletes=True
    )
    memory_emotional_trends: Mapped[list["UserEmotionalTrend"]] = related(
        back_populates="user", order_by="UserEmotionalTrend.created_at", passive_deletes=True
    )
    memory_feedback_log: Mapped[list["UserFeedbackLog"]] = related(
        back_populates="user", order_by="UserFeedbackLog.created_at", passive_deletes=True
    )
    memory_goals: Mapped[list["UserGoal"]] = related(
        back_populates="user", order_by="UserGoal.position", passive_deletes=True
    )
    memory_growth_milestones: Mapped[list["UserGrowthMilestone"]] = related(
        back_populates="user", order_by="UserGrowthMilestone.position", passive_deletes=True
    )
    memory_growth_opportunities: Mapped[list["UserGrowthOpportunity"]] = related(
        back_populates="user", order_by="UserGrowthOpportunity.position", passive_deletes=True
    )
    memory_insight_notes: Mapped[list["UserInsightNote"]] = related(
        back_populates="user", order_by="UserInsightNote.position", passive_deletes=True
    )
    memory_living_situation: Mapped["UserLivingSituation | None"] = related(
        back_populates="user", passive_deletes=True
    )
    memory_mood_trends: Mapped[list["UserMoodTrend"]] = related(
        back_populates="user", order_by="UserMoodTrend.position", passive_deletes=True
    )
    memory_pattern_loops: Mapped[list["UserPatternLoop"]] = related(
        back_populates="user", order_by="UserPatternLoop.position", passive_deletes=True
    )
    memory_people: Mapped[list["UserPerson"]] = related(
        back_populates="user", order_by="UserPerson.position", passive_deletes=True
    )
    memory_preferences: Mapped["UserPreference | None"] = related(
        back_populates="user", passive_deletes=True
    )
    memory_previous_therapy: Mapped[list["UserPreviousTherapy"]] = related(
        back_populates="user", order_by="UserPreviousTherapy.position", passive_deletes=True
    )
    memory_profile_summary: Mapped["UserProfileSummary | None"] = related(
        back_populates="user", passive_deletes=True
    )
    memory_regulation_strategies: Mapped[list["UserRegulationStrategy"]] = related(
        back_populates="user", order_by="UserRegulationStrategy.position", passive_deletes=True
    )
    memory_relationship_dynamics: Mapped[list["UserRelationshipDynamic"]] = related(
        back_populates="user", order_by="UserRelationshipDynamic.position", passive_deletes=True
    )
    memory_relationship_status: Mapped["UserRelationshipStatus | None"] = related(
        back_populates="user", passive_deletes=True
    )
    memory_risk_factors: Mapped[list["UserRiskFactor"]] = related(
        back_populates="user", order_by="UserRiskFactor.position", passive_deletes=True
    )
    memory_role_model_traits: Mapped[list["UserRoleModelTrait"]] = related(
        back_populates="user", order_by="UserRoleModelTrait.position", passive_deletes=True
    )
    memory_shadow_themes: Mapped[list["UserShadowTheme"]] = related(
        back_populates="user", order_by="UserShadowTheme.position", passive_deletes=True
    )
    memory_sleep_routine: Mapped["UserSleepRoutine | None"] = related(
        back_populates="user", passive_deletes=True
    )
    memory_spiritual_path: Mapped["UserSpiritualPath | None"] = related(
        back_populates="user", passive_deletes=True
    )
    memory_strengths: Mapped[list["UserStrength"]] = related(
        back_populates="user", order_by="UserStrength.position", passive_deletes=True
    )
    memory_stuck_points: Mapped[list["UserStuckPoint"]] = related(
        back_populates="user", order_by="UserStuckPoint.position", passive_deletes=True
    )
    memory_substance_use: Mapped[list["UserSubstanceUse"]] = related(
        back_populates="user", order_by="UserSubstanceUse.position", passive_deletes=True
    )
    memory_suicidal_thoughts: Mapped[list["UserSuicidalThought"]] = related(
        back_populates="user", order_by="UserSuicidalThought.position", passive_deletes=True
    )
    memory_support_system: Mapped[list["UserSupportSystem"]] = related(
        back_populates="user", order_by="UserSupportSystem.position", passive_deletes=True
    )
    memory_themes: Mapped[list["UserTheme"]] = related(
        back_populates="user", order_by="UserTheme.position", passive_deletes=True
    )
    memory_therapy_preferences: Mapped["UserTherapyPreference | None"] = related(
        back_populates="user", passive_deletes=True
    )
    memory_trauma_patterns: Mapped[list["UserTraumaPattern"]] = related(
        back_populates="user", order_by="UserTraumaPattern.position", passive_deletes=True
    )
    memory_value_compass: Mapped["UserValueCompass | None"] = related(
        back_populates="user", passive_deletes=True
    )


class UserSession(Base):
    """An Express login session, in the layout the Node library connect-pg-simple reads and
    writes unchanged (`sess` is the session object as JSON; expired rows are pruned by it)."""

    __tablename__ = "user_sessions"
    __table_args__ = {"schema": "public"}

    sid: Mapped[str] = mapped_column(String, primary_key=True)
    sess: Mapped[dict[str, Any]]
    expire: Mapped[datetime] = mapped_column(index=True)
