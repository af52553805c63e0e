"""Scorecards of sellers, districts, regions, the company and accounts.

Each answer is the JSON the figure cache keeps (checked against the route's response model when it
was computed), sent as it is: a cached answer costs no validation or serialization per request."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status

from app.deps import ScopeDep, SessionDep, require_scope
from app.params import Level, Period, Range
from app.scorecards import service
from app.scorecards.schemas import ChildrenRead, ScorecardRead, TrendRead

router = APIRouter(prefix="/scorecards", tags=["scorecards"], dependencies=[Depends(require_scope("scorecards:read"))])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such unit, or not the caller's to see"}}


def _sent(found: bytes | None, level: str, code: str) -> Response:
    """The service's JSON as it is, or 404 when there is no such unit for the caller."""
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {level} {code}")
    return Response(found, media_type="application/json")


@router.get("/{level}/{code}", response_model=ScorecardRead, responses=NOT_FOUND)
def get_scorecard(
    level: Level, code: str, period: Period, scope: ScopeDep, session: SessionDep, range_: Range = "ytd"
) -> Response:
    """One unit's scorecard (level `company` takes code `-`)."""
    found = service.scorecard_json(session, scope=scope, level=level, code=code, period=period, range_=range_)
    return _sent(found, level, code)


@router.get("/{level}/{code}/children", response_model=ChildrenRead, responses=NOT_FOUND)
def get_children(
    level: Level, code: str, period: Period, scope: ScopeDep, session: SessionDep, range_: Range = "ytd"
) -> Response:
    """The units below one unit, each scored, for the leader's overview."""
    found = service.children_json(session, scope=scope, level=level, code=code, period=period, range_=range_)
    return _sent(found, level, code)


@router.get("/{level}/{code}/trend", response_model=TrendRead, responses=NOT_FOUND)
def get_trend(
    level: Level,
    code: str,
    period: Period,
    scope: ScopeDep,
    session: SessionDep,
    months: Annotated[int, Query(ge=1, le=36)] = 12,
) -> Response:
    """Every KPI month by month against its monthly target, for the `months` months through `period`."""
    found = service.trend_json(session, scope=scope, level=level, code=code, period=period, months=months)
    return _sent(found, level, code)
