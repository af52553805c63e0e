"""What happened: sales lines (credit notes are negative) and sales activities."""

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

ACTIVITY_TYPES = (
    "meeting",
    "call",
    "proposal",
    "won",
    "lost",
    "training_hours",
    "coaching_session",
    "goal_conversation",
    "csat",
)


class Sale(Base):
    __tablename__ = "sales"
    __table_args__ = (
        Index("ix_sales_seller_id_date", "seller_id", "date"),
        Index("ix_sales_account_id_date", "account_id", "date"),
        Index("ix_sales_date", "date"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    date: Mapped[date] = mapped_column(Date)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    cost: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_seller_id_date", "seller_id", "date"),
        CheckConstraint(f"type IN {ACTIVITY_TYPES!r}", name="type"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    date: Mapped[date] = mapped_column(Date)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    type: Mapped[str] = mapped_column(String(24))
    value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
