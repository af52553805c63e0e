"""Record audit events (in the caller's transaction: flush only) and list them for administrators."""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app.models import AuditEvent, User


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def actor_label(actor: User | None) -> str:
    """A user's e-mail; without a user (the command line), 'cli:<the OS account>'."""
    return actor.email if actor is not None else f"cli:{_os_user()}"


def _plain(value: Any) -> Any:
    """JSON-ready: Decimals as plain strings without trailing zeros ('0.4000' and '0.4' agree), moments as ISO."""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text if text != "-0" else "0"
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, default=_plain, ensure_ascii=False, sort_keys=True)


def snapshot(obj: object, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The named attributes of `obj`, JSON-ready."""
    return {f: _plain(getattr(obj, f)) for f in fields}


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    entity: str,
    before: Any = None,
    after: Any = None,
    **import_fields: Any,
) -> AuditEvent:
    """Add one event to the session's transaction; it commits or rolls back with the change it describes."""
    event = AuditEvent(
        at=datetime.now(UTC),
        actor_user_id=actor.id if actor is not None else None,
        actor=actor_label(actor),
        action=action,
        entity=entity[:300],
        before=to_json(before),
        after=to_json(after),
        **import_fields,
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class AuditFilter:
    """`action` 'kpi' matches 'kpi' and 'kpi.*'; `entity` 'kpi' matches 'kpi' and 'kpi:*'; dates are UTC days,
    both inclusive; `actor` is an e-mail or 'cli:<os user>' (case-insensitive)."""

    action: str | None = None
    entity: str | None = None
    actor: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(stmt: Select, f: AuditFilter) -> Select:
    if f.action:
        stmt = stmt.where(
            or_(AuditEvent.action == f.action, AuditEvent.action.like(_like_escape(f.action) + ".%", escape="\\"))
        )
    if f.entity:
        stmt = stmt.where(
            or_(AuditEvent.entity == f.entity, AuditEvent.entity.like(_like_escape(f.entity) + ":%", escape="\\"))
        )
    if f.actor:
        stmt = stmt.where(func.lower(AuditEvent.actor) == f.actor.strip().lower())
    if f.date_from:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(f.date_from, time.min, tzinfo=UTC))
    if f.date_to:
        stmt = stmt.where(AuditEvent.at < datetime.combine(f.date_to + timedelta(days=1), time.min, tzinfo=UTC))
    return stmt


def list_events(session: Session, f: AuditFilter, *, limit: int, offset: int) -> tuple[list[AuditEvent], int]:
    """One page of the matching events, newest first, and how many match in all."""
    total = session.scalar(_filtered(select(func.count()).select_from(AuditEvent), f)) or 0
    rows = session.scalars(
        _filtered(select(AuditEvent), f)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def get_event(session: Session, event_id: int) -> AuditEvent | None:
    return session.get(AuditEvent, event_id)
