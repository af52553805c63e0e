"""Long-lived API tokens for other systems (finance's), stored as a public prefix and a SHA-256 hash."""

from datetime import UTC, datetime
from typing import Literal, cast

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UtcDateTime
from app.models.users import User

TokenScope = Literal["scorecards:read", "budgets:read"]
TOKEN_SCOPES: tuple[TokenScope, ...] = ("scorecards:read", "budgets:read")


class ApiToken(Base):
    """A read-only token acting as `user`; the secret itself is never stored, only its SHA-256."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(200), doc="comma-separated, from TOKEN_SCOPES")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=lambda: datetime.now(UTC))
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = relationship()

    @property
    def scope_list(self) -> list[TokenScope]:
        # written only through `app.tokens.service.canonical_scopes`: known scopes only
        return cast(list[TokenScope], [s for s in self.scopes.split(",") if s])
