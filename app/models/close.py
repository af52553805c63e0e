"""The close: locked months, the snapshots taken when a month is locked, and the reports sent by e-mail.

- `PeriodLock`: one row per locked month (`YYYY-MM`); unlocking deletes it. Who locked and unlocked
  what, and when, stays in the audit trail and on the snapshot.
- `Snapshot`: what a month's figures were when it was locked: the variance by district and product
  (`SnapshotVariance`, money in exact cents as Numeric) and every unit's scorecard for the month and
  the year to date (`SnapshotScore`). A snapshot is never changed after it is taken, except that an
  unlock records itself on it (`unlocked_at`, `unlocked_by`); locking again takes a new snapshot.
- `Subscription`: a report (variance, a unit's scorecard, the meeting pack) with its parameters,
  format, schedule and recipients, sent on its owner's behalf with what the owner may see.
- `ReportSend`: the send log. One row per subscription and period key (a day, an ISO week, a locked
  month): `sent` only once the SMTP server accepted the message, so a failed or interrupted send is
  tried again on the next run and a sent one never is.
"""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime

REPORTS = ("variance", "scorecard", "meeting_pack")
REPORT_FORMATS = ("csv", "xlsx", "parquet", "pdf")
SCHEDULES = ("daily", "weekly", "monthly")
SEND_STATUSES = ("sent", "failed")
SCORE_RANGES = ("month", "ytd")


def _now() -> datetime:
    return datetime.now(UTC)


class PeriodLock(Base):
    """A locked month: imports that would change its sales, activities, targets, KPI values or budgets
    are refused. `snapshot_id`: the snapshot taken when it was locked."""

    __tablename__ = "period_locks"

    period: Mapped[str] = mapped_column(String(7), primary_key=True, doc="YYYY-MM")
    locked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)
    locked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    locked_by: Mapped[str] = mapped_column(String(254), doc="the e-mail of who locked it, kept when the login goes")
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))


class Snapshot(Base):
    """A month's figures as they stood when it was locked."""

    __tablename__ = "snapshots"
    __table_args__ = (Index("ix_snapshots_period", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)
    taken_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    taken_by: Mapped[str] = mapped_column(String(254))
    data_version: Mapped[int] = mapped_column(Integer, doc="the data version the figures were read at")
    unlocked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    unlocked_by: Mapped[str | None] = mapped_column(String(254))
    totals: Mapped[str] = mapped_column(
        Text, doc="the variance's totals line, as JSON (money as numbers of two decimals)"
    )


class SnapshotVariance(Base):
    """One row of a snapshot's variance by district and product (the frame finance exports)."""

    __tablename__ = "snapshot_variance"

    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True)
    district_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    district_name: Mapped[str] = mapped_column(String(200))
    product_name: Mapped[str] = mapped_column(String(200))
    budget_amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    actual_amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    variance_amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    variance_pct: Mapped[float | None] = mapped_column(Float)
    favorable: Mapped[bool | None] = mapped_column(Boolean)
    budget_quantity: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    actual_quantity: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    price_effect: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    volume_effect: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    mix_effect: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    budget_margin: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    actual_margin: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    margin_variance: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))


class SnapshotScore(Base):
    """One KPI of one unit's scorecard in a snapshot, for the month (`range` month) or the year to
    date (`ytd`); `kpi_code` '' is the unit's overall score (in `score`)."""

    __tablename__ = "snapshot_scores"
    __table_args__ = (CheckConstraint(f"range IN {SCORE_RANGES!r}", name="range"),)

    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True)
    range: Mapped[str] = mapped_column(String(8), primary_key=True)
    level: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True, doc="the unit's code; '-' for the company")
    kpi_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    actual: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    attainment: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str | None] = mapped_column(String(16))


class Subscription(Base):
    """A report sent by e-mail on its owner's behalf. `params` and `recipients` are JSON (an object
    and a list of addresses). The report holds what the owner may see when it is sent."""

    __tablename__ = "report_subscriptions"
    __table_args__ = (
        CheckConstraint(f"report IN {REPORTS!r}", name="report"),
        CheckConstraint(f"format IN {REPORT_FORMATS!r}", name="format"),
        CheckConstraint(f"schedule IN {SCHEDULES!r}", name="schedule"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    report: Mapped[str] = mapped_column(String(24))
    params: Mapped[str] = mapped_column(Text, default="{}")
    format: Mapped[str] = mapped_column(String(8))
    schedule: Mapped[str] = mapped_column(String(16))
    recipients: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)


class ReportSend(Base):
    """The send log: one row per subscription and period key ('2026-12-02' daily, '2026-W49' weekly,
    '2026-06' monthly). `status` 'sent' is written only after the SMTP server accepted the message,
    in the same transaction, so an interrupted run leaves nothing marked sent that was not."""

    __tablename__ = "report_sends"
    __table_args__ = (CheckConstraint(f"status IN {SEND_STATUSES!r}", name="status"),)

    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("report_subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    period_key: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(255))
    attachment: Mapped[str | None] = mapped_column(String(255), doc="the attachment's file name")
    attachment_bytes: Mapped[int | None] = mapped_column(Integer)
