"""The scorecard answers (a unit's card, its children overview, its trend) and the frames the
scorecard charts are drawn from, for what the caller may see.

Scores come from app.reporting.scorecards. An answer is cached per (unit, period, range) under the
data version (app.reporting.cache) as the JSON the API sends, after the caller's access to the unit
was checked; `precompute` makes them for the whole organization at once (app.precompute). The
charts' frames are made from the same scores (not from the answers' JSON), with the months the
caller may not see blanked as in the answers; `precompute_with_scores` gives those scores too.
"""

import json
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from app.access import Scope
from app.analytics.freshness import not_loaded
from app.analytics.periods import month_span, range_months, shift_month
from app.reporting import cache as figure_cache
from app.reporting.dates import data_dates
from app.reporting.registry import Registry, load_registry, name_column
from app.reporting.scorecards import (
    CardScores,
    One,
    OverviewScores,
    TrendScores,
    by_entity,
    card_scores,
    overview_scores,
    score_all,
    scores_key,
    trend_of,
    trend_scores,
)
from app.reporting.units import Trees, Unit, card_registry, resolve_unit
from app.scorecards.schemas import ChildrenRead, ScorecardRead, TrendRead
from app.steering.comments import card_comments

# The API's schema of each kind of answer, by the first part of its cache key.
_SCHEMAS: dict[str, TypeAdapter[Any]] = {
    "scorecard": TypeAdapter(ScorecardRead),
    "children": TypeAdapter(ChildrenRead),
    "trend": TypeAdapter(TrendRead),
}


def _pack(kind: str, answer: dict) -> bytes:
    """An answer as the figure cache keeps it: the JSON the API sends, checked against its schema once
    when computed (so a cached answer goes out as it is), a fifth of the memory of the dicts. Floats
    come back exactly; there are no NaNs, `_num` made them None. Each caller unpacks its own dict."""
    adapter = _SCHEMAS[kind]
    return adapter.dump_json(adapter.validate_python(answer))


def _unpack(packed: bytes | None) -> dict | None:
    return None if packed is None else json.loads(packed)


def _num(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)


def _brief(row) -> dict:  # noqa: ANN001
    """A scored KPI row as the overview and the trend show it (the stretch and its attainment null
    without a stretch)."""
    return {
        "actual": _num(row.actual),
        "target": _num(row.target),
        "attainment": _num(row.attainment),
        "status": row.status,
        "stretch": _num(row.stretch),
        "stretch_attainment": _num(row.stretch_attainment),
    }


def scorecard(session: Session, *, scope: Scope, level: str, code: str, period: str, range_: str) -> dict | None:
    """One unit's scorecard for the range ending at `period`, with the previous period beside it;
    None when there is no such unit or it is not the caller's to see."""
    return _unpack(scorecard_json(session, scope=scope, level=level, code=code, period=period, range_=range_))


def scorecard_json(session: Session, *, scope: Scope, level: str, code: str, period: str, range_: str) -> bytes | None:
    """`scorecard` as the API sends it (JSON of app.scorecards.schemas.ScorecardRead), with the
    comments on its KPIs for the period (`_with_comments`)."""
    packed = _answer(
        session,
        scope,
        "scorecard",
        level,
        code,
        (period, range_),
        lambda unit: _scorecard(session, card_scores(session, unit, period, range_)),
    )
    return None if packed is None else _with_comments(session, packed, level, code, period)


def _with_comments(session: Session, packed: bytes, level: str, code: str, period: str) -> bytes:
    """The card `packed` with each KPI's comments for `period`. Comments do not count the data version
    up, so the cached answer holds none: they are looked up per request (one query on their index)
    and merged into a copy; a unit without comments gets the cached bytes as they are."""
    found = card_comments(session, level=level, unit_code="" if level == "company" else code, period=period)
    if not found:
        return packed
    answer = json.loads(packed)
    for p in answer["perspectives"]:
        for k in p["kpis"]:
            k["comments"] = found.get(k["code"], [])
    return _pack("scorecard", answer)


def _answer(
    session: Session, scope: Scope, kind: str, level: str, code: str, args: tuple, compute: Callable[[Unit], dict]
) -> bytes | None:
    """The `kind` answer for the unit, packed, from the figure cache under (kind, unit, *args), made by
    `compute(unit)` when missing; None when there is no such unit or it is not the caller's to see for
    the period (`args[0]`; a trend's is the last month's). The other months the answer shows
    (`covered_months`) are checked too: those the caller may not see are blanked (`_redact`)."""
    unit = resolve_unit(session, scope=scope, level=level, code=code, period=args[0])
    if unit is None:
        return None
    packed = figure_cache.get_or_compute(session, (kind, unit.key, *args), lambda: _pack(kind, compute(unit)))
    # The cached answer is everyone's; the months of it this caller may not see are blanked in a copy
    # (a moved seller's new leader, a trend or a card's previous period reaching back before the move).
    hidden = unseen_months(scope, unit, covered_months(kind, *args))
    return _redact(kind, packed, hidden) if hidden else packed


def covered_months(kind: str, period: str, arg: str | int) -> list[str]:
    """The months of a `kind` answer (under its cache key's args) besides its own period, whose
    figures it shows: a trend's months, a card's previous period; none for an overview."""
    if kind == "trend":
        return month_span(shift_month(period, 1 - int(arg)), period)
    if kind == "scorecard":
        return [shift_month(period, -1)]
    return []


def unseen_months(scope: Scope, unit: Unit, months: list[str]) -> frozenset[str]:
    """Those of `months` in which the caller may not see `unit`: only a seller's, for a leader the
    seller moved to or away from (app.access); empty for everyone else, the common case."""
    if scope.everything or unit.level != "seller" or unit.id is None or not months:
        return frozenset()
    return frozenset(m for m in months if not scope.sees_seller(unit.id, m))


_BLANK = {
    "actual": None,
    "target": None,
    "attainment": None,
    "status": "none",
    "stretch": None,
    "stretch_attainment": None,
}


def _redact(kind: str, packed: bytes, hidden: frozenset[str]) -> bytes:
    """`packed` with the figures of the `hidden` months blanked: a trend keeps each month as a point
    (so a chart's axis keeps its months) with its score null and its KPIs null and 'none'; a card's
    previous period's scores and KPIs the same. Parsed and packed again: the rare path."""
    answer = json.loads(packed)
    if kind == "trend":
        for point in answer["points"]:
            if point["period"] in hidden:
                point["overall_score"] = None
                point["kpis"] = {code: dict(_BLANK) for code in point["kpis"]}
    elif kind == "scorecard" and answer["previous_period"] in hidden:
        answer["previous_overall_score"] = None
        for p in answer["perspectives"]:
            p["previous_score"] = None
            for k in p["kpis"]:
                k["previous"] = dict(_BLANK)
    return _pack(kind, answer)


def _scorecard(session: Session, scores: CardScores) -> dict:
    """The scorecard answer of `scores`, with what is loaded for its period."""
    now, before = scores.now, scores.before
    fresh = _freshness(session, scores.period)
    return _card(scores.unit, scores.registry, scores.period, scores.range_, now, before, fresh=fresh)


def _card(unit: Unit, registry: Registry, period: str, range_: str, now: One, before: One, *, fresh: dict) -> dict:
    """The scorecard answer: `now` scored over the range ending at `period`, `before` over the one
    ending a month earlier; `fresh`: what is loaded (`_freshness`)."""
    prev_kpis = {r.code: r for r in before.kpis}
    prev_persp = {p.key: p.score for p in before.perspectives}
    perspectives = []
    for p in now.perspectives:
        rows = [k for k in now.kpis if k.perspective == p.key]
        perspectives.append(
            {
                "key": p.key,
                "name": p.name,
                "name_nb": p.name_nb,
                "weight": float(p.weight),
                "score": _num(p.score),
                "previous_score": _num(prev_persp.get(p.key)),
                "kpis": [
                    {
                        "code": k.code,
                        "name": k.name,
                        "name_nb": k.name_nb,
                        "unit": k.unit,
                        "direction": k.direction,
                        "green_threshold": float(k.green_threshold),
                        "amber_threshold": float(k.amber_threshold),
                        **_brief(k),
                        "score": _num(k.score),
                        "previous": _brief(prev_kpis[k.code]),
                    }
                    for k in rows
                ],
            }
        )
    return {
        "level": unit.level,
        "code": unit.code,
        "name": unit.name,
        "period": period,
        "range": range_,
        "months": range_months(period, range_, registry.fiscal_start_month),
        "overall_score": _num(now.overall),
        "previous_period": shift_month(period, -1),
        "previous_overall_score": _num(before.overall),
        "perspectives": perspectives,
        **fresh,
    }


def children(session: Session, *, scope: Scope, level: str, code: str, period: str, range_: str) -> dict | None:
    """Each unit below one unit (for a district, each seller in it on the period's last day), scored;
    None when there is no such unit or it is not the caller's to see."""
    return _unpack(children_json(session, scope=scope, level=level, code=code, period=period, range_=range_))


def children_json(session: Session, *, scope: Scope, level: str, code: str, period: str, range_: str) -> bytes | None:
    """`children` as the API sends it (JSON of app.scorecards.schemas.ChildrenRead)."""
    return _answer(
        session,
        scope,
        "children",
        level,
        code,
        (period, range_),
        lambda unit: _children(session, unit, period, range_),
    )


def _children(session: Session, unit: Unit, period: str, range_: str) -> dict:
    scores = overview_scores(session, unit, period, range_)
    return {
        "level": unit.level,
        "code": unit.code,
        "name": unit.name,
        "period": period,
        "range": range_,
        "children": _overview_rows(scores.kids, scores.scored),
        **_freshness(session, period),
    }


def _overview_rows(kids: list[Unit], scored: dict[tuple[str, str], One]) -> list[dict]:
    """The children overview's rows: each of `kids` with its overall score and its KPIs in brief."""
    return [
        {
            "level": k.level,
            "code": k.code,
            "name": k.name,
            "overall_score": _num(scored[k.key].overall),
            "kpis": {r.code: _brief(r) for r in scored[k.key].kpis},
        }
        for k in kids
    ]


def trend(session: Session, *, scope: Scope, level: str, code: str, period: str, months: int) -> dict | None:
    """One unit's KPIs month by month (each month on its own) for the `months` months through `period`;
    None when there is no such unit or it is not the caller's to see."""
    return _unpack(trend_json(session, scope=scope, level=level, code=code, period=period, months=months))


def trend_json(session: Session, *, scope: Scope, level: str, code: str, period: str, months: int) -> bytes | None:
    """`trend` as the API sends it (JSON of app.scorecards.schemas.TrendRead)."""
    return _answer(
        session,
        scope,
        "trend",
        level,
        code,
        (period, months),
        lambda unit: _trend_answer(trend_scores(session, unit, period, months)),
    )


def _trend_answer(scores: TrendScores) -> dict:
    """The trend answer of `scores`: each month, in order, with its KPIs in the scoring's order."""
    kpis: dict[str, dict] = {month: {} for month in scores.overall.index}
    for r in scores.kpis.itertuples(index=False):
        kpis[r.period][r.code] = _brief(r)
    points = [
        {"period": month, "overall_score": _num(overall), "kpis": kpis[month]}
        for month, overall in scores.overall.items()
    ]
    unit = scores.unit
    return {"level": unit.level, "code": unit.code, "name": unit.name, "points": points}


def _freshness(session: Session, period: str) -> dict:
    """The answer's fields on what is loaded: the latest sale's date, and whether `period` has sales
    and activities loaded yet."""
    dates = data_dates(session)
    return {
        "data_through": dates.sales_through,
        "no_sales_yet": not_loaded(period, dates.sales_month),
        "no_activities_yet": not_loaded(period, dates.activities_month),
    }


Scores = CardScores | OverviewScores | TrendScores


def precompute(session: Session, *, period: str, range_: str = "ytd", months: int = 12) -> dict[Hashable, bytes]:
    """What `scorecard`, `children` and `trend` answer for every unit of the organization at the end of
    `period` (accounts aside): each unit's card and overview for `range_` and its `months`-month trend,
    keyed and packed as those functions cache them. Computed with `score_all` over the whole
    organization, once per period needed (the range, the one before it, each month of the trend): at
    2,000 sellers that costs what a few dozen units cost one at a time. A unit missing from the
    organization in one of those periods (a seller who joined later) is left out of the card or the
    trend that needs it: those are computed when asked, as any other."""
    return precompute_with_scores(session, period=period, range_=range_, months=months)[0]


def precompute_with_scores(
    session: Session, *, period: str, range_: str = "ytd", months: int = 12
) -> tuple[dict[Hashable, bytes], dict[Hashable, Scores]]:
    """`precompute`'s answers, and the scores the card, overview and trend charts' frames are made of
    for the same units (what `card_scores`, `overview_scores` and `trend_scores` give), keyed as those
    cache them: made of the same bulk scoring, so those charts' first view after an import costs
    drawing them, not scoring the unit. The rows of a `One` here say which unit they are (`entity`)
    where the unit's own scoring says which row of its pass; nothing reads it past `by_entity` (a
    `TrendScores` keeps no `entity`). The trend answers are made of the same `TrendScores`."""
    registry = load_registry(session)
    tree, units_by_key = Trees(session).at_end_of(period)
    now = by_entity(score_all(session, period=period, range_=range_))
    before = by_entity(score_all(session, period=shift_month(period, -1), range_=range_))
    span = month_span(shift_month(period, 1 - months), period)
    monthly = [
        now if (month, range_) == (period, "month") else by_entity(score_all(session, period=month, range_="month"))
        for month in span
    ]
    out: dict[Hashable, bytes] = {}
    scores: dict[Hashable, Scores] = {}
    fresh = _freshness(session, period)
    for key, unit in units_by_key.items():
        if key in before:
            out[("scorecard", key, period, range_)] = _pack(
                "scorecard", _card(unit, registry, period, range_, now[key], before[key], fresh=fresh)
            )
            scores[scores_key("scorecard", key, period, range_)] = CardScores(
                unit, card_registry(registry, unit.level), period, range_, now[key], before[key]
            )
        if unit.level != "seller":
            kids = [units_by_key[k] for k in tree.get(key, [])]
            out[("children", key, period, range_)] = _pack(
                "children",
                {
                    "level": unit.level,
                    "code": unit.code,
                    "name": unit.name,
                    "period": period,
                    "range": range_,
                    "children": _overview_rows(kids, now),
                    **fresh,
                },
            )
            scores[scores_key("children", key, period, range_)] = OverviewScores(
                unit, period, range_, kids, {k.key: now[k.key] for k in kids}
            )
        if all(key in scored for scored in monthly):
            trend = trend_of(unit, [(month, scored[key]) for month, scored in zip(span, monthly, strict=True)])
            out[("trend", key, period, months)] = _pack("trend", _trend_answer(trend))
            scores[scores_key("trend", key, period, months)] = trend
    return out, scores


# --- the charts' frames, from the scores ----------------------------------------------------------


def _named(row, lang: str) -> str:  # noqa: ANN001
    """A registry row's (a KPI's or a perspective's) name in `lang`."""
    return str(getattr(row, name_column(lang)))


def kpi_rows(session: Session, unit: Unit, period: str, range_: str, lang: str) -> pd.DataFrame:
    """The KPIs of `unit`'s card for the range ending at `period`, in the card's order (perspective by
    perspective): code, name (in `lang`), unit, direction, actual, target, attainment, status, stretch,
    stretch_attainment, amber_threshold, green_threshold. Only the period itself (the caller may see
    the unit for it) is shown."""
    now = card_scores(session, unit, period, range_).now
    rows = [
        {
            "code": k.code,
            "name": _named(k, lang),
            "unit": k.unit,
            "direction": k.direction,
            **_brief(k),
            "amber_threshold": float(k.amber_threshold),
            "green_threshold": float(k.green_threshold),
        }
        for p in now.perspectives
        for k in now.kpis
        if k.perspective == p.key
    ]
    columns = [
        "code",
        "name",
        "unit",
        "direction",
        "actual",
        "target",
        "attainment",
        "status",
        "stretch",
        "stretch_attainment",
        "amber_threshold",
        "green_threshold",
    ]
    return pd.DataFrame(rows, columns=columns)


def perspective_rows(
    session: Session, unit: Unit, period: str, range_: str, lang: str, hidden: frozenset[str]
) -> pd.DataFrame:
    """The perspectives of `unit`'s card for the range ending at `period`: key, name (in `lang`), score,
    previous_score (the range ending a month earlier; null when that month is in `hidden`, the months
    the caller may not see, as `_redact` blanks the card)."""
    scores = card_scores(session, unit, period, range_)
    shown = shift_month(period, -1) not in hidden
    previous = {p.key: p.score for p in scores.before.perspectives} if shown else {}
    rows = [
        {"key": p.key, "name": _named(p, lang), "score": _num(p.score), "previous_score": _num(previous.get(p.key))}
        for p in scores.now.perspectives
    ]
    return pd.DataFrame(rows, columns=["key", "name", "score", "previous_score"])


def trend_points(
    session: Session, unit: Unit, period: str, months: int, kpi: str, hidden: frozenset[str]
) -> pd.DataFrame:
    """One KPI of `unit` month by month for the `months` months through `period`, oldest first: period,
    actual, target, attainment, status, stretch, stretch_attainment; a month in `hidden` (those the
    caller may not see) blanked, as `_redact` blanks the trend."""
    scores = trend_scores(session, unit, period, months)
    rows: dict = {}  # each month's first row of the KPI
    for r in scores.kpis.itertuples(index=False):
        if r.code == kpi:
            rows.setdefault(r.period, r)
    points = []
    for month in scores.overall.index:
        row = rows.get(month)
        if month in hidden:
            points.append({"period": month, **_BLANK})
        else:
            points.append({"period": month, **(_brief(row) if row is not None else {})})
    columns = ["period", "actual", "target", "attainment", "status", "stretch", "stretch_attainment"]
    return pd.DataFrame(points, columns=columns)


def team_frames(session: Session, unit: Unit, period: str, range_: str, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The units below `unit` × the registry's KPIs for the range ending at `period`, ranked by overall
    score (the best first; those without one last), then code: (attainment, status), each indexed by
    'name (code)', with the KPIs' names in `lang` as columns."""
    kpis = load_registry(session).kpis
    scores = overview_scores(session, unit, period, range_)
    overall = {k.key: _num(scores.scored[k.key].overall) for k in scores.kids}
    kids = sorted(scores.kids, key=lambda k: (overall[k.key] is None, -(overall[k.key] or 0), k.code))
    rows = [f"{k.name} ({k.code})" for k in kids]
    names = list(kpis[name_column(lang)])
    briefs = [{r.code: _brief(r) for r in scores.scored[k.key].kpis} for k in kids]
    attainment = pd.DataFrame(
        [[b.get(code, {}).get("attainment") for code in kpis["code"]] for b in briefs],
        index=rows,
        columns=names,
        dtype="float64",
    )
    status = pd.DataFrame(
        [[b.get(code, {}).get("status", "none") for code in kpis["code"]] for b in briefs],
        index=rows,
        columns=names,
        dtype="object",
    )
    return attainment, status
