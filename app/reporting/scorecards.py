"""Scorecards and the leader's children overview, for what the caller may see."""

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Float, and_, cast, or_, select
from sqlalchemy.orm import Session

from app.access import Scope
from app.analytics.actuals import kpi_actuals
from app.analytics.periods import month_end_iso, month_span, month_start, range_months, shift_month
from app.analytics.scorecard import score_units
from app.analytics.targets import range_targets, resolve_targets
from app.models import Account, District, KpiValue, Region, Seller, SellerDistrict, Target
from app.reporting.facts import load_activities, load_sales, month_of, read_frame
from app.reporting.registry import Registry, load_registry

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


def resolve_unit(session: Session, *, scope: Scope, level: str, code: str) -> Unit | None:
    """The unit asked for, or None when it does not exist or is not the caller's to see."""
    if level == "company":
        return Unit("company", None, COMPANY_CODE, "Company") if code == COMPANY_CODE and scope.sees_company() else None
    model = {"seller": Seller, "district": District, "region": Region, "account": Account}.get(level)
    if model is None:
        return None
    row = session.scalar(select(model).where(model.code == code))
    if row is None:
        return None
    visible = {
        "seller": lambda: scope.sees_seller(row.id),
        "district": lambda: scope.sees_district(row.id),
        "region": lambda: scope.sees_region(row.id),
        "account": lambda: scope.sees_district(row.district_id),
    }[level]()
    return Unit(level, row.id, row.code, row.name) if visible else None


def _sellers_on(session: Session, on: date) -> pd.DataFrame:
    """seller_id, code, name, district_id of every seller as assigned on `on`."""
    frame = read_frame(session, (
        select(SellerDistrict.seller_id, SellerDistrict.district_id, SellerDistrict.valid_from, Seller.code, Seller.name)
        .join(Seller, Seller.id == SellerDistrict.seller_id)
        .where(SellerDistrict.valid_from <= on)
    ), ["seller_id", "district_id", "valid_from", "code", "name"])
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


def _manual_actuals(session: Session, registry: Registry, units: list[Unit], months: list[str]) -> pd.DataFrame:
    codes = registry.manual_codes
    index = pd.Index([u.key for u in units])
    if not codes:
        return pd.DataFrame(index=index)
    frame = read_frame(session, (
        select(KpiValue.level, KpiValue.unit_code, KpiValue.kpi_code, month_of(session, KpiValue.month),
               cast(KpiValue.value, Float))
        .where(KpiValue.kpi_code.in_(codes), KpiValue.level.in_({u.level for u in units}),
               KpiValue.month >= month_start(months[0]), KpiValue.month <= month_start(months[-1]))
    ), ["level", "unit_code", "kpi_code", "month", "value"])
    ranged = range_targets(frame, months=months, time_rollup=registry.time_rollup)
    wide = ranged.pivot_table(index=["level", "unit_code"], columns="kpi_code", values="target", aggfunc="first")
    return wide.reindex(index=index, columns=codes)


def _targets(session: Session, registry: Registry, months: list[str],
             units: list[tuple[str, str]]) -> pd.DataFrame:
    """Range targets of `units` (as (level, unit_code) keys) over `months`."""
    stmt = (
        select(Target.level, Target.unit_code, Target.kpi_code, month_of(session, Target.month),
               cast(Target.value, Float))
        .where(Target.month >= month_start(months[0]), Target.month <= month_start(months[-1]))
    )
    if ("company", "") not in units:  # below the company: only the units asked for
        levels = sorted({level for level, _ in units})
        stmt = stmt.where(or_(*[
            and_(Target.level == level, Target.unit_code.in_([code for lvl, code in units if lvl == level]))
            for level in levels
        ]))
    frame = read_frame(session, stmt, ["level", "unit_code", "kpi_code", "month", "value"])
    return range_targets(frame, months=months, time_rollup=registry.time_rollup)


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
    """The organization tree per month end, built once per request."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._trees: dict[str, tuple[dict, dict[tuple[str, str], Unit]]] = {}

    def at_end_of(self, period: str) -> tuple[dict, dict[tuple[str, str], Unit]]:
        if period not in self._trees:
            self._trees[period] = _tree(self._session, date.fromisoformat(month_end_iso(period)))
        return self._trees[period]


def _score(session: Session, registry: Registry, trees: _Trees, *, units: list[Unit], by: str | None,
           group_ids: list, sales: pd.DataFrame, activities: pd.DataFrame, period: str,
           range_: str) -> Scored:
    """Score `units` over the range ending at `period`; facts grouped by column `by` into `group_ids`."""
    months = range_months(period, range_, registry.fiscal_start_month)
    s = sales[sales["month"].isin(months)]
    s = s.assign(is_new=s["first_sale_month"].isin(months))
    a = activities[activities["month"].isin(months)]
    actual = kpi_actuals(s, a, by=by, groups=group_ids if by else None)
    actual.index = pd.Index([u.key for u in units])
    manual = _manual_actuals(session, registry, units, months)
    actual = actual.join(manual) if not manual.empty else actual

    # Sellers and accounts have no children: their targets are their own, no tree needed.
    has_children = any(u.level in ("company", "region", "district") for u in units)
    children = trees.at_end_of(period)[0] if has_children else {}
    codes = list(registry.kpis["code"])
    needed = _subtree(children, [u.key for u in units])
    targets = resolve_targets(_targets(session, registry, months, needed), units=[u.key for u in units],
                              children=children, additive=registry.additive, kpis=codes)
    targets.index = pd.Index([u.key for u in units])
    kpis, persp, overall = score_units(actual, targets, kpis=registry.kpis, perspectives=registry.perspectives,
                                       cap=registry.score_cap)
    return Scored(kpis, persp, overall)


def _num(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)


def _brief(row) -> dict:  # noqa: ANN001
    """A scored KPI row as the overview and the trend show it."""
    return {"actual": _num(row.actual), "target": _num(row.target), "attainment": _num(row.attainment),
            "status": row.status}


def _load_facts(session: Session, unit: Unit, months: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (load_sales(session, months=months, level=unit.level, unit_id=unit.id),
            load_activities(session, months=months, level=unit.level, unit_id=unit.id))


def scorecard(session: Session, *, scope: Scope, level: str, code: str, period: str, range_: str) -> dict | None:
    """One unit's scorecard for the range ending at `period`, with the previous period beside it."""
    unit = resolve_unit(session, scope=scope, level=level, code=code)
    if unit is None:
        return None
    registry = load_registry(session)
    trees = _Trees(session)
    previous = shift_month(period, -1)
    months = sorted(set(range_months(period, range_, registry.fiscal_start_month))
                    | set(range_months(previous, range_, registry.fiscal_start_month)))
    sales, activities = _load_facts(session, unit, months)
    now = _score(session, registry, trees, units=[unit], by=None, group_ids=[], sales=sales, activities=activities,
                 period=period, range_=range_)
    before = _score(session, registry, trees, units=[unit], by=None, group_ids=[], sales=sales,
                    activities=activities, period=previous, range_=range_)
    prev_kpis = {r.code: r for r in before.kpis.itertuples(index=False)}
    prev_persp = before.perspectives.set_index("key")["score"]
    perspectives = []
    for p in now.perspectives.itertuples(index=False):
        rows = now.kpis[now.kpis["perspective"] == p.key]
        perspectives.append({
            "key": p.key, "name": p.name, "weight": float(p.weight), "score": _num(p.score),
            "previous_score": _num(prev_persp.get(p.key)),
            "kpis": [{
                "code": k.code, "name": k.name, "unit": k.unit, "direction": k.direction,
                **_brief(k), "score": _num(k.score),
                "previous": _brief(prev_kpis[k.code]),
            } for k in rows.itertuples(index=False)],
        })
    return {
        "level": unit.level, "code": unit.code, "name": unit.name, "period": period, "range": range_,
        "months": range_months(period, range_, registry.fiscal_start_month),
        "overall_score": _num(now.overall.iloc[0]),
        "previous_period": previous, "previous_overall_score": _num(before.overall.iloc[0]),
        "perspectives": perspectives,
    }


def children(session: Session, *, scope: Scope, level: str, code: str, period: str, range_: str) -> dict | None:
    """Each unit below one unit (for a district, each seller in it on the period's last day), scored."""
    unit = resolve_unit(session, scope=scope, level=level, code=code)
    if unit is None:
        return None
    registry = load_registry(session)
    trees = _Trees(session)
    tree, units_by_key = trees.at_end_of(period)
    kids = [units_by_key[k] for k in tree.get(unit.key, [])] if unit.level != "account" else []
    answer = {"level": unit.level, "code": unit.code, "name": unit.name, "period": period, "range": range_,
              "children": []}
    if not kids:
        return answer
    months = range_months(period, range_, registry.fiscal_start_month)
    if unit.level == "district":
        # A seller's row shows the seller's own scorecard: all their sales, wherever they were made.
        seller_ids = [k.id for k in kids]
        sales = load_sales(session, months=months, level="sellers", unit_id=seller_ids)
        activities = load_activities(session, months=months, level="sellers", unit_id=seller_ids)
    else:
        sales, activities = _load_facts(session, unit, months)
    scored = _score(session, registry, trees, units=kids, by="_child", group_ids=list(range(len(kids))),
                    sales=_tag(sales, kids), activities=_tag(activities, kids), period=period, range_=range_)
    rows = scored.kpis
    for i, k in enumerate(kids):
        mine = rows[rows["entity"] == k.key]
        answer["children"].append({
            "level": k.level, "code": k.code, "name": k.name,
            "overall_score": _num(scored.overall.iloc[i]),
            "kpis": {r.code: _brief(r) for r in mine.itertuples(index=False)},
        })
    return answer


_FACT_COLUMN = {"seller": "seller_id", "district": "district_id", "region": "region_id"}


def _tag(frame: pd.DataFrame, kids: list[Unit]) -> pd.DataFrame:
    """Label each fact row with the position of the child it belongs to (rows of no child dropped).

    The children of one parent are of one level, except the company's, which are its regions and
    any district without a region.
    """
    tag = pd.Series(np.nan, index=frame.index)
    for level, column in _FACT_COLUMN.items():
        positions = {k.id: i for i, k in enumerate(kids) if k.level == level}
        if positions:
            tag = tag.fillna(frame[column].map(positions))
    keep = tag.notna()
    return frame[keep].assign(_child=tag[keep].astype("int64"))


def trend(session: Session, *, scope: Scope, level: str, code: str, period: str, months: int) -> dict | None:
    """One unit's KPIs month by month (each month on its own) for the `months` months through `period`."""
    unit = resolve_unit(session, scope=scope, level=level, code=code)
    if unit is None:
        return None
    registry = load_registry(session)
    trees = _Trees(session)
    span = month_span(shift_month(period, 1 - months), period)
    sales, activities = _load_facts(session, unit, span)
    points = []
    for month in span:
        scored = _score(session, registry, trees, units=[unit], by=None, group_ids=[], sales=sales,
                        activities=activities, period=month, range_="month")
        points.append({
            "period": month,
            "overall_score": _num(scored.overall.iloc[0]),
            "kpis": {r.code: _brief(r) for r in scored.kpis.itertuples(index=False)},
        })
    return {"level": unit.level, "code": unit.code, "name": unit.name, "points": points}
