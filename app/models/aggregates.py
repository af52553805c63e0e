"""Monthly aggregates of the facts, kept in step with them in each import's transaction.

Reads of scorecards and budget control touch these (thousands of rows) instead of the raw sales and
activities (millions). They hold nothing that cannot be rebuilt from `sales`, `activities` and
`seller_districts` (`scorecard rebuild-aggregates`); app.reporting.aggregates maintains them.

- Money is in integer cents, quantities in hundredths: each raw line is rounded to the cent first,
  exactly as the raw-row computation does, so sums are exact on every database.
- A fact counts for the district of its seller on its date (the `seller_districts` row with the
  latest `valid_from` on or before it), resolved when the aggregate is written.
- No foreign keys: the rows are derived and are deleted and rewritten wholesale.
"""

from datetime import date

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class SalesMonthly(Base):
    """Sales per seller × district on the sale's date × account × month (the scorecards' grain:
    distinct customers need the account)."""

    __tablename__ = "sales_monthly"
    __table_args__ = (
        Index("ix_sales_monthly_month_district_id", "month", "district_id"),
        Index("ix_sales_monthly_account_id", "account_id"),
    )

    seller_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    district_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    lines: Mapped[int] = mapped_column(Integer)  # every line, credit notes too
    sale_lines: Mapped[int] = mapped_column(Integer)  # lines with a positive amount
    costed_lines: Mapped[int] = mapped_column(Integer)  # lines that carry a cost
    amount: Mapped[int] = mapped_column(BigInteger)  # Σ amount, cents
    margin: Mapped[int] = mapped_column(BigInteger)  # Σ (amount − cost) over costed lines, cents
    costed_amount: Mapped[int] = mapped_column(BigInteger)  # Σ amount over costed lines, cents


class SalesProductMonthly(Base):
    """Sales per district on the sale's date × product × month (budget control's grain)."""

    __tablename__ = "sales_product_monthly"
    __table_args__ = (
        # budget control reads a few districts over many months at a time; covering on PostgreSQL
        Index(
            "ix_sales_product_monthly_district_id_month",
            "district_id",
            "month",
            "product_id",
            postgresql_include=["lines", "costed_lines", "quantity", "amount", "margin"],
        ),
    )

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    district_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    lines: Mapped[int] = mapped_column(Integer)
    costed_lines: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(BigInteger)  # Σ quantity, hundredths
    amount: Mapped[int] = mapped_column(BigInteger)  # Σ amount, cents
    margin: Mapped[int] = mapped_column(BigInteger)  # Σ (amount − cost) over costed lines, cents


class ActivitiesMonthly(Base):
    """Activities per seller × district on the activity's date × month × type."""

    __tablename__ = "activities_monthly"
    __table_args__ = (Index("ix_activities_monthly_month_district_id", "month", "district_id"),)

    seller_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    district_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(24), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)  # rows
    value: Mapped[int] = mapped_column(BigInteger)  # Σ value, hundredths


class AccountFirstSale(Base):
    """Each account's month of its first sale ever (first line with a positive amount)."""

    __tablename__ = "account_first_sales"

    account_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(Date)


class DataVersion(Base):
    """One row, counted up in every transaction that changes a figure (imports, the KPI registry,
    settings). Each app process caches computed figures under the version it read, so several
    processes on one database never serve figures older than the last committed change."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
