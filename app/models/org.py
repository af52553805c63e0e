"""The sales organization: regions, districts, sellers and their district history, leaders, accounts, products."""

from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base

DISTRICT_BASES = ("geographic", "product", "customer")
LEADER_LEVELS = ("company", "region", "district")


class Region(Base):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    districts: Mapped[list["District"]] = relationship(back_populates="region")


class District(Base):
    __tablename__ = "districts"
    __table_args__ = (CheckConstraint(f"basis IN {DISTRICT_BASES!r}", name="basis"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str] = mapped_column(String(16))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)

    region: Mapped[Region | None] = relationship(back_populates="districts")


class Seller(Base):
    """A seller; which district they belong to is kept, dated, in `seller_districts`."""

    __tablename__ = "sellers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)

    assignments: Mapped[list["SellerDistrict"]] = relationship(
        back_populates="seller", order_by="SellerDistrict.valid_from"
    )


class SellerDistrict(Base):
    """From `valid_from` on (until the seller's next row), the seller's sales count for `district_id`."""

    __tablename__ = "seller_districts"
    __table_args__ = (UniqueConstraint("seller_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)

    seller: Mapped[Seller] = relationship(back_populates="assignments")
    district: Mapped[District] = relationship()


class Leader(Base):
    __tablename__ = "leaders"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    units: Mapped[list["LeaderUnit"]] = relationship(back_populates="leader")


class LeaderUnit(Base):
    """One unit a leader leads: a district, a region, or (`company`, code '') the whole company."""

    __tablename__ = "leader_units"
    __table_args__ = (
        UniqueConstraint("leader_id", "level", "unit_code"),
        CheckConstraint(f"level IN {LEADER_LEVELS!r}", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[str] = mapped_column(String(64))

    leader: Mapped[Leader] = relationship(back_populates="units")


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    segment: Mapped[str | None] = mapped_column(String(100))
    key_account: Mapped[bool] = mapped_column(Boolean, default=False)
    kam_seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"))


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    product_group: Mapped[str] = mapped_column(String(100), index=True)
