"""Scorecards and the leader's children overview, for what the caller may see.

Actuals come from the monthly aggregates as SQL sums (app.reporting.facts); targets are summed in
SQL too. A computed card, overview or trend is cached per (unit, period, range) under the data
version (app.reporting.cache), as JSON, after the caller's access to the unit was checked;
`precompute` computes them for the whole organization at once (app.reporting.precompute).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd
from pydantic import TypeAdapter
from sqlalchemy import BigInteger, Float, and_, cast, func, or_, select, tuple_
from sqlalchemy.orm import Session

from app.access import Scope
from app.analytics.actuals import actuals_from_sums
from app.analytics.freshness import mask_unloaded, not_loaded
from app.analytics.periods import month_end_iso, month_span, month_start, range_months, shift_month
from app.analytics.scorecard import score_units
from app.analytics.targets import SCALE, from_units, range_targets, resolve_targets, units_of_float_sums
from app.models import Account, District, KpiValue, Region, Seller, SellerDistrict, Target
from app.reporting import cache as figure_cache
from app.reporting import sql
from app.reporting.dates import data_dates
from app.reporting.facts import ALL, activity_sums, read_frame, sales_sums
from app.reporting.registry import Registry, load_registry
from app.scorecards.schemas import ChildrenRead, ScorecardRead, TrendRead

LEVELS = ("seller", "district", "region", "company", "account")
COMPANY_CODE = "-"


@dataclass(frozen=True)
class Unit:
    level: str
    id: int | None
    code: str
    name: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.level, "" if self.level == "company" else self.code)


_UNIT_MODELS = {"seller": Seller, "district": District, "region": Region, "account": Account}


def resolve_unit(session: Session, *, scope: Scope, level: str, code: str, period: str | None = None) -> Unit | None:
    """The unit asked for, or None when it does not exist or is not the caller's to see (for `period`:
    a seller is a leader's to see for the periods the seller belonged to one of the leader's units on
    the period's last day, app.access). Only the unit is cached; the check runs on every call, before
    any cached figure of the unit is looked up."""
    if level == "company":
        return Unit("company", None, COMPANY_CODE, "Company") if code == COMPANY_CODE and scope.sees_company() else None
    if level not in _UNIT_MODELS:
        return None
    # Units change only through imports, which count the data version up: cached under it (units
    # that exist only; a code that does not is asked for again, so made-up codes take no room).
    found = figure_cache.get_or_compute(
        session, ("unit", level, code), lambda: _read_unit(session, level, code), keep=lambda found: found is not None
    )
    if found is None:
        return None
    unit, district_id = found
    visible = {
        "seller": lambda: scope.sees_seller(unit.id, period),
        "district": lambda: scope.sees_district(unit.id),
        "region": lambda: scope.sees_region(unit.id),
        "account": lambda: scope.sees_account(unit.id, district_id),
    }[level]()
    return unit if visible else None


# The perspective of the KPIs about the people who sell (training hours, coaching sessions): not
# a figure of a customer, so an account's card leaves it out.
PEOPLE_PERSPECTIVE = "learning"


def card_registry(registry: Registry, level: str) -> Registry:
    """The registry a `level` unit's card and trend are scored with. An account's leaves out the KPIs
    about people, read from the registry: those of the learning & growth perspective (built in:
    training_hours and coaching_sessions; also any manual KPI an administrator puts there), and that
    perspective, so the overall score renormalizes over the other three. The rest stay: the sales
    KPIs, and the activities that carry an account code (csat, meetings, proposals, won/lost for
    hit_rate). On one account the customer counts read as "bought in the range" (active_customers
    0 or 1), "first bought in the range" (new_customers) and key_account_share as 100 % or 0."""
    if level != "account":
        return registry
    kpis = registry.kpis[registry.kpis["perspective"] != PEOPLE_PERSPECTIVE].reset_index(drop=True)
    kept = registry.perspectives["key"].isin(set(kpis["perspective"]))
    return replace(registry, kpis=kpis, perspectives=registry.perspectives[kept].reset_index(drop=True))


def known_units(session: Session, period: str) -> dict[tuple, tuple[Unit, None]]:
    """Every region, district and seller of the organization at the end of `period`, keyed and kept
    as `resolve_unit` caches them (for the precomputer: a cached figure is still found through its unit)."""
    _, units_by_key = _Trees(session).at_end_of(period)
    return {("unit", unit.level, unit.code): (unit, None) for unit in units_by_key.values() if unit.level != "company"}


def _read_unit(session: Session, level: str, code: str) -> tuple[Unit, int | None] | None:
    """The unit of `level` with `code` and, for an account, its district; None when there is none."""
    model = _UNIT_MODELS[level]
    row = session.scalar(select(model).where(model.code == code))
    if row is None:
        return None
    return Unit(level, row.id, row.code, row.name), (row.district_id if level == "account" else None)


def _sellers_on(session: Session, on: date) -> pd.DataFrame:
    """seller_id, code, name, district_id of every seller as assigned on `on`."""
    frame = read_frame(
        session,
        (
            select(
                SellerDistrict.seller_id,
                SellerDistrict.district_id,
                SellerDistrict.valid_from,
                Seller.code,
                Seller.name,
            )
            .join(Seller, Seller.id == SellerDistrict.seller_id)
            .where(SellerDistrict.valid_from <= on)
        ),
        ["seller_id", "district_id", "valid_from", "code", "name"],
    )
    return frame.sort_values("valid_from").drop_duplicates("seller_id", keep="last")


def _tree(session: Session, on: date) -> tuple[dict, dict[tuple[str, str], Unit]]:
    """The organization on a date: (children of each (level, code), every unit by its key)."""
    regions = session.execute(select(Region.id, Region.code, Region.name)).all()
    districts = session.execute(select(District.id, District.code, District.name, District.region_id)).all()
    sellers = _sellers_on(session, on)
    units: dict[tuple[str, str], Unit] = {("company", ""): Unit("company", None, COMPANY_CODE, "Company")}
    children: dict[tuple[str, str], list[tuple[str, str]]] = {("company", ""): []}
    region_code = {}
    for rid, code, name in sorted(regions, key=lambda r: r[1]):
        units[("region", code)] = Unit("region", rid, code, name)
        children[("company", "")].append(("region", code))
        children[("region", code)] = []
        region_code[rid] = code
    district_code = {}
    for did, code, name, rid in sorted(districts, key=lambda d: d[1]):
        units[("district", code)] = Unit("district", did, code, name)
        parent = ("region", region_code[rid]) if rid in region_code else ("company", "")
        children[parent].append(("district", code))
        children[("district", code)] = []
        district_code[did] = code
    for row in sellers.sort_values("code").itertuples(index=False):
        units[("seller", row.code)] = Unit("seller", int(row.seller_id), row.code, row.name)
        children[("district", district_code[row.district_id])].append(("seller", row.code))
    return children, units


def _summed_units(session: Session, keys: list, conditions: list) -> pd.DataFrame:
    """Σ Target.value per (level, unit_code, kpi_code) over the rows of `conditions`, exactly, as
    columns level, unit_code, kpi_code, units.

    SQLite's SUM of a NUMERIC column adds floats (eight months of 0.7 give 5.6000000000000005): it
    sums each value rounded to an integer of units instead. On PostgreSQL the exact NUMERIC sum costs
    twice a float8 sum (about +100 ms over the 240k target rows of the company's year), so it sums
    float8 with the sum of absolute values and the count, and `units_of_float_sums` takes the units
    where the float sum provably rounds to them (every group below about 1.6e10); any other group is
    summed again as NUMERIC."""
    columns = ["level", "unit_code", "kpi_code", "units"]
    if session.get_bind().dialect.name != "postgresql":
        units = cast(func.sum(sql.scaled(session, SCALE, Target.value)), BigInteger)
        return read_frame(session, select(*keys, units).where(*conditions).group_by(*keys), columns)
    value = cast(Target.value, Float)
    sums = read_frame(
        session,
        select(*keys, func.sum(value), func.sum(func.abs(value)), func.count()).where(*conditions).group_by(*keys),
        [*columns[:3], "total", "size", "n"],
    )
    units, exact = units_of_float_sums(sums["total"], sums["size"], sums["n"])
    frame = sums[columns[:3]].assign(units=units)
    if exact.all():
        return frame
    rest = list(frame.loc[~exact, columns[:3]].itertuples(index=False, name=None))
    exactly = read_frame(
        session,
        select(*keys, cast(func.sum(Target.value) * SCALE, BigInteger))
        .where(*conditions, tuple_(*keys).in_(rest))
        .group_by(*keys),
        columns,
    )
    return pd.concat([frame[exact], exactly], ignore_index=True)


def _with_target(frame: pd.DataFrame, column: str = "target") -> pd.DataFrame:
    """`frame` (exact `units`, int64) with `column` = the float nearest to each exact value."""
    frame = frame.astype({"units": "int64"})
    return frame.assign(**{column: from_units(frame["units"])})


def _manual_actuals(session: Session, registry: Registry, units: list[Unit], months: list[str]) -> pd.DataFrame:
    codes = registry.manual_codes
    index = pd.Index([u.key for u in units])
    if not codes:
        return pd.DataFrame(index=index)
    frame = _with_target(
        read_frame(
            session,
            (
                select(
                    KpiValue.level,
                    KpiValue.unit_code,
                    KpiValue.kpi_code,
                    sql.month_text(session, KpiValue.month),
                    sql.scaled(session, SCALE, KpiValue.value),
                ).where(
                    KpiValue.kpi_code.in_(codes),
                    KpiValue.level.in_({u.level for u in units}),
                    KpiValue.month >= month_start(months[0]),
                    KpiValue.month <= month_start(months[-1]),
                )
            ),
            ["level", "unit_code", "kpi_code", "month", "units"],
        ),
        "value",
    )
    ranged = range_targets(frame, months=months, time_rollup=registry.time_rollup)
    wide = ranged.pivot_table(index=["level", "unit_code"], columns="kpi_code", values="target", aggfunc="first")
    return wide.reindex(index=index, columns=codes)


def _target_filter(units: list[tuple[str, str]]) -> list:
    """Target rows of `units` only (none for the company's subtree, which is every unit)."""
    if ("company", "") in units:  # the company's subtree: every unit
        return []
    levels = sorted({level for level, _ in units})
    return [
        or_(
            *[
                and_(Target.level == level, Target.unit_code.in_([code for lvl, code in units if lvl == level]))
                for level in levels
            ]
        )
    ]


def _monthly_targets(session: Session, months: list[str], units: list[tuple[str, str]]) -> pd.DataFrame:
    """Each month's own targets of `units` over `months` (a month's range target, whatever the KPI's
    time roll-up): columns level, unit_code, kpi_code, month ('YYYY-MM'), units (exact, int64 of
    1 / SCALE), target (float64). One query for a trend."""
    stmt = select(
        Target.level,
        Target.unit_code,
        Target.kpi_code,
        sql.month_text(session, Target.month),
        sql.scaled(session, SCALE, Target.value),
    ).where(Target.month >= month_start(months[0]), Target.month <= month_start(months[-1]), *_target_filter(units))
    frame = read_frame(session, stmt, ["level", "unit_code", "kpi_code", "month", "units"])
    return _with_target(frame.astype({"month": str}))


def _targets(session: Session, registry: Registry, months: list[str], units: list[tuple[str, str]]) -> pd.DataFrame:
    """Range targets of `units` (as (level, unit_code) keys) over `months`, as `range_targets` defines
    them, summed in SQL: a KPI that adds up over time sums its months, the others take the range's
    last month. Sums are exact (`_summed_units`) on SQLite and PostgreSQL alike. Columns level,
    unit_code, kpi_code, units (exact, int64 of 1 / SCALE), target (float64)."""
    summed = [code for code, rollup in registry.time_rollup.items() if rollup == "sum"]
    where = _target_filter(units)
    keys = [Target.level, Target.unit_code, Target.kpi_code]
    over_time = _summed_units(
        session,
        keys,
        [
            Target.month >= month_start(months[0]),
            Target.month <= month_start(months[-1]),
            Target.kpi_code.in_(summed),
            *where,
        ],
    )
    last = select(*keys, sql.scaled(session, SCALE, Target.value)).where(
        Target.month == month_start(months[-1]), Target.kpi_code.not_in(summed), *where
    )
    frame = pd.concat(
        [over_time, read_frame(session, last, ["level", "unit_code", "kpi_code", "units"])], ignore_index=True
    )
    return _with_target(frame)


def _subtree(children: dict, roots: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`roots` and every unit below them."""
    out, stack = [], list(roots)
    while stack:
        unit = stack.pop()
        out.append(unit)
        stack.extend(children.get(unit, []))
    return out


@dataclass(frozen=True)
class Scored:
    kpis: pd.DataFrame
    perspectives: pd.DataFrame
    overall: pd.Series


class _Trees:
    """The organization tree per month end, built once per data version (in the figure cache: every
    import that can change it counts the version up) and held for the request. Read-only."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._trees: dict[str, tuple[dict, dict[tuple[str, str], Unit]]] = {}

    def at_end_of(self, period: str) -> tuple[dict, dict[tuple[str, str], Unit]]:
        if period not in self._trees:
            self._trees[period] = figure_cache.get_or_compute(
                self._session, ("tree", period), lambda: _tree(self._session, date.fromisoformat(month_end_iso(period)))
            )
        return self._trees[period]


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
    trees: _Trees,
    *,
    rows: list[tuple[Unit, str]],
    actual: pd.DataFrame,
    range_: str,
) -> Scored:
    """Score each row (a unit over the range ending at a period) given its built-in actuals (in rows'
    order), in one scoring pass; the result's entities are the rows' positions."""
    positions = pd.RangeIndex(len(rows))
    actual = actual.set_axis(positions)
    manual_parts, target_parts = [], []
    codes = list(registry.kpis["code"])
    periods = list(dict.fromkeys(p for _, p in rows))
    plans = {}
    for period in periods:
        at = [i for i, (_, p) in enumerate(rows) if p == period]
        units = [rows[i][0] for i in at]
        # Sellers and accounts have no children: their targets are their own, no tree needed.
        has_children = any(u.level in ("company", "region", "district") for u in units)
        children = trees.at_end_of(period)[0] if has_children else {}
        plans[period] = (at, units, children, _subtree(children, [u.key for u in units]))
    monthly = None
    if range_ == "month" and len(periods) > 1:
        # a trend: a month's range target is that month's own target; one query for every month
        everyone = list(dict.fromkeys(key for *_, needed in plans.values() for key in needed))
        monthly = _monthly_targets(session, sorted(periods), everyone)
    for period, (at, units, children, needed) in plans.items():
        months = range_months(period, range_, registry.fiscal_start_month)
        manual_parts.append(_manual_actuals(session, registry, units, months).set_axis(at))
        own = (
            monthly[monthly["month"] == period].drop(columns="month")
            if monthly is not None
            else _targets(session, registry, months, needed)
        )
        targets = resolve_targets(
            own, units=[u.key for u in units], children=children, additive=registry.additive, kpis=codes
        )
        target_parts.append(targets.set_axis(at))
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
        scoring, pd.concat(target_parts), kpis=registry.kpis, perspectives=registry.perspectives, cap=registry.score_cap
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


def _freshness(session: Session, period: str) -> dict:
    """The answer's fields on what is loaded: the latest sale's date, and whether `period` has sales
    and activities loaded yet."""
    dates = data_dates(session)
    return {
        "data_through": dates.sales_through,
        "no_sales_yet": not_loaded(period, dates.sales_month),
        "no_activities_yet": not_loaded(period, dates.activities_month),
    }


def _score(
    session: Session,
    registry: Registry,
    trees: _Trees,
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


# The API's schema of each kind of answer, by the first part of its cache key.
_SCHEMAS = {
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


def _num(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)


def _brief(row) -> dict:  # noqa: ANN001
    """A scored KPI row as the overview and the trend show it."""
    return {
        "actual": _num(row.actual),
        "target": _num(row.target),
        "attainment": _num(row.attainment),
        "status": row.status,
    }


def scorecard(session: Session, *, scope: Scope, level: str, code: str, period: str, range_: str) -> dict | None:
    """One unit's scorecard for the range ending at `period`, with the previous period beside it;
    None when there is no such unit or it is not the caller's to see."""
    return _unpack(scorecard_json(session, scope=scope, level=level, code=code, period=period, range_=range_))


def scorecard_json(session: Session, *, scope: Scope, level: str, code: str, period: str, range_: str) -> bytes | None:
    """`scorecard` as the API sends it (JSON of app.scorecards.schemas.ScorecardRead)."""
    return _answer(
        session,
        scope,
        "scorecard",
        level,
        code,
        (period, range_),
        lambda unit: _scorecard(session, unit, period, range_),
    )


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


def covered_months(kind: str, period: str, arg: object) -> list[str]:
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
    if scope.everything or unit.level != "seller" or not months:
        return frozenset()
    return frozenset(m for m in months if not scope.sees_seller(unit.id, m))


_BLANK = {"actual": None, "target": None, "attainment": None, "status": "none"}


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


def _scorecard(session: Session, unit: Unit, period: str, range_: str) -> dict:
    registry = card_registry(load_registry(session), unit.level)
    trees = _Trees(session)
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
    parts = _by_entity(both)
    return _card(unit, registry, period, range_, parts[0], parts[1], fresh=_freshness(session, period))


@dataclass(frozen=True)
class _One:
    """One entity's part of a Scored: its KPI rows and perspective rows (as itertuples gives them, in
    order), its overall score."""

    kpis: list
    perspectives: list
    overall: float


def _by_entity(scored: Scored) -> dict:
    """Each entity's part of a Scored, by entity (the overall score's index), in one pass over its rows."""
    kpis: dict = {}
    for row in scored.kpis.itertuples(index=False):
        kpis.setdefault(row.entity, []).append(row)
    persp: dict = {}
    for row in scored.perspectives.itertuples(index=False):
        persp.setdefault(row.entity, []).append(row)
    return {
        entity: _One(kpis.get(entity, []), persp.get(entity, []), overall)
        for entity, overall in zip(scored.overall.index, scored.overall.to_numpy(), strict=True)
    }


def _card(unit: Unit, registry: Registry, period: str, range_: str, now: _One, before: _One, *, fresh: dict) -> dict:
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
        session, scope, "children", level, code, (period, range_), lambda unit: _children(session, unit, period, range_)
    )


def _children(session: Session, unit: Unit, period: str, range_: str) -> dict:
    registry = load_registry(session)
    trees = _Trees(session)
    tree, units_by_key = trees.at_end_of(period)
    kids = [units_by_key[k] for k in tree.get(unit.key, [])] if unit.level != "account" else []
    answer = {
        "level": unit.level,
        "code": unit.code,
        "name": unit.name,
        "period": period,
        "range": range_,
        "children": [],
        **_freshness(session, period),
    }
    if not kids:
        return answer
    months = range_months(period, range_, registry.fiscal_start_month)
    parts = []
    for level in ("region", "district", "seller"):
        mine = [k for k in kids if k.level == level]
        if not mine:
            continue
        if level == "seller":
            # A seller's row shows the seller's own scorecard: all their sales, wherever they were made.
            where = {"level": "sellers", "unit_id": [k.id for k in mine]}
        else:
            where = {"level": unit.level, "unit_id": unit.id}
        parts.append(_actuals(session, months=months, by=level, groups=[k.id for k in mine], **where))
    # children come region first, then districts (the company's districts without a region), sellers
    order = [k for level in ("region", "district", "seller") for k in kids if k.level == level]
    scored = _score(session, registry, trees, units=order, actual=pd.concat(parts), period=period, range_=range_)
    answer["children"] = _overview_rows(kids, _by_entity(scored))
    return answer


def _overview_rows(kids: list[Unit], scored: dict[tuple[str, str], _One]) -> list[dict]:
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


def score_all(session: Session, *, period: str, range_: str) -> Scored:
    """Every unit's scorecard for the range ending at `period` in one pass: the company, each region,
    each district and each seller assigned on the period's last day (scored on all their own sales,
    as in a district's overview). One grouped query per level and fact table, one target query, one
    scoring over all units: what a month-end recompute of the whole organization costs. The result
    is indexed by each unit's key (level, code); figures equal `scorecard`'s and `children`'s."""
    registry = load_registry(session)
    trees = _Trees(session)
    tree, units_by_key = trees.at_end_of(period)
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


def trend(session: Session, *, scope: Scope, level: str, code: str, period: str, months: int) -> dict | None:
    """One unit's KPIs month by month (each month on its own) for the `months` months through `period`;
    None when there is no such unit or it is not the caller's to see."""
    return _unpack(trend_json(session, scope=scope, level=level, code=code, period=period, months=months))


def trend_json(session: Session, *, scope: Scope, level: str, code: str, period: str, months: int) -> bytes | None:
    """`trend` as the API sends it (JSON of app.scorecards.schemas.TrendRead)."""
    return _answer(
        session, scope, "trend", level, code, (period, months), lambda unit: _trend(session, unit, period, months)
    )


def _trend(session: Session, unit: Unit, period: str, months: int) -> dict:
    registry = card_registry(load_registry(session), unit.level)
    trees = _Trees(session)
    span = month_span(shift_month(period, 1 - months), period)
    monthly = _actuals(session, months=span, level=unit.level, unit_id=unit.id, by="month", groups=span)
    scored = _score_rows(
        session, registry, trees, rows=[(unit, month) for month in span], actual=monthly, range_="month"
    )  # every month scored in one pass
    by_month = _by_entity(scored)
    return _trend_answer(unit, [(month, by_month[i]) for i, month in enumerate(span)])


def _trend_answer(unit: Unit, months: list[tuple[str, _One]]) -> dict:
    """The trend answer from each month's (period, scored), in order."""
    points = [
        {
            "period": month,
            "overall_score": _num(scored.overall),
            "kpis": {r.code: _brief(r) for r in scored.kpis},
        }
        for month, scored in months
    ]
    return {"level": unit.level, "code": unit.code, "name": unit.name, "points": points}


def precompute(session: Session, *, period: str, range_: str = "ytd", months: int = 12) -> dict[tuple, bytes]:
    """What `scorecard`, `children` and `trend` answer for every unit of the organization at the end of
    `period` (accounts aside): each unit's card and overview for `range_` and its `months`-month trend,
    keyed and packed as those functions cache them. Computed with `score_all` over the whole
    organization, once per period needed (the range, the one before it, each month of the trend): at
    2,000 sellers that costs what a few dozen units cost one at a time. A unit missing from the
    organization in one of those periods (a seller who joined later) is left out of the card or the
    trend that needs it: those are computed when asked, as any other."""
    registry = load_registry(session)
    tree, units_by_key = _Trees(session).at_end_of(period)
    now = _by_entity(score_all(session, period=period, range_=range_))
    before = _by_entity(score_all(session, period=shift_month(period, -1), range_=range_))
    span = month_span(shift_month(period, 1 - months), period)
    monthly = [
        now if (month, range_) == (period, "month") else _by_entity(score_all(session, period=month, range_="month"))
        for month in span
    ]
    out: dict[tuple, bytes] = {}
    fresh = _freshness(session, period)
    for key, unit in units_by_key.items():
        if key in before:
            out[("scorecard", key, period, range_)] = _pack(
                "scorecard", _card(unit, registry, period, range_, now[key], before[key], fresh=fresh)
            )
        if unit.level != "seller":
            out[("children", key, period, range_)] = _pack(
                "children",
                {
                    "level": unit.level,
                    "code": unit.code,
                    "name": unit.name,
                    "period": period,
                    "range": range_,
                    "children": _overview_rows([units_by_key[k] for k in tree.get(key, [])], now),
                    **fresh,
                },
            )
        if all(key in scored for scored in monthly):
            out[("trend", key, period, months)] = _pack(
                "trend",
                _trend_answer(unit, [(month, scored[key]) for month, scored in zip(span, monthly, strict=True)]),
            )
    return out
