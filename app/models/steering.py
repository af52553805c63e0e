"""Steering: what leaders write beside the figures. Comments on a unit's KPI for a period, coaching
actions in the six arenas (with the KPI's attainment when each was opened, and notes on it), and
goal conversations held with a seller (each also stored as a `goal_conversation` activity, so the
learning perspective counts it as it counts an imported one).

A unit is addressed as targets address it: `level` and `unit_code` ('' for the company). None of these
tables is written by imports; none counts the data version up, except a goal conversation's activity.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UtcDateTime
from app.models.plans import TARGET_LEVELS

# The six coaching arenas of the handbook: the appraisal talk, training, practice, problem solving,
# goal setting and planning.
ARENAS = ("appraisal", "training", "practice", "problem_solving", "goals", "plan")
ACTION_STATUSES = ("open", "done", "dropped")
TEXT_LIMIT = 5000  # characters of a comment, a note, an outcome


def _now() -> datetime:
    return datetime.now(UTC)


class Comment(Base):
    """A note on one KPI of one unit for one period ('YYYY-MM'), by someone who may see the unit."""

    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint(f"level IN {TARGET_LEVELS!r}", name="level"),
        Index("ix_comments_unit_period", "level", "unit_code", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[str] = mapped_column(String(64))
    kpi_code: Mapped[str] = mapped_column(ForeignKey("kpi_definitions.code"))
    period: Mapped[str] = mapped_column(String(7))
    text: Mapped[str] = mapped_column(Text)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    author: Mapped[str] = mapped_column(String(254), doc="the author's e-mail, kept when the login goes")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)


class CoachingAction(Base):
    """A coaching action on one KPI of one unit, in one of the six arenas. `baseline_period` and
    `baseline_attainment` are the KPI's month attainment when the action was opened, kept as they
    stood (a later correction of the figures does not move the baseline)."""

    __tablename__ = "coaching_actions"
    __table_args__ = (
        CheckConstraint(f"level IN {TARGET_LEVELS!r}", name="level"),
        CheckConstraint(f"arena IN {ARENAS!r}", name="arena"),
        CheckConstraint(f"status IN {ACTION_STATUSES!r}", name="status"),
        Index("ix_coaching_actions_unit", "level", "unit_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[str] = mapped_column(String(64))
    kpi_code: Mapped[str] = mapped_column(ForeignKey("kpi_definitions.code"))
    arena: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))
    owner_email: Mapped[str] = mapped_column(String(254), index=True, doc="who carries the action out")
    due: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    outcome: Mapped[str | None] = mapped_column(Text)
    baseline_period: Mapped[str] = mapped_column(String(7))
    baseline_attainment: Mapped[float | None] = mapped_column(Float, doc="a ratio (0.78 = 78 %), not money")
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    notes: Mapped[list["ActionNote"]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="ActionNote.id"
    )


class ActionNote(Base):
    """A note on a coaching action: by the leader who manages it, or by the seller it is about."""

    __tablename__ = "action_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("coaching_actions.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)

    action: Mapped[CoachingAction] = relationship(back_populates="notes")


class GoalConversation(Base):
    """A goal conversation (målsamtale) a leader held with a seller on `held_on`: the KPIs and targets
    agreed (`kpis`) and notes. `activity_id` is the `goal_conversation` activity it counts as."""

    __tablename__ = "goal_conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    activity_id: Mapped[str] = mapped_column(ForeignKey("activities.id"), unique=True)
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)

    kpis: Mapped[list["GoalConversationKpi"]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan", order_by="GoalConversationKpi.id"
    )


class GoalConversationKpi(Base):
    """One KPI agreed in a goal conversation, with the target agreed for `period` ('YYYY' or 'YYYY-MM')."""

    __tablename__ = "goal_conversation_kpis"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("goal_conversations.id", ondelete="CASCADE"), index=True)
    kpi_code: Mapped[str] = mapped_column(ForeignKey("kpi_definitions.code"))
    period: Mapped[str] = mapped_column(String(7))
    target: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))

    conversation: Mapped[GoalConversation] = relationship(back_populates="kpis")
