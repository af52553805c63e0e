"""The audit trail: one row per change (imports, KPI registry, users, API tokens), written in the same
transaction as the change and never updated or deleted by the app."""

from datetime import UTC, datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime


class AuditEvent(Base):
    """Who (`actor_user_id`/`actor`), when (`at`), what (`action` on `entity`), before and after (JSON text);
    an import also carries the file's name, size and SHA-256 and its row counts."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=lambda: datetime.now(UTC), index=True)
    # Null for the command line (no login): `actor` then names the OS account, as 'cli:<os user>'.
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(254), doc="the user's e-mail, or 'cli:<os user>'")
    action: Mapped[str] = mapped_column(String(64), index=True, doc="import, kpi.update, user.create, ...")
    entity: Mapped[str] = mapped_column(String(300), index=True, doc="targets, kpi:revenue, user:a@b.no, ...")
    before: Mapped[str | None] = mapped_column(Text, doc="JSON")
    after: Mapped[str | None] = mapped_column(Text, doc="JSON")
    # Imports only.
    dataset: Mapped[str | None] = mapped_column(String(32))
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    rows: Mapped[int | None] = mapped_column(Integer)
    inserted: Mapped[int | None] = mapped_column(Integer)
    updated: Mapped[int | None] = mapped_column(Integer)
    unchanged: Mapped[int | None] = mapped_column(Integer)
    changed_rows: Mapped[int | None] = mapped_column(
        Integer, doc="stored rows whose values changed (yearly file rows count 12); `before`/`after` sample them"
    )
