"""Scorecards of sellers, districts, regions, the company and accounts.

Each answer is the JSON the figure cache keeps (checked against the route's response model when it
was computed), sent as it is: a cached answer costs no validation or serialization per request."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status

from app.budget.service import MEDIA
from app.deps import ScopeDep, SessionDep, require_scope
from app.params import Bom, Decimal, Delimiter, Level, Period, Range, decimal_separator
from app.scorecards import exports, service
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


ExportTable = Annotated[
    Literal["kpis", "ranking", "heatmap"],
    Query(
        description="`kpis`: the unit's KPIs (the scorecard's table); `ranking`: the units below, ranked "
        "as the team page ranks them, with each KPI's actual; `heatmap`: the heatmap's figures, each unit "
        "below × each KPI's attainment and status"
    ),
]
ExportFormat = Annotated[Literal["csv", "xlsx"], Query(alias="format")]
EXPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {MEDIA["csv"]: {"schema": {"type": "string"}}, MEDIA["xlsx"]: {"schema": {"type": "string"}}},
        "description": "the table as a file named by the table, the unit, the period and the range",
    },
    **NOT_FOUND,
    422: {"description": "a bad query parameter; the message names it (also: `decimal` the same as `delimiter`)"},
}


@router.get("/{level}/{code}/export", response_class=Response, responses=EXPORT)
def get_export(
    level: Level,
    code: str,
    period: Period,
    table: ExportTable,
    scope: ScopeDep,
    session: SessionDep,
    range_: Range = "ytd",
    fmt: ExportFormat = "csv",
    lang: Annotated[Literal["en", "nb"], Query(description="language of the headers and words: `nb` bokmål")] = "en",
    delimiter: Delimiter = ",",
    decimal: Decimal = None,
    bom: Bom = False,
) -> Response:
    """A table the scorecard pages show, as CSV or XLSX: the unit's KPIs, the ranking of the units below
    it, or the heatmap's figures (access as for the scorecard and its children)."""
    separator = decimal_separator(delimiter, decimal)
    found = exports.table_export(
        session,
        scope=scope,
        level=level,
        code=code,
        period=period,
        range_=range_,
        table=table,
        fmt=fmt,
        lang=lang,
        delimiter=delimiter,
        decimal=separator,
        bom=bom,
    )
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {level} {code}")
    return found
