"""Coaching actions in the six arenas, with their baseline and follow-up (service of /actions).

Who: administrators and the leaders who may see the unit open and change actions; the seller an
action is about (an action on their own seller unit, or one they carry out, `owner_email`) reads it
and writes notes on it; finance reads none (coaching is personal: every route answers it 404).

The baseline is the KPI's month attainment for the unit in the baseline month, stored when the action
is opened (a later correction of the figures does not move it). The follow-up is the KPI's month
attainment and status in every month after the baseline's through the latest month with sales, read
from the unit's trend scores (app.reporting.scorecards) as the trend shows them; months the caller
may not see (a moved seller) are blanked as the scorecard answers blank them."""

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime

from fastapi import HTTPException, status
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from app.access import EVERYTHING, Scope, seller_for
from app.analytics.periods import month_span, shift_month
from app.audit.service import record as record_audit
from app.audit.service import snapshot
from app.models import Account, ActionNote, CoachingAction, District, KpiDefinition, Leader, Region, Seller, User
from app.params import invalid_at as invalid
from app.reporting.dates import data_dates, open_period
from app.reporting.registry import load_registry
from app.reporting.scorecards import card_scores, trend_scores
from app.reporting.units import Trees, Unit, resolve_unit, subtree
from app.scorecards.service import unseen_months
from app.steering.comments import api_code, kpi_codes
from app.steering.schemas import ActionCreate, ActionUpdate, NoteCreate

# How far back a baseline may be set: as far as a trend reaches (GET /scorecards/…/trend months ≤ 36).
BASELINE_MONTHS_BACK = 36
# Follow-ups read the unit's trend over at least this many months: the trend the precomputer keeps.
TREND_MONTHS = 12
MANAGERS = ("admin", "leader")
_FIELDS = ("status", "outcome", "title", "due", "owner_email", "closed_at")


def _now() -> datetime:
    return datetime.now(UTC)


def _open_month(session: Session) -> str:
    """The month the pages open on; today's month before any sale."""
    return open_period(session) or date.today().strftime("%Y-%m")


def _ratio(value: object) -> float | None:
    """A scored attainment as the API gives it: None for a missing or non-finite one."""
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def _month_attainment(session: Session, unit: Unit, period: str, kpi: str) -> float | None:
    """`kpi`'s attainment for `unit` in the month `period` alone."""
    for row in card_scores(session, unit, period, "month").now.kpis:
        if row.code == kpi:
            return _ratio(row.attainment)
    return None


def _owner(session: Session, email: str, field: Sequence[str | int]) -> str:
    """`email` (lower case) when it is a seller's, a leader's or a login's; a 422 naming `field` otherwise."""
    email = email.strip().lower()
    for column in (Seller.email, Leader.email, User.email):
        if session.scalar(select(column).where(func.lower(column) == email).limit(1)) is not None:
            return email
    raise invalid(field, email, "not the e-mail of a seller, a leader or a login")


def _forbidden(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, detail)


# --- who sees which action ------------------------------------------------------------------------


def _on(level: str, codes: object) -> ColumnElement[bool]:
    """Actions on units of `level` whose codes are among `codes` (a list or a subquery)."""
    return and_(CoachingAction.level == level, CoachingAction.unit_code.in_(codes))  # type: ignore[arg-type]


def _visible(session: Session, scope: Scope, user: User) -> ColumnElement[bool]:
    """The actions the caller may read (finance: none, handled by the callers): an administrator or a
    company leader every one; a leader those on the units they may see (a seller in at least one
    period: `_seen` narrows it to the baseline's month); a seller those on their own seller unit (an
    action on another unit, even one the seller carries out, shows that unit's figures)."""
    if user.role == "finance":
        return false()
    if user.role == "seller":
        me = seller_for(session, user)
        return _on("seller", [me.code]) if me is not None else false()
    if scope.everything:
        return true()
    return or_(
        _on("region", select(Region.code).where(Region.id.in_(scope.region_ids))),
        _on("district", select(District.code).where(District.id.in_(scope.district_ids))),
        _on("seller", select(Seller.code).where(Seller.id.in_(scope.seller_ids))),
        _on("account", select(Account.code).where(Account.district_id.in_(scope.district_ids))),
    )


def _below(session: Session, unit: Unit, period: str | None = None) -> ColumnElement[bool]:
    """Actions on `unit` and every unit below it in the organization at the end of `period` (default:
    the open period; a district's sellers then, and its accounts)."""
    if unit.level == "company":
        return true()
    children, units = Trees(session).at_end_of(period or _open_month(session))
    keys = subtree(children, [unit.key])
    by_level: dict[str, list[str]] = {}
    for level, code in keys:
        by_level.setdefault(level, []).append(code)
    district_ids = [units[key].id for key in keys if key[0] == "district" and key in units]
    parts = [_on(level, codes) for level, codes in by_level.items()]
    if district_ids:
        parts.append(_on("account", select(Account.code).where(Account.district_id.in_(district_ids))))
    return or_(*parts)


def _seen(session: Session, scope: Scope, rows: list[CoachingAction]) -> list[CoachingAction]:
    """`rows` without the actions on a seller whom the caller (a leader) may not see in the action's
    baseline month: after a move the old leader keeps the actions opened while the seller was theirs,
    the new leader those opened since (app.access), as with the seller's figures."""
    if scope.everything:
        return rows
    codes = {r.unit_code for r in rows if r.level == "seller"}
    if not codes:
        return rows
    ids = dict(session.execute(select(Seller.code, Seller.id).where(Seller.code.in_(codes))).all())
    return [
        r
        for r in rows
        if r.level != "seller" or (r.unit_code in ids and scope.sees_seller(ids[r.unit_code], r.baseline_period))
    ]


def _query(session: Session, scope: Scope, user: User) -> Select[CoachingAction]:
    """The actions the caller may read, by due date, with their notes."""
    return (
        select(CoachingAction)
        .where(_visible(session, scope, user))
        .options(selectinload(CoachingAction.notes))
        .order_by(CoachingAction.due, CoachingAction.id)
    )


def _find(session: Session, scope: Scope, user: User, action_id: int) -> CoachingAction | None:
    """The action, when the caller may read it."""
    if user.role == "finance":
        return None
    row = session.scalar(_query(session, scope, user).where(CoachingAction.id == action_id))
    return None if row is None else next(iter(_seen(session, scope, [row])), None)


# --- the answers ------------------------------------------------------------------------------------


def _answers(session: Session, scope: Scope, rows: list[CoachingAction]) -> list[dict]:
    """ActionRead answers of `rows`, each unit's follow-ups read from one trend of it."""
    latest = data_dates(session).sales_month
    registry = load_registry(session).kpis
    names = {
        code: (name, name_nb)
        for code, name, name_nb in zip(registry["code"], registry["name"], registry["name_nb"], strict=True)
    }
    today = date.today()
    units: dict[tuple[str, str], Unit | None] = {}
    trends: dict[tuple[str, str], dict[tuple[str, str], tuple[float | None, str]]] = {}
    hidden: dict[tuple[str, str], frozenset[str]] = {}
    for key in dict.fromkeys((r.level, r.unit_code) for r in rows):
        unit = units[key] = resolve_unit(session, scope=EVERYTHING, level=key[0], code=api_code(*key))
        earliest = min(r.baseline_period for r in rows if (r.level, r.unit_code) == key)
        if unit is None or latest is None or earliest >= latest:
            continue
        months = month_span(shift_month(earliest, 1), latest)
        frame = trend_scores(session, unit, latest, max(TREND_MONTHS, len(months))).kpis
        trends[key] = {
            (period, code): (_ratio(attainment), state)
            for period, code, attainment, state in zip(
                frame["period"], frame["code"], frame["attainment"], frame["status"], strict=True
            )
        }
        hidden[key] = unseen_months(scope, unit, months)
    out = []
    for r in rows:
        key = (r.level, r.unit_code)
        unit = units[key]
        if r.kpi_code not in names:  # a KPI switched off since: its stored names
            kpi = session.get(KpiDefinition, r.kpi_code)
            names[r.kpi_code] = (kpi.name, kpi.name_nb or kpi.name) if kpi is not None else (r.kpi_code, r.kpi_code)
        follow_up = []
        if key in trends:
            for month in month_span(shift_month(r.baseline_period, 1), latest or ""):
                attainment, state = (
                    (None, "none") if month in hidden[key] else trends[key].get((month, r.kpi_code), (None, "none"))
                )
                follow_up.append({"period": month, "attainment": attainment, "status": state})
        out.append(
            {
                "id": r.id,
                "level": r.level,
                "code": api_code(r.level, r.unit_code),
                "name": unit.name if unit is not None else r.unit_code,
                "kpi": r.kpi_code,
                "kpi_name": names[r.kpi_code][0],
                "kpi_name_nb": names[r.kpi_code][1],
                "arena": r.arena,
                "title": r.title,
                "owner_email": r.owner_email,
                "due": r.due,
                "status": r.status,
                "overdue": r.status == "open" and r.due < today,
                "outcome": r.outcome,
                "baseline": {"period": r.baseline_period, "attainment": r.baseline_attainment},
                "follow_up": follow_up,
                "notes": [_note(n) for n in r.notes],
                "created_by": r.created_by,
                "created_at": r.created_at,
                "updated_at": r.updated_at,
                "closed_at": r.closed_at,
            }
        )
    return out


def _note(note: ActionNote) -> dict:
    return {"id": note.id, "text": note.text, "author": note.author, "created_at": note.created_at}


# --- the service ------------------------------------------------------------------------------------


def create(session: Session, *, scope: Scope, user: User, body: ActionCreate) -> dict | None:
    """Open a coaching action (administrators, leaders who may see the unit for the baseline month)
    with the KPI's month attainment then as its baseline; None when the unit is not the caller's."""
    if user.role == "finance":
        return None
    opens_on = _open_month(session)
    period = body.period or opens_on
    unit = resolve_unit(session, scope=scope, level=body.level, code=body.code, period=period)
    if unit is None:
        return None
    if user.role not in MANAGERS:
        raise _forbidden("only a leader or an administrator opens coaching actions")
    if body.kpi not in kpi_codes(session, unit.level):
        raise invalid(("body", "kpi"), body.kpi, f"no KPI {body.kpi} on a {unit.level}'s scorecard")
    earliest = shift_month(opens_on, 1 - BASELINE_MONTHS_BACK)
    if not earliest <= period <= opens_on:
        raise invalid(
            ("body", "period"),
            period,
            f"the baseline month must be from {earliest} through {opens_on}, the month the pages open on",
        )
    if body.due < date.today():
        raise invalid(("body", "due"), body.due.isoformat(), "due before the day the action is opened")
    owner = _owner(session, body.owner_email, ("body", "owner_email"))
    row = CoachingAction(
        level=unit.level,
        unit_code=unit.key[1],
        kpi_code=body.kpi,
        arena=body.arena,
        title=body.title,
        owner_email=owner,
        due=body.due,
        status="open",
        baseline_period=period,
        baseline_attainment=_month_attainment(session, unit, period, body.kpi),
        created_by_user_id=user.id,
        created_by=user.email,
    )
    session.add(row)
    session.flush()
    record_audit(
        session,
        actor=user,
        action="action.create",
        entity=f"action:{row.id}",
        after={
            "level": row.level,
            "code": api_code(row.level, row.unit_code),
            **snapshot(row, ("kpi_code", "arena", "title", "owner_email", "due", "status")),
            "baseline": {"period": row.baseline_period, "attainment": row.baseline_attainment},
        },
    )
    return _answers(session, scope, [row])[0]


def list_for(
    session: Session,
    *,
    scope: Scope,
    user: User,
    level: str | None,
    code: str | None,
    status: str | None,
    period: str | None = None,
) -> dict | None:
    """The actions the caller may read, by due date; with `level` and `code`, those on that unit and
    the units below it at the end of `period` (default: the open period; None when the unit is not the
    caller's to see); `status` open, done, dropped or overdue (open and due before today)."""
    if user.role == "finance":
        return None
    stmt = _query(session, scope, user)
    if level is not None or code is not None:
        if level is None or code is None:
            missing = "level" if level is None else "code"
            raise invalid(("query", missing), None, "give both level and code, or neither")
        unit = resolve_unit(session, scope=scope, level=level, code=code)
        if unit is None:
            return None
        stmt = stmt.where(_below(session, unit, period))
    if status == "overdue":
        stmt = stmt.where(CoachingAction.status == "open", CoachingAction.due < date.today())
    elif status is not None:
        stmt = stmt.where(CoachingAction.status == status)
    return {"items": _answers(session, scope, _seen(session, scope, list(session.scalars(stmt))))}


def read(session: Session, *, scope: Scope, user: User, action_id: int) -> dict | None:
    """One action with its baseline, follow-up and notes; None when it is not the caller's to read."""
    row = _find(session, scope, user, action_id)
    return None if row is None else _answers(session, scope, [row])[0]


def update(session: Session, *, scope: Scope, user: User, action_id: int, body: ActionUpdate) -> dict | None:
    """Change an action (administrators, leaders of its unit; 403 for the seller it is about): closing
    it (done, dropped) records when, opening it again clears that; the fields that change are
    recorded in the audit trail."""
    row = _find(session, scope, user, action_id)
    if row is None:
        return None
    if user.role not in MANAGERS:
        raise _forbidden("only a leader or an administrator changes coaching actions")
    values = body.model_dump(exclude_unset=True)
    opened_on = row.created_at.astimezone(UTC).date()
    if "due" in values and values["due"] < opened_on:
        raise invalid(("body", "due"), values["due"].isoformat(), "due before the day the action was opened")
    if "owner_email" in values:
        values["owner_email"] = _owner(session, values["owner_email"], ("body", "owner_email"))
    before = snapshot(row, _FIELDS)
    new_status = values.get("status", row.status)
    if new_status != row.status:
        values["closed_at"] = None if new_status == "open" else _now()
    for field, value in values.items():
        setattr(row, field, value)
    row.updated_at = _now()
    session.flush()
    after = snapshot(row, _FIELDS)
    changed = [f for f in _FIELDS if before[f] != after[f]]
    if changed:
        record_audit(
            session,
            actor=user,
            action="action.update",
            entity=f"action:{row.id}",
            before={f: before[f] for f in changed},
            after={f: after[f] for f in changed},
        )
    return _answers(session, scope, [row])[0]


def add_note(session: Session, *, scope: Scope, user: User, action_id: int, body: NoteCreate) -> dict | None:
    """A note on an action, by anyone who may read it (its leaders, administrators, the seller it is
    about); None when it is not the caller's to read."""
    row = _find(session, scope, user, action_id)
    if row is None:
        return None
    note = ActionNote(text=body.text, author_user_id=user.id, author=user.email)
    row.notes.append(note)  # through the relationship: the action read again in this session lists it
    session.flush()
    record_audit(
        session,
        actor=user,
        action="action.note",
        entity=f"action:{row.id}",
        after={"note": note.id, "text": note.text},
    )
    return _note(note)
