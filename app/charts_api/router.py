"""Chart endpoints: Plotly figure JSON computed from the same scores as the data API.

Each route checks access as the JSON routes do (404 for a unit the caller may not see, 403 for
sellers on budgets, the same token scopes), takes frames of the same results (the scorecard
service's frames of the units' scores, `app.reporting.budget`'s reports) and hands them to the pure
figures of `app.charts`. A scorecard figure's JSON is cached under the data version: once the
caller's access to the unit is checked, a cached figure answers without the scores being fetched.
"""

from collections.abc import Callable
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app import charts
from app.access import Scope
from app.analytics.periods import MONTH_PATTERN
from app.deps import ScopeDep, SessionDep, require_scope
from app.params import BudgetScope, Lang, Level, Month, Period, Range, group_keys, invalid
from app.reporting import budget as budget_service
from app.reporting import cache as figure_cache
from app.reporting.outlook import BadOutlook
from app.reporting.registry import load_registry, name_column
from app.reporting.units import Unit, card_registry, resolve_unit
from app.scorecards import outlook as scorecard_outlook
from app.scorecards import service as scorecard_service

FIGURE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}}, "description": "a Plotly figure (data, layout)"},
    404: {"description": "no such unit, or not the caller's to see"},
}

OUTLOOK_FIGURE: dict[int | str, dict[str, Any]] = {
    **FIGURE,
    422: {
        "description": "a bad query parameter, named: a year without sales, an as_of outside it, a KPI without outlook"
    },
}

router = APIRouter(prefix="/charts", tags=["charts"])
scorecards = APIRouter(prefix="/scorecards", dependencies=[Depends(require_scope("scorecards:read"))])
budget = APIRouter(prefix="/budget", dependencies=[Depends(require_scope("budgets:read"))])


def _figure(fig: charts.Figure) -> Response:
    return Response(charts.to_json(fig), media_type="application/json")


def _cached_figure(session: Session, key: tuple, build: Callable[[], charts.Figure]) -> Response:
    """The figure's JSON from the figure cache (under the data version), built once per key. Only
    called after the caller's access to what the key names was checked."""
    body = figure_cache.get_or_compute(session, ("chart", *key), lambda: charts.to_json(build()))
    return Response(body, media_type="application/json")


def _not_found(level: str, code: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no {level} {code}")


def _unit_figure(
    session: SessionDep,
    scope: ScopeDep,
    level: str,
    code: str,
    period: str,
    key: tuple,
    draw: Callable[[Unit, frozenset[str]], charts.Figure],
    months: list[str] | None = None,
) -> Response:
    """A figure of one unit for `period`: 404 unless the caller may see the unit for that period (checked
    on every request, so a figure another caller put in the cache never answers for this one); then the
    figure's JSON from the figure cache, drawn by `draw(unit, hidden)` from the service's frames only
    when the cache has no figure for `key`. `months`: the other months the figure shows; those the
    caller may not see (`hidden`) are blanked in the frames, so the figure is cached under them too
    (still not under the caller: every caller missing the same months shares it)."""
    unit = resolve_unit(session, scope=scope, level=level, code=code, period=period)
    if unit is None:
        raise _not_found(level, code)
    hidden = scorecard_service.unseen_months(scope, unit, months or [])
    if hidden:
        key = (*key, ("hidden", *sorted(hidden)))
    return _cached_figure(session, key, lambda: draw(unit, hidden))


@scorecards.get("/{level}/{code}/kpis", responses=FIGURE)
def kpi_bullets(
    level: Level,
    code: str,
    period: Period,
    scope: ScopeDep,
    session: SessionDep,
    range_: Range = "ytd",
    lang: Lang = "en",
) -> Response:
    """Bullet chart of every KPI of one unit's scorecard: attainment against the thresholds, status."""

    def draw(unit: Unit, _hidden: frozenset[str]) -> charts.Figure:
        return charts.kpi_bullets(scorecard_service.kpi_rows(session, unit, period, range_, lang), lang=lang)

    return _unit_figure(session, scope, level, code, period, ("kpis", level, code, period, range_, lang), draw)


@scorecards.get("/{level}/{code}/perspectives", responses=FIGURE)
def perspective_bars(
    level: Level,
    code: str,
    period: Period,
    scope: ScopeDep,
    session: SessionDep,
    range_: Range = "ytd",
    lang: Lang = "en",
) -> Response:
    """One unit's perspective scores, with the previous month's beside them."""

    def draw(unit: Unit, hidden: frozenset[str]) -> charts.Figure:
        frame = scorecard_service.perspective_rows(session, unit, period, range_, lang, hidden)
        return charts.perspective_bars(frame, lang=lang)

    key = ("perspectives", level, code, period, range_, lang)
    months = scorecard_service.covered_months("scorecard", period, range_)
    return _unit_figure(session, scope, level, code, period, key, draw, months=months)


@scorecards.get("/{level}/{code}/trend", responses=FIGURE)
def kpi_trend(
    level: Level,
    code: str,
    period: Period,
    scope: ScopeDep,
    session: SessionDep,
    kpi: Annotated[str, Query(description="the KPI code", examples=["revenue"])] = "revenue",
    months: Annotated[int, Query(ge=1, le=36)] = 12,
    lang: Lang = "en",
) -> Response:
    """One KPI of one unit month by month against its monthly target."""
    registry = card_registry(load_registry(session), level)  # an account's has fewer KPIs
    codes = list(registry.kpis["code"])
    if kpi not in codes:
        raise invalid(
            "kpi", kpi, f"unknown or inactive KPI {kpi!r}; the KPIs of a {level}'s card are {', '.join(codes)}"
        )

    def draw(unit: Unit, hidden: frozenset[str]) -> charts.Figure:
        kpis = registry.kpis.set_index("code")
        return charts.kpi_trend(
            scorecard_service.trend_points(session, unit, period, months, kpi, hidden),
            name=str(kpis.at[kpi, name_column(lang)]),
            unit=str(kpis.at[kpi, "unit"]),
            thresholds=(float(kpis.at[kpi, "amber_threshold"]), float(kpis.at[kpi, "green_threshold"])),
            lang=lang,
        )

    key = ("trend", level, code, period, kpi, months, lang)
    covered = scorecard_service.covered_months("trend", period, months)
    return _unit_figure(session, scope, level, code, period, key, draw, months=covered)


@scorecards.get("/{level}/{code}/outlook", responses=OUTLOOK_FIGURE)
def outlook_fan(
    level: Level,
    code: str,
    scope: ScopeDep,
    session: SessionDep,
    year: Annotated[int | None, Query(ge=1900, le=2999, description="the fiscal year; default that of as_of")] = None,
    as_of: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM; default as the outlook's")] = None,
    kpi: Annotated[str, Query(description="a KPI that adds up over time", examples=["revenue"])] = "revenue",
    lang: Lang = "en",
) -> Response:
    """One KPI's outlook as a fan: the year to date, the 80 % band and p50 to the year's end, the target."""
    try:
        answer = scorecard_outlook.outlook_answer(
            session, scope=scope, level=level, code=code, year=year, as_of=as_of, lang=lang
        )
    except BadOutlook as exc:
        raise invalid(exc.field, as_of if exc.field == "as_of" else year, str(exc)) from None
    if answer is None:
        raise _not_found(level, code)
    codes = [r["kpi"] for r in answer["kpis"]]
    if kpi not in codes:
        raise invalid("kpi", kpi, f"no outlook for {kpi!r}; a {level}'s outlook has {', '.join(codes)}")
    return _figure(charts.outlook_fan(answer, kpi, lang=lang))


@scorecards.get("/{level}/{code}/heatmap", responses=FIGURE)
def team_heatmap(
    level: Level,
    code: str,
    period: Period,
    scope: ScopeDep,
    session: SessionDep,
    range_: Range = "ytd",
    lang: Lang = "en",
) -> Response:
    """The units (or sellers) below one unit × KPIs, coloured by attainment, ranked by overall score."""

    def draw(unit: Unit, _hidden: frozenset[str]) -> charts.Figure:
        kpis = load_registry(session).kpis
        att, st = scorecard_service.team_frames(session, unit, period, range_, lang)
        names = list(kpis[name_column(lang)])
        thresholds = dict(zip(names, zip(kpis["amber_threshold"], kpis["green_threshold"], strict=True), strict=True))
        return charts.team_heatmap(att, st, lang=lang, thresholds=thresholds)

    return _unit_figure(session, scope, level, code, period, ("heatmap", level, code, period, range_, lang), draw)


def _variance(session: Session, scope: Scope, from_: str, to: str, by: str, per_month: bool) -> budget_service.Report:
    keys = group_keys(by)
    try:
        budget_service.check_range(from_, to)
    except ValueError as exc:
        raise invalid("to", f"{from_}..{to}", str(exc)) from None
    return budget_service.variance_report(session, scope=scope, from_=from_, to=to, by=keys, per_month=per_month)


FromQ = Annotated[
    str, Query(alias="from", pattern=MONTH_PATTERN, description="first month, YYYY-MM; not after `to` (422 otherwise)")
]
ByQ = Annotated[str, Query(description="comma-separated group keys, as for /budget/variance")]


@budget.get("/monthly", responses=FIGURE)
def budget_vs_actual(
    from_: FromQ, to: Month, scope: BudgetScope, session: SessionDep, by: ByQ = "district", lang: Lang = "en"
) -> Response:
    """Budget and actual per month over the range (summed over the groups), with cumulative lines."""
    report = _variance(session, scope, from_, to, by, per_month=True)
    months = budget_service.check_range(from_, to)
    rows = report.rows

    def per_month(column: str) -> pd.Series:
        # the groups' cents summed per month (exact); a month where a group has no figure (budgets
        # with by=seller) has none; a month without rows is 0
        cents = (rows[column] * 100).round()
        has_null = cents.isna().groupby(rows["period"]).any()
        return (cents.groupby(rows["period"]).sum().where(~has_null) / 100).reindex(months, fill_value=0.0)

    monthly = pd.DataFrame(
        {
            "period": months,
            "budget_amount": per_month("budget_amount").to_numpy(),
            "actual_amount": per_month("actual_amount").to_numpy(),
        }
    )
    return _figure(charts.budget_vs_actual(monthly, lang=lang))


@budget.get("/waterfall", responses=FIGURE)
def variance_waterfall(
    from_: FromQ, to: Month, scope: BudgetScope, session: SessionDep, by: ByQ = "district", lang: Lang = "en"
) -> Response:
    """From budget through price, volume and mix to actual, over the range (the variance totals)."""
    report = _variance(session, scope, from_, to, by, per_month=False)
    totals = (
        report.totals
        if not report.rows.empty
        else {"budget_amount": 0.0, "price_effect": 0.0, "volume_effect": 0.0, "mix_effect": 0.0, "actual_amount": 0.0}
    )
    return _figure(charts.variance_waterfall(totals, lang=lang))


@budget.get("/forecast", responses=FIGURE)
def forecast_bars(
    year: Annotated[int, Query(ge=1900, le=2999)],
    scope: BudgetScope,
    session: SessionDep,
    as_of: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
    by: ByQ = "district",
    lang: Lang = "en",
) -> Response:
    """Where the year lands by each forecast method (the forecast totals) beside the budget."""
    keys = group_keys(by)
    try:
        report, _used = budget_service.forecast_report(session, scope=scope, year=year, as_of=as_of, by=keys)
    except ValueError as exc:
        raise invalid("as_of", as_of, str(exc)) from None
    return _figure(charts.forecast_bars(report.totals if not report.rows.empty else {}, lang=lang))


router.include_router(scorecards)
router.include_router(budget)
