"""GET /audit: administrators read the audit trail. There is deliberately no route that changes it."""

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BeforeValidator

from app.audit import service
from app.audit.schemas import AuditEventRead, AuditPage
from app.deps import AdminUser, SessionDep

router = APIRouter(prefix="/audit", tags=["audit"])

MAX_LIMIT = 500
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    # pydantic also takes a number as a Unix time (`to=0` was 1 January 1970): a filter is a day as written.
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date, YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_date)]
FORBIDDEN: dict[int | str, dict[str, Any]] = {403: {"description": "not an administrator, or called with an API token"}}


@router.get("", response_model=AuditPage, responses=FORBIDDEN)
def list_audit(
    admin: AdminUser,
    session: SessionDep,
    action: Annotated[
        str | None, Query(max_length=64, description="`kpi` matches `kpi.create` and `kpi.update`")
    ] = None,
    entity: Annotated[str | None, Query(max_length=300, description="`kpi` matches every `kpi:<code>`")] = None,
    actor: Annotated[str | None, Query(max_length=254, description="an e-mail, or `cli:<os user>`")] = None,
    date_from: Annotated[
        Day | None,
        Query(alias="from", description="first day (UTC), YYYY-MM-DD, inclusive; not after `to` (422 otherwise)"),
    ] = None,
    date_to: Annotated[Day | None, Query(alias="to", description="last day (UTC), YYYY-MM-DD, inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> AuditPage:
    """Recorded changes, newest first, filtered and paged (administrators)."""
    if date_from and date_to and date_from > date_to:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "from: must not be after to")
    filters = service.AuditFilter(
        action=action or None, entity=entity or None, actor=actor or None, date_from=date_from, date_to=date_to
    )
    rows, total = service.list_events(session, filters, limit=limit, offset=offset)
    return AuditPage(items=[AuditEventRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get(
    "/{event_id}", response_model=AuditEventRead, responses={**FORBIDDEN, 404: {"description": "no such event"}}
)
def read_audit_event(
    event_id: Annotated[int, Path(ge=1, le=2**31 - 1)], admin: AdminUser, session: SessionDep
) -> AuditEventRead:
    """One recorded change (administrators)."""
    event = service.get_event(session, event_id)
    if event is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no audit event {event_id}")
    return AuditEventRead.model_validate(event)
