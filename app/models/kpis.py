"""The editable part of the KPI registry: perspective weights, KPI weights and thresholds, manual KPIs.

The built-in KPIs' formulas live in code (`app.analytics.kpis`); their rows here are seeded by the
first migration so an administrator can change weights and thresholds (and migration 0007 gave them
their Norwegian names, `name_nb`).
"""

from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Numeric, SmallInteger, String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

PERSPECTIVES = ("financial", "customer", "process", "learning")
DIRECTIONS = ("higher", "lower")
TIME_ROLLUPS = ("sum", "last")


class Perspective(Base):
    __tablename__ = "perspectives"

    key: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # The name in Norwegian bokmål; None shows the English name in both languages.
    name_nb: Mapped[str | None] = mapped_column(String(100))
    weight: Mapped[Decimal] = mapped_column(Numeric(8, 4))
    position: Mapped[int] = mapped_column(SmallInteger)


class KpiDefinition(Base):
    __tablename__ = "kpi_definitions"
    __table_args__ = (
        CheckConstraint(f"direction IN {DIRECTIONS!r}", name="direction"),
        CheckConstraint(f"time_rollup IN {TIME_ROLLUPS!r}", name="time_rollup"),
    )

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The name in Norwegian bokmål; None (a manual KPI created without one) shows the English name.
    name_nb: Mapped[str | None] = mapped_column(String(200))
    perspective: Mapped[str] = mapped_column(ForeignKey("perspectives.key"))
    unit: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8))
    weight: Mapped[Decimal] = mapped_column(Numeric(8, 4))
    green_threshold: Mapped[Decimal] = mapped_column(Numeric(8, 4), default=Decimal("1.0"))
    amber_threshold: Mapped[Decimal] = mapped_column(Numeric(8, 4), default=Decimal("0.9"))
    time_rollup: Mapped[str] = mapped_column(String(8))
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Reaching this KPI's target is an achievement on the sales floor (revenue always is).
    celebrated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AppSetting(Base):
    """Installation-wide scorecard settings: `score_cap`, `fiscal_year_start_month`, `wall_show_names`."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
