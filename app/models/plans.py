"""What was planned: the seasonality profile, targets, manual KPI values and budgets, all stored per month.

A yearly row of a file is phased into twelve monthly rows when it is loaded; `source_period`
keeps the period as the file gave it (`2026` or `2026-03`).
"""

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.db import Base

TARGET_LEVELS = ("seller", "district", "region", "company", "account")


class Seasonality(Base):
    __tablename__ = "seasonality"
    __table_args__ = (
        CheckConstraint("month BETWEEN 1 AND 12", name="month"),
        CheckConstraint("weight >= 0", name="weight"),
    )

    month: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    weight: Mapped[Decimal] = mapped_column(Numeric(14, 6))


class _UnitKpiMonth:
    """A value per unit (level and code; code '' for the company), KPI and month."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (
            UniqueConstraint("level", "unit_code", "kpi_code", "month"),
            CheckConstraint(f"level IN {TARGET_LEVELS!r}", name="level"),
        )

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[str] = mapped_column(String(64))
    kpi_code: Mapped[str] = mapped_column(ForeignKey("kpi_definitions.code"))
    month: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    source_period: Mapped[str] = mapped_column(String(7))


class Target(_UnitKpiMonth, Base):
    __tablename__ = "targets"

    # The stretch goal beside the target (the optional `stretch` column of a targets file): at least
    # the target where higher is better, at most where lower is. None: no stretch for this month.
    stretch: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))


class KpiValue(_UnitKpiMonth, Base):
    """The actual of a manual-entry KPI for a unit and month (an employee survey score, say)."""

    __tablename__ = "kpi_values"


class Budget(Base):
    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("district_id", "product_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    quantity: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    cost: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    source_period: Mapped[str] = mapped_column(String(7))
