"""Goal conversations recorded by leaders (service of /goal-conversations).

A goal conversation counts as a `goal_conversation` activity of the seller on the day it was held,
exactly as an imported one does: recording it inserts that activity (with an id no import file uses,
`goal-conversation-<hex>`), brings the seller's monthly aggregates of that month in step and counts
the data version up, as an import does (app.imports.service); removing it takes the activity away
the same way. So the coaching_sessions KPI of the seller, and of every unit above, counts it.

Who: administrators and the leaders who may see the seller for the conversation's month record and
remove them (the seller: 403); a seller reads their own, a leader their sellers'; finance reads none
(coaching is personal: 404).

In a locked month (app.close.locks) a goal conversation is neither recorded nor removed (422): its
activity would change the month's figures, as an import refused for the lock would."""

import uuid
from datetime import date
from decimal import Decimal

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.access import Scope
from app.audit.service import record as record_audit
from app.close.locks import refusal
from app.models import Activity, GoalConversation, GoalConversationKpi, PeriodLock, Seller, User
from app.params import invalid_at as invalid
from app.reporting import aggregates
from app.reporting.units import resolve_unit
from app.reporting.version import bump_version
from app.steering.comments import kpi_codes
from app.steering.schemas import GoalConversationCreate

ACTIVITY_PREFIX = "goal-conversation-"
EARLIEST_YEAR = 1900  # as imports take dates


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _forbidden() -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, "only a leader or an administrator records goal conversations")


def _read(row: GoalConversation, seller: Seller) -> dict:
    return {
        "id": row.id,
        "seller_code": seller.code,
        "seller_name": seller.name,
        "held_on": row.held_on,
        "kpis": [
            {"kpi": k.kpi_code, "period": k.period, "target": None if k.target is None else float(k.target)}
            for k in row.kpis
        ],
        "notes": row.notes,
        "activity_id": row.activity_id,
        "recorded_by": row.recorded_by,
        "created_at": row.created_at,
    }


def _refuse_if_locked(session: Session, held_on: date, loc: tuple[str, ...], value: object, change: str) -> None:
    """422 when the conversation's month is locked. After the import serialization, so the month is
    not locked between this check and the commit."""
    aggregates.serialize(session)
    lock = session.get(PeriodLock, _month(held_on))
    if lock is not None:
        raise invalid(loc, value, refusal(lock, change))


def _refresh(session: Session, seller_id: int, held_on: date) -> None:
    """The seller's monthly activity aggregates of the month in step, the data version counted up: as
    an import of the activity would leave them."""
    aggregates.refresh(session, aggregates.Touched(activities={(seller_id, _month(held_on))}))
    bump_version(session)


def create(session: Session, *, scope: Scope, user: User, body: GoalConversationCreate) -> dict | None:
    """Record a goal conversation and the activity it counts as; None when the seller is not the
    caller's to see for the conversation's month."""
    if user.role == "finance":
        return None
    if body.held_on.year < EARLIEST_YEAR:
        raise invalid(("body", "held_on"), body.held_on.isoformat(), f"before {EARLIEST_YEAR}")
    unit = resolve_unit(session, scope=scope, level="seller", code=body.seller_code, period=_month(body.held_on))
    if unit is None or unit.id is None:
        return None
    if user.role not in ("admin", "leader"):
        raise _forbidden()
    if body.held_on > date.today():
        raise invalid(("body", "held_on"), body.held_on.isoformat(), "in the future: record it once it is held")
    _refuse_if_locked(
        session, body.held_on, ("body", "held_on"), body.held_on.isoformat(), "record a goal conversation in it"
    )
    codes = kpi_codes(session, "seller")
    for i, agreed in enumerate(body.kpis):
        if agreed.kpi not in codes:
            raise invalid(("body", "kpis", i, "kpi"), agreed.kpi, f"no KPI {agreed.kpi} on a seller's scorecard")
    activity = Activity(
        id=f"{ACTIVITY_PREFIX}{uuid.uuid4().hex}",
        date=body.held_on,
        seller_id=unit.id,
        account_id=None,
        type="goal_conversation",
        value=Decimal(1),
    )
    session.add(activity)
    session.flush()
    row = GoalConversation(
        seller_id=unit.id,
        held_on=body.held_on,
        notes=body.notes,
        activity_id=activity.id,
        recorded_by_user_id=user.id,
        recorded_by=user.email,
        kpis=[
            GoalConversationKpi(
                kpi_code=k.kpi, period=k.period, target=None if k.target is None else Decimal(str(k.target))
            )
            for k in body.kpis
        ],
    )
    session.add(row)
    session.flush()
    _refresh(session, unit.id, body.held_on)
    seller = session.get(Seller, unit.id)
    assert seller is not None
    answer = _read(row, seller)
    record_audit(
        session,
        actor=user,
        action="goal_conversation.create",
        entity=f"goal_conversation:{row.id}",
        after={k: answer[k] for k in ("seller_code", "held_on", "kpis", "notes", "activity_id")},
    )
    return answer


def _sees(scope: Scope, row: GoalConversation) -> bool:
    """Whether the caller may see the conversation: the seller for its month."""
    return scope.sees_seller(row.seller_id, _month(row.held_on))


def list_for(session: Session, *, scope: Scope, user: User, seller_code: str | None) -> dict | None:
    """The goal conversations the caller may see (of one seller with `seller_code`), newest first; None
    for a seller not the caller's to see."""
    if user.role == "finance":
        return None
    stmt = (
        select(GoalConversation, Seller)
        .join(Seller, Seller.id == GoalConversation.seller_id)
        .options(selectinload(GoalConversation.kpis))
        .order_by(GoalConversation.held_on.desc(), GoalConversation.id.desc())
    )
    if seller_code is not None:
        unit = resolve_unit(session, scope=scope, level="seller", code=seller_code)
        if unit is None:
            return None
        stmt = stmt.where(GoalConversation.seller_id == unit.id)
    elif not scope.everything:
        stmt = stmt.where(GoalConversation.seller_id.in_(scope.seller_ids))
    return {"items": [_read(row, seller) for row, seller in session.execute(stmt) if _sees(scope, row)]}


def _find(session: Session, scope: Scope, user: User, conversation_id: int) -> GoalConversation | None:
    if user.role == "finance":
        return None
    row = session.get(GoalConversation, conversation_id)
    return row if row is not None and _sees(scope, row) else None


def read(session: Session, *, scope: Scope, user: User, conversation_id: int) -> dict | None:
    """One goal conversation; None when it is not the caller's to see."""
    row = _find(session, scope, user, conversation_id)
    if row is None:
        return None
    seller = session.get(Seller, row.seller_id)
    assert seller is not None
    return _read(row, seller)


def delete(session: Session, *, scope: Scope, user: User, conversation_id: int) -> bool | None:
    """Remove a goal conversation and the activity it counts as (administrators, the seller's leaders
    for its month); None when it is not the caller's to see."""
    row = _find(session, scope, user, conversation_id)
    if row is None:
        return None
    if user.role not in ("admin", "leader"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only a leader or an administrator removes goal conversations")
    _refuse_if_locked(
        session,
        row.held_on,
        ("path", "conversation_id"),
        conversation_id,
        f"remove this goal conversation (held on {row.held_on.isoformat()})",
    )
    seller = session.get(Seller, row.seller_id)
    assert seller is not None
    before = _read(row, seller)
    activity = session.get(Activity, row.activity_id)
    session.delete(row)
    session.flush()
    if activity is not None:
        session.delete(activity)
        session.flush()
    _refresh(session, seller.id, before["held_on"])
    record_audit(
        session,
        actor=user,
        action="goal_conversation.delete",
        entity=f"goal_conversation:{conversation_id}",
        before={k: before[k] for k in ("seller_code", "held_on", "kpis", "notes", "activity_id")},
    )
    return True
