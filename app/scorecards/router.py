"""Scorecards of sellers, districts, regions, the company and accounts.

Each answer is the JSON the figure cache keeps (checked against the route's response model when it
was computed), sent as it is: a cached answer costs no validation or serialization per request."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status

from app.analytics.periods import MONTH_PATTERN
from app.budget.service import MEDIA
from app.deps import ScopeDep, SessionDep, require_scope
from app.params import Bom, Decimal, Delimiter, Lang, Level, Period, Range, decimal_separator, invalid
from app.reporting.outlook import BadOutlook
from app.scorecards import exports, outlook, service
from app.scorecards.schemas import ChildrenOutlookRead, ChildrenRead, OutlookRead, ScorecardRead, TrendRead

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


Year = Annotated[
    int | None,
    Query(
        ge=1900,
        le=2999,
        description="the fiscal year (it starts in the configured fiscal start month of this year); default the "
        "fiscal year of as_of",
    ),
]
AsOf = Annotated[
    str | None,
    Query(
        pattern=MONTH_PATTERN,
        description="the outlook as it stood at the end of this month (nothing later is read); default the month "
        "of the latest sale (never a month still running), capped at the year's end",
    ),
]
OUTLOOK_ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    422: {
        "description": "a bad query parameter; the message names it: a year without sales, an as_of outside the "
        "year or after the latest sales loaded"
    },
}


@router.get("/{level}/{code}/outlook", response_model=OutlookRead, responses=OUTLOOK_ERRORS)
def get_outlook(
    level: Level,
    code: str,
    scope: ScopeDep,
    session: SessionDep,
    year: Year = None,
    as_of: AsOf = None,
    lang: Lang = "en",
) -> dict:
    """Where the fiscal year lands for each KPI that adds up over time: the year's target, the actual to
    date, p10/p50/p90 (the 80 % band) and the probability of reaching the target, with the band month
    by month (the method: README, "The outlook")."""
    try:
        found = outlook.outlook_answer(session, scope=scope, level=level, code=code, year=year, as_of=as_of, lang=lang)
    except BadOutlook as exc:
        raise invalid(exc.field, as_of if exc.field == "as_of" else year, str(exc)) from None
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {level} {code}")
    return found


@router.get("/{level}/{code}/children/outlook", response_model=ChildrenOutlookRead, responses=OUTLOOK_ERRORS)
def get_children_outlook(
    level: Level, code: str, scope: ScopeDep, session: SessionDep, year: Year = None, as_of: AsOf = None
) -> dict:
    """Each unit below one unit with its KPIs' year target, p50 and probability of reaching it (the team
    page's ranking)."""
    try:
        found = outlook.children_outlook_answer(session, scope=scope, level=level, code=code, year=year, as_of=as_of)
    except BadOutlook as exc:
        raise invalid(exc.field, as_of if exc.field == "as_of" else year, str(exc)) from None
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {level} {code}")
    return found


ExportTable = Annotated[
    Literal["kpis", "ranking", "heatmap", "outlook"],
    Query(
        description="`kpis`: the unit's KPIs (the scorecard's table); `ranking`: the units below, ranked "
        "as the team page ranks them, with each one's chance of the year's revenue target and each KPI's "
        "actual; `heatmap`: the heatmap's figures, each unit below × each KPI's attainment and status; "
        "`outlook`: where the fiscal year lands as of `period`, per KPI that adds up over time"
    ),
]
ExportFormat = Annotated[Literal["csv", "xlsx"], Query(alias="format")]
EXPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {MEDIA["csv"]: {"schema": {"type": "string"}}, MEDIA["xlsx"]: {"schema": {"type": "string"}}},
        "description": "the table as a file named by the table, the unit, the period and the range",
    },
    **NOT_FOUND,
    422: {
        "description": "a bad query parameter; the message names it (also: `decimal` the same as `delimiter`; "
        "the outlook of a month without sales)"
    },
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
    try:
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
    except BadOutlook as exc:  # the outlook as of a month without sales, say
        raise invalid("period", period, str(exc)) from None
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {level} {code}")
    return found
