"""The sales floor: achievements (goals reached, recorded once) and display tokens for the wallboard.

- `Achievement`: a goal a unit reached, recorded by the import that made it so (PRODUCT.md §5, "The
  sales floor"): a seller or a district passing 100 %, 120 % or the stretch of a month's or the
  year's revenue target, or the target of a KPI an administrator marks as celebrated. One row per
  (level, code, kpi, period, threshold): a re-import or a correction never records it twice. A later
  correction that takes the unit back below the goal keeps the row and sets `revised_at` ("since
  revised"); reaching it again clears it.
- `Display`: a read-only token for the wallboard of one unit (`/wall#<token>`), made by a leader of
  that unit or an administrator. Stored as a public prefix and the SHA-256 of the secret, as API
  tokens are; revoking it blanks the wall at its next refresh.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime

ACHIEVEMENT_LEVELS = ("seller", "district")
THRESHOLDS = ("100", "120", "stretch")
DISPLAY_LEVELS = ("company", "region", "district")


def _now() -> datetime:
    return datetime.now(UTC)


class Achievement(Base):
    """A goal reached: `goal` is the figure passed (the target, 1.2 × the target, or the stretch) and
    `actual` the unit's figure when it was recorded; `period` is `YYYY-MM` for a month's target and
    `YYYY` for the year's; `reached_on` the day the data reached it (for a KPI that adds up over time,
    the day of the sale that took the running total past the goal)."""

    __tablename__ = "achievements"
    __table_args__ = (
        UniqueConstraint("level", "code", "kpi_code", "period", "threshold"),
        CheckConstraint(f"level IN {ACHIEVEMENT_LEVELS!r}", name="level"),
        CheckConstraint(f"threshold IN {THRESHOLDS!r}", name="threshold"),
        Index("ix_achievements_recorded_at", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64))
    kpi_code: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    threshold: Mapped[str] = mapped_column(String(8))
    goal: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    actual: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    reached_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)
    revised_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Display(Base):
    """A wallboard's display token: it reads the wall of (`level`, `code`) and nothing else."""

    __tablename__ = "displays"
    __table_args__ = (CheckConstraint(f"level IN {DISPLAY_LEVELS!r}", name="level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
