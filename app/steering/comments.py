"""Comments on a unit's KPI for a period (service of /comments), and the comments a scorecard answer
carries.

Anyone who may see the unit for the period comments on it and reads its comments (sellers on their
own card, leaders, finance, administrators); the author or an administrator removes one. A unit is
stored as targets store it: `level` and `unit_code` ('' for the company, whose API code is `-`).
Comments do not count the data version up: the scorecard answer is cached without them and they are
merged in per request (`card_comments`)."""

from fastapi import HTTPException, status
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.access import Scope
from app.audit.service import record as record_audit
from app.models import Comment, User
from app.params import invalid_at as invalid
from app.reporting.registry import load_registry
from app.reporting.units import COMPANY_CODE, card_registry, resolve_unit
from app.steering.schemas import CommentCreate


def kpi_codes(session: Session, level: str) -> set[str]:
    """The KPI codes a `level` unit's card has (an account's leaves out the learning KPIs)."""
    return set(card_registry(load_registry(session), level).kpis["code"])


def api_code(level: str, unit_code: str) -> str:
    """A stored unit code as the API addresses it (`-` for the company)."""
    return COMPANY_CODE if level == "company" else unit_code


def stored_code(level: str, code: str) -> str:
    """An API unit code as the tables store it ('' for the company)."""
    return "" if level == "company" else code


def _read(row: Comment) -> dict:
    return {
        "id": row.id,
        "level": row.level,
        "code": api_code(row.level, row.unit_code),
        "period": row.period,
        "kpi": row.kpi_code,
        "text": row.text,
        "author": row.author,
        "created_at": row.created_at,
    }


def _oldest_first(level: str, unit_code: str, period: str) -> Select[Comment]:
    return (
        select(Comment)
        .where(Comment.level == level, Comment.unit_code == unit_code, Comment.period == period)
        .order_by(Comment.created_at, Comment.id)
    )


def create(session: Session, *, scope: Scope, user: User, body: CommentCreate) -> dict | None:
    """Add a comment on the unit's KPI for the period; None when the unit is not the caller's to see."""
    unit = resolve_unit(session, scope=scope, level=body.level, code=body.code, period=body.period)
    if unit is None:
        return None
    if body.kpi not in kpi_codes(session, unit.level):
        raise invalid(("body", "kpi"), body.kpi, f"no KPI {body.kpi} on a {unit.level}'s scorecard")
    row = Comment(
        level=unit.level,
        unit_code=unit.key[1],
        kpi_code=body.kpi,
        period=body.period,
        text=body.text,
        author_user_id=user.id,
        author=user.email,
    )
    session.add(row)
    session.flush()
    answer = _read(row)
    record_audit(
        session,
        actor=user,
        action="comment.create",
        entity=f"comment:{row.id}",
        after={k: answer[k] for k in ("level", "code", "period", "kpi", "text")},
    )
    return answer


def list_for(session: Session, *, scope: Scope, level: str, code: str, period: str, kpi: str | None) -> dict | None:
    """The comments on the unit's KPIs (or on `kpi`) for the period, oldest first; None when the unit is
    not the caller's to see."""
    unit = resolve_unit(session, scope=scope, level=level, code=code, period=period)
    if unit is None:
        return None
    stmt = _oldest_first(unit.level, unit.key[1], period)
    if kpi is not None:
        stmt = stmt.where(Comment.kpi_code == kpi)
    return {"items": [_read(row) for row in session.scalars(stmt)]}


def delete(session: Session, *, scope: Scope, user: User, comment_id: int) -> bool | None:
    """Remove a comment (its author or an administrator; 403 for others who may see it); None when
    there is none or its unit is not the caller's to see for its period."""
    row = session.get(Comment, comment_id)
    if row is None:
        return None
    unit = resolve_unit(
        session, scope=scope, level=row.level, code=api_code(row.level, row.unit_code), period=row.period
    )
    if unit is None:
        return None
    if user.role != "admin" and row.author_user_id != user.id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the comment's author or an administrator removes it")
    before = _read(row)
    session.delete(row)
    session.flush()
    record_audit(
        session,
        actor=user,
        action="comment.delete",
        entity=f"comment:{comment_id}",
        before={k: before[k] for k in ("level", "code", "period", "kpi", "text", "author")},
    )
    return True


def card_comments(session: Session, *, level: str, unit_code: str, period: str) -> dict[str, list[dict]]:
    """The comments on a unit's KPIs for the period, by KPI code, oldest first, as a scorecard KPI
    carries them (id, text, author, created_at): one query on the comments' (level, unit, period)
    index. The caller has checked the unit is the caller's to see."""
    out: dict[str, list[dict]] = {}
    for row in session.scalars(_oldest_first(level, unit_code, period)):
        out.setdefault(row.kpi_code, []).append(
            {"id": row.id, "text": row.text, "author": row.author, "created_at": row.created_at}
        )
    return out
