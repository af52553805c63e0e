"""Scoring units: actuals from the monthly aggregates as SQL sums (app.reporting.facts), targets summed
in SQL (app.reporting.unit_targets), scored with app.analytics.scorecard.

Each KPI row carries its stretch and stretch attainment beside its target and attainment (null
without a stretch; the range's stretch as app.analytics.targets defines it, the status `stretch` as
app.analytics.scorecard does).

`card_scores`, `overview_scores` and `trend_scores` are one unit's scores as a card, its children
overview and its trend need them, cached per (unit, period, range) under the data version
(app.reporting.cache) once the caller's access to the unit was checked; `score_all` scores every
unit of the organization at once (for the precomputer). The answers and charts made of them are
built beside their routes (app.scorecards.service).
"""

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from app.analytics.actuals import actuals_from_sums
from app.analytics.freshness import mask_unloaded, not_loaded
from app.analytics.periods import month_span, range_months, shift_month
from app.analytics.scorecard import score_units
from app.analytics.targets import resolve_plans
from app.reporting import cache as figure_cache
from app.reporting.dates import data_dates
from app.reporting.facts import ALL, activity_sums, sales_sums
from app.reporting.registry import Registry, load_registry
from app.reporting.unit_targets import manual_actuals, monthly_targets, summed_targets
from app.reporting.units import Trees, Unit, card_registry, subtree


@dataclass(frozen=True)
class Scored:
    kpis: pd.DataFrame
    perspectives: pd.DataFrame
    overall: pd.Series


def _actuals(
    session: Session,
    *,
    months: list[str],
    level: str,
    unit_id,  # noqa: ANN001
    by: str | None,
    groups: list,
) -> pd.DataFrame:
    """KPI actuals over `months` of one unit's facts grouped by `by`, one row per entry of `groups`
    (the group keys, in the order wanted; [ALL] without `by`). Manual KPIs are joined by the caller."""
    sums = sales_sums(session, months=months, level=level, unit_id=unit_id, by=by)
    acts = activity_sums(session, months=months, level=level, unit_id=unit_id, by=by)
    return actuals_from_sums(sums.reindex(groups, fill_value=0), acts)


def _score_rows(
    session: Session,
    registry: Registry,
    trees: Trees,
    *,
    rows: list[tuple[Unit, str]],
    actual: pd.DataFrame,
    range_: str,
) -> Scored:
    """Score each row (a unit over the range ending at a period) given its built-in actuals (in rows'
    order), in one scoring pass; the result's entities are the rows' positions."""
    positions = pd.RangeIndex(len(rows))
    actual = actual.set_axis(positions)
    manual_parts, target_parts, stretch_parts = [], [], []
    codes = list(registry.kpis["code"])
    periods = list(dict.fromkeys(p for _, p in rows))
    plans = {}
    for period in periods:
        at = [i for i, (_, p) in enumerate(rows) if p == period]
        units = [rows[i][0] for i in at]
        # Sellers and accounts have no children: their targets are their own, no tree needed.
        has_children = any(u.level in ("company", "region", "district") for u in units)
        children = trees.at_end_of(period)[0] if has_children else {}
        plans[period] = (at, units, children, subtree(children, [u.key for u in units]))
    monthly = None
    if range_ == "month" and len(periods) > 1:
        # a trend: a month's range target is that month's own target; one query for every month
        everyone = list(dict.fromkeys(key for *_, needed in plans.values() for key in needed))
        monthly = monthly_targets(session, sorted(periods), everyone)
    for period, (at, units, children, needed) in plans.items():
        months = range_months(period, range_, registry.fiscal_start_month)
        manual_parts.append(manual_actuals(session, registry, units, months).set_axis(at))
        own = (
            monthly[monthly["month"] == period].drop(columns="month")
            if monthly is not None
            else summed_targets(session, registry, months, needed)
        )
        targets, stretches = resolve_plans(
            own, units=[u.key for u in units], children=children, additive=registry.additive, kpis=codes
        )
        target_parts.append(targets.set_axis(at))
        stretch_parts.append(stretches.set_axis(at))
    manual = pd.concat(manual_parts)
    actual = actual.join(manual) if not manual.empty else actual
    # a range ending after the latest sale (or activity) loaded: those KPIs unscored (app.analytics.freshness)
    dates = data_dates(session)
    spans = {p: range_months(p, range_, registry.fiscal_start_month) for p in periods}
    scoring, shown = mask_unloaded(
        actual,
        [(spans[p][0], spans[p][-1]) for _, p in rows],
        sales_through=dates.sales_month,
        activities_through=dates.activities_month,
    )
    kpis, persp, overall = score_units(
        scoring,
        pd.concat(target_parts),
        kpis=registry.kpis,
        perspectives=registry.perspectives,
        cap=registry.score_cap,
        stretches=pd.concat(stretch_parts),
    )
    latest = max(periods)
    if not_loaded(latest, dates.sales_month) or not_loaded(latest, dates.activities_month):
        kpis, overall = _shown(kpis, overall, shown, no_sales=[not_loaded(p, dates.sales_month) for _, p in rows])
    return Scored(kpis, persp, overall)


def _shown(
    kpis: pd.DataFrame, overall: pd.Series, shown: pd.DataFrame, no_sales: list[bool]
) -> tuple[pd.DataFrame, pd.Series]:
    """Scored rows (entities: row positions) with the actuals of `shown` (what is loaded of a range
    ending after it), and no overall score for a row whose last month has no sales loaded."""
    at = kpis["entity"].to_numpy().astype("int64")
    column = shown.columns.get_indexer(kpis["code"])
    values = shown.to_numpy(dtype="float64", na_value=np.nan)
    actual = np.where(column >= 0, values[at, np.maximum(column, 0)], kpis["actual"].to_numpy(dtype="float64"))
    return kpis.assign(actual=actual), overall.mask(np.array(no_sales, dtype=bool))


def _score(
    session: Session,
    registry: Registry,
    trees: Trees,
    *,
    units: list[Unit],
    actual: pd.DataFrame,
    period: str,
    range_: str,
) -> Scored:
    """Score `units` over the range ending at `period`, given their built-in actuals (rows in units' order);
    the result's entities are the units' keys."""
    scored = _score_rows(session, registry, trees, rows=[(u, period) for u in units], actual=actual, range_=range_)
    keys = np.empty(len(units), dtype=object)  # filled one by one: the keys are tuples, kept whole
    for i, u in enumerate(units):
        keys[i] = u.key

    def entities(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(entity=keys[frame["entity"].to_numpy().astype("int64")])

    return Scored(
        entities(scored.kpis),
        entities(scored.perspectives),
        scored.overall.set_axis(pd.Index(keys, tupleize_cols=False)),
    )


@dataclass(frozen=True)
class One:
    """One entity's part of a Scored: its KPI rows and perspective rows (as itertuples gives them, in
    order), its overall score."""

    kpis: list
    perspectives: list
    overall: float


def by_entity(scored: Scored) -> dict:
    """Each entity's part of a Scored, by entity (the overall score's index), in one pass over its rows."""
    kpis: dict = {}
    for row in scored.kpis.itertuples(index=False):
        kpis.setdefault(row.entity, []).append(row)
    persp: dict = {}
    for row in scored.perspectives.itertuples(index=False):
        persp.setdefault(row.entity, []).append(row)
    return {
        entity: One(kpis.get(entity, []), persp.get(entity, []), overall)
        for entity, overall in zip(scored.overall.index, scored.overall.to_numpy(), strict=True)
    }


def score_all(session: Session, *, period: str, range_: str) -> Scored:
    """Every unit's scorecard for the range ending at `period` in one pass: the company, each region,
    each district and each seller assigned on the period's last day (scored on all their own sales,
    as in a district's overview). One grouped query per level and fact table, one target query, one
    scoring over all units: what a month-end recompute of the whole organization costs. The result
    is indexed by each unit's key (level, code); figures equal `scorecard`'s and `children`'s."""
    registry = load_registry(session)
    trees = Trees(session)
    _, units_by_key = trees.at_end_of(period)
    months = range_months(period, range_, registry.fiscal_start_month)
    units: list[Unit] = []
    parts = []
    for level, by in (("company", None), ("region", "region"), ("district", "district"), ("seller", "seller")):
        mine = [u for key, u in units_by_key.items() if key[0] == level]
        if not mine:
            continue
        units += mine
        groups = [ALL] if by is None else [u.id for u in mine]
        parts.append(_actuals(session, months=months, level="company", unit_id=None, by=by, groups=groups))
    return _score(session, registry, trees, units=units, actual=pd.concat(parts), period=period, range_=range_)


def scores_key(kind: str, unit_key: tuple[str, str], period: str, arg: str | int) -> tuple:
    """The figure cache's key of a unit's scores of `kind` ("scorecard", "children", "trend") for
    `period` and `arg` (the range; a trend's months): what `card_scores`, `overview_scores` and
    `trend_scores` keep them under, and the precomputer puts them under."""
    return ("scored", kind, unit_key, period, arg)


@dataclass(frozen=True)
class CardScores:
    """A unit's card scored with the card's registry (`card_registry`): `now` over the range ending at
    `period`, `before` over the one ending a month earlier."""

    unit: Unit
    registry: Registry
    period: str
    range_: str
    now: One
    before: One


def card_scores(session: Session, unit: Unit, period: str, range_: str) -> CardScores:
    """`unit`'s card for the range ending at `period`, with the previous period beside it (cached)."""
    return figure_cache.get_or_compute(
        session, scores_key("scorecard", unit.key, period, range_), lambda: _card_scores(session, unit, period, range_)
    )


def _card_scores(session: Session, unit: Unit, period: str, range_: str) -> CardScores:
    registry = card_registry(load_registry(session), unit.level)
    trees = Trees(session)
    previous = shift_month(period, -1)

    actual = pd.concat(
        [
            _actuals(
                session,
                months=range_months(end, range_, registry.fiscal_start_month),
                level=unit.level,
                unit_id=unit.id,
                by=None,
                groups=[ALL],
            )
            for end in (period, previous)
        ]
    )
    both = _score_rows(session, registry, trees, rows=[(unit, period), (unit, previous)], actual=actual, range_=range_)
    parts = by_entity(both)
    return CardScores(unit, registry, period, range_, parts[0], parts[1])


@dataclass(frozen=True)
class OverviewScores:
    """Each unit below one unit (`kids`, in the overview's order) and its scores, by the kid's key."""

    unit: Unit
    period: str
    range_: str
    kids: list[Unit]
    scored: dict[tuple[str, str], One]


def overview_scores(session: Session, unit: Unit, period: str, range_: str) -> OverviewScores:
    """Each unit below `unit` (for a district, each seller in it on the period's last day), scored over
    the range ending at `period` (cached)."""
    return figure_cache.get_or_compute(
        session,
        scores_key("children", unit.key, period, range_),
        lambda: _overview_scores(session, unit, period, range_),
    )


def _overview_scores(session: Session, unit: Unit, period: str, range_: str) -> OverviewScores:
    registry = load_registry(session)
    trees = Trees(session)
    tree, units_by_key = trees.at_end_of(period)
    kids = [units_by_key[k] for k in tree.get(unit.key, [])] if unit.level != "account" else []
    if not kids:
        return OverviewScores(unit, period, range_, [], {})
    months = range_months(period, range_, registry.fiscal_start_month)
    parts = []
    for level in ("region", "district", "seller"):
        mine = [k for k in kids if k.level == level]
        if not mine:
            continue
        where: dict[str, Any]
        if level == "seller":
            # A seller's row shows the seller's own scorecard: all their sales, wherever they were made.
            where = {"level": "sellers", "unit_id": [k.id for k in mine]}
        else:
            where = {"level": unit.level, "unit_id": unit.id}
        parts.append(_actuals(session, months=months, by=level, groups=[k.id for k in mine], **where))
    # children come region first, then districts (the company's districts without a region), sellers
    order = [k for level in ("region", "district", "seller") for k in kids if k.level == level]
    scored = _score(session, registry, trees, units=order, actual=pd.concat(parts), period=period, range_=range_)
    return OverviewScores(unit, period, range_, kids, by_entity(scored))


@dataclass(frozen=True)
class TrendScores:
    """One unit's KPIs scored month by month (each month on its own), as its trend shows them: `kpis`,
    each month's scored KPIs in the scoring's order, oldest month first (period, code; actual, target,
    attainment, stretch, stretch_attainment as float64, NaN for none; status), and `overall`, each
    month's overall score (float64, NaN for none) indexed by the months, oldest first (a month with no
    KPIs too). A tenth of the memory of the scored rows: the precomputer keeps one for every unit."""

    unit: Unit
    kpis: pd.DataFrame
    overall: pd.Series


def trend_of(unit: Unit, months: list[tuple[str, One]]) -> TrendScores:
    """`unit`'s TrendScores from each month's scores, (month, scores), oldest first. Columns of Python
    objects (pandas' own string columns take as long again to build and to read); the codes and
    statuses interned, so every unit's trend shares them (half the memory)."""
    rows = [
        (month, r.code, r.actual, r.target, r.attainment, r.status, r.stretch, r.stretch_attainment)
        for month, one in months
        for r in one.kpis
    ]
    period, code, actual, target, attainment, status, stretch, stretch_att = (
        zip(*rows, strict=True) if rows else ((),) * 8
    )
    kpis = pd.DataFrame(
        {
            "period": pd.Series(period, dtype=object),
            "code": pd.Series([sys.intern(c) for c in code], dtype=object),
            "actual": np.array(actual, dtype="float64"),
            "target": np.array(target, dtype="float64"),
            "attainment": np.array(attainment, dtype="float64"),
            "status": pd.Series([sys.intern(s) for s in status], dtype=object),
            "stretch": np.array(stretch, dtype="float64"),
            "stretch_attainment": np.array(stretch_att, dtype="float64"),
        }
    )
    index = pd.Index([month for month, _ in months], dtype=object)
    return TrendScores(unit, kpis, pd.Series([one.overall for _, one in months], index=index, dtype="float64"))


def trend_scores(session: Session, unit: Unit, period: str, months: int) -> TrendScores:
    """`unit` scored for each of the `months` months through `period` (cached)."""
    return figure_cache.get_or_compute(
        session, scores_key("trend", unit.key, period, months), lambda: _trend_scores(session, unit, period, months)
    )


def _trend_scores(session: Session, unit: Unit, period: str, months: int) -> TrendScores:
    registry = card_registry(load_registry(session), unit.level)
    trees = Trees(session)
    span = month_span(shift_month(period, 1 - months), period)
    monthly = _actuals(session, months=span, level=unit.level, unit_id=unit.id, by="month", groups=span)
    scored = _score_rows(
        session, registry, trees, rows=[(unit, month) for month in span], actual=monthly, range_="month"
    )  # every month scored in one pass
    by_month = by_entity(scored)
    return trend_of(unit, [(month, by_month[i]) for i, month in enumerate(span)])
