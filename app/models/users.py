"""Logins. A user's e-mail links them to the seller or leader with the same e-mail."""

from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Boolean, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime

Role = Literal["admin", "leader", "seller", "finance"]
ROLES: tuple[Role, ...] = ("admin", "leader", "seller", "finance")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Carried in every login token (`ver`); counted up when the password changes or the login is
    # switched off, so every token issued before fails at once, on every instance.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=lambda: datetime.now(UTC))
